#!/usr/bin/env bash
# The CI formats against their consumers' rules: `--format junit` validated with Python's xmlschema against
# tests/schemas/junit.xsd (for the report fixture, the demo, a clean scan and a scan error), and
# `--format sarif` of a sharded-then-merged scan byte-identical to the unsharded one.
#
# usage: tests/ci/report.sh [TOLLGATE_BINARY]   (default $TOLLGATE_BIN)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-${TOLLGATE_BIN:-}}
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
  echo "no tollgate binary: pass it or set TOLLGATE_BIN"; exit 1
fi
TOOLS=${TOLLGATE_CI_TOOLS:-$HOME/.cache/tollgate/ci-tools}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$TOOLS"
if [ ! -x "$TOOLS/venv/bin/python" ]; then
  python3 -m venv "$TOOLS/venv"
fi
PY="$TOOLS/venv/bin/python"
"$PY" -c 'import xmlschema' 2>/dev/null || "$TOOLS/venv/bin/pip" install --quiet 'xmlschema>=3,<5'

scan() { # OUT ARGS... (the gate's exit code is not the point here)
  local out=$1; shift
  "$BIN" scan --no-progress --no-step-summary "$@" > "$out" || [ $? -le 2 ]
}
scan "$WORK/report.xml" fixtures/report --osv-db fixtures/demo-osv -f junit
scan "$WORK/demo.xml" fixtures/demo -f junit
mkdir -p "$WORK/clean" && echo 'print("hello")' > "$WORK/clean/ok.py"
scan "$WORK/clean.xml" "$WORK/clean" --job secrets,sast -f junit
# an SCA job that cannot run: the gate is an error, the report still valid
echo 'requests==2.0.0' > "$WORK/clean/requirements.txt"
scan "$WORK/error.xml" "$WORK/clean" --job sca --osv-db "$WORK/no-db" -f junit

"$PY" - "$WORK" <<'PY'
import sys, pathlib, xmlschema
work = pathlib.Path(sys.argv[1])
schema = xmlschema.XMLSchema("tests/schemas/junit.xsd")
# the schema can say no
bad = '<testsuites tests="1" failures="0" errors="0"><testsuite name="s" tests="1" failures="0" errors="0"><testcase name="x"/></testsuite></testsuites>'
assert not schema.is_valid(bad), "schema accepted a test case without classname"
for name in ["report.xml", "demo.xml", "clean.xml", "error.xml"]:
    schema.validate(str(work / name))
    print(f"junit {name}: valid")
PY
grep -q '<error message="ERROR' "$WORK/error.xml" || { echo "error.xml: the gate error is not an <error>"; exit 1; }

for i in 1 2 3; do
  scan "$WORK/s$i.txt" fixtures/demo --shard "$i/3" -q --sarif-out "$WORK/s$i.sarif"
done
scan "$WORK/full.txt" fixtures/demo -q --sarif-out "$WORK/full.sarif"
"$BIN" sarif merge "$WORK/s1.sarif" "$WORK/s2.sarif" "$WORK/s3.sarif" -o "$WORK/merged.sarif" || [ $? -le 1 ]
cmp "$WORK/full.sarif" "$WORK/merged.sarif"
echo "sarif merge of 3 shards of the demo: byte-identical to the unsharded scan"

# A hostile tree (names with spaces, %, #, ?, non-ASCII and non-UTF-8 bytes; a symlink loop; a long path)
# through the SARIF multitool with GitHub's ingestion rules, where the multitool runs.
H="$WORK/hostile"
mkdir -p "$H/dir with space/50%/#hash?q" "$H/$(printf 'bad\xffname')" "$H/日本"
printf 'import os\ndef f(r):\n    os.system(r.args.get("c"))\n' > "$H/dir with space/50%/#hash?q/a b.py"
printf 'AWS_ACCESS_KEY_ID = "AKIAZ7Q2MXK4WB3RJT5N"\n' > "$H/$(printf 'bad\xffname')/x%2F.env"
printf 'token: ghp_4mX9qL2vT8nR5wK1pZ7cY3bH6jD0fG2sE9aQ\n' > "$H/日本/設定.yaml"
ln -s .. "$H/日本/loop"
long="$H"; for i in $(seq 10); do long="$long/$(printf 'd%.0s' $(seq 90))$i"; done
mkdir -p "$long" && cp "$H/dir with space/50%/#hash?q/a b.py" "$long/deep.py"
scan "$WORK/hostile.txt" "$H" -q --sarif-out "$WORK/hostile.sarif"
"$PY" tests/ci/validate_sarif.py "${SARIF_SCHEMA:-tests/schemas/sarif-schema-2.1.0.json}" "$WORK/hostile.sarif"
MT="$TOOLS/sarif-multitool/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
if [ -x "$MT" ] && timeout 60 "$MT" --version >/dev/null 2>&1; then
  timeout 300 "$MT" validate --rule-kind "Sarif;Gh" --level "Error;Warning" -o "$WORK/hostile-validation.sarif" "$WORK/hostile.sarif" >/dev/null
  "$PY" tests/ci/multitool_results.py "$WORK/hostile-validation.sarif"
  echo "hostile tree: the multitool accepts the SARIF"
else
  echo "hostile tree: sarif-multitool is not runnable here; schema-validated only"
fi
