#!/usr/bin/env python3
"""The peer baseline for benches/sca.sh: a plain Python script that reads the same OSV dump zips with
zipfile + json (and indexes records by package name, as tollgate does). Prints the best time in ms.

usage: sca_python_load.py OSV_DIR [ITERATIONS]
"""
import json
import sys
import time
import zipfile


def load(osv_dir):
    index = {}
    n = 0
    for eco in ("PyPI", "npm"):
        with zipfile.ZipFile(f"{osv_dir}/{eco}/all.zip") as z:
            for name in z.namelist():
                if not name.endswith(".json"):
                    continue
                rec = json.loads(z.read(name))
                n += 1
                for a in rec.get("affected") or []:
                    p = a.get("package") or {}
                    index.setdefault((p.get("ecosystem"), p.get("name")), []).append(rec)
    return n, index


def main():
    osv_dir = sys.argv[1]
    iters = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    times, cpu = [], []
    for _ in range(iters):
        t, c = time.perf_counter(), time.process_time()
        n, _ = load(osv_dir)
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    times.sort()
    print(f"python_cold_load_ms={times[0]:.1f} (median {times[len(times) // 2]:.1f}; {n} records)")
    print(f"python_cold_load_cpu_ms={min(cpu):.1f}")


if __name__ == "__main__":
    main()
