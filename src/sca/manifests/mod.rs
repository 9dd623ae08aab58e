//! Dependency manifests and lockfiles: find them, parse them, and turn them into [`Dependency`] records
//! located at the line that declares each one.
//!
//! Every format has its own module; this one decides which files are manifests, reads them, and does the
//! cross-file work: `package.json` ranges pinned by a lockfile of the project, `requirements` includes and
//! constraints, and de-duplication of one package@version per project directory.

use crate::finding::{NoteLevel, Notification};
use crate::model::SourceFile;
use crate::sca::model::{Dependency, Ecosystem, Resolved};
use crate::text::LineIndex;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

mod cargo;
pub(crate) mod json;
mod npm;
mod pnpm;
mod pylock;
mod pyproject;
mod requirements;
mod yarn;

/// What [`parse_all`] found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ParseOutput {
    /// Sorted by manifest, line, column, name.
    pub dependencies: Vec<Dependency>,
    /// Sorted; one per broken file or line (`manifest-error`), include cycle (`manifest-include-cycle`)...
    pub notifications: Vec<Notification>,
    /// Relative paths of the manifests that were parsed (including files reached by `-r`/`-c`), sorted.
    pub manifests: Vec<String>,
}

/// The kinds of manifest this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Requirements,
    PackageJson,
    Pyproject,
    Pipfile,
    PackageLock,
    CargoLock,
    PoetryLock,
    PipfileLock,
    UvLock,
    YarnLock,
    PnpmLock,
}

impl Kind {
    /// Lockfiles are reported after manifests when the same package@version is declared by both.
    fn is_lockfile(self) -> bool {
        !matches!(
            self,
            Kind::Requirements | Kind::PackageJson | Kind::Pyproject | Kind::Pipfile
        )
    }
}

pub(crate) fn manifest_kind(rel_path: &str) -> Option<Kind> {
    let rel = rel_path.trim_start_matches("./");
    let mut parts = rel.split('/').rev();
    let name = parts.next()?;
    let parent = parts.next();
    // installed third-party code, not the project's manifests
    if rel.split('/').any(|c| {
        matches!(
            c,
            "node_modules" | "site-packages" | "dist-packages" | "bower_components"
        )
    }) {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    let kind = match name {
        "package.json" => Kind::PackageJson,
        "pyproject.toml" => Kind::Pyproject,
        "Pipfile" => Kind::Pipfile,
        "package-lock.json" | "npm-shrinkwrap.json" => Kind::PackageLock,
        "Cargo.lock" => Kind::CargoLock,
        "poetry.lock" => Kind::PoetryLock,
        "Pipfile.lock" => Kind::PipfileLock,
        "uv.lock" => Kind::UvLock,
        "yarn.lock" => Kind::YarnLock,
        "pnpm-lock.yaml" => Kind::PnpmLock,
        _ => {
            let req = (lower.starts_with("requirements") || lower.starts_with("constraints"))
                && (lower.ends_with(".txt") || lower.ends_with(".in"))
                || lower.ends_with(".requirements.txt")
                || lower.ends_with("-requirements.txt")
                || lower.ends_with("_requirements.txt")
                || (parent.is_some_and(|p| p.eq_ignore_ascii_case("requirements"))
                    && (lower.ends_with(".txt") || lower.ends_with(".in")));
            if req {
                Kind::Requirements
            } else {
                return None;
            }
        }
    };
    Some(kind)
}

/// Whether the file is a dependency manifest or lockfile this module reads (by file name; anything under
/// `node_modules/` is never one).
pub fn is_manifest(rel_path: &str) -> bool {
    manifest_kind(rel_path).is_some()
}

// ---------------------------------------------------------------------------------------------------------
// shared helpers for the format modules

/// PEP 503 normalisation: lowercase, runs of `-`, `_`, `.` become one `-`.
pub(crate) fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

pub(crate) fn normalise_name(eco: Ecosystem, name: &str) -> String {
    match eco {
        Ecosystem::PyPI => pep503(name),
        Ecosystem::Npm | Ecosystem::CratesIo => name.trim().to_string(),
    }
}

pub(crate) fn error_note(
    level: NoteLevel,
    rel: &str,
    line: u32,
    what: impl AsRef<str>,
) -> Notification {
    Notification::new(
        level,
        "manifest-error",
        format!("{rel}:{line}: {}", what.as_ref()),
    )
    .at(rel.to_string(), Some(line))
}

/// What a format module returns for one file.
#[derive(Debug, Default)]
pub(crate) struct FileOut {
    pub deps: Vec<Dependency>,
    pub notes: Vec<Notification>,
    /// For lockfiles: how the project's direct dependencies were resolved (see [`LockPins`]).
    pub pins: LockPins,
    /// For package.json: (key as declared, spec as written), one per entry of `deps`.
    pub declared: Vec<(String, String)>,
    /// The file says which dependencies are dev-only (package-lock, pnpm v5/v6, poetry, Pipfile.lock).
    pub dev_known: bool,
    /// For package.json: the `workspaces` globs.
    pub workspaces: Vec<String>,
    /// The lockfile itself says which packages are direct (npm v2+, pnpm, Cargo.lock, uv.lock); for the
    /// others, entries not declared by the project's manifest are transitive.
    pub direct_known: bool,
}

/// A lockfile's answer to "which version did `name` (declared as `spec`) get?", per importer (workspace
/// folder relative to the lockfile, "" for the lockfile's own folder).
#[derive(Debug, Default, Clone)]
pub(crate) struct LockPins {
    /// (importer, name as declared in package.json) -> (real name, version)
    pub by_name: BTreeMap<(String, String), (String, String)>,
    /// `name@spec` as yarn writes its keys -> (real name, version)
    pub by_spec: BTreeMap<String, (String, String)>,
    /// Declared dependencies the lockfile resolves to a local package (workspace, link): key as in
    /// `by_name` -> reason.
    pub local_by_name: BTreeMap<(String, String), String>,
    /// The same keyed like `by_spec`.
    pub local_by_spec: BTreeMap<String, String>,
    /// The workspace folders (relative to the lockfile's folder) the lockfile covers, when it says
    /// (npm v2+, pnpm, yarn berry, uv); None when it does not (npm v1, yarn v1, poetry).
    pub importers: Option<BTreeSet<String>>,
}

impl LockPins {
    fn resolve(&self, importer: &str, name: &str, spec: &str) -> Option<&(String, String)> {
        self.by_spec
            .get(&format!("{name}@{spec}"))
            .or_else(|| self.by_spec.get(&format!("{name}@npm:{spec}")))
            .or_else(|| self.by_name.get(&(importer.to_string(), name.to_string())))
            // npm hoists a workspace's dependencies to the root `node_modules/`
            .or_else(|| self.by_name.get(&(String::new(), name.to_string())))
    }

    fn local(&self, importer: &str, name: &str, spec: &str) -> Option<&String> {
        self.local_by_spec
            .get(&format!("{name}@{spec}"))
            .or_else(|| {
                self.local_by_name
                    .get(&(importer.to_string(), name.to_string()))
            })
            .or_else(|| self.local_by_name.get(&(String::new(), name.to_string())))
    }
}

/// Builds dependencies of one file with positions from byte offsets.
pub(crate) struct Builder<'a> {
    pub rel: &'a str,
    pub idx: LineIndex<'a>,
    pub eco: Ecosystem,
}

impl<'a> Builder<'a> {
    pub fn new(rel: &'a str, text: &'a str, eco: Ecosystem) -> Self {
        Builder {
            rel,
            idx: LineIndex::new(text),
            eco,
        }
    }

    pub fn dep(
        &self,
        name: &str,
        resolved: Resolved,
        off: usize,
        dev: bool,
        transitive: bool,
    ) -> Dependency {
        let (line, column) = self.idx.position(off);
        Dependency {
            ecosystem: self.eco,
            name: normalise_name(self.eco, name),
            display_name: name.trim().to_string(),
            resolved,
            manifest: self.rel.to_string(),
            line,
            column,
            dev,
            transitive,
        }
    }

    /// The notification for a document the shared reader refused (syntax or limit), at its position.
    pub fn doc_error(&self, format: &str, e: &crate::doc::Error) -> Notification {
        error_note(
            NoteLevel::Error,
            self.rel,
            e.line,
            format!("invalid {format}: {}", e.message),
        )
        .with_column(Some(e.col))
    }

    pub fn error_at(&self, off: usize, what: impl AsRef<str>) -> Notification {
        let (line, col) = self.idx.position(off);
        error_note(NoteLevel::Error, self.rel, line, what).with_column(Some(col))
    }

    /// The file as a JSON object, or the error notification (`invalid JSON`, `<what> is not a JSON object`).
    pub fn json_object(&self, text: &str, what: &str) -> Result<json::JNode, Notification> {
        let root =
            json::parse(text).map_err(|e| self.error_at(e.off, format!("invalid JSON: {e}")))?;
        if root.as_obj().is_none() {
            return Err(self.error_at(root.off, format!("{what} is not a JSON object")));
        }
        Ok(root)
    }
}

pub(crate) fn exact(v: impl Into<String>) -> Resolved {
    Resolved::Exact { version: v.into() }
}
pub(crate) fn unpinned(s: impl Into<String>) -> Resolved {
    Resolved::Unpinned { spec: s.into() }
}
pub(crate) fn skipped(s: impl Into<String>) -> Resolved {
    Resolved::Skipped { reason: s.into() }
}

fn dir_of(rel: &str) -> &str {
    match rel.rfind('/') {
        Some(i) => &rel[..i],
        None => "",
    }
}

/// `dir` relative to its ancestor `base` ("" when equal).
fn rel_under(dir: &str, base: &str) -> String {
    if base.is_empty() {
        return dir.to_string();
    }
    dir.strip_prefix(base)
        .map(|s| s.trim_start_matches('/').to_string())
        .unwrap_or_default()
}

fn join_rel(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Read a file's text; invalid UTF-8 is replaced, a BOM dropped.
pub(crate) fn read_text(path: &Path) -> std::io::Result<String> {
    Ok(decode(std::fs::read(path)?))
}

/// Bytes to text: UTF-8 (lossy), or UTF-16 with a byte-order mark (what `pip freeze > requirements.txt`
/// writes in Windows PowerShell); a leading BOM is dropped.
pub(crate) fn decode(bytes: Vec<u8>) -> String {
    let utf16 = |b: &[u8], le: bool| -> String {
        let units: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    let s = match bytes.as_slice() {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        _ => match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        },
    };
    match s.strip_prefix('\u{feff}') {
        Some(t) => t.to_string(),
        None => s,
    }
}

/// Parse one file's text (no cross-file work); used by [`parse_all`] and by tests.
pub(crate) fn parse_text(kind: Kind, rel: &str, text: &str) -> FileOut {
    let out = std::panic::catch_unwind(|| parse_unguarded(kind, rel, text));
    out.unwrap_or_else(|_| FileOut {
        notes: vec![error_note(
            NoteLevel::Error,
            rel,
            1,
            "internal error while parsing this manifest (please report it); the file was skipped",
        )],
        ..FileOut::default()
    })
}

/// For the fuzz targets (fuzz/): parse `text` as the manifest `rel` names, without the panic guard so
/// that a panic surfaces; (dependencies, notifications), None when `rel` is not a manifest name.
#[doc(hidden)]
pub fn fuzz_parse(rel: &str, text: &str) -> Option<(usize, usize)> {
    let out = parse_unguarded(manifest_kind(rel)?, rel, text);
    Some((out.deps.len(), out.notes.len()))
}

fn parse_unguarded(kind: Kind, rel: &str, text: &str) -> FileOut {
    match kind {
        Kind::Requirements => requirements::parse_single(rel, text),
        Kind::PackageJson => npm::parse_package_json(rel, text),
        Kind::Pyproject => pyproject::parse(rel, text),
        Kind::Pipfile => pyproject::parse_pipfile_manifest(rel, text),
        Kind::PackageLock => npm::parse_package_lock(rel, text),
        Kind::CargoLock => cargo::parse(rel, text),
        Kind::PoetryLock => pylock::parse_poetry(rel, text),
        Kind::PipfileLock => pylock::parse_pipfile(rel, text),
        Kind::UvLock => pylock::parse_uv(rel, text),
        Kind::YarnLock => yarn::parse(rel, text),
        Kind::PnpmLock => pnpm::parse(rel, text),
    }
}

// ---------------------------------------------------------------------------------------------------------

/// One dependency with what the cross-file step needs to know about it.
struct Entry {
    dep: Dependency,
    /// The folder whose project this dependency belongs to (the lockfile's folder when a lockfile pinned it).
    project: String,
    /// A lockfile or a constraints file: it pins what others declare, so a declaration of the same
    /// package@version is reported instead.
    pin_source: bool,
    /// Whether the file knows dev from non-dev (yarn.lock, for one, does not).
    dev_known: bool,
}

/// Parse every manifest among `files` (and the files they include), resolve ranges against sibling
/// lockfiles, and return the dependencies sorted and de-duplicated.
pub fn parse_all(root: &Path, files: &[SourceFile]) -> ParseOutput {
    let mut out = ParseOutput::default();
    let mut by_kind: BTreeMap<String, (Kind, String)> = BTreeMap::new();
    let mut req_files: Vec<(String, String)> = Vec::new();
    let mut sorted: Vec<&SourceFile> = files.iter().filter(|f| is_manifest(&f.rel)).collect();
    sorted.sort_by(|a, b| a.rel.cmp(&b.rel));
    for f in sorted {
        let Some(kind) = manifest_kind(&f.rel) else {
            continue;
        };
        let text = match std::fs::read(&f.abs) {
            Ok(b) => decode(b),
            Err(e) => {
                out.notifications.push(
                    Notification::new(
                        NoteLevel::Warning,
                        "unreadable",
                        format!("{}: cannot read file: {e}", f.rel),
                    )
                    .at(f.rel.clone(), None),
                );
                continue;
            }
        };
        if kind == Kind::Requirements {
            req_files.push((f.rel.clone(), text));
        } else {
            by_kind.insert(f.rel.clone(), (kind, text));
        }
    }

    let mut entries: Vec<Entry> = Vec::new();
    let mut manifests: BTreeSet<String> = BTreeSet::new();

    // Python requirements: includes, constraints.
    let req = std::panic::catch_unwind(|| requirements::parse_tree(root, &req_files)).unwrap_or_else(|_| {
        requirements::Tree {
            files: BTreeMap::new(),
            notes: req_files
                .iter()
                .map(|(rel, _)| {
                    error_note(
                        NoteLevel::Error,
                        rel,
                        1,
                        "internal error while parsing requirements files (please report it); they were skipped",
                    )
                })
                .collect(),
            constraint_only: BTreeSet::new(),
            used_pins: BTreeSet::new(),
        }
    });
    out.notifications.extend(req.notes);
    for (rel, deps) in req.files {
        manifests.insert(rel.clone());
        let pin_source = req.constraint_only.contains(&rel);
        for mut d in deps {
            if pin_source {
                if let Resolved::Exact { version } = &d.resolved {
                    // reported at the requirement it pinned (which may be in another folder)
                    if req
                        .used_pins
                        .contains(&(rel.clone(), d.name.clone(), version.clone()))
                    {
                        continue;
                    }
                }
            }
            // a constraints file pins what something else pulls in
            d.transitive |= pin_source;
            entries.push(Entry {
                project: dir_of(&rel).to_string(),
                dep: d,
                pin_source,
                dev_known: false,
            });
        }
    }

    // Everything else, one file at a time.
    use rayon::prelude::*;
    let mut parsed: BTreeMap<String, (Kind, FileOut)> = by_kind
        .par_iter()
        .map(|(rel, (kind, text))| (rel.clone(), (*kind, parse_text(*kind, rel, text))))
        .collect::<Vec<_>>()
        .into_iter()
        .collect();
    manifests.extend(parsed.keys().cloned());

    // package.json ranges pinned by the nearest lockfile of the project (same folder or an ancestor that
    // is a workspace root).
    const NPM_LOCKS: &[&str] = &[
        "npm-shrinkwrap.json",
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
    ];
    const PY_LOCKS: &[&str] = &["poetry.lock", "uv.lock"];
    const PIPENV_LOCKS: &[&str] = &["Pipfile.lock"];
    let pins: BTreeMap<String, LockPins> = parsed
        .iter_mut()
        .map(|(r, (_, fo))| (r.clone(), std::mem::take(&mut fo.pins)))
        .collect();
    // `workspaces` globs of each folder's package.json, for lockfiles that do not list their workspaces
    let mut workspace_globs: BTreeMap<String, globset::GlobSet> = BTreeMap::new();
    for (rel, (kind, fo)) in &parsed {
        if *kind != Kind::PackageJson || fo.workspaces.is_empty() {
            continue;
        }
        let mut b = globset::GlobSetBuilder::new();
        for w in &fo.workspaces {
            let w = w.trim_start_matches("./").trim_end_matches('/');
            if let Ok(g) = globset::GlobBuilder::new(w).literal_separator(true).build() {
                b.add(g);
            }
        }
        if let Ok(set) = b.build() {
            workspace_globs.insert(dir_of(rel).to_string(), set);
        }
    }
    let declaring: Vec<(String, Kind)> = parsed
        .iter()
        .filter(|(_, (k, _))| matches!(k, Kind::PackageJson | Kind::Pyproject | Kind::Pipfile))
        .map(|(r, (k, _))| (r.clone(), *k))
        .collect();
    for (pj, kind) in declaring {
        let lock_names = match kind {
            Kind::PackageJson => NPM_LOCKS,
            Kind::Pipfile => PIPENV_LOCKS,
            _ => PY_LOCKS,
        };
        let dir = dir_of(&pj).to_string();
        // nearest folder (this one, then ancestors) holding a lockfile; an ancestor's lockfile only if it
        // covers this folder as a workspace
        let mut lock_dir: Option<String> = None;
        let mut d = Some(dir.clone());
        while let Some(cur) = d {
            let here: Vec<&LockPins> = lock_names
                .iter()
                .filter_map(|n| pins.get(&join_rel(&cur, n)))
                .collect();
            if !here.is_empty()
                || lock_names
                    .iter()
                    .any(|n| parsed.contains_key(&join_rel(&cur, n)))
            {
                let importer = rel_under(&dir, &cur);
                let covered = cur == dir
                    || here.iter().any(|l| match &l.importers {
                        Some(set) => set.contains(&importer),
                        None => workspace_globs
                            .get(&cur)
                            .is_some_and(|g| g.is_match(&importer)),
                    });
                if covered {
                    lock_dir = Some(cur.clone());
                }
                break;
            }
            d = if cur.is_empty() {
                None
            } else {
                Some(dir_of(&cur).to_string())
            };
        }
        let importer = match &lock_dir {
            Some(ld) => rel_under(&dir, ld),
            None => String::new(),
        };
        let locks: Vec<&LockPins> = match &lock_dir {
            Some(ld) => lock_names
                .iter()
                .filter_map(|n| pins.get(&join_rel(ld, n)))
                .collect(),
            None => Vec::new(),
        };
        let project = lock_dir.clone().unwrap_or_else(|| dir.clone());
        let fo = &mut parsed.get_mut(&pj).expect("present").1;
        let deps = std::mem::take(&mut fo.deps);
        let declared = std::mem::take(&mut fo.declared);
        for (i, mut dep) in deps.into_iter().enumerate() {
            if let (Resolved::Unpinned { .. }, Some((key, spec))) = (&dep.resolved, declared.get(i))
            {
                let hit = locks
                    .iter()
                    .find_map(|l| l.resolve(&importer, key, spec).cloned());
                match hit {
                    Some((real, version)) if real == dep.name => dep.resolved = exact(version),
                    Some(_) => {}
                    None => {
                        if let Some(why) = locks.iter().find_map(|l| l.local(&importer, key, spec))
                        {
                            dep.resolved = skipped(why.clone());
                        }
                    }
                }
            }
            entries.push(Entry {
                dep,
                project: project.clone(),
                pin_source: false,
                dev_known: true,
            });
        }
    }

    // folders whose project has a declaring manifest, per ecosystem
    let declared_projects: BTreeSet<(String, Ecosystem)> = entries
        .iter()
        .filter(|e| !e.pin_source)
        .map(|e| (e.project.clone(), e.dep.ecosystem))
        .collect();
    for (rel, (kind, fo)) in parsed {
        out.notifications.extend(fo.notes);
        if matches!(kind, Kind::PackageJson | Kind::Pyproject | Kind::Pipfile) {
            continue;
        }
        let project = dir_of(&rel).to_string();
        for mut dep in fo.deps {
            if kind.is_lockfile() && !fo.direct_known {
                dep.transitive = declared_projects.contains(&(project.clone(), dep.ecosystem));
            }
            entries.push(Entry {
                dep,
                project: project.clone(),
                pin_source: kind.is_lockfile(),
                dev_known: fo.dev_known,
            });
        }
    }

    out.dependencies = dedup(entries);
    out.manifests = manifests.into_iter().collect();
    out.notifications.sort();
    out.notifications.dedup();
    out
}

/// One package@version (or one range, or one skipped source) per project folder and ecosystem: the
/// manifest's declaration wins over a lockfile entry, a direct one over a transitive one, then the first
/// by path and line. `dev` stays only if every occurrence is dev; `transitive` only if every one is.
fn dedup(entries: Vec<Entry>) -> Vec<Dependency> {
    type Key = (String, Ecosystem, String, Resolved);
    let mut keyed: Vec<(Key, Entry)> = entries
        .into_iter()
        .map(|e| {
            // one skipped entry per package, whatever the reasons' wording in each file
            let resolved = match &e.dep.resolved {
                Resolved::Skipped { .. } => skipped(""),
                r => r.clone(),
            };
            (
                (
                    e.project.clone(),
                    e.dep.ecosystem,
                    e.dep.name.clone(),
                    resolved,
                ),
                e,
            )
        })
        .collect();
    keyed.sort_by(|(ka, a), (kb, b)| {
        (
            ka,
            a.pin_source,
            a.dep.transitive,
            &a.dep.manifest,
            a.dep.line,
            a.dep.column,
        )
            .cmp(&(
                kb,
                b.pin_source,
                b.dep.transitive,
                &b.dep.manifest,
                b.dep.line,
                b.dep.column,
            ))
    });
    let mut out: Vec<Dependency> = Vec::with_capacity(keyed.len());
    let mut last: Option<Key> = None;
    // dev of the current group: AND over the files that know dev from non-dev
    let mut dev_acc: Option<bool> = None;
    let finish = |out: &mut Vec<Dependency>, acc: Option<bool>| {
        if let (Some(kept), Some(dev)) = (out.last_mut(), acc) {
            kept.dev = dev;
        }
    };
    for (key, e) in keyed {
        if last.as_ref() == Some(&key) {
            let kept = out.last_mut().expect("pushed with key");
            kept.transitive &= e.dep.transitive;
            if e.dev_known {
                dev_acc = Some(dev_acc.unwrap_or(true) && e.dep.dev);
            }
            continue;
        }
        finish(&mut out, dev_acc);
        dev_acc = e.dev_known.then_some(e.dep.dev);
        last = Some(key);
        out.push(e.dep);
    }
    finish(&mut out, dev_acc);
    out.sort_by(|a, b| {
        (&a.manifest, a.line, a.column, &a.name, &a.resolved).cmp(&(
            &b.manifest,
            b.line,
            b.column,
            &b.name,
            &b.resolved,
        ))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_names() {
        for yes in [
            "requirements.txt",
            "a/requirements-dev.txt",
            "requirements_test.txt",
            "requirements/base.txt",
            "requirements/prod.in",
            "requirements.in",
            "constraints.txt",
            "app.requirements.txt",
            "dev-requirements.txt",
            "package.json",
            "web/package-lock.json",
            "npm-shrinkwrap.json",
            "Cargo.lock",
            "poetry.lock",
            "Pipfile.lock",
            "uv.lock",
            "yarn.lock",
            "x/pnpm-lock.yaml",
            "pyproject.toml",
            "svc/Pipfile",
            "Pipfile.lock",
        ] {
            assert!(is_manifest(yes), "{yes}");
        }
        for no in [
            "node_modules/a/package.json",
            "web/node_modules/@s/x/package-lock.json",
            ".venv/lib/python3.11/site-packages/pip/_vendor/requirements.txt",
            "README.txt",
            "requirements.md",
            "cargo.lock",
            "Cargo.toml",
            "docs/requirement.txt",
            "package.json5",
            "pipfile",
            "Pipfile.toml",
        ] {
            assert!(!is_manifest(no), "{no}");
        }
    }

    #[test]
    fn pep503_names() {
        assert_eq!(pep503("Django"), "django");
        assert_eq!(pep503("zope.interface"), "zope-interface");
        assert_eq!(pep503("Foo__Bar-.baz"), "foo-bar-baz");
        assert_eq!(pep503("ruamel.yaml.clib"), "ruamel-yaml-clib");
    }
}
