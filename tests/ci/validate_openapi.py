#!/usr/bin/env python3
"""Validate an OpenAPI 3.1 document against the official schema (with its dialect and meta-schema
registered locally, so nothing is fetched)."""
import json
import sys
from pathlib import Path

import jsonschema
import yaml
from referencing import Registry, Resource

schemas = Path(sys.argv[1])
doc = yaml.safe_load(Path(sys.argv[2]).read_text())
assert str(doc.get("openapi", "")).startswith("3.1"), "expected OpenAPI 3.1"
main = json.loads(next(schemas.glob("openapi-3.1-schema-2*.json")).read_text())
resources = []
for p in schemas.glob("openapi-3.1-*.json"):
    s = json.loads(p.read_text())
    if "$id" in s:
        resources.append((s["$id"], Resource.from_contents(s)))
registry = Registry().with_resources(resources)
cls = jsonschema.validators.validator_for(main)
errors = sorted(cls(main, registry=registry).iter_errors(doc), key=lambda e: list(e.path))
for e in errors[:20]:
    print(f"openapi.yaml: {'/'.join(map(str, e.path))}: {e.message}")
if errors:
    sys.exit(f"{len(errors)} schema errors")
print(f"openapi.yaml is valid OpenAPI {doc['openapi']} ({len(doc['paths'])} paths)")
