#!/usr/bin/env python3
"""Cross-check tollgate's SCA findings against the OSV snapshot with an independent, stdlib-only evaluator.

usage: sca_osv_check.py REPORT.json OSV_DIR PROJECT_DIR EXPECTED.txt

- REPORT.json: tollgate's JSON report (or a bare list of findings);
- OSV_DIR: `<dir>/<ECOSYSTEM>/all.zip` (read with zipfile + json);
- PROJECT_DIR: the scanned tree; its requirements*.txt `pkg==x.y.z` lines, package-lock.json v2/v3
  `packages` and exact package.json versions (when no lockfile is next to it) are read here too, so that
  misses are found as well as false positives (npm findings may be at the package.json line or at the
  lockfile entry of the same project);
- EXPECTED.txt: lines `MANIFEST PACKAGE VERSION ADVISORY_ID` that must be reported (the id as rule id or as an
  alias); each is also verified against the zip.

Fails (exit 1) on: an expected advisory missing; a finding whose advisory does not affect the installed
version per the zip; an affecting, non-withdrawn advisory in the zip that no finding covers.
"""
import functools
import json
import os
import re
import sys
import zipfile

ECOS = {"PyPI": "PyPI", "npm": "npm"}


def norm_pypi(n):
    return re.sub(r"[-_.]+", "-", n).lower()


PEP440 = re.compile(r"^v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|alpha|b|beta|c|rc|pre|preview)[-_.]?(\d*))?"
                    r"(?:(?:-(\d+))|(?:[-_.]?(?:post|rev|r)[-_.]?(\d*)))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+[a-z0-9.]+)?$", re.I)


def pep440_key(v):
    m = PEP440.match(v.strip())
    if not m:
        return None
    epoch, rel, pre_l, pre_n, post_a, post_b, dev = m.groups()
    rel = [int(x) for x in rel.split(".")]
    while len(rel) > 1 and rel[-1] == 0:
        rel.pop()
    pre_map = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}
    post = post_a if post_a is not None else post_b
    # pre: (kind, n); a version with only .devN sorts before pre-releases
    if pre_l is not None:
        pre = (pre_map[pre_l.lower()], int(pre_n or 0))
    elif dev is not None and post is None:
        pre = (-1, 0)
    else:
        pre = (3, 0)
    post_k = (int(post or 0),) if post is not None else (-1,)
    dev_k = (int(dev or 0),) if dev is not None else (float("inf"),)
    return (int(epoch or 0), tuple(rel), pre, post_k, dev_k)


SEMVER = re.compile(r"^[=v]?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


class Pre:
    def __init__(self, s):
        self.parts = [] if s is None else s.split(".")

    def key(self):
        return self.parts

    def __lt__(self, o):
        if not self.parts and not o.parts:
            return False
        if not self.parts:
            return False
        if not o.parts:
            return True
        for a, b in zip(self.parts, o.parts):
            if a == b:
                continue
            an, bn = a.isdigit(), b.isdigit()
            if an and bn:
                return int(a) < int(b)
            if an != bn:
                return an
            return a < b
        return len(self.parts) < len(o.parts)

    def __eq__(self, o):
        return self.parts == o.parts


def semver_key(v):
    m = SEMVER.match(v.strip())
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), Pre(m.group(4)))


def cmp(a, b):
    if isinstance(a[-1], Pre):
        if a[:3] != b[:3]:
            return -1 if a[:3] < b[:3] else 1
        if a[3] == b[3]:
            return 0
        return -1 if a[3] < b[3] else 1
    return (a > b) - (a < b)


def parse(eco, v):
    return pep440_key(v) if eco == "PyPI" else semver_key(v)


def affects(eco, entry, version):
    iv = parse(eco, version)
    if iv is None:
        return False
    for listed in entry.get("versions") or []:
        lv = parse(eco, listed)
        if listed == version or (lv is not None and cmp(lv, iv) == 0):
            return True
    for r in entry.get("ranges") or []:
        if r.get("type") not in ("ECOSYSTEM", "SEMVER"):
            continue
        evs, limits, ok = [], [], True
        for e in r.get("events", []):
            (kind, val), = e.items()
            if kind == "introduced" and val == "0":
                evs.append((None, 0, kind))
                continue
            if kind == "limit" and val == "*":
                continue
            pv = parse(eco, val)
            if pv is None:
                ok = False
                break
            if kind == "limit":
                limits.append(pv)
            else:
                evs.append((pv, {"introduced": 0, "last_affected": 1, "fixed": 2}[kind], kind))
        if not ok:
            continue
        def order(a, b):
            if a[0] is None or b[0] is None:
                return (a[0] is not None) - (b[0] is not None) or a[1] - b[1]
            return cmp(a[0], b[0]) or a[1] - b[1]

        evs.sort(key=functools.cmp_to_key(order))
        hit = False
        for pv, _, kind in evs:
            if kind == "introduced" and (pv is None or cmp(iv, pv) >= 0):
                hit = True
            elif kind == "fixed" and cmp(iv, pv) >= 0:
                hit = False
            elif kind == "last_affected" and cmp(iv, pv) > 0:
                hit = False
        if hit and limits:
            hit = any(cmp(iv, l) < 0 for l in limits)
        if hit:
            return True
    return False


def load(osv_dir, eco):
    recs = {}
    with zipfile.ZipFile(os.path.join(osv_dir, eco, "all.zip")) as z:
        for n in z.namelist():
            if n.endswith(".json"):
                r = json.loads(z.read(n))
                recs[r["id"]] = r
    by_pkg = {}
    for r in recs.values():
        for a in r.get("affected") or []:
            p = a.get("package") or {}
            if p.get("ecosystem", "").split(":")[0] != eco:
                continue
            name = norm_pypi(p["name"]) if eco == "PyPI" else p["name"]
            by_pkg.setdefault(name, []).append((r, a))
    return recs, by_pkg


def deps_of(project):
    out = []
    for root, _, files in os.walk(project):
        for f in sorted(files):
            p = os.path.join(root, f)
            rel = os.path.relpath(p, project).replace(os.sep, "/")
            if f.startswith("requirements") and f.endswith(".txt"):
                for line in open(p):
                    m = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s;#]+)", line)
                    if m:
                        out.append(("PyPI", rel, norm_pypi(m.group(1)), m.group(2)))
            elif f == "package.json" and not any(
                    os.path.exists(os.path.join(root, x)) for x in ("package-lock.json", "npm-shrinkwrap.json")):
                pj = json.load(open(p))
                for sec in ("dependencies", "devDependencies", "optionalDependencies"):
                    for name, spec in (pj.get(sec) or {}).items():
                        if isinstance(spec, str) and SEMVER.match(spec.strip()):
                            out.append(("npm", rel, name, spec.strip().lstrip("=v")))
            elif f in ("package-lock.json", "npm-shrinkwrap.json"):
                lock = json.load(open(p))
                for k, e in (lock.get("packages") or {}).items():
                    if "node_modules/" in k and e.get("version"):
                        out.append(("npm", rel, k.rsplit("node_modules/", 1)[1], e["version"]))
    return sorted(set(out))


def where(eco, rel):
    """Where a dependency is reported: for npm the project directory (a direct dependency pinned by
    package-lock.json is reported at its package.json line, a transitive one at its lockfile entry);
    for PyPI the file."""
    return os.path.dirname(rel) if eco == "npm" else rel


def main():
    report, osv_dir, project, expected = sys.argv[1:5]
    data = json.load(open(report))
    findings = data["findings"] if isinstance(data, dict) else data
    sca = [f for f in findings if f.get("job") == "sca" and f["rule_id"] != "SCA-UNPINNED"]
    dbs = {eco: load(osv_dir, eco) for eco in ECOS}
    errors = []
    covered = {}
    for f in sca:
        p = f["properties"]
        eco, pkg, ver = p["ecosystem"], p["package"], p["installed"]
        name = norm_pypi(pkg) if eco == "PyPI" else pkg
        ids = {f["rule_id"], *p.get("aliases", [])}
        covered.setdefault((eco, where(eco, f["location"]["path"]), name, ver), set()).update(ids)
        recs = [(r, a) for r, a in dbs[eco][1].get(name, []) if r["id"] in ids]
        if not recs:
            errors.append(f"finding {f['rule_id']} on {pkg} {ver}: no record with these ids names the package")
        elif not any(affects(eco, a, ver) for r, a in recs if not r.get("withdrawn")):
            errors.append(f"FALSE POSITIVE {f['rule_id']} on {pkg} {ver} ({f['location']['path']}): no record affects it")
    n_deps = n_aff = 0
    for eco, rel, name, ver in deps_of(project):
        n_deps += 1
        for r, a in dbs[eco][1].get(name, []):
            if r.get("withdrawn") or not affects(eco, a, ver):
                continue
            n_aff += 1
            if r["id"] not in covered.get((eco, where(eco, rel), name, ver), set()):
                errors.append(f"MISS {r['id']} on {name} {ver} ({rel})")
    n_exp = 0
    for line in open(expected):
        line = line.split("#")[0].strip()
        if not line:
            continue
        n_exp += 1
        rel, pkg, ver, adv = line.split()
        eco = "npm" if rel.endswith(".json") else "PyPI"
        name = norm_pypi(pkg) if eco == "PyPI" else pkg
        rec = dbs[eco][0].get(adv)
        aliased = [r for r, a in dbs[eco][1].get(name, []) if adv == r["id"] or adv in (r.get("aliases") or [])]
        if not aliased:
            errors.append(f"expected {adv} is not in the snapshot for {pkg}")
        elif not any(affects(eco, a, ver) for r, a in dbs[eco][1].get(name, []) if r in aliased):
            errors.append(f"expected {adv} does not affect {pkg} {ver} per the snapshot")
        if adv not in covered.get((eco, where(eco, rel), name, ver), set()):
            errors.append(f"expected {adv} on {pkg} {ver} ({rel}) was not reported")
    print(f"sca snapshot check: {len(sca)} findings, {n_deps} pinned dependencies, {n_aff} affecting records, "
          f"{n_exp} expected advisories")
    for e in errors:
        print("  " + e)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
