//! Positional arguments of calls that take a credential: `DriverManager.getConnection(url, user, "X")`,
//! `new NetworkCredential(user, "X")`, `smtp.login(user, "X")`, `new PDO(dsn, user, "X")`,
//! `jwt.sign(payload, "X")`, `"X".toCharArray()` ... The argument must be a string literal.

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

fn call_regex() -> &'static regex::bytes::Regex {
    static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        bytes_regex(r#"(?i)(?:\b|_)(getconnection|networkcredential|login|ftp|ftp_tls|smtp_login|pdo|mysqli|mysqli_connect|mysql_connect|plainauth|usernamepasswordauthenticationtoken|usernamepasswordcredentials|passwordauthentication|basicawscredentials|basicsessioncredentials|newstaticcredentials|pscredential|basicauth|httpbasicauth|httpdigestauth|authenticate|sign|encode|createhmac|setrequestheader|connect)\s*\(|["'](?P<chars>[^"'\n]{6,128})["']\.toCharArray\(\)"#)
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

pub(super) fn call_arguments(text: &str, out: &mut Vec<GenericHit>) {
    let b = text.as_bytes();
    for caps in call_regex().captures_iter(b) {
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
            continue;
        }
        let Some(name) = caps.get(1) else { continue };
        let fname = String::from_utf8_lossy(name.as_bytes()).to_ascii_lowercase();
        let Some(&(_, idx, class)) = CALLS.iter().find(|(n, _, _)| *n == fname) else {
            continue;
        };
        let open = caps.get(0).map_or(0, |m| m.end() - 1);
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
        if is_placeholder(v, class, None) {
            continue;
        }
        // A message or a format string is no credential.
        if class == Class::Secret && (fname == "encode" || fname == "sign") && v.len() < 8 {
            continue;
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
