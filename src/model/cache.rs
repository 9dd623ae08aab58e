//! The result cache a job may use: a [`ResultCache`] handle in every [`super::ScanContext`], keys that bind a
//! result to everything it depends on ([`KeyBuilder`]), and the [`CacheStore`] trait the engine (a file in
//! `.tollgate_cache/`) and the service (its database) implement. A job decides its own unit (a file, a
//! manifest, a document pair) and what goes into its key; the store only sees opaque keys and bytes.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

thread_local! {
    static STORING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is serializing a value for the cache: a [`super::Finding`]'s `fingerprint_key`
/// is left out of every report but must survive the cache, so its serde attribute asks this.
pub fn storing() -> bool {
    STORING.with(|s| s.get())
}

/// `skip_serializing_if` helper for fields that only the cache keeps.
pub fn not_storing<T>(_: &T) -> bool {
    !storing()
}

/// Serialize `value` for the cache (fields kept only for the cache included).
fn encode<T: Serialize>(value: &T) -> Option<Vec<u8>> {
    STORING.with(|s| s.set(true));
    let r = serde_json::to_vec(value).ok();
    STORING.with(|s| s.set(false));
    r
}

/// A cache key: a BLAKE3 hash of everything the cached value depends on.
pub type CacheKey = [u8; 32];

/// Where cached values live. Implementations must be safe to call from many threads at once; a lost or
/// unreadable entry is a miss, never an error.
pub trait CacheStore: Send + Sync {
    fn get(&self, key: &CacheKey) -> Option<Vec<u8>>;
    fn put(&self, key: CacheKey, value: Vec<u8>);
    /// A value kept apart from the results and replaced whole: the engine's file index, which changes
    /// whenever files settle and would otherwise make the results be written again. A store without a
    /// place for it keeps it with the results.
    fn get_side(&self, key: &CacheKey) -> Option<Vec<u8>> {
        self.get(key)
    }
    fn put_side(&self, key: CacheKey, value: Vec<u8>) {
        self.put(key, value)
    }
}

/// Builds a [`CacheKey`] from length-prefixed parts, so `("ab", "c")` and `("a", "bc")` never collide.
pub struct KeyBuilder(blake3::Hasher);

impl KeyBuilder {
    pub fn part(mut self, bytes: &[u8]) -> Self {
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    pub fn str(self, s: &str) -> Self {
        self.part(s.as_bytes())
    }

    pub fn finish(self) -> CacheKey {
        *self.0.finalize().as_bytes()
    }
}

/// A stable digest of a job's settings (its configuration and the text of every rule it loaded), computed
/// once when the job is built and put into each of its keys.
pub fn digest(parts: &[&[u8]]) -> CacheKey {
    parts
        .iter()
        .fold(
            KeyBuilder(blake3::Hasher::new()).str("tollgate-settings"),
            |k, p| k.part(p),
        )
        .finish()
}

/// The cache as a job sees it: disabled (every lookup misses, nothing is kept), or a store plus a salt
/// (tollgate's version and the scan's rule selection) that every key starts with.
#[derive(Clone, Default)]
pub struct ResultCache {
    store: Option<Arc<dyn CacheStore>>,
    salt: CacheKey,
}

impl std::fmt::Debug for ResultCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultCache")
            .field("enabled", &self.store.is_some())
            .finish()
    }
}

impl ResultCache {
    /// No cache: `--no-cache`, or a caller that did not ask for one.
    pub fn disabled() -> Self {
        ResultCache::default()
    }

    /// A cache over `store`; `salt` names what every entry also depends on besides a job's own key
    /// (the engine passes the rule selection). Tollgate's version is always part of it.
    pub fn new(store: Arc<dyn CacheStore>, salt: &[&[u8]]) -> Self {
        let mut k = KeyBuilder(blake3::Hasher::new())
            .str("tollgate-cache")
            .str(env!("CARGO_PKG_VERSION"));
        for s in salt {
            k = k.part(s);
        }
        ResultCache {
            store: Some(store),
            salt: k.finish(),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.store.is_some()
    }

    /// Start a key for one unit of `job`'s work (`unit` names the kind of unit, e.g. `"file"`), salted with
    /// tollgate's version and the selection; add the job's settings digest and the unit's inputs.
    pub fn key(&self, job: super::JobKind, unit: &str) -> KeyBuilder {
        KeyBuilder(blake3::Hasher::new())
            .part(&self.salt)
            .str(job.as_str())
            .str(unit)
    }

    /// Start a key for the engine's own per-file work (e.g. `"lines"`: suppressions and line hashes).
    pub fn engine_key(&self, unit: &str) -> KeyBuilder {
        KeyBuilder(blake3::Hasher::new())
            .part(&self.salt)
            .str("engine")
            .str(unit)
    }

    /// The cached value under `key`, if any and if it still decodes as a `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &CacheKey) -> Option<T> {
        let bytes = self.store.as_ref()?.get(key)?;
        crate::doc::json::from_slice(&bytes, &crate::doc::Limits::DEFAULT).ok()
    }

    /// Keep `value` under `key` (a no-op when the cache is disabled).
    pub fn put<T: Serialize>(&self, key: CacheKey, value: &T) {
        if let Some(store) = &self.store {
            if let Some(bytes) = encode(value) {
                store.put(key, bytes);
            }
        }
    }

    /// The cached value under `key`, or `compute()`'s, which is then kept.
    pub fn get_or<T: Serialize + DeserializeOwned>(
        &self,
        key: impl FnOnce() -> CacheKey,
        compute: impl FnOnce() -> T,
    ) -> T {
        if self.store.is_none() {
            return compute();
        }
        let key = key();
        if let Some(v) = self.get(&key) {
            return v;
        }
        let v = compute();
        self.put(key, &v);
        v
    }
}

impl ResultCache {
    /// The cached value for one file's content, or `compute(text)`'s: looked up under the digest the
    /// scan knows (the file is not read on a hit), and kept under the digest of the text `compute` saw, so
    /// a file that changed under the scan never files its results under its old content.
    pub fn get_or_content<T: Serialize + DeserializeOwned>(
        &self,
        ctx: &super::ScanContext,
        file: &super::SourceFile,
        content: &mut super::Content,
        key: impl Fn(&super::ContentDigest) -> CacheKey,
        compute: impl FnOnce(&str) -> T,
    ) -> Result<T, super::Notification> {
        if self.store.is_some() {
            if let Some(v) = self.get(&key(content.digest())) {
                return Ok(v);
            }
        }
        let v = compute(content.text(ctx, file)?);
        self.put(key(content.digest()), &v);
        Ok(v)
    }
}

/// A store in memory: for tests, and for callers that want a cache for one process only.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<CacheKey, Vec<u8>>>,
    hits: std::sync::atomic::AtomicUsize,
    puts: std::sync::atomic::AtomicUsize,
}

impl MemoryStore {
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many lookups found an entry.
    pub fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many values were stored (a value stored again under the same key counts again: a warm scan
    /// that stores anything computed something the cache should have answered).
    pub fn puts(&self) -> usize {
        self.puts.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl CacheStore for MemoryStore {
    fn get(&self, key: &CacheKey) -> Option<Vec<u8>> {
        let v = self.entries.lock().unwrap().get(key).cloned();
        if v.is_some() {
            self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        v
    }

    fn put(&self, key: CacheKey, value: Vec<u8>) {
        self.puts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.entries.lock().unwrap().insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::JobKind;

    #[test]
    fn keys_bind_every_part_and_the_salt() {
        let store = Arc::new(MemoryStore::default());
        let a = ResultCache::new(store.clone(), &[b"select=all"]);
        let b = ResultCache::new(store.clone(), &[b"select=SEC"]);
        let k = |c: &ResultCache, x: &str, y: &str| {
            c.key(JobKind::Secrets, "file").str(x).str(y).finish()
        };
        assert_ne!(k(&a, "ab", "c"), k(&a, "a", "bc"));
        assert_ne!(k(&a, "ab", "c"), k(&b, "ab", "c"));
        assert_ne!(
            a.key(JobKind::Secrets, "file").finish(),
            a.key(JobKind::Sast, "file").finish()
        );
        assert_eq!(k(&a, "ab", "c"), k(&a, "ab", "c"));
    }

    #[test]
    fn a_finding_keeps_its_fingerprint_key_in_the_cache_only() {
        use crate::model::{Finding, Location, Severity};
        let mut f = Finding::new(
            "PY-X",
            JobKind::Sast,
            Severity::High,
            "m",
            Location {
                path: "a.py".into(),
                start_line: 3,
                start_column: 1,
                end_line: 3,
                end_column: 2,
            },
        );
        f.fingerprint_key = "call os.system(x) in f".into();
        assert!(!serde_json::to_string(&f).unwrap().contains("os.system"));
        let c = ResultCache::new(Arc::new(MemoryStore::default()), &[]);
        let k = c.key(JobKind::Sast, "file").finish();
        c.put(k, &vec![f.clone()]);
        assert_eq!(c.get::<Vec<Finding>>(&k), Some(vec![f.clone()]));
        assert!(!serde_json::to_string(&f).unwrap().contains("os.system"));
    }

    #[test]
    fn get_or_computes_once() {
        let store = Arc::new(MemoryStore::default());
        let c = ResultCache::new(store.clone(), &[]);
        let key = || c.key(JobKind::Sast, "file").str("x.py").finish();
        let mut calls = 0;
        let v: Vec<u32> = c.get_or(key, || {
            calls += 1;
            vec![1, 2]
        });
        let w: Vec<u32> = c.get_or(key, || {
            calls += 1;
            vec![9]
        });
        assert_eq!((v, w, calls), (vec![1, 2], vec![1, 2], 1));
        assert_eq!(store.hits(), 1);
        // Disabled: always computes, keeps nothing.
        let off = ResultCache::disabled();
        let n: u8 = off.get_or(|| [0; 32], || 7);
        assert_eq!(n, 7);
        assert!(!off.is_enabled());
    }
}
