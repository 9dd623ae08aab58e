#!/usr/bin/env python3
"""Regenerates the check tables of docs/contract.md from src/contract/checks.rs, and the table that maps
every oasdiff rule id to tollgate's (when an oasdiff checkout is given).

    benches/contract_docs.py [OASDIFF_CHECKOUT]

The tables sit between `<!-- checks:begin -->` / `<!-- checks:end -->` and `<!-- oasdiff:begin -->` /
`<!-- oasdiff:end -->` in docs/contract.md.
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = open(os.path.join(ROOT, "src/contract/checks.rs")).read()
LEVEL = {"E": "error", "W": "warning", "I": "info"}
CONTEXTS = [
    ("request-parameter", True), ("request-parameter-property", True), ("request-body", True),
    ("request-property", True), ("response-body", False), ("response-property", False),
    ("response-header", False), ("webhook-payload", False), ("webhook-payload-property", False),
    ("webhook-parameter", False), ("webhook-parameter-property", False),
    ("webhook-response-body", True), ("webhook-response-property", True),
]
OPS = [(m.group(1), LEVEL[m.group(2)], m.group(3), m.group(4))
       for m in re.finditer(r'\("([a-z0-9-]+)", ([EWI]), "([a-z-]+)", "((?:[^"\\]|\\.)*)"\)', SRC)]
KINDS = [(m.group(1), m.group(3), m.group(5), m.group(6))
         for m in re.finditer(r'\("([a-z-]+)", (Some\(([EWI])\)|NA), (Some\(([EWI])\)|NA), "((?:[^"\\]|\\.)*)"\)', SRC)]
_pk = SRC[SRC.index("const PROPERTY_KINDS"):]
PROPERTY_KINDS = {m.group(1) for m in re.finditer(r'\("([a-z-]+)", (?:Some\([EWI]\)|NA), (?:Some\([EWI]\)|NA), "', _pk[:_pk.index("];")])}
OVERRIDES = {m.group(1): LEVEL[m.group(2)] for m in re.finditer(r'\("([a-z0-9-]+)", ([EWI])\),', SRC)}


def catalogue():
    lv = {i: l for i, l, _, _ in OPS}
    for p, req in CONTEXTS:
        for k, a, b, _ in KINDS:
            if k in PROPERTY_KINDS and not p.endswith("-property"):
                continue
            x = a if req else b
            if x and f"{p}-{k}" not in lv:
                lv[f"{p}-{k}"] = OVERRIDES.get(f"{p}-{k}", LEVEL[x])
    return lv


def checks_tables():
    out = ["| id | level | group | description |", "|---|---|---|---|"]
    for i, l, g, d in OPS:
        out.append(f"| `{i}` | {l} | {g} | {d} |")
    out += ["", "Schema keyword checks are reported as `<context>-<kind>`, where the context is one of "
            + ", ".join(f"`{p}`" for p, _ in CONTEXTS)
            + " (e.g. `request-property-enum-value-removed`, `response-body-became-nullable`). Level when the "
            "schema is sent by the client (request) / received by it (response); `-` = not applicable. "
            "Exceptions: " + ", ".join(f"`{i}` is {l}" for i, l in OVERRIDES.items()) + ". "
            "The property lifecycle kinds (" + ", ".join(f"`{k}`" for k in sorted(PROPERTY_KINDS))
            + ") are reported in the `*-property` contexts only.", "",
            "| kind | request | response | description |", "|---|---|---|---|"]
    for k, a, b, d in KINDS:
        out.append(f"| `{k}` | {LEVEL.get(a, '-')} | {LEVEL.get(b, '-')} | {d.replace('{ctx}', 'schema')} |")
    return "\n".join(out)


# oasdiff id -> tollgate id, when the name differs
ALIASES = [
    (r"^(.*)-default-value-(added|removed|changed)$", r"\1-default-\2"),
    (r"^(response-(?:body|property))-max-length-unset$", r"\1-max-length-removed"),
    (r"^(response-(?:body|property))-min-items-unset$", r"\1-min-items-removed"),
    (r"^required-response-header-removed$", "response-required-header-removed"),
    (r"^optional-response-header-removed$", "response-optional-header-removed"),
    (r"^request-header-property-became-enum$", "request-parameter-property-became-enum"),
    (r"^request-header-property-became-required$", "request-property-became-required"),
    (r"^new-required-request-header-property$", "new-required-request-property"),
    (r"^new-(required|optional)-request-default-parameter-to-existing-path$", r"new-\1-request-parameter"),
    (r"^response-body-media-type-schema-(added|removed)$", r"response-media-type-schema-\1"),
    (r"^(.*)-discriminator-mapping-deleted$", r"\1-discriminator-mapping-removed"),
    (r"^request-property-became-required-with-default$", "request-property-became-required"),
    (r"^new-required-request-property-with-default$", "new-required-request-property"),
    (r"^api-security-component-oauth-token-url-changed$", "api-security-component-oauth-url-changed"),
    (r"^endpoint-deprecated-with-sunset$", "endpoint-deprecated"),
    (r"^(request|response)-property-deprecated-with-sunset$", r"\1-property-deprecated"),
    (r"^api-global-security-(added|removed)$", r"api-security-\1"),
    (r"^api-global-security-scope-(added|removed)$", r"api-security-scope-\1"),
    (r"^(request|response)-(optional|required)-property-became-(not-)?(read|write)-only$", r"\1-property-became-\3\4-only"),
    (r"^response-write-only-property-became-(optional|required)$", "-"),
    (r"^(request|response)-(body|property)-type-compatible$", "-"),
    (r"^response-header-type-compatible$", "-"),
]
REASONS = [
    (r"^api-path-sunset-parse$", "a removed deprecated operation with an unreadable sunset date is `api-removed-with-deprecation` (the date is reported when it is written: `api-deprecated-sunset-parse`)"),
    (r"^api-(version-decreased|major-version-not-bumped)$", "versioning policy beyond `api-version-not-bumped` is not checked"),
    (r"^api-security-component-oauth-scope-changed$", "a changed scope description is documentation; added/removed scopes are reported"),
    (r"pattern-generalized$", "pattern generalisation cannot be decided in general: reported as `*-pattern-changed` (warning)"),
    (r"^request-read-only-property-", "readOnly properties are not compared in requests (the server ignores them)"),
    (r"^response-(optional|required)-write-only-property-(added|removed)$|^response-write-only-property-enum-value-added$", "writeOnly properties are not compared in responses (they are never returned)"),
    (r"^response-media-type-name-changed$", "media types match by name: a renamed one is `response-media-type-removed` (error) + `-added` (a wildcard replacing a type it covers, or the reverse, is `response-media-type-name-generalized` / `-specialized`)"),
    (r"^response-mediatype-enum-value-removed$", "media-type parameters (`;charset=`) are not compared"),
]


def resolve(oid, lv):
    if oid in lv:
        return oid, None
    for pat, rep in ALIASES:
        if re.match(pat, oid):
            t = re.sub(pat, rep, oid)
            if t == "-":
                return None, "folded into the change itself (tollgate reports the keyword change, not its compatibility class)"
            return (t, None) if t in lv else (None, f"(alias {t} not in the catalogue)")
    for pat, why in REASONS:
        if re.search(pat, oid):
            return None, why
    return None, "not covered"


def oasdiff_table(checkout, lv):
    consts = {}
    for f in glob.glob(os.path.join(checkout, "checker", "*.go")):
        for m in re.finditer(r'(\w+Id)\s*=\s*"([a-z0-9-]+)"', open(f).read()):
            consts[m.group(1)] = m.group(2)
    src = open(os.path.join(checkout, "checker", "rules.go")).read()
    rows, same, alias, none = [], 0, 0, 0
    lvname = {"ERR": "error", "WARN": "warning", "INFO": "info"}
    for m in re.finditer(r"newBackwardCompatibilityRule\((\w+),\s*(\w+),", src):
        oid, olv = consts.get(m.group(1)), lvname[m.group(2)]
        if not oid:
            continue
        t, why = resolve(oid, lv)
        if t == oid:
            same += 1
            rows.append(f"| `{oid}` | {olv} | same | {lv[t]} |")
        elif t:
            alias += 1
            rows.append(f"| `{oid}` | {olv} | `{t}` | {lv[t]} |")
        else:
            none += 1
            rows.append(f"| `{oid}` | {olv} | - | {why} |")
    head = (f"{same + alias + none} oasdiff rules: {same} with the same id in tollgate, {alias} under another id, "
            f"{none} without a tollgate check (the reason is given).\n\n"
            "| oasdiff id | oasdiff level | tollgate id | tollgate level (or why none) |\n|---|---|---|---|")
    return head + "\n" + "\n".join(rows)


def replace(doc, tag, body):
    a, b = f"<!-- {tag}:begin -->", f"<!-- {tag}:end -->"
    i, j = doc.index(a) + len(a), doc.index(b)
    return doc[:i] + "\n" + body + "\n" + doc[j:]


def main():
    path = os.path.join(ROOT, "docs/contract.md")
    doc = open(path).read()
    lv = catalogue()
    doc = replace(doc, "checks", checks_tables())
    if len(sys.argv) > 1:
        doc = replace(doc, "oasdiff", oasdiff_table(sys.argv[1], lv))
    open(path, "w").write(doc)
    print(len(lv), "tollgate ids")


if __name__ == "__main__":
    main()
