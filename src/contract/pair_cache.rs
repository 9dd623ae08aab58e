//! The contract job's result cache: one entry per document pair (a revision in the tree and its base).
//! The key binds the job's settings, the scan root, the path, the base ref, today's date (sunset dates
//! are compared with it) and both texts. The other files the documents' `$ref`s pulled in are known only
//! after loading, so an entry records each one with a digest of its text, and a hit re-reads them: an
//! edit to a referenced file (or one that appears where a `$ref` found nothing) is a miss.

use super::spec::{Source, Spec};
use crate::finding::{Finding, JobKind, Notification};
use crate::model::cache::{CacheKey, ResultCache};
use serde::{Deserialize, Serialize};

/// What one document pair produced, and what it depended on besides the two texts.
#[derive(Serialize, Deserialize)]
struct Entry {
    findings: Vec<Finding>,
    /// `Finding::fingerprint_key` of each finding (not serialized with the finding itself).
    fingerprint_keys: Vec<String>,
    notes: Vec<Notification>,
    /// Every other file the two documents pulled in (or tried to), with the digest of its text when it
    /// could be read.
    pulled: Vec<(Source, Option<[u8; 32]>)>,
}

/// The inputs a pair's key is made of.
pub(super) struct PairInputs<'a> {
    pub settings: &'a CacheKey,
    pub root: &'a str,
    pub rel: &'a str,
    pub base_ref: &'a str,
    pub today: &'a str,
    pub base_text: &'a str,
    pub head_text: &'a str,
}

pub(super) fn key(cache: &ResultCache, i: &PairInputs) -> CacheKey {
    cache
        .key(JobKind::Contract, "pair")
        .part(i.settings)
        .str(i.root)
        .str(i.rel)
        .str(i.base_ref)
        .str(i.today)
        .str(i.base_text)
        .str(i.head_text)
        .finish()
}

fn digest(src: &Source) -> Option<[u8; 32]> {
    src.read()
        .ok()
        .map(|t| *blake3::hash(t.as_bytes()).as_bytes())
}

/// The cached result of a pair, if there is one and every file it pulled in is unchanged.
pub(super) fn lookup(
    cache: &ResultCache,
    key: &CacheKey,
) -> Option<(Vec<Finding>, Vec<Notification>)> {
    let mut e: Entry = cache.get(key)?;
    if e.findings.len() != e.fingerprint_keys.len()
        || !e.pulled.iter().all(|(src, d)| digest(src) == *d)
    {
        return None;
    }
    for (f, k) in e.findings.iter_mut().zip(e.fingerprint_keys) {
        f.fingerprint_key = k;
    }
    Some((e.findings, e.notes))
}

/// Keep the result of a pair, with the files `base` and `head` pulled in.
pub(super) fn store(
    cache: &ResultCache,
    key: CacheKey,
    specs: [&Spec; 2],
    findings: &[Finding],
    notes: &[Notification],
) {
    let mut pulled = Vec::new();
    for spec in specs {
        for d in &spec.docs[1..] {
            pulled.push((d.source.clone(), d.digest));
        }
        for src in &spec.missing_refs {
            pulled.push((src.clone(), digest(src)));
        }
    }
    cache.put(
        key,
        &Entry {
            findings: findings.to_vec(),
            fingerprint_keys: findings.iter().map(|f| f.fingerprint_key.clone()).collect(),
            notes: notes.to_vec(),
            pulled,
        },
    );
}
