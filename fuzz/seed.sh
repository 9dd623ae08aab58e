#!/usr/bin/env bash
# Seed every fuzz target's corpus from fixtures/ (fuzz/corpus/<target>/, not committed).
set -euo pipefail
cd "$(dirname "$0")"
F=../fixtures
seed() { # target, files...
  local t=$1; shift
  mkdir -p "corpus/$t"
  for f in "$@"; do [ -f "$f" ] && cp "$f" "corpus/$t/$(echo "${f#../}" | tr / _)"; done
}
seed doc_json $(find $F -name '*.json' -size -64k)
seed doc_yaml $(find $F -name '*.yaml' -size -64k -o -name '*.yml' -size -64k)
seed doc_toml $(find $F -name '*.toml' -size -64k -o -name '*.lock' -size -64k)
seed openapi $(find $F/openapi $F/demo -name '*.yaml' -size -64k)
seed rules $(find ../rules ../src -name '*.yaml' -size -64k 2>/dev/null)
seed baseline $(find $F ../tests -name '*.sarif' -size -64k -o -name '*baseline*.json' -size -64k)
seed python $(find $F/python $F/demo -name '*.py' -size -64k)
seed requirements $(find $F -name '*requirements*.txt' -o -name 'constraints*.txt')
# manifests: the first byte selects the parser (index in fuzz_targets/manifests.rs NAMES)
mkdir -p corpus/manifests
i=0
for n in requirements.txt package.json pyproject.toml Pipfile package-lock.json Cargo.lock poetry.lock Pipfile.lock uv.lock yarn.lock pnpm-lock.yaml; do
  for f in $(find $F/sca/manifests -name "$n" -size -64k); do
    { printf "\\x$(printf %02x $i)"; cat "$f"; } > "corpus/manifests/$i-$(echo "${f#../}" | tr / _)"
  done
  i=$((i+1))
done
for d in corpus/*; do echo "$d: $(ls "$d" | wc -l) seeds"; done
# baselines: a tollgate baseline and a SARIF log (written by tollgate itself when $TOLLGATE_BIN is set)
mkdir -p corpus/baseline
printf '{"tool":"tollgate","version":1,"findings":[{"fingerprint":"ab12","rule_id":"SEC-X","path":"a.py","line":3}]}\n' > corpus/baseline/baseline.json
printf '{"version":"2.1.0","runs":[{"results":[{"ruleId":"X","partialFingerprints":{"tollgate/v1":"ab12"}}]}]}\n' > corpus/baseline/min.sarif
if [ -n "${TOLLGATE_BIN:-}" ]; then
  "$TOLLGATE_BIN" scan --no-progress --format sarif -o corpus/baseline/demo.sarif "$F/demo" >/dev/null 2>&1 || true
fi
