#!/usr/bin/env python3
"""Drive `tollgate serve` replicas: submit N async scans spread over them, optionally SIGKILL one replica
half way, wait until every scan has ended, and check that each finished exactly once (one `scan committed`
log line per scan across all replicas, status `done`, none lost).

usage: server_queue.py N KILL_PID_OR_0 LOGS_GLOB URL [URL ...]
"""
import glob
import json
import os
import signal
import sys
import time
import urllib.request

n = int(sys.argv[1])
kill_pid = int(sys.argv[2])
logs_glob = sys.argv[3]
urls = sys.argv[4:]
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def tree(i):
    files = []
    demo = os.path.join(ROOT, "fixtures", "demo")
    for d, _, names in os.walk(demo):
        for name in names:
            p = os.path.join(d, name)
            rel = os.path.relpath(p, demo).replace(os.sep, "/")
            with open(p, encoding="utf-8", errors="replace") as f:
                files.append({"path": rel, "content": f.read()})
    files.append({"path": f"scan_{i}.py", "content": f"import os\nos.system(input())  # {i}\n"})
    return {"files": files}


def call(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, json.loads(r.read() or b"null")


ids = []
for i in range(n):
    base = urls[i % len(urls)]
    status, body = call("POST", f"{base}/v1/scans?async=true", tree(i))
    assert status == 202, (status, body)
    ids.append(body["id"])
print(f"submitted {len(ids)} scans to {len(urls)} replica(s)")

survivor = urls[0]
killed = False
deadline = time.time() + 600
while True:
    done = 0
    states = {}
    for sid in ids:
        _, b = call("GET", f"{survivor}/v1/scans/{sid}")
        states[sid] = b["status"]
        done += b["status"] in ("done", "failed", "cancelled")
    if kill_pid and not killed and done >= n // 2 - n // 10:
        os.kill(kill_pid, signal.SIGKILL)
        killed = True
        print(f"SIGKILL replica {kill_pid} with {done}/{n} scans ended")
    if done == n:
        break
    if time.time() > deadline:
        sys.exit(f"not all scans ended: {sum(1 for s in states.values() if s not in ('done',))} left")
    time.sleep(0.5)

bad = {s: st for s, st in states.items() if st != "done"}
if bad:
    sys.exit(f"scans that did not end done: {bad}")

commits = {}
for path in glob.glob(logs_glob):
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("message") == "scan committed":
                commits[ev["scan"]] = commits.get(ev["scan"], 0) + 1
missing = [s for s in ids if commits.get(s, 0) == 0]
# A replica SIGKILLed right after a commit may die before its log line is written: a scan without the line
# is still committed once when it ended `done` on its first attempt (had the lease expired and a survivor
# taken it again, attempts would be 2 and the survivor's complete log would hold the line).
lost_line = [s for s in missing if kill_pid and call("GET", f"{survivor}/v1/scans/{s}")[1]["attempts"] == 1]
if lost_line:
    print(f"{len(lost_line)} scan(s) committed by the killed replica before its log line was written")
missing = [s for s in missing if s not in lost_line]
twice = {s: c for s, c in commits.items() if c > 1}
if missing or twice:
    sys.exit(f"not exactly once: {len(missing)} never committed, twice: {twice}")
retaken = 0
for sid in ids:
    _, b = call("GET", f"{survivor}/v1/scans/{sid}")
    assert b["verdict"]["outcome"] == "failed", b["verdict"]
    retaken += b["attempts"] > 1
print(f"all {n} scans done, each committed exactly once; {retaken} were taken again after a replica died")
if kill_pid and not killed:
    sys.exit("the replica was never killed")
