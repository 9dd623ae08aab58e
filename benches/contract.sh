#!/usr/bin/env bash
# Contract-diff benchmark: tollgate vs Optic on real GitHub Enterprise Server descriptions.
#
#   benches/contract.sh [PEERS_DIR]
#
# Needs (outside the repo, in PEERS_DIR, default /work/peers):
#   octokit/package/generated/ghes-3.1{7,8,9}{,.deref}.json   (npm pack @octokit/openapi; tar xzf)
#   optic/node_modules/.bin/optic                              (npm install --ignore-scripts @useoptic/optic)
# Measures (release build, /usr/bin/time -v: wall time and peak RSS):
#   1. ghes-3.17 -> ghes-3.18 (11 MB JSON each)            target < 1 s, < 300 MiB
#   2. the .deref.json pair (63 MB each)                     target < 5 s
#   3. a ~1.7 MB pair cut from ghes-3.18 -> 3.19 (/orgs/ and /enterprises/ operations and the components
#      they reach), tollgate and Optic side by side          target >= 20x faster than Optic
#   4. the hand-edited ghes-3.18 check (exactly the known edits are reported)
set -euo pipefail
PEERS=${1:-/work/peers}
GEN=$PEERS/octokit/package/generated
OPTIC=$PEERS/optic/node_modules/.bin/optic
HERE=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/tollgate/target}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

(cd "$HERE" && cargo build --release --quiet --bin tollgate --example contract_diff)
# `tollgate diff` once the lead has wired it into the CLI; the standalone example until then.
if "$CARGO_TARGET_DIR/release/tollgate" diff --help 2>/dev/null | grep -q -- --fail-on; then
  TG=("$CARGO_TARGET_DIR/release/tollgate" diff)
else
  TG=("$CARGO_TARGET_DIR/release/examples/contract_diff")
fi

# run NAME CMD...: best of 3 wall times, peak RSS of that run; prints "seconds MiB"
measure() {
  local best="" mem=""
  for _ in 1 2 3; do
    /usr/bin/time -v "$@" >"$WORK/out" 2>"$WORK/time" || true
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/time")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$WORK/time")
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; mem=$rss; fi
  done
  echo "$best $mem"
}

printf '%-44s %10s %10s %s\n' "case" "wall (s)" "peak MiB" "result"
read -r t m < <(measure "${TG[@]}" "$GEN/ghes-3.17.json" "$GEN/ghes-3.18.json")
printf '%-44s %10s %10s %s\n' "tollgate ghes-3.17 -> 3.18 (11 MB)" "$t" "$m" "$(tail -1 "$WORK/out")"
read -r t m < <(measure "${TG[@]}" "$GEN/ghes-3.18.json" "$GEN/ghes-3.19.json")
printf '%-44s %10s %10s %s\n' "tollgate ghes-3.18 -> 3.19 (11 MB)" "$t" "$m" "$(tail -1 "$WORK/out")"
read -r t m < <(measure "${TG[@]}" "$GEN/ghes-3.17.deref.json" "$GEN/ghes-3.18.deref.json")
printf '%-44s %10s %10s %s\n' "tollgate ghes-3.17 -> 3.18 deref (63 MB)" "$t" "$m" "$(tail -1 "$WORK/out")"

python3 "$HERE/benches/contract_subset.py" "$GEN/ghes-3.18.json" "$GEN/ghes-3.19.json" "$WORK" /orgs/ /enterprises/ >/dev/null
B=$WORK/ghes-3.18.subset.json
R=$WORK/ghes-3.19.subset.json
read -r tt tm < <(measure "${TG[@]}" "$B" "$R")
printf '%-44s %10s %10s %s\n' "tollgate subset 3.18 -> 3.19 ($(($(stat -c %s "$R") / 1024)) KiB)" "$tt" "$tm" "$(tail -1 "$WORK/out")"
if [ -x "$OPTIC" ]; then
  export OPTIC_TELEMETRY_LEVEL=off
  /usr/bin/time -v "$OPTIC" diff "$B" "$R" --check --validation loose >"$WORK/out" 2>"$WORK/time" || true
  ot=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/time")
  om=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$WORK/time")
  printf '%-44s %10s %10s %s\n' "optic diff --check, same subset" "$ot" "$om" "$(grep -m1 'Checks:' "$WORK/out" || echo '?')"
  awk -v o="$ot" -v t="$tt" -v om="$om" -v tm="$tm" 'BEGIN{printf "ratio optic/tollgate: %.0fx faster, %.0fx less memory\n", o/t, om/tm}'
else
  echo "optic not found at $OPTIC: skipped"
fi
python3 "$HERE/benches/contract_edits.py" "$GEN/ghes-3.18.json" "$WORK" "${TG[@]}" | sed 's/^/edits: /'
