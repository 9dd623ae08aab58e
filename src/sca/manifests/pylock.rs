//! Python lockfiles: `poetry.lock`, `Pipfile.lock`, `uv.lock`.

use super::requirements::redact_url;
use super::{exact, skipped, unpinned, Builder, FileOut};
use crate::sca::model::Ecosystem;
use serde::Deserialize;
use std::collections::BTreeSet;
use toml::Spanned;

/// Exact versions by normalised name, for `pyproject.toml` ranges; a name locked at several versions
/// (per-environment forks) pins nothing.
fn python_pins(out: &mut FileOut) {
    let mut seen: std::collections::BTreeMap<String, Option<String>> =
        std::collections::BTreeMap::new();
    for d in &out.deps {
        if let crate::sca::model::Resolved::Exact { version } = &d.resolved {
            seen.entry(d.name.clone())
                .and_modify(|v| {
                    if v.as_deref() != Some(version) {
                        *v = None;
                    }
                })
                .or_insert_with(|| Some(version.clone()));
        }
    }
    for d in &out.deps {
        if let crate::sca::model::Resolved::Skipped { reason } = &d.resolved {
            if !seen.contains_key(&d.name) {
                out.pins
                    .local_by_name
                    .insert((String::new(), d.name.clone()), reason.clone());
            }
        }
    }
    for (name, v) in seen {
        if let Some(v) = v {
            out.pins
                .by_name
                .insert((String::new(), name.clone()), (name, v));
        }
    }
}

fn toml_error(b: &Builder, out: &mut FileOut, e: crate::doc::Error) {
    out.notes.push(b.doc_error("TOML", &e));
}

// ------------------------------------------------------------------------------------------------ poetry

#[derive(Deserialize)]
struct PoetryLock {
    #[serde(default)]
    package: Vec<PoetryPkg>,
}

#[derive(Deserialize)]
struct PoetryPkg {
    name: Spanned<String>,
    version: Option<String>,
    category: Option<String>,
    groups: Option<Vec<String>>,
    source: Option<PoetrySource>,
}

#[derive(Deserialize)]
struct PoetrySource {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    url: String,
}

pub(crate) fn parse_poetry(rel: &str, text: &str) -> FileOut {
    let b = Builder::new(rel, text, Ecosystem::PyPI);
    let mut out = FileOut::default();
    let lock: PoetryLock = match crate::doc::toml::from_str(text, &crate::doc::Limits::DEFAULT) {
        Ok(l) => l,
        Err(e) => {
            toml_error(&b, &mut out, e);
            return out;
        }
    };
    out.dev_known = lock
        .package
        .iter()
        .any(|p| p.category.is_some() || p.groups.is_some());
    for p in lock.package {
        let off = p.name.span().start;
        let dev = p.category.as_deref() == Some("dev")
            || p.groups
                .as_ref()
                .is_some_and(|g| !g.is_empty() && !g.iter().any(|g| g == "main"));
        let resolved = match (&p.source, &p.version) {
            (Some(s), _) if matches!(s.kind.as_str(), "git" | "directory" | "file" | "url") => {
                let what = match s.kind.as_str() {
                    "git" => "git source",
                    "url" => "direct URL",
                    _ => "local path",
                };
                skipped(format!(
                    "{what}, not a registry package: {}",
                    redact_url(&s.url)
                ))
            }
            (_, Some(v)) => exact(v.clone()),
            (_, None) => skipped("no version in the lockfile"),
        };
        // poetry.lock does not say which packages pyproject.toml declares
        out.deps
            .push(b.dep(p.name.get_ref(), resolved, off, dev, false));
    }
    python_pins(&mut out);
    out
}

// ------------------------------------------------------------------------------------------------ uv

#[derive(Deserialize)]
struct UvLock {
    #[serde(default)]
    package: Vec<UvPkg>,
}

#[derive(Deserialize)]
struct UvPkg {
    name: Spanned<String>,
    version: Option<String>,
    source: Option<toml::Table>,
    #[serde(default)]
    dependencies: Vec<UvDep>,
    #[serde(default, rename = "dev-dependencies")]
    dev_dependencies: toml::Table,
    #[serde(default, rename = "optional-dependencies")]
    optional_dependencies: toml::Table,
}

#[derive(Deserialize)]
struct UvDep {
    name: String,
}

fn dep_names(t: &toml::Table) -> impl Iterator<Item = String> + '_ {
    t.values()
        .filter_map(|v| v.as_array())
        .flatten()
        .filter_map(|d| d.get("name").and_then(|n| n.as_str()))
        .map(super::pep503)
}

pub(crate) fn parse_uv(rel: &str, text: &str) -> FileOut {
    let b = Builder::new(rel, text, Ecosystem::PyPI);
    let mut out = FileOut::default();
    let lock: UvLock = match crate::doc::toml::from_str(text, &crate::doc::Limits::DEFAULT) {
        Ok(l) => l,
        Err(e) => {
            toml_error(&b, &mut out, e);
            return out;
        }
    };
    let is_local = |p: &UvPkg| {
        p.source
            .as_ref()
            .is_some_and(|s| s.contains_key("editable") || s.contains_key("virtual"))
    };
    out.pins.importers = Some(
        lock.package
            .iter()
            .filter_map(|p| p.source.as_ref())
            .filter_map(|s| s.get("editable").or_else(|| s.get("virtual")))
            .filter_map(|v| v.as_str())
            .map(|p| {
                if p == "." {
                    String::new()
                } else {
                    p.trim_start_matches("./").to_string()
                }
            })
            .collect(),
    );
    out.direct_known = true;
    let mut direct = BTreeSet::new();
    let mut dev_direct = BTreeSet::new();
    for p in lock.package.iter().filter(|p| is_local(p)) {
        direct.extend(p.dependencies.iter().map(|d| super::pep503(&d.name)));
        direct.extend(dep_names(&p.optional_dependencies));
        dev_direct.extend(dep_names(&p.dev_dependencies));
    }
    for p in &lock.package {
        let name = super::pep503(p.name.get_ref());
        let src = p.source.as_ref();
        let key = src
            .and_then(|s| s.keys().next().cloned())
            .unwrap_or_default();
        let loc = src
            .and_then(|s| s.values().next())
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string();
        let resolved = match key.as_str() {
            "registry" | "" => match &p.version {
                Some(v) => exact(v.clone()),
                None => skipped("no version in the lockfile"),
            },
            "editable" | "virtual" => skipped(format!("the project itself ({key} source `{loc}`)")),
            "git" => skipped(format!(
                "git source, not a registry package: {}",
                redact_url(&loc)
            )),
            "url" => skipped(format!(
                "direct URL, not a registry package: {}",
                redact_url(&loc)
            )),
            _ => skipped(format!(
                "local path, not a registry package: {}",
                redact_url(&loc)
            )),
        };
        let dev = dev_direct.contains(&name) && !direct.contains(&name);
        let transitive = !direct.contains(&name) && !dev_direct.contains(&name);
        out.deps.push(b.dep(
            p.name.get_ref(),
            resolved,
            p.name.span().start,
            dev,
            transitive,
        ));
    }
    python_pins(&mut out);
    out
}

// ------------------------------------------------------------------------------------------------ Pipfile.lock

pub(crate) fn parse_pipfile(rel: &str, text: &str) -> FileOut {
    let b = Builder::new(rel, text, Ecosystem::PyPI);
    let mut out = FileOut::default();
    let root = match b.json_object(text, "Pipfile.lock") {
        Ok(v) => v,
        Err(n) => {
            out.notes.push(n);
            return out;
        }
    };
    out.dev_known = true;
    for (section, dev) in [("default", false), ("develop", true)] {
        let Some(sec) = root.get(section) else {
            continue;
        };
        let Some(entries) = sec.as_obj() else {
            out.notes
                .push(b.error_at(sec.off, format!("`{section}` is not an object")));
            continue;
        };
        for (k, e) in entries {
            let off = k.off + 1;
            let resolved = if let Some(g) = e.str_of("git") {
                skipped(format!(
                    "git source, not a registry package: {}",
                    redact_url(g)
                ))
            } else if let Some(p) = e.str_of("path") {
                skipped(format!(
                    "local path, not a registry package: {}",
                    redact_url(p)
                ))
            } else if let Some(f) = e.str_of("file") {
                skipped(format!(
                    "direct URL, not a registry package: {}",
                    redact_url(f)
                ))
            } else if let Some(v) = e.str_of("version") {
                let v = v.trim();
                match v.strip_prefix("===").or_else(|| v.strip_prefix("==")) {
                    Some(x) if !x.contains('*') && !x.contains(',') => exact(x.trim()),
                    _ => unpinned(if v.is_empty() { "*" } else { v }),
                }
            } else {
                out.notes
                    .push(b.error_at(off, format!("`{section}.{}` has no version", k.s)));
                continue;
            };
            // Pipfile.lock does not say which entries the Pipfile declares
            out.deps.push(b.dep(&k.s, resolved, off, dev, false));
        }
    }
    python_pins(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sca::model::Resolved;

    #[test]
    fn poetry_groups_and_sources() {
        let t = r#"# This file is automatically @generated by Poetry 1.8.2 and should not be changed by hand.

[[package]]
name = "Flask"
version = "2.0.1"
description = "A simple framework"
optional = false
python-versions = ">=3.6"
files = [
    {file = "Flask-2.0.1-py3-none-any.whl", hash = "sha256:a6209ca15eb63fc9385f38e452704113d679511d9574d09b2cf9183ae7d20dc9"},
]

[[package]]
name = "pytest"
version = "7.0.0"
description = ""
optional = false
python-versions = ">=3.6"
groups = ["dev"]

[[package]]
name = "mylib"
version = "0.1.0"
description = ""
optional = false
python-versions = "*"
develop = false

[package.source]
type = "git"
url = "https://github.com/o/mylib.git"
reference = "HEAD"
resolved_reference = "abc"

[metadata]
lock-version = "2.0"
"#;
        let o = parse_poetry("poetry.lock", t);
        assert!(o.notes.is_empty());
        assert_eq!(
            (
                o.deps[0].name.as_str(),
                o.deps[0].line,
                &o.deps[0].resolved,
                o.deps[0].dev
            ),
            ("flask", 4, &exact("2.0.1"), false)
        );
        assert!(o.deps[1].dev);
        assert!(
            matches!(&o.deps[2].resolved, Resolved::Skipped { reason } if reason.contains("git source"))
        );
        let bad = parse_poetry("poetry.lock", "[[package]]\nname = \"x\"\nversion = \n");
        assert!(
            bad.notes[0].message.starts_with("poetry.lock:3:"),
            "{:?}",
            bad.notes
        );
    }

    #[test]
    fn pipfile_sections() {
        let t = "{\n  \"_meta\": {\"hash\": {\"sha256\": \"x\"}},\n  \"default\": {\n    \"requests\": {\"hashes\": [], \"version\": \"==2.25.0\"},\n    \"mylib\": {\"git\": \"https://github.com/o/mylib.git\", \"ref\": \"abc\"}\n  },\n  \"develop\": {\n    \"Py_Test\": {\"version\": \"==7.0.0\", \"markers\": \"python_version >= '3.7'\"},\n    \"x\": {}\n  }\n}\n";
        let o = parse_pipfile("Pipfile.lock", t);
        assert_eq!(o.deps.len(), 3);
        assert_eq!((o.deps[0].line, &o.deps[0].resolved), (4, &exact("2.25.0")));
        assert!(matches!(o.deps[1].resolved, Resolved::Skipped { .. }));
        assert_eq!((o.deps[2].name.as_str(), o.deps[2].dev), ("py-test", true));
        assert_eq!(o.notes.len(), 1);
        assert!(o.notes[0].message.starts_with("Pipfile.lock:9:"));
    }

    #[test]
    fn uv_sources_and_direct() {
        let t = r#"version = 1
requires-python = ">=3.12"

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "requests" },
]

[package.dev-dependencies]
dev = [
    { name = "pytest" },
]

[[package]]
name = "requests"
version = "2.31.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "urllib3" }]

[[package]]
name = "pytest"
version = "8.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "urllib3"
version = "2.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "gitdep"
version = "1.0.0"
source = { git = "https://github.com/o/gitdep?rev=abc#abc" }
"#;
        let o = parse_uv("uv.lock", t);
        assert!(o.notes.is_empty(), "{:?}", o.notes);
        let d: Vec<_> = o
            .deps
            .iter()
            .map(|d| (d.name.as_str(), d.line, d.dev, d.transitive))
            .collect();
        assert_eq!(d[0], ("app", 5, false, true));
        assert!(matches!(o.deps[0].resolved, Resolved::Skipped { .. }));
        assert_eq!(d[1], ("requests", 18, false, false));
        assert_eq!(d[2], ("pytest", 24, true, false));
        assert_eq!(d[3], ("urllib3", 29, false, true));
        assert!(
            matches!(&o.deps[4].resolved, Resolved::Skipped { reason } if reason.contains("git"))
        );
    }
}
