//! Every input the fuzz targets (fuzz/) ever crashed, hung or blew up on, kept under
//! `tests/fuzz-inputs/<target>/`, replayed through the same library calls as the target; plus the
//! hostile documents the readers must refuse cleanly. A replay must return (no panic, no stack overflow)
//! within a few seconds.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tollgate::doc::{self, Limits};

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-inputs")
        .join(target);
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .map(|p| {
                    let b = std::fs::read(&p).unwrap();
                    (p, b)
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Replay one target's inputs (run on a thread with the default 2 MiB stack, like rayon's workers).
fn replay(target: &str, min_inputs: usize, f: fn(&[u8])) {
    let all = inputs(target);
    assert!(all.len() >= min_inputs, "{target}: {} inputs", all.len());
    for (path, bytes) in all {
        let t0 = Instant::now();
        let name = path.display().to_string();
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || f(&bytes))
            .unwrap()
            .join()
            .unwrap_or_else(|_| panic!("{name} panicked"));
        assert!(t0.elapsed() < Duration::from_secs(20), "{name}: too slow");
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn doc_json() {
    replay("doc_json", 1, |b| {
        let t = text(b);
        let _ = doc::json::parse(&t, &Limits::DEFAULT);
        let _ = doc::json::from_str::<serde_json::Value>(&t, &Limits::DEFAULT);
        let _ = doc::parse(&t, &Limits::DEFAULT);
    });
}

#[test]
fn doc_yaml() {
    replay("doc_yaml", 2, |b| {
        let t = text(b);
        let _ = doc::yaml::parse_docs(&t, &Limits::DEFAULT, doc::yaml::Scalars::Typed);
        let _ = doc::yaml::parse_docs_text(&t, &Limits::DEFAULT);
        let _ = doc::yaml::from_str::<serde_json::Value>(&t);
    });
}

#[test]
fn doc_toml() {
    replay("doc_toml", 1, |b| {
        let t = text(b);
        let _ = doc::toml::from_str::<toml::Value>(&t, &Limits::DEFAULT);
        let _ = doc::toml::parse_table(&t, &Limits::DEFAULT);
    });
}

const MANIFESTS: &[&str] = &[
    "requirements.txt",
    "package.json",
    "pyproject.toml",
    "Pipfile",
    "package-lock.json",
    "Cargo.lock",
    "poetry.lock",
    "Pipfile.lock",
    "uv.lock",
    "yarn.lock",
    "pnpm-lock.yaml",
];

#[test]
fn manifests() {
    // A panic caught inside a parser (pep508_rs is called under catch_unwind) still counts: it prints a
    // backtrace to the user. Count every panic, caught or not.
    static PANICS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        previous(info);
    }));
    replay("manifests", 1, |b| {
        let Some((&sel, rest)) = b.split_first() else {
            return;
        };
        let name = MANIFESTS[sel as usize % MANIFESTS.len()];
        let _ = tollgate::sca::manifests::fuzz_parse(name, &text(rest));
    });
    // the hostile documents, through every manifest parser
    replay("doc_yaml", 2, |b| {
        for name in MANIFESTS {
            let _ = tollgate::sca::manifests::fuzz_parse(name, &text(b));
        }
    });
    assert_eq!(
        PANICS.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "a parser panicked"
    );
}

#[test]
fn openapi() {
    replay("openapi", 1, |b| {
        use tollgate::contract::{diff_specs, Options, Source, Spec};
        let t = text(b);
        let src = Source::Text {
            name: "api.yaml".into(),
            text: t.clone(),
        };
        if let Ok(spec) = Spec::from_text(src, "api.yaml".into(), &t) {
            let _ = diff_specs(&spec, &spec, &Options::default());
        }
    });
}

#[test]
fn rules_and_baselines() {
    replay("rules", 0, |b| {
        let t = text(b);
        let _ = tollgate::secrets::rules::parse_rule("SEC-FUZZ.yaml", "SEC-FUZZ", &t);
        let _ = tollgate::sast::rules::parse_rule(&t, Path::new("PY-FUZZ.yaml"), None);
    });
    replay("baseline", 0, |b| {
        let _ = tollgate::engine::baseline::Baseline::from_text(Path::new("b.json"), &text(b));
    });
}
