//! What the generic detectors need to know about a file before they look closer: where their words occur
//! (secret-sounding names, command words, call names, prose labels) and which literal gates are present
//! (`://`, `Authorization`, `curl` ...). The secrets job learns all of it from its one keyword pass over the
//! file ([`finder_words`] are added to that pass); [`Seen::scan`] finds the same on its own (a detector
//! called without the job, and the test that both agree).

use super::{argv, calls, names, prose};
use aho_corasick::AhoCorasick;
use std::ops::Range;

/// Literals (case-sensitive) whose presence lets a detector run at all.
pub(crate) const GATES: &[&str] = &[
    // url_passwords
    "://",
    // auth_headers
    "uthorization",
    "UTHORIZATION",
    // curl_users
    "curl",
    "CURL",
    "--user",
    "http -a",
    // command_passwords
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
    "PASSWORD(",
    "password(",
    "PASSWORD =",
    "@tcp(",
    "@unix(",
    "thin:",
    // sql_inserts
    "INSERT",
    "insert into",
    // kubernetes_secrets
    "Secret",
    // call_arguments: `"X".toCharArray()`
    "toCharArray",
];

pub(crate) const GATE_URL: Range<usize> = 0..1;
pub(crate) const GATE_AUTH: Range<usize> = 1..3;
pub(crate) const GATE_CURL: Range<usize> = 3..7;
pub(crate) const GATE_COMMAND: Range<usize> = 7..25;
pub(crate) const GATE_INSERT: Range<usize> = 25..27;
pub(crate) const GATE_SECRET: Range<usize> = 27..28;
pub(crate) const GATE_CHARS: Range<usize> = 28..29;

/// What a word of [`finder_words`] is to the detectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A secret-sounding name fragment ([`super::NAME_KEYWORDS`]).
    Name,
    /// A command word of the argv detector (its index among the command words).
    Command(usize),
    /// A function name of the call-argument detector.
    Call(usize),
    /// A prose label (`password`, `PW`, `密码` ...).
    Label(usize),
    /// A word before a user name (`login`, `user`, `benutzer` ...).
    Login(usize),
    /// A literal of [`GATES`]; the pass matches it case-insensitively, so a hit is checked exactly.
    Gate(usize),
}

/// Every word the detectors look for, with its role, in the order of each finder's own patterns.
pub(crate) fn finder_words() -> Vec<(&'static str, Role)> {
    let mut out: Vec<(&'static str, Role)> = Vec::new();
    out.extend(names::NAME_KEYWORDS.iter().map(|w| (*w, Role::Name)));
    out.extend(
        argv::command_words()
            .iter()
            .enumerate()
            .map(|(i, w)| (*w, Role::Command(i))),
    );
    out.extend(
        calls::call_names()
            .enumerate()
            .map(|(i, w)| (w, Role::Call(i))),
    );
    out.extend(
        prose::label_words()
            .enumerate()
            .map(|(i, w)| (w, Role::Label(i))),
    );
    out.extend(
        prose::login_words()
            .iter()
            .enumerate()
            .map(|(i, w)| (*w, Role::Login(i))),
    );
    out.extend(GATES.iter().enumerate().map(|(i, w)| (*w, Role::Gate(i))));
    out
}

/// Where the detectors' words occur in one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// Name fragments: byte ranges, ascending by start (overlapping ones allowed).
    pub names: Vec<(usize, usize)>,
    /// Command words, leftmost-longest: (start, end).
    pub commands: Vec<(usize, usize)>,
    /// Call names, leftmost-longest: (start, end).
    pub calls: Vec<(usize, usize)>,
    /// Prose labels, leftmost-longest: (start, end, label index).
    pub labels: Vec<(usize, usize, usize)>,
    /// Login words, earliest end first, not overlapping: (start, end).
    pub logins: Vec<(usize, usize)>,
    /// Per [`GATES`] literal: present.
    pub gates: Vec<bool>,
}

impl Seen {
    /// Find everything with the detectors' own automata (what the job's pass gives in one go).
    pub fn scan(text: &str) -> Seen {
        let b = text.as_bytes();
        Seen {
            names: names::name_finder()
                .find_iter(b)
                .map(|m| (m.start(), m.end()))
                .collect(),
            commands: spans(argv::command_finder(), b),
            calls: spans(calls::call_finder(), b),
            labels: prose::labels()
                .0
                .find_iter(b)
                .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
                .collect(),
            logins: spans(prose::login_finder(), b),
            gates: GATES.iter().map(|g| text.contains(g)).collect(),
        }
    }

    /// Is any literal of `gates` (a range of [`GATES`]) present?
    pub fn any(&self, gates: Range<usize>) -> bool {
        self.gates.get(gates).is_some_and(|g| g.iter().any(|x| *x))
    }
}

fn spans(ac: &AhoCorasick, b: &[u8]) -> Vec<(usize, usize)> {
    ac.find_iter(b).map(|m| (m.start(), m.end())).collect()
}

/// The matches a standard (earliest-end, non-overlapping) automaton reports among all (overlapping)
/// matches `(start, end)`, for patterns none of which is a suffix of another.
pub(crate) fn earliest_end(mut all: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    all.sort_unstable_by_key(|&(s, e)| (e, s));
    let mut out = Vec::with_capacity(all.len());
    let mut at = 0;
    for m in all {
        if m.0 >= at {
            at = m.1;
            out.push(m);
        }
    }
    out
}

/// The leftmost-longest matches among all (overlapping) matches `(start, end, pattern)`: what a
/// leftmost-longest automaton over the same patterns reports (ties go to the lower pattern index).
pub(crate) fn leftmost_longest(mut all: Vec<(usize, usize, usize)>) -> Vec<(usize, usize, usize)> {
    all.sort_unstable_by_key(|&(s, e, p)| (s, std::cmp::Reverse(e), p));
    let mut out = Vec::with_capacity(all.len());
    let mut at = 0;
    for m in all {
        if m.0 >= at {
            at = m.1;
            out.push(m);
        }
    }
    out
}
