//! What building the SAST job costs before any file is read: loading the built-in rules (YAML), building
//! the job (pattern engine, taint rules, prefilter), and a first scan of one small file.
//! `cargo run --release --example sast_startup [RUNS]` prints the median of each phase.
use std::time::Instant;
use tollgate::sast::{new_parser, rules, SastJob};

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let mut phases: Vec<(&str, Vec<f64>)> = vec![
        ("load built-in rules", Vec::new()),
        ("build job", Vec::new()),
        ("first scan of a 1-line file", Vec::new()),
        ("total", Vec::new()),
    ];
    for _ in 0..runs {
        let t0 = Instant::now();
        let rules = rules::builtin_rules().expect("built-in rules");
        let t1 = Instant::now();
        let job = SastJob::from_rules(rules).expect("job");
        let t2 = Instant::now();
        let mut parser = new_parser();
        let enabled = vec![true; job.loaded_rules().len()];
        let (found, _) =
            job.scan_source(&mut parser, "app.py", "import os\nos.system(x)\n", &enabled);
        let t3 = Instant::now();
        assert!(!found.is_empty());
        for (i, (a, b)) in [(t0, t1), (t1, t2), (t2, t3), (t0, t3)]
            .into_iter()
            .enumerate()
        {
            phases[i].1.push((b - a).as_secs_f64() * 1e3);
        }
    }
    for (name, mut v) in phases {
        v.sort_by(f64::total_cmp);
        println!("{name:30} {:8.2} ms (median of {runs})", v[v.len() / 2]);
    }
}
