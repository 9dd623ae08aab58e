#!/usr/bin/env bash
# SCA benchmark: tollgate's advisory database (cold load, warm load from the cached index) and matcher
# (a generated 2,000-package lockfile) against a plain Python script reading the same zips with json.
# Targets (issue 4): warm load < 100 ms, matching 2,000 packages < 20 ms, cold load >= 5x faster than Python.
#
# usage: benches/sca.sh [OSV_DIR]   (default ../shared/osv)
set -euo pipefail
cd "$(dirname "$0")/.."
OSV=${1:-${TOLLGATE_SHARED_OSV:-$(cd .. && pwd)/shared/osv}}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/tollgate/target}
cargo build --release --quiet --example sca_bench
echo "machine: $(nproc) cores; $(uname -sr); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(times are the best of several runs: the minimum is the least disturbed by other processes)"
out=$("$CARGO_TARGET_DIR/release/examples/sca_bench" "$OSV" 2000 10)
echo "$out"
py=$(python3 benches/sca_python_load.py "$OSV" 5)
echo "$py"
python3 - "$out" "$py" <<'PY'
import re, sys
vals = {}
for line in (sys.argv[1] + "\n" + sys.argv[2]).splitlines():
    m = re.match(r"(\w+)=([\d.]+)", line)
    if m:
        vals[m.group(1)] = float(m.group(2))
ratio = vals["python_cold_load_ms"] / vals["cold_load_ms"]
print(f"cold load: tollgate {vals['cold_load_ms']:.0f} ms vs python {vals['python_cold_load_ms']:.0f} ms = {ratio:.1f}x faster (target >= 5x)")
print(f"warm load: {vals['warm_load_ms']:.1f} ms (target < 100 ms)")
print(f"matching {int(vals['packages'])} packages: {vals['match_ms']:.2f} ms (target < 20 ms)")
cpu_ratio = vals["python_cold_load_cpu_ms"] / vals["cold_load_cpu_ms"]
print(f"  in CPU time: tollgate {vals['cold_load_cpu_ms']:.0f} ms (all threads) vs python {vals['python_cold_load_cpu_ms']:.0f} ms = {cpu_ratio:.1f}x less work")
print(f"  warm load CPU {vals['warm_load_cpu_ms']:.1f} ms; matching on one thread: {vals['match_one_thread_cpu_ms']:.2f} ms CPU")
ok = ratio >= 5 and vals["warm_load_ms"] < 100 and vals["match_ms"] < 20
print("targets:", "met" if ok else "NOT met")
PY
