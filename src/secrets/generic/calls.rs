//! Positional arguments of calls that take a credential: `DriverManager.getConnection(url, user, "X")`,
//! `new NetworkCredential(user, "X")`, `smtp.login(user, "X")`, `new PDO(dsn, user, "X")`,
//! `jwt.sign(payload, "X")`, `"X".toCharArray()` ... The argument must be a string literal.

use super::super::rules::shannon_entropy;
use super::*;
use std::sync::OnceLock;

/// Function or constructor name (lower case, last dotted part) and the 0-based index of the argument that
/// holds the credential; `Password` or `Secret` decides the filters.
const CALLS: &[(&str, usize, Class)] = &[
    ("getconnection", 2, Class::Password),
    ("networkcredential", 1, Class::Password),
    ("login", 1, Class::Password),
    ("ftp", 2, Class::Password),
    ("ftp_tls", 2, Class::Password),
    ("smtp_login", 1, Class::Password),
    ("pdo", 2, Class::Password),
    ("mysqli", 2, Class::Password),
    ("mysqli_connect", 2, Class::Password),
    ("mysql_connect", 2, Class::Password),
    ("plainauth", 2, Class::Password),
    ("usernamepasswordauthenticationtoken", 1, Class::Password),
    ("usernamepasswordcredentials", 1, Class::Password),
    ("passwordauthentication", 1, Class::Password),
    ("basicawscredentials", 1, Class::Secret),
    ("basicsessioncredentials", 1, Class::Secret),
    ("newstaticcredentials", 1, Class::Secret),
    ("pscredential", 1, Class::Password),
    ("basicauth", 1, Class::Password),
    ("httpbasicauth", 1, Class::Password),
    ("httpdigestauth", 1, Class::Password),
    ("authenticate", 1, Class::Password),
    ("sign", 1, Class::Secret),
    ("encode", 1, Class::Secret),
    ("createhmac", 1, Class::Secret),
    ("setrequestheader", 1, Class::Secret),
    ("connect", 2, Class::Password),
];

/// The function names looked for: the patterns of [`call_finder`].
pub(super) fn call_names() -> impl Iterator<Item = &'static str> {
    CALLS.iter().map(|(n, _, _)| *n)
}

pub(super) fn call_finder() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .match_kind(MatchKind::LeftmostLongest)
            .build(call_names())
            .expect("static patterns")
    })
}

/// Calls of the functions in [`CALLS`]: (name range, position of the `(`).
fn calls<'a>(
    b: &'a [u8],
    names: &'a [(usize, usize)],
) -> impl Iterator<Item = (usize, usize, usize)> + 'a {
    names.iter().filter_map(move |&(s, e)| {
        // Whole name (`_` may join a prefix: `smtp_login`), then `(`.
        if s > 0 && b[s - 1].is_ascii_alphanumeric()
            || e < b.len() && (b[e].is_ascii_alphanumeric() || b[e] == b'_')
        {
            return None;
        }
        let open = skip_blanks(b, e, b.len().min(e + 8));
        (open < b.len() && b[open] == b'(').then_some((s, e, open))
    })
}

/// Top-level arguments of a call whose `(` is at `open`: byte ranges, up to the closing `)` on the line.
fn arguments(b: &[u8], open: usize, le: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = open + 1;
    let mut i = open + 1;
    while i < le {
        match b[i] {
            b'"' | b'\'' | b'`' => {
                let q = b[i];
                i += 1;
                while i < le && b[i] != q {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth > 0 => depth -= 1,
            b')' => {
                out.push((start, i));
                return out;
            }
            b',' if depth == 0 => {
                out.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// A string literal argument: the range inside its quotes.
fn literal(b: &[u8], s: usize, e: usize) -> Option<(usize, usize)> {
    let t = trim_ascii(&b[s..e]);
    let off = s + (t.as_ptr() as usize - b[s..e].as_ptr() as usize);
    let mut t0 = 0;
    // b"...", r"...", @"...".
    while t0 < t.len().min(2) && matches!(t[t0], b'b' | b'r' | b'u' | b'@' | b'B' | b'R') {
        t0 += 1;
    }
    let t = &t[t0..];
    let off = off + t0;
    if t.len() >= 2 && matches!(t[0], b'"' | b'\'') && t[t.len() - 1] == t[0] {
        Some((off + 1, off + t.len() - 1))
    } else {
        None
    }
}

fn chars_regex() -> &'static regex::bytes::Regex {
    static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    RE.get_or_init(|| bytes_regex(r#"["'](?P<chars>[^"'\n]{6,128})["']\.toCharArray\(\)"#))
}

/// Is a literal given where a key or token goes random enough to be one (not `aws4_request`, `utf-8`)?
fn secret_shaped(v: &str) -> bool {
    let upper = v.bytes().any(|c| c.is_ascii_uppercase());
    let lower = v.bytes().any(|c| c.is_ascii_lowercase());
    let digit = v.bytes().any(|c| c.is_ascii_digit());
    (v.len() >= 16 && shannon_entropy(v.as_bytes()) >= 3.5)
        || (upper && lower && digit && v.len() >= 10)
}

/// `names`: where the function names occur (leftmost-longest, ascending); `chars`: the text contains
/// `toCharArray`.
pub(super) fn call_arguments(
    text: &str,
    names: &[(usize, usize)],
    chars: bool,
    out: &mut Vec<GenericHit>,
) {
    let b = text.as_bytes();
    let chars = if chars {
        chars_regex().captures_iter(b).collect::<Vec<_>>()
    } else {
        Vec::new()
    };
    for caps in chars {
        if let Some(c) = caps.name("chars") {
            // `"secret".toCharArray()`: Java key store and key passwords.
            if let Ok(v) = std::str::from_utf8(c.as_bytes()) {
                if !is_placeholder(v, Class::Password, None) {
                    out.push(GenericHit::new(
                        Detector::GenericPassword,
                        c.start(),
                        c.end(),
                        Some("toCharArray()".into()),
                        Some("call-argument"),
                    ));
                }
            }
        }
    }
    for (ns, ne, open) in calls(b, names) {
        let fname = String::from_utf8_lossy(&b[ns..ne]).to_ascii_lowercase();
        let Some(&(_, idx, class)) = CALLS.iter().find(|(n, _, _)| *n == fname) else {
            continue;
        };
        let (_, le) = line_bounds(b, open);
        let args = arguments(b, open, le);
        // `connect` is too common: only Perl DBI (`DBI->connect("dbi:...", user, "X")`).
        if fname == "connect" {
            let first = args
                .first()
                .map(|&(s, e)| trim_ascii(&b[s..e]))
                .unwrap_or(b"");
            if !(starts_with_ci(first, b"\"dbi:") || starts_with_ci(first, b"'dbi:")) {
                continue;
            }
        }
        let Some(&(s, e)) = args.get(idx) else {
            continue;
        };
        let Some((vs, ve)) = literal(b, s, e) else {
            continue;
        };
        // Keyword arguments (`login(user="a", password="b")`) are assignments, handled elsewhere.
        if b[s..e].contains(&b'=') && !b[vs..ve].contains(&b'=') {
            continue;
        }
        let Ok(v) = std::str::from_utf8(&b[vs..ve]) else {
            continue;
        };
        if is_placeholder(v, class, None) || class == Class::Secret && !secret_shaped(v) {
            continue;
        }
        // `setRequestHeader("X-Api-Key", "...")`: only headers named like a secret.
        if fname == "setrequestheader" {
            let named = args
                .first()
                .and_then(|&(s, e)| literal(b, s, e))
                .and_then(|(s, e)| std::str::from_utf8(&b[s..e]).ok())
                .is_some_and(|h| super::names::classify(h).is_some());
            if !named {
                continue;
            }
        }
        out.push(GenericHit::new(
            match class {
                Class::Password => Detector::GenericPassword,
                Class::Secret => Detector::GenericSecretAssignment,
            },
            vs,
            ve,
            Some(format!("{fname}() argument")),
            Some("call-argument"),
        ));
    }
}
