//! Where the secrets job spends its time: per rule, the files its keywords let through and the time its
//! regex takes on them. `cargo run --release --example secrets_rule_cost -- DIR [TOP]`
use std::time::{Duration, Instant};
use tollgate::secrets::{rules, Matcher};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: secrets_rule_cost DIR [TOP]");
    let top: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(25);
    let mut texts = Vec::new();
    for e in ignore::WalkBuilder::new(&dir)
        .hidden(false)
        .build()
        .flatten()
    {
        if e.file_type().is_some_and(|t| t.is_file()) {
            if let Ok(b) = std::fs::read(e.path()) {
                if !b[..b.len().min(8000)].contains(&0) {
                    texts.push(String::from_utf8_lossy(&b).into_owned());
                }
            }
        }
    }
    let total: usize = texts.iter().map(String::len).sum();
    eprintln!("{} files, {:.1} MB", texts.len(), total as f64 / 1048576.0);
    if std::env::var_os("ENGINE_ONLY").is_some() {
        let job = tollgate::secrets::SecretsJob::new(&Default::default(), &[]).unwrap();
        let t = Instant::now();
        for _ in 0..5 {
            for (i, text) in texts.iter().enumerate() {
                std::hint::black_box(job.scan_text(&format!("d/f{i}.txt"), text));
            }
        }
        println!("engine x5: {:.1} ms", t.elapsed().as_secs_f64() * 1000.0);
        return;
    }
    let lowers: Vec<String> = texts.iter().map(|t| t.to_ascii_lowercase()).collect();
    let rules = rules::load_builtin().unwrap();
    let mut costs: Vec<(Duration, usize, usize, String)> = Vec::new();
    for r in &rules {
        let Matcher::Regex(lazy) = &r.matcher else {
            continue;
        };
        let (re, _) = lazy.get().unwrap();
        let (mut n, mut bytes, mut spent) = (0, 0, Duration::ZERO);
        for (text, lower) in texts.iter().zip(&lowers) {
            if !r.keywords.iter().any(|k| lower.contains(k.as_str())) {
                continue;
            }
            n += 1;
            bytes += text.len();
            let t = Instant::now();
            for c in re.captures_iter(text.as_bytes()) {
                std::hint::black_box(c);
            }
            spent += t.elapsed();
        }
        costs.push((spent, n, bytes, r.id.clone()));
    }
    let sum: Duration = costs.iter().map(|c| c.0).sum();
    println!("all regex rules: {:.1} ms", sum.as_secs_f64() * 1000.0);
    // The keyword prefilter as the engine builds it, and the generic detectors.
    let mut pats: Vec<String> = rules.iter().flat_map(|r| r.keywords.clone()).collect();
    pats.sort();
    pats.dedup();
    let ac = aho_corasick::AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build(&pats)
        .unwrap();
    let t = Instant::now();
    let mut hits = 0usize;
    for text in &texts {
        hits += ac.find_overlapping_iter(text.as_bytes()).count();
    }
    println!(
        "keyword prefilter ({} keywords, overlapping): {:.1} ms, {hits} hits",
        pats.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    let acd = aho_corasick::AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(&pats)
        .unwrap();
    let t = Instant::now();
    let mut hits2 = 0usize;
    for text in &texts {
        hits2 += acd.find_overlapping_iter(text.as_bytes()).count();
    }
    println!(
        "keyword prefilter DFA overlapping: {:.1} ms, {hits2} hits",
        t.elapsed().as_secs_f64() * 1000.0
    );
    let t = Instant::now();
    for text in &texts {
        std::hint::black_box(ac.is_match(text.as_bytes()));
    }
    println!(
        "keyword prefilter is_match: {:.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    let t = Instant::now();
    let mut g = 0;
    for (i, text) in texts.iter().enumerate() {
        g += tollgate::secrets::generic::detect(&format!("f{i}.txt"), text, true, true).len();
    }
    println!(
        "generic detectors: {:.1} ms ({g} raw hits)",
        t.elapsed().as_secs_f64() * 1000.0
    );
    let job = tollgate::secrets::SecretsJob::new(&Default::default(), &[]).unwrap();
    let t = Instant::now();
    let mut n = 0;
    for (i, text) in texts.iter().enumerate() {
        n += job.scan_text(&format!("d/f{i}.txt"), text).len();
    }
    let d = t.elapsed();
    println!(
        "whole engine, one thread: {:.1} ms, {:.0} MB/s ({n} findings)",
        d.as_secs_f64() * 1000.0,
        total as f64 / 1048576.0 / d.as_secs_f64()
    );
    costs.sort_by_key(|c| std::cmp::Reverse(c.0));
    for (d, n, bytes, id) in costs.iter().take(top) {
        println!(
            "{:>8.1} ms  {:>6} files {:>8.1} MB  {}",
            d.as_secs_f64() * 1000.0,
            n,
            *bytes as f64 / 1048576.0,
            id
        );
    }
}
