//! The contract job's result cache: a cached scan gives exactly what an uncached one gives, a second
//! scan of the same tree (also in another directory) is answered from the cache, and an edit to a file a
//! `$ref` pulls in (or a referenced file appearing) invalidates the entry.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tollgate::contract::{Config, ContractJob};
use tollgate::model::cache::{CacheKey, CacheStore, MemoryStore, ResultCache};
use tollgate::model::{Job, JobOutput, ScanContext, SourceFile};

/// A memory store that counts writes (a write after a lookup means the lookup did not answer).
#[derive(Default)]
struct Counting {
    inner: MemoryStore,
    puts: AtomicUsize,
}

impl CacheStore for Counting {
    fn get(&self, key: &CacheKey) -> Option<Vec<u8>> {
        self.inner.get(key)
    }
    fn put(&self, key: CacheKey, value: Vec<u8>) {
        self.puts.fetch_add(1, Ordering::Relaxed);
        self.inner.put(key, value)
    }
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const API: &str = "openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /pets:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: './schemas/pet.yaml#/Pet'}
  /owners:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: './schemas/owner.yaml#/Owner'}
";

const PET: &str = "Pet:
  type: object
  required: [id, name]
  properties:
    id: {type: integer}
    name: {type: string}
";

fn scan(root: &Path, cache: ResultCache) -> JobOutput {
    let files = vec![SourceFile {
        rel: "api.yaml".into(),
        abs: root.join("api.yaml"),
        size: 1,
    }];
    let cfg = Config {
        base: Some("HEAD".into()),
        ..Config::default()
    };
    let mut ctx = ScanContext::new(root.to_path_buf());
    ctx.cache = cache;
    ContractJob::new(&cfg, &[]).unwrap().scan(&files, &ctx)
}

fn ids(out: &JobOutput) -> Vec<(String, String, u32)> {
    out.findings
        .iter()
        .map(|f| {
            (
                f.rule_id.clone(),
                f.location.path.clone(),
                f.location.start_line,
            )
        })
        .collect()
}

fn same(a: &JobOutput, b: &JobOutput) {
    assert_eq!(a.findings, b.findings);
    let keys = |o: &JobOutput| -> Vec<String> {
        o.findings
            .iter()
            .map(|f| f.fingerprint_key.clone())
            .collect()
    };
    assert_eq!(keys(a), keys(b));
    assert_eq!(a.notifications, b.notifications);
    assert_eq!(a.files_scanned, b.files_scanned);
}

#[test]
fn cached_scans_equal_uncached_ones_and_referenced_files_invalidate() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    std::fs::create_dir(root.join("schemas")).unwrap();
    std::fs::write(root.join("api.yaml"), API).unwrap();
    std::fs::write(root.join("schemas/pet.yaml"), PET).unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "base"]);
    // the revision: `name` is no longer required (in the referenced file); owner.yaml does not exist
    std::fs::write(
        root.join("schemas/pet.yaml"),
        PET.replace("[id, name]", "[id]"),
    )
    .unwrap();

    let store = Arc::new(Counting::default());
    let cache = ResultCache::new(store.clone(), &[b"test"]);
    let uncached = scan(root, ResultCache::disabled());
    assert_eq!(
        ids(&uncached),
        vec![(
            "response-property-became-optional".into(),
            "schemas/pet.yaml".into(),
            3
        )]
    );
    assert!(uncached
        .notifications
        .iter()
        .any(|n| n.code == "contract-ref-file"));

    // first scan: computed and kept; second: answered from the cache, nothing written
    let first = scan(root, cache.clone());
    same(&first, &uncached);
    assert_eq!(store.puts.load(Ordering::Relaxed), 1);
    let second = scan(root, cache.clone());
    same(&second, &uncached);
    assert_eq!(
        store.puts.load(Ordering::Relaxed),
        1,
        "second scan was not a hit"
    );
    // files are named relative to the root, so the same tree elsewhere (the service scans each
    // upload in a fresh directory) is answered from the same entry
    let root_s = root.to_string_lossy().to_string();
    assert!(
        uncached
            .notifications
            .iter()
            .all(|n| !n.message.contains(&root_s)),
        "{:?}",
        uncached.notifications
    );
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("copy");
    let cp = Command::new("cp")
        .arg("-r")
        .arg(root)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(cp.success());
    let moved = scan(&copy, cache.clone());
    same(&moved, &scan(&copy, ResultCache::disabled()));
    same(&moved, &uncached);
    assert_eq!(
        store.puts.load(Ordering::Relaxed),
        1,
        "a moved tree was not a hit"
    );

    // an edit to the referenced file (api.yaml itself unchanged): the entry no longer answers
    std::fs::write(
        root.join("schemas/pet.yaml"),
        PET.replace("[id, name]", "[id]")
            .replace("name: {type: string}", "name: {type: integer}"),
    )
    .unwrap();
    let edited = scan(root, cache.clone());
    let edited_uncached = scan(root, ResultCache::disabled());
    same(&edited, &edited_uncached);
    assert_eq!(
        ids(&edited),
        vec![
            (
                "response-property-became-optional".into(),
                "schemas/pet.yaml".into(),
                3
            ),
            (
                "response-property-type-changed".into(),
                "schemas/pet.yaml".into(),
                6
            ),
        ]
    );
    assert_eq!(store.puts.load(Ordering::Relaxed), 2);
    same(&scan(root, cache.clone()), &edited_uncached);
    assert_eq!(store.puts.load(Ordering::Relaxed), 2);

    // a referenced file that could not be loaded appears: a miss too
    std::fs::write(root.join("schemas/owner.yaml"), "Owner: {type: object}\n").unwrap();
    let appeared = scan(root, cache.clone());
    same(&appeared, &scan(root, ResultCache::disabled()));
    assert_eq!(store.puts.load(Ordering::Relaxed), 3);

    // a document diffed against an identical base is cached as clean and stays clean
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "revision"]);
    let clean = scan(root, cache.clone());
    assert!(clean.findings.is_empty(), "{:?}", ids(&clean));
    same(&clean, &scan(root, ResultCache::disabled()));
    let clean_again = scan(root, cache);
    same(&clean_again, &clean);
    assert_eq!(store.puts.load(Ordering::Relaxed), 4);
}

/// The service's way: base documents in a directory of their own, tree and base in fresh directories
/// for every scan. The second scan is answered from the cache; a changed base file referenced from the
/// base document is a miss.
#[test]
fn base_documents_in_a_directory_hit_across_scratch_directories() {
    let scan_in = |cache: &ResultCache, base_pet: &str| -> JobOutput {
        let tmp = tempfile::tempdir().unwrap();
        let (root, base) = (tmp.path().join("tree"), tmp.path().join("base"));
        for (dir, pet) in [
            (&root, PET.replace("[id, name]", "[id]")),
            (&base, base_pet.to_string()),
        ] {
            std::fs::create_dir_all(dir.join("schemas")).unwrap();
            std::fs::write(dir.join("api.yaml"), API).unwrap();
            std::fs::write(dir.join("schemas/pet.yaml"), pet).unwrap();
        }
        let files = vec![SourceFile {
            rel: "api.yaml".into(),
            abs: root.join("api.yaml"),
            size: 1,
        }];
        let cfg = Config {
            base: Some("the uploaded base".into()),
            base_dir: Some(base.clone()),
            ..Config::default()
        };
        let mut ctx = ScanContext::new(root.clone());
        ctx.cache = cache.clone();
        ContractJob::new(&cfg, &[]).unwrap().scan(&files, &ctx)
    };
    let store = Arc::new(Counting::default());
    let cache = ResultCache::new(store.clone(), &[b"service"]);
    let first = scan_in(&cache, PET);
    assert_eq!(
        ids(&first),
        vec![(
            "response-property-became-optional".into(),
            "schemas/pet.yaml".into(),
            3
        )]
    );
    same(&first, &scan_in(&ResultCache::disabled(), PET));
    let second = scan_in(&cache, PET);
    same(&second, &first);
    assert_eq!(store.puts.load(Ordering::Relaxed), 1, "not a hit");
    // the base's referenced file differs: a miss, and the result of the new base
    let other_base = PET.replace("name: {type: string}", "name: {type: integer}");
    let third = scan_in(&cache, &other_base);
    same(&third, &scan_in(&ResultCache::disabled(), &other_base));
    assert_eq!(store.puts.load(Ordering::Relaxed), 2);
}
