//! Assignments: a secret-sounding name, a separator (`=`, `:`, `=>`, a call argument, an XML element,
//! whitespace for Dockerfile `ENV`, flags and `.netrc`) and the value after it; in code only string literals.

use super::*;
use names::{classify, is_ident_byte, words, MAX_NAME};

/// A value after a separator: quoted (range inside the quotes) or bare.
pub(super) struct Value {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) quoted: bool,
}

/// Parse a value at `p` (after blanks) on a line ending at `end`.
pub(super) fn parse_value(text: &[u8], p: usize, end: usize, stop_amp: bool) -> Option<Value> {
    let mut p = skip_blanks(text, p, end);
    if p >= end {
        return None;
    }
    // String prefixes: b"..", r'..', u"..", f"..", @"..", $"..".
    let mut q = p;
    while q < end && q < p + 2 && matches!(text[q], b'b' | b'r' | b'u' | b'B' | b'R' | b'U' | b'@')
    {
        q += 1;
    }
    if q < end && matches!(text[q], b'"' | b'\'' | b'`') && (q == p || q <= p + 2) {
        p = q;
    }
    let c = text[p];
    // A string inside a JSON string (notebooks, JSON-in-JSON): `\"value\"`.
    if c == b'\\' && p + 1 < end && matches!(text[p + 1], b'"' | b'\'') {
        let q = text[p + 1];
        let s = p + 2;
        let mut i = s;
        while i + 1 < end {
            if text[i] == b'\\' && text[i + 1] == q {
                return (i > s).then_some(Value {
                    start: s,
                    end: i,
                    quoted: true,
                });
            }
            if text[i] == b'\\' {
                i += 2;
                continue;
            }
            i += 1;
        }
        return None;
    }
    if c == b'"' || c == b'\'' || c == b'`' {
        let s = p + 1;
        let mut i = s;
        while i < end {
            if text[i] == b'\\' {
                i += 2;
                continue;
            }
            if text[i] == c {
                return Some(Value {
                    start: s,
                    end: i,
                    quoted: true,
                });
            }
            i += 1;
        }
        return None;
    }
    let s = p;
    let mut i = s;
    while i < end {
        let b = text[i];
        if b == b' ' || b == b'\t' || b == b';' || (stop_amp && b == b'&') {
            break;
        }
        // `...,password=X,ssl=True`: a comma before the next `key=`.
        if b == b',' && {
            let w = text[i + 1..end]
                .iter()
                .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                .map_or(end, |k| i + 1 + k);
            w > i + 1 && w < end && text[w] == b'='
        } {
            break;
        }
        i += 1;
    }
    // Trailing punctuation of a list or statement.
    while i > s && matches!(text[i - 1], b',' | b'"' | b'\'' | b')' | b'}' | b']') {
        i -= 1;
    }
    (i > s).then_some(Value {
        start: s,
        end: i,
        quoted: false,
    })
}

pub(super) fn assignments(
    rel: &str,
    text: &[u8],
    mode: FileMode,
    names: impl Iterator<Item = (usize, usize)>,
    out: &mut Vec<GenericHit>,
) {
    let netrc = is_netrc(rel);
    let docs = {
        let l = rel.to_ascii_lowercase();
        [".md", ".markdown", ".txt", ".rst", ".adoc", ".html", ".htm"]
            .iter()
            .any(|e| l.ends_with(e))
    };
    let mut last_ident_end = 0usize;
    for (m_start, m_end) in names {
        if m_start < last_ident_end {
            continue;
        }
        // Expand to the whole identifier (bounded: a keyword inside a long base64 blob is no name).
        let mut s = m_start;
        while s > 0 && is_ident_byte(text[s - 1]) && m_start - s <= MAX_NAME {
            s -= 1;
        }
        let mut e = m_end;
        while e < text.len() && is_ident_byte(text[e]) {
            e += 1;
        }
        last_ident_end = e;
        if m_start - s > MAX_NAME || e - m_end > MAX_NAME {
            continue;
        }
        // Leading dashes are a command-line flag; dots a member access (`self.password`).
        let mut is_flag = false;
        let mut id_start = s;
        while id_start < e && text[id_start] == b'-' {
            id_start += 1;
            is_flag = true;
        }
        let mut id_end = e;
        while id_end > id_start && matches!(text[id_end - 1], b'.' | b'-') {
            id_end -= 1;
        }
        if id_end <= id_start || id_end - id_start > 80 {
            continue;
        }
        let Ok(ident) = std::str::from_utf8(&text[id_start..id_end]) else {
            continue;
        };
        let Some(class) = classify(ident) else {
            continue;
        };
        let (ls, le) = line_bounds(text, s);
        // What precedes the name on its line.
        let before = &text[ls..s];
        let open_quote = s
            .checked_sub(1)
            .filter(|&i| i >= ls)
            .map(|i| text[i])
            .filter(|c| matches!(c, b'"' | b'\'' | b'`'));
        let in_tag = s > ls && text[s - 1] == b'<';
        let mut p = id_end.max(e);
        if p > le {
            continue;
        }
        // The name is the value of a `name`/`key` field and the secret sits in the `value` field next to it:
        // Kubernetes `env` (`- name: X` / `value: ...`), ECS/CloudFormation JSON, .NET `<add key="X" value="..."/>`.
        if let Some(v) = name_value_pair(text, before, open_quote, p, le, mode) {
            push_value(text, v, class, ident, out);
            continue;
        }
        let mut quoted_name = false;
        if let Some(q) = open_quote {
            if p < le && text[p] == q {
                p += 1;
                quoted_name = true;
            }
            // Otherwise the name sits inside a string: `-H "X-Api-Key: ..."`, `"user=a;password=..."`.
            if p < le && text[p] == b']' {
                p += 1;
            }
        } else if p < le && text[p] == b']' {
            p += 1;
        } else if p + 1 < le && text[p] == b'[' {
            // C arrays: `char pass[] = "..."`, `char pass[32] = "..."`.
            if let Some(i) = text[p..le].iter().position(|&c| c == b']') {
                if text[p + 1..p + i].iter().all(u8::is_ascii_digit) {
                    p += i + 1;
                }
            }
        }
        // C# auto-property with an initializer: `Password { get; set; } = "..."`.
        {
            let q = skip_blanks(text, p, le);
            for acc in [
                &b"{ get; set; }"[..],
                b"{ get; }",
                b"{get;set;}",
                b"{ get; init; }",
            ] {
                if text[q..le].starts_with(acc) {
                    p = q + acc.len();
                }
            }
        }
        let p2 = skip_blanks(text, p, le);
        let stop_amp = s > 0 && matches!(text[s - 1], b'?' | b'&' | b';');
        let value: Option<Value>;
        if in_tag {
            // <password>value</password>, also with attributes: <Pass encoding="base64">value</Pass>; or
            // the value in a `value` attribute: <secret value="..."/>.
            let gt = text[p2..le].iter().position(|&c| c == b'>').map(|i| p2 + i);
            // `<Password encrypted="true">`: an encrypted value is not the password.
            if gt.is_some_and(|g| find_ci(&text[p2..g], b"encrypt").is_some()) {
                continue;
            }
            if let Some(v) = gt.and_then(|g| attribute_value(text, p2, g)) {
                value = Some(v);
            } else if let Some(gt) = gt.filter(|&g| g == p2 || p2 > p && text[g - 1] != b'/') {
                let vs = gt + 1;
                let ve = text[vs..le]
                    .iter()
                    .position(|&b| b == b'<')
                    .map(|i| vs + i)
                    .unwrap_or(le);
                // Only an element with its closing tag on the line: `<password>...</password>`.
                if !text[ve..le].starts_with(b"</") {
                    continue;
                }
                value = (ve > vs).then_some(Value {
                    start: vs,
                    end: ve,
                    quoted: true,
                });
            } else {
                continue;
            }
        } else if p2 < le {
            let c = text[p2];
            let next = text.get(p2 + 1).copied().unwrap_or(b'\n');
            let sep_len = match (c, next) {
                (b':', b'=') | (b'=', b'>') | (b'?', b'=') | (b'+', b'=') => 2,
                (b'|', b'|') | (b'?', b'?') if text.get(p2 + 2) == Some(&b'=') => 3,
                // Comparisons with a literal: `if password == "..."`, `=== '...'`.
                (b'=', b'=') => 2 + usize::from(text.get(p2 + 2) == Some(&b'=')),
                (b'=', b'~') | (b':', b':') => 0,
                (b'=', _) => 1,
                // `define('DB_PASSWORD', '...')`, `setdefault("API_KEY", "...")`, `put("token", "...")`.
                (b',', _) if quoted_name && call_argument(before) => 1,
                // YAML/JSON/dict `key: value`; not `host:port`, `C:\`, `http://`.
                (b':', _)
                    if matches!(next, b' ' | b'\t' | b'"' | b'\'' | b'\n' | b'\r')
                        || quoted_name
                        || p2 + 1 == le =>
                {
                    1
                }
                _ => 0,
            };
            if sep_len > 0 {
                let after = p2 + sep_len;
                let mut v = parse_value(text, after, le, stop_amp);
                let bare_ok = c == b'?' && mode == FileMode::Config;
                if (matches!(c, b',' | b'|' | b'?') && !bare_ok || (c, next) == (b'=', b'='))
                    && v.as_ref().is_some_and(|v| !v.quoted)
                {
                    v = None;
                }
                // Python/TS annotations: `password: str = "..."`.
                if mode == FileMode::Code && c == b':' && v.as_ref().is_some_and(|v| !v.quoted) {
                    v = annotated_value(text, after, le);
                }
                value = v;
            } else if c == b'(' && setter_call(ident, s, text) {
                // `setPassword("...")`, `withApiKey("...")`, builder `.password("...")`.
                value = parse_value(text, p2 + 1, le, false).filter(|v| {
                    v.quoted && {
                        let after = skip_blanks(text, v.end + 1, le);
                        after < le && text[after] == b')'
                    }
                });
            } else if c == b' ' || c == b'\t' || p2 > p {
                // Whitespace separator: Dockerfile `ENV NAME value`, `--password value`, `.netrc`.
                let before_t = trim_ascii(before);
                let env_legacy = before_t.eq_ignore_ascii_case(b"ENV")
                    || before_t.eq_ignore_ascii_case(b"#define")
                    || before_t.eq_ignore_ascii_case(b"# define");
                let line = &text[ls..le];
                let netrc_line = netrc
                    || starts_with_ci(trim_ascii(line), b"machine ")
                    || starts_with_ci(trim_ascii(line), b"default ")
                    || (find_ci(line, b"machine ").is_some()
                        && find_ci(line, b" login ").is_some());
                // A configuration directive `requirepass VALUE` alone on its line (redis.conf, ...).
                let directive = mode == FileMode::Config
                    && class == Class::Password
                    && trim_ascii(before).is_empty()
                    && !docs
                    && {
                        let rest = trim_ascii(&text[p2..le]);
                        !rest.is_empty() && !rest.contains(&b' ') && !rest.contains(&b'\t')
                    };
                if env_legacy || is_flag || (netrc_line && class == Class::Password) || directive {
                    value = parse_value(text, p2, le, false);
                } else {
                    // Groovy/Gradle/Ruby calls without parentheses: `password 'X'`, `password "X"`.
                    value = parse_value(text, p2, le, false).filter(|v| {
                        dsl_file(rel) && v.quoted && text.get(v.start) != Some(&b'-') && {
                            let after = skip_blanks(text, v.end + 1, le);
                            after >= le || matches!(text[after], b';' | b'}' | b')' | b',')
                        }
                    });
                    if value.is_none() {
                        continue;
                    }
                }
            } else {
                continue;
            }
        } else {
            continue;
        }
        let Some(v) = value else { continue };
        // A comparison names the secret in its last member: `user.password == "..."`, not `token.vendor == "..."`.
        if p2 < le && text[p2..].starts_with(b"==") {
            let last = ident.rsplit('.').next().unwrap_or(ident);
            if classify(last).is_none() {
                continue;
            }
        }
        if mode == FileMode::Code && !v.quoted {
            // In code a bare value is an expression, except inside a string: a tight `Password=...;` of a
            // connection string or `?api_key=...&` of a URL.
            let tight = p2 == p
                && text.get(p2) == Some(&b'=')
                && v.start == p2 + 1
                && v.end < le
                && (matches!(text[v.end], b';' | b'"' | b'\'' | b'&')
                    || text[v.end] == b' ' && keyword_pair_follows(text, v.end, le));
            if !tight {
                continue;
            }
        }
        // Prose in documentation: `credentials`: Configures the header ...
        if docs && !v.quoted && !stop_amp {
            let rest = skip_blanks(text, v.end, le);
            if rest < le && text[rest] != b'#' {
                continue;
            }
        }
        push_value(text, v, class, ident, out);
    }
}

/// Filter a value found for the name `ident` and record it.
pub(super) fn push_value(
    text: &[u8],
    v: Value,
    class: Class,
    ident: &str,
    out: &mut Vec<GenericHit>,
) {
    let Ok(mut val) = std::str::from_utf8(&text[v.start..v.end]) else {
        return;
    };
    let mut v = v;
    // `"value": "Bearer X"`: the credential after an auth scheme.
    for scheme in ["Bearer ", "Token ", "bearer ", "token "] {
        if let Some(rest) = val.strip_prefix(scheme) {
            v.start += scheme.len();
            val = rest;
        }
    }
    if !v.quoted && !is_bare_literal(val) {
        return;
    }
    if is_placeholder(val, class, Some(ident)) {
        return;
    }
    out.push(GenericHit {
        detector: match class {
            Class::Password => Detector::GenericPassword,
            Class::Secret => Detector::GenericSecretAssignment,
        },
        start: v.start,
        end: v.end,
        key: Some(ident.to_string()),
        kind: Some("assignment"),
        decoded: None,
        only_if_provider: false,
    });
}

/// `setPassword(`, `withToken(`, `.password(`: a setter or builder call whose argument is the value.
pub(super) fn setter_call(ident: &str, start: usize, text: &[u8]) -> bool {
    // `ds.setPassword`: the method is the last dotted part.
    let (method, dotted) = match ident.rfind('.') {
        Some(i) => (&ident[i + 1..], true),
        None => (ident, start > 0 && text[start - 1] == b'.'),
    };
    let ws = words(method);
    let first = ws.first().map(String::as_str).unwrap_or("");
    // Calls that take a secret to check or transform it, not to configure it.
    const NOT_SETTERS: &[&str] = &[
        "check", "verify", "validate", "hash", "compare", "match", "matches", "encode", "decode",
        "encrypt", "decrypt", "get", "is", "has", "find", "load", "read", "fetch", "parse",
        "reset", "clear", "remove", "delete", "generate", "create", "make", "new", "update",
        "require", "assert", "expect", "test", "mask", "redact", "sign", "to", "from", "revoke",
        "rotate",
    ];
    (ws.len() >= 2 && matches!(first, "set" | "with" | "use"))
        || (dotted && !NOT_SETTERS.contains(&first))
}

/// Does the text before a quoted name end in a call's first argument (`define(`, `setdefault(`)?
pub(super) fn call_argument(before: &[u8]) -> bool {
    let b = trim_ascii_end(before);
    // `before` ends with the opening quote of the name.
    let b = b
        .strip_suffix(b"\"")
        .or_else(|| b.strip_suffix(b"'"))
        .unwrap_or(b);
    let Some(b) = trim_ascii_end(b).strip_suffix(b"(") else {
        return false;
    };
    let b = trim_ascii_end(b);
    let start = b
        .iter()
        .rposition(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
        .map(|i| i + 1)
        .unwrap_or(0);
    // Setters and lookups with a default: the second argument is the value.
    const SETTERS: &[&str] = &[
        "define",
        "setdefault",
        "setenv",
        "putenv",
        "set",
        "put",
        "setproperty",
        "setitem",
        "add",
        "getenv",
        "get",
        "getproperty",
        "getordefault",
        "env",
        "config",
        "setvalue",
        "store",
    ];
    let name = String::from_utf8_lossy(&b[start..]).to_ascii_lowercase();
    SETTERS.contains(&name.as_str())
}

/// Field names whose value names a variable, and field names that hold its value.
pub(super) const NAME_FIELDS: &[&str] = &[
    "name",
    "key",
    "parameterkey",
    "variable",
    "var",
    "env",
    "id",
];
pub(super) const VALUE_FIELDS: &[&[u8]] = &[b"value", b"parametervalue"];

/// `- name: DB_PASSWORD` + `value: ...` (within the next lines), `{"name": "X", "value": "..."}`,
/// `<add key="X" value="..."/>`: the value of the neighbouring value field.
pub(super) fn name_value_pair(
    text: &[u8],
    before: &[u8],
    open_quote: Option<u8>,
    after_name: usize,
    le: usize,
    mode: FileMode,
) -> Option<Value> {
    let mut b = trim_ascii_end(before);
    if open_quote.is_some() {
        b = &b[..b.len().saturating_sub(1)];
        b = trim_ascii_end(b);
    }
    let b = b.strip_suffix(b":").or_else(|| b.strip_suffix(b"="))?;
    let b = trim_ascii_end(b);
    let b = b
        .strip_suffix(b"\"")
        .or_else(|| b.strip_suffix(b"'"))
        .unwrap_or(b);
    let fstart = b
        .iter()
        .rposition(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
        .map(|i| i + 1)
        .unwrap_or(0);
    let field = std::str::from_utf8(&b[fstart..]).ok()?.to_ascii_lowercase();
    if !NAME_FIELDS.contains(&field.as_str()) {
        return None;
    }
    // Look ahead a few lines for the value field.
    let limit = (after_name + 400).min(text.len());
    let mut i = after_name;
    let mut lines = 0;
    while i < limit {
        let c = text[i];
        if c == b'\n' {
            lines += 1;
            if lines > 3 {
                return None;
            }
        }
        // Another element (`<input name="password">` ... `<input value="Register">`) is another field.
        if c == b'>' && open_quote.is_some() && text[i - 1] != b'/' {
            // The element's text: `<property name="db.password">X</property>`, `<entry key="password">X</entry>`,
            // `<setting name="Password"><value>X</value>`.
            let (_, vle) = line_bounds(text, i);
            let mut vs = i + 1;
            if text[vs..vle].starts_with(b"<value>") {
                vs += 7;
            }
            let ve = text[vs..vle]
                .iter()
                .position(|&c| c == b'<')
                .map(|k| vs + k)?;
            return (ve > vs && text[ve..vle].starts_with(b"</")).then_some(Value {
                start: vs,
                end: ve,
                quoted: true,
            });
        }
        if c == b'<' || c == b'>' {
            return None;
        }
        if c.is_ascii_alphabetic() && (i == 0 || !text[i - 1].is_ascii_alphanumeric()) {
            for vf in VALUE_FIELDS {
                let end = i + vf.len();
                if end <= limit && text[i..end].eq_ignore_ascii_case(vf) {
                    let mut j = end;
                    if j < limit && matches!(text[j], b'"' | b'\'') {
                        j += 1;
                    }
                    j = skip_blanks(text, j, limit);
                    if j < limit && matches!(text[j], b':' | b'=') {
                        let (_, vle) = line_bounds(text, j);
                        let v = parse_value(text, j + 1, vle, false)?;
                        if mode == FileMode::Code && !v.quoted {
                            return None;
                        }
                        return Some(v);
                    }
                }
            }
            // Another name field first: this name has no value of its own.
            if i > after_name && lines > 0 {
                let w_end = text[i..limit]
                    .iter()
                    .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                    .map(|k| i + k)
                    .unwrap_or(limit);
                let w = String::from_utf8_lossy(&text[i..w_end]).to_ascii_lowercase();
                if w == "name" {
                    return None;
                }
            }
        }
        i += 1;
    }
    let _ = le;
    None
}

/// A bare value that is a literal, not an expression (`request.POST[...]`, `get()`, `"a" + b`).
pub(super) fn is_bare_literal(v: &str) -> bool {
    let first = v.as_bytes()[0];
    !v.contains(['(', ')', '[', ']', '"', '\'', '`', '<', '>', ','])
        && !matches!(first, b':' | b'=' | b'.' | b'-' | b'+' | b'\\')
}

/// After `name:` in code, skip a type annotation to an `= "value"`.
pub(super) fn annotated_value(text: &[u8], p: usize, le: usize) -> Option<Value> {
    let mut i = skip_blanks(text, p, le);
    let start = i;
    while i < le
        && (text[i].is_ascii_alphanumeric()
            || matches!(
                text[i],
                b'_' | b'.' | b'[' | b']' | b' ' | b'|' | b',' | b'&' | b'<' | b'>' | b'\'' | b'?'
            ))
    {
        i += 1;
    }
    if i == start || i >= le || text[i] != b'=' || text.get(i + 1) == Some(&b'=') {
        return None;
    }
    parse_value(text, i + 1, le, false).filter(|v| v.quoted)
}

/// After a bare `password=X` in a string: another `key=value` follows (`"host=db user=app password=X dbname=app"`).
fn keyword_pair_follows(text: &[u8], p: usize, le: usize) -> bool {
    let q = skip_blanks(text, p, le);
    let w = text[q..le]
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
        .map_or(le, |i| q + i);
    w > q && w < le && text[w] == b'='
}

/// `<secret value="X" ...>`: the `value` attribute of a tag named like a secret (tag ends at `gt`).
fn attribute_value(text: &[u8], from: usize, gt: usize) -> Option<Value> {
    let i = find_ci(&text[from..gt], b"value=")? + from;
    if i > from && text[i - 1].is_ascii_alphanumeric() {
        return None;
    }
    parse_value(text, i + 6, gt, false).filter(|v| v.quoted)
}

/// Files whose language calls methods without parentheses (`password 'X'`): Groovy, Gradle, Ruby.
fn dsl_file(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    [".gradle", ".groovy", ".kts", ".rb", ".gemspec", ".podspec"]
        .iter()
        .any(|e| name.ends_with(e))
        || matches!(
            name,
            "Jenkinsfile" | "Gemfile" | "Vagrantfile" | "Fastfile" | "Podfile" | "Rakefile"
        )
}
