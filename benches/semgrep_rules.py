#!/usr/bin/env python3
"""Translate tollgate's Python pattern rules into Semgrep rules (for the benchmark only).

Every `call:` / `name:` list of a rule becomes a `pattern-either` of `NAME(...)` / `NAME` patterns that
Semgrep resolves through imports as tollgate does, so both tools look for the same calls. Conditions
are approximated with keyword patterns where they are simple (e.g. `shell=True`, `verify=False`).
Usage: semgrep_rules.py RULES_DIR OUT.yaml
"""
import pathlib
import sys

import yaml


def alts(pattern):
    if "any" in pattern:
        for a in pattern["any"]:
            for x in alts(a):
                yield x
    else:
        yield pattern


def names(v):
    return [v] if isinstance(v, str) else list(v or [])


def keyword_hint(where):
    for c in where or []:
        if "keyword" in c and "arg" not in c:
            if c.get("truthy") is True or c.get("equals") is True:
                return f"{c['keyword']}=True"
            if c.get("equals") is False:
                return f"{c['keyword']}=False"
    return None


def patterns(rule):
    out = []
    for a in alts(rule.get("pattern", {})):
        kw = keyword_hint(a.get("where"))
        for n in names(a.get("call")):
            n = n.replace("*.", "$X.").replace(".*", ".$F")
            if "*" in n:
                continue
            out.append(f"{n}(..., {kw}, ...)" if kw else f"{n}(...)")
        for n in names(a.get("name")):
            if "*" not in n:
                out.append(n)
        for n in names(a.get("import")):
            out.append(f"import {n}")
        if a.get("node") == "assert_statement":
            out.append("assert $X")
        if "string" in a:
            out.append('"0.0.0.0"' if "0\\.0" in a["string"] else '"/tmp/..."')
    return sorted(set(out))


def main():
    rules = []
    for p in sorted(pathlib.Path(sys.argv[1]).glob("*.yaml")):
        r = yaml.safe_load(p.read_text())
        if r.get("kind") != "pattern":
            continue
        pats = patterns(r)
        if not pats:
            continue
        rules.append({
            "id": r["id"],
            "languages": ["python"],
            "severity": "WARNING",
            "message": r["title"],
            "pattern-either": [{"pattern": x} for x in pats],
        })
    pathlib.Path(sys.argv[2]).write_text(yaml.safe_dump({"rules": rules}, sort_keys=False))
    print(f"{len(rules)} semgrep rules, {sum(len(r['pattern-either']) for r in rules)} patterns", file=sys.stderr)


main()
