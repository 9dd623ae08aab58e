//! pip requirements files (`requirements*.txt`, `constraints*.txt`, `*.in`): the pip file syntax (comments,
//! `\` continuations, `-r`/`-c` includes, per-requirement options such as `--hash`, global options), with the
//! requirements themselves parsed by `pep508_rs`.
//!
//! Like osv-scanner (and unlike `pip-audit`, which evaluates markers against the interpreter it runs in),
//! environment markers are kept and not evaluated: the CI machine is not the production machine, and a
//! dependency pinned for Python 3.8 only is still installed somewhere.

use super::{error_note, exact, pep503, skipped, unpinned, FileOut};
use crate::finding::{NoteLevel, Notification};
use crate::sca::model::{Dependency, Ecosystem, Resolved};
use pep508_rs::pep440_rs::{Operator, Version, VersionSpecifiers};
use pep508_rs::{Requirement, VersionOrUrl};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

/// How one requirements file refers to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum IncludeKind {
    Requirement,
    Constraint,
}

#[derive(Debug, Default)]
pub(crate) struct ReqFile {
    pub deps: Vec<Dependency>,
    pub notes: Vec<Notification>,
    /// (kind, path as written, line)
    pub includes: Vec<(IncludeKind, String, u32)>,
}

/// Options that take a value and do not matter to us.
const VALUE_OPTIONS: &[&str] = &[
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--no-binary",
    "--only-binary",
    "--trusted-host",
    "--use-feature",
    "--hash",
    "--global-option",
    "--install-option",
    "--config-settings",
    "-C",
    "--progress-bar",
];
/// Flags that do not matter to us.
const FLAG_OPTIONS: &[&str] = &["--pre", "--no-index", "--prefer-binary", "--require-hashes"];

/// pip's `join_lines` + `ignore_comments`: logical lines with the 1-based number and the 1-based column of
/// their first physical line.
fn logical_lines(text: &str) -> Vec<(u32, u32, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(u32, String)> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let n = i as u32 + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let is_comment = line.trim_start().starts_with('#');
        if !line.ends_with('\\') || is_comment {
            match pending.take() {
                Some((start, mut acc)) => {
                    if !is_comment {
                        acc.push_str(line);
                    }
                    out.push((start, acc));
                }
                None => out.push((n, line.to_string())),
            }
        } else {
            let part = &line[..line.len() - 1];
            match &mut pending {
                Some((_, acc)) => acc.push_str(part),
                None => pending = Some((n, part.to_string())),
            }
        }
    }
    if let Some((start, acc)) = pending {
        out.push((start, acc));
    }
    out.into_iter()
        .filter_map(|(n, l)| {
            let l = strip_comment(&l);
            let col = l.chars().take_while(|c| c.is_whitespace()).count() as u32 + 1;
            let t = l.trim();
            (!t.is_empty()).then(|| (n, col, t.to_string()))
        })
        .collect()
}

/// pip's `COMMENT_RE = (^|\s+)#.*$`.
fn strip_comment(l: &str) -> &str {
    let b = l.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'#' && (i == 0 || b[i - 1].is_ascii_whitespace()) {
            return &l[..i];
        }
    }
    l
}

/// Hide `user:password@` in URLs.
pub(crate) fn redact_url(s: &str) -> String {
    if let Some(p) = s.find("://") {
        let rest = &s[p + 3..];
        let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if let Some(at) = rest[..host_end].rfind('@') {
            return format!("{}://****@{}", &s[..p], &rest[at + 1..]);
        }
    }
    s.to_string()
}

fn clip(s: &str) -> String {
    let s = redact_url(s);
    if s.chars().count() > 120 {
        let mut c: String = s.chars().take(119).collect();
        c.push('…');
        c
    } else {
        s
    }
}

fn starts_with_scheme(s: &str) -> bool {
    let Some(p) = s.find(':') else { return false };
    let scheme = &s[..p];
    !scheme.is_empty()
        && scheme.len() > 1 // `C:\...` is a Windows path
        && scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

const ARCHIVE_EXTS: &[&str] = &[
    ".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".tar",
];

fn looks_like_path(s: &str) -> bool {
    s.starts_with('.')
        || s.starts_with('/')
        || s.starts_with('~')
        || s.starts_with('\\')
        || (s.len() > 2 && s.as_bytes()[1] == b':' && matches!(s.as_bytes()[2], b'\\' | b'/'))
        || (!s.contains('@') && (s.contains('/') || s.contains('\\')))
        || ARCHIVE_EXTS
            .iter()
            .any(|e| s.to_ascii_lowercase().ends_with(e))
}

/// Best guess at the project name of a URL or path requirement: `#egg=`, a wheel or sdist file name, a
/// repository or folder name.
fn name_from_location(s: &str) -> String {
    if let Some(p) = s.find("egg=") {
        let egg = &s[p + 4..];
        let end = egg.find(['&', '[', ' ']).unwrap_or(egg.len());
        if end > 0 {
            return egg[..end].to_string();
        }
    }
    let base = s.split(['#', '?']).next().unwrap_or(s);
    // `path[extra1,extra2]`
    let base = match base.rfind('[') {
        Some(i) if base.ends_with(']') => &base[..i],
        _ => base,
    };
    let base = base.trim_end_matches(['/', '\\']);
    let last = base.rsplit(['/', '\\']).next().unwrap_or(base);
    // `repo.git@v1.0`: the VCS revision
    let last = if s.contains("://") || s.contains('+') {
        last.split('@').next().unwrap_or(last)
    } else {
        last
    };
    let lower = last.to_ascii_lowercase();
    if lower.ends_with(".whl") {
        return last.split('-').next().unwrap_or(last).to_string();
    }
    for ext in ARCHIVE_EXTS {
        if lower.ends_with(ext) {
            let stem = &last[..last.len() - ext.len()];
            // `name-1.2.3`: cut at the first `-` followed by a digit
            let b = stem.as_bytes();
            for i in 0..b.len().saturating_sub(1) {
                if b[i] == b'-' && b[i + 1].is_ascii_digit() {
                    return stem[..i].to_string();
                }
            }
            return stem.to_string();
        }
    }
    let name = last.trim_end_matches(".git");
    if name.chars().any(|c| c.is_ascii_alphanumeric()) {
        name.to_string()
    } else {
        // `-e .`: no name to be had from the text
        s.to_string()
    }
}

fn location_reason(s: &str, editable: bool) -> String {
    let lower = s.to_ascii_lowercase();
    let what = if ["git+", "hg+", "svn+", "bzr+", "git:"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        "VCS requirement"
    } else if lower.starts_with("file:") || !starts_with_scheme(s) {
        "local path"
    } else {
        "direct URL"
    };
    if editable {
        format!("editable install (-e) of a {what}: {}", clip(s))
    } else {
        format!("{what}, not a registry package: {}", clip(s))
    }
}

/// `name @ url` or `name[extra] @ url` (PEP 508 direct reference).
fn is_named_url(s: &str) -> bool {
    let name = written_name(s);
    if name.is_empty() {
        return false;
    }
    let rest = s[name.len()..].trim_start();
    let rest = match rest.strip_prefix('[') {
        Some(r) => match r.find(']') {
            Some(i) => r[i + 1..].trim_start(),
            None => return false,
        },
        None => rest,
    };
    rest.starts_with('@')
}

/// The leading project name as written (`Django` in `Django[argon2]>=4`).
fn written_name(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(s.len());
    &s[..end]
}

/// Resolve one parsed requirement. Returns None (and the error) when pep508 refuses it.
fn classify(text: &str) -> Result<(String, String, Resolved), String> {
    // pep508_rs 0.9 panics on some invalid names (`name-`): check the name first, and never let one
    // line take the file down
    let name = written_name(text.trim_start());
    if name.is_empty() {
        return Err("expected a project name".to_string());
    }
    if name.ends_with(['-', '_', '.']) {
        return Err(format!(
            "invalid project name `{name}`: it must end with a letter or digit"
        ));
    }
    let after = text.trim_start()[name.len()..].trim_start();
    if let Some(extras) = after.strip_prefix('[') {
        let extras = extras.split(']').next().unwrap_or(extras);
        for e in extras.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let ok = e
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                && e.starts_with(|c: char| c.is_ascii_alphanumeric())
                && e.ends_with(|c: char| c.is_ascii_alphanumeric());
            if !ok {
                return Err(format!("invalid extra name `{}`", clip(e)));
            }
        }
    }
    // PEP 508 is ASCII; pep508_rs slices its input by bytes and panics inside a multi-byte character
    // (found by fuzzing), so such a line is refused before it gets there. The catch_unwind stays as a
    // second line of defence.
    if let Some(c) = text.chars().find(|c| !c.is_ascii()) {
        return Err(format!(
            "not a valid requirement: non-ASCII character `{c}` (PEP 508 requirements are ASCII)"
        ));
    }
    let parsed = std::panic::catch_unwind(|| Requirement::<pep508_rs::VerbatimUrl>::from_str(text))
        .map_err(|_| "not a valid requirement".to_string())?;
    match parsed {
        Ok(req) => {
            let norm = req.name.to_string();
            let shown = written_name(text);
            let shown = if shown.is_empty() {
                norm.clone()
            } else {
                shown.to_string()
            };
            let resolved = match &req.version_or_url {
                None => unpinned("*"),
                Some(VersionOrUrl::Url(u)) => {
                    let given = u
                        .given()
                        .map(str::to_string)
                        .unwrap_or_else(|| u.to_string());
                    skipped(location_reason(&given, false))
                }
                Some(VersionOrUrl::VersionSpecifier(specs)) => resolve_specifiers(specs),
            };
            Ok((norm, shown, resolved))
        }
        Err(e) => {
            // `===` takes any string, which pep440_rs only accepts when it is a valid version
            if let Some(p) = text.find("===") {
                let name = text[..p].trim();
                let ver = text[p + 3..].split(';').next().unwrap_or("").trim();
                let bare = written_name(name);
                if !bare.is_empty() && !ver.is_empty() && !ver.contains(char::is_whitespace) {
                    return Ok((pep503(bare), bare.to_string(), exact(ver)));
                }
            }
            Err(e.message.to_string())
        }
    }
}

fn resolve_specifiers(specs: &VersionSpecifiers) -> Resolved {
    // a single `==` (or `===`) among the specifiers pins the version; `==1.2.*` does not
    for s in specs.iter() {
        if matches!(s.operator(), Operator::Equal | Operator::ExactEqual) {
            return exact(s.version().to_string());
        }
    }
    let spec = specs.to_string();
    unpinned(if spec.is_empty() {
        "*".to_string()
    } else {
        spec
    })
}

/// One requirement (PEP 508, or a pip URL / path line): (normalised name, name as written, resolution).
pub(crate) fn requirement(a: &str) -> Result<(String, String, Resolved), String> {
    let a = a.trim();
    if !is_named_url(a) && (starts_with_scheme(a) || looks_like_path(a)) {
        let name = name_from_location(a);
        return Ok((
            pep503(&name),
            name.clone(),
            skipped(location_reason(a, false)),
        ));
    }
    match classify(a) {
        Ok(x) => Ok(x),
        Err(e) => {
            if let Some((name, loc)) = a.split_once('@') {
                let bare = written_name(name.trim());
                if !bare.is_empty() && (name.trim().len() == bare.len() || name.contains('[')) {
                    return Ok((
                        pep503(bare),
                        bare.to_string(),
                        skipped(location_reason(loc.trim(), false)),
                    ));
                }
            }
            Err(e.lines().next().unwrap_or("").to_string())
        }
    }
}

/// Split `args` (the requirement) from `options` the way pip's `break_args_options` does.
fn break_args_options(line: &str) -> (String, Vec<String>) {
    let mut args = Vec::new();
    let mut opts = Vec::new();
    let mut in_opts = false;
    for tok in line.split_whitespace() {
        if !in_opts && tok.starts_with('-') {
            in_opts = true;
        }
        if in_opts {
            opts.push(tok.to_string());
        } else {
            args.push(tok);
        }
    }
    (args.join(" "), opts)
}

/// Parse one requirements file (no includes followed).
pub(crate) fn parse_file(rel: &str, text: &str) -> ReqFile {
    let mut out = ReqFile::default();
    let mk = |name: &str, shown: &str, resolved: Resolved, line: u32, col: u32| Dependency {
        ecosystem: Ecosystem::PyPI,
        // a location with no project name to be had (`-e .`) is kept as written
        name: if name.chars().any(|c| c.is_ascii_alphanumeric())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            pep503(name)
        } else {
            name.to_string()
        },
        display_name: shown.to_string(),
        resolved,
        manifest: rel.to_string(),
        line,
        column: col,
        dev: false,
        transitive: false,
    };
    for (line, col, l) in logical_lines(text) {
        let (args, opts) = break_args_options(&l);
        // options
        let mut i = 0;
        while i < opts.len() {
            let o = opts[i].as_str();
            let (flag, inline) = match o.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
                _ => (o, None),
            };
            let short_val = |p: &str| {
                o.strip_prefix(p)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            };
            let take = |i: &mut usize| -> Option<String> {
                if let Some(v) = &inline {
                    return Some(v.clone());
                }
                *i += 1;
                opts.get(*i).cloned()
            };
            let kind = match flag {
                "-r" | "--requirement" => Some(IncludeKind::Requirement),
                "-c" | "--constraint" => Some(IncludeKind::Constraint),
                _ => None,
            };
            if let Some(kind) = kind {
                match take(&mut i) {
                    Some(p) => out.includes.push((kind, p, line)),
                    None => out.notes.push(error_note(
                        NoteLevel::Warning,
                        rel,
                        line,
                        format!("`{flag}` without a file name"),
                    )),
                }
            } else if let Some(p) = short_val("-r") {
                out.includes.push((IncludeKind::Requirement, p, line));
            } else if let Some(p) = short_val("-c") {
                out.includes.push((IncludeKind::Constraint, p, line));
            } else if flag == "-e" || flag == "--editable" || short_val("-e").is_some() {
                let target = short_val("-e").or_else(|| take(&mut i));
                match target {
                    Some(t) => {
                        let name = name_from_location(&t);
                        out.deps.push(mk(
                            &name,
                            &name,
                            skipped(location_reason(&t, true)),
                            line,
                            col,
                        ));
                    }
                    None => out.notes.push(error_note(
                        NoteLevel::Warning,
                        rel,
                        line,
                        "`-e` without a target",
                    )),
                }
            } else if VALUE_OPTIONS.contains(&flag) {
                take(&mut i);
            } else if FLAG_OPTIONS.contains(&flag)
                || short_val("-i").is_some()
                || short_val("-f").is_some()
            {
            } else {
                out.notes.push(error_note(
                    NoteLevel::Warning,
                    rel,
                    line,
                    format!("unknown pip option `{}` ignored", clip(flag)),
                ));
            }
            i += 1;
        }
        if args.is_empty() {
            continue;
        }
        // the requirement
        let a = args.trim();
        match requirement(a) {
            Ok((norm, shown, resolved)) => out.deps.push(mk(&norm, &shown, resolved, line, col)),
            Err(e) => out.notes.push(
                error_note(
                    NoteLevel::Warning,
                    rel,
                    line,
                    format!("invalid requirement `{}`: {e}", clip(a)),
                )
                .with_column(Some(col)),
            ),
        }
    }
    mark_pip_compile_via(text, &mut out.deps);
    out
}

/// `pip-compile` output says why each pin is there: `# via -r requirements.in` (declared) or `# via flask`
/// (pulled in). Mark the latter transitive.
fn mark_pip_compile_via(text: &str, deps: &mut [Dependency]) {
    if !text.contains("# via") {
        return;
    }
    let lines: Vec<&str> = text.lines().collect();
    for d in deps.iter_mut() {
        let i = d.line as usize - 1;
        let mut via = String::new();
        // the inline form: `click==8.1.7  # via flask`
        if let Some(p) = lines.get(i).and_then(|l| l.find("# via")) {
            via.push_str(&lines[i][p + 5..]);
        }
        // the block form, under the requirement (after its continuation lines)
        let mut j = i + 1;
        while j < lines.len() && lines[j - 1].trim_end().ends_with('\\') {
            j += 1;
        }
        let mut in_via = false;
        while let Some(l) = lines.get(j) {
            let t = l.trim_start();
            let Some(c) = t.strip_prefix('#') else { break };
            let c = c.trim();
            match c.strip_prefix("via") {
                Some(rest) => {
                    in_via = true;
                    via.push_str(rest);
                }
                None if in_via => {
                    via.push(',');
                    via.push_str(c);
                }
                None => break,
            }
            j += 1;
        }
        let items: Vec<&str> = via
            .split([',', '\n'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .collect();
        if !items.is_empty()
            && !items
                .iter()
                .any(|x| x.starts_with("-r") || x.starts_with("-c"))
        {
            d.transitive = true;
        }
    }
}

/// One file on its own (for tests and single-file use): includes are not followed.
pub(crate) fn parse_single(rel: &str, text: &str) -> FileOut {
    let f = parse_file(rel, text);
    FileOut {
        deps: f.deps,
        notes: f.notes,
        ..FileOut::default()
    }
}

/// Lexically join a relative include path to the including file's folder; None if it leaves the root.
fn resolve_include(including: &str, target: &str) -> Option<String> {
    let t = target.replace('\\', "/");
    if t.starts_with('/') || starts_with_scheme(&t) {
        return None;
    }
    let mut parts: Vec<&str> = including.split('/').collect();
    parts.pop();
    for c in t.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

pub(crate) struct Tree {
    /// rel path -> its dependencies (pins from constraint files applied)
    pub files: BTreeMap<String, Vec<Dependency>>,
    pub notes: Vec<Notification>,
    /// Files reached only as constraints (`-c`), never as requirements.
    pub constraint_only: BTreeSet<String>,
    /// (constraints file, name, version) of the pins that resolved a requirement's range: the
    /// requirement's line reports them.
    pub used_pins: BTreeSet<(String, String, String)>,
}

/// Parse the given requirements files and every file they include, apply constraint pins.
pub(crate) fn parse_tree(root: &Path, top: &[(String, String)]) -> Tree {
    let given: BTreeMap<&str, &str> = top.iter().map(|(r, t)| (r.as_str(), t.as_str())).collect();
    let mut parsed: BTreeMap<String, ReqFile> = BTreeMap::new();
    let mut notes = Vec::new();
    for (rel, _) in top {
        let mut stack = Vec::new();
        visit(root, rel, &given, &mut parsed, &mut stack, &mut notes);
    }

    // constraint pins: for each top-level file, the files it reaches by -r, and the pins of the files
    // reached by -c from any of them
    let mut pinned: BTreeMap<(String, usize), String> = BTreeMap::new();
    let mut used_pins: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut all_reqs = BTreeSet::new();
    let mut all_cons = BTreeSet::new();
    for (rel, _) in top {
        let mut reqs = BTreeSet::new();
        let mut cons = BTreeSet::new();
        closure(rel, &parsed, false, &mut reqs, &mut cons);
        // pip-tools: `requirements.in` is compiled into `requirements.txt`, which pins its ranges
        if let Some(stem) = rel.strip_suffix(".in") {
            let txt = format!("{stem}.txt");
            if parsed.contains_key(&txt) {
                closure(&txt, &parsed, true, &mut reqs, &mut cons);
            }
        }
        all_cons.extend(cons.iter().cloned());
        // a constraints file scanned on its own is not a requirement of anything
        if !cons.is_empty()
            || !rel
                .to_ascii_lowercase()
                .rsplit('/')
                .next()
                .unwrap_or("")
                .starts_with("constraints")
        {
            all_reqs.extend(reqs.iter().cloned());
        }
        let mut pins: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for c in &cons {
            if let Some(f) = parsed.get(c) {
                for d in &f.deps {
                    if let Resolved::Exact { version } = &d.resolved {
                        pins.entry(d.name.clone())
                            .or_default()
                            .push((version.clone(), c.clone()));
                    }
                }
            }
        }
        for r in &reqs {
            let Some(f) = parsed.get(r) else { continue };
            for (i, d) in f.deps.iter().enumerate() {
                let Resolved::Unpinned { spec } = &d.resolved else {
                    continue;
                };
                let Some(vs) = pins.get(&d.name) else {
                    continue;
                };
                let specs = if spec == "*" {
                    Ok(VersionSpecifiers::empty())
                } else {
                    VersionSpecifiers::from_str(spec)
                };
                let Ok(specs) = specs else { continue };
                if let Some((v, c)) = vs
                    .iter()
                    .find(|(v, _)| Version::from_str(v).is_ok_and(|v| specs.contains(&v)))
                {
                    pinned.entry((r.clone(), i)).or_insert_with(|| v.clone());
                    used_pins.insert((c.clone(), d.name.clone(), v.clone()));
                }
            }
        }
    }
    let mut files = BTreeMap::new();
    for (rel, mut f) in parsed {
        for (i, d) in f.deps.iter_mut().enumerate() {
            if let Some(v) = pinned.get(&(rel.clone(), i)) {
                d.resolved = exact(v.clone());
            }
        }
        notes.append(&mut f.notes);
        files.insert(rel, f.deps);
    }
    let constraint_only = all_cons.difference(&all_reqs).cloned().collect();
    Tree {
        files,
        notes,
        constraint_only,
        used_pins,
    }
}

fn closure(
    rel: &str,
    parsed: &BTreeMap<String, ReqFile>,
    as_constraint: bool,
    reqs: &mut BTreeSet<String>,
    cons: &mut BTreeSet<String>,
) {
    let set = if as_constraint {
        &mut *cons
    } else {
        &mut *reqs
    };
    if !set.insert(rel.to_string()) {
        return;
    }
    let Some(f) = parsed.get(rel) else { return };
    for (kind, target, _) in &f.includes {
        if let Some(t) = resolve_include(rel, target) {
            let c = as_constraint || *kind == IncludeKind::Constraint;
            closure(&t, parsed, c, reqs, cons);
        }
    }
}

fn visit(
    root: &Path,
    rel: &str,
    given: &BTreeMap<&str, &str>,
    parsed: &mut BTreeMap<String, ReqFile>,
    stack: &mut Vec<String>,
    notes: &mut Vec<Notification>,
) {
    if parsed.contains_key(rel) {
        return;
    }
    let f = match given.get(rel) {
        Some(t) => parse_file(rel, t),
        None => match super::read_text(&root.join(rel)) {
            Ok(t) => parse_file(rel, &t),
            Err(_) => return, // the caller checked existence
        },
    };
    let includes = f.includes.clone();
    parsed.insert(rel.to_string(), f);
    stack.push(rel.to_string());
    for (kind, target, line) in includes {
        let flag = if kind == IncludeKind::Requirement {
            "-r"
        } else {
            "-c"
        };
        let Some(t) = resolve_include(rel, &target) else {
            notes.push(error_note(
                NoteLevel::Warning,
                rel,
                line,
                format!(
                    "`{flag} {}` not followed: only files inside the scanned folder are read",
                    clip(&target)
                ),
            ));
            continue;
        };
        if let Some(pos) = stack.iter().position(|s| *s == t) {
            let mut chain: Vec<&str> = stack[pos..].iter().map(String::as_str).collect();
            chain.push(&t);
            notes.push(
                Notification::new(
                    NoteLevel::Warning,
                    "manifest-include-cycle",
                    format!(
                        "{rel}:{line}: `{flag} {target}` makes an include cycle: {}",
                        chain.join(" -> ")
                    ),
                )
                .at(rel.to_string(), Some(line)),
            );
            continue;
        }
        if parsed.contains_key(&t) {
            continue;
        }
        if !given.contains_key(t.as_str()) && !root.join(&t).is_file() {
            notes.push(error_note(
                NoteLevel::Error,
                rel,
                line,
                format!("`{flag} {target}`: included file `{t}` not found"),
            ));
            continue;
        }
        visit(root, &t, given, parsed, stack, notes);
    }
    stack.pop();
}

#[cfg(test)]
#[path = "requirements_tests.rs"]
mod tests;
