//! How the SCA job's results read: the finding for a vulnerable or unpinned dependency (message, fix
//! versions, snippet, location), the rule made for each advisory, and the note about skipped dependencies.

use super::matching::{Group, PackageMatch};
use super::model::Resolved;
use super::model::{Dependency, Ecosystem};
use super::osv::{self, Event};
use super::{matching, version, UNPINNED_RULE};
use crate::finding::{Finding, JobKind, Location, NoteLevel, Notification, Severity};
use crate::model::JobOutput;
use crate::rule::{Precision, RuleMeta};
use std::collections::BTreeMap;

pub(super) fn sort_output(out: &mut JobOutput) {
    out.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out.notifications.sort();
    out.notifications.dedup();
}

/// Each manifest's line index, built once.
pub(super) type Texts<'t> = BTreeMap<String, crate::text::LineIndex<'t>>;

pub(super) fn snippet(texts: &Texts<'_>, d: &Dependency) -> (Option<String>, u32) {
    match texts.get(&d.manifest) {
        Some(idx) => {
            let line = idx.line_text(d.line);
            let end: u32 = line.chars().map(|c| c.len_utf16() as u32).sum::<u32>() + 1;
            (Some(crate::text::clip(line, 200)), end)
        }
        None => (None, 1),
    }
}

pub(super) fn location(d: &Dependency, end_column: u32) -> Location {
    let mut l = Location::line(d.manifest.clone(), d.line);
    l.start_column = d.column.max(1);
    l.end_column = end_column.max(l.start_column);
    l
}

pub(super) fn unpinned_finding(d: &Dependency, spec: &str, texts: &Texts<'_>) -> Finding {
    let (snip, end) = snippet(texts, d);
    let shown = if spec.trim().is_empty() {
        "any version"
    } else {
        spec.trim()
    };
    let mut f = Finding::new(
        UNPINNED_RULE,
        JobKind::Sca,
        Severity::Low,
        format!(
            "{} is not pinned ({shown}): its installed version is not known, so it is not checked against advisories",
            d.display_name
        ),
        location(d, end),
    );
    f.cwe = vec![1104];
    f.snippet = snip;
    f.remediation = Some(format!(
        "Pin {} to an exact version or commit a lockfile that pins it",
        d.display_name
    ));
    f.fingerprint_key = format!(
        "unpinned:{}:{}:{}",
        d.ecosystem.as_str(),
        d.name,
        spec.trim()
    );
    let p = &mut f.properties;
    p.insert("ecosystem".into(), serde_json::json!(d.ecosystem.as_str()));
    p.insert("package".into(), serde_json::json!(d.display_name));
    p.insert("spec".into(), serde_json::json!(spec.trim()));
    p.insert("manifest".into(), serde_json::json!(d.manifest));
    p.insert("line".into(), serde_json::json!(d.line));
    p.insert("dev".into(), serde_json::json!(d.dev));
    p.insert("transitive".into(), serde_json::json!(d.transitive));
    f
}

pub(super) fn skipped_note(skipped: &[&Dependency]) -> Notification {
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for d in skipped {
        if let Resolved::Skipped { reason } = &d.resolved {
            *by_reason.entry(reason.as_str()).or_default() += 1;
        }
    }
    let reasons: Vec<String> = by_reason.iter().map(|(r, n)| format!("{n} {r}")).collect();
    let mut places: Vec<String> = skipped
        .iter()
        .map(|d| format!("{}:{} {}", d.manifest, d.line, d.display_name))
        .collect();
    places.sort();
    let more = places.len().saturating_sub(20);
    places.truncate(20);
    Notification::new(
        NoteLevel::Note,
        "sca-skipped",
        format!(
            "{} dependenc{} skipped (not registry packages, not checked against advisories): {} — {}{}",
            skipped.len(),
            if skipped.len() == 1 { "y" } else { "ies" },
            reasons.join(", "),
            places.join(", "),
            if more > 0 { format!(", and {more} more") } else { String::new() }
        ),
    )
}

pub(super) fn advisory_finding(
    d: &Dependency,
    version: &str,
    g: &Group<'_>,
    m: &PackageMatch<'_>,
    texts: &Texts<'_>,
) -> Finding {
    let (snip, end) = snippet(texts, d);
    let summary = g.summary();
    let summary = summary.as_str();
    let alias_text = if g.aliases.is_empty() {
        String::new()
    } else {
        format!(" ({})", g.aliases.join(", "))
    };
    let what = match &g.informational {
        Some(kind) => format!(
            "{} {version} is {kind}: {}{alias_text}",
            d.display_name, g.canonical
        ),
        None => format!(
            "{} {version} is vulnerable to {}{alias_text}",
            d.display_name, g.canonical
        ),
    };
    let fix = match (&g.next_fixed, &m.fixed_overall) {
        (_, Some(all)) if m.groups.len() == 1 => format!("upgrade to {all}"),
        (Some(one), Some(all)) if one == all => {
            format!("upgrade to {all} (fixes all known advisories)")
        }
        (Some(one), Some(all)) => {
            format!("upgrade to {one} to fix this one, {all} fixes all known advisories")
        }
        (Some(one), None) => format!(
            "upgrade to {one} to fix this one (no version fixes all known advisories of {})",
            d.display_name
        ),
        (None, _) => "no fixed version is known".to_string(),
    };
    let message = if summary.is_empty() {
        format!("{what}; {fix}")
    } else {
        format!("{what}: {}; {fix}", summary.trim().trim_end_matches('.'))
    };
    let mut f = Finding::new(
        g.canonical.clone(),
        JobKind::Sca,
        g.severity,
        message,
        location(d, end),
    );
    let mut cwe: Vec<u32> = g
        .records
        .iter()
        .flat_map(|r| r.cwe.iter().copied())
        .collect();
    cwe.sort_unstable();
    cwe.dedup();
    f.cwe = if g.informational.is_some() && cwe.is_empty() {
        vec![1104]
    } else {
        cwe
    };
    f.snippet = snip;
    f.remediation = Some(match (&m.fixed_overall, &g.next_fixed) {
        (Some(all), _) => format!("Upgrade {} to {all} or later", d.display_name),
        (None, Some(one)) => format!("Upgrade {} to {one} or later", d.display_name),
        (None, None) => format!(
            "No fixed version of {} is known: remove or replace it, or ignore {} in [[sca.ignore]] with a reason",
            d.display_name, g.canonical
        ),
    });
    f.fingerprint_key = format!(
        "sca:{}:{}@{}:{}",
        d.ecosystem.as_str(),
        d.name,
        version,
        g.canonical
    );
    let p = &mut f.properties;
    p.insert("ecosystem".into(), serde_json::json!(d.ecosystem.as_str()));
    p.insert("package".into(), serde_json::json!(d.display_name));
    p.insert("installed".into(), serde_json::json!(version));
    p.insert("advisory_id".into(), serde_json::json!(g.canonical));
    p.insert("aliases".into(), serde_json::json!(g.aliases));
    p.insert("severity".into(), serde_json::json!(g.severity.as_str()));
    p.insert("cvss_score".into(), serde_json::json!(g.cvss_score));
    p.insert("cvss_vector".into(), serde_json::json!(g.cvss_vector));
    p.insert("fixed_versions".into(), serde_json::json!(g.fixed));
    p.insert("fixed".into(), serde_json::json!(g.next_fixed));
    p.insert("fixed_overall".into(), serde_json::json!(m.fixed_overall));
    p.insert("manifest".into(), serde_json::json!(d.manifest));
    p.insert("line".into(), serde_json::json!(d.line));
    p.insert("dev".into(), serde_json::json!(d.dev));
    p.insert("transitive".into(), serde_json::json!(d.transitive));
    if let Some(k) = &g.informational {
        p.insert("informational".into(), serde_json::json!(k));
    }
    f
}

/// Human form of an OSV range: `>= 1.0, < 1.5`.
pub(super) fn describe_range(r: &osv::Range) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    let limits: Vec<&str> = r
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Limit(l) => Some(l.as_str()),
            _ => None,
        })
        .collect();
    for e in &r.events {
        match e {
            Event::Introduced(v) => {
                if let Some(c) = cur.take() {
                    out.push(c);
                }
                cur = Some(if v == "0" {
                    "all versions".into()
                } else {
                    format!(">= {v}")
                });
            }
            Event::Fixed(v) | Event::LastAffected(v) => {
                let op = if matches!(e, Event::Fixed(_)) {
                    "<"
                } else {
                    "<="
                };
                let lo = cur.take().unwrap_or_else(|| "all versions".into());
                out.push(if lo == "all versions" {
                    format!("{op} {v}")
                } else {
                    format!("{lo}, {op} {v}")
                });
            }
            Event::Limit(_) => {}
        }
    }
    if let Some(c) = cur {
        out.push(c);
    }
    if !limits.is_empty() {
        for o in out.iter_mut() {
            o.push_str(&format!(" (limit {})", limits.join(", ")));
        }
    }
    out
}

pub(super) fn advisory_rule(eco: Ecosystem, name: &str, g: &Group<'_>) -> RuleMeta {
    let summary = g.summary();
    let title = if summary.is_empty() {
        format!("Vulnerability in {name} ({})", eco.as_str())
    } else {
        summary.clone()
    };
    let mut help = format!(
        "## {}: {}\n\n",
        g.canonical,
        if summary.is_empty() { &title } else { &summary }
    );
    if !g.aliases.is_empty() {
        help.push_str(&format!("**Aliases:** {}\n\n", g.aliases.join(", ")));
    }
    if let Some(k) = &g.informational {
        help.push_str(&format!(
            "**Informational advisory:** {k} (not a vulnerability).\n\n"
        ));
    }
    let details = g
        .records
        .iter()
        .map(|r| r.details.trim())
        .find(|d| !d.is_empty())
        .unwrap_or("");
    if !details.is_empty() {
        help.push_str(details);
        help.push_str("\n\n");
    }
    help.push_str(
        "### Affected versions\n\n| ecosystem | package | affected | fixed |\n|---|---|---|---|\n",
    );
    for r in &g.records {
        for a in r.affected.iter().filter(|a| a.name == name) {
            let mut affected: Vec<String> = a
                .ranges
                .iter()
                .filter(|x| x.kind != version::RangeKind::Git)
                .flat_map(describe_range)
                .collect();
            if a.has_versions() {
                let all: Vec<&str> = a.versions().collect();
                let shown: Vec<&str> = all.iter().take(12).copied().collect();
                affected.push(format!(
                    "versions {}{}",
                    shown.join(", "),
                    if all.len() > 12 {
                        format!(" and {} more", all.len() - 12)
                    } else {
                        String::new()
                    }
                ));
            }
            let mut fixed: Vec<String> = a
                .ranges
                .iter()
                .flat_map(|x| x.events.iter())
                .filter_map(|e| match e {
                    Event::Fixed(v) => Some(v.clone()),
                    _ => None,
                })
                .collect();
            matching::sort_versions(eco, &mut fixed);
            help.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                eco.as_str(),
                name,
                if affected.is_empty() {
                    "-".into()
                } else {
                    affected.join("; ").replace('|', "\\|")
                },
                if fixed.is_empty() {
                    "none known".into()
                } else {
                    fixed.join(", ")
                }
            ));
        }
    }
    help.push_str(&format!(
        "\n**Fix:** upgrade to a fixed version.\n\nSource: [osv.dev/vulnerability/{0}](https://osv.dev/vulnerability/{0})\n",
        g.canonical
    ));
    let mut cwe: Vec<u32> = g
        .records
        .iter()
        .flat_map(|r| r.cwe.iter().copied())
        .collect();
    cwe.sort_unstable();
    cwe.dedup();
    let mut tags = vec![
        "supply-chain".to_string(),
        "sca".to_string(),
        eco.as_str().to_string(),
    ];
    tags.extend(g.aliases.iter().cloned());
    if let Some(k) = &g.informational {
        tags.push(k.clone());
    }
    RuleMeta {
        id: g.canonical.clone(),
        job: JobKind::Sca,
        // SARIF wants a readable identifier that is not the id: `VulnerableDependencyFlask`
        name: format!("VulnerableDependency{}", crate::rule::pascal_case(name)),
        title,
        description: format!(
            "{}{}",
            if summary.is_empty() {
                format!("Vulnerability in {name}")
            } else {
                summary
            },
            if g.aliases.is_empty() {
                String::new()
            } else {
                format!(" (aliases: {})", g.aliases.join(", "))
            }
        ),
        help_markdown: help,
        severity: g.severity,
        precision: Precision::VeryHigh,
        cwe,
        tags,
        help_uri: Some(format!("https://osv.dev/vulnerability/{}", g.canonical)),
        security_severity: g.cvss_score,
    }
}

/// The same vulnerability found on several packages: keep the rule, add the tags of the other aliases.
pub(super) fn merge_rule(r: &mut RuleMeta, g: &Group<'_>) {
    for a in &g.aliases {
        if !r.tags.contains(a) {
            r.tags.push(a.clone());
        }
    }
    if r.severity < g.severity {
        r.severity = g.severity;
    }
    if let Some(s) = g.cvss_score {
        r.security_severity = Some(r.security_severity.map_or(s, |x| x.max(s)));
    }
}

#[cfg(test)]
mod tests {
    use super::describe_range;
    use crate::sca::osv::{Event, Range};
    use crate::sca::version::RangeKind;

    #[test]
    fn ranges_read_as_people_write_them() {
        let r = |events: Vec<Event>| {
            describe_range(&Range {
                kind: RangeKind::Ecosystem,
                events,
            })
        };
        let s = |v: &str| v.to_string();
        assert_eq!(
            r(vec![Event::Introduced(s("0")), Event::Fixed(s("1.5"))]),
            vec!["< 1.5"]
        );
        assert_eq!(
            r(vec![
                Event::Introduced(s("1.0")),
                Event::LastAffected(s("1.4"))
            ]),
            vec![">= 1.0, <= 1.4"]
        );
        assert_eq!(
            r(vec![
                Event::Introduced(s("1.0")),
                Event::Fixed(s("1.2")),
                Event::Introduced(s("2.0")),
            ]),
            vec![">= 1.0, < 1.2", ">= 2.0"]
        );
    }
}
