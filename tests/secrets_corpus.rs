//! The labelled secrets corpus (`fixtures/secrets/corpus/*.txt`): every item scanned on its own through the
//! whole secrets job (all rules, de-duplication); precision and recall per context (one file per context)
//! and overall, printed as a table; fails below 0.95 precision or 0.90 recall overall.
//!
//! Corpus format (see `fixtures/secrets/corpus/README.md`): `@ path` sets the file name the next items are
//! scanned as; `+ text` is one item holding a real credential, `- text` one that holds none; `+>` / `->`
//! start a multi-line item that ends at a line `<<`; `#` lines are comments.

use std::path::Path;
use tollgate::secrets::{Config, SecretsJob};

#[derive(Debug)]
struct Item {
    context: String,
    path: String,
    text: String,
    positive: bool,
    line: usize,
}

fn parse(context: &str, src: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let mut path = "notes.txt".to_string();
    let mut block: Option<(bool, usize, String)> = None;
    for (i, line) in src.lines().enumerate() {
        if let Some((pos, at, mut text)) = block.take() {
            if line == "<<" {
                items.push(Item {
                    context: context.into(),
                    path: path.clone(),
                    text,
                    positive: pos,
                    line: at,
                });
            } else {
                text.push_str(line);
                text.push('\n');
                block = Some((pos, at, text));
            }
            continue;
        }
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(p) = line.strip_prefix("@ ") {
            path = p.trim().to_string();
        } else if line == "+>" || line == "->" {
            block = Some((line == "+>", i + 1, String::new()));
        } else if let Some(t) = line.strip_prefix("+ ") {
            items.push(Item {
                context: context.into(),
                path: path.clone(),
                text: format!("{t}\n"),
                positive: true,
                line: i + 1,
            });
        } else if let Some(t) = line.strip_prefix("- ") {
            items.push(Item {
                context: context.into(),
                path: path.clone(),
                text: format!("{t}\n"),
                positive: false,
                line: i + 1,
            });
        } else {
            panic!("{context}.txt:{}: not a corpus line: {line:?}", i + 1);
        }
    }
    assert!(block.is_none(), "{context}.txt: unterminated block");
    items
}

fn load() -> Vec<Item> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/secrets/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut items = Vec::new();
    for f in files {
        let context = f.file_stem().unwrap().to_string_lossy().into_owned();
        items.extend(parse(&context, &std::fs::read_to_string(&f).unwrap()));
    }
    items
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
    tn: usize,
}

impl Counts {
    fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
}

#[test]
fn corpus_precision_and_recall() {
    let items = load();
    assert!(items.len() >= 1000, "corpus has {} items", items.len());
    let job = SecretsJob::new(&Config::default(), &[]).expect("rules load");
    let mut per: std::collections::BTreeMap<String, Counts> = Default::default();
    let mut total = Counts::default();
    let mut misses = Vec::new();
    for it in &items {
        let found = job.scan_text(&it.path, &it.text);
        let c = per.entry(it.context.clone()).or_default();
        let hit = !found.is_empty();
        match (it.positive, hit) {
            (true, true) => {
                c.tp += 1;
                total.tp += 1
            }
            (true, false) => {
                c.fn_ += 1;
                total.fn_ += 1;
                misses.push(format!(
                    "  missed  {}.txt:{} [{}] {}",
                    it.context,
                    it.line,
                    it.path,
                    it.text.trim_end().replace('\n', "⏎")
                ));
            }
            (false, true) => {
                c.fp += 1;
                total.fp += 1;
                misses.push(format!(
                    "  false   {}.txt:{} [{}] {} -> {}",
                    it.context,
                    it.line,
                    it.path,
                    it.text.trim_end().replace('\n', "⏎"),
                    found
                        .iter()
                        .map(|f| format!("{} {}", f.rule_id, f.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
            (false, false) => {
                c.tn += 1;
                total.tn += 1
            }
        }
    }
    println!(
        "| context | items | true | found | false alarms | precision | recall |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    for (ctx, c) in per
        .iter()
        .chain(std::iter::once((&"**all**".to_string(), &total)))
    {
        println!(
            "| {ctx} | {} | {} | {} | {} | {:.2} | {:.2} |",
            c.tp + c.fp + c.fn_ + c.tn,
            c.tp + c.fn_,
            c.tp,
            c.fp,
            c.precision(),
            c.recall()
        );
    }
    for m in &misses {
        println!("{m}");
    }
    assert!(
        total.precision() >= 0.95 && total.recall() >= 0.90,
        "precision {:.3}, recall {:.3} (need 0.95 / 0.90); see the table above (cargo test --test secrets_corpus -- --nocapture)",
        total.precision(),
        total.recall()
    );
}

#[test]
fn corpus_format_errors_are_reported() {
    let items = parse("x", "@ a.env\n+ A=1\n- B=2\n+>\nC=3\nD=4\n<<\n");
    assert_eq!(items.len(), 3);
    assert_eq!(items[2].text, "C=3\nD=4\n");
    assert!(items[0].positive && !items[1].positive && items[2].positive);
    assert!(std::panic::catch_unwind(|| parse("x", "oops\n")).is_err());
}
