//! The result cache never changes a result: a scan through the cache gives the same SARIF bytes as a scan
//! without it, for every job, after edits, renames, deletions, rule and config changes. Also: the cache
//! is written with its markers, a warm re-scan adds nothing to it, `cache clean` removes it, and a cache
//! file made with another key (say, committed by a pull request) is ignored with a warning.

mod common;
use common::copy_dir;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

struct Tree {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    cache: PathBuf,
    home: PathBuf,
}

fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap()
        .status
        .success();
    assert!(ok, "git {args:?}");
}

/// The demo project in a git repository of its own (the contract job diffs against HEAD).
fn demo_tree() -> Tree {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("demo");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    copy_dir(&src.join("demo"), &root);
    let osv = src.join("demo-osv");
    std::fs::write(
        root.join("tollgate.toml"),
        format!(
            "fail-on = \"high\"\n[sca]\nosv-db = {:?}\n",
            osv.to_string_lossy()
        ),
    )
    .unwrap();
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "base"]);
    Tree {
        cache: tmp.path().join("cache"),
        home: tmp.path().join("home"),
        root,
        _tmp: tmp,
    }
}

impl Tree {
    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("tollgate").unwrap();
        c.current_dir(&self.root)
            .env("XDG_CACHE_HOME", &self.home)
            .env_remove("TOLLGATE_CACHE_KEY")
            .env_remove("TOLLGATE_NO_CACHE")
            .env_remove("TOLLGATE_CACHE_DIR")
            .env_remove("TOLLGATE_OSV_DB")
            .env_remove("GITHUB_STEP_SUMMARY");
        c
    }

    /// SARIF of a scan, through the cache or not; also returns stderr.
    fn sarif(&self, cached: bool, extra: &[&str]) -> (Vec<u8>, String) {
        let mut c = self.cmd();
        c.args([
            "scan",
            ".",
            "--format",
            "sarif",
            "--no-progress",
            "--offline",
        ])
        .args(["--contract-base", "HEAD"])
        .args(extra);
        if cached {
            c.arg("--cache-dir").arg(&self.cache);
        } else {
            c.arg("--no-cache");
        }
        let out = c.output().unwrap();
        let code = out.status.code().unwrap();
        assert!(
            code == 0 || code == 1,
            "exit {code}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            out.stdout,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// A cached scan (run twice: once filling, once reading) gives the uncached scan's bytes.
    fn assert_same(&self, what: &str, extra: &[&str]) {
        let (plain, _) = self.sarif(false, extra);
        let (first, _) = self.sarif(true, extra);
        let (second, _) = self.sarif(true, extra);
        assert!(
            plain == first && plain == second,
            "{what}: the cached scan differs from the uncached one\n--- uncached\n{}\n--- cached\n{}",
            String::from_utf8_lossy(&plain),
            String::from_utf8_lossy(if plain != first { &first } else { &second })
        );
        assert!(plain.len() > 1000, "{what}: a real report");
    }

    fn cache_file(&self) -> PathBuf {
        self.cache
            .join(env!("CARGO_PKG_VERSION"))
            .join("results.bin")
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

#[test]
fn cached_and_uncached_scans_give_the_same_sarif_bytes() {
    let t = demo_tree();
    t.assert_same("cold", &[]);
    assert!(t.cache.join("CACHEDIR.TAG").is_file());
    assert!(t.cache.join(".gitignore").is_file());
    let entries = std::fs::read(t.cache_file()).unwrap();
    assert!(entries.len() > 100, "the jobs put results in the cache");
    // A warm re-scan of an unchanged tree finds everything in the cache: nothing new is written.
    t.sarif(true, &[]);
    assert_eq!(std::fs::read(t.cache_file()).unwrap(), entries);

    // Edits: a new vulnerability, a new secret, a changed manifest, a changed API description.
    let app = std::fs::read_to_string(t.root.join("master/app.py")).unwrap();
    t.write(
        "master/app.py",
        &format!(
            "{app}\n\ndef more(request):\n    import os\n    os.system(request.args.get('c'))\n"
        ),
    );
    t.write(
        "master/extra_settings.py",
        "GITHUB_TOKEN = \"ghp_4mX9qL2vT8nR5wK1pZ7cY3bH6jD0fG2sE9aQ\"\n",
    );
    let req = std::fs::read_to_string(t.root.join("requirements.txt")).unwrap();
    t.write("requirements.txt", &format!("{req}\nurllib3==1.26.4\n"));
    let api = std::fs::read_to_string(t.root.join("openapi.yaml")).unwrap();
    t.write("openapi.yaml", &api.replacen("paths:", "paths:\n  /added:\n    get:\n      responses:\n        '200':\n          description: ok", 1));
    t.assert_same("edited", &[]);

    // A rename (same content, new path) and a deletion.
    std::fs::rename(
        t.root.join("worker/worker.py"),
        t.root.join("worker/jobs.py"),
    )
    .unwrap();
    std::fs::remove_file(t.root.join(".env")).unwrap();
    t.assert_same("renamed and deleted", &[]);

    // Rule selection and configuration.
    t.assert_same("--ignore", &["--ignore", "SEC-GITHUB"]);
    t.assert_same("--select", &["--select", "sast,secrets"]);
    let cfg = std::fs::read_to_string(t.root.join("tollgate.toml")).unwrap();
    t.write(
        "tollgate.toml",
        &format!("{cfg}\n[sast]\ntest-code = \"report\"\n[secrets]\nstopwords = [\"4mX9qL\"]\n"),
    );
    t.assert_same("config", &[]);

    // An extra rules directory, then a change to one of its rules.
    let rules = t.root.join("../rules");
    std::fs::create_dir_all(rules.join("python")).unwrap();
    let rule = |msg: &str| {
        format!(
            "id: ORG-PRINT\ntitle: print\nseverity: low\nprecision: high\ncwe: [532]\nkind: pattern\nmessage: {msg}\ndocs: {{what: a, why: b, fix: c}}\npattern: {{call: [print]}}\n"
        )
    };
    std::fs::write(rules.join("python/ORG-PRINT.yaml"), rule("no print")).unwrap();
    let r = rules.to_string_lossy().into_owned();
    t.assert_same("extra rules", &["--rules", &r]);
    std::fs::write(
        rules.join("python/ORG-PRINT.yaml"),
        rule("no print, really"),
    )
    .unwrap();
    t.assert_same("changed rule", &["--rules", &r]);
}

#[test]
fn a_cache_made_with_another_key_is_ignored_and_cache_clean_removes_it() {
    let t = demo_tree();
    let (plain, _) = t.sarif(false, &[]);
    // Fill the cache with one key, then scan with another: the file is not trusted.
    let mut c = t.cmd();
    c.env("TOLLGATE_CACHE_KEY", "one")
        .args(["scan", ".", "--quiet", "--offline", "--cache-dir"])
        .arg(&t.cache)
        .output()
        .unwrap();
    assert!(t.cache_file().is_file());
    let out = t
        .cmd()
        .env("TOLLGATE_CACHE_KEY", "two")
        .args([
            "scan",
            ".",
            "--format",
            "sarif",
            "--no-progress",
            "--offline",
        ])
        .args(["--contract-base", "HEAD", "--cache-dir"])
        .arg(&t.cache)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the result cache was not used") && stderr.contains("another key"),
        "{stderr}"
    );
    assert_eq!(out.stdout, plain);

    // `cache dir` names it; `cache clean` removes it, and only a tollgate cache.
    let out = t
        .cmd()
        .args(["cache", "dir", "--cache-dir"])
        .arg(&t.cache)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        t.cache.to_string_lossy()
    );
    t.cmd()
        .args(["cache", "clean", "--cache-dir"])
        .arg(&t.cache)
        .assert()
        .success();
    assert!(!t.cache.exists());
    t.cmd()
        .args(["cache", "clean", "--cache-dir"])
        .arg(t.root.join("master"))
        .assert()
        .failure();
    assert!(t.root.join("master/app.py").is_file());
}

#[test]
fn the_default_cache_is_in_the_current_directory_and_no_cache_writes_nothing() {
    let t = demo_tree();
    t.cmd()
        .args(["scan", ".", "--quiet", "--offline", "--no-cache"])
        .output()
        .unwrap();
    assert!(!t.root.join(".tollgate_cache").exists());
    t.cmd()
        .args(["scan", ".", "--quiet", "--offline"])
        .output()
        .unwrap();
    assert!(t.root.join(".tollgate_cache/CACHEDIR.TAG").is_file());
    // Its .gitignore keeps it out of git and out of the next scan.
    let out = std::process::Command::new("git")
        .current_dir(&t.root)
        .args(["status", "--porcelain"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    let json = t
        .cmd()
        .args([
            "scan",
            ".",
            "--format",
            "json",
            "--offline",
            "--no-progress",
        ])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&json.stdout).contains(".tollgate_cache"));
}

/// A user's secrets rule whose regex does not compile (too large) is reported by every scan, also a warm
/// one where every file comes from the cache.
#[test]
fn a_broken_user_rule_is_reported_from_a_warm_cache_too() {
    let t = demo_tree();
    let rules = t.root.join("../user-rules");
    std::fs::create_dir_all(rules.join("secrets")).unwrap();
    std::fs::write(
        rules.join("secrets/SEC-ORG-HUGE.yaml"),
        "id: SEC-ORG-HUGE\ntitle: Huge\nseverity: high\nprecision: high\ncwe: [798]\nkeywords: [tok_]\n\
         regex: '(?P<secret>tok_(?:\\w{1000}){1000})'\ndescription: A test.\n\
         remediation: Rotate it.\nexamples:\n  positive: []\n  negative: []\n",
    )
    .unwrap();
    let r = rules.to_string_lossy().into_owned();
    t.assert_same("broken user rule", &["--rules", &r]);
    let (sarif, _) = t.sarif(true, &["--rules", &r]);
    let text = String::from_utf8_lossy(&sarif);
    assert!(
        text.contains("rule SEC-ORG-HUGE was skipped"),
        "the rule error is reported from a warm cache"
    );
}
