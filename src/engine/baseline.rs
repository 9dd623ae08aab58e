//! Baselines: `--write-baseline FILE` records the fingerprints of the current findings; `--baseline FILE`
//! then makes only new findings count for the gate (SARIF `baselineState`: `new` / `unchanged`).

use crate::error::{Error, Result};
use crate::finding::Finding;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule_id: String,
    pub path: String,
    /// For people reading the file; not used for matching.
    pub line: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineFile {
    pub tool: String,
    pub version: u32,
    pub findings: Vec<BaselineEntry>,
}

/// The set of fingerprints a baseline holds.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    fingerprints: BTreeSet<String>,
}

impl Baseline {
    pub fn contains(&self, fingerprint: &str) -> bool {
        self.fingerprints.contains(fingerprint)
    }

    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }

    /// A baseline of these fingerprints (`--diff-base`: the findings of a scan of the base commit).
    pub fn from_fingerprints(fingerprints: impl IntoIterator<Item = String>) -> Baseline {
        Baseline {
            fingerprints: fingerprints.into_iter().collect(),
        }
    }

    /// Add the fingerprints of another baseline.
    pub fn extend(&mut self, other: &Baseline) {
        self.fingerprints.extend(other.fingerprints.iter().cloned());
    }

    /// Read a baseline written by `--write-baseline` (or a SARIF file from an earlier run: its results'
    /// `partialFingerprints` are used).
    pub fn load(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Baseline::from_text(path, &text)
    }

    /// [`Baseline::load`] of a text already in memory (`path` names it in errors).
    pub fn from_text(path: &Path, text: &str) -> Result<Baseline> {
        let value: serde_json::Value =
            crate::doc::json::from_str(text, &crate::doc::Limits::DEFAULT).map_err(|e| {
                Error::Config {
                    path: path.to_path_buf(),
                    line: e.line as usize,
                    column: e.col as usize,
                    message: format!("baseline is not valid JSON: {}", e.message),
                }
            })?;
        let mut fingerprints = BTreeSet::new();
        if value.get("runs").is_some() {
            for run in value["runs"].as_array().into_iter().flatten() {
                for r in run["results"].as_array().into_iter().flatten() {
                    if let Some(fp) =
                        r["partialFingerprints"][crate::model::FINGERPRINT_KEY].as_str()
                    {
                        fingerprints.insert(fp.to_string());
                    }
                }
            }
        } else {
            let file: BaselineFile = serde_json::from_value(value).map_err(|e| Error::Config {
                path: path.to_path_buf(),
                line: 1,
                column: 1,
                message: format!("not a tollgate baseline: {e}"),
            })?;
            fingerprints.extend(file.findings.into_iter().map(|e| e.fingerprint));
        }
        Ok(Baseline { fingerprints })
    }

    /// Write the current findings as a baseline (sorted, so it diffs quietly).
    pub fn write(path: &Path, findings: &[Finding]) -> Result<()> {
        let mut entries: Vec<BaselineEntry> = findings
            .iter()
            .map(|f| BaselineEntry {
                fingerprint: f.fingerprint.clone(),
                rule_id: f.rule_id.clone(),
                path: f.location.path.clone(),
                line: f.location.start_line,
            })
            .collect();
        entries.sort_by(|a, b| {
            (&a.path, a.line, &a.rule_id, &a.fingerprint).cmp(&(
                &b.path,
                b.line,
                &b.rule_id,
                &b.fingerprint,
            ))
        });
        let file = BaselineFile {
            tool: "tollgate".into(),
            version: 1,
            findings: entries,
        };
        let mut text = serde_json::to_string_pretty(&file).expect("baseline serializes");
        text.push('\n');
        std::fs::write(path, text).map_err(|e| Error::io(path, e))
    }
}
