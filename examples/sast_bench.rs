//! Run the Python SAST job over a directory, as the scan engine would, and print a summary.
//!
//! `cargo run --release --example sast_bench -- DIR [--findings FILE.jsonl] [--parse-only] [--no-prefilter] [--rules RULEDIR]`
//!
//! Prints files, lines, bytes, wall time, throughput and findings per rule. `--parse-only` only parses
//! the same files with tree-sitter (the floor the SAST job is compared with).

use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;
use tollgate::engine::{Job, ScanContext, SourceFile};
use tollgate::sast::{is_python_file, new_parser, Config, SastJob};

fn main() {
    tollgate::alloc::init();
    let mut args = std::env::args().skip(1);
    let mut root = None;
    let mut findings_out = None;
    let mut parse_only = false;
    let mut prefilter = true;
    let mut rule_dirs = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--findings" => findings_out = args.next().map(PathBuf::from),
            "--parse-only" => parse_only = true,
            "--no-prefilter" => prefilter = false,
            "--rules" => rule_dirs.extend(args.next().map(PathBuf::from)),
            _ => root = Some(PathBuf::from(a)),
        }
    }
    let root = root.expect("usage: sast_bench DIR [--findings FILE] [--parse-only] [--rules DIR]");
    let start = Instant::now();
    let mut files = Vec::new();
    for entry in ignore::WalkBuilder::new(&root)
        .standard_filters(false)
        .build()
        .flatten()
    {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let abs = entry.path().to_path_buf();
        let rel = abs
            .strip_prefix(&root)
            .unwrap_or(&abs)
            .to_string_lossy()
            .replace('\\', "/");
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        if size > 2 * 1024 * 1024 {
            continue;
        }
        files.push(SourceFile { rel, abs, size });
    }
    files.sort();
    let py: Vec<&SourceFile> = files.iter().filter(|f| is_python_file(f)).collect();
    let bytes: u64 = py.iter().map(|f| f.size).sum();
    let lines: usize = py
        .par_iter()
        .map(|f| {
            std::fs::read(&f.abs)
                .map(|b| b.iter().filter(|c| **c == b'\n').count())
                .unwrap_or(0)
        })
        .sum();
    let t0 = Instant::now();
    if parse_only {
        let nodes: usize = py
            .par_iter()
            .map_init(new_parser, |p, f| {
                let text = f.read_text().unwrap_or_default();
                p.parse(&text, None)
                    .map(|t| t.root_node().descendant_count())
                    .unwrap_or(0)
            })
            .sum();
        let dt = t0.elapsed().as_secs_f64();
        println!("parse-only: {} files, {lines} lines, {:.1} MB, {nodes} nodes, {dt:.2} s, {:.0} lines/s, {:.2} MB/s",
            py.len(), bytes as f64 / 1e6, lines as f64 / dt, bytes as f64 / 1e6 / dt);
        return;
    }
    let mut job = SastJob::new(&Config::default(), &rule_dirs).expect("rules load");
    job.set_prefilter(prefilter);
    let ctx = ScanContext::new(root.clone());
    let out = job.scan(&files, &ctx);
    let dt = t0.elapsed().as_secs_f64();
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &out.findings {
        *per_rule.entry(f.rule_id.as_str()).or_default() += 1;
    }
    println!(
        "sast: {} files, {lines} lines, {:.1} MB, {} rules, {dt:.2} s scan ({:.2} s total), {:.0} lines/s, {:.2} MB/s",
        out.files_scanned,
        bytes as f64 / 1e6,
        job.rules().len(),
        start.elapsed().as_secs_f64(),
        lines as f64 / dt,
        bytes as f64 / 1e6 / dt
    );
    println!(
        "findings: {}, notifications: {}",
        out.findings.len(),
        out.notifications.len()
    );
    for (rule, n) in &per_rule {
        println!("  {rule:28} {n}");
    }
    if let Some(path) = findings_out {
        let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        for f in &out.findings {
            serde_json::to_writer(&mut w, f).unwrap();
            w.write_all(b"\n").unwrap();
        }
        for n in &out.notifications {
            serde_json::to_writer(&mut w, n).unwrap();
            w.write_all(b"\n").unwrap();
        }
    }
}
