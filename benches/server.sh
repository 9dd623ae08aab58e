#!/usr/bin/env bash
# Load benchmark of `tollgate serve` on 127.0.0.1 with oha (cargo install oha): throughput and p50/p99 of
# a small JSON scan and of a 5 MB tarball at concurrency 1, 8 and 64, the service's cpu per scan against
# the CLI's on the same tree, peak RSS, and RSS over a soak. Nothing leaves the machine.
#
#   cargo build --release && cargo install oha
#   benches/server.sh                    # SOAK=600 (seconds) by default; SOAK=0 skips it
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TOLLGATE_BIN:-${CARGO_TARGET_DIR:-target}/release/tollgate}
OHA=${OHA:-oha}
DUR=${DUR:-10}
SOAK=${SOAK:-600}
W=$(mktemp -d)
SPID=
trap '[ -n "$SPID" ] && kill $SPID 2>/dev/null; rm -rf "$W"' EXIT
command -v "$OHA" >/dev/null || { echo "oha not found (cargo install oha)"; exit 2; }

# A small scan: one Flask handler with a command injection.
python3 - "$W/small.json" <<'PY'
import json, sys
src = "from flask import Flask, request\nimport subprocess\napp = Flask(__name__)\n\n@app.route('/run')\ndef run():\n    cmd = request.args.get('cmd')\n    return subprocess.check_output(cmd, shell=True)\n"
json.dump({"files": [{"path": "app.py", "content": src}, {"path": "requirements.txt", "content": "flask==2.0.0\n"}]}, open(sys.argv[1], "w"))
PY
# A 5 MB tarball of real code: the Python standard library's modules, as many as fit in 5 MB gzip'd.
python3 - "$W" <<'PY'
import io, os, sys, sysconfig, tarfile
w = sys.argv[1]
lib = sysconfig.get_paths()["stdlib"]
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(lib) if "site-packages" not in d
               for f in fs if f.endswith(".py"))
def build(n):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for p in files[:n]:
            t.add(p, arcname=os.path.relpath(p, lib))
    return buf.getvalue()
n = 500
while True:
    data = build(n)
    if len(data) >= 5_000_000 or n >= len(files):
        break
    n += 250
open(os.path.join(w, "big.tgz"), "wb").write(data)
PY
mkdir -p "$W/tree" && tar -xzf "$W/big.tgz" -C "$W/tree"
echo "tree: $(du -sh "$W/tree" | cut -f1) in $(find "$W/tree" -type f | wc -l) files; tarball $(stat -c %s "$W/big.tgz") bytes"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT/v1/scans"
"$BIN" serve --addr 127.0.0.1:$PORT --data-dir "$W/data" --osv-db fixtures/demo-osv \
  --max-concurrent-scans 16 --async-threshold 1G --retention 30s --log-format json 2>"$W/serve.log" &
SPID=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$SPID/stat"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$SPID/status"; }
hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$SPID/status"; }
HZ=$(getconf CLK_TCK)

run_oha() { # name concurrency ctype file extra-args...
  local name=$1 c=$2 ct=$3 body=$4; shift 4
  "$OHA" --no-tui --output-format json -c "$c" -m POST -T "$ct" -D "$body" "$@" "$URL" >"$W/oha.json"
  python3 - "$name" "$c" "$W/oha.json" <<'PY'
import json, sys
name, c, path = sys.argv[1], sys.argv[2], sys.argv[3]
d = json.load(open(path))
s, lat = d["summary"], d.get("latencyPercentiles", {})
codes = d.get("statusCodeDistribution", {})
errs = d.get("errorDistribution", {})
print(f"| {name} | {c} | {s['requestsPerSec']:.1f} | {lat.get('p50', 0)*1000:.1f} | {lat.get('p99', 0)*1000:.1f} | {codes} | {errs or '-'} |")
PY
}

echo
echo "| request | concurrency | req/s | p50 ms | p99 ms | status codes | errors |"
echo "|---|---:|---:|---:|---:|---|---|"
for c in 1 8 64; do run_oha "small JSON scan" $c application/json "$W/small.json" -z "${DUR}s"; done
for c in 1 8 64; do run_oha "5 MB tarball" $c application/gzip "$W/big.tgz" -n $((c * 2 > 16 ? c * 2 : 16)); done
echo
echo "peak RSS of the service after the load: $(( $(hwm_kb) / 1024 )) MiB"

# cpu per scan: the service (process cpu over N sequential scans) against the CLI on the same tree
N=5
t0=$(cpu_ticks)
for _ in $(seq 1 $N); do curl -fsS -o /dev/null -H 'content-type: application/gzip' --data-binary @"$W/big.tgz" "$URL"; done
t1=$(cpu_ticks)
svc=$(python3 -c "print(($t1 - $t0) / $HZ / $N)")
cli_cpu() { # user+sys seconds of one CLI scan of the tree (bash's time, no /usr/bin/time needed)
  local TIMEFORMAT='%U %S'
  { time "$BIN" scan "$W/tree" --osv-db fixtures/demo-osv -q -j 1 >/dev/null 2>&1; } 2>&1 | awk '{print $1 + $2}'
}
cli_all=0
for _ in $(seq 1 3); do
  cli_all=$(python3 -c "print($cli_all + $(cli_cpu))")
done
cli=$(python3 -c "print($cli_all / 3)")
echo "cpu per scan of the 5 MB tree: service $(printf %.3f "$svc") s (includes unpacking), CLI $(printf %.3f "$cli") s (includes start-up): ratio $(python3 -c "print(f'{$svc / $cli:.2f}')")"

if [ "$SOAK" -gt 0 ]; then
  echo
  echo "soak: small scans at concurrency 8 for ${SOAK}s, RSS every 30 s (MiB):"
  "$OHA" --no-tui --output-format json -c 8 -m POST -T application/json -D "$W/small.json" -z "${SOAK}s" "$URL" >"$W/soak.json" &
  OPID=$!
  samples=()
  while kill -0 $OPID 2>/dev/null; do
    samples+=($(( $(rss_kb) / 1024 )))
    sleep 30
  done
  wait $OPID || true
  echo "  ${samples[*]}"
  python3 - "$W/soak.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"  {d['summary']['requestsPerSec']:.1f} req/s, status codes {d.get('statusCodeDistribution')}, errors {d.get('errorDistribution') or '-'}")
PY
fi
