#!/usr/bin/env bash
# Run every fuzz target for SECS seconds each (default 600), one after the other, one job each, on the
# stable toolchain (no sanitizer: --sanitizer none), one fuzzing process per target. Crashes land in fuzz/artifacts/<target>/.
# Usage: fuzz/run-all.sh [SECS] [TARGET...]
set -uo pipefail
cd "$(dirname "$0")"
SECS=${1:-600}; shift || true
TARGETS=${*:-$(ls fuzz_targets | sed 's/\.rs$//')}
[ -d corpus ] || ./seed.sh
mkdir -p logs
for t in $TARGETS; do
  mkdir -p "corpus/$t" "artifacts/$t"
  start=$(date +%s)
  cargo fuzz run --sanitizer none "$t" "corpus/$t" -- \
    -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="artifacts/$t/" > "logs/$t.log" 2>&1
  rc=$?
  end=$(date +%s)
  execs=$(grep -ho 'stat::number_of_executed_units: [0-9]*' logs/$t*.log | tail -1 | awk '{print $2}')
  last=$(grep -hE '#[0-9]+' logs/$t*.log | tail -1 | cut -c1-100)
  echo "$t: ran $((end-start)) s, exit $rc, crashes $(ls artifacts/$t | wc -l), last: $last"
done
