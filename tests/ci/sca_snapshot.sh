#!/usr/bin/env bash
# SCA against the real offline OSV snapshot: realistic manifests (fixtures/sca/realistic) and the demo project
# (fixtures/demo), cross-checked by an independent Python evaluator reading the snapshot's zips
# (tests/ci/sca_osv_check.py: no false positive, no miss, and the expected advisories).
#
# usage: tests/ci/sca_snapshot.sh [TOLLGATE_BINARY]
#   binary: $1, else $TOLLGATE_BIN (the library-level check runs either way)
#   snapshot: $TOLLGATE_SHARED_OSV, else $TOLLGATE_SHARED/osv, else ../shared/osv
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-${TOLLGATE_BIN:-}}
SHARED=${TOLLGATE_SHARED:-$(cd .. && pwd)/shared}
OSV=${TOLLGATE_SHARED_OSV:-$SHARED/osv}
if [ ! -f "$OSV/PyPI/all.zip" ] || [ ! -f "$OSV/npm/all.zip" ]; then
  echo "no OSV snapshot at $OSV (set TOLLGATE_SHARED_OSV)"; exit 1
fi
OSV=$(cd "$OSV" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/tollgate/target}

echo "-- library: realistic manifests and demo project against $OSV"
TOLLGATE_SHARED_OSV="$OSV" cargo test --locked --quiet --test sca_snapshot -- --ignored

if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
  echo "no tollgate binary given: the command-line part is skipped"
  exit 0
fi

scan() { # DIR OUT -> exit code
  set +e
  XDG_CACHE_HOME="$WORK/cache" TOLLGATE_OSV_DB="$OSV" "$BIN" scan "$1" --job sca --no-config --no-progress \
    --format json --output "$2"
  local rc=$?
  set -e
  return $rc
}

for project in fixtures/sca/realistic fixtures/demo; do
  [ -d "$project" ] || continue
  echo "-- binary: $project"
  expected=fixtures/sca/realistic/expected.txt
  [ "$project" = fixtures/demo ] && expected=tests/ci/sca_demo_expected.txt
  rc=0; scan "$project" "$WORK/out.json" || rc=$?
  if [ "$rc" -ne 1 ]; then
    echo "expected exit 1 (vulnerable dependencies fail the gate), got $rc"; exit 1
  fi
  python3 tests/ci/sca_osv_check.py "$WORK/out.json" "$OSV" "$project" "$expected"
  # The database identity is in the report.
  python3 - "$WORK/out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
props = json.dumps(r.get("properties", {}))
assert "osv_database" in props and "sha256" in props, "no database identity in the report properties"
PY
  # Second run (cached index): same bytes.
  rc=0; scan "$project" "$WORK/out2.json" || rc=$?
  cmp "$WORK/out.json" "$WORK/out2.json"
done

echo "-- binary: no database is an error (exit 2), never a pass"
rc=0
XDG_CACHE_HOME="$WORK/empty-cache" TOLLGATE_OSV_DB="$WORK/nothing-here" "$BIN" scan fixtures/sca/realistic \
  --job sca --no-config --no-progress --quiet >/dev/null 2>&1 || rc=$?
if [ "$rc" -ne 2 ]; then echo "expected exit 2 without a database, got $rc"; exit 1; fi

echo "-- binary: db info"
"$BIN" db info --osv-db "$OSV"
echo "sca snapshot checks passed"
