//! Credentials in prose (READMEs, wikis, notes, tickets; configuration-type files only): a password label
//! in one of many languages (`Password:`, `PW:`, `Passwort`, `mot de passe`, `contraseña`, `пароль`, `密码`
//! ...) followed by a password-shaped word; `user / password` pairs on a line that talks about a login;
//! and the password column of Markdown tables.

use super::*;
use std::sync::OnceLock;

/// Password labels. ASCII ones match case-insensitively as whole words; the others are listed with their
/// capitalised forms and match anywhere (CJK has no word boundaries).
const ASCII_LABELS: &[&str] = &[
    "password",
    "passwort",
    "passwd",
    "passphrase",
    "passcode",
    "pass",
    "pwd",
    "pw",
    "mot de passe",
    "contrasena",
    "contrasenya",
    "senha",
    "haslo",
    "wachtwoord",
    "sifre",
    "losenord",
    "salasana",
    "adgangskode",
    "passord",
    "heslo",
    "parola",
    "kata sandi",
];
const OTHER_LABELS: &[&str] = &[
    "contraseña",
    "Contraseña",
    "CONTRASEÑA",
    "пароль",
    "Пароль",
    "ПАРОЛЬ",
    "密码",
    "密碼",
    "口令",
    "パスワード",
    "비밀번호",
    "hasło",
    "Hasło",
    "şifre",
    "Şifre",
    "lösenord",
    "Lösenord",
    "jelszó",
    "Jelszó",
    "mật khẩu",
    "Mật khẩu",
    "κωδικός",
    "Κωδικός",
];

/// The labels looked for: the patterns of [`labels`].
pub(super) fn label_words() -> impl Iterator<Item = &'static str> {
    ASCII_LABELS.iter().chain(OTHER_LABELS).copied()
}

pub(super) fn labels() -> &'static (AhoCorasick, usize) {
    static AC: OnceLock<(AhoCorasick, usize)> = OnceLock::new();
    AC.get_or_init(|| {
        let all: Vec<&str> = label_words().collect();
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .match_kind(MatchKind::LeftmostLongest)
            .build(all)
            .expect("static patterns");
        (ac, ASCII_LABELS.len())
    })
}

/// Words that may stand between a label and its value: `password is X`, `password was changed to X`.
const FILLERS: &[&str] = &[
    "is",
    "was",
    "set",
    "to",
    "changed",
    "reset",
    "now",
    "will",
    "be",
    "are",
    "for",
    "the",
    "new",
    "initial",
    "default",
    "temporary",
    "ist",
    "est",
    "es",
    "lautet",
    "に",
    "は",
];

/// Does `v` look like a password someone chose or generated (not a word, a label or a placeholder)?
/// At least three of lower case, upper case, digits and symbols, 6 to 64 printable ASCII characters.
pub(super) fn password_shaped(v: &str) -> bool {
    let n = v.len();
    if !(6..=64).contains(&n) || !v.bytes().all(|c| c.is_ascii_graphic()) {
        return false;
    }
    let lower = v.bytes().any(|c| c.is_ascii_lowercase());
    let upper = v.bytes().any(|c| c.is_ascii_uppercase());
    let digit = v.bytes().any(|c| c.is_ascii_digit());
    let symbol = v.bytes().any(|c| !c.is_ascii_alphanumeric());
    let classes = [lower, upper, digit, symbol].iter().filter(|b| **b).count();
    classes >= 3 && !is_placeholder(v, Class::Password, None) && !looks_like_markup(v)
}

/// A random token (hex, base64 ...) in a password column: long and high-entropy.
fn token_shaped(v: &str) -> bool {
    v.len() >= 12
        && v.len() <= 128
        && v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-_+/=.".contains(&c))
        && v.bytes().any(|c| c.is_ascii_digit())
        && v.bytes().any(|c| c.is_ascii_alphabetic())
        && !is_placeholder(v, Class::Secret, None)
}

/// Times, versions, code and markup that have three character classes but are no password.
fn looks_like_markup(v: &str) -> bool {
    v.contains("://")
        || v.contains("](")
        // Calls and types: `varchar(255`, `f(x)`.
        || v.find('(').is_some_and(|i| i > 0 && v.as_bytes()[i - 1].is_ascii_alphanumeric())
        || v.starts_with(['#', '~'])
        // Keyword arguments and settings (`strict=True`), dotted paths (`django.contrib.auth.views`).
        || v.as_bytes().windows(3).any(|w| w[0].is_ascii_alphabetic() && w[1].is_ascii_alphabetic() && w[2] == b'=')
        || v.split('.').filter(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')).count() >= 3
        || v.contains("=\"")
        || v.contains("::")
        || v.bytes().all(|c| {
            c.is_ascii_digit() || matches!(c, b':' | b'.' | b'-' | b'/' | b'h' | b'm' | b's')
        })
}

/// Strip Markdown and quote wrappers and trailing punctuation from a word.
fn unwrap_word(w: &str) -> &str {
    let w = w.trim_start_matches(['`', '"', '\'', '*', '(', '[', '«', '“', '「']);
    let mut w = w.trim_end_matches(['`', '"', '\'', '*', ')', ']', '»', '”', '」', ',', ';']);
    // A sentence's full stop, but not a password ending in punctuation after a symbol-rich body.
    if let Some(s) = w.strip_suffix('.') {
        w = s;
    }
    w
}

/// `found`: where the labels occur (leftmost-longest, ascending): (start, end, label index).
/// `logins`: where the login words occur (see [`pairs`]).
pub(super) fn prose_passwords(
    text: &str,
    found: &[(usize, usize, usize)],
    logins: &[(usize, usize)],
    out: &mut Vec<GenericHit>,
) {
    let bytes = text.as_bytes();
    let n_ascii = ASCII_LABELS.len();
    for &(s, e, label) in found {
        if label < n_ascii {
            let before_ok = s == 0
                || !(bytes[s - 1].is_ascii_alphanumeric() || b"_-.$".contains(&bytes[s - 1]));
            let after_ok =
                e >= bytes.len() || !(bytes[e].is_ascii_alphanumeric() || bytes[e] == b'_');
            if !before_ok || !after_ok {
                continue;
            }
        }
        let (_, le) = line_bounds(bytes, s);
        if le <= e {
            continue;
        }
        let Ok(rest) = std::str::from_utf8(&bytes[e..le]) else {
            continue;
        };
        // `pass` is also a verb (`pass ``strict=True`` to ...`): it needs a `:` or `=` after it.
        let verb = bytes[s..e].eq_ignore_ascii_case(b"pass");
        if let Some((vs, ve)) = value_after_label(rest, verb) {
            out.push(GenericHit::new(
                Detector::GenericPassword,
                e + vs,
                e + ve,
                Some("prose".into()),
                Some("prose-password"),
            ));
        }
    }
    pairs(text, logins, out);
    tables(text, out);
}

/// The byte range (in `rest`) of the password after a label, if one is there.
fn value_after_label(rest: &str, needs_separator: bool) -> Option<(usize, usize)> {
    // The label ends at a blank or a separator: not `password@host`, `password/reset`.
    if !rest.starts_with([
        ' ', '\t', ':', '：', '=', '*', '`', '"', '\'', '-', '|', ')', ',',
    ]) {
        return None;
    }
    let mut saw_sep = false;
    let mut fillers = 0;
    let mut pos = 0;
    for word in rest.split_inclusive([' ', '\t']) {
        let start = pos;
        pos += word.len();
        let w = word.trim();
        if w.is_empty() {
            continue;
        }
        // Separators and markup between label and value.
        let core = w.trim_matches(['*', '_', '`']);
        if core.is_empty()
            || matches!(
                core,
                ":" | "：" | "=" | "-" | "–" | "—" | "->" | "=>" | "|" | "/"
            )
        {
            saw_sep = true;
            continue;
        }
        let lead = core.trim_start_matches([':', '：', '=', '*', '`']);
        if lead.len() != core.len() && !lead.is_empty() && core.starts_with([':', '：', '=']) {
            // `password:VALUE`
            saw_sep = true;
        }
        let lw = lead.to_lowercase();
        if FILLERS.contains(&lw.trim_end_matches(':')) && fillers < 3 {
            fillers += 1;
            if lw.ends_with(':') {
                saw_sep = true;
            }
            continue;
        }
        let v = unwrap_word(lead);
        if needs_separator && !saw_sep {
            return None;
        }
        if !saw_sep && fillers == 0 && !w.starts_with(['`', '"', '\'']) {
            // `password reset`, `password hashing`: the next word is no value, unless it looks like a
            // generated password (`user mrossi, password Ross1!Mario`).
            let strong = v.bytes().any(|c| c.is_ascii_digit())
                && v.bytes().any(|c| !c.is_ascii_alphanumeric());
            if !strong {
                return None;
            }
        }
        if !password_shaped(v) {
            return None;
        }
        let off = start + word.find(v)?;
        return Some((off, off + v.len()));
    }
    None
}

/// The `user / password` pattern. Unicode-aware (`\w`, `\s`, `\b`, case folding), which makes it costly
/// to compile (~30 ms: `[\w.@\\-]{2,64}` repeats the Unicode word class 64 times); on a line of ASCII text
/// the same pattern without Unicode mode finds exactly the same matches (on ASCII every class, boundary
/// and case fold agrees) and compiles ~4x faster, so the Unicode one is built only for a line with other
/// characters that [`pair_superset`] does not rule out.
const PAIR: &str = r#"(?i)\b(?P<lab>log\s?in|user(?:name)?|account|credentials?|creds|benutzer|usuario|utilisateur|identifiant|gebruiker|kullanici|utente|логин|아이디|用户名|ユーザー)\b[^\n]{0,80}?[\s:`'"(](?P<u>[\w.@\\-]{2,64})`?(?P<sep>\s+/\s+|:)`?(?P<p>[^\s`/]{6,64})"#;

fn pair_regex() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(PAIR).expect("static regex"))
}

/// [`PAIR`] for ASCII lines.
fn pair_regex_ascii() -> &'static regex::bytes::Regex {
    static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    RE.get_or_init(|| bytes_regex(PAIR))
}

/// A byte pattern that matches wherever [`PAIR`] matches, also on text that is not ASCII: the last two
/// characters of the user name (a Unicode word character is bytes from 0x80 up), the optional backtick,
/// the separator (Unicode whitespace outside ASCII is bytes from 0x80 up), the optional backtick and the
/// first six characters of the password (at least six bytes, none ASCII whitespace, `` ` `` or `/`).
fn pair_superset() -> &'static regex::bytes::Regex {
    static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        bytes_regex(
            r#"(?:[0-9A-Za-z_.@\\-]|[\x80-\xff]){2}`?(?:[\t\n\x0B\x0C\r \x80-\xff]+/[\t\n\x0B\x0C\r \x80-\xff]+|:)`?[^\t\n\x0B\x0C\r `/]{6}"#,
        )
    })
}

/// The matches of [`PAIR`] in `line`: (start of `p`, `p`, `sep`, `lab`).
fn pair_matches(line: &str) -> Vec<(usize, &str, Option<&str>, Option<&str>)> {
    if line.is_ascii() {
        let text = |m: regex::bytes::Match<'_>| &line[m.range()];
        return pair_regex_ascii()
            .captures_iter(line.as_bytes())
            .filter_map(|caps| {
                let p = caps.name("p")?;
                Some((
                    p.start(),
                    text(p),
                    caps.name("sep").map(text),
                    caps.name("lab").map(text),
                ))
            })
            .collect();
    }
    if !pair_superset().is_match(line.as_bytes()) {
        return Vec::new();
    }
    unicode_pair_matches(line)
}

/// The matches of the Unicode [`PAIR`] in `line` (what [`pair_matches`] gives on any line).
fn unicode_pair_matches(line: &str) -> Vec<(usize, &str, Option<&str>, Option<&str>)> {
    pair_regex()
        .captures_iter(line)
        .filter_map(|caps| {
            let p = caps.name("p")?;
            Some((
                p.start(),
                p.as_str(),
                caps.name("sep").map(|m| m.as_str()),
                caps.name("lab").map(|m| m.as_str()),
            ))
        })
        .collect()
}

/// Words that announce a user name (and maybe a password after it): the patterns of [`login_finder`].
pub(super) fn login_words() -> &'static [&'static str] {
    &[
        "login",
        "log in",
        "user",
        "account",
        "cred",
        "benutzer",
        "usuario",
        "utilisateur",
        "identifiant",
        "gebruiker",
        "kullanici",
        "utente",
        "логин",
        "아이디",
        "用户名",
        "ユーザー",
    ]
}

/// A standard (earliest-end) finder of [`login_words`]; no word is a suffix of another, so which word
/// ends first is never a tie.
pub(super) fn login_finder() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(login_words())
            .expect("static patterns")
    })
}

/// `login admin / Passw0rd`, `credentials: root:S3cret!x`: a user and a password after a login word.
/// `logins`: where the login words occur, as [`login_finder`] reports them.
fn pairs(text: &str, logins: &[(usize, usize)], out: &mut Vec<GenericHit>) {
    let b = text.as_bytes();
    let mut last = usize::MAX;
    for &(ms, me) in logins {
        let (ls, le) = line_bounds(b, ms);
        if ls == last {
            continue;
        }
        last = ls;
        let line = &b[ls..le];
        // A pair needs ` / ` or a `user:password` after the word.
        if !(line.windows(3).any(|w| w == b" / ") || line[me - ls..].contains(&b':')) {
            continue;
        }
        let Ok(line) = std::str::from_utf8(line) else {
            continue;
        };
        pairs_in_line(line, ls, out);
    }
}

fn pairs_in_line(text: &str, base: usize, out: &mut Vec<GenericHit>) {
    for (p_start, p, sep, lab) in pair_matches(text) {
        // `user:password` only after a word that announces credentials (not `id: project:uuid`).
        let colon = sep == Some(":");
        let lab = lab.map_or(String::new(), str::to_lowercase);
        if colon && !(lab.starts_with("cred") || lab.starts_with("log")) {
            continue;
        }
        let v = unwrap_word(p);
        if v.len() < 6 || !password_shaped(v) || v.contains('@') && v.contains('.') {
            continue;
        }
        let start = base + p_start + p.find(v).unwrap_or(0);
        out.push(GenericHit::new(
            Detector::GenericPassword,
            start,
            start + v.len(),
            Some("user / password".into()),
            Some("prose-password"),
        ));
    }
}

/// Markdown tables whose header names a password (or secret/token) column.
fn tables(text: &str, out: &mut Vec<GenericHit>) {
    if !text.contains('|') {
        return;
    }
    let mut column: Option<usize> = None;
    let mut off = 0usize;
    let mut prev_header: Option<Option<usize>> = None;
    for line in text.split_inclusive('\n') {
        let lstart = off;
        off += line.len();
        let t = line.trim();
        if !t.starts_with('|') {
            column = None;
            prev_header = None;
            continue;
        }
        let cells: Vec<&str> = t.trim_matches('|').split('|').collect();
        if cells.iter().all(|c| {
            let c = c.trim();
            !c.is_empty() && c.bytes().all(|b| matches!(b, b'-' | b':' | b' '))
        }) {
            // The separator row: the row above was the header.
            column = prev_header.flatten();
            continue;
        }
        if let Some(col) = column {
            let Some(cell) = cells.get(col) else { continue };
            let v = unwrap_word(cell.trim());
            if v.contains(char::is_whitespace) || !(password_shaped(v) || token_shaped(v)) {
                continue;
            }
            let Some(i) = line.find(v) else { continue };
            // The cell of that column, not an equal value earlier on the line.
            let at =
                nth_cell_start(line, col).map_or(i, |c| line[c..].find(v).map_or(i, |j| c + j));
            out.push(GenericHit::new(
                Detector::GenericPassword,
                lstart + at,
                lstart + at + v.len(),
                Some("table".into()),
                Some("prose-password"),
            ));
            continue;
        }
        prev_header = Some(cells.iter().position(|c| {
            let c = c.trim().trim_matches(['*', '`']).to_lowercase();
            ASCII_LABELS.contains(&c.as_str())
                || OTHER_LABELS.iter().any(|l| l.to_lowercase() == c)
                || matches!(
                    c.as_str(),
                    "secret" | "token" | "api key" | "passwort" | "kennwort"
                )
        }));
    }
}

/// Byte offset in `line` of the start of cell `col` (0-based, after the leading `|`).
fn nth_cell_start(line: &str, col: usize) -> Option<usize> {
    let first = line.find('|')?;
    let mut seen = 0;
    for (i, c) in line.char_indices().skip_while(|(i, _)| *i <= first) {
        if c == '|' {
            seen += 1;
            if seen == col {
                return Some(i + 1);
            }
        }
    }
    (col == 0).then_some(first + 1)
}

#[cfg(test)]
mod pair_tests {
    use super::*;

    /// Lines of every fixture and corpus file, and lines built around each login word with separators,
    /// whitespace and case mixes (ASCII and not).
    fn lines() -> Vec<String> {
        let mut out = Vec::new();
        for (_, b) in crate::secrets::fixture_files() {
            if let Ok(t) = String::from_utf8(b) {
                out.extend(t.lines().map(str::to_string));
            }
        }
        let labels = [
            "login",
            "LOG IN",
            "Log\tin",
            "user",
            "USERNAME",
            "account",
            "Credentials",
            "creds",
            "Benutzer",
            "usuario",
            "utilisateur",
            "identifiant",
            "gebruiker",
            "kullanici",
            "utente",
            "логин",
            "ЛОГИН",
            "아이디",
            "用户名",
            "ユーザー",
            "uſer",
            "\u{212A}ullanici",
            "accounts",
        ];
        let tails = [
            " admin / Passw0rd!",
            ": root:S3cret!x",
            " `bob`:`hunter22`",
            " (jo@x.io / s3cr3t-pw)",
            " is\u{a0}admin\u{a0}/\u{a0}Passw0rd!",
            " пользователь / пароль123",
            " ä_b:ÿñöü123",
            " a:b",
            " admin /Passw0rd",
            " x\x0b/\x0cabcdefg",
            " name:\tabcdefgh",
            " u:v/wxyzabc",
        ];
        for l in labels {
            for t in tails {
                for pre in ["", "the ", "é ", "x_"] {
                    out.push(format!("{pre}{l}{t}"));
                }
            }
        }
        out
    }

    #[test]
    fn the_ascii_pair_regex_matches_what_the_unicode_one_matches_on_ascii_lines() {
        let (mut ascii, mut found) = (0, 0);
        for line in lines() {
            let want = unicode_pair_matches(&line);
            if line.is_ascii() {
                ascii += 1;
                found += want.len();
            } else if !want.is_empty() {
                // Wherever the Unicode pattern matches, the superset does.
                assert!(pair_superset().is_match(line.as_bytes()), "{line:?}");
            }
            assert_eq!(pair_matches(&line), want, "{line:?}");
        }
        assert!(ascii > 500 && found > 50, "{ascii} {found}");
    }
}
