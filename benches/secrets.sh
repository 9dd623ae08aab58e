#!/usr/bin/env bash
# Secrets-scan benchmark: tollgate vs. reading the files (cat) vs. detect-secrets (PyPI), same trees, same run.
#
#   benches/secrets.sh            # 200 MB generated tree, 20 MB sample for detect-secrets, real sdists
#   SIZE_MB=50 DS_SAMPLE_MB=5 benches/secrets.sh
#
# Trees (outside the repository, under $WORK):
#   real/    sdists of requests, flask, fastapi and django from PyPI (pip download --no-binary :all:)
#   genN/    N MB of real text re-mixed into new files plus planted secrets in .env, Dockerfile, Kubernetes
#            Secret, YAML, JSON, INI, shell, Python, JS files (benches/secrets_gen.py; manifest genN.planted.tsv)
# Measured: `tollgate scan TREE --job secrets --format json` (the release binary, real CLI), `find TREE -type f
# | xargs cat > /dev/null` (the time to just read the files), `detect-secrets scan --all-files TREE` (on the
# real subset without django and on the DS_SAMPLE_MB generated tree: detect-secrets needs ~6 s per MB here).
# Prints MB/s, wall and cpu seconds, ratios, and recall of planted secrets per category for both tools.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS=${PEERS:-/work/peers}
WORK=${WORK:-$PEERS/secrets-bench}
SIZE_MB=${SIZE_MB:-200}
DS_SAMPLE_MB=${DS_SAMPLE_MB:-20}
THREADS=${THREADS:-$(nproc)}
RUNS=${RUNS:-3}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/tollgate/target}
mkdir -p "$WORK"

echo "== build (release)"
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
# The target dir may be shared by several checkouts: keep a private copy of this build.
TG="$WORK/tollgate"
cp "$CARGO_TARGET_DIR/release/tollgate" "$TG"

echo "== peers"
DS="$PEERS/venv-ds/bin/detect-secrets"
if [ ! -x "$DS" ]; then
  python3 -m venv "$PEERS/venv-ds"
  "$PEERS/venv-ds/bin/pip" install --quiet detect-secrets
fi
echo "detect-secrets $("$DS" --version)"

echo "== trees"
REAL="$WORK/real"
if [ ! -d "$REAL/django" ]; then
  rm -rf "$REAL" "$WORK/sdists"
  mkdir -p "$REAL" "$WORK/sdists"
  python3 -m pip download --quiet --no-deps --no-binary :all: -d "$WORK/sdists" \
    requests==2.34.2 flask==3.1.3 fastapi==0.165.0 django==5.2.19 ||
    cp /work/peers/corpus/sdists/*.tar.gz "$WORK/sdists/"
  for f in "$WORK"/sdists/*.tar.gz; do tar xzf "$f" -C "$REAL"; done
  for d in "$REAL"/*-*; do mv "$d" "$REAL/$(basename "$d" | sed 's/-[0-9].*//' | tr 'A-Z' 'a-z')"; done
fi
REAL_SMALL="$WORK/real-small"
if [ ! -d "$REAL_SMALL" ]; then
  mkdir -p "$REAL_SMALL"
  for p in requests flask fastapi; do cp -r "$REAL/$p" "$REAL_SMALL/"; done
fi
GEN="$WORK/gen$SIZE_MB"
[ -d "$GEN" ] || python3 "$ROOT/benches/secrets_gen.py" --out "$GEN" --size-mb "$SIZE_MB" --corpus "$REAL" --seed 1
SAMPLE="$WORK/gen$DS_SAMPLE_MB"
[ -d "$SAMPLE" ] || python3 "$ROOT/benches/secrets_gen.py" --out "$SAMPLE" --size-mb "$DS_SAMPLE_MB" --corpus "$REAL" --seed 2

mb() { find "$1" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%.1f", s/1048576}'; }

# measure NAME CMD...: median wall and cpu (user+sys) of $RUNS runs -> prints "wall cpu"
measure() {
  local walls=() cpus=() i out
  local tf
  tf=$(mktemp)
  for ((i = 0; i < RUNS; i++)); do
    /usr/bin/time -o "$tf" -f '%e %U %S' "$@" >/dev/null 2>/dev/null || true
    out=$(tail -1 "$tf")
    walls+=("$(echo "$out" | awk '{print $1}')")
    cpus+=("$(echo "$out" | awk '{print $2 + $3}')")
  done
  local w c
  w=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  c=$(printf '%s\n' "${cpus[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$w $c"
}

readall() { find "$1" -type f -print0 | xargs -0 cat >/dev/null; }
export -f readall

tollgate_scan() {
  local tree=$1
  shift
  # --no-cache: every run scans every file (the result cache would make runs after the first free).
  "$TG" scan "$tree" --job secrets --format json --no-config --no-cache --fail-on never --no-progress -j "$THREADS" "$@"
}
export -f tollgate_scan
export TG THREADS

row() { # label MB wall cpu
  awk -v l="$1" -v mb="$2" -v w="$3" -v c="$4" \
    'BEGIN {printf "  %-38s %8.1f MB %8.2f s wall %8.2f s cpu %9.1f MB/s\n", l, mb, w, c, (w > 0 ? mb / w : 0)}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", (b > 0 ? a / b : 0)}'; }

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), threads=$THREADS, runs=$RUNS (median)"

bench_tree() { # label tree with_ds
  local label=$1 tree=$2 with_ds=$3 size
  size=$(mb "$tree")
  readall "$tree" # warm the page cache
  read -r rw rc < <(measure bash -c "readall '$tree'")
  read -r tw tc < <(measure bash -c "tollgate_scan '$tree'")
  # The same binary with every rule disabled: walk, binary check and reading, no matching.
  read -r nw nc < <(measure bash -c "tollgate_scan '$tree' --ignore SEC-")
  echo "-- $label ($tree)"
  row "read (find | xargs cat)" "$size" "$rw" "$rc"
  row "tollgate, all rules off (walk+read)" "$size" "$nw" "$nc"
  row "tollgate scan --job secrets" "$size" "$tw" "$tc"
  echo "  tollgate / read time: $(ratio "$tw" "$rw")x wall, $(ratio "$tc" "$rc")x cpu (cat);" \
    "$(ratio "$tw" "$nw")x wall, $(ratio "$tc" "$nc")x cpu (tollgate walk+read)"
  if [ "$with_ds" = yes ]; then
    # One run (it is slow); its report is kept for the recall comparison.
    local out tf
    tf=$(mktemp)
    /usr/bin/time -o "$tf" -f '%e %U %S' bash -c "cd '$(dirname "$tree")' && '$DS' scan --all-files '$(basename "$tree")' > '$WORK/ds-$(basename "$tree").json'" 2>/dev/null || true
    out=$(tail -1 "$tf")
    dw=$(echo "$out" | awk '{print $1}')
    dc=$(echo "$out" | awk '{print $2 + $3}')
    row "detect-secrets scan --all-files" "$size" "$dw" "$dc"
    echo "  detect-secrets / tollgate: $(ratio "$dw" "$tw")x wall, $(ratio "$dc" "$tc")x cpu"
  fi
}

bench_tree "real tree: requests+flask+fastapi" "$REAL_SMALL" yes
bench_tree "real tree: + django" "$REAL" no
bench_tree "generated tree ($SIZE_MB MB)" "$GEN" no
bench_tree "generated sample ($DS_SAMPLE_MB MB)" "$SAMPLE" yes

echo "== recall of planted secrets on the $DS_SAMPLE_MB MB sample"
tollgate_scan "$SAMPLE" >"$WORK/tollgate.json" || true
python3 - "$SAMPLE" "$WORK/tollgate.json" "$WORK/ds-$(basename "$SAMPLE").json" <<'EOF'
import json, os, sys
from collections import Counter
sample, tg, ds = sys.argv[1:]
base = os.path.basename(sample.rstrip("/"))
manifest = [l.rstrip("\n").split("\t") for l in open(os.path.join(os.path.dirname(sample), base + ".planted.tsv"))]
planted = {(p, int(l)): c for p, l, c in manifest}
tgf = {(f["location"]["path"], f["location"]["start_line"]) for f in json.load(open(tg))["findings"]}
dsf = set()
for p, rs in json.load(open(ds))["results"].items():
    p = p[len(base) + 1:] if p.startswith(base + "/") else p
    for r in rs:
        dsf.add((p, r["line_number"]))
tot, a, b = Counter(), Counter(), Counter()
for k, c in planted.items():
    tot[c] += 1
    a[c] += k in tgf
    b[c] += k in dsf
print(f"  {'category':24} {'planted':>8} {'tollgate':>9} {'detect-secrets':>15}")
for c in sorted(tot):
    print(f"  {c:24} {tot[c]:8} {a[c]:9} {b[c]:15}")
n = len(planted)
print(f"  {'total':24} {n:8} {sum(a.values()):9} {sum(b.values()):15}")
print(f"  other findings (not planted; the sample re-mixes real test/doc text): tollgate {len(tgf - set(planted))}, "
      f"detect-secrets {len(dsf - set(planted))}")
EOF
