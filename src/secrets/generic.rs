//! The generic detectors: secrets that have no provider format, found by where they are put.
//!
//! - **Assignments** of a secret-sounding name to a literal: `password = "..."`, `api_key: ...`,
//!   `SECRET_TOKEN=...`, `"client_secret": "..."`, `export X=...`, Dockerfile `ENV X=...`/`ENV X ...`/`ARG`,
//!   `--password=...`/`--token ...` flags, `<password>...</password>`, `.netrc` `password ...`,
//!   connection-string `Password=...;`. In code files (Python, JS, Java, Go ...) only string literals
//!   count, so `password = get_password()`, `token = os.environ[...]`, `password: str` stay quiet; in
//!   configuration files (`.env`, YAML, INI, TOML, properties, shell, Dockerfile, unknown) unquoted values
//!   count too.
//! - **URLs with a password** (`scheme://user:password@host`), **`curl -u user:pass`**, and
//!   **`Authorization: Basic|Bearer|Token ...`** headers.
//! - **Kubernetes `kind: Secret` manifests**: every `stringData` value, and every `data` value decoded from
//!   base64.
//!
//! Every value then goes through the placeholder filters ([`is_placeholder`]): templates and references
//! (`${VAR}`, `$VAR`, `{{ .Values.x }}`, `<your-token>`, `%(x)s`, `os.environ[...]`, `getenv(...)`),
//! stop words (`example`, `changeme`, `dummy`, `test` ...), masks (`xxxx`, `****`), weak dictionary
//! values (`password`, `secret123`, `P@ssw0rd`), identifiers and labels (`user_password`, `tokenType`),
//! paths, URLs, numbers, and an entropy floor.

use super::rules::{shannon_entropy, Detector};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::sync::OnceLock;

/// A value found by a generic detector.
#[derive(Debug, Clone)]
pub struct GenericHit {
    pub detector: Detector,
    /// Byte range of the value in the file text.
    pub start: usize,
    pub end: usize,
    /// The name the value is assigned to (or a short description of where it is).
    pub key: Option<String>,
    /// What was detected (`assignment`, `url-password`, `basic-auth`, `bearer-token`, `kubernetes-secret`).
    pub kind: Option<&'static str>,
    /// The decoded value when the text holds it encoded (Kubernetes `data:` entries).
    pub decoded: Option<String>,
    /// Report only if a provider rule recognises the decoded value.
    pub only_if_provider: bool,
}

impl GenericHit {
    fn new(
        detector: Detector,
        start: usize,
        end: usize,
        key: Option<String>,
        kind: Option<&'static str>,
    ) -> Self {
        GenericHit {
            detector,
            start,
            end,
            key,
            kind,
            decoded: None,
            only_if_provider: false,
        }
    }
}

/// What a name says about its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Password,
    Secret,
}

/// Whether bare (unquoted) values are literals in this file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileMode {
    /// Source code: only string literals are values.
    Code,
    /// Configuration, environment, shell, docs: bare words are values.
    Config,
}

const CODE_EXTENSIONS: &[&str] = &[
    "py", "pyw", "pyi", "js", "mjs", "cjs", "jsx", "ts", "tsx", "mts", "cts", "java", "kt", "kts",
    "scala", "groovy", "go", "rb", "php", "cs", "vb", "fs", "c", "h", "cc", "cpp", "cxx", "hpp",
    "hh", "m", "mm", "swift", "rs", "dart", "lua", "pl", "pm", "r", "jl", "ex", "exs", "erl",
    "clj", "cljs", "vue", "svelte", "ps1", "psm1", "tf", "hcl", "nix", "zig", "sol",
];

fn file_mode(rel: &str) -> FileMode {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let ext = match name.rfind('.') {
        Some(i) if i > 0 => name[i + 1..].to_ascii_lowercase(),
        _ => String::new(),
    };
    if CODE_EXTENSIONS.contains(&ext.as_str()) {
        FileMode::Code
    } else {
        FileMode::Config
    }
}

fn is_yaml(rel: &str) -> bool {
    let l = rel.to_ascii_lowercase();
    l.ends_with(".yaml") || l.ends_with(".yml")
}

fn is_netrc(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name == ".netrc" || name == "_netrc"
}

/// Name fragments that make an identifier worth looking at (ASCII case-insensitive).
pub const NAME_KEYWORDS: &[&str] = &[
    "pass", "pwd", "pswd", "secret", "token", "key", "auth", "cred", "contrase", "private",
];

fn name_finder() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(NAME_KEYWORDS)
            .expect("static patterns")
    })
}

/// Longest name part looked at on either side of a keyword.
const MAX_NAME: usize = 80;

/// How far a line is looked at around a position (minified files have megabyte lines).
const LINE_WINDOW: usize = 4096;

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.'
}

/// Split an identifier into lower-case words (`_`, `-`, `.` and camelCase boundaries).
fn words(ident: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let b = ident.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = b[i - 1];
            let next_lower = b.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if (prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower))
                && !cur.is_empty()
            {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c.to_ascii_lowercase() as char);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A last word that says the value is about a secret, not the secret itself.
const NOT_SECRET_LAST: &[&str] = &[
    "file",
    "files",
    "filename",
    "path",
    "paths",
    "dir",
    "directory",
    "folder",
    "name",
    "names",
    "type",
    "types",
    "kind",
    "length",
    "len",
    "size",
    "count",
    "field",
    "fields",
    "column",
    "label",
    "placeholder",
    "prompt",
    "hint",
    "policy",
    "pattern",
    "regex",
    "regexp",
    "format",
    "prefix",
    "suffix",
    "header",
    "headers",
    "param",
    "params",
    "parameter",
    "enabled",
    "enable",
    "disabled",
    "required",
    "expiry",
    "expires",
    "expiration",
    "expire",
    "ttl",
    "timeout",
    "lifetime",
    "age",
    "endpoint",
    "url",
    "uri",
    "urls",
    "host",
    "port",
    "method",
    "methods",
    "mode",
    "version",
    "alg",
    "algorithm",
    "algorithms",
    "env",
    "var",
    "variable",
    "ref",
    "reference",
    "template",
    "validator",
    "validation",
    "validators",
    "reset",
    "confirm",
    "confirmation",
    "changed",
    "strength",
    "min",
    "max",
    "id",
    "ids",
    "uuid",
    "hash",
    "hashed",
    "hasher",
    "hashers",
    "digest",
    "class",
    "cls",
    "backend",
    "backends",
    "handler",
    "provider",
    "store",
    "storage",
    "manager",
    "service",
    "client",
    "location",
    "source",
    "location",
    "arn",
    "key_id",
    "index",
    "idx",
    "option",
    "options",
    "flag",
    "flags",
    "error",
    "errors",
    "message",
    "msg",
    "text",
    "title",
    "description",
    "desc",
    "help",
    "input",
    "form",
    "widget",
    "button",
    "view",
    "views",
    "test",
    "tests",
    "mock",
    "dummy",
    "example",
    "sample",
    "default",
    "defaults",
    "pub",
    "public",
    "usage",
    "used",
    "user",
    "username",
    "login",
    "email",
    "endpoint",
    "callback",
    "redirect",
    "scope",
    "scopes",
    "audience",
    "issuer",
    "set",
    "get",
    "list",
    "map",
    "dict",
    "fn",
    "func",
    "function",
    "cb",
    "len",
    "encoding",
    "encoder",
    "decoder",
    "generator",
    "factory",
    "count",
    "exists",
    "valid",
    "invalid",
    "expired",
    "status",
    "state",
    "info",
    "data",
    "response",
    "request",
    "result",
    "bytes",
    "bits",
    "rotation",
    "refresh_url",
    "lookup",
    "cache",
    "ssm",
    "vault",
    "keyvault",
    "secretref",
    "secretname",
    "secretkeyref",
    "mount",
    "volume",
    "config",
    "configs",
    "settings",
    "setting",
    "key",
    "keys",
    "identifier",
    "startswith",
    "endswith",
    "contains",
    "icontains",
    "exact",
    "iexact",
    "isnull",
    "in",
    "regex",
    "iregex",
    "gt",
    "lt",
    "gte",
    "lte",
];

/// Words anywhere in a name that make it not a credential.
const NOT_SECRET_ANY: &[&str] = &[
    "getpass",
    "public",
    "pub",
    "csrf",
    "xsrf",
    "sort",
    "primary",
    "foreign",
    "partition",
    "idempotency",
    "cache",
    "monkey",
    "turkey",
    "donkey",
    "keyboard",
    "keyword",
    "keywords",
    "keystroke",
    "keypress",
    "keydown",
    "keyup",
    "keyframe",
    "keyframes",
    "passenger",
    "passive",
    "passage",
    "bypass",
    "compass",
    "passthrough",
    "secretary",
    "tokenizer",
    "tokenize",
    "tokenized",
    "tokens",
    "tokenization",
    "authenticity",
    "encrypted",
    "hashed",
    "hash",
    "digest",
    "checksum",
    "masked",
    "hidden",
    "placeholder",
    "expected",
    "mock",
    "fake",
    "dummy",
];

/// Which kind of secret a name announces, if any.
fn classify(ident: &str) -> Option<Class> {
    let ws = words(ident);
    if ws.is_empty() {
        return None;
    }
    if ws.iter().any(|w| NOT_SECRET_ANY.contains(&w.as_str())) {
        return None;
    }
    let last = ws.last().map(String::as_str).unwrap_or("");
    let collapsed: String = ws.concat();
    if collapsed.contains("csrf") || collapsed.contains("xsrf") {
        return None;
    }
    let is_password_word = |w: &str| {
        matches!(
            w,
            "password"
                | "passwd"
                | "pass"
                | "pwd"
                | "pswd"
                | "passphrase"
                | "passcode"
                | "pword"
                | "contrasena"
                | "contrasenya"
                | "passwort"
                | "passwords"
        ) || w.ends_with("password")
            || w.ends_with("passwd")
            || w.ends_with("passphrase")
            || (w.ends_with("pass") && w.len() <= 8 && !w.ends_with("bypass"))
    };
    let password = ws.iter().any(|w| is_password_word(w));
    let secret = !password
        && (ws.iter().any(|w| {
            w == "secret"
                || w == "secrets"
                || w.ends_with("secret")
                || w == "token"
                || w.ends_with("token")
                || w == "credential"
                || w == "credentials"
                || w == "creds"
                || w == "privkey"
                || w == "apikey"
                || w == "auth"
                || w == "authorization"
        }) || [
            "apikey",
            "accesskey",
            "privatekey",
            "secretkey",
            "authkey",
            "clientkey",
            "appkey",
            "applicationkey",
            "masterkey",
            "encryptionkey",
            "encryptkey",
            "signingkey",
            "signkey",
            "accountkey",
            "servicekey",
            "consumerkey",
            "subscriptionkey",
            "sessionkey",
            "hmackey",
            "jwtkey",
            "webhookkey",
            "sharedkey",
            "licensekey",
            "deploykey",
            "dbkey",
            "databasekey",
            "storagekey",
            "secretaccesskey",
            "cryptkey",
            "cipherkey",
            "aeskey",
            "rootkey",
            "adminkey",
        ]
        .iter()
        .any(|k| collapsed.contains(k)));
    if !password && !secret {
        return None;
    }
    // `password_file`, `token_url`, `secret_name` ... describe the secret, they do not hold it. A trailing
    // `key` is the secret itself when a qualifier precedes it (`api_key`), handled above.
    if NOT_SECRET_LAST.contains(&last) && !(last == "key" && ws.len() > 1) {
        return None;
    }
    if last == "key" && ws.len() > 1 {
        let prev = ws[ws.len() - 2].as_str();
        // `password_key`, `token_key`: the lookup key under which a secret is stored.
        if is_password_word(prev) || prev == "token" {
            return None;
        }
    }
    Some(if password {
        Class::Password
    } else {
        Class::Secret
    })
}

/// The byte range of the line containing `pos`, without the line break.
fn line_bounds(text: &[u8], pos: usize) -> (usize, usize) {
    let mut lo = pos.saturating_sub(LINE_WINDOW);
    let mut hi = (pos + LINE_WINDOW).min(text.len());
    // Keep the window on UTF-8 character boundaries (the text is valid UTF-8).
    while lo > 0 && lo < text.len() && (text[lo] & 0xC0) == 0x80 {
        lo -= 1;
    }
    while hi < text.len() && hi > pos && (text[hi] & 0xC0) == 0x80 {
        hi -= 1;
    }
    let start = text[lo..pos]
        .iter()
        .rposition(|&b| b == b'\n')
        .map(|i| lo + i + 1)
        .unwrap_or(lo);
    let mut end = text[pos..hi]
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| pos + i)
        .unwrap_or(hi);
    if end > start && text[end - 1] == b'\r' {
        end -= 1;
    }
    (start, end)
}

fn skip_blanks(text: &[u8], mut p: usize, end: usize) -> usize {
    while p < end && (text[p] == b' ' || text[p] == b'\t') {
        p += 1;
    }
    p
}

/// A value after a separator: quoted (range inside the quotes) or bare.
struct Value {
    start: usize,
    end: usize,
    quoted: bool,
}

/// Parse a value at `p` (after blanks) on a line ending at `end`.
fn parse_value(text: &[u8], p: usize, end: usize, stop_amp: bool) -> Option<Value> {
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

/// Run the generic detectors over one file.
pub fn detect(rel: &str, text: &str, password: bool, assignment: bool) -> Vec<GenericHit> {
    detect_at(rel, text, password, assignment, None)
}

/// [`detect`], given where the [`NAME_KEYWORDS`] occur (byte ranges, ascending by start) when the
/// caller's own keyword pass already found them.
pub fn detect_at(
    rel: &str,
    text: &str,
    password: bool,
    assignment: bool,
    names: Option<&[(usize, usize)]>,
) -> Vec<GenericHit> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mode = file_mode(rel);
    match names {
        Some(n) => assignments(rel, bytes, mode, n.iter().copied(), &mut out),
        None => assignments(
            rel,
            bytes,
            mode,
            name_finder().find_iter(bytes).map(|m| (m.start(), m.end())),
            &mut out,
        ),
    }
    if text.contains("://") {
        url_passwords(text, &mut out);
    }
    if text.contains("uthorization") || text.contains("UTHORIZATION") {
        auth_headers(text, &mut out);
    }
    if text.contains("curl") || text.contains("CURL") || text.contains("--user") {
        curl_users(text, &mut out);
    }
    if [
        "mysql",
        "sshpass",
        "docker login",
        "auth=",
        "auth =",
        "Auth(",
        "IDENTIFIED",
        "identified",
        "PASSWORD '",
        "password '",
        "PASSWORD \"",
        "password \"",
    ]
    .iter()
    .any(|k| text.contains(k))
    {
        command_passwords(text, &mut out);
    }
    if is_yaml(rel) && text.contains("Secret") {
        kubernetes_secrets(text, &mut out);
    }
    out.retain(|h| match h.detector {
        Detector::GenericPassword => password,
        Detector::GenericSecretAssignment => assignment,
    });
    // Minified or generated code (a bundle's one 50 KB line) is full of `password=this.x` shapes that are
    // not assignments of literals; provider rules still scan such files.
    out.retain(|h| line_len_at(text, h.start) <= MAX_GENERIC_LINE);
    out
}

/// Longest line the generic detectors look at (minified bundles have far longer ones).
const MAX_GENERIC_LINE: usize = 1000;

fn line_len_at(text: &str, at: usize) -> usize {
    let b = text.as_bytes();
    let at = at.min(b.len());
    let start = b[..at]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |i| i + 1);
    let end = b[at..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |i| at + i);
    end - start
}

fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

fn assignments(
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
        }
        let p2 = skip_blanks(text, p, le);
        let stop_amp = s > 0 && matches!(text[s - 1], b'?' | b'&' | b';');
        let value: Option<Value>;
        if in_tag {
            // <password>value</password>
            if p2 < le && text[p2] == b'>' {
                let vs = p2 + 1;
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
                (b'=', b'=') | (b'=', b'~') | (b':', b':') => 0,
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
                if matches!(c, b',' | b'|' | b'?') && v.as_ref().is_some_and(|v| !v.quoted) {
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
                let netrc_line = netrc
                    || starts_with_ci(trim_ascii(&text[ls..le]), b"machine ")
                    || starts_with_ci(trim_ascii(&text[ls..le]), b"default ");
                if env_legacy || is_flag || (netrc_line && class == Class::Password) {
                    value = parse_value(text, p2, le, false);
                } else {
                    continue;
                }
            } else {
                continue;
            }
        } else {
            continue;
        }
        let Some(v) = value else { continue };
        if mode == FileMode::Code && !v.quoted {
            // In code a bare value is an expression, except inside a string: a tight `Password=...;` of a
            // connection string or `?api_key=...&` of a URL.
            let tight = p2 == p
                && text.get(p2) == Some(&b'=')
                && v.start == p2 + 1
                && v.end < le
                && matches!(text[v.end], b';' | b'"' | b'\'' | b'&');
            if !tight {
                continue;
            }
        }
        // Prose in documentation: `credentials`: Configures the header ...
        if docs && !v.quoted {
            let rest = skip_blanks(text, v.end, le);
            if rest < le && text[rest] != b'#' {
                continue;
            }
        }
        push_value(text, v, class, ident, out);
    }
}

/// Filter a value found for the name `ident` and record it.
fn push_value(text: &[u8], v: Value, class: Class, ident: &str, out: &mut Vec<GenericHit>) {
    let Ok(val) = std::str::from_utf8(&text[v.start..v.end]) else {
        return;
    };
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
fn setter_call(ident: &str, start: usize, text: &[u8]) -> bool {
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
fn call_argument(before: &[u8]) -> bool {
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

fn trim_ascii_end(b: &[u8]) -> &[u8] {
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map(|i| i + 1)
        .unwrap_or(0);
    &b[..e]
}

/// Field names whose value names a variable, and field names that hold its value.
const NAME_FIELDS: &[&str] = &[
    "name",
    "key",
    "parameterkey",
    "variable",
    "var",
    "env",
    "id",
];
const VALUE_FIELDS: &[&[u8]] = &[b"value", b"parametervalue"];

/// `- name: DB_PASSWORD` + `value: ...` (within the next lines), `{"name": "X", "value": "..."}`,
/// `<add key="X" value="..."/>`: the value of the neighbouring value field.
fn name_value_pair(
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
fn is_bare_literal(v: &str) -> bool {
    let first = v.as_bytes()[0];
    !v.contains(['(', ')', '[', ']', '"', '\'', '`', '<', '>', ','])
        && !matches!(first, b':' | b'=' | b'.' | b'-' | b'+' | b'\\')
}

/// After `name:` in code, skip a type annotation to an `= "value"`.
fn annotated_value(text: &[u8], p: usize, le: usize) -> Option<Value> {
    let mut i = skip_blanks(text, p, le);
    let start = i;
    while i < le
        && (text[i].is_ascii_alphanumeric()
            || matches!(text[i], b'_' | b'.' | b'[' | b']' | b' ' | b'|' | b','))
    {
        i += 1;
    }
    if i == start || i >= le || text[i] != b'=' || text.get(i + 1) == Some(&b'=') {
        return None;
    }
    parse_value(text, i + 1, le, false).filter(|v| v.quoted)
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map(|i| i + 1)
        .unwrap_or(s);
    &b[s..e.max(s)]
}

fn starts_with_ci(b: &[u8], prefix: &[u8]) -> bool {
    b.len() >= prefix.len() && b[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn url_regex() -> &'static regex::bytes::Regex {
    static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        bytes_regex(r#"(?i)\b[a-z][a-z0-9+.\-]{1,30}://(?P<user>[^\s:/@'"<>{}\[\]\\]{0,128}):(?P<pass>[^\s/@'"<>\\,]{1,256})@[a-z0-9\[\]\-_.%$]"#)
    })
}

fn url_passwords(text: &str, out: &mut Vec<GenericHit>) {
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
        let decoded = percent_decode(pw);
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

/// `%40` -> `@` (URL user info is percent-encoded).
fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn auth_regex() -> &'static regex::bytes::Regex {
    static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        bytes_regex(r#"(?i)authorization["']?\s*[:=,]\s*["']?(?P<scheme>basic|bearer|token)\s+(?P<cred>[A-Za-z0-9+/=._~\-]{8,})"#)
    })
}

fn auth_headers(text: &str, out: &mut Vec<GenericHit>) {
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

/// A built-in byte regex: no Unicode classes, the same size limits as rule regexes.
fn bytes_regex(pattern: &str) -> regex::bytes::Regex {
    regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(super::rules::REGEX_SIZE_LIMIT)
        .dfa_size_limit(super::rules::DFA_SIZE_LIMIT)
        .build()
        .expect("static regex")
}

fn curl_regex() -> &'static regex::bytes::Regex {
    static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        bytes_regex(r#"(?m)(?:^|[\s'"])(?:-u|--user)(?:\s+|=)["']?(?P<user>[^\s:"'$]{1,128}):(?P<pass>[^\s"']{1,256})"#)
    })
}

fn curl_users(text: &str, out: &mut Vec<GenericHit>) {
    let bytes = text.as_bytes();
    for caps in curl_regex().captures_iter(bytes) {
        let (Some(user), Some(pass)) = (caps.name("user"), caps.name("pass")) else {
            continue;
        };
        let (Ok(pw), Ok(user)) = (
            std::str::from_utf8(pass.as_bytes()),
            std::str::from_utf8(user.as_bytes()),
        ) else {
            continue;
        };
        let (ls, le) = line_bounds(bytes, pass.start());
        let line = &bytes[ls..le];
        if find_ci(line, b"curl").is_none() && find_ci(line, b"--user").is_none() {
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

fn command_regex() -> &'static regex::bytes::Regex {
    static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        bytes_regex(r#"\bmysql(?:dump|admin|import|show|check)?\b[^\n]*?\s-p(?P<p1>[^\s'"\-$][^\s'"]*)|\bsshpass\s+-p\s*["']?(?P<p2>[^\s'"$]+)|\bdocker\s+login\b[^\n]*?\s-p\s+["']?(?P<p3>[^\s'"$]+)|(?:\bauth\s*=\s*\(?|BasicAuth\()\s*\(?\s*["'][^"'\n]*["']\s*,\s*["'](?P<p4>[^"'\n]+)["']|(?i:\bidentified\s+by\s+|\b(?:role|user)\b[^;\n]{0,80}?\bpassword\s+)["'](?P<p5>[^"'\n]+)["']"#)
    })
}

/// Passwords given to commands and clients: `mysql -pSECRET`, `sshpass -p SECRET`, `docker login -p SECRET`,
/// `requests.get(url, auth=("user", "SECRET"))`, `HTTPBasicAuth("user", "SECRET")`.
fn command_passwords(text: &str, out: &mut Vec<GenericHit>) {
    for caps in command_regex().captures_iter(text.as_bytes()) {
        let Some((m, what)) = [
            ("p1", "mysql -p"),
            ("p2", "sshpass -p"),
            ("p3", "docker login -p"),
            ("p4", "basic auth"),
            ("p5", "SQL password"),
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

/// `kind: Secret` documents: every `stringData` value, every `data` value (base64-decoded).
fn kubernetes_secrets(text: &str, out: &mut Vec<GenericHit>) {
    let mut doc_start = 0usize;
    let mut docs = Vec::new();
    let mut pos = 0usize;
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" {
            docs.push((doc_start, pos));
            doc_start = pos + line.len();
        }
        pos += line.len();
    }
    docs.push((doc_start, text.len()));
    for (ds, de) in docs {
        let doc = &text[ds..de];
        let is_secret = doc.lines().any(|l| {
            let t = l.trim_end();
            t == "kind: Secret" || t == "kind: \"Secret\"" || t == "kind: 'Secret'"
        });
        if !is_secret {
            continue;
        }
        let mut section: Option<bool> = None; // Some(true) = data (base64), Some(false) = stringData
        let mut off = ds;
        for line in doc.split_inclusive('\n') {
            let lstart = off;
            off += line.len();
            let l = line.trim_end_matches(['\n', '\r']);
            let trimmed = l.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = l.len() - trimmed.len();
            if indent == 0 {
                section = match trimmed.trim_end() {
                    "data:" => Some(true),
                    "stringData:" => Some(false),
                    _ => None,
                };
                continue;
            }
            let Some(base64) = section else { continue };
            let Some(colon) = trimmed.find(": ") else {
                continue;
            };
            let key = trimmed[..colon].trim_matches(['"', '\'']);
            let vstart_in = indent + colon + 2;
            let bytes = text.as_bytes();
            let Some(v) = parse_value(bytes, lstart + vstart_in, lstart + l.len(), false) else {
                continue;
            };
            let raw = &text[v.start..v.end];
            if raw.starts_with('|') || raw.starts_with('>') {
                continue;
            }
            let weak_key = is_non_secret_k8s_key(key);
            let class = if classify(key) == Some(Class::Password) {
                Class::Password
            } else {
                Class::Secret
            };
            let detector = match class {
                Class::Password => Detector::GenericPassword,
                Class::Secret => Detector::GenericSecretAssignment,
            };
            if base64 {
                let Some(decoded) = base64_decode(raw) else {
                    continue;
                };
                let decoded = String::from_utf8_lossy(&decoded).into_owned();
                let value_ok =
                    !weak_key && !is_placeholder(decoded.trim(), Class::Password, Some(key));
                out.push(GenericHit {
                    detector,
                    start: v.start,
                    end: v.end,
                    key: Some(format!("data.{key}")),
                    kind: Some("kubernetes-secret"),
                    decoded: Some(decoded),
                    only_if_provider: !value_ok,
                });
            } else {
                if weak_key || is_placeholder(raw, Class::Password, Some(key)) {
                    continue;
                }
                out.push(GenericHit {
                    detector,
                    start: v.start,
                    end: v.end,
                    key: Some(format!("stringData.{key}")),
                    kind: Some("kubernetes-secret"),
                    decoded: None,
                    only_if_provider: false,
                });
            }
        }
    }
}

/// Keys of a Kubernetes Secret whose values are usually not secret (certificates, user names, hosts).
fn is_non_secret_k8s_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    let ws = words(&k);
    let last = ws.last().map(String::as_str).unwrap_or("");
    k.ends_with(".crt")
        || k.ends_with(".pem") && !k.contains("key")
        || k.ends_with(".pub")
        || matches!(
            last,
            "crt"
                | "cert"
                | "certificate"
                | "ca"
                | "username"
                | "user"
                | "login"
                | "host"
                | "hostname"
                | "port"
                | "database"
                | "db"
                | "dbname"
                | "name"
                | "namespace"
                | "region"
                | "email"
                | "endpoint"
                | "bucket"
                | "server"
                | "project"
                | "id"
        )
}

/// Standard or URL-safe base64, padding optional; `None` if it is not base64.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim().trim_end_matches('=');
    if s.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if s.len() % 4 == 1 {
        return None;
    }
    Some(out)
}

/// Substrings that mark a value as a placeholder or test value (lower-case).
const STOPWORDS: &[&str] = &[
    "…",
    "example",
    "sample",
    "dummy",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "change_it",
    "replaceme",
    "replace_me",
    "replace-me",
    "replace_with",
    "replace-with",
    "your_",
    "your-",
    "yourpass",
    "yoursecret",
    "yourtoken",
    "yourkey",
    "yourapi",
    "insert_",
    "insert-",
    "insertyour",
    "enter_",
    "enteryour",
    "redacted",
    "removed",
    "fake",
    "mock",
    "test",
    "todo",
    "fixme",
    "notreal",
    "not_real",
    "not-real",
    "not_a_real",
    "not-a-real",
    "invalid",
    "lorem",
    "foobar",
    "_here",
    "-here",
    "xxxx",
    "****",
    "....",
    "####",
    "????",
    "0000000",
    "<",
    ">",
    "${",
    "{{",
    "}}",
    "{%",
    "#{",
    "%(",
    "%s",
    "$(",
    "%env",
    "env.",
    "environ",
    "getenv",
    "process.env",
    "secrets.",
    "secretkeyref",
    "valuefrom",
    "vault:",
    "ssm:",
    "arn:aws",
    "secretsmanager",
    "keyvault",
    "ref+",
    "op://",
    "sm://",
    "awskms:",
    "gcpkms:",
    "enc[",
    "enc(",
    "aaaaaa",
    "123456789",
    "abcdef",
    "qwerty",
    "deadbeef",
    "cafebabe",
    "12345",
];

/// Prefixes of password hashes and encrypted values: not the credential itself.
const HASH_PREFIXES: &[&str] = &[
    "pbkdf2_",
    "pbkdf2:",
    "argon2",
    "bcrypt",
    "scrypt",
    "sha1$",
    "sha256$",
    "md5$",
    "crypt$",
    "{ssha}",
    "{sha}",
    "{bcrypt}",
    "{noop}",
    "{md5}",
    "$2a$",
    "$2b$",
    "$2y$",
    "$argon2",
    "$6$",
    "$5$",
    "$1$",
    "ansible_vault",
    "$ansible_vault",
    "vault:v1:",
    "age1",
    "-----begin age",
];

/// Whole values (after lower-casing and removing digits and punctuation, with common letter
/// substitutions undone) that are words, not secrets.
const WEAK_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "apikey",
    "key",
    "changeme",
    "admin",
    "administrator",
    "root",
    "user",
    "username",
    "guest",
    "demo",
    "default",
    "none",
    "null",
    "nil",
    "undefined",
    "true",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "empty",
    "string",
    "str",
    "bool",
    "int",
    "required",
    "optional",
    "hidden",
    "masked",
    "value",
    "values",
    "letmein",
    "abc",
    "abcd",
    "abcdef",
    "foo",
    "bar",
    "baz",
    "qux",
    "temp",
    "tmp",
    "mysecret",
    "mypassword",
    "mypass",
    "topsecret",
    "sekrit",
    "supersecret",
    "secretkey",
    "secretpassword",
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "redis",
    "rabbitmq",
    "mongo",
    "mongodb",
    "sa",
    "oracle",
    "dev",
    "development",
    "prod",
    "production",
    "staging",
    "local",
    "localhost",
    "public",
    "private",
    "hello",
    "world",
    "helloworld",
    "welcome",
    "login",
    "auth",
    "bearer",
    "basic",
    "credentials",
    "unknown",
    "unset",
    "notset",
    "disabled",
    "enabled",
    "random",
    "generated",
    "auto",
    "changethis",
    "sesame",
    "opensesame",
    "pa",
    "pw",
];

fn normalize_word(v: &str) -> String {
    // Undo l33t substitutions first, then drop what is not a letter.
    let trimmed = v.trim_end_matches(|c: char| c.is_ascii_digit() || "!?.#*_-@$".contains(c));
    let base = if trimmed.is_empty() { v } else { trimmed };
    base.chars()
        .map(|c| match c {
            '0' => 'o',
            '1' => 'i',
            '3' => 'e',
            '4' => 'a',
            '5' => 's',
            '7' => 't',
            '@' => 'a',
            '$' => 's',
            c => c.to_ascii_lowercase(),
        })
        .filter(|c| c.is_ascii_lowercase())
        .collect()
}

fn all_same(v: &str) -> bool {
    let mut it = v.chars();
    match it.next() {
        Some(f) => it.all(|c| c == f),
        None => true,
    }
}

/// `abcdef`, `123456`, `ABCDEFGH` ...: sequences, as detect-secrets filters them.
fn is_sequential(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 4 && b.windows(2).all(|w| w[1] == w[0].wrapping_add(1))
}

/// Is `value` (assigned to `key`, when known) a placeholder, reference or non-secret?
pub(crate) fn is_placeholder(value: &str, class: Class, key: Option<&str>) -> bool {
    let v = value.trim();
    // Labels and prompts: " Confirm: ", "Password:".
    if v.len() != value.len() || v.ends_with(':') {
        return true;
    }
    let n = v.chars().count();
    let min = match class {
        Class::Password => 6,
        Class::Secret => 8,
    };
    if n < min || n > 1000 {
        return true;
    }
    if v.contains(char::is_whitespace) && class == Class::Secret {
        return true;
    }
    // Sentences and labels ("Enter your password").
    if v.split_whitespace().count() > 1 {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    if STOPWORDS.iter().any(|w| lower.contains(w)) {
        return true;
    }
    if HASH_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return true;
    }
    // Words built around the name of what they stand for: somepassword, mysecretpassword, nopassword.
    // ... also with a few digits or separators: personal-access-token123, iamapassword1.
    if v.bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && v.bytes().filter(u8::is_ascii_digit).count() <= 4
        && [
            "password",
            "passwd",
            "passphrase",
            "secret",
            "token",
            "apikey",
            "api-key",
            "api_key",
        ]
        .iter()
        .any(|w| lower.contains(w))
    {
        return true;
    }
    // Attribute paths: settings.SECRET_KEY, request.POST, os.environ.
    if v.contains('.')
        && v.split('.').all(|seg| {
            let b = seg.as_bytes();
            let uppers = b.iter().filter(|c| c.is_ascii_uppercase()).count();
            let unders = b.iter().filter(|c| **c == b'_').count();
            !seg.is_empty()
                && b.iter().all(|c| c.is_ascii_alphabetic() || *c == b'_')
                && (uppers * 4 <= b.len() || uppers + unders == b.len())
        })
    {
        return true;
    }
    let first = v.as_bytes()[0];
    let last = v.as_bytes()[v.len() - 1];
    // References and templates: $VAR, %VAR%, @VAR@, __VAR__, {x}, [x], (x), func(...), x[...].
    if first == b'$'
        || (first == b'%' && last == b'%')
        || (first == b'@' && last == b'@')
        || v.starts_with("__") && v.ends_with("__")
        || first == b'{'
        || first == b'['
        || first == b'('
        || first == b'*'
        || first == b'&'
        || first == b'!'
        || first == b'|'
        || v.ends_with("()")
    {
        return true;
    }
    // Prose and code fragments: quotes inside the value.
    if v.contains(['"', '\'', '`']) {
        return true;
    }
    // Entry points and attribute paths: `package.module:function`.
    if v.contains(':')
        && v.contains('.')
        && v.split([':', '.']).all(|seg| {
            !seg.is_empty()
                && seg.as_bytes()[0].is_ascii_alphabetic()
                && seg.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        })
    {
        return true;
    }
    let paren = v.find('(').is_some_and(|i| v[i..].contains(')'));
    let bracket = v.find('[').is_some_and(|i| v[i..].contains(']'));
    if paren || bracket || v.contains('{') || v.contains('}') {
        return true;
    }
    // Paths, URLs, file names, e-mail addresses.
    if first == b'/'
        || v.starts_with("./")
        || v.starts_with("../")
        || v.starts_with("~/")
        || v.contains("://")
        || v.starts_with("file:")
        || v.starts_with("classpath:")
        || (v.len() > 2 && v.as_bytes()[1] == b':' && matches!(v.as_bytes()[2], b'\\' | b'/'))
    {
        return true;
    }
    const FILE_EXT: &[&str] = &[
        ".pem",
        ".key",
        ".crt",
        ".cer",
        ".p12",
        ".pfx",
        ".jks",
        ".json",
        ".yaml",
        ".yml",
        ".txt",
        ".env",
        ".asc",
        ".gpg",
        ".pub",
        ".der",
        ".keystore",
        ".conf",
        ".ini",
        ".xml",
        ".properties",
        ".sh",
        ".py",
        ".js",
        ".html",
        ".ts",
        ".toml",
        ".cfg",
        ".csv",
        ".log",
        ".secret",
        ".enc",
    ];
    if FILE_EXT.iter().any(|e| lower.ends_with(e)) {
        return true;
    }
    if let Some((a, b)) = v.split_once('@') {
        if !a.is_empty()
            && b.contains('.')
            && b.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-')
        {
            return true;
        }
    }
    // Numbers, versions, dates.
    if v.bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b':' | b'/' | b'+' | b'_'))
    {
        return true;
    }
    if all_same(v) || is_sequential(&lower) {
        return true;
    }
    // Identifiers and labels: user_password, my-app-secret, tokenType, PASSWORD_FIELD, module.path.
    if is_identifier_like(v) {
        return true;
    }
    // A single plain word ("hunter", "Register") is a label or a weak placeholder, not a leaked secret.
    if n < 10
        && v.bytes().all(|c| c.is_ascii_alphabetic())
        && v.bytes().skip(1).all(|c| c.is_ascii_lowercase())
    {
        return true;
    }
    let norm = normalize_word(v);
    if norm.is_empty() || WEAK_WORDS.contains(&norm.as_str()) {
        return true;
    }
    if let Some(k) = key {
        let nk = normalize_word(k);
        if !nk.is_empty() && (norm == nk || nk.ends_with(&norm) && norm.len() >= 4) {
            return true;
        }
    }
    let entropy = shannon_entropy(v.as_bytes());
    match class {
        Class::Password => entropy < 2.3,
        Class::Secret => {
            // Tokens and keys are random: require some entropy, and a digit or mixed case or length.
            let digits = v.bytes().any(|c| c.is_ascii_digit());
            let upper = v.bytes().any(|c| c.is_ascii_uppercase());
            let lower_c = v.bytes().any(|c| c.is_ascii_lowercase());
            entropy < 3.0 || !(digits || (upper && lower_c) || n >= 20)
        }
    }
}

fn is_identifier_like(v: &str) -> bool {
    let b = v.as_bytes();
    if b.iter().any(|c| c.is_ascii_digit()) {
        return false;
    }
    if !b
        .iter()
        .all(|c| c.is_ascii_alphabetic() || matches!(c, b'_' | b'-' | b'.'))
    {
        return false;
    }
    let has_sep = b.iter().any(|c| matches!(c, b'_' | b'-' | b'.'));
    let all_lower = b.iter().all(|c| !c.is_ascii_uppercase());
    let all_upper = b.iter().all(|c| !c.is_ascii_lowercase());
    // snake_case / kebab-case / dotted words, CONSTANT_CASE.
    if has_sep && (all_lower || all_upper) {
        return true;
    }
    if all_upper && b.len() <= 24 {
        return true;
    }
    // camelCase / PascalCase words without separators: each hump is a lowercase run of 2+ letters.
    if !has_sep && !all_lower {
        // Words joined in camel case ("IAmSensitive", "tokenType"); random mixed case ("xKqPzLmWv") has
        // far more capitals.
        let uppers = b.iter().filter(|c| c.is_ascii_uppercase()).count();
        if words(v).len() >= 2 && uppers * 4 <= b.len() {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minified_lines_are_left_to_provider_rules() {
        let short = "db_password = \"Zq8vK2mP9xW4tL7n\"\n";
        assert_eq!(detect("app.py", short, true, true).len(), 1);
        let long = format!(
            "var a=1;{}db_password=\"Zq8vK2mP9xW4tL7n\";\n",
            "x=1;".repeat(400)
        );
        assert!(detect("bundle.js", &long, true, true).is_empty());
    }

    fn hits(rel: &str, text: &str) -> Vec<(Detector, String)> {
        detect(rel, text, true, true)
            .into_iter()
            .filter(|h| !h.only_if_provider)
            .map(|h| (h.detector, text[h.start..h.end].to_string()))
            .collect()
    }

    #[test]
    fn names() {
        assert_eq!(classify("DB_PASSWORD"), Some(Class::Password));
        assert_eq!(classify("mysqlRootPassword"), Some(Class::Password));
        assert_eq!(classify("api_key"), Some(Class::Secret));
        assert_eq!(classify("X-Api-Key"), Some(Class::Secret));
        assert_eq!(classify("client_secret"), Some(Class::Secret));
        assert_eq!(classify("SECRET_TOKEN"), Some(Class::Secret));
        assert_eq!(classify("AWS_SECRET_ACCESS_KEY"), Some(Class::Secret));
        assert_eq!(classify("password_file"), None);
        assert_eq!(classify("token_url"), None);
        assert_eq!(classify("public_key"), None);
        assert_eq!(classify("key"), None);
        assert_eq!(classify("cache_key"), None);
        assert_eq!(classify("keyboard"), None);
        assert_eq!(classify("tokenizer"), None);
        assert_eq!(classify("passenger_count"), None);
    }

    #[test]
    fn values() {
        for v in [
            "changeme",
            "<your-token>",
            "${DB_PASSWORD}",
            "$DB_PASSWORD",
            "{{ .Values.x }}",
            "xxxxxxxxxx",
            "**********",
            "password",
            "Password123",
            "P@ssw0rd!",
            "secret",
            "user_password",
            "tokenType",
            "PASSWORD_FIELD",
            "your_api_key_here",
            "/etc/secret.key",
            "https://example.org",
            "12345678",
            "dummy-value",
            "test1234",
            "get_password()",
            "os.environ['X']",
            "django.contrib.auth",
            "abcdefgh",
        ] {
            assert!(is_placeholder(v, Class::Password, Some("password")), "{v}");
        }
        for v in [
            "Xk9#mP2$vL8q",
            "hunter22",
            "s3cr3tP4ss!",
            "Tr0ub4dor&3",
            "CPOPclpwzu.kgz",
            "Sup3rS3cr3tPw!",
        ] {
            assert!(!is_placeholder(v, Class::Password, Some("password")), "{v}");
        }
        assert!(!is_placeholder(
            "9f8a7b6c5d4e3f2a1b0c",
            Class::Secret,
            Some("api_key")
        ));
        assert!(is_placeholder(
            "notasecretatall",
            Class::Secret,
            Some("api_key")
        ));
    }

    #[test]
    fn env_and_shell_unquoted() {
        let t = "DB_PASSWORD=Xk9mP2vL8q\nexport API_TOKEN=9f8a7b6c5d4e3f2a1b0c\nPASSWORD=\nSECRET=${SECRET}\n";
        let h = hits(".env", t);
        assert_eq!(
            h,
            vec![
                (Detector::GenericPassword, "Xk9mP2vL8q".into()),
                (
                    Detector::GenericSecretAssignment,
                    "9f8a7b6c5d4e3f2a1b0c".into()
                )
            ]
        );
    }

    #[test]
    fn code_requires_literals() {
        let t = "password = get_password()\npassword: str\ntoken = os.environ['TOKEN']\npassword = None\napi_key = \"9f8a7b6c5d4e3f2a1b0c\"\ndef f(password: str = \"Xk9mP2vL8q\"): pass\n";
        let h = hits("app.py", t);
        assert_eq!(
            h,
            vec![
                (
                    Detector::GenericSecretAssignment,
                    "9f8a7b6c5d4e3f2a1b0c".into()
                ),
                (Detector::GenericPassword, "Xk9mP2vL8q".into())
            ]
        );
    }

    #[test]
    fn dockerfile_forms() {
        let t = "FROM python\nENV DB_PASSWORD Xk9mP2vL8q\nENV API_KEY=9f8a7b6c5d4e3f2a1b0c OTHER=1\nARG GH_TOKEN=a8f9e7d6c5b4a3f2e1d0\n";
        let h = hits("Dockerfile", t);
        assert_eq!(h.len(), 3, "{h:?}");
    }

    #[test]
    fn urls_curl_and_headers() {
        let t = "DATABASE_URL=postgres://app:Xk9mP2vL8q@db.internal:5432/app\ncurl -u admin:Zp4tQ8wR2x https://api\nAuthorization: Basic YWRtaW46WnA0dFE4d1IyeA==\nurl = 'postgres://user:${DB_PASSWORD}@db/app'\n";
        let h = hits("notes.txt", t);
        assert_eq!(h.len(), 3, "{h:?}");
    }

    #[test]
    fn kubernetes_data_is_decoded() {
        let t = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  username: YWRtaW4=\n  password: WGs5bVAydkw4cQ==\nstringData:\n  api-token: 9f8a7b6c5d4e3f2a1b0c\n";
        let h = hits("k8s/secret.yaml", t);
        assert!(
            h.contains(&(Detector::GenericPassword, "WGs5bVAydkw4cQ==".into())),
            "{h:?}"
        );
        assert!(h.iter().any(|(_, v)| v == "9f8a7b6c5d4e3f2a1b0c"), "{h:?}");
        assert!(!h.iter().any(|(_, v)| v == "YWRtaW4="), "{h:?}");
    }

    #[test]
    fn base64() {
        assert_eq!(base64_decode("YWRtaW4=").unwrap(), b"admin");
        assert_eq!(base64_decode("YWRtaW4").unwrap(), b"admin");
        assert!(base64_decode("not base64!").is_none());
    }
}
