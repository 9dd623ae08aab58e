#!/usr/bin/env bash
# Start-up benchmark: what one scan costs before and around the work, on trees a pre-commit hook, an editor
# or a CI shard sees. tollgate (this build and the previous release build, in the same run) against Ruff,
# Bandit, Semgrep and detect-secrets on: an empty tree, 10 files, 1,000 files.
#
#   benches/startup.sh [CORPUS_DIR]
#
# CORPUS_DIR (default $SAST_CORPUS or /work/peers/big/src; see benches/sast.sh to make one) gives the files:
# the 10-file tree is its first 10 .py files, the 1,000-file tree its first 1,000 files of any kind.
# TOLLGATE_BIN: this build (default $CARGO_TARGET_DIR/release/tollgate, built here).
# TOLLGATE_PREV_BIN: the previous release build; else PREV_REF (default: the newest tag, else HEAD~1) is
#   checked out in a temporary worktree and built with `cargo build --release` (PREV_TARGET_DIR).
# Peers come from $PEERS_VENV (default /work/peers/venv): pip install ruff bandit semgrep detect-secrets.
# RUNS (default 15) runs per command for tollgate and Ruff; the slow peers run RUNS/5 (at least 2).
# Prints the median wall and cpu and the largest peak RSS of each command.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
corpus="${1:-${SAST_CORPUS:-/work/peers/big/src}}"
venv="${PEERS_VENV:-/work/peers/venv}"
target="${CARGO_TARGET_DIR:-$here/target}"
runs="${RUNS:-15}"
slow_runs=$(( runs / 5 > 2 ? runs / 5 : 2 ))
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
# a previous build with a result cache is measured without it, as this one is
prev_no_cache=""
if "$work/tollgate-prev" scan --help 2>/dev/null | grep -q -- '--no-cache'; then prev_no_cache="--no-cache"; fi

# The trees.
mkdir -p "$work/empty" "$work/ten" "$work/thousand"
find "$corpus" -name '*.py' -type f | LC_ALL=C sort | sed -n 1,10p | while read -r f; do
  cp "$f" "$work/ten/$(echo "${f#"$corpus"/}" | tr / _)"
done
find "$corpus" -type f | LC_ALL=C sort | sed -n 1,1000p | while read -r f; do
  rel="${f#"$corpus"/}"; mkdir -p "$work/thousand/$(dirname "$rel")"; cp "$f" "$work/thousand/$rel"
done
echo "trees: empty, 10 .py files ($(cat "$work"/ten/* | wc -l) lines), 1,000 files ($(du -sh "$work/thousand" | cut -f1)) from $corpus"
echo "$(nproc) cores; $(date -u +%FT%TZ); new: $("$work/tollgate-new" --version), prev: $("$work/tollgate-prev" --version) ($TOLLGATE_PREV_BIN)"
"$venv/bin/python" "$here/benches/semgrep_rules.py" "$here/rules/python" "$work/semgrep.yaml" >/dev/null

# measure NAME RUNS command...: runs the command RUNS times in the tree's directory (cwd=$d, so no tool
# sees the repository around the script), with os.wait4 for per-run cpu (microseconds) and peak RSS;
# prints the median wall and cpu and the largest peak. Exit codes are ignored (findings give 1).
measure() {
  local name="$1" n="$2"; shift 2
  python3 - "$name" "$n" "$d" "$@" <<'EOF'
import os, statistics, subprocess, sys, time
name, n, cwd, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
walls, cpus, mems = [], [], []
for _ in range(n):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    walls.append(time.perf_counter() - t0)
    cpus.append(ru.ru_utime + ru.ru_stime)
    mems.append(ru.ru_maxrss / 1024)
print(f"  {name:<24} wall {statistics.median(walls)*1000:8.1f} ms   cpu {statistics.median(cpus)*1000:8.1f} ms"
      f"   peak {max(mems):6.1f} MiB   ({n} runs)")
EOF
}

for tree in empty ten thousand; do
  d="$work/$tree"
  echo "$tree:"
  measure tollgate "$runs" "$work/tollgate-new" scan . --no-config --no-cache --offline --quiet --no-progress
  measure tollgate-prev "$runs" "$work/tollgate-prev" scan . --no-config $prev_no_cache --offline --quiet --no-progress
  measure tollgate-sast+secrets "$runs" "$work/tollgate-new" scan . --no-config --no-cache --offline --quiet --no-progress --job sast,secrets
  measure ruff-S "$runs" "$venv/bin/ruff" check --select S --isolated --no-cache --exit-zero -q .
  measure bandit "$slow_runs" "$venv/bin/bandit" -r -q .
  measure detect-secrets "$slow_runs" "$venv/bin/detect-secrets" scan --all-files .
  if [ -z "${SKIP_SEMGREP:-}" ]; then
    measure semgrep "$slow_runs" "$venv/bin/semgrep" scan --config "$work/semgrep.yaml" --metrics=off \
      --disable-version-check --quiet .
  fi
done
