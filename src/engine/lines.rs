//! What the engine reads of each file that has findings: its inline suppression comments and GitHub's line
//! hashes of the findings' lines. One read per file, files in parallel; through the result cache when the
//! scan knows the file's digest, so a re-scan of an unchanged file does not read it for this either.

use super::suppress;
use crate::finding::{Finding, Suppression};
use crate::model::{linehash, ContentDigest, KnownContent, ResultCache};
use crate::text::LineIndex;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// Per finding of a file, in order: its suppression by a comment, and its line hash.
type Facts = Vec<(Option<Suppression>, Option<String>)>;

/// The scan's cache and the digests it knows, by path.
pub struct Known<'a> {
    pub cache: &'a ResultCache,
    pub contents: &'a HashMap<String, KnownContent>,
}

/// Mark findings suppressed by comments in their files, and give each its line hash.
pub fn apply(root: &Path, findings: &mut [Finding], known: Option<&Known>) {
    let mut by_path: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        by_path.entry(f.location.path.as_str()).or_default().push(i);
    }
    let groups: Vec<(&str, Vec<usize>)> = by_path.into_iter().collect();
    let shared: &[Finding] = findings;
    let facts: Vec<(Vec<usize>, Facts)> = groups
        .into_par_iter()
        .filter_map(|(path, idxs)| {
            let mine: Vec<&Finding> = idxs.iter().map(|&i| &shared[i]).collect();
            file_facts(root, path, &mine, known).map(|f| (idxs, f))
        })
        .collect();
    for (idxs, f) in facts {
        for (i, (suppression, hash)) in idxs.into_iter().zip(f) {
            if suppression.is_some() {
                findings[i].suppression = suppression;
            }
            findings[i].line_hash = hash;
        }
    }
}

fn file_facts(
    root: &Path,
    rel: &str,
    findings: &[&Finding],
    known: Option<&Known>,
) -> Option<Facts> {
    // a file that cannot be read, or is not a regular file below the root, gets nothing (as in the
    // action for the line hashes)
    if rel.is_empty() || rel.split('/').any(|c| c == "..") || Path::new(rel).is_absolute() {
        return None;
    }
    let key = |k: &Known, digest: &ContentDigest| {
        let mut b = k.cache.engine_key("lines").str(rel).part(digest);
        for f in findings {
            b = b
                .part(&f.location.start_line.to_le_bytes())
                .str(f.job.as_str())
                .str(&f.rule_id)
                .part(&[u8::from(f.suppression.is_some())]);
        }
        b.finish()
    };
    let known = known.filter(|k| k.cache.is_enabled());
    let digest = known.and_then(|k| k.contents.get(rel)).map(|c| c.digest);
    if let (Some(k), Some(d)) = (known, &digest) {
        if let Some(f) = k.cache.get::<Facts>(&key(k, d)) {
            if f.len() == findings.len() {
                return Some(f);
            }
        }
    }
    let path = root.join(rel);
    if !path.is_file() {
        return None;
    }
    let bytes = std::fs::read(&path).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let index = LineIndex::new(&text);
    let suppressions = suppress::in_text(&index, findings);
    let wanted: BTreeSet<u32> = findings
        .iter()
        .map(|f| f.location.start_line.max(1))
        .collect();
    let hashes = linehash::hashes_of_lines(&text, &wanted);
    let facts: Facts = findings
        .iter()
        .zip(suppressions)
        .map(|(f, s)| (s, hashes.get(&f.location.start_line.max(1)).cloned()))
        .collect();
    if let (Some(k), Some(_)) = (known, digest) {
        // kept under the digest of what was read
        k.cache
            .put(key(k, &crate::model::digest_text(&text)), &facts);
    }
    Some(facts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{JobKind, Location, Severity};
    use crate::model::cache::MemoryStore;
    use std::sync::Arc;

    fn finding(path: &str, line: u32) -> Finding {
        Finding::new(
            "SEC-X",
            JobKind::Secrets,
            Severity::High,
            "m",
            Location::line(path, line),
        )
    }

    fn facts(f: &[Finding]) -> Vec<(Option<String>, Option<String>)> {
        f.iter()
            .map(|f| {
                (
                    f.suppression.as_ref().map(|s| s.justification.clone()),
                    f.line_hash.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn one_read_per_file_and_an_unchanged_file_is_answered_by_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let text = "a = 1\nkey = 'x'  # tollgate: ignore\n\n  a = 1\n";
        std::fs::write(dir.path().join("a.py"), text).unwrap();
        let all = || {
            vec![
                finding("a.py", 2),
                finding("a.py", 4),
                finding("../a.py", 1),
                finding("missing.py", 1),
            ]
        };
        let mut plain = all();
        apply(dir.path(), &mut plain, None);
        let want = facts(&plain);
        assert_eq!(want[0].0.as_deref(), Some("`tollgate: ignore` on the line"));
        assert_eq!(want[1], (None, linehash::line_hashes(text).get(3).cloned()));
        assert_eq!(want[2], (None, None));
        assert_eq!(want[3], (None, None));

        let store = Arc::new(MemoryStore::default());
        let cache = ResultCache::new(store.clone(), &[]);
        let contents = HashMap::from([(
            "a.py".to_string(),
            KnownContent {
                digest: crate::model::digest_text(text),
                lossy: false,
            },
        )]);
        let known = Known {
            cache: &cache,
            contents: &contents,
        };
        let mut first = all();
        apply(dir.path(), &mut first, Some(&known));
        assert_eq!(facts(&first), want);
        assert_eq!(store.puts(), 1);
        // the file is gone, but the scan says it knows its content: the cache answers
        std::fs::remove_file(dir.path().join("a.py")).unwrap();
        let mut again = all();
        apply(dir.path(), &mut again, Some(&known));
        assert_eq!(facts(&again), want);
        assert_eq!(store.hits(), 1);
        // other findings in the file are another key
        let mut other = vec![finding("a.py", 1)];
        apply(dir.path(), &mut other, Some(&known));
        assert_eq!(facts(&other), vec![(None, None)]);
    }
}
