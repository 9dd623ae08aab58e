//! What building the secrets job costs before any file is read: loading the built-in rules, building the
//! job (keyword prefilter), listing its rules' metadata (every scan does), and a first scan of one small
//! file. `cargo run --release --example secrets_startup [RUNS]` prints the median of each phase.
use std::time::Instant;
use tollgate::model::Job;
use tollgate::secrets::{rules, Config, SecretsJob};

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let mut phases: Vec<(&str, Vec<f64>)> = vec![
        ("load built-in rules", Vec::new()),
        ("build job (prefilter)", Vec::new()),
        ("rule metadata (Job::rules)", Vec::new()),
        ("first scan of a 1-line file", Vec::new()),
        ("total", Vec::new()),
    ];
    for _ in 0..runs {
        let t0 = Instant::now();
        let rules = rules::load_builtin().expect("built-in rules");
        let t1 = Instant::now();
        let job = SecretsJob::from_rules(&Config::default(), rules).expect("job");
        let t2 = Instant::now();
        let metas = job.rules();
        let t3 = Instant::now();
        let found = job.scan_text("app.py", "x = 1\n");
        let t4 = Instant::now();
        assert!(!metas.is_empty() && found.is_empty());
        for (i, (a, b)) in [(t0, t1), (t1, t2), (t2, t3), (t3, t4), (t0, t4)]
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
