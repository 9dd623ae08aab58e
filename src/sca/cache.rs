//! The SCA job's result cache: the whole job's output for one set of manifests, keyed by their paths and
//! contents, the job's settings, the day (ignore entries expire) and the advisory database's identity, so
//! a re-scan of an unchanged tree does not even load the database. Files a manifest pulled in that are
//! not manifests themselves (`-r base.in`) are hashed into the stored value and checked on a hit.

use super::{Config, Ecosystem, ScaJob};
use crate::finding::{Finding, JobKind, Notification};
use crate::model::{CacheKey, JobOutput, ScanContext, SourceFile};
use crate::rule::RuleMeta;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Serialize, Deserialize)]
pub(super) struct Cached {
    findings: Vec<Finding>,
    dynamic_rules: Vec<RuleMeta>,
    notifications: Vec<Notification>,
    properties: BTreeMap<String, serde_json::Value>,
    /// Other files the output depends on, with the BLAKE3 of their bytes.
    depends: Vec<(String, String)>,
}

fn file_hash(ctx: &ScanContext, rel: &str) -> String {
    match std::fs::read(ctx.root.join(rel)) {
        Ok(b) => blake3::hash(&b).to_hex().to_string(),
        Err(_) => "missing".into(),
    }
}

/// What identifies the advisories a scan would read, found without reading them: the preloaded
/// database's hashes (in the settings), and each ecosystem's dump (or each JSON file of an unpacked one)
/// by size and modification time. `None` (no caching) for the online API.
fn db_identity(job: &ScaJob) -> Option<String> {
    if job.config.online {
        return None;
    }
    let Some(dir) = job.db_dir() else {
        return Some("no-database".into());
    };
    let mut id = format!("{}", dir.display());
    for eco in Ecosystem::ALL {
        let eco_dir = super::osv::offline::ecosystem_dir(&dir, eco);
        let stamp = |m: &std::fs::Metadata| {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            format!("{}:{mtime}", m.len())
        };
        id.push('|');
        id.push_str(eco.as_str());
        match std::fs::metadata(eco_dir.join("all.zip")) {
            Ok(m) => id.push_str(&stamp(&m)),
            Err(_) => {
                for f in super::osv::offline::json_files(&eco_dir) {
                    let m = std::fs::metadata(&f).ok()?;
                    id.push_str(&format!(
                        ",{}:{}",
                        f.file_name()?.to_string_lossy(),
                        stamp(&m)
                    ));
                }
            }
        }
    }
    Some(id)
}

/// The key of this scan's manifests, or `None` when the output must not be cached.
pub(super) fn key(job: &ScaJob, manifests: &[SourceFile], ctx: &ScanContext) -> Option<CacheKey> {
    if !ctx.cache.is_enabled() {
        return None;
    }
    let db = db_identity(job)?;
    let mut k = ctx
        .cache
        .key(JobKind::Sca, "manifests")
        .part(&settings(&job.config))
        .str(&job.today.to_string())
        .str(&db);
    for m in manifests {
        let bytes = std::fs::read(&m.abs).ok()?;
        k = k.str(&m.rel).part(blake3::hash(&bytes).as_bytes());
    }
    Some(k.finish())
}

fn settings(config: &Config) -> CacheKey {
    crate::model::cache::digest(&[format!("{config:?}").as_bytes()])
}

/// The cached output, when every file it depended on is unchanged.
pub(super) fn get(key: &CacheKey, ctx: &ScanContext) -> Option<JobOutput> {
    let c: Cached = ctx.cache.get(key)?;
    if c.depends.iter().any(|(p, h)| file_hash(ctx, p) != *h) {
        return None;
    }
    Some(JobOutput {
        findings: c.findings,
        dynamic_rules: c.dynamic_rules,
        notifications: c.notifications,
        properties: c.properties,
        files_scanned: 0,
        failed: false,
    })
}

/// Keep a successful output (a failed one, e.g. no database, is retried next time).
pub(super) fn put(key: CacheKey, out: &JobOutput, manifests: &[SourceFile], ctx: &ScanContext) {
    if out.failed {
        return;
    }
    let own: std::collections::BTreeSet<&str> = manifests.iter().map(|m| m.rel.as_str()).collect();
    let mut depends: Vec<(String, String)> = out
        .findings
        .iter()
        .map(|f| f.location.path.as_str())
        .chain(out.notifications.iter().filter_map(|n| n.path.as_deref()))
        .chain(
            out.properties
                .get("sca_manifests")
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str()),
        )
        .filter(|p| !own.contains(p))
        .map(|p| (p.to_string(), file_hash(ctx, p)))
        .collect();
    depends.sort();
    depends.dedup();
    ctx.cache.put(
        key,
        &Cached {
            findings: out.findings.clone(),
            dynamic_rules: out.dynamic_rules.clone(),
            notifications: out.notifications.clone(),
            properties: out.properties.clone(),
            depends,
        },
    );
}
