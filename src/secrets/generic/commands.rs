//! Credentials with a fixed shape around them: URLs with `user:password@`, `Authorization:` headers,
//! `curl -u user:pass`, passwords given to commands (`mysql -p`, `sshpass -p`, SQL `IDENTIFIED BY`).

use super::*;
use std::sync::OnceLock;

pub(super) fn url_regex() -> &'static regex::bytes::Regex {
    static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        bytes_regex(r#"(?i)\b[a-z][a-z0-9+.\-]{1,30}://(?P<user>[^\s:/@'"<>{}\[\]\\]{0,128}):(?P<pass>[^\s/'"<>\\,]{1,256})@[a-z0-9\[\]\-_.%$]"#)
    })
}

pub(super) fn url_passwords(text: &str, out: &mut Vec<GenericHit>) {
    for caps in url_regex().captures_iter(text.as_bytes()) {
        let (Some(user), Some(pass)) = (caps.name("user"), caps.name("pass")) else {
            continue;
        };
        let (Ok(pw), Ok(user)) = (
            std::str::from_utf8(pass.as_bytes()),
            std::str::from_utf8(user.as_bytes()),
        ) else {
            continue;
        };
        let decoded = crate::text::percent_decode(pw);
        if pw.eq_ignore_ascii_case(user) || is_placeholder(&decoded, Class::Password, None) {
            continue;
        }
        // A short password is still a password in a URL; placeholders are handled above.
        out.push(GenericHit::new(
            Detector::GenericPassword,
            pass.start(),
            pass.end(),
            Some("URL".into()),
            Some("url-password"),
        ));
    }
}

pub(super) fn auth_regex() -> &'static regex::bytes::Regex {
    static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        bytes_regex(r#"(?i)authorization["']?\]?\s*(?:[:=,]\s*|\s)["']?(?P<scheme>basic|bearer|token)\s+(?P<cred>[A-Za-z0-9+/=._~\-]{8,})"#)
    })
}

pub(super) fn auth_headers(text: &str, out: &mut Vec<GenericHit>) {
    for caps in auth_regex().captures_iter(text.as_bytes()) {
        let (Some(scheme), Some(cred)) = (caps.name("scheme"), caps.name("cred")) else {
            continue;
        };
        let Ok(value) = std::str::from_utf8(cred.as_bytes()) else {
            continue;
        };
        if scheme.as_bytes().eq_ignore_ascii_case(b"basic") {
            let Some(decoded) = base64_decode(value).and_then(|d| String::from_utf8(d).ok()) else {
                continue;
            };
            let Some((user, pw)) = decoded.split_once(':') else {
                continue;
            };
            if pw.eq_ignore_ascii_case(user) || is_placeholder(pw, Class::Password, None) {
                continue;
            }
            out.push(GenericHit::new(
                Detector::GenericPassword,
                cred.start(),
                cred.end(),
                Some("Authorization: Basic".into()),
                Some("basic-auth"),
            ));
        } else {
            if is_placeholder(value, Class::Secret, None) {
                continue;
            }
            out.push(GenericHit::new(
                Detector::GenericSecretAssignment,
                cred.start(),
                cred.end(),
                Some("Authorization: Bearer".into()),
                Some("bearer-token"),
            ));
        }
    }
}

pub(super) fn curl_regex() -> &'static regex::bytes::Regex {
    static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        bytes_regex(r#"(?m)(?:^|[\s'"])(?:-u|--user|-a|--auth)(?:\s+|=)["']?(?P<user>[^\s:"'$]{1,128}):(?P<pass>[^\s"']{1,256})"#)
    })
}

pub(super) fn curl_users(text: &str, out: &mut Vec<GenericHit>) {
    let bytes = text.as_bytes();
    for caps in curl_regex().captures_iter(bytes) {
        let (Some(user), Some(pass)) = (caps.name("user"), caps.name("pass")) else {
            continue;
        };
        let flag = &bytes[caps.get(0).map_or(0, |m| m.start())..user.start()];
        let (Ok(pw), Ok(user)) = (
            std::str::from_utf8(pass.as_bytes()),
            std::str::from_utf8(user.as_bytes()),
        ) else {
            continue;
        };
        let (ls, le) = line_bounds(bytes, pass.start());
        let line = &bytes[ls..le];
        let httpie = find_ci(flag, b"-a").is_some() || find_ci(flag, b"--auth").is_some();
        if httpie {
            // httpie: `http -a user:pass ...`.
            let t = trim_ascii(line);
            if !(starts_with_ci(t, b"http ") || starts_with_ci(t, b"https ")) {
                continue;
            }
        } else if find_ci(line, b"curl").is_none() && find_ci(line, b"--user").is_none() {
            continue;
        }
        if pw.eq_ignore_ascii_case(user) || is_placeholder(pw, Class::Password, None) {
            continue;
        }
        out.push(GenericHit::new(
            Detector::GenericPassword,
            pass.start(),
            pass.end(),
            Some("curl -u".into()),
            Some("curl-user"),
        ));
    }
}

pub(super) fn command_regex() -> &'static regex::bytes::Regex {
    static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        bytes_regex(r#"\bmysql(?:dump|admin|import|show|check)?\b[^\n]*?\s-p(?P<p1>[^\s'"\-$][^\s'"]*)|\bsshpass\s+-p\s*["']?(?P<p2>[^\s'"$]+)|\bdocker\s+login\b[^\n]*?\s-p\s+["']?(?P<p3>[^\s'"$]+)|(?:\bauth\s*=\s*\(?|BasicAuth\()\s*\(?\s*["'][^"'\n]*["']\s*,\s*["'](?P<p4>[^"'\n]+)["']|(?i:\bidentified\s+by\s+|\b(?:role|user|login)\b[^;\n]{0,80}?\bpassword\s*=?\s*|\bpassword\s*\(\s*)["'](?P<p5>[^"'\n]+)["']|\b(?:USER|LINK|ROLE)\b[^;\n]{0,80}?\bIDENTIFIED\s+BY\s+(?P<p6>[A-Za-z][A-Za-z0-9_#$!]{5,63})\b|["'](?P<u7>[\w.\-]{1,64}):(?P<p7>[^\s@'"/:]{1,128})@(?:tcp|unix|udp)\(|(?i:\bthin:)[\w$]+/(?P<p8>[^\s@/'"]{1,128})@"#)
    })
}

/// Passwords given to commands and clients: `mysql -pSECRET`, `sshpass -p SECRET`, `docker login -p SECRET`,
/// `requests.get(url, auth=("user", "SECRET"))`, `HTTPBasicAuth("user", "SECRET")`.
pub(super) fn command_passwords(text: &str, out: &mut Vec<GenericHit>) {
    for caps in command_regex().captures_iter(text.as_bytes()) {
        let Some((m, what)) = [
            ("p1", "mysql -p"),
            ("p2", "sshpass -p"),
            ("p3", "docker login -p"),
            ("p4", "basic auth"),
            ("p5", "SQL password"),
            ("p6", "SQL password"),
            ("p7", "DSN password"),
            ("p8", "Oracle user/password"),
        ]
        .iter()
        .find_map(|(g, w)| caps.name(g).map(|m| (m, *w))) else {
            continue;
        };
        let Ok(pw) = std::str::from_utf8(m.as_bytes()) else {
            continue;
        };
        if is_placeholder(pw, Class::Password, None) {
            continue;
        }
        out.push(GenericHit::new(
            Detector::GenericPassword,
            m.start(),
            m.end(),
            Some(what.into()),
            Some("command-password"),
        ));
    }
}

/// The SQL `INSERT` the detector reads is what this pattern finds (leftmost first, one after another):
/// `(?i)\binsert\s+into\s+[\w."`\[\]]+\s*\((?P<cols>[^()\n]{1,500})\)\s*values\s*\((?P<vals>[^\n]{1,2000})`
/// (`INSERT` in the tests). This is it with `{1,500}` as `+` and the values as their first byte: the
/// 2,500 counted repetitions take ~4 ms to compile, this ~0.2 ms. [`inserts`] restores the bounds.
fn insert_regex() -> &'static regex::bytes::Regex {
    static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        bytes_regex(r#"(?i)\binsert\s+into\s+[\w."`\[\]]+\s*\((?P<cols>[^()\n]+)\)\s*values\s*\((?P<vals>[^\n])"#)
    })
}

/// The (columns, values) byte ranges of each match of the bounded pattern in `b`. From a given start every part of
/// a match is fixed (the name stops at the first space or parenthesis, the columns at the first `)`), so
/// where [`insert_regex`] finds columns longer than 500 bytes the bounded one finds nothing at that start and
/// the search goes on from the next byte; the values run to the line's end, at most 2,000 bytes, where
/// the next search starts.
fn inserts(b: &[u8]) -> Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < b.len() {
        let Some(caps) = insert_regex().captures_at(b, at) else {
            break;
        };
        let (Some(whole), Some(cols), Some(vals)) =
            (caps.get(0), caps.name("cols"), caps.name("vals"))
        else {
            break;
        };
        if cols.len() > 500 {
            at = whole.start() + 1;
            continue;
        }
        let line_end =
            memchr::memchr(b'\n', &b[vals.start()..]).map_or(b.len(), |i| vals.start() + i);
        let end = line_end.min(vals.start() + 2000);
        out.push((cols.range(), vals.start()..end));
        at = end;
    }
    out
}

/// `INSERT INTO users (name, password) VALUES ('admin', 'X')`: the value in the password column.
pub(super) fn sql_inserts(text: &str, out: &mut Vec<GenericHit>) {
    let b = text.as_bytes();
    for (cols, vals) in inserts(b) {
        let names: Vec<String> = String::from_utf8_lossy(&b[cols])
            .split(',')
            .map(|c| c.trim().trim_matches(['"', '`', '[', ']']).to_string())
            .collect();
        // Split the values at top-level commas, keeping quoted strings whole.
        let v = &b[vals.clone()];
        let mut items: Vec<(usize, usize)> = Vec::new();
        let (mut i, mut start) = (0usize, 0usize);
        while i < v.len() && v[i] != b')' {
            match v[i] {
                b'\'' => {
                    i += 1;
                    while i < v.len() && !(v[i] == b'\'' && v.get(i + 1) != Some(&b'\'')) {
                        i += if v[i] == b'\'' { 2 } else { 1 };
                    }
                }
                b',' => {
                    items.push((start, i));
                    start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        items.push((start, i.min(v.len())));
        for (k, name) in names.iter().enumerate() {
            let Some(class) = super::names::classify(name) else {
                continue;
            };
            let Some(&(s, e)) = items.get(k) else {
                continue;
            };
            let t = trim_ascii(&v[s..e]);
            if t.len() < 3 || t[0] != b'\'' || t[t.len() - 1] != b'\'' {
                continue;
            }
            let ts = vals.start + s + (t.as_ptr() as usize - v[s..e].as_ptr() as usize);
            let (vs, ve) = (ts + 1, ts + t.len() - 1);
            let Ok(val) = std::str::from_utf8(&b[vs..ve]) else {
                continue;
            };
            if is_placeholder(val, class, Some(name)) {
                continue;
            }
            out.push(GenericHit::new(
                match class {
                    Class::Password => Detector::GenericPassword,
                    Class::Secret => Detector::GenericSecretAssignment,
                },
                vs,
                ve,
                Some(format!("INSERT ... {name}")),
                Some("sql-insert"),
            ));
        }
    }
}

#[cfg(test)]
mod insert_tests {
    use super::*;

    const INSERT: &str = r#"(?i)\binsert\s+into\s+[\w."`\[\]]+\s*\((?P<cols>[^()\n]{1,500})\)\s*values\s*\((?P<vals>[^\n]{1,2000})"#;

    /// [`inserts`] finds what the bounded pattern finds, on every fixture and on texts built around the bounds:
    /// column lists of 500 and 501 bytes, values of 2,000 and 2,001 bytes, several statements on a line
    /// and across lines, a too-long one before a good one.
    #[test]
    fn inserts_are_the_matches_of_the_bounded_pattern() {
        let full = regex::bytes::RegexBuilder::new(INSERT)
            .unicode(false)
            .build()
            .unwrap();
        let mut texts: Vec<Vec<u8>> = crate::secrets::fixture_files()
            .into_iter()
            .map(|(_, b)| b)
            .collect();
        let cols = |n: usize| "c,".repeat(n / 2) + &"x".repeat(n % 2);
        for nc in [1, 2, 499, 500, 501, 502, 900] {
            for nv in [1, 5, 1999, 2000, 2001, 2500] {
                let one = format!("INSERT INTO t ({}) VALUES ('{}')", cols(nc), "v".repeat(nv));
                texts.push(one.clone().into_bytes());
                texts.push(
                    format!("{one}; insert  into\n`u` ( a,b ) values\n('x','y'); {one}\n{one}")
                        .into_bytes(),
                );
                texts.push(
                    format!(
                        "insert into s ({}) values (1) INSERT INTO t (a) VALUES (2)",
                        cols(nc)
                    )
                    .into_bytes(),
                );
                texts.push(
                    format!("xinsert into t (a) values (1)\n{one}\ninsert into t () values (1)")
                        .into_bytes(),
                );
            }
        }
        let mut found = 0;
        for t in &texts {
            let want: Vec<_> = full
                .captures_iter(t)
                .map(|c| {
                    (
                        c.name("cols").unwrap().range(),
                        c.name("vals").unwrap().range(),
                    )
                })
                .collect();
            found += want.len();
            assert_eq!(inserts(t), want, "{}", String::from_utf8_lossy(t));
        }
        assert!(found > 150, "{found}");
    }
}
