//! What `tollgate scan` does around the engine for issue 9's flags, kept out of `scan.rs`: several files
//! (`--files`), the first-run advisory database download, `--diff-base` (a baseline from a scan of REF) and
//! `--history` (a scan of the commits instead of the tree); and what they add to the result afterwards.

use super::scan::ScanArgs;
use crate::config::Config;
use crate::engine::{baseline::Baseline, ScanResult};
use crate::finding::Notification;
use std::path::{Path, PathBuf};

/// Prepared before the scan; [`Extras::finish`] applies it to the result.
pub struct Extras {
    staged: Option<super::paths::Staged>,
    db_notes: Vec<Notification>,
    diff_base: Option<super::diffbase::BaseScan>,
}

impl Extras {
    /// Stage the files, fetch the advisory database if needed, scan the diff base; returns the baseline of
    /// the scan (`--baseline FILE` and/or the diff base).
    pub fn prepare(
        args: &ScanArgs,
        cfg: &Config,
        baseline: Option<Baseline>,
        cache: Option<std::sync::Arc<dyn crate::model::CacheStore>>,
    ) -> anyhow::Result<(Extras, Option<Baseline>)> {
        let staged = if args.more_paths.is_empty() && !args.files {
            None
        } else {
            let mut all = vec![args.path.clone()];
            all.extend(args.more_paths.iter().cloned());
            Some(super::paths::stage(&all)?)
        };
        let mut db_notes = Vec::new();
        if args.history.is_none() {
            let quiet = args.quiet || args.no_progress;
            let scanned = staged
                .as_ref()
                .map_or(args.path.as_path(), |s| s.dir.as_path());
            db_notes = super::dbauto::ensure_for_scan(scanned, cfg, quiet)?;
        }
        let diff_base = match &args.diff_base {
            Some(r) => Some(super::diffbase::scan_base(
                &args.path,
                cfg,
                r,
                args.threads.unwrap_or(0),
                cache,
            )?),
            None => None,
        };
        let baseline = match &diff_base {
            Some(b) => Some(super::diffbase::combine(baseline, b)),
            None => baseline,
        };
        Ok((
            Extras {
                staged,
                db_notes,
                diff_base,
            },
            baseline,
        ))
    }

    /// The path the engine scans: the scratch tree of `--files`, else the scan path.
    pub fn scan_path(&self, args: &ScanArgs) -> PathBuf {
        self.staged
            .as_ref()
            .map_or_else(|| args.path.clone(), |s| s.dir.clone())
    }

    /// `--history`: the scan of the commits, which replaces the tree scan.
    pub fn history(
        args: &ScanArgs,
        cfg: &Config,
        baseline: Option<&Baseline>,
    ) -> Option<anyhow::Result<ScanResult>> {
        let range = args.history.as_deref()?;
        Some(super::history::scan(
            &args.path,
            Some(range),
            cfg,
            args.threads.unwrap_or(0),
            baseline,
            args.quiet,
        ))
    }

    /// Add to the result what the extras found out.
    pub fn finish(self, result: &mut ScanResult) {
        if let Some(b) = &self.diff_base {
            result.properties.insert("diff_base".into(), b.property());
            result.notifications.extend(b.notifications());
        }
        if self.staged.is_some() {
            result.root = Path::new(".").to_path_buf();
        }
        result.notifications.extend(self.db_notes);
        result.notifications.sort();
        // The scratch tree of --files is removed here (it was needed until the report read its files).
        drop(self.staged);
    }
}
