#!/usr/bin/env bash
# Benchmark tollgate's Python SAST job against Bandit, Ruff (S rules) and Semgrep on the same tree, and
# against tree-sitter's own parse time for the same files. Prints wall/cpu/peak memory and ratios.
#
#   benches/sast.sh [CORPUS_DIR]
#
# CORPUS_DIR defaults to $SAST_CORPUS or /work/peers/big/src. Build one with (>= 1 M lines):
#   mkdir -p corpus && cd corpus && for p in django==5.2.19 ansible-core==2.19.14 twisted==26.10.0 \
#     celery==5.7.0 tornado==6.6.1 pip==26.3 flask==3.1.3 requests==2.34.2; do
#     pip download --no-deps --no-binary :all: "$p"; done && for f in *.tar.gz; do tar xzf "$f"; done
# Peers come from a virtualenv ($PEERS_VENV, default /work/peers/venv):
#   python3 -m venv /work/peers/venv && /work/peers/venv/bin/pip install bandit ruff semgrep
# Set SKIP_SEMGREP=1 / SKIP_BANDIT=1 to leave a slow peer out.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
corpus="${1:-${SAST_CORPUS:-/work/peers/big/src}}"
venv="${PEERS_VENV:-/work/peers/venv}"
target="${CARGO_TARGET_DIR:-$here/target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$here" && cargo build --release --quiet --example sast_bench)
# Copy it: the target directory may be shared with other worktrees.
cp "$target/release/examples/sast_bench" "$work/sast_bench"
bin="$work/sast_bench"

files=$(find "$corpus" -name '*.py' | wc -l)
read -r lines bytes < <(find "$corpus" -name '*.py' -print0 | xargs -0 cat | wc -l -c)
echo "corpus: $corpus: $files .py files, $lines lines, $((bytes / 1000000)) MB; $(nproc) cores; $(date -u +%FT%TZ)"

# name, command...: runs once, records "wall user+sys maxrss_kb"
declare -A WALL CPU MEM
measure() {
  local name="$1"; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" || true
  # (time prints "Command exited with non-zero status N" first when the tool reports findings)
  read -r w u s m < <(tail -n 1 "$work/$name.time") || true
  WALL[$name]=$w
  CPU[$name]=$(echo "$u + $s" | bc)
  MEM[$name]=$((m / 1024))
  printf '%-22s wall %8.2f s   cpu %8.2f s   peak %6d MiB\n' "$name" "$w" "${CPU[$name]}" "${MEM[$name]}"
}

measure tollgate-sast "$bin" "$corpus"
measure tree-sitter-parse "$bin" "$corpus" --parse-only
measure ruff-S "$venv/bin/ruff" check --select S --isolated --no-cache --exit-zero --output-format concise -q "$corpus"
if [ -z "${SKIP_BANDIT:-}" ]; then
  measure bandit "$venv/bin/bandit" -r -q -f json -o "$work/bandit.json" "$corpus"
fi
if [ -z "${SKIP_SEMGREP:-}" ]; then
  "$venv/bin/python" "$here/benches/semgrep_rules.py" "$here/rules/python" "$work/semgrep.yaml"
  measure semgrep "$venv/bin/semgrep" scan --config "$work/semgrep.yaml" --metrics=off --disable-version-check \
    --jobs "$(nproc)" --quiet --json -o "$work/semgrep.json" "$corpus"
fi
head -3 "$work/tollgate-sast.out"
echo
t=tollgate-sast
printf 'tollgate SAST throughput: %.0f lines/s, %.2f MB/s (wall)\n' \
  "$(echo "$lines / ${WALL[$t]}" | bc -l)" "$(echo "$bytes / 1000000 / ${WALL[$t]}" | bc -l)"
for peer in tree-sitter-parse ruff-S bandit semgrep; do
  [ -n "${WALL[$peer]:-}" ] || continue
  printf '%-18s / tollgate: wall %6.2fx   cpu %6.2fx   (tollgate peak %d MiB vs %d MiB)\n' "$peer" \
    "$(echo "${WALL[$peer]} / ${WALL[$t]}" | bc -l)" "$(echo "${CPU[$peer]} / ${CPU[$t]}" | bc -l)" \
    "${MEM[$t]}" "${MEM[$peer]}"
done
