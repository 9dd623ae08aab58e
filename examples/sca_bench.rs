//! Timing of the SCA advisory database and matcher (run by benches/sca.sh, release build):
//! cold load of the PyPI and npm dumps (zip + JSON + index, no cache), warm load (the cached index), and
//! matching a generated lockfile of N packages (default 2,000) whose names come from the snapshot.
//!
//! usage: sca_bench OSV_DIR [PACKAGES] [ITERATIONS]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tollgate::engine::{Job, ScanContext, SourceFile};
use tollgate::sca::matching::{match_package, Installed};
use tollgate::sca::model::Ecosystem;
use tollgate::sca::osv::offline::load_ecosystem;
use tollgate::sca::osv::{EcoIndex, Event};
use tollgate::sca::{Config, ScaJob};

const ECOS: [Ecosystem; 2] = [Ecosystem::PyPI, Ecosystem::Npm];

/// Load both ecosystems as the job does (in parallel).
fn load_all(db: &Path, cache: Option<&Path>) -> (Vec<EcoIndex>, bool) {
    use rayon::prelude::*;
    let loaded: Vec<_> = ECOS
        .par_iter()
        .map(|&e| load_ecosystem(db, e, cache))
        .collect();
    let all_cached = loaded.iter().all(|l| l.from_cache);
    (
        loaded
            .into_iter()
            .map(|l| l.index.expect("database loads"))
            .collect(),
        all_cached,
    )
}

/// CPU time used so far by every thread of this process (Linux `/proc/self/task/*/schedstat`, in ns):
/// on a shared machine it shows the work done, whatever the other processes take.
fn cpu_time() -> Duration {
    let mut ns: u64 = 0;
    if let Ok(rd) = std::fs::read_dir("/proc/self/task") {
        for t in rd.flatten() {
            if let Ok(s) = std::fs::read_to_string(t.path().join("schedstat")) {
                ns += s
                    .split_whitespace()
                    .next()
                    .and_then(|x| x.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
    }
    Duration::from_nanos(ns)
}

thread_local! {
    static LAST_CPU: std::cell::Cell<Duration> = const { std::cell::Cell::new(Duration::MAX) };
}

/// Best and median wall time of `iters` runs (what `f` returns is dropped outside the timing); the
/// smallest CPU time of a run is kept for [`last_cpu`].
fn best<T, F: FnMut() -> T>(iters: usize, mut f: F) -> (Duration, Duration) {
    let mut min_cpu = Duration::MAX;
    let mut times: Vec<Duration> = (0..iters)
        .map(|_| {
            let c = cpu_time();
            let t = Instant::now();
            let out = f();
            let d = t.elapsed();
            min_cpu = min_cpu.min(cpu_time().saturating_sub(c));
            drop(out);
            d
        })
        .collect();
    LAST_CPU.with(|l| l.set(min_cpu));
    times.sort();
    (times[0], times[times.len() / 2])
}

/// The smallest CPU time of a run of the last [`best`] call.
fn last_cpu() -> Duration {
    LAST_CPU.with(|l| l.get())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A version for each package taken from its own advisories (an `introduced` or `fixed` event), so that
/// the generated lockfile exercises real ranges; deterministic.
fn pick(ix: &EcoIndex, n: usize) -> Vec<(String, String)> {
    let mut names: Vec<&String> = ix.by_name.keys().collect();
    names.sort();
    let step = (names.len() as f64 / n as f64).max(1.0);
    let mut out = Vec::new();
    let mut i = 0.0;
    while (i as usize) < names.len() && out.len() < n {
        let name = names[i as usize];
        let adv = ix.lookup(name).next().unwrap();
        let v = adv
            .affected
            .iter()
            .filter(|a| &a.name == name)
            .flat_map(|a| a.ranges.iter().flat_map(|r| r.events.iter()))
            .find_map(|e| match e {
                Event::Introduced(v) if v != "0" => Some(v.clone()),
                Event::Fixed(v) => Some(v.clone()),
                _ => None,
            })
            .or_else(|| {
                adv.affected
                    .iter()
                    .find_map(|a| a.versions().next().map(str::to_string))
            })
            .unwrap_or_else(|| "1.0.0".into());
        out.push((name.clone(), v));
        i += step;
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let db = PathBuf::from(
        args.get(1)
            .expect("usage: sca_bench OSV_DIR [PACKAGES] [ITERATIONS]"),
    );
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let iters: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(5);
    let tmp = std::env::temp_dir().join(format!("tollgate-sca-bench-{}", std::process::id()));
    let cache = tmp.join("cache");
    std::fs::create_dir_all(&tmp).unwrap();

    let (cold_min, cold_med) = best(iters, || load_all(&db, None));
    let cold_cpu = last_cpu();
    if std::env::var_os("SCA_BENCH_COLD_ONLY").is_some() {
        println!(
            "cold_load_ms={:.1} (median {:.1})",
            ms(cold_min),
            ms(cold_med)
        );
        return;
    }
    let t = Instant::now();
    let (indexes, cached) = load_all(&db, Some(&cache));
    let first_with_cache_write = t.elapsed();
    assert!(!cached);
    let (warm_min, warm_med) = best(iters.max(5), || {
        let (ix, cached) = load_all(&db, Some(&cache));
        assert!(cached);
        ix
    });
    let warm_cpu = last_cpu();
    let records: usize = indexes.iter().map(|i| i.identity.records).sum();

    // The generated lockfile: half PyPI, half npm.
    let mut deps: Vec<(Ecosystem, String, String)> = Vec::new();
    for ix in &indexes {
        for (name, v) in pick(ix, n / 2) {
            deps.push((ix.ecosystem, name, v));
        }
    }
    let by_eco = |e: Ecosystem| indexes.iter().find(|i| i.ecosystem == e).unwrap();
    // As the job does it: each distinct package once, in parallel (rayon).
    let mut vulnerable = 0;
    let (match_min, match_med) = best(iters.max(5) * 4, || {
        use rayon::prelude::*;
        vulnerable = deps
            .par_iter()
            .map(|(eco, name, v)| {
                let ix = by_eco(*eco);
                let m = match_package(*eco, name, &Installed::new(*eco, v), ix.lookup(name));
                usize::from(!m.groups.is_empty())
            })
            .sum();
    });
    let (seq_min, _) = best(iters.max(5) * 2, || {
        for (eco, name, v) in &deps {
            let ix = by_eco(*eco);
            match_package(*eco, name, &Installed::new(*eco, v), ix.lookup(name));
        }
    });
    let seq_cpu = last_cpu();

    if std::env::var_os("SCA_BENCH_DETAIL").is_some() {
        let mut per: Vec<(Duration, String, String, usize)> = deps
            .iter()
            .map(|(eco, name, v)| {
                let ix = by_eco(*eco);
                let mut best_d = Duration::MAX;
                let mut groups = 0;
                for _ in 0..5 {
                    let t = Instant::now();
                    let m = match_package(*eco, name, &Installed::new(*eco, v), ix.lookup(name));
                    best_d = best_d.min(t.elapsed());
                    groups = m.groups.len();
                }
                (best_d, name.clone(), v.clone(), groups)
            })
            .collect();
        per.sort_by_key(|b| std::cmp::Reverse(b.0));
        let total: Duration = per.iter().map(|p| p.0).sum();
        println!("  sum of per-package best times: {:.2} ms", ms(total));
        for (d, n, v, g) in per.iter().take(8) {
            println!("  slowest: {n} {v}: {:.2} ms, {g} groups", ms(*d));
        }
    }

    // The whole job on the same dependencies written as requirements.txt + package-lock.json (warm cache).
    let proj = tmp.join("project");
    std::fs::create_dir_all(&proj).unwrap();
    let mut req = String::new();
    let mut packages = serde_json::Map::new();
    packages.insert("".into(), serde_json::json!({"name": "bench"}));
    for (eco, name, v) in &deps {
        match eco {
            Ecosystem::PyPI => req.push_str(&format!("{name}=={v}\n")),
            _ => {
                packages.insert(
                    format!("node_modules/{name}"),
                    serde_json::json!({ "version": v }),
                );
            }
        }
    }
    std::fs::write(proj.join("requirements.txt"), req).unwrap();
    std::fs::write(
        proj.join("package-lock.json"),
        serde_json::to_string_pretty(
            &serde_json::json!({"lockfileVersion": 3, "packages": packages}),
        )
        .unwrap(),
    )
    .unwrap();
    let files: Vec<SourceFile> = ["requirements.txt", "package-lock.json"]
        .iter()
        .map(|r| SourceFile {
            rel: r.to_string(),
            abs: proj.join(r),
            size: 0,
        })
        .collect();
    let cfg = Config {
        osv_db: Some(db.clone()),
        cache_dir: Some(cache.clone()),
        ..Config::default()
    };
    let job = ScaJob::new(&cfg, &[]).unwrap();
    let mut findings = 0;
    let (scan_min, _) = best(iters, || {
        let out = job.scan(&files, &ScanContext::new(proj.clone()));
        assert!(!out.failed);
        findings = out.findings.len();
    });
    let _ = std::fs::remove_dir_all(&tmp);

    println!("records={records} (PyPI+npm)");
    println!(
        "cold_load_ms={:.1} (median {:.1}; no cache: read zip, sha256, inflate, parse JSON, index)",
        ms(cold_min),
        ms(cold_med)
    );
    println!(
        "first_load_with_cache_write_ms={:.1}",
        ms(first_with_cache_write)
    );
    println!(
        "warm_load_ms={:.1} (median {:.1}; sha256 of the zips + cached index)",
        ms(warm_min),
        ms(warm_med)
    );
    println!(
        "cold_load_cpu_ms={:.1} (CPU time of the best run, all threads)",
        ms(cold_cpu)
    );
    println!("warm_load_cpu_ms={:.1}", ms(warm_cpu));
    println!("packages={} vulnerable={vulnerable}", deps.len());
    println!(
        "match_ms={:.2} (median {:.2}; {} packages, in parallel as the job does; one thread: {:.2} ms)",
        ms(match_min),
        ms(match_med),
        deps.len(),
        ms(seq_min)
    );
    println!("match_one_thread_cpu_ms={:.2}", ms(seq_cpu));
    println!("job_scan_warm_ms={:.1} (parse manifests + warm load + match + findings; {findings} findings)", ms(scan_min));
}
