//! Inline suppressions: `tollgate: ignore` or `tollgate: ignore[RULE-ID, ...]` in a comment on the finding's
//! line, or alone on a comment line right above it. For secrets, the markers of gitleaks
//! (`gitleaks:allow`) and detect-secrets (`pragma: allowlist secret`, `pragma: allowlist nextline secret`)
//! are honoured too; for SAST, Bandit's `# nosec` and `# nosec B602`-style lists (by Bandit id in the rule's
//! tags is not known here, so a bare `nosec` or one naming the rule id).
//!
//! Suppressed findings stay in the report with a `suppression`; they only stop counting for the gate.

use crate::finding::{Finding, JobKind, Suppression, SuppressionKind};
use crate::text::LineIndex;
use std::collections::BTreeMap;
use std::path::Path;

/// What a comment on a line says about suppression.
#[derive(Debug, PartialEq, Eq)]
enum Marker {
    /// `tollgate: ignore` without a list: every rule.
    All(&'static str),
    /// `tollgate: ignore[A, B]`.
    Rules(Vec<String>),
}

/// Find suppression markers in one line of text.
fn markers(line: &str, job: JobKind, own_line: bool) -> Vec<Marker> {
    let mut out = Vec::new();
    let lower = line.to_ascii_lowercase();
    let mut search_from = 0;
    while let Some(pos) = lower[search_from..].find("tollgate:") {
        let start = search_from + pos + "tollgate:".len();
        let rest = lower[start..].trim_start();
        if let Some(after) = rest.strip_prefix("ignore") {
            let after_trim = after.trim_start();
            if let Some(list) = after_trim.strip_prefix('[') {
                if let Some(end) = list.find(']') {
                    // Take the ids from the original line to keep their case-insensitive compare simple.
                    let ids = list[..end]
                        .split(',')
                        .map(|s| s.trim().to_ascii_uppercase())
                        .filter(|s| !s.is_empty())
                        .collect();
                    out.push(Marker::Rules(ids));
                } else {
                    out.push(Marker::All("tollgate: ignore"));
                }
            } else {
                out.push(Marker::All("tollgate: ignore"));
            }
        }
        search_from = start;
    }
    if job == JobKind::Secrets {
        if lower.contains("gitleaks:allow") {
            out.push(Marker::All("gitleaks:allow"));
        }
        if own_line && lower.contains("pragma: allowlist secret") {
            out.push(Marker::All("pragma: allowlist secret"));
        }
        if !own_line && lower.contains("pragma: allowlist nextline secret") {
            out.push(Marker::All("pragma: allowlist nextline secret"));
        }
    }
    // Bandit's hardcoded-password checks (B105-B107) are secrets findings here: `# nosec` bare or naming
    // one of them suppresses a secret on that line.
    if job == JobKind::Secrets && own_line {
        if let Some(pos) = lower.find("nosec") {
            let rest = &lower[pos + 5..];
            let ids: Vec<&str> = rest
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .take_while(|s| s.len() == 4 && s.starts_with('b'))
                .collect();
            if ids.is_empty() || ids.iter().any(|i| ["b105", "b106", "b107"].contains(i)) {
                out.push(Marker::All("nosec"));
            }
        }
    }
    if job == JobKind::Sast {
        if let Some(pos) = lower.find("nosec") {
            let rest = &line[pos + 5..];
            let ids: Vec<String> = rest
                .split(|c: char| c == ',' || c.is_whitespace())
                .map(|s| s.trim().to_ascii_uppercase())
                .take_while(|s| {
                    s.is_empty() || s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                })
                .filter(|s| !s.is_empty())
                .collect();
            if ids.is_empty() {
                out.push(Marker::All("nosec"));
            } else {
                out.push(Marker::Rules(ids));
            }
        }
    }
    out
}

/// A line that holds only a comment (so that a marker on it is about the next line).
fn is_comment_only(line: &str) -> bool {
    let t = line.trim_start();
    [
        "#", "//", "--", ";", "/*", "*", "<!--", "{#", "rem ", "REM ",
    ]
    .iter()
    .any(|p| t.starts_with(p))
}

fn suppression_for(f: &Finding, idx: &LineIndex) -> Option<Suppression> {
    let line = f.location.start_line;
    let mut candidates: Vec<(Marker, bool)> = markers(idx.line_text(line), f.job, true)
        .into_iter()
        .map(|m| (m, true))
        .collect();
    if line > 1 {
        let above = idx.line_text(line - 1);
        if is_comment_only(above) || f.job == JobKind::Secrets && above.contains("nextline") {
            candidates.extend(markers(above, f.job, false).into_iter().map(|m| (m, false)));
        }
    }
    for (m, same_line) in candidates {
        let where_ = if same_line {
            "on the line"
        } else {
            "on the line above"
        };
        match m {
            Marker::All(what) => {
                return Some(Suppression {
                    kind: SuppressionKind::InSource,
                    justification: format!("`{what}` {where_}"),
                })
            }
            Marker::Rules(ids) => {
                let id = f.rule_id.to_ascii_uppercase();
                if ids.contains(&id) {
                    return Some(Suppression {
                        kind: SuppressionKind::InSource,
                        justification: format!("`tollgate: ignore[{}]` {where_}", f.rule_id),
                    });
                }
            }
        }
    }
    None
}

/// The suppression by comments of each of `findings`, all in the file whose text is `index`'s.
pub(super) fn in_text(index: &LineIndex, findings: &[&Finding]) -> Vec<Option<Suppression>> {
    findings
        .iter()
        .map(|f| {
            if f.suppression.is_none() && f.location.start_line > 0 {
                suppression_for(f, index)
            } else {
                None
            }
        })
        .collect()
}

/// Mark findings suppressed by comments in their files. Files are read once each.
pub fn apply(root: &Path, findings: &mut [Finding]) {
    let mut by_path: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if f.suppression.is_none() && f.location.start_line > 0 {
            by_path.entry(f.location.path.clone()).or_default().push(i);
        }
    }
    for (path, idxs) in by_path {
        let Ok(bytes) = std::fs::read(root.join(&path)) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let index = LineIndex::new(&text);
        for i in idxs {
            if let Some(s) = suppression_for(&findings[i], &index) {
                findings[i].suppression = Some(s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Location, Severity};

    fn finding(job: JobKind, id: &str, line: u32) -> Finding {
        Finding::new(id, job, Severity::High, "m", Location::line("f", line))
    }

    fn check(text: &str, job: JobKind, id: &str, line: u32) -> Option<String> {
        let idx = LineIndex::new(text);
        suppression_for(&finding(job, id, line), &idx).map(|s| s.justification)
    }

    #[test]
    fn same_line_and_line_above() {
        let t = "x = 1\nkey = 'abc'  # tollgate: ignore\n# tollgate: ignore[SEC-A, SEC-B]\nkey2 = 'x'\ny = 2 # tollgate: ignore\nz = 3\n";
        assert!(check(t, JobKind::Secrets, "SEC-A", 2).is_some());
        assert!(check(t, JobKind::Secrets, "SEC-B", 4).is_some());
        assert!(check(t, JobKind::Secrets, "SEC-C", 4).is_none());
        // A trailing comment on a code line does not suppress the next line.
        assert!(check(t, JobKind::Secrets, "SEC-A", 6).is_none());
        assert!(check(t, JobKind::Secrets, "SEC-A", 1).is_none());
    }

    #[test]
    fn peer_markers() {
        let t = "a = 'x' # gitleaks:allow\nb = 'y' # pragma: allowlist secret\n# pragma: allowlist nextline secret\nc = 'z'\nos.system(x)  # nosec\nos.system(y)  # nosec PY-OS-SYSTEM\n";
        assert!(check(t, JobKind::Secrets, "SEC-X", 1).is_some());
        assert!(check(t, JobKind::Secrets, "SEC-X", 2).is_some());
        assert!(check(t, JobKind::Secrets, "SEC-X", 4).is_some());
        // gitleaks markers are for secrets only
        assert!(check(t, JobKind::Sast, "PY-X", 1).is_none());
        assert!(check(t, JobKind::Sast, "PY-ANY", 5).is_some());
        assert!(check(t, JobKind::Sast, "PY-OS-SYSTEM", 6).is_some());
        assert!(check(t, JobKind::Sast, "PY-EVAL", 6).is_none());
        // Bandit's hardcoded-password codes suppress secrets too
        let b =
            "p = 'x'  # nosec B105 # used for testing\nq = 'y'  # nosec B602\nr = 'z'  # nosec\n";
        assert!(check(b, JobKind::Secrets, "SEC-GENERIC-PASSWORD", 1).is_some());
        assert!(check(b, JobKind::Secrets, "SEC-GENERIC-PASSWORD", 2).is_none());
        assert!(check(b, JobKind::Secrets, "SEC-GENERIC-PASSWORD", 3).is_some());
    }
}
