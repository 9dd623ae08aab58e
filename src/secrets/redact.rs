//! How a secret is shown: redacted values, the snippet line with every secret on it redacted and clipped
//! around the finding, and the short texts a finding carries.

use crate::text::LineIndex;

/// Longest snippet, in characters.
const SNIPPET_MAX: usize = 200;

pub(super) fn clip_key(key: &str) -> String {
    if key.chars().count() > 60 {
        key.chars().take(59).collect::<String>() + "…"
    } else {
        key.to_string()
    }
}

pub(super) fn first_paragraph(md: &str) -> String {
    md.trim()
        .split("\n\n")
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// How a secret is shown: its first characters (at most 4) and `****`; a PEM block keeps its header line,
/// which names the key type and is not secret.
pub fn display_secret(secret: &str) -> String {
    if let Some(rest) = secret.strip_prefix("-----BEGIN") {
        if let Some(i) = rest.find("-----") {
            let header = &secret[..10 + i + 5];
            if !header.contains(['\n', '\r', '\\']) {
                return format!("{header}****");
            }
        }
        return "-----BEGIN****".into();
    }
    crate::text::redact(secret)
}

/// The line `line` (1-based) with every secret range on it replaced by its redacted form, clipped around
/// the secret starting at `focus`.
pub(super) fn snippet(
    text: &str,
    idx: &LineIndex,
    line: u32,
    focus: usize,
    ranges: &[(usize, usize)],
) -> String {
    let raw = idx.line_text(line);
    let line_start = raw.as_ptr() as usize - text.as_ptr() as usize;
    let line_end = line_start + raw.len();
    let mut pieces: Vec<(usize, usize)> = ranges
        .iter()
        .filter(|(s, e)| *s < line_end.max(line_start + 1) && *e > line_start)
        .map(|(s, e)| ((*s).max(line_start), (*e).min(line_end)))
        .collect();
    pieces.sort();
    let mut out = String::with_capacity(raw.len());
    let mut pos = line_start;
    let mut focus_at = 0;
    for (s, e) in pieces {
        if s < pos {
            // Overlapping ranges: extend the redaction.
            pos = pos.max(e);
            continue;
        }
        out.push_str(&text[pos..s]);
        if s == focus.max(line_start) {
            focus_at = out.len();
        }
        // The secret this piece belongs to (whole, for the prefix shown).
        let whole = ranges
            .iter()
            .filter(|(rs, re)| *rs <= s && *re >= e)
            .map(|(rs, re)| &text[*rs..*re])
            .next()
            .unwrap_or(&text[s..e]);
        out.push_str(&display_secret(whole));
        pos = e;
    }
    if pos < line_end {
        out.push_str(&text[pos..line_end]);
    }
    let out = out.trim_end_matches('\r');
    clip_around(out, focus_at)
}

/// Trim and shorten a (redacted) line to [`SNIPPET_MAX`] characters around byte offset `at`.
fn clip_around(line: &str, at: usize) -> String {
    let lead = line.len() - line.trim_start().len();
    let t = line.trim();
    let at = at.saturating_sub(lead).min(t.len());
    if t.chars().count() <= SNIPPET_MAX {
        return t.to_string();
    }
    let mut start = at.saturating_sub(60);
    while !t.is_char_boundary(start) {
        start -= 1;
    }
    let body: String = t[start..].chars().take(SNIPPET_MAX - 2).collect();
    let mut s = String::new();
    if start > 0 {
        s.push('…');
    }
    s.push_str(&body);
    if start + body.len() < t.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_keeps_pem_header_only() {
        assert_eq!(
            display_secret(
                "-----BEGIN RSA PRIVATE KEY-----\nMIIabc\n-----END RSA PRIVATE KEY-----"
            ),
            "-----BEGIN RSA PRIVATE KEY-----****"
        );
        assert_eq!(display_secret("AKIAZ5Q3XJ4PL7NM2RTW"), "AKIA****");
    }

    #[test]
    fn snippets_redact_every_secret_on_the_line() {
        let text = "a = 'SECRETVALUE1234567' b = 'OTHERSECRET98765432'\nnext";
        let idx = LineIndex::new(text);
        let s1 = text.find("SECRETVALUE").unwrap();
        let s2 = text.find("OTHERSECRET").unwrap();
        let ranges = vec![(s1, s1 + 18), (s2, s2 + 19)];
        let sn = snippet(text, &idx, 1, s2, &ranges);
        assert_eq!(sn, "a = 'SECR****' b = 'OTHE****'");
    }

    #[test]
    fn long_lines_are_clipped_around_the_secret() {
        let line = format!("{}KEY****{}", "x".repeat(500), "y".repeat(500));
        let c = clip_around(&line, 500);
        assert!(c.contains("KEY****"), "{c}");
        assert!(c.chars().count() <= SNIPPET_MAX);
    }
}
