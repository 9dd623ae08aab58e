#!/usr/bin/env python3
"""Cut a smaller, self-contained pair out of two large descriptions: the operations under the given
path prefixes and every component they reach (transitively), so peers that cannot load the full
descriptions (Optic runs out of memory above ~4 MB) can be measured on the same input.

usage: contract_subset.py BASE.json REVISION.json OUTDIR PREFIX [PREFIX ...]
"""
import json
import os
import re
import sys

base, rev, out, prefixes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
os.makedirs(out, exist_ok=True)
REF = re.compile(r'"\$ref":\s*"#/components/([^/"]+)/([^"]+)"')


def cut(path):
    d = json.load(open(path))
    paths = {p: v for p, v in d["paths"].items() if any(p.startswith(x) for x in prefixes)}
    keep = {}
    todo = [json.dumps(paths)]
    while todo:
        for sec, name in REF.findall(todo.pop()):
            name = name.replace("~1", "/").replace("~0", "~")
            if name in keep.setdefault(sec, set()):
                continue
            keep[sec].add(name)
            node = d["components"].get(sec, {}).get(name)
            if node is not None:
                todo.append(json.dumps(node))
    comps = {sec: {n: v for n, v in d["components"].get(sec, {}).items() if n in names} for sec, names in keep.items()}
    if "securitySchemes" in d.get("components", {}):
        comps["securitySchemes"] = d["components"]["securitySchemes"]
    d["paths"] = paths
    d["components"] = comps
    d.pop("webhooks", None)
    d.pop("x-webhooks", None)
    return d


for src in (base, rev):
    d = cut(src)
    dst = os.path.join(out, os.path.basename(src).replace(".json", ".subset.json"))
    json.dump(d, open(dst, "w"), indent=2)
    print(dst, os.path.getsize(dst), "bytes,", sum(1 for p in d["paths"].values() for m in p if m in ("get", "put", "post", "delete", "patch")), "operations")
