#!/usr/bin/env python3
"""Runs tollgate on oasdiff's own examples of breaking changes and says how many of the ERR-level ones
tollgate reports as errors.

    benches/contract_oasdiff.py OASDIFF_CHECKOUT TOLLGATE_BIN [--list]

OASDIFF_CHECKOUT holds oasdiff's `checker/` (Go tests and rules.go) and `data/`. Each Go test function
of checker/*_test.go that diffs a pair of files from data/ (`open("../data/...")` twice, base then
revision, with no edit of the loaded documents in Go) and expects a change whose rule is ERR in
checker/rules.go is one example. Tests that edit the loaded documents in Go code, need options
(deprecation days, breaking-change flags) or compare more than one pair are skipped and counted.
"""
import glob
import json
import os
import re
import subprocess
import sys


def rules(root):
    consts = {}
    for f in glob.glob(os.path.join(root, "checker", "*.go")):
        for m in re.finditer(r'(\w+Id)\s*=\s*"([a-z0-9-]+)"', open(f).read()):
            consts[m.group(1)] = m.group(2)
    src = open(os.path.join(root, "checker", "rules.go")).read()
    levels = {}
    for m in re.finditer(r"newBackwardCompatibilityRule\((\w+),\s*(\w+),", src):
        if m.group(1) in consts:
            levels[m.group(1)] = (consts[m.group(1)], m.group(2))
    return levels


def examples(root, levels):
    out, skipped = [], 0
    for f in sorted(glob.glob(os.path.join(root, "checker", "*_test.go"))):
        src = open(f).read()
        for m in re.finditer(r"\nfunc (Test\w+)\(t \*testing\.T\) \{\n(.*?)\n\}\n", src, re.S):
            name, body = m.group(1), m.group(2)
            files = re.findall(r'open\("\.\./(data/[^"]+)"', body)
            ids = [levels[i] for i in re.findall(r"checker\.(\w+Id)\b", body) if i in levels]
            err = sorted({i for i, lv in ids if lv == "ERR"})
            # tests that assert a change is NOT reported (or reported below ERR)
            if not err or re.search(r"Not(Breaking|Detected|Reported)|NoChange|EmitsInfo|Info$|Ignored|Skipped|NonBreaking|False", name):
                continue
            if re.search(r"require\.(Empty|Len\(t, \w+, 0\))", body) and "ERR" not in body:
                continue
            # Go edits of the loaded spec, options, or several pairs: not reproducible from files
            edits = re.search(r"\bs[12]\.Spec\.|\.Spec\.Paths|Config\.With|WithOptionalCheck|WithDeprecation|WithAttributes|DeprecationDays|setDeprecation|IncludePathParams|WithChecks|Breaking\w*Flag", body)
            edits = edits or re.search(r"\w+\(t, s[12]\b|\(s[12]\b", body)
            if len(files) != 2 or files[0] == files[1] or edits:
                skipped += 1
                continue
            out.append((os.path.basename(f), name, files[0], files[1], err))
    return out, skipped


def main():
    root, tg = sys.argv[1], sys.argv[2]
    levels = rules(root)
    ex, skipped = examples(root, levels)
    found, missed = 0, []
    for gofile, name, b, r, err in ex:
        p = subprocess.run(
            [tg, "diff", os.path.join(root, b), os.path.join(root, r), "--format", "json", "--fail-on", "never"],
            capture_output=True,
            text=True,
        )
        try:
            changes = json.loads(p.stdout)["changes"]
        except (ValueError, KeyError):
            missed.append((name, err, "tollgate: " + (p.stderr.strip().splitlines() or ["no output"])[-1]))
            continue
        errors = sorted({c["id"] for c in changes if c["level"] == "error"})
        if errors:
            found += 1
        else:
            got = sorted({f'{c["id"]}:{c["level"]}' for c in changes})
            missed.append((name, err, ", ".join(got) or "nothing"))
    print(f"oasdiff ERR-level examples tried: {len(ex)} (skipped {skipped} that edit documents in Go or need options)")
    print(f"reported as an error by tollgate: {found}; missed: {len(missed)}")
    if "--list" in sys.argv:
        for name, err, got in missed:
            print(f"  {name}: oasdiff {', '.join(err)}; tollgate {got}")


if __name__ == "__main__":
    main()
