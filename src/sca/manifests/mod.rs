//! Manifest parsers. PLACEHOLDER of the SCA matcher's worktree: the manifest helper's module replaces this
//! file at merge. It reads only what the matcher's end-to-end tests use: `requirements*.txt` lines
//! `name==version`, `package.json` dependencies and `package-lock.json` v2/v3 `packages`. The API
//! (`parse_all`, `is_manifest`, `ParseOutput`) is the agreed interface.

use crate::engine::SourceFile;
use crate::finding::{NoteLevel, Notification};
use crate::sca::model::{Dependency, Ecosystem, Resolved};
use std::path::Path;

/// Everything the parsers found in the scan's manifests.
#[derive(Debug, Default)]
pub struct ParseOutput {
    pub dependencies: Vec<Dependency>,
    pub notifications: Vec<Notification>,
    /// The manifests read, relative paths.
    pub manifests: Vec<String>,
}

/// Is this path (relative, `/` separators) a manifest or lockfile the parsers read?
pub fn is_manifest(rel_path: &str) -> bool {
    let name = rel_path.rsplit('/').next().unwrap_or(rel_path);
    (name.starts_with("requirements") && name.ends_with(".txt"))
        || name == "package.json"
        || name == "package-lock.json"
}

/// Parse every manifest among `files`.
pub fn parse_all(_root: &Path, files: &[SourceFile]) -> ParseOutput {
    let mut out = ParseOutput::default();
    let mut files: Vec<&SourceFile> = files.iter().filter(|f| is_manifest(&f.rel)).collect();
    files.sort();
    let lock_dirs: Vec<String> = files
        .iter()
        .filter(|f| f.file_name() == "package-lock.json")
        .map(|f| dir_of(&f.rel))
        .collect();
    for f in files {
        let text = match f.read_text() {
            Ok(t) => t,
            Err(n) => {
                out.notifications.push(n);
                continue;
            }
        };
        let name = f.file_name();
        if name == "package.json" && lock_dirs.contains(&dir_of(&f.rel)) {
            continue;
        }
        out.manifests.push(f.rel.clone());
        let res = if name == "package.json" {
            package_json(&f.rel, &text, &mut out.dependencies)
        } else if name == "package-lock.json" {
            package_lock(&f.rel, &text, &mut out.dependencies)
        } else {
            requirements(&f.rel, &text, &mut out.dependencies);
            Ok(())
        };
        if let Err(e) = res {
            out.notifications.push(
                Notification::new(
                    NoteLevel::Warning,
                    "manifest-error",
                    format!("{}: {e}", f.rel),
                )
                .at(f.rel.clone(), None),
            );
        }
    }
    out.dependencies.sort();
    out
}

fn dir_of(rel: &str) -> String {
    rel.rsplit_once('/')
        .map(|(d, _)| d.to_string())
        .unwrap_or_default()
}

fn dep(eco: Ecosystem, name: &str, resolved: Resolved, manifest: &str, line: u32) -> Dependency {
    Dependency {
        ecosystem: eco,
        name: crate::sca::osv::normalize_name(eco, name).into_owned(),
        display_name: name.to_string(),
        resolved,
        manifest: manifest.to_string(),
        line,
        column: 1,
        dev: false,
        transitive: false,
    }
}

fn requirements(rel: &str, text: &str, out: &mut Vec<Dependency>) {
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split(" #").next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let n = i as u32 + 1;
        if line.starts_with('-')
            || line.contains("://")
            || line.starts_with('.')
            || line.starts_with('/')
        {
            let what = line.split_whitespace().next().unwrap_or(line);
            out.push(dep(
                Ecosystem::PyPI,
                what,
                Resolved::Skipped {
                    reason: "not a registry package".into(),
                },
                rel,
                n,
            ));
            continue;
        }
        let spec = line.split(';').next().unwrap_or("").trim();
        let end = spec
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
            .unwrap_or(spec.len());
        let name = &spec[..end];
        let mut rest = spec[end..].trim();
        if rest.starts_with('[') {
            rest = rest.split_once(']').map(|(_, r)| r.trim()).unwrap_or("");
        }
        let resolved = match rest.strip_prefix("==") {
            Some(v) if !v.contains([',', '*', '<', '>', '=', '!', '~']) => Resolved::Exact {
                version: v.trim().to_string(),
            },
            _ => Resolved::Unpinned {
                spec: rest.to_string(),
            },
        };
        out.push(dep(Ecosystem::PyPI, name, resolved, rel, n));
    }
}

fn line_of(text: &str, needle: &str) -> u32 {
    text.find(needle)
        .map(|i| text[..i].matches('\n').count() as u32 + 1)
        .unwrap_or(1)
}

fn package_json(rel: &str, text: &str, out: &mut Vec<Dependency>) -> Result<(), String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    for (section, dev) in [("dependencies", false), ("devDependencies", true)] {
        let Some(map) = v.get(section).and_then(|m| m.as_object()) else {
            continue;
        };
        for (name, spec) in map {
            let spec = spec.as_str().unwrap_or("");
            let resolved = if spec.contains(':') || spec.contains('/') {
                Resolved::Skipped {
                    reason: format!("not a registry version: {spec}"),
                }
            } else if crate::sca::version::parse_npm(spec).is_some() {
                Resolved::Exact {
                    version: spec.trim_start_matches(['=', 'v']).to_string(),
                }
            } else {
                Resolved::Unpinned {
                    spec: spec.to_string(),
                }
            };
            let mut d = dep(
                Ecosystem::Npm,
                name,
                resolved,
                rel,
                line_of(text, &format!("\"{name}\"")),
            );
            d.dev = dev;
            out.push(d);
        }
    }
    Ok(())
}

fn package_lock(rel: &str, text: &str, out: &mut Vec<Dependency>) -> Result<(), String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let Some(pkgs) = v.get("packages").and_then(|p| p.as_object()) else {
        return Err("no `packages` (only lockfile v2/v3 are read by this placeholder)".into());
    };
    let root = pkgs.get("").cloned().unwrap_or_default();
    let direct = |n: &str| {
        ["dependencies", "devDependencies", "optionalDependencies"]
            .iter()
            .any(|s| root.get(*s).and_then(|m| m.get(n)).is_some())
    };
    for (path, entry) in pkgs {
        let Some(idx) = path.rfind("node_modules/") else {
            continue;
        };
        let name = &path[idx + "node_modules/".len()..];
        let resolved = match entry.get("version").and_then(|x| x.as_str()) {
            _ if entry.get("link").and_then(|l| l.as_bool()) == Some(true) => Resolved::Skipped {
                reason: "link".into(),
            },
            Some(ver) => Resolved::Exact {
                version: ver.to_string(),
            },
            None => Resolved::Skipped {
                reason: "no version".into(),
            },
        };
        let mut d = dep(
            Ecosystem::Npm,
            name,
            resolved,
            rel,
            line_of(text, &format!("\"{path}\"")),
        );
        d.dev = entry.get("dev").and_then(|x| x.as_bool()).unwrap_or(false);
        d.transitive = path.matches("node_modules/").count() > 1 || !direct(name);
        out.push(d);
    }
    Ok(())
}
