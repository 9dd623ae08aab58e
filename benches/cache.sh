#!/usr/bin/env bash
# Result-cache benchmark: a full scan (every job) of a large tree, cold (empty cache), warm (nothing
# changed), and after touching one file; next to the same build with --no-cache and the previous release
# build (which has no cache), in the same run. The target: the re-scan after touching one file costs under
# 5% of the cold scan's cpu.
#
#   benches/cache.sh [CORPUS_DIR]
#
# CORPUS_DIR defaults to $SAST_CORPUS or /work/peers/big/src (see benches/sast.sh). It is copied first
# (the touched file is edited in the copy). TOLLGATE_BIN / TOLLGATE_PREV_BIN / PREV_REF as in
# benches/startup.sh. RUNS (default 3) runs of each warm measurement; the median is printed.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
corpus="${1:-${SAST_CORPUS:-/work/peers/big/src}}"
target="${CARGO_TARGET_DIR:-$here/target}"
runs="${RUNS:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"; [ -n "${prev_wt:-}" ] && git -C "$here" worktree remove --force "$prev_wt" >/dev/null 2>&1 || true' EXIT

if [ -z "${TOLLGATE_BIN:-}" ]; then
  (cd "$here" && cargo build --release --quiet --locked)
  TOLLGATE_BIN="$target/release/tollgate"
fi
cp "$TOLLGATE_BIN" "$work/tollgate-new"
if [ -z "${TOLLGATE_PREV_BIN:-}" ]; then
  ref="${PREV_REF:-$(git -C "$here" describe --tags --abbrev=0 2>/dev/null || echo HEAD~1)}"
  prev_wt="$work/prev-src"
  git -C "$here" worktree add --detach --quiet "$prev_wt" "$ref"
  (cd "$prev_wt" && CARGO_TARGET_DIR="${PREV_TARGET_DIR:-$target-prev}" cargo build --release --quiet --locked)
  TOLLGATE_PREV_BIN="${PREV_TARGET_DIR:-$target-prev}/release/tollgate"
fi
cp "$TOLLGATE_PREV_BIN" "$work/tollgate-prev"

cp -r "$corpus" "$work/tree"
tree="$work/tree"
files=$(find "$tree" -type f | wc -l)
read -r lines bytes < <(find "$tree" -name '*.py' -print0 | xargs -0 cat | wc -l -c)
echo "tree: $files files, $lines lines of Python ($((bytes / 1000000)) MB); $(nproc) cores; $(date -u +%FT%TZ)"
export XDG_CACHE_HOME="$work/home"
cache="$work/cache"
scan=("$work/tollgate-new" scan "$tree" --no-config --offline --quiet --no-progress)

# measure NAME RUNS command...: median wall and cpu, max peak RSS.
measure() {
  local name="$1" n="$2"; shift 2
  : >"$work/$name.times"
  for _ in $(seq "$n"); do
    /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$@" >/dev/null 2>&1 || true
    tail -n 1 "$work/t" >>"$work/$name.times"
  done
  python3 - "$name" "$work/$name.times" <<'EOF' | tee -a "$work/summary"
import statistics, sys
rows = [l.split() for l in open(sys.argv[2]) if l.strip()]
wall = statistics.median(float(r[0]) for r in rows)
cpu = statistics.median(float(r[1]) + float(r[2]) for r in rows)
mem = max(int(r[3]) for r in rows) / 1024
print(f"{sys.argv[1]} {wall:.3f} {cpu:.3f} {mem:.1f}")
EOF
}

measure prev-release 1 "$work/tollgate-prev" scan "$tree" --no-config --offline --quiet --no-progress
measure no-cache 1 "${scan[@]}" --no-cache
measure cold 1 "${scan[@]}" --cache-dir "$cache"
measure warm "$runs" "${scan[@]}" --cache-dir "$cache"
# Touch one file: a new function at the end of the first Python file (its results must be recomputed).
one=$(find "$tree" -name '*.py' | LC_ALL=C sort | sed -n 1p)
printf '\n\ndef _touched(x):\n    return eval(x)\n' >>"$one"
measure one-touched 1 "${scan[@]}" --cache-dir "$cache"
measure one-touched-again "$runs" "${scan[@]}" --cache-dir "$cache"
# Same findings with and without the cache after the edit.
"${scan[@]}" --cache-dir "$cache" --format sarif >"$work/cached.sarif" 2>/dev/null || true
"${scan[@]}" --no-cache --format sarif >"$work/plain.sarif" 2>/dev/null || true
if cmp -s "$work/cached.sarif" "$work/plain.sarif"; then same=yes; else same=NO; fi

echo
python3 - "$work/summary" "$same" <<'EOF'
import sys
rows = {l.split()[0]: [float(x) for x in l.split()[1:]] for l in open(sys.argv[1])}
cold = rows["cold"][1]
print(f"{'run':<20} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9} {'cpu vs cold':>12}")
for name, (w, c, m) in rows.items():
    print(f"{name:<20} {w:8.2f} {c:8.2f} {m:9.1f} {100 * c / cold:11.1f}%")
print(f"cached SARIF after the edit identical to an uncached scan: {sys.argv[2]}")
EOF
