//! The CLI's result cache on disk: one file per tollgate version in `.tollgate_cache/` (marked with a
//! `CACHEDIR.TAG` and a `.gitignore`, as Ruff marks `.ruff_cache`), loaded whole at start and written back
//! once at the end. The file is authenticated with a key that lives outside the tree (the user's cache
//! directory, or `TOLLGATE_CACHE_KEY`): a cache committed by a pull request's author cannot tell the scan
//! that a file is clean.

use crate::model::{CacheKey, CacheStore};
/// Keys are BLAKE3 digests of inputs a pull request's author controls: a keyed hasher (not SipHash's
/// cost, not an unkeyed one a crafted tree could flood).
type HashMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;
type HashSet<K> = std::collections::HashSet<K, ahash::RandomState>;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The default cache directory name (relative to the current directory).
pub const DEFAULT_DIR: &str = ".tollgate_cache";
/// A cache file larger than this is not read (and the cache starts empty).
const MAX_FILE: u64 = 512 * 1024 * 1024;
/// Entries not used for this many days are dropped when the cache is written.
const KEEP_DAYS: u32 = 7;
/// The cache file keeps at most this many bytes of values; the least recently used go first.
const MAX_BYTES: usize = 256 * 1024 * 1024;
const MAGIC: &[u8; 8] = b"TGCACHE1";
const SIDE_MAGIC: &[u8; 8] = b"TGSIDE01";

const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by tollgate.\n# For information about cache directory tags see https://bford.info/cachedir/\n";

/// An on-disk cache, open for one scan.
pub struct DiskCache {
    dir: PathBuf,
    file: PathBuf,
    mac_key: [u8; 32],
    old: HashMap<CacheKey, (u32, Vec<u8>)>,
    used: Mutex<HashSet<CacheKey>>,
    new: Mutex<HashMap<CacheKey, Vec<u8>>>,
    /// Side values put during this scan (each a file of its own, written by [`DiskCache::persist`]).
    side: Mutex<HashMap<CacheKey, Vec<u8>>>,
    today: u32,
    /// Why the existing file was not used (tampered, truncated, another key), for the caller to say.
    pub load_problem: Option<String>,
}

fn today() -> u32 {
    (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        / 86_400) as u32
}

/// The directory of the MAC key file: `$XDG_CACHE_HOME/tollgate` or `~/.cache/tollgate`.
fn user_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("tollgate"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".cache").join("tollgate"))
}

/// The key that authenticates cache files: from `TOLLGATE_CACHE_KEY` (a CI secret, so a restored cache
/// verifies on a fresh runner), else a random key made once in the user's cache directory.
fn mac_key() -> Result<[u8; 32], String> {
    if let Some(k) = std::env::var_os("TOLLGATE_CACHE_KEY").filter(|k| !k.is_empty()) {
        return Ok(blake3::derive_key(
            "tollgate result cache 2026-12 mac key",
            k.as_encoded_bytes(),
        ));
    }
    let dir = user_dir().ok_or("no HOME or XDG_CACHE_HOME for the cache key")?;
    let path = dir.join("cache.key");
    if let Ok(bytes) = std::fs::read(&path) {
        if let Ok(k) = <[u8; 32]>::try_from(bytes.as_slice()) {
            return Ok(k);
        }
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    let tmp = dir.join(format!("cache.key.{}", std::process::id()));
    {
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        let mut f = o
            .open(&tmp)
            .map_err(|e| format!("{}: {e}", tmp.display()))?;
        f.write_all(&key)
            .map_err(|e| format!("{}: {e}", tmp.display()))?;
    }
    // Two processes racing: the first rename wins and both read it back.
    if std::fs::hard_link(&tmp, &path).is_err() && !path.exists() {
        std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let _ = std::fs::remove_file(&tmp);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| format!("{}: not a key", path.display()))
}

impl DiskCache {
    /// Open the cache in `dir` (created on the first write). Fails only when no key can be had.
    pub fn open(dir: &Path) -> Result<DiskCache, String> {
        let mac_key = mac_key()?;
        Ok(Self::open_with_key(dir, mac_key))
    }

    pub(crate) fn open_with_key(dir: &Path, mac_key: [u8; 32]) -> DiskCache {
        let file = dir.join(env!("CARGO_PKG_VERSION")).join("results.bin");
        let (old, load_problem) = match std::fs::metadata(&file) {
            Err(_) => (HashMap::default(), None),
            Ok(m) if m.len() > MAX_FILE => (
                HashMap::default(),
                Some(format!("{}: larger than {MAX_FILE} bytes", file.display())),
            ),
            Ok(_) => match std::fs::read(&file) {
                Ok(bytes) => match decode(&bytes, &mac_key) {
                    Ok(m) => (m, None),
                    Err(e) => (HashMap::default(), Some(format!("{}: {e}", file.display()))),
                },
                Err(e) => (HashMap::default(), Some(format!("{}: {e}", file.display()))),
            },
        };
        DiskCache {
            dir: dir.to_path_buf(),
            file,
            mac_key,
            old,
            used: Mutex::new(HashSet::default()),
            new: Mutex::new(HashMap::default()),
            side: Mutex::new(HashMap::default()),
            today: today(),
            load_problem,
        }
    }

    /// Entries read from disk.
    pub fn loaded(&self) -> usize {
        self.old.len()
    }

    /// Write the cache back when this scan added entries or used ones not yet marked as used today:
    /// entries used now, plus others used within the last week, newest first up to the size cap.
    pub fn persist(&self) -> Result<(), String> {
        let side = std::mem::take(&mut *self.side.lock().unwrap());
        for (key, value) in &side {
            self.write_side(key, value)?;
        }
        let new = std::mem::take(&mut *self.new.lock().unwrap());
        let used = std::mem::take(&mut *self.used.lock().unwrap());
        let stale_marks = used
            .iter()
            .any(|k| self.old.get(k).is_some_and(|(d, _)| *d < self.today));
        if new.is_empty() && !stale_marks && self.load_problem.is_none() {
            return Ok(());
        }
        let mut entries: Vec<(&CacheKey, u32, &[u8])> = Vec::new();
        for (k, v) in &new {
            entries.push((k, self.today, v));
        }
        for (k, (day, v)) in &self.old {
            if new.contains_key(k) {
                continue;
            }
            if used.contains(k) {
                entries.push((k, self.today, v));
            } else if day + KEEP_DAYS >= self.today && *day <= self.today {
                entries.push((k, *day, v));
            }
        }
        // Newest first, then by key: the same entries give the same file.
        entries.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let mut total = 0usize;
        entries.retain(|e| {
            total += e.2.len() + 40;
            total <= MAX_BYTES
        });
        self.write_file(&self.file, &encode(&entries, &self.mac_key))
    }

    /// Write a file of the cache whole: to a temporary file beside it, then renamed over it (a reader
    /// never sees half a file), in a marked cache directory.
    fn write_file(&self, path: &Path, bytes: &[u8]) -> Result<(), String> {
        let parent = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        mark_dir(&self.dir);
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let tmp = parent.join(format!("{name}.{}.tmp", std::process::id()));
        std::fs::write(&tmp, bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("{}: {e}", path.display())
        })
    }
}

impl DiskCache {
    /// The file of a side value: `side-<first 16 hex digits of its key>.bin` beside the results.
    fn side_file(&self, key: &CacheKey) -> PathBuf {
        let hex: String = key[..8].iter().map(|b| format!("{b:02x}")).collect();
        self.file.with_file_name(format!("side-{hex}.bin"))
    }

    /// A side value's file: magic, key, value, and a MAC over all three.
    fn write_side(&self, key: &CacheKey, value: &[u8]) -> Result<(), String> {
        let mut bytes = Vec::with_capacity(value.len() + 72);
        bytes.extend_from_slice(SIDE_MAGIC);
        bytes.extend_from_slice(key);
        bytes.extend_from_slice(value);
        let mac = blake3::keyed_hash(&self.mac_key, &bytes);
        bytes.extend_from_slice(mac.as_bytes());
        self.write_file(&self.side_file(key), &bytes)
    }

    fn read_side(&self, key: &CacheKey) -> Option<Vec<u8>> {
        let path = self.side_file(key);
        if std::fs::metadata(&path).ok()?.len() > MAX_FILE {
            return None;
        }
        let bytes = std::fs::read(&path).ok()?;
        let head = SIDE_MAGIC.len() + key.len();
        if bytes.len() < head + 32 {
            return None;
        }
        let (body, mac) = bytes.split_at(bytes.len() - 32);
        if blake3::keyed_hash(&self.mac_key, body) != blake3::Hash::from_bytes(mac.try_into().ok()?)
            || &body[..SIDE_MAGIC.len()] != SIDE_MAGIC
            || &body[SIDE_MAGIC.len()..head] != key
        {
            return None;
        }
        Some(body[head..].to_vec())
    }
}

/// `CACHEDIR.TAG` (backup tools skip the folder) and a `.gitignore` of `*` (git and tollgate's own walk
/// skip it).
fn mark_dir(dir: &Path) {
    let tag = dir.join("CACHEDIR.TAG");
    if !tag.exists() {
        let _ = std::fs::write(&tag, CACHEDIR_TAG);
    }
    let gi = dir.join(".gitignore");
    if !gi.exists() {
        let _ = std::fs::write(&gi, "# Automatically created by tollgate.\n*\n");
    }
}

/// Remove a cache directory (`tollgate cache clean`); refuses a folder that is not a tollgate cache.
pub fn clean(dir: &Path) -> Result<bool, String> {
    if !dir.exists() {
        return Ok(false);
    }
    let tag = std::fs::read_to_string(dir.join("CACHEDIR.TAG")).unwrap_or_default();
    if !tag.contains("created by tollgate") {
        return Err(format!(
            "{}: not a tollgate cache (no CACHEDIR.TAG written by tollgate); not removed",
            dir.display()
        ));
    }
    std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(true)
}

impl CacheStore for DiskCache {
    fn get(&self, key: &CacheKey) -> Option<Vec<u8>> {
        if let Some(v) = self.new.lock().unwrap().get(key) {
            return Some(v.clone());
        }
        let (_, v) = self.old.get(key)?;
        self.used.lock().unwrap().insert(*key);
        Some(v.clone())
    }

    fn put(&self, key: CacheKey, value: Vec<u8>) {
        if self.old.get(&key).is_some_and(|(_, v)| *v == value) {
            self.used.lock().unwrap().insert(key);
            return;
        }
        self.new.lock().unwrap().insert(key, value);
    }

    fn get_side(&self, key: &CacheKey) -> Option<Vec<u8>> {
        if let Some(v) = self.side.lock().unwrap().get(key) {
            return Some(v.clone());
        }
        self.read_side(key)
    }

    fn put_side(&self, key: CacheKey, value: Vec<u8>) {
        self.side.lock().unwrap().insert(key, value);
    }
}

fn encode(entries: &[(&CacheKey, u32, &[u8])], mac_key: &[u8; 32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.iter().map(|e| e.2.len() + 40).sum::<usize>() + 48);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    for (k, day, v) in entries {
        out.extend_from_slice(*k);
        out.extend_from_slice(&day.to_le_bytes());
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
        out.extend_from_slice(v);
    }
    let mac = blake3::keyed_hash(mac_key, &out);
    out.extend_from_slice(mac.as_bytes());
    out
}

type Entries = HashMap<CacheKey, (u32, Vec<u8>)>;

fn decode(bytes: &[u8], mac_key: &[u8; 32]) -> Result<Entries, String> {
    if bytes.len() < MAGIC.len() + 8 + 32 || &bytes[..8] != MAGIC {
        return Err("not a tollgate cache file".into());
    }
    let (body, mac) = bytes.split_at(bytes.len() - 32);
    // Constant-time comparison (blake3::Hash's PartialEq).
    if blake3::keyed_hash(mac_key, body) != blake3::Hash::from_bytes(mac.try_into().unwrap()) {
        return Err("written with another key or changed since; ignored".into());
    }
    let mut pos = 8;
    let take = |pos: &mut usize, n: usize| -> Result<&[u8], String> {
        let end = pos
            .checked_add(n)
            .filter(|e| *e <= body.len())
            .ok_or("truncated")?;
        let s = &body[*pos..end];
        *pos = end;
        Ok(s)
    };
    let count = u64::from_le_bytes(take(&mut pos, 8)?.try_into().unwrap());
    // Each entry takes at least 40 bytes: a count beyond that is a lie, not an allocation.
    if count > (body.len() / 40) as u64 {
        return Err("entry count larger than the file".into());
    }
    let mut map = HashMap::with_capacity_and_hasher(count as usize, Default::default());
    for _ in 0..count {
        let key: CacheKey = take(&mut pos, 32)?.try_into().unwrap();
        let day = u32::from_le_bytes(take(&mut pos, 4)?.try_into().unwrap());
        let len = u32::from_le_bytes(take(&mut pos, 4)?.try_into().unwrap()) as usize;
        let v = take(&mut pos, len)?.to_vec();
        map.insert(key, (day, v));
    }
    if pos != body.len() {
        return Err("trailing bytes".into());
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> CacheKey {
        [n; 32]
    }

    #[test]
    fn round_trip_marks_and_prunes() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join(DEFAULT_DIR);
        let c = DiskCache::open_with_key(&dir, [7; 32]);
        assert_eq!(c.get(&key(1)), None);
        c.put(key(1), b"one".to_vec());
        c.put(key(2), b"two".to_vec());
        assert_eq!(c.get(&key(1)).as_deref(), Some(&b"one"[..]));
        c.persist().unwrap();
        assert!(std::fs::read_to_string(dir.join("CACHEDIR.TAG"))
            .unwrap()
            .starts_with("Signature: 8a477f597d28d172789f06886806bc55"));
        assert_eq!(
            std::fs::read_to_string(dir.join(".gitignore")).unwrap(),
            "# Automatically created by tollgate.\n*\n"
        );
        let c = DiskCache::open_with_key(&dir, [7; 32]);
        assert_eq!(c.loaded(), 2);
        assert!(c.load_problem.is_none());
        assert_eq!(c.get(&key(2)).as_deref(), Some(&b"two"[..]));
        // The same entries give the same bytes.
        let before = std::fs::read(&c.file).unwrap();
        c.put(key(1), b"one".to_vec());
        c.persist().unwrap();
        assert_eq!(std::fs::read(&c.file).unwrap(), before);
    }

    #[test]
    fn another_key_or_a_flipped_byte_is_ignored() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join(DEFAULT_DIR);
        let c = DiskCache::open_with_key(&dir, [7; 32]);
        c.put(key(1), b"clean".to_vec());
        c.persist().unwrap();
        // A cache forged (or committed) by someone without the key is not trusted.
        let forged = DiskCache::open_with_key(&dir, [8; 32]);
        assert_eq!(forged.loaded(), 0);
        assert!(forged
            .load_problem
            .as_deref()
            .unwrap()
            .contains("another key"));
        let mut bytes = std::fs::read(&c.file).unwrap();
        let n = bytes.len();
        bytes[n / 2] ^= 1;
        std::fs::write(&c.file, &bytes).unwrap();
        let c2 = DiskCache::open_with_key(&dir, [7; 32]);
        assert_eq!(c2.loaded(), 0);
        assert!(c2.load_problem.is_some());
        // Garbage and truncation never panic.
        for junk in [&b""[..], b"TGCACHE1", &bytes[..n - 1], &[0xff; 100]] {
            assert!(decode(junk, &[7; 32]).is_err());
        }
        // A count that claims more entries than fit is refused before allocating.
        let mut lie = MAGIC.to_vec();
        lie.extend_from_slice(&u64::MAX.to_le_bytes());
        let mac = blake3::keyed_hash(&[7; 32], &lie);
        lie.extend_from_slice(mac.as_bytes());
        assert!(decode(&lie, &[7; 32]).unwrap_err().contains("count"));
    }

    #[test]
    fn side_values_live_in_their_own_authenticated_files() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join(DEFAULT_DIR);
        let c = DiskCache::open_with_key(&dir, [7; 32]);
        c.put(key(1), b"result".to_vec());
        c.persist().unwrap();
        let results = std::fs::read(&c.file).unwrap();
        c.put_side(key(9), b"index v1".to_vec());
        assert_eq!(c.get_side(&key(9)).as_deref(), Some(&b"index v1"[..]));
        c.persist().unwrap();
        // the results file is not written again for a side value
        assert_eq!(std::fs::read(&c.file).unwrap(), results);
        let c = DiskCache::open_with_key(&dir, [7; 32]);
        assert_eq!(c.get_side(&key(9)).as_deref(), Some(&b"index v1"[..]));
        assert_eq!(c.get_side(&key(8)), None);
        // another key, a flipped byte, a truncated file: not trusted
        assert_eq!(
            DiskCache::open_with_key(&dir, [8; 32]).get_side(&key(9)),
            None
        );
        let path = c.side_file(&key(9));
        let good = std::fs::read(&path).unwrap();
        for bad in [
            {
                let mut b = good.clone();
                b[20] ^= 1;
                b
            },
            good[..good.len() - 1].to_vec(),
            Vec::new(),
        ] {
            std::fs::write(&path, &bad).unwrap();
            assert_eq!(c.read_side(&key(9)), None);
        }
    }

    #[test]
    fn clean_only_removes_a_tollgate_cache() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join(DEFAULT_DIR);
        assert_eq!(clean(&dir), Ok(false));
        let c = DiskCache::open_with_key(&dir, [1; 32]);
        c.put(key(3), b"x".to_vec());
        c.persist().unwrap();
        assert_eq!(clean(&dir), Ok(true));
        assert!(!dir.exists());
        let other = d.path().join("src");
        std::fs::create_dir(&other).unwrap();
        assert!(clean(&other).unwrap_err().contains("not a tollgate cache"));
        assert!(other.exists());
    }
}
