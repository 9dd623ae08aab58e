//! Which rules make the SAST prefilter let files through: for a tree, how many `.py` files the prefilter of
//! all built-in pattern rules passes, and per rule how many files its own clauses pass (and how many pass
//! for that rule alone). `cargo run --release --example sast_prefilter_stats -- DIR`
use std::collections::BTreeMap;
use tollgate::sast::prefilter::Prefilter;
use tollgate::sast::rules;

fn main() {
    let dir = std::env::args().nth(1).expect("DIR");
    let rules = rules::builtin_rules().expect("rules");
    let specs: Vec<_> = rules
        .iter()
        .filter_map(|r| r.file.pattern.as_ref())
        .collect();
    let all = Prefilter::new(specs.iter().map(|s| Some(*s)), 0);
    let each: Vec<(String, Prefilter)> = rules
        .iter()
        .filter_map(|r| {
            Some((
                r.file.id.clone(),
                Prefilter::new([Some(r.file.pattern.as_ref()?)], 0),
            ))
        })
        .collect();
    let taint: Vec<(String, tollgate::sast::taint::TaintRule)> = rules
        .iter()
        .filter_map(|r| Some((r.file.id.clone(), r.taint.clone()?)))
        .collect();
    let taint = tollgate::sast::taint::CompiledRules::new(&taint);
    let (mut files, mut pass, mut sources, mut either) = (0, 0, 0, 0);
    let mut any: BTreeMap<&str, usize> = BTreeMap::new();
    let mut sole: BTreeMap<&str, usize> = BTreeMap::new();
    let root = std::path::Path::new(&dir);
    for e in walk(root) {
        let Ok(text) = std::fs::read_to_string(&e) else {
            continue;
        };
        files += 1;
        let rel = e
            .strip_prefix(root)
            .unwrap_or(&e)
            .to_string_lossy()
            .replace('\\', "/");
        let p = all.passes(&rel, &text);
        let t = taint.might_have_sources(&text);
        pass += usize::from(p);
        sources += usize::from(t);
        either += usize::from(p || t);
        let hit: Vec<&str> = each
            .iter()
            .filter(|(_, p)| p.passes(&rel, &text))
            .map(|(id, _)| id.as_str())
            .collect();
        for h in &hit {
            *any.entry(h).or_default() += 1;
        }
        if let [one] = hit[..] {
            *sole.entry(one).or_default() += 1;
        }
    }
    println!("{files} .py files, {pass} pass the prefilter of every pattern rule, {sources} may have a taint source, {either} are parsed");
    let mut v: Vec<_> = any.into_iter().collect();
    v.sort_by_key(|x| std::cmp::Reverse(x.1));
    for (r, n) in v.iter().take(25) {
        println!(
            "{n:6} files pass for {r} ({} for it alone)",
            sole.get(r).unwrap_or(&0)
        );
    }
}

fn walk(d: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![d.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "py") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
