//! Passwords on command lines, read from the argv structure of known commands: `mysql -pX`,
//! `openssl ... -passin pass:X`, `keytool -storepass X`, `redis-cli -a X`, `sqlcmd -P X`, `smbclient -U u%X`,
//! `xfreerdp /p:X`, `sqlplus user/X@db`, `rabbitmqctl add_user u X`, `htpasswd -b file u X`,
//! `echo X | docker login --password-stdin`, `ConvertTo-SecureString "X" -AsPlainText` ...

use super::*;
use std::sync::OnceLock;

/// How a command takes its password.
#[derive(Clone, Copy)]
enum Form {
    /// `-a X`: the next argument.
    Next,
    /// `-pX`: glued to the flag.
    Attached,
    /// `-passin pass:X`: the next argument, after `pass:`.
    OpensslPass,
    /// `/p:X`: glued after a colon.
    Colon,
    /// `-U user%X` / `-u user,X`: the next argument, after the separator.
    UserSep(u8),
}

struct Command {
    names: &'static [&'static str],
    flags: &'static [(&'static str, Form)],
    /// A subcommand and the position of the password among the positional arguments after it.
    positional: Option<(&'static str, usize)>,
}

const COMMANDS: &[Command] = &[
    Command {
        names: &[
            "mysql",
            "mysqldump",
            "mysqladmin",
            "mysqlimport",
            "mysqlshow",
            "mysqlcheck",
            "mariadb",
            "mariadb-dump",
        ],
        flags: &[("-p", Form::Attached)],
        positional: None,
    },
    Command {
        names: &["openssl"],
        flags: &[
            ("-passin", Form::OpensslPass),
            ("-passout", Form::OpensslPass),
            ("-pass", Form::OpensslPass),
            ("-password", Form::OpensslPass),
        ],
        positional: None,
    },
    Command {
        names: &["keytool", "jarsigner"],
        flags: &[
            ("-storepass", Form::Next),
            ("-keypass", Form::Next),
            ("-srcstorepass", Form::Next),
            ("-deststorepass", Form::Next),
            ("-srckeypass", Form::Next),
            ("-destkeypass", Form::Next),
            ("-new", Form::Next),
        ],
        positional: None,
    },
    Command {
        names: &[
            "docker", "podman", "buildah", "skopeo", "nerdctl", "helm", "oras", "crane", "cf",
            "oc", "az",
        ],
        flags: &[("-p", Form::Next), ("--password", Form::Next)],
        positional: None,
    },
    Command {
        names: &["redis-cli"],
        flags: &[("-a", Form::Next), ("--pass", Form::Next)],
        positional: None,
    },
    Command {
        names: &[
            "mongo",
            "mongosh",
            "mongodump",
            "mongorestore",
            "mongoexport",
            "mongoimport",
        ],
        flags: &[("-p", Form::Next), ("--password", Form::Next)],
        positional: None,
    },
    Command {
        names: &["sqlcmd", "bcp", "osql", "isql", "ipmitool"],
        flags: &[("-P", Form::Next)],
        positional: None,
    },
    Command {
        names: &["smbclient", "rpcclient", "smbget"],
        flags: &[("-U", Form::UserSep(b'%')), ("--user", Form::UserSep(b'%'))],
        positional: None,
    },
    Command {
        names: &["xfreerdp", "wlfreerdp", "sdl-freerdp"],
        flags: &[("/p:", Form::Colon)],
        positional: None,
    },
    Command {
        names: &["rdesktop", "ncftp", "ncftpput", "ncftpget", "sshpass"],
        flags: &[("-p", Form::Next)],
        positional: None,
    },
    Command {
        names: &["lftp"],
        flags: &[("-u", Form::UserSep(b','))],
        positional: None,
    },
    Command {
        names: &[
            "ldapsearch",
            "ldapadd",
            "ldapmodify",
            "ldapdelete",
            "ldappasswd",
            "ldapwhoami",
            "ldapcompare",
        ],
        flags: &[("-w", Form::Next)],
        positional: None,
    },
    Command {
        names: &["zip", "unzip"],
        flags: &[("-P", Form::Next), ("--password", Form::Next)],
        positional: None,
    },
    Command {
        names: &["7z", "7za", "7zr"],
        flags: &[("-p", Form::Attached)],
        positional: None,
    },
    Command {
        names: &["rabbitmqctl"],
        flags: &[],
        positional: Some(("add_user", 2)),
    },
    Command {
        names: &["rabbitmqctl"],
        flags: &[],
        positional: Some(("change_password", 2)),
    },
    Command {
        names: &["htpasswd"],
        flags: &[],
        positional: Some(("-b", 0)),
    },
    Command {
        names: &["redis-server"],
        flags: &[("--requirepass", Form::Next), ("--masterauth", Form::Next)],
        positional: None,
    },
];

/// The command words looked for (sorted, distinct): the patterns of [`command_finder`].
pub(super) fn command_words() -> &'static [&'static str] {
    static WORDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| {
        let mut names: Vec<&'static str> = COMMANDS
            .iter()
            .flat_map(|c| c.names.iter().copied())
            .collect();
        names.extend([
            "net use",
            "sqlplus",
            "convertto-securestring",
            "passwd",
            "chpasswd",
        ]);
        names.sort_unstable();
        names.dedup();
        names
    })
}

pub(super) fn command_finder() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .match_kind(MatchKind::LeftmostLongest)
            .build(command_words())
            .expect("static patterns")
    })
}

/// A match of a command word.
#[derive(Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
}

impl Span {
    fn start(&self) -> usize {
        self.start
    }
    fn end(&self) -> usize {
        self.end
    }
}

/// Shell-like words of a line: byte ranges, quotes kept; `|`, `;`, `&` end a command (`None`).
fn tokens(b: &[u8], ls: usize, le: usize) -> Vec<Option<(usize, usize)>> {
    let mut out = Vec::new();
    let mut i = ls;
    while i < le {
        let c = b[i];
        if c == b' ' || c == b'\t' {
            i += 1;
            continue;
        }
        if matches!(c, b'|' | b';' | b'&' | b'(' | b')' | b'`') {
            out.push(None);
            i += 1;
            continue;
        }
        let s = i;
        let mut q: Option<u8> = None;
        while i < le {
            let c = b[i];
            match q {
                Some(qc) if c == qc => q = None,
                Some(_) => {}
                None if c == b'"' || c == b'\'' => q = Some(c),
                None if matches!(c, b' ' | b'\t' | b'|' | b';' | b'&' | b')' | b'`') => break,
                None => {}
            }
            if c == b'\\' && q != Some(b'\'') {
                i += 1;
            }
            i += 1;
        }
        out.push(Some((s, i.min(le))));
    }
    out
}

/// The value inside an argument range, without surrounding quotes.
fn unquote(b: &[u8], s: usize, e: usize) -> (usize, usize) {
    if e >= s + 2 && matches!(b[s], b'"' | b'\'') && b[e - 1] == b[s] {
        (s + 1, e - 1)
    } else {
        (s, e)
    }
}

fn base_name(w: &[u8]) -> &[u8] {
    let w = w.rsplit(|c| *c == b'/' || *c == b'\\').next().unwrap_or(w);
    w.strip_suffix(b".exe").unwrap_or(w)
}

fn push(b: &[u8], s: usize, e: usize, what: &'static str, out: &mut Vec<GenericHit>) {
    let (s, e) = unquote(b, s, e);
    let Ok(v) = std::str::from_utf8(&b[s..e]) else {
        return;
    };
    if v.contains('$') || v == "*" || is_placeholder(v, Class::Password, None) {
        return;
    }
    out.push(GenericHit::new(
        Detector::GenericPassword,
        s,
        e,
        Some(what.into()),
        Some("command-password"),
    ));
}

/// `commands`: where the command words occur (leftmost-longest, ascending).
pub(super) fn argv_passwords(text: &str, commands: &[(usize, usize)], out: &mut Vec<GenericHit>) {
    let b = text.as_bytes();
    let mut last_line = usize::MAX;
    for m in commands.iter().map(|&(start, end)| Span { start, end }) {
        // A command word, not part of another word (`oc` in `doc`, `zip` in `gzip`).
        let before_ok = m.start() == 0
            || matches!(
                b[m.start() - 1],
                b' ' | b'\t'
                    | b'/'
                    | b'\\'
                    | b'"'
                    | b'\''
                    | b'|'
                    | b';'
                    | b'&'
                    | b'('
                    | b'`'
                    | b'\n'
                    | b'$'
                    | b'['
                    | b','
            );
        let after_ok = m.end() >= b.len()
            || matches!(
                b[m.end()],
                b' ' | b'\t' | b'"' | b'\'' | b'.' | b'\n' | b'\r'
            );
        if !before_ok || !after_ok {
            continue;
        }
        let (ls, le) = line_bounds(b, m.start());
        if ls == last_line {
            continue;
        }
        last_line = ls;
        let toks = tokens(b, ls, le);
        for (i, t) in toks.iter().enumerate() {
            let Some((s, e)) = *t else { continue };
            let (qs, qe) = unquote(b, s, e);
            let name = base_name(&b[qs..qe]).to_ascii_lowercase();
            let args: Vec<(usize, usize)> = toks[i + 1..].iter().map_while(|t| *t).collect();
            command_line(b, &name, &args, &toks[..i], out);
        }
    }
}

/// One command (`name` and its arguments).
fn command_line(
    b: &[u8],
    name: &[u8],
    args: &[(usize, usize)],
    before: &[Option<(usize, usize)>],
    out: &mut Vec<GenericHit>,
) {
    let arg = |k: usize| args.get(k).map(|&(s, e)| &b[s..e]);
    for cmd in COMMANDS
        .iter()
        .filter(|c| c.names.iter().any(|n| n.as_bytes() == name))
    {
        for (k, &(s, e)) in args.iter().enumerate() {
            let a = &b[s..e];
            for &(flag, form) in cmd.flags {
                let f = flag.as_bytes();
                match form {
                    Form::Next | Form::OpensslPass | Form::UserSep(_) if a == f => {
                        let Some(&(ns, ne)) = args.get(k + 1) else {
                            continue;
                        };
                        let (ns, ne) = unquote(b, ns, ne);
                        match form {
                            Form::OpensslPass => {
                                if b[ns..ne].starts_with(b"pass:") {
                                    push(b, ns + 5, ne, "command-line password", out);
                                }
                            }
                            Form::UserSep(sep) => {
                                if let Some(p) = b[ns..ne].iter().position(|c| *c == sep) {
                                    push(b, ns + p + 1, ne, "command-line password", out);
                                }
                            }
                            _ => push(b, ns, ne, "command-line password", out),
                        }
                    }
                    Form::Attached | Form::Colon if a.len() > f.len() && a.starts_with(f) => {
                        let v = &a[f.len()..];
                        if !v.starts_with(b"-") {
                            push(b, s + f.len(), e, "command-line password", out);
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Some((sub, n)) = cmd.positional {
            let Some(k) = args.iter().position(|&(s, e)| &b[s..e] == sub.as_bytes()) else {
                continue;
            };
            let positionals: Vec<&(usize, usize)> = args[k + 1..]
                .iter()
                .filter(|&&(s, _)| b[s] != b'-')
                .collect();
            // htpasswd -b [-c] file user password / htpasswd -nb user password: the last one.
            let pick = if n == 0 {
                positionals.last().copied()
            } else {
                positionals.get(n - 1).copied()
            };
            if let Some(&(s, e)) = pick {
                if n != 0 || positionals.len() >= 2 {
                    push(b, s, e, "command-line password", out);
                }
            }
        }
    }
    match name {
        b"sqlplus" => {
            // sqlplus user/password@db
            if let Some(&(s, e)) = args.iter().find(|&&(s, _)| b[s] != b'-' && b[s] != b'@') {
                let a = &b[s..e];
                if let Some(sl) = a.iter().position(|c| *c == b'/') {
                    let end = a.iter().position(|c| *c == b'@').unwrap_or(a.len());
                    if sl > 0
                        && end > sl + 1
                        && a[..sl]
                            .iter()
                            .all(|c| c.is_ascii_alphanumeric() || *c == b'_')
                    {
                        push(b, s + sl + 1, s + end, "sqlplus user/password", out);
                    }
                }
            }
        }
        b"net" if arg(0).is_some_and(|a| a.eq_ignore_ascii_case(b"use")) => {
            // net use Z: \\srv\share PASSWORD /user:DOMAIN\user (or after /user:).
            for &(s, e) in args.iter().skip(1) {
                let a = &b[s..e];
                if a.starts_with(b"\\\\") || a.starts_with(b"/") || a.ends_with(b":") || a == b"*" {
                    continue;
                }
                push(b, s, e, "net use password", out);
            }
        }
        b"convertto-securestring" => {
            if let Some(&(s, e)) = args.iter().find(|&&(s, _)| matches!(b[s], b'"' | b'\'')) {
                push(b, s, e, "ConvertTo-SecureString", out);
            }
        }
        b"docker" | b"podman" | b"helm" | b"passwd" | b"chpasswd" | b"nerdctl" | b"oras" => {
            // echo PASSWORD | docker login --password-stdin; echo PASSWORD | passwd --stdin user.
            let stdin = args.iter().any(|&(s, e)| {
                let a = &b[s..e];
                a == b"--password-stdin" || a == b"--stdin"
            }) || name == b"chpasswd";
            if !stdin {
                return;
            }
            // The command before the pipe: `echo X`.
            let prev: Vec<(usize, usize)> = before
                .iter()
                .rev()
                .skip_while(|t| t.is_none())
                .map_while(|t| *t)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if prev.len() >= 2 && &b[prev[0].0..prev[0].1] == b"echo" {
                let (s, e) = *prev.last().expect("len checked");
                let (s, e) = unquote(b, s, e);
                let s = if name == b"chpasswd" {
                    match b[s..e].iter().position(|c| *c == b':') {
                        Some(p) => s + p + 1,
                        None => return,
                    }
                } else {
                    s
                };
                push(b, s, e, "password on stdin", out);
            }
        }
        _ => {}
    }
}
