//! The service's result cache: the jobs' per-unit results in the job store, shared by every replica, so a
//! team re-scanning a tree with a few changed files pays only for those. Lookups go to the database as the
//! jobs ask (from the scan's worker threads, never from the async runtime's); new entries are written in
//! one transaction when the scan ends.

use super::store::Store;
use crate::model::{CacheKey, CacheStore};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Entries not used for this long are swept.
pub const KEEP_MS: i64 = 7 * 24 * 3600 * 1000;

/// The cache of one scan.
pub struct StoreCache {
    store: Store,
    rt: tokio::runtime::Handle,
    new: Mutex<HashMap<CacheKey, Vec<u8>>>,
    used: Mutex<Vec<String>>,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

impl StoreCache {
    /// Call from a blocking thread of the runtime (the scan's).
    pub fn new(store: Store, rt: tokio::runtime::Handle) -> StoreCache {
        StoreCache {
            store,
            rt,
            new: Mutex::new(HashMap::new()),
            used: Mutex::new(Vec::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Write what the scan added; a failure costs a later scan time, never this one's result.
    pub fn flush(&self, now_ms: i64) {
        let mut new: Vec<(String, Vec<u8>)> = std::mem::take(&mut *self.new.lock().unwrap())
            .into_iter()
            .map(|(k, v)| (hex::encode(k), v))
            .collect();
        new.sort();
        let mut used = std::mem::take(&mut *self.used.lock().unwrap());
        used.sort();
        used.dedup();
        if new.is_empty() && used.is_empty() {
            return;
        }
        if let Err(e) = self.rt.block_on(self.store.cache_put(&new, &used, now_ms)) {
            tracing::warn!(error = %e, "cannot write the result cache");
        }
    }
}

impl CacheStore for StoreCache {
    fn get(&self, key: &CacheKey) -> Option<Vec<u8>> {
        if let Some(v) = self.new.lock().unwrap().get(key) {
            return Some(v.clone());
        }
        let hex = hex::encode(key);
        match self.rt.block_on(self.store.cache_get(&hex)) {
            Ok(Some(v)) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                self.used.lock().unwrap().push(hex);
                Some(v)
            }
            Ok(None) => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "result cache lookup failed");
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    fn put(&self, key: CacheKey, value: Vec<u8>) {
        self.new.lock().unwrap().insert(key, value);
    }
}
