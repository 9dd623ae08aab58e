//! Which advisories affect one installed version, exactly as the OSV schema says
//! (<https://ossf.github.io/osv-schema/#evaluation>): per `affected[]` entry of the package, a version is
//! affected when an `ECOSYSTEM` or `SEMVER` range contains it (events sorted by version, `introduced: "0"`
//! lowest; in [introduced, fixed) or [introduced, last_affected]; and below one of the `limit` events when
//! there are any) or when it is listed in `versions`. `GIT` ranges are skipped; a range with an event that
//! does not parse is skipped and reported. Matching records are grouped by aliases so that one
//! vulnerability known under several ids is one finding.

use crate::finding::Severity;
use crate::sca::model::Ecosystem;
use crate::sca::osv::{Advisory, Affected, Event, Range};
use crate::sca::version::{self, RangeKind, Version};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// An installed version, parsed in each ordering a range may use.
#[derive(Debug, Clone)]
pub struct Installed {
    pub raw: String,
    eco: Ecosystem,
    ecosystem_order: Option<Version>,
    /// Parsed on first use: only SEMVER ranges need it.
    semver_order: std::cell::OnceCell<Option<Version>>,
}

impl Installed {
    pub fn new(eco: Ecosystem, raw: &str) -> Installed {
        Installed {
            raw: raw.to_string(),
            eco,
            ecosystem_order: version::parse(eco, RangeKind::Ecosystem, raw),
            semver_order: std::cell::OnceCell::new(),
        }
    }

    /// An installed version already parsed in the ecosystem's ordering (fixed-version candidates).
    fn from_parsed(eco: Ecosystem, raw: &str, v: Version) -> Installed {
        Installed {
            raw: raw.to_string(),
            eco,
            ecosystem_order: Some(v),
            semver_order: std::cell::OnceCell::new(),
        }
    }

    /// Parses in the ecosystem's own ordering (if not, it is never matched: the caller reports it).
    pub fn is_valid(&self) -> bool {
        self.ecosystem_order.is_some()
    }

    fn get(&self, kind: RangeKind) -> Option<&Version> {
        match kind {
            RangeKind::Ecosystem => self.ecosystem_order.as_ref(),
            RangeKind::Semver => self
                .semver_order
                .get_or_init(|| version::parse(self.eco, RangeKind::Semver, &self.raw))
                .as_ref(),
            RangeKind::Git => None,
        }
    }
}

/// Why part of an advisory could not be evaluated (reported as a notification, never a silent miss).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Issue {
    pub advisory: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EvKind {
    Introduced,
    LastAffected,
    Fixed,
}

/// A range with its event versions parsed once, sorted as the OSV evaluation walks them.
#[derive(Debug, Clone)]
pub struct PreparedRange {
    kind: RangeKind,
    /// (version; None = "0", the lowest), kind.
    events: Vec<(Option<Version>, EvKind)>,
    limits: Vec<Version>,
}

impl PreparedRange {
    /// `Ok(None)` for GIT ranges (skipped); `Err` when an event version does not parse.
    pub fn new(eco: Ecosystem, range: &Range) -> Result<Option<PreparedRange>, String> {
        if range.kind == RangeKind::Git {
            return Ok(None);
        }
        let mut events: Vec<(Option<Version>, EvKind)> = Vec::with_capacity(range.events.len());
        let mut limits: Vec<Version> = Vec::new();
        let mut unlimited = false;
        let parse = |s: &str| {
            version::parse(eco, range.kind, s)
                .ok_or_else(|| format!("range event version `{s}` does not parse"))
        };
        for e in &range.events {
            match e {
                Event::Introduced(s) if s == "0" => events.push((None, EvKind::Introduced)),
                Event::Introduced(s) => events.push((Some(parse(s)?), EvKind::Introduced)),
                Event::LastAffected(s) => events.push((Some(parse(s)?), EvKind::LastAffected)),
                Event::Fixed(s) => events.push((Some(parse(s)?), EvKind::Fixed)),
                Event::Limit(s) if s == "*" => unlimited = true,
                Event::Limit(s) => limits.push(parse(s)?),
            }
        }
        if unlimited {
            limits.clear();
        }
        // Ties: introduced before last_affected before fixed.
        let rank = |k: EvKind| match k {
            EvKind::Introduced => 0,
            EvKind::LastAffected => 1,
            EvKind::Fixed => 2,
        };
        events.sort_by(|a, b| {
            let by_version = match (&a.0, &b.0) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(x), Some(y)) => x.cmp_same(y).unwrap_or(Ordering::Equal),
            };
            by_version.then(rank(a.1).cmp(&rank(b.1)))
        });
        Ok(Some(PreparedRange {
            kind: range.kind,
            events,
            limits,
        }))
    }

    /// Is `v` in the range? `Err` when `v` does not parse in the range's ordering.
    pub fn affects(&self, v: &Installed) -> Result<bool, String> {
        let Some(iv) = v.get(self.kind) else {
            return Err(format!(
                "version {} does not parse as {} for a {:?} range",
                v.raw,
                if self.kind == RangeKind::Semver {
                    "SemVer"
                } else {
                    "an ecosystem version"
                },
                self.kind
            ));
        };
        let mut affected = false;
        for (ver, kind) in &self.events {
            let ord = ver.as_ref().map(|x| iv.cmp_same(x));
            match (kind, ord) {
                (EvKind::Introduced, None) => affected = true,
                (EvKind::Introduced, Some(Some(o))) if o != Ordering::Less => affected = true,
                (EvKind::Fixed, Some(Some(o))) if o != Ordering::Less => affected = false,
                (EvKind::LastAffected, Some(Some(Ordering::Greater))) => affected = false,
                _ => {}
            }
        }
        if affected && !self.limits.is_empty() {
            affected = self
                .limits
                .iter()
                .any(|l| iv.cmp_same(l) == Some(Ordering::Less));
        }
        Ok(affected)
    }
}

/// Evaluate one range. `Ok(None)`: GIT (skipped); `Err`: a version that does not parse.
pub fn range_affects(eco: Ecosystem, range: &Range, v: &Installed) -> Result<Option<bool>, String> {
    match PreparedRange::new(eco, range)? {
        None => Ok(None),
        Some(p) => p.affects(v).map(Some),
    }
}

/// One `affected[]` entry with its ranges and versions parsed once.
#[derive(Debug, Clone)]
pub struct PreparedEntry<'a> {
    pub entry: &'a Affected,
    ranges: Vec<PreparedRange>,
    /// Ranges that could not be prepared (reported once).
    errors: Vec<String>,
    eco: Ecosystem,
}

impl<'a> PreparedEntry<'a> {
    pub fn new(eco: Ecosystem, entry: &'a Affected) -> PreparedEntry<'a> {
        let mut ranges = Vec::new();
        let mut errors = Vec::new();
        for r in &entry.ranges {
            match PreparedRange::new(eco, r) {
                Ok(Some(p)) => ranges.push(p),
                Ok(None) => {}
                Err(e) => errors.push(e),
            }
        }
        PreparedEntry {
            entry,
            ranges,
            errors,
            eco,
        }
    }

    fn affects(&self, v: &Installed, mut issue: impl FnMut(String)) -> bool {
        let e = self.entry;
        if e.ranges.is_empty() && !e.has_versions() {
            // osv-scanner does the same: an entry without ranges or versions says nothing about versions.
            issue(format!(
                "the entry for {} has neither ranges nor versions; not matched",
                e.name
            ));
            return false;
        }
        for m in &self.errors {
            issue(format!("{}: {m}; range skipped", e.name));
        }
        let mut hit = false;
        for r in &self.ranges {
            match r.affects(v) {
                Ok(true) => hit = true,
                Ok(false) => {}
                Err(m) => issue(format!("{}: {m}; range skipped", e.name)),
            }
        }
        if hit || !e.has_versions() {
            return hit;
        }
        let key = release_key(&v.raw);
        // Fast reject: a listed version equal to `v` contains its release key (listed versions are the
        // registry's own spellings, without leading zeros).
        if !e.versions_joined.contains(key.as_ref()) {
            return false;
        }
        self.entry
            .versions()
            .any(|l| (l == v.raw || release_key(l) == key) && listed_equal(self.eco, l, v))
    }
}

/// The release part of a version string with trailing zero segments trimmed (`v1.2.0rc1` -> `1.2`):
/// equal versions have equal keys (leading zeros in a segment are normalised, rarely needed).
fn release_key(s: &str) -> std::borrow::Cow<'_, str> {
    let s = s.trim().trim_start_matches(['v', 'V', '=']);
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let mut r = s[..end].trim_end_matches('.');
    while let Some(x) = r.strip_suffix(".0") {
        r = x;
    }
    if r.split('.').any(|p| p.len() > 1 && p.starts_with('0')) {
        let mut nums: Vec<u64> = r
            .split('.')
            .map(|p| p.parse().unwrap_or(u64::MAX))
            .collect();
        while nums.len() > 1 && nums.last() == Some(&0) {
            nums.pop();
        }
        let parts: Vec<String> = nums.iter().map(u64::to_string).collect();
        return std::borrow::Cow::Owned(parts.join("."));
    }
    std::borrow::Cow::Borrowed(r)
}

/// Is the listed version `listed` the installed one? Equal strings are; otherwise both are parsed and
/// compared. Callers only ask for versions with the same [`release_key`], so that the hundreds of versions
/// PyPI records list are not all parsed.
fn listed_equal(eco: Ecosystem, listed: &str, v: &Installed) -> bool {
    if listed == v.raw {
        return true;
    }
    match (
        version::parse(eco, RangeKind::Ecosystem, listed),
        v.get(RangeKind::Ecosystem),
    ) {
        (Some(x), Some(y)) => x.cmp_same(y) == Some(Ordering::Equal),
        _ => false,
    }
}

/// Does this `affected[]` entry include the version? Problems go to `issues`.
pub fn entry_affects(
    eco: Ecosystem,
    adv_id: &str,
    entry: &Affected,
    v: &Installed,
    issues: &mut Vec<Issue>,
) -> bool {
    PreparedEntry::new(eco, entry).affects(v, |m| {
        issues.push(Issue {
            advisory: adv_id.to_string(),
            message: format!("{adv_id}: {m}"),
        })
    })
}

/// One vulnerability affecting a package: the matching records grouped by aliases.
#[derive(Debug, Clone)]
pub struct Group<'a> {
    /// GHSA first, then PYSEC/RUSTSEC, then CVE, then anything else; ties by id.
    pub canonical: String,
    /// Every other id of the group (record ids and aliases), sorted.
    pub aliases: Vec<String>,
    /// The matching records, sorted by id.
    pub records: Vec<&'a Advisory>,
    /// Every `fixed` version of the group's ranges for this package, in version order.
    pub fixed: Vec<String>,
    /// The smallest fixed version above the installed one that this group does not affect.
    pub next_fixed: Option<String>,
    /// RustSec `informational` kind (`unmaintained`, `unsound`, `notice`), when every record is one.
    pub informational: Option<String>,
    pub severity: Severity,
    pub cvss_score: Option<f64>,
    pub cvss_vector: Option<String>,
}

impl Group<'_> {
    /// Every id of the group, canonical first.
    pub fn all_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.canonical.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
    /// The records' `summary`; when none has one (many PYSEC records), the first sentence of `details`.
    pub fn summary(&self) -> String {
        if let Some(s) = self
            .records
            .iter()
            .map(|r| r.summary.trim())
            .find(|s| !s.is_empty())
        {
            return s.to_string();
        }
        let details = self
            .records
            .iter()
            .map(|r| r.details.trim())
            .find(|d| !d.is_empty())
            .unwrap_or("");
        first_sentence(details)
    }
}

/// The first sentence (or line) of a text, at most about 160 characters.
fn first_sentence(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let line = line.trim_start_matches('#').trim();
    let end = line
        .match_indices(". ")
        .map(|(i, _)| i + 1)
        .find(|&i| i >= 20)
        .unwrap_or(line.len());
    let s = &line[..end];
    if s.chars().count() > 160 {
        let cut: String = s.chars().take(157).collect();
        format!("{}…", cut.trim_end())
    } else {
        s.to_string()
    }
}

/// The result for one package at one version.
#[derive(Debug, Clone)]
pub struct PackageMatch<'a> {
    pub groups: Vec<Group<'a>>,
    /// The smallest version above the installed one that no group affects (only a version some advisory
    /// names as `fixed`), if there is one.
    pub fixed_overall: Option<String>,
    pub issues: Vec<Issue>,
}

fn id_rank(id: &str) -> u8 {
    if id.starts_with("GHSA-") {
        0
    } else if id.starts_with("PYSEC-") || id.starts_with("RUSTSEC-") {
        1
    } else if id.starts_with("CVE-") {
        2
    } else {
        3
    }
}

/// Pick the canonical id of a set of ids.
pub fn canonical_id<'s>(ids: impl IntoIterator<Item = &'s str>) -> Option<&'s str> {
    ids.into_iter()
        .min_by(|a, b| id_rank(a).cmp(&id_rank(b)).then(a.cmp(b)))
}

fn entries_for<'a>(adv: &'a Advisory, name: &'a str) -> impl Iterator<Item = &'a Affected> {
    adv.affected.iter().filter(move |a| a.name == name)
}

/// A matching record with its entries for the package, prepared.
type Hit<'a> = (&'a Advisory, Vec<PreparedEntry<'a>>);

fn group_affects(hits: &[&Hit<'_>], v: &Installed) -> bool {
    hits.iter()
        .any(|(_, entries)| entries.iter().any(|e| e.affects(v, |_| {})))
}

/// Match one package version against the advisories naming it.
pub fn match_package<'a>(
    eco: Ecosystem,
    name: &str,
    installed: &Installed,
    candidates: impl IntoIterator<Item = &'a Advisory>,
) -> PackageMatch<'a> {
    let mut issues = Vec::new();
    let mut hits: Vec<Hit<'a>> = Vec::new();
    for adv in candidates {
        let entries: Vec<PreparedEntry<'a>> = adv
            .affected
            .iter()
            .filter(|a| a.name == name)
            .map(|e| PreparedEntry::new(eco, e))
            .collect();
        let mut hit = false;
        for e in &entries {
            if e.affects(installed, |m| {
                issues.push(Issue {
                    advisory: adv.id.clone(),
                    message: format!("{}: {m}", adv.id),
                })
            }) {
                hit = true;
            }
        }
        if hit {
            hits.push((adv, entries));
        }
    }
    hits.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    hits.dedup_by(|a, b| a.0.id == b.0.id);

    // Union-find over shared ids.
    let mut parent: Vec<usize> = (0..hits.len()).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let mut owner: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, h) in hits.iter().enumerate() {
        for id in std::iter::once(h.0.id.as_str()).chain(h.0.aliases.iter().map(String::as_str)) {
            match owner.get(id) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    if a != b {
                        parent[a.max(b)] = a.min(b);
                    }
                }
                None => {
                    owner.insert(id, i);
                }
            }
        }
    }
    let mut members: BTreeMap<usize, Vec<&Hit<'a>>> = BTreeMap::new();
    for (i, h) in hits.iter().enumerate() {
        let root = find(&mut parent, i);
        members.entry(root).or_default().push(h);
    }

    let mut groups: Vec<Group<'a>> = Vec::new();
    let mut group_hits: Vec<Vec<&Hit<'a>>> = Vec::new();
    let mut group_fixed: Vec<Vec<(Version, String)>> = Vec::new();
    for ghits in members.into_values() {
        let recs: Vec<&'a Advisory> = ghits.iter().map(|h| h.0).collect();
        let ids: BTreeSet<&str> = recs
            .iter()
            .flat_map(|r| {
                std::iter::once(r.id.as_str()).chain(r.aliases.iter().map(String::as_str))
            })
            .collect();
        let canonical = canonical_id(ids.iter().copied()).unwrap_or("").to_string();
        let aliases = ids
            .iter()
            .filter(|i| **i != canonical)
            .map(|s| s.to_string())
            .collect();
        let (pairs, unparsed) = fixed_versions(eco, &ghits);
        let above = |v: &Version| {
            installed
                .get(RangeKind::Ecosystem)
                .is_some_and(|i| v.cmp_same(i) == Some(Ordering::Greater))
        };
        let next_fixed = pairs
            .iter()
            .filter(|(v, _)| above(v))
            .find(|(v, f)| !group_affects(&ghits, &Installed::from_parsed(eco, f, v.clone())))
            .map(|(_, f)| f.clone());
        let fixed: Vec<String> = pairs
            .iter()
            .map(|(_, f)| f.clone())
            .chain(unparsed)
            .collect();
        let informational = informational_kind(&recs, name);
        let (severity, cvss_score, cvss_vector) =
            severity_of(&recs, name, informational.as_deref());
        groups.push(Group {
            canonical,
            aliases,
            records: recs,
            fixed,
            next_fixed,
            informational,
            severity,
            cvss_score,
            cvss_vector,
        });
        group_hits.push(ghits);
        group_fixed.push(pairs);
    }

    // The overall fix: the smallest fixed version above the installed one that no group affects.
    // Candidates are checked against the group that blocked the previous one first (it usually blocks
    // the next one too), which keeps packages with hundreds of advisories fast.
    let mut cands: Vec<&(Version, String)> = group_fixed
        .iter()
        .flatten()
        .filter(|(v, _)| {
            installed
                .get(RangeKind::Ecosystem)
                .is_some_and(|i| v.cmp_same(i) == Some(Ordering::Greater))
        })
        .collect();
    cands.sort_by(|a, b| {
        a.0.cmp_same(&b.0)
            .unwrap_or(Ordering::Equal)
            .then(a.1.cmp(&b.1))
    });
    cands.dedup_by(|a, b| a.0.cmp_same(&b.0) == Some(Ordering::Equal));
    let mut fixed_overall = None;
    if !groups.is_empty() {
        let mut blocker = 0usize;
        for (v, f) in cands {
            let fv = Installed::from_parsed(eco, f, v.clone());
            if group_affects(&group_hits[blocker], &fv) {
                continue;
            }
            if let Some(j) =
                (0..group_hits.len()).find(|&j| j != blocker && group_affects(&group_hits[j], &fv))
            {
                blocker = j;
                continue;
            }
            fixed_overall = Some(f.to_string());
            break;
        }
    }
    groups.sort_by(|a, b| a.canonical.cmp(&b.canonical));
    issues.sort();
    issues.dedup();
    PackageMatch {
        groups,
        fixed_overall,
        issues,
    }
}

/// Sort version strings in the ecosystem's order (unparseable ones last, by text) and dedupe.
pub fn sort_versions(eco: Ecosystem, list: &mut Vec<String>) {
    let mut keyed: Vec<(Option<Version>, String)> = list
        .drain(..)
        .map(|s| (version::parse(eco, RangeKind::Ecosystem, &s), s))
        .collect();
    keyed.sort_by(|a, b| match (&a.0, &b.0) {
        (Some(x), Some(y)) => x.cmp_same(y).unwrap_or(Ordering::Equal).then(a.1.cmp(&b.1)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.1.cmp(&b.1),
    });
    keyed.dedup_by(|a, b| match (&a.0, &b.0) {
        (Some(x), Some(y)) => x.cmp_same(y) == Some(Ordering::Equal),
        _ => a.1 == b.1,
    });
    list.extend(keyed.into_iter().map(|(_, s)| s));
}

/// Every `fixed` version of the group's ranges for the package, parsed once: (sorted, deduplicated
/// pairs of parsed version and text; texts that do not parse, sorted).
fn fixed_versions(eco: Ecosystem, hits: &[&Hit<'_>]) -> (Vec<(Version, String)>, Vec<String>) {
    let mut parsed: Vec<(Version, String)> = Vec::new();
    let mut unparsed: Vec<String> = Vec::new();
    for (_, entries) in hits {
        for e in entries {
            for r in e.entry.ranges.iter().filter(|r| r.kind != RangeKind::Git) {
                for ev in &r.events {
                    if let Event::Fixed(f) = ev {
                        match version::parse(eco, RangeKind::Ecosystem, f) {
                            Some(v) => parsed.push((v, f.clone())),
                            None => unparsed.push(f.clone()),
                        }
                    }
                }
            }
        }
    }
    parsed.sort_by(|a, b| {
        a.0.cmp_same(&b.0)
            .unwrap_or(Ordering::Equal)
            .then(a.1.cmp(&b.1))
    });
    parsed.dedup_by(|a, b| a.0.cmp_same(&b.0) == Some(Ordering::Equal));
    unparsed.sort();
    unparsed.dedup();
    (parsed, unparsed)
}

fn informational_kind(recs: &[&Advisory], name: &str) -> Option<String> {
    let kinds: Vec<Option<&str>> = recs
        .iter()
        .map(|r| entries_for(r, name).find_map(|e| e.informational.as_deref()))
        .collect();
    if kinds.iter().all(Option::is_some) {
        kinds.into_iter().flatten().min().map(str::to_string)
    } else {
        None
    }
}

/// Severity of a group: the CVSS base score of the newest CVSS version present (the highest score among
/// the records' and the package entries' vectors of that version); else GitHub's
/// `database_specific.severity` word (the highest); else medium. RustSec informational advisories:
/// `unsound` is low, `unmaintained` and `notice` info.
pub fn severity_of(
    recs: &[&Advisory],
    name: &str,
    informational: Option<&str>,
) -> (Severity, Option<f64>, Option<String>) {
    if let Some(kind) = informational {
        let s = if kind == "unsound" {
            Severity::Low
        } else {
            Severity::Info
        };
        return (s, None, None);
    }
    let mut best: Option<(u8, f64, String)> = None;
    for r in recs {
        let entry_sev = entries_for(r, name).flat_map(|e| e.severity.iter());
        for (kind, vector, score) in r.severity.iter().chain(entry_sev) {
            let rank = match kind.as_str() {
                "CVSS_V4" => 4,
                "CVSS_V3" => 3,
                "CVSS_V2" => 2,
                _ => continue,
            };
            let Some(score) = *score else {
                continue;
            };
            let better = match &best {
                None => true,
                Some((br, bs, _)) => rank > *br || (rank == *br && score > *bs),
            };
            if better {
                best = Some((rank, score, vector.clone()));
            }
        }
    }
    if let Some((_, score, vector)) = best {
        return (Severity::from_cvss_score(score), Some(score), Some(vector));
    }
    // OpenSSF malicious-package records (MAL-*) carry no severity: installing one is a compromise.
    if recs.iter().any(|r| r.id.starts_with("MAL-")) {
        return (Severity::Critical, None, None);
    }
    let word = recs
        .iter()
        .filter_map(|r| r.db_severity.as_deref())
        .filter_map(|w| w.parse::<Severity>().ok())
        .max();
    (word.unwrap_or(Severity::Medium), None, None)
}

/// The base score of a CVSS vector (v2 vectors without a prefix are read too).
pub fn cvss_score(vector: &str) -> Option<f64> {
    use std::str::FromStr;
    if let Ok(c) = cvss::Cvss::from_str(vector.trim()) {
        return Some(c.score());
    }
    cvss::v2::Vector::from_str(vector.trim())
        .ok()
        .map(|v| v.score().value())
}

#[cfg(test)]
#[path = "matching_tests.rs"]
mod tests;
