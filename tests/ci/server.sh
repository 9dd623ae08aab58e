#!/usr/bin/env bash
# The scan service for real: openapi.yaml against the official schema, the API's own breaking-change gate,
# Schemathesis against a running server, and the job queue with two replicas on a real PostgreSQL (one
# SIGKILLed half way: every scan still finishes exactly once), then the same with SQLite and one replica.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${TOLLGATE_BIN:?}
SHARED=${TOLLGATE_SHARED:-$ROOT/../shared}
TOOLS=${TOLLGATE_CI_TOOLS:-$HOME/.cache/tollgate/ci-tools}
PY="$TOOLS/venv/bin/python"
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  if [ -n "${PGDATA:-}" ] && [ -f "$PGDATA/postmaster.pid" ]; then
    su "$PGUSER_OS" -s /bin/sh -c "$PGBIN/pg_ctl -D $PGDATA -m immediate stop" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() {
  for _ in $(seq 1 200); do
    curl -fsS "$1/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server $1 did not start"; cat "$2"; return 1
}

echo "-- openapi.yaml against the official OpenAPI 3.1 schema"
"$PY" -c 'import jsonschema, yaml' 2>/dev/null || "$TOOLS/venv/bin/pip" install --quiet 'jsonschema>=4,<5' 'pyyaml>=6'
"$PY" tests/ci/validate_openapi.py "$SHARED/schemas" openapi.yaml

echo "-- tollgate diff of the previous commit's openapi.yaml: no breaking change to our own API"
if git cat-file -e HEAD~1:openapi.yaml 2>/dev/null; then
  "$BIN" diff git:HEAD~1:openapi.yaml openapi.yaml
else
  echo "no openapi.yaml in the previous commit (or a shallow clone): nothing to compare"
fi

echo "-- Schemathesis against a running server"
if ! "$TOOLS/venv/bin/schemathesis" --version >/dev/null 2>&1; then
  timeout 300 "$TOOLS/venv/bin/pip" install --quiet 'schemathesis>=4,<5' || echo "schemathesis did not install"
fi
if "$TOOLS/venv/bin/schemathesis" --version >/dev/null 2>&1; then
  PORT=$(free_port)
  "$BIN" serve --addr 127.0.0.1:$PORT --data-dir "$WORK/st" --osv-db fixtures/demo-osv 2>"$WORK/st.log" &
  PIDS+=($!)
  wait_ready "http://127.0.0.1:$PORT" "$WORK/st.log"
  timeout 600 "$TOOLS/venv/bin/schemathesis" run openapi.yaml --url "http://127.0.0.1:$PORT" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples 25 --phases examples,fuzzing --workers 1 --suppress-health-check all --no-color
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
else
  echo "schemathesis is not available here; skipped"
fi

echo "-- job queue: two replicas on PostgreSQL, one SIGKILLed half way"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq postgresql >/dev/null
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
PGUSER_OS=postgres
id "$PGUSER_OS" >/dev/null 2>&1 || useradd --system --no-create-home "$PGUSER_OS"
PGDATA="$WORK/pg"
mkdir -p "$PGDATA" "$WORK/pgsock"
chown "$PGUSER_OS" "$PGDATA" "$WORK/pgsock"
chmod 755 "$WORK"
PGPORT=$(free_port)
su "$PGUSER_OS" -s /bin/sh -c "$PGBIN/initdb -D $PGDATA -A trust -U postgres >/dev/null"
su "$PGUSER_OS" -s /bin/sh -c "$PGBIN/pg_ctl -D $PGDATA -l $PGDATA/log -o '-k $WORK/pgsock -h 127.0.0.1 -p $PGPORT' -w start >/dev/null"
"$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres tollgate
DBURL="postgres://postgres@127.0.0.1:$PGPORT/tollgate"
P1=$(free_port); P2=$(free_port)
"$BIN" serve --addr 127.0.0.1:$P1 --data-dir "$WORK/r1" --database-url "$DBURL" --osv-db fixtures/demo-osv --lease 2s --workers 2 2>"$WORK/r1.log" &
PIDS+=($!); R1=$!
"$BIN" serve --addr 127.0.0.1:$P2 --data-dir "$WORK/r2" --database-url "$DBURL" --osv-db fixtures/demo-osv --lease 2s --workers 2 2>"$WORK/r2.log" &
PIDS+=($!); R2=$!
wait_ready "http://127.0.0.1:$P1" "$WORK/r1.log"
wait_ready "http://127.0.0.1:$P2" "$WORK/r2.log"
"$PY" tests/ci/server_queue.py 200 "$R2" "$WORK/r*.log" "http://127.0.0.1:$P1" "http://127.0.0.1:$P2"
kill -TERM "$R1"; wait "$R1" 2>/dev/null || true

echo "-- job queue: the SQLite default, one replica"
P3=$(free_port)
"$BIN" serve --addr 127.0.0.1:$P3 --data-dir "$WORK/sq" --osv-db fixtures/demo-osv --workers 2 2>"$WORK/sq.log" &
PIDS+=($!); R3=$!
wait_ready "http://127.0.0.1:$P3" "$WORK/sq.log"
"$PY" tests/ci/server_queue.py 200 0 "$WORK/sq.log" "http://127.0.0.1:$P3"
kill -TERM "$R3"; wait "$R3" 2>/dev/null || true
echo "server checks passed"
