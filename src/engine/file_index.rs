//! The file index: the digest of each file's text that earlier scans computed, with the metadata the file
//! had then (device, inode, size, modification and change times), kept in the result cache per scan root.
//! A file whose metadata is unchanged is not read again: the jobs get its digest from here and find their
//! results in the cache (Ruff trusts a file's modification time the same way, git its index). Git's "racy"
//! rule applies: a file changed less than a margin before the scan that read it is not vouched for, since a
//! second change within the timestamps' granularity would leave its metadata unchanged. The change time
//! (`ctime`) cannot be set by a user, so `touch -d` or an archive's old times cannot fake an unchanged file.

use crate::model::cache::{digest, CacheKey};
use crate::model::{CacheStore, KnownContent};
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// What identifies a file's content without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    dev: u64,
    ino: u64,
    size: u64,
    /// Seconds and nanoseconds since the epoch.
    mtime: (i64, u32),
    ctime: (i64, u32),
}

impl Stat {
    /// The metadata of a regular file (`None` where the platform does not give inode and change time).
    #[cfg(unix)]
    pub fn of(meta: &std::fs::Metadata) -> Option<Stat> {
        use std::os::unix::fs::MetadataExt;
        Some(Stat {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), u32::try_from(meta.mtime_nsec()).ok()?),
            ctime: (meta.ctime(), u32::try_from(meta.ctime_nsec()).ok()?),
        })
    }

    #[cfg(not(unix))]
    pub fn of(_meta: &std::fs::Metadata) -> Option<Stat> {
        None
    }

    /// Both times are before `limit` (the scan's start less the margin).
    fn settled(&self, limit: (i64, u32)) -> bool {
        self.mtime < limit && self.ctime < limit
    }
}

const MAGIC: &[u8; 8] = b"TGFIDX01";
/// Bytes of one entry besides its path: 5 u64/i64, 2 u32, the digest, the lossy flag.
const FIXED: usize = 8 * 5 + 4 * 2 + 32 + 1;
/// More entries than this are not kept (a tree that large re-reads its files).
const MAX_ENTRIES: usize = 4_000_000;

/// The index of one scan root.
#[derive(Debug, Default)]
pub struct FileIndex {
    key: CacheKey,
    entries: HashMap<String, (Stat, KnownContent)>,
    /// The bytes it was loaded from (not written back when unchanged).
    loaded: Vec<u8>,
}

impl FileIndex {
    /// The index of `root` in `store` (empty when there is none or it does not decode).
    pub fn load(store: &dyn CacheStore, root: &Path) -> FileIndex {
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let key = digest(&[
            b"tollgate-file-index",
            env!("CARGO_PKG_VERSION").as_bytes(),
            root.as_os_str().as_encoded_bytes(),
        ]);
        let loaded = store.get_side(&key).unwrap_or_default();
        let entries = decode(&loaded).unwrap_or_default();
        FileIndex {
            key,
            entries,
            loaded,
        }
    }

    /// The content of the file at `rel`, if its metadata is what it was when it was read.
    pub fn vouch(&self, rel: &str, stat: &Stat) -> Option<KnownContent> {
        self.entries
            .get(rel)
            .filter(|(s, _)| s == stat)
            .map(|(_, k)| *k)
    }

    /// Keep what this scan knows: each walked file (`stats`) whose digest is known at the end of the scan
    /// (`known`) and whose times are at least `margin` before `started`. Nothing is written when the index
    /// did not change.
    pub fn save(
        &self,
        store: &dyn CacheStore,
        stats: &HashMap<String, Stat>,
        known: &HashMap<String, KnownContent>,
        started: SystemTime,
        margin: Duration,
    ) {
        let limit = started
            .checked_sub(margin)
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| (d.as_secs() as i64, d.subsec_nanos()))
            .unwrap_or((0, 0));
        let mut rows: Vec<(&String, &Stat, &KnownContent)> = stats
            .iter()
            .filter(|(_, s)| s.settled(limit))
            .filter_map(|(rel, s)| known.get(rel).map(|k| (rel, s, k)))
            .collect();
        rows.sort_by(|a, b| a.0.cmp(b.0));
        rows.truncate(MAX_ENTRIES);
        let bytes = encode(&rows);
        if bytes != self.loaded {
            store.put_side(self.key, bytes);
        }
    }
}

fn encode(rows: &[(&String, &Stat, &KnownContent)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        MAGIC.len() + 8 + rows.iter().map(|r| 4 + r.0.len() + FIXED).sum::<usize>(),
    );
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(rows.len() as u64).to_le_bytes());
    for (rel, s, k) in rows {
        out.extend_from_slice(&(rel.len() as u32).to_le_bytes());
        out.extend_from_slice(rel.as_bytes());
        for v in [s.dev, s.ino, s.size] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&s.mtime.0.to_le_bytes());
        out.extend_from_slice(&s.mtime.1.to_le_bytes());
        out.extend_from_slice(&s.ctime.0.to_le_bytes());
        out.extend_from_slice(&s.ctime.1.to_le_bytes());
        out.extend_from_slice(&k.digest);
        out.push(u8::from(k.lossy));
    }
    out
}

/// Reads little-endian fields off a byte slice; every read is bounds-checked.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }

    fn i64(&mut self) -> Option<i64> {
        self.array().map(i64::from_le_bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }
}

fn decode(bytes: &[u8]) -> Option<HashMap<String, (Stat, KnownContent)>> {
    let mut r = Reader(bytes);
    if r.take(MAGIC.len())? != MAGIC {
        return None;
    }
    let n = usize::try_from(r.u64()?).ok()?;
    // every entry takes at least FIXED + 4 bytes: a count the bytes cannot hold is corrupt
    if n > MAX_ENTRIES || n > r.0.len() / (FIXED + 4) {
        return None;
    }
    let mut out = HashMap::with_capacity(n);
    for _ in 0..n {
        let len = r.u32()? as usize;
        let rel = std::str::from_utf8(r.take(len)?).ok()?.to_string();
        let stat = Stat {
            dev: r.u64()?,
            ino: r.u64()?,
            size: r.u64()?,
            mtime: (r.i64()?, r.u32()?),
            ctime: (r.i64()?, r.u32()?),
        };
        let digest = r.array::<32>()?;
        let lossy = match r.take(1)?[0] {
            0 => false,
            1 => true,
            _ => return None,
        };
        out.insert(rel, (stat, KnownContent { digest, lossy }));
    }
    r.0.is_empty().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cache::MemoryStore;

    fn stat(n: u64, t: i64) -> Stat {
        Stat {
            dev: 1,
            ino: n,
            size: 10 * n,
            mtime: (t, 5),
            ctime: (t, 7),
        }
    }

    fn known(b: u8) -> KnownContent {
        KnownContent {
            digest: [b; 32],
            lossy: b % 2 == 1,
        }
    }

    #[test]
    fn keeps_settled_files_with_a_known_digest_and_vouches_for_unchanged_metadata() {
        let store = MemoryStore::default();
        let dir = tempfile::tempdir().unwrap();
        let idx = FileIndex::load(&store, dir.path());
        assert!(idx.entries.is_empty());
        let started = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let stats = HashMap::from([
            ("a.py".to_string(), stat(1, 900)),
            ("b.py".to_string(), stat(2, 999)),
            ("c.py".to_string(), stat(3, 900)),
        ]);
        // b changed a second before the scan (inside the margin); c was never hashed
        let hashed = HashMap::from([
            ("a.py".to_string(), known(1)),
            ("b.py".to_string(), known(2)),
        ]);
        idx.save(&store, &stats, &hashed, started, Duration::from_secs(2));
        assert_eq!(store.puts(), 1);
        let idx = FileIndex::load(&store, dir.path());
        assert_eq!(idx.vouch("a.py", &stat(1, 900)), Some(known(1)));
        assert_eq!(idx.vouch("b.py", &stat(2, 999)), None);
        assert_eq!(idx.vouch("c.py", &stat(3, 900)), None);
        // any change of the metadata: not vouched for
        let mut s = stat(1, 900);
        s.ctime.1 += 1;
        assert_eq!(idx.vouch("a.py", &s), None);
        let mut s = stat(1, 900);
        s.size += 1;
        assert_eq!(idx.vouch("a.py", &s), None);
        // the same index again: not written again
        idx.save(&store, &stats, &hashed, started, Duration::from_secs(2));
        assert_eq!(store.puts(), 1);
        // another root has another index
        let other = tempfile::tempdir().unwrap();
        assert!(FileIndex::load(&store, other.path()).entries.is_empty());
    }

    #[test]
    fn corrupt_bytes_give_an_empty_index() {
        let s = stat(1, 5);
        let k = known(3);
        let rel = "x/y.py".to_string();
        let good = encode(&[(&rel, &s, &k)]);
        assert_eq!(decode(&good).unwrap()[&rel], (s, k));
        for cut in 0..good.len() {
            assert!(decode(&good[..cut]).is_none(), "cut at {cut}");
        }
        let mut long = good.clone();
        long.push(0);
        assert!(decode(&long).is_none());
        let mut huge = good.clone();
        huge[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(decode(&huge).is_none());
        let mut flag = good;
        *flag.last_mut().unwrap() = 7;
        assert!(decode(&flag).is_none());
    }
}
