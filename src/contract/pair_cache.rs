//! The contract job's result cache: one entry per document pair (a revision in the tree and its base).
//! The key binds the job's settings, the path, where the base comes from, the base ref, today's date
//! (sunset dates are compared with it) and both texts, not the directory the tree is in: the service
//! scans every upload in a fresh one. The other files the documents' `$ref`s pulled in are known only
//! after loading, so an entry records each one (relative to the scan root, the base directory or the
//! git revision) with a digest of its text, and a hit re-reads them: an edit to a referenced file (or one
//! that appears where a `$ref` found nothing) is a miss.

use super::spec::{Source, Spec};
use crate::finding::{Finding, JobKind, Notification};
use crate::model::cache::{CacheKey, ResultCache};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The directories an entry's files are recorded relative to.
pub(super) struct Anchors<'a> {
    pub root: &'a Path,
    pub base_dir: Option<&'a Path>,
}

/// A file a document pulled in, as the entry records it.
#[derive(Serialize, Deserialize)]
enum Pulled {
    /// Below the scan root.
    Tree(String),
    /// Below the base directory.
    Base(String),
    /// `git show REV:PATH` in the scan root.
    Git {
        rev: String,
        path: String,
    },
    Other(Source),
}

impl Anchors<'_> {
    fn pulled(&self, src: &Source) -> Pulled {
        match src {
            Source::File(p) => {
                if let Ok(r) = p.strip_prefix(self.root) {
                    return Pulled::Tree(r.to_string_lossy().into_owned());
                }
                if let Some(r) = self.base_dir.and_then(|b| p.strip_prefix(b).ok()) {
                    return Pulled::Base(r.to_string_lossy().into_owned());
                }
                Pulled::Other(src.clone())
            }
            Source::Git { repo, rev, path } if repo == self.root => Pulled::Git {
                rev: rev.clone(),
                path: path.clone(),
            },
            _ => Pulled::Other(src.clone()),
        }
    }

    fn source(&self, p: &Pulled) -> Option<Source> {
        Some(match p {
            Pulled::Tree(r) => Source::File(self.root.join(r)),
            Pulled::Base(r) => Source::File(self.base_dir?.join(r)),
            Pulled::Git { rev, path } => Source::Git {
                repo: self.root.to_path_buf(),
                rev: rev.clone(),
                path: path.clone(),
            },
            Pulled::Other(s) => s.clone(),
        })
    }
}

/// What one document pair produced, and what it depended on besides the two texts.
#[derive(Serialize, Deserialize)]
struct Entry {
    findings: Vec<Finding>,
    /// `Finding::fingerprint_key` of each finding (not serialized with the finding itself).
    fingerprint_keys: Vec<String>,
    notes: Vec<Notification>,
    /// Every other file the two documents pulled in (or tried to), with the digest of its text when it
    /// could be read.
    pulled: Vec<(Pulled, Option<[u8; 32]>)>,
}

/// The inputs a pair's key is made of.
pub(super) struct PairInputs<'a> {
    pub settings: &'a CacheKey,
    /// The base is read from a directory (the service), not from git.
    pub base_from_dir: bool,
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
        .part(&[u8::from(i.base_from_dir)])
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
    at: &Anchors,
) -> Option<(Vec<Finding>, Vec<Notification>)> {
    let mut e: Entry = cache.get(key)?;
    if e.findings.len() != e.fingerprint_keys.len()
        || !e
            .pulled
            .iter()
            .all(|(p, d)| at.source(p).is_some_and(|src| digest(&src) == *d))
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
    at: &Anchors,
    specs: [&Spec; 2],
    findings: &[Finding],
    notes: &[Notification],
) {
    let mut pulled = Vec::new();
    for spec in specs {
        for d in &spec.docs[1..] {
            pulled.push((at.pulled(&d.source), d.digest));
        }
        for src in &spec.missing_refs {
            pulled.push((at.pulled(src), digest(src)));
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
