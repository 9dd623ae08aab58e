"""Validate SARIF files against the official SARIF 2.1.0 JSON schema (draft-04)."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft4Validator(schema)
bad = 0
for path in sys.argv[2:]:
    doc = json.load(open(path))
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    for e in errors[:20]:
        print(f"{path}: {'/'.join(map(str, e.path))}: {e.message}")
    bad += len(errors)
    results = sum(len(r.get("results", [])) for r in doc["runs"])
    print(f"{path}: {'INVALID' if errors else 'valid'} ({results} results)")
sys.exit(1 if bad else 0)
