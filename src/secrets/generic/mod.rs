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

mod argv;
mod assign;
mod calls;
mod commands;
mod kubernetes;
mod names;
mod prose;
mod seen;
#[cfg(test)]
mod tests;
mod values;

use super::rules::Detector;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use argv::argv_passwords;
use assign::assignments;
use calls::call_arguments;
use commands::{auth_headers, command_passwords, curl_users, sql_inserts, url_passwords};
use kubernetes::kubernetes_secrets;
use prose::prose_passwords;
pub use seen::Seen;
pub(crate) use seen::{earliest_end, finder_words, leftmost_longest, Role, GATES};
use seen::{GATE_AUTH, GATE_CHARS, GATE_COMMAND, GATE_CURL, GATE_INSERT, GATE_SECRET, GATE_URL};
pub(crate) use values::is_placeholder;

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

/// A file whose name says it holds credentials: the generic detectors run on it without a keyword.
pub fn credential_file(rel: &str) -> bool {
    is_pgpass(rel)
}

fn is_pgpass(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name == ".pgpass" || name == "pgpass.conf" || name == "pgpass"
}

/// `.pgpass` lines `host:port:database:user:password`: the fifth field.
fn pgpass(text: &str, out: &mut Vec<GenericHit>) {
    let mut off = 0;
    for line in text.split_inclusive('\n') {
        let start = off;
        off += line.len();
        let l = line.trim_end_matches(['\n', '\r']);
        if l.trim_start().starts_with('#') {
            continue;
        }
        // Fields are separated by unescaped colons.
        let b = l.as_bytes();
        let mut colons = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'\\' {
                i += 2;
                continue;
            }
            if b[i] == b':' {
                colons.push(i);
            }
            i += 1;
        }
        if colons.len() != 4 {
            continue;
        }
        let v = &l[colons[3] + 1..];
        if v == "*" || is_placeholder(v, Class::Password, None) {
            continue;
        }
        out.push(GenericHit::new(
            Detector::GenericPassword,
            start + colons[3] + 1,
            start + l.len(),
            Some(".pgpass".into()),
            Some("pgpass"),
        ));
    }
}

fn is_netrc(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name == ".netrc" || name == "_netrc"
}

/// How far a line is looked at around a position (minified files have megabyte lines).
const LINE_WINDOW: usize = 4096;

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

/// Run the generic detectors over one file.
pub fn detect(rel: &str, text: &str, password: bool, assignment: bool) -> Vec<GenericHit> {
    detect_at(rel, text, password, assignment, None)
}

/// [`detect`], given what the caller's own keyword pass saw in the file ([`Seen`]); `None`: find it here.
pub fn detect_at(
    rel: &str,
    text: &str,
    password: bool,
    assignment: bool,
    seen: Option<&Seen>,
) -> Vec<GenericHit> {
    let own;
    let seen = match seen {
        Some(s) => s,
        None => {
            own = Seen::scan(text);
            &own
        }
    };
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mode = file_mode(rel);
    assignments(rel, bytes, mode, seen.names.iter().copied(), &mut out);
    if seen.any(GATE_URL) {
        url_passwords(text, &mut out);
    }
    if seen.any(GATE_AUTH) {
        auth_headers(text, &mut out);
    }
    if seen.any(GATE_CURL) {
        curl_users(text, &mut out);
    }
    if seen.any(GATE_COMMAND) {
        command_passwords(text, &mut out);
    }
    argv_passwords(text, &seen.commands, &mut out);
    if seen.any(GATE_INSERT) {
        sql_inserts(text, &mut out);
    }
    if mode == FileMode::Code || rel.ends_with(".ipynb") {
        call_arguments(text, &seen.calls, seen.any(GATE_CHARS), &mut out);
    }
    if mode == FileMode::Config {
        prose_passwords(text, &seen.labels, &seen.logins, &mut out);
    }
    if is_pgpass(rel) {
        pgpass(text, &mut out);
    }
    let kube_from = out.len();
    if is_yaml(rel) && seen.any(GATE_SECRET) {
        kubernetes_secrets(text, &mut out);
    }
    // A value a Kubernetes manifest holds encoded (or sealed) is judged by the manifest detector only.
    let kube: Vec<(usize, usize)> = out[kube_from..].iter().map(|h| (h.start, h.end)).collect();
    if !kube.is_empty() {
        let mut i = 0;
        out.retain(|h| {
            i += 1;
            i > kube_from || !kube.iter().any(|&(s, e)| h.start < e && s < h.end)
        });
    }
    // One hit per value and detector: several detectors may see the same `password: X`.
    out.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
    // Sorted by start: a hit overlaps an earlier kept one of its detector iff it starts before the
    // furthest end kept so far (linear, whatever the number of hits).
    let mut kept: Vec<GenericHit> = Vec::with_capacity(out.len());
    let mut max_end = [0usize; 2];
    for h in out {
        let d = usize::from(h.detector == Detector::GenericSecretAssignment);
        if h.start >= max_end[d] {
            max_end[d] = max_end[d].max(h.end);
            kept.push(h);
        }
    }
    let mut out = kept;
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

fn trim_ascii_end(b: &[u8]) -> &[u8] {
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map(|i| i + 1)
        .unwrap_or(0);
    &b[..e]
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

/// A built-in byte regex: no Unicode classes, the same size limits as rule regexes.
fn bytes_regex(pattern: &str) -> regex::bytes::Regex {
    regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(super::rules::REGEX_SIZE_LIMIT)
        .dfa_size_limit(super::rules::DFA_SIZE_LIMIT)
        .build()
        .expect("static regex")
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
