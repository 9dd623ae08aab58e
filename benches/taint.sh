#!/usr/bin/env bash
# Taint engine throughput against the tree-sitter parse floor, Bandit and Semgrep (taint mode, local rules)
# on the same tree, in one run, with ratios.
#
# usage: benches/taint.sh DIR [PEERS_BIN]
#   DIR        a tree of Python files (e.g. unpacked PyPI sdists)
#   PEERS_BIN  where bandit and semgrep live (default /work/peers/venv/bin)
# Needs a release build of the example: cargo build --release --example taint_scan
# SKIP_BANDIT=1 leaves Bandit out (it takes minutes on a large tree).
set -euo pipefail
DIR=${1:?usage: benches/taint.sh DIR [PEERS_BIN]}
PEERS=${2:-/work/peers/venv/bin}
TARGET=${CARGO_TARGET_DIR:-target}
BIN="$TARGET/release/examples/taint_scan"
[ -x "$BIN" ] || { echo "build first: cargo build --release --example taint_scan" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Semgrep taint rules equivalent to tollgate's (same sinks and sanitizers, web/CLI/env sources), generated
# from rules/python by benches/taint_semgrep_rules.py (needs PyYAML, which Semgrep's venv has).
HERE=$(cd "$(dirname "$0")/.." && pwd)
"$PEERS/python" "$HERE/benches/taint_semgrep_rules.py" "$HERE/rules/python" "$TMP/semgrep-taint.yaml"

measure() { # label command...
  local label=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$TMP/t" "$@" > /dev/null 2> "$TMP/err" || true
  read -r wall user sys rss < <(tail -1 "$TMP/t")
  local cpu; cpu=$(echo "$user + $sys" | bc)
  printf "%-28s wall %7.2fs  cpu %7.2fs  peak %6d MiB\n" "$label" "$wall" "$cpu" $((rss / 1024))
  echo "$cpu" > "$TMP/cpu_$label"
}

echo "tree: $DIR ($(find "$DIR" -name '*.py' | wc -l) .py files, $(find "$DIR" -name '*.py' -print0 | xargs -0 cat | wc -l) lines)"
measure parse-floor "$BIN" "$DIR" --quiet --parse-only
measure tollgate-taint "$BIN" "$DIR" --quiet
tail -1 "$TMP/err"
if [ -x "$PEERS/bandit" ] && [ -z "${SKIP_BANDIT:-}" ]; then
  measure bandit "$PEERS/bandit" -r -q -f json "$DIR"
fi
if [ -x "$PEERS/semgrep" ]; then
  # Semgrep skips test directories unless the project has its own .semgrepignore: scan a copy that has an
  # empty one, so that both tools read the same files.
  mkdir -p "$TMP/tree" && cp -r "$DIR"/. "$TMP/tree/" && touch "$TMP/tree/.semgrepignore"
  (cd "$TMP/tree" && measure semgrep-taint "$PEERS/semgrep" scan --metrics=off --disable-version-check \
    --config "$TMP/semgrep-taint.yaml" --max-target-bytes 0 -q --json .)
fi
t=$(cat "$TMP/cpu_tollgate-taint")
echo
printf "taint / parse floor : %.2fx\n" "$(echo "$t / $(cat "$TMP/cpu_parse-floor")" | bc -l)"
for peer in bandit semgrep-taint; do
  [ -f "$TMP/cpu_$peer" ] && printf "%-13s / taint : %.1fx less cpu for tollgate\n" "$peer" "$(echo "$(cat "$TMP/cpu_$peer") / $t" | bc -l)"
done
