"""Write Semgrep taint-mode rules equivalent to tollgate's taint rules (same sinks and sanitizers, the Flask and
Django web sources), so that benches/taint.sh compares the two engines on the same work.

usage: python3 benches/taint_semgrep_rules.py RULES_DIR OUT.yaml
"""
import sys
from pathlib import Path

import yaml

rules_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
sources = [
    {"pattern": "flask.request.$ATTR"},
    {"patterns": [{"pattern-inside": "def $V(request, ...):\n  ...\n"}, {"pattern": "request.$ATTR"}]},
    {"pattern": "sys.argv"},
    {"pattern": "os.environ"},
]


def call_pattern(name, arg):
    args = ", ".join(["$A%d" % i for i in range(arg)] + ["$SINK", "..."])
    if name.startswith("*."):
        return "$OBJ.%s(%s)" % (name[2:].split(".")[-1], args)
    return "%s(%s)" % (name, args)


rules = []
for path in sorted(rules_dir.glob("*.yaml")):
    doc = yaml.safe_load(path.read_text())
    if doc.get("kind") != "taint":
        continue
    t = doc["taint"]
    sinks = []
    for s in t["sinks"]:
        for name in s.get("calls", []):
            for arg in s.get("args", [0]) or [0]:
                sinks.append(
                    {"patterns": [{"pattern": call_pattern(name, arg)}, {"focus-metavariable": "$SINK"}]}
                )
            for kw in s.get("keywords", []):
                base = name[2:].split(".")[-1] if name.startswith("*.") else name
                obj = "$OBJ." if name.startswith("*.") else ""
                sinks.append({"pattern": "%s%s(..., %s=$SINK, ...)" % (obj, base, kw)})
        for name in s.get("subscript_assign", []):
            sinks.append({"pattern": "%s[$K] = $SINK" % name.replace("*.", "$OBJ.")})
    sanitizers = [
        {"pattern": "%s(...)" % (n.replace("*.", "$OBJ."))}
        for n in t.get("sanitizers", [])
        if not n.startswith("guard") and n not in ("allowlist", "quote-escape")
    ]
    rule = {
        "id": doc["id"],
        "mode": "taint",
        "languages": ["python"],
        "severity": "ERROR",
        "message": doc["message"],
        "pattern-sources": sources,
        "pattern-sinks": sinks,
    }
    if sanitizers:
        rule["pattern-sanitizers"] = sanitizers
    rules.append(rule)
out.write_text(yaml.safe_dump({"rules": rules}, sort_keys=False))
print("%d semgrep taint rules" % len(rules), file=sys.stderr)
