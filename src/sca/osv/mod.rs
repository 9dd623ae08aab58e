//! OSV advisories: the JSON records (OSV schema 1.x), the compact form the matcher and the on-disk index
//! cache use, and the per-ecosystem index keyed by normalised package name.

pub mod offline;
pub mod online;

use crate::sca::model::Ecosystem;
use crate::sca::version::RangeKind;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// One OSV record as the matcher needs it. Fields the matcher does not use (references, credits ...) are
/// dropped when the record is read. Plain fields only, so that bincode can cache it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: String,
    pub details: String,
    pub modified: String,
    pub published: String,
    /// `severity[]` of the record: (type, vector, base score) such as ("CVSS_V3", "CVSS:3.1/AV:N/...",
    /// Some(9.8)); the score is computed once when the record is read (CVSS v4 scoring is not cheap).
    pub severity: Vec<(String, String, Option<f64>)>,
    /// `database_specific.severity` (GitHub's LOW/MODERATE/HIGH/CRITICAL).
    pub db_severity: Option<String>,
    /// `database_specific.cwe_ids` (GitHub), as numbers.
    pub cwe: Vec<u32>,
    /// Only the entries of this index's ecosystem.
    pub affected: Vec<Affected>,
}

/// One `affected[]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// Normalised name (PEP 503 for PyPI).
    pub name: String,
    pub ranges: Vec<Range>,
    /// `versions[]`, joined with `\n` (one allocation instead of one per version: PyPI records list
    /// hundreds of versions each). Read it with [`Affected::versions`].
    pub versions_joined: String,
    /// `affected[].severity[]`, as the record's.
    pub severity: Vec<(String, String, Option<f64>)>,
    /// RustSec's `database_specific.informational` (`unmaintained`, `unsound`, `notice`).
    pub informational: Option<String>,
}

impl Affected {
    /// The explicitly listed versions.
    pub fn versions(&self) -> impl Iterator<Item = &str> {
        self.versions_joined.split('\n').filter(|v| !v.is_empty())
    }
    pub fn has_versions(&self) -> bool {
        !self.versions_joined.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Range {
    pub kind: RangeKind,
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

/// Identity of one ecosystem's database, written into every report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbIdentity {
    pub ecosystem: String,
    /// Where it was read from (a zip, a directory of JSON files, or the API's base URL).
    pub source: String,
    /// sha256 of the zip (of the sorted file names and contents for a directory); empty for the API.
    pub sha256: String,
    /// Records read, withdrawn included.
    pub records: usize,
    pub withdrawn: usize,
    /// Newest `modified` of any record (RFC 3339), empty when there is none.
    pub newest_modified: String,
}

/// All advisories of one ecosystem, indexed by normalised package name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EcoIndex {
    pub ecosystem: Ecosystem,
    pub identity: DbIdentity,
    /// Withdrawn records are counted in `identity` and left out here.
    pub advisories: Vec<Advisory>,
    pub by_name: HashMap<String, Vec<u32>>,
}

impl EcoIndex {
    /// Build from records in a stable order (sorted by id, so equal inputs give equal indexes).
    pub fn build(
        ecosystem: Ecosystem,
        source: String,
        sha256: String,
        records: Vec<ParsedRecord>,
    ) -> EcoIndex {
        let mut records = records;
        records.sort_by(|a, b| a.advisory.id.cmp(&b.advisory.id));
        records.dedup_by(|a, b| a.advisory.id == b.advisory.id);
        let total = records.len();
        let mut withdrawn = 0;
        // The newest `modified` as an instant (timestamps with other offsets or precisions compare right);
        // unparseable ones only count when none parses.
        let mut newest = String::new();
        let mut newest_t: Option<chrono::DateTime<chrono::FixedOffset>> = None;
        let mut advisories = Vec::with_capacity(total);
        for r in records {
            match chrono::DateTime::parse_from_rfc3339(&r.advisory.modified) {
                Ok(t) if newest_t.is_none_or(|n| t > n) => {
                    newest_t = Some(t);
                    newest = r.advisory.modified.clone();
                }
                Ok(_) => {}
                Err(_) if newest_t.is_none() && r.advisory.modified > newest => {
                    newest = r.advisory.modified.clone();
                }
                Err(_) => {}
            }
            if r.withdrawn {
                withdrawn += 1;
                continue;
            }
            advisories.push(r.advisory);
        }
        let mut by_name: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, a) in advisories.iter().enumerate() {
            let mut names: Vec<&str> = a.affected.iter().map(|x| x.name.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            for n in names {
                by_name.entry(n.to_string()).or_default().push(i as u32);
            }
        }
        EcoIndex {
            ecosystem,
            identity: DbIdentity {
                ecosystem: ecosystem.as_str().to_string(),
                source,
                sha256,
                records: total,
                withdrawn,
                newest_modified: newest,
            },
            advisories,
            by_name,
        }
    }

    /// Advisories naming this package (name normalised here too).
    pub fn lookup(&self, name: &str) -> impl Iterator<Item = &Advisory> {
        let key = normalize_name(self.ecosystem, name);
        self.by_name
            .get(key.as_ref())
            .into_iter()
            .flatten()
            .map(move |&i| &self.advisories[i as usize])
    }
}

/// Normalise a package name for lookups: PEP 503 for PyPI (lowercase, runs of `-`, `_`, `.` become `-`);
/// npm and crates.io names are compared as written.
pub fn normalize_name(eco: Ecosystem, name: &str) -> std::borrow::Cow<'_, str> {
    match eco {
        Ecosystem::PyPI => {
            let already = name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !name.contains("--");
            if already {
                return std::borrow::Cow::Borrowed(name);
            }
            let out = crate::sca::manifests::pep503(name);
            std::borrow::Cow::Owned(out)
        }
        Ecosystem::Npm | Ecosystem::CratesIo => std::borrow::Cow::Borrowed(name.trim()),
    }
}

/// The ecosystem of an OSV `package.ecosystem` string (`PyPI`, `npm`, `crates.io`; a `:suffix` is ignored).
pub fn parse_ecosystem(s: &str) -> Option<Ecosystem> {
    match s.split(':').next().unwrap_or(s) {
        "PyPI" => Some(Ecosystem::PyPI),
        "npm" => Some(Ecosystem::Npm),
        "crates.io" => Some(Ecosystem::CratesIo),
        _ => None,
    }
}

/// A record read from JSON, ready for the index.
#[derive(Debug, Clone)]
pub struct ParsedRecord {
    pub advisory: Advisory,
    pub withdrawn: bool,
}

// ---- the JSON form -------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct RawRecord {
    id: String,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    severity: Option<Vec<RawSeverity>>,
    #[serde(default)]
    affected: Option<Vec<RawAffected>>,
    #[serde(default)]
    database_specific: Option<RawDbSpecific>,
}

#[derive(Deserialize)]
struct RawSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize, Default)]
struct RawDbSpecific {
    #[serde(default)]
    severity: Option<serde_json::Value>,
    #[serde(default)]
    informational: Option<serde_json::Value>,
    #[serde(default)]
    cwe_ids: Option<Vec<serde_json::Value>>,
}

#[derive(Deserialize)]
struct RawAffected {
    #[serde(default)]
    package: Option<RawPackage>,
    #[serde(default)]
    ranges: Option<Vec<RawRange>>,
    #[serde(default)]
    versions: Option<JoinedVersions>,
    #[serde(default)]
    severity: Option<Vec<RawSeverity>>,
    #[serde(default)]
    database_specific: Option<RawDbSpecific>,
}

/// `versions[]` read straight into one `\n`-joined string: PyPI records list hundreds of versions each
/// (590,000 in the PyPI dump), and one allocation per version dominated the cold load.
#[derive(Default)]
struct JoinedVersions(String);

impl<'de> Deserialize<'de> for JoinedVersions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Seq;
        impl<'de> serde::de::Visitor<'de> for Seq {
            type Value = JoinedVersions;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of version strings")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<JoinedVersions, A::Error> {
                let mut out = String::new();
                while seq.next_element_seed(Append(&mut out))?.is_some() {}
                Ok(JoinedVersions(out))
            }
            fn visit_unit<E>(self) -> Result<JoinedVersions, E> {
                Ok(JoinedVersions::default())
            }
        }
        d.deserialize_any(Seq)
    }
}

struct Append<'a>(&'a mut String);

impl<'de> serde::de::DeserializeSeed<'de> for Append<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for Append<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a version string")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        let v = v.trim();
        if v.is_empty() || v.contains('\n') {
            return Ok(());
        }
        if !self.0.is_empty() {
            self.0.push('\n');
        }
        self.0.push_str(v);
        Ok(())
    }
}

#[derive(Deserialize)]
struct RawPackage {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct RawRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<RawEvent>,
}

#[derive(Deserialize)]
struct RawEvent {
    #[serde(default)]
    introduced: Option<String>,
    #[serde(default)]
    fixed: Option<String>,
    #[serde(default)]
    last_affected: Option<String>,
    #[serde(default)]
    limit: Option<String>,
}

fn value_str(v: &Option<serde_json::Value>) -> Option<String> {
    match v {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn cwe_numbers(d: Option<&RawDbSpecific>) -> Vec<u32> {
    let mut v: Vec<u32> = d
        .and_then(|d| d.cwe_ids.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str())
        .filter_map(|s| s.trim().strip_prefix("CWE-").and_then(|n| n.parse().ok()))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Parse one OSV JSON record, keeping only the `affected[]` entries of `eco`.
pub fn parse_record(eco: Ecosystem, json: &[u8]) -> Result<ParsedRecord, String> {
    let raw: RawRecord = crate::doc::json::from_slice(json, &crate::doc::Limits::DEFAULT)
        .map_err(|e| e.to_string())?;
    Ok(convert(eco, raw))
}

fn convert(eco: Ecosystem, raw: RawRecord) -> ParsedRecord {
    let sev = |v: Option<Vec<RawSeverity>>| -> Vec<(String, String, Option<f64>)> {
        v.unwrap_or_default()
            .into_iter()
            .map(|s| {
                let score = if s.kind.starts_with("CVSS_") {
                    crate::sca::matching::cvss_score(&s.score)
                } else {
                    None
                };
                (s.kind, s.score, score)
            })
            .collect()
    };
    let mut affected = Vec::new();
    for a in raw.affected.unwrap_or_default() {
        let Some(pkg) = a.package else { continue };
        if parse_ecosystem(&pkg.ecosystem) != Some(eco) {
            continue;
        }
        let ranges = a
            .ranges
            .unwrap_or_default()
            .into_iter()
            .map(|r| Range {
                kind: match r.kind.as_str() {
                    "SEMVER" => RangeKind::Semver,
                    "ECOSYSTEM" => RangeKind::Ecosystem,
                    _ => RangeKind::Git,
                },
                events: r
                    .events
                    .into_iter()
                    .filter_map(|e| {
                        if let Some(v) = e.introduced {
                            Some(Event::Introduced(v))
                        } else if let Some(v) = e.fixed {
                            Some(Event::Fixed(v))
                        } else if let Some(v) = e.last_affected {
                            Some(Event::LastAffected(v))
                        } else {
                            e.limit.map(Event::Limit)
                        }
                    })
                    .collect(),
            })
            .collect();
        affected.push(Affected {
            name: normalize_name(eco, &pkg.name).into_owned(),
            ranges,
            versions_joined: a.versions.unwrap_or_default().0,
            severity: sev(a.severity),
            informational: a
                .database_specific
                .as_ref()
                .and_then(|d| value_str(&d.informational)),
        });
    }
    let mut aliases = raw.aliases.unwrap_or_default();
    aliases.sort();
    aliases.dedup();
    aliases.retain(|a| *a != raw.id);
    ParsedRecord {
        withdrawn: raw.withdrawn.as_deref().is_some_and(|w| !w.is_empty()),
        advisory: Advisory {
            id: raw.id,
            aliases,
            summary: raw.summary.unwrap_or_default(),
            details: raw.details.unwrap_or_default(),
            modified: raw.modified.unwrap_or_default(),
            published: raw.published.unwrap_or_default(),
            severity: sev(raw.severity),
            db_severity: raw
                .database_specific
                .as_ref()
                .and_then(|d| value_str(&d.severity)),
            cwe: cwe_numbers(raw.database_specific.as_ref()),
            affected,
        },
    }
}

/// Database identity of every loaded ecosystem, as JSON for `JobOutput.properties`.
pub fn identities_json(ids: &BTreeMap<String, DbIdentity>) -> serde_json::Value {
    serde_json::to_value(ids).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503_names() {
        assert_eq!(
            normalize_name(Ecosystem::PyPI, "Flask_SQLAlchemy"),
            "flask-sqlalchemy"
        );
        assert_eq!(
            normalize_name(Ecosystem::PyPI, "zope.interface"),
            "zope-interface"
        );
        assert_eq!(normalize_name(Ecosystem::PyPI, "a__-.b"), "a-b");
        assert_eq!(normalize_name(Ecosystem::PyPI, "django"), "django");
        assert_eq!(
            normalize_name(Ecosystem::Npm, "@babel/traverse"),
            "@babel/traverse"
        );
    }

    #[test]
    fn record_conversion_keeps_only_own_ecosystem() {
        let json = br#"{"id":"X-1","modified":"2024-01-01T00:00:00Z","aliases":["CVE-1","X-1"],
          "database_specific":{"severity":"HIGH"},
          "affected":[
            {"package":{"ecosystem":"PyPI","name":"Foo.Bar"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0"}]}]},
            {"package":{"ecosystem":"npm","name":"foo"},"versions":["1.0.0"]},
            {"package":{"ecosystem":"crates.io","name":"foo"},"database_specific":{"informational":"unsound"}}
          ]}"#;
        let r = parse_record(Ecosystem::PyPI, json).unwrap();
        assert_eq!(r.advisory.aliases, vec!["CVE-1"]);
        assert_eq!(r.advisory.affected.len(), 1);
        assert_eq!(r.advisory.affected[0].name, "foo-bar");
        assert_eq!(r.advisory.db_severity.as_deref(), Some("HIGH"));
        let c = parse_record(Ecosystem::CratesIo, json).unwrap();
        assert_eq!(
            c.advisory.affected[0].informational.as_deref(),
            Some("unsound")
        );
        assert!(parse_record(Ecosystem::PyPI, b"{not json").is_err());
    }
}
