//! An advisory database loaded once and shared by many scans: the HTTP service keeps one in memory and
//! swaps it whole when it is refreshed; a scan that holds one never reads the dump again.

use super::model::Ecosystem;
use super::osv::{self, EcoIndex};
use crate::finding::Notification;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// An offline advisory database loaded once for many scans: every ecosystem found under `dir`.
pub struct PreloadedDb {
    pub dir: PathBuf,
    pub indexes: BTreeMap<Ecosystem, std::sync::Arc<EcoIndex>>,
    /// What loading said (unreadable entries ...); repeated in every scan that uses the database.
    pub notifications: Vec<Notification>,
    /// When it was loaded (for the service's `/metrics` and `/readyz`).
    pub loaded_at: std::time::SystemTime,
}

impl std::fmt::Debug for PreloadedDb {
    // Short on purpose: a configuration's Debug form identifies it, and the advisories are not part of it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self
            .indexes
            .values()
            .map(|ix| ix.identity.sha256.as_str())
            .collect();
        write!(f, "PreloadedDb({}, {ids:?})", self.dir.display())
    }
}

impl PreloadedDb {
    /// Load every ecosystem present under `dir` (using the index cache in `cache_dir`).
    pub fn load(dir: &std::path::Path, cache_dir: Option<&std::path::Path>) -> PreloadedDb {
        let ecos: Vec<Ecosystem> = Ecosystem::ALL
            .iter()
            .copied()
            .filter(|&e| osv::offline::has_ecosystem(dir, e))
            .collect();
        let loaded: Vec<(Ecosystem, osv::offline::Loaded)> = ecos
            .par_iter()
            .map(|&e| (e, osv::offline::load_ecosystem(dir, e, cache_dir)))
            .collect();
        let mut db = PreloadedDb {
            dir: dir.to_path_buf(),
            indexes: BTreeMap::new(),
            notifications: Vec::new(),
            loaded_at: std::time::SystemTime::now(),
        };
        for (eco, l) in loaded {
            db.notifications.extend(l.notifications);
            if let Some(ix) = l.index {
                db.indexes.insert(eco, std::sync::Arc::new(ix));
            }
        }
        db
    }

    /// The newest advisory's `modified` time over all ecosystems (RFC 3339), if any.
    pub fn newest_modified(&self) -> Option<&str> {
        self.indexes
            .values()
            .map(|ix| ix.identity.newest_modified.as_str())
            .filter(|s| !s.is_empty())
            .max()
    }
}
