#!/usr/bin/env python3
"""Hand-edit a large real description with known changes and check that `tollgate diff` reports
exactly those (no more, no less).

usage: contract_edits.py ghes-3.18.json WORKDIR DIFF_COMMAND...

DIFF_COMMAND is `tollgate diff` (or the contract_diff example binary).
Edits (each with the check ids it must produce, by operation):
  1. DELETE an operation                                  -> api-removed-without-deprecation
  2. add a required query parameter                       -> new-required-request-parameter
  3. remove an enum value of a request body property      -> request-property-enum-value-removed
  4. change a request body property's type                -> request-property-type-changed
  5. remove a required property from a response schema   -> response-required-property-removed
     (a component referenced by exactly one operation)
  6. remove the only success status of an operation        -> response-success-status-removed
  7. make an optional request body property required     -> request-property-became-required
  8. deprecate an operation                               -> endpoint-deprecated
  9. rename a path template variable everywhere in a path -> nothing (paths match by shape)
 10. reorder every `paths` entry and every operation's keys -> nothing
"""
import json
import os
import re
import subprocess
import sys
import time

src, work, command = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(work, exist_ok=True)
text = open(src).read()
d = json.loads(text)
M = ["get", "put", "post", "delete", "patch"]
expected = set()

# 1
p = "/enterprises/{enterprise}/actions/runner-groups/{runner_group_id}"
assert "delete" in d["paths"][p]
del d["paths"][p]["delete"]
expected.add(("api-removed-without-deprecation", "DELETE " + p))
# 2
p = "/enterprises/{enterprise}/actions/runner-groups"
d["paths"][p]["get"]["parameters"].append(
    {"name": "tollgate_filter", "in": "query", "required": True, "schema": {"type": "string"}})
expected.add(("new-required-request-parameter", "GET " + p))
# 3
p = "/enterprise/live-migrations"
props = d["paths"][p]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
props["target_visibility"]["enum"].remove("internal")
expected.add(("request-property-enum-value-removed", "POST " + p))
# 4
p = "/enterprises/{enterprise}/actions/runner-groups"
props = d["paths"][p]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
assert props["name"]["type"] == "string"
props["name"]["type"] = "integer"
expected.add(("request-property-type-changed", "POST " + p))
# 5
counts = {}
for m in re.finditer(r'"#/components/schemas/([^"]+)"', text):
    counts[m.group(1)] = counts.get(m.group(1), 0) + 1
s = d["components"]["schemas"]["ldap-mapping-user"]
assert counts["ldap-mapping-user"] == 1
gone = s["required"][0]
s["required"].remove(gone)
del s["properties"][gone]
expected.add(("response-required-property-removed", "PATCH /admin/ldap/users/{username}/mapping"))
# 6
p = "/enterprises/{enterprise}/actions/permissions"
resp = d["paths"][p]["get"]["responses"]
assert [c for c in resp if c.startswith("2")] == ["200"]
resp["203"] = resp.pop("200")  # the only 2xx replaced by another 2xx: removed + added
expected.add(("response-success-status-removed", "GET " + p))
expected.add(("response-success-status-added", "GET " + p))
# 7
p = "/enterprises/{enterprise}/actions/runner-groups"
sch = d["paths"][p]["post"]["requestBody"]["content"]["application/json"]["schema"]
assert "visibility" not in sch.get("required", [])
sch.setdefault("required", []).append("visibility")
expected.add(("request-property-became-required", "POST " + p))
# 8
p = "/enterprise/settings/license"
d["paths"][p]["get"]["deprecated"] = True
expected.add(("endpoint-deprecated", "GET " + p))
# 9
old = "/repos/{owner}/{repo}/branches/{branch}"
new = "/repos/{owner}/{repo}/branches/{branch_name}"
item = d["paths"].pop(old)
for k, op in item.items():
    if k in M:
        for i, prm in enumerate(op.get("parameters", [])):
            if prm.get("$ref") == "#/components/parameters/branch":
                inline = dict(d["components"]["parameters"]["branch"])
                inline["name"] = "branch_name"
                op["parameters"][i] = inline
d["paths"][new] = item
# 10
d["paths"] = dict(reversed(list(d["paths"].items())))
for item in d["paths"].values():
    for k in list(item):
        if k in M:
            item[k] = dict(reversed(list(item[k].items())))

edited = os.path.join(work, "ghes-3.18.edited.json")
json.dump(d, open(edited, "w"), indent=2)
out = os.path.join(work, "edits.json")
t = time.time()
rc = subprocess.run(command + [src, edited, "--format", "json", "--output", out]).returncode
elapsed = time.time() - t
got = {(c["id"], c.get("operation", "")) for c in json.load(open(out))["changes"]}
missing, extra = expected - got, got - expected
print(f"hand-edited ghes-3.18: {len(expected)} expected changes, {len(got)} reported, exit {rc}, {elapsed:.2f}s")
for x in sorted(missing):
    print("  MISSING", x)
for x in sorted(extra):
    print("  UNEXPECTED", x)
if missing or extra:
    sys.exit(1)
print("  exactly the edits: OK")
