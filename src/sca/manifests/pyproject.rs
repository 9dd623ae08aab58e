//! `pyproject.toml`: PEP 621 `[project]` dependencies and optional dependencies, PEP 735
//! `[dependency-groups]`, `[tool.uv] dev-dependencies`, and Poetry's `[tool.poetry.*dependencies]`.
//! Build requirements (`[build-system] requires`) are not runtime dependencies and are not reported.

use super::requirements::{redact_url, requirement};
use super::{exact, pep503, skipped, unpinned, Builder, FileOut};
use crate::sca::model::{Ecosystem, Resolved};
use pep508_rs::pep440_rs::Version;
use std::str::FromStr;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

fn get<'a, 'i>(t: &'a DeTable<'i>, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
    t.iter().find(|(k, _)| k.get_ref() == key).map(|(_, v)| v)
}

fn table<'a, 'i>(t: &'a DeTable<'i>, path: &[&str]) -> Option<&'a DeTable<'i>> {
    let mut cur = t;
    for p in path {
        cur = get(cur, p)?.get_ref().as_table()?;
    }
    Some(cur)
}

/// A Poetry version constraint: `1.2.3` and `==1.2.3` are exact; `^`, `~`, `*`, ranges are not.
/// A dependency given as a table (Poetry's `{ git = ..., version = ... }`, Pipfile's `{ path = ... }`):
/// git, path and URL sources are skipped with a reason, else its `version` is the spec.
fn table_source(
    d: &DeTable<'_>,
    url_key: &str,
    spec_of: impl Fn(&str) -> Resolved,
) -> (Resolved, String) {
    let s = |key: &str| {
        get(d, key)
            .and_then(|v| v.get_ref().as_str())
            .map(str::to_string)
    };
    for (key, what) in [
        ("git", "git source"),
        ("path", "local path"),
        (url_key, "direct URL"),
    ] {
        if let Some(v) = s(key) {
            return (
                skipped(format!(
                    "{what}, not a registry package: {}",
                    redact_url(&v)
                )),
                String::new(),
            );
        }
    }
    let spec = s("version").unwrap_or_else(|| "*".into());
    (spec_of(&spec), spec)
}

fn poetry_spec(spec: &str) -> Resolved {
    let s = spec.trim();
    let v = s.strip_prefix("==").unwrap_or(s).trim();
    if !v.contains(['*', ',', ' ', '<', '>', '^', '~', '!', '|']) && Version::from_str(v).is_ok() {
        return exact(v);
    }
    unpinned(if s.is_empty() { "*" } else { s })
}

pub(crate) fn parse(rel: &str, text: &str) -> FileOut {
    let b = Builder::new(rel, text, Ecosystem::PyPI);
    let mut out = FileOut {
        dev_known: true,
        ..FileOut::default()
    };
    let root = match crate::doc::toml::parse_table(text, &crate::doc::Limits::DEFAULT) {
        Ok(t) => t,
        Err(e) => {
            out.notes.push(b.doc_error("TOML", &e));
            return out;
        }
    };
    let root = root.get_ref();

    // PEP 508 strings
    let pep508_list = |v: &Spanned<DeValue>, dev: bool, what: &str, out: &mut FileOut| {
        let Some(arr) = v.get_ref().as_array() else {
            out.notes
                .push(b.error_at(v.span().start, format!("`{what}` is not an array")));
            return;
        };
        for item in arr.iter() {
            // `{include-group = "..."}` in dependency groups: the included group is reported itself
            let Some(s) = item.get_ref().as_str() else {
                continue;
            };
            let off = item.span().start + 1;
            match requirement(s) {
                Ok((name, shown, resolved)) => {
                    out.deps.push(b.dep(&shown, resolved, off, dev, false));
                    let d = out.deps.last_mut().expect("pushed");
                    d.name = name.clone();
                    out.declared.push((name, s.to_string()));
                }
                Err(e) => out.notes.push(b.error_at(
                    off,
                    format!("invalid requirement `{}` in `{what}`: {e}", redact_url(s)),
                )),
            }
        }
    };
    // `[tool.uv.sources]`: dependencies that come from git, a path, a URL or the workspace
    let mut uv_sources: Vec<(String, String)> = Vec::new();
    if let Some(src) = table(root, &["tool", "uv", "sources"]) {
        for (k, v) in src.iter() {
            let Some(t) = v.get_ref().as_table() else {
                continue;
            };
            let s = |key: &str| {
                get(t, key)
                    .and_then(|v| v.get_ref().as_str())
                    .map(str::to_string)
            };
            let why = if let Some(g) = s("git") {
                format!("git source, not a registry package: {}", redact_url(&g))
            } else if let Some(p) = s("path") {
                format!("local path, not a registry package: {}", redact_url(&p))
            } else if let Some(u) = s("url") {
                format!("direct URL, not a registry package: {}", redact_url(&u))
            } else if get(t, "workspace").is_some() {
                "workspace package".to_string()
            } else {
                continue; // `index = "..."`: still a registry package
            };
            uv_sources.push((pep503(k.get_ref()), why));
        }
    }
    if let Some(project) = table(root, &["project"]) {
        if let Some(v) = get(project, "dependencies") {
            pep508_list(v, false, "project.dependencies", &mut out);
        }
        if let Some(opt) = table(project, &["optional-dependencies"]) {
            for (k, v) in opt.iter() {
                pep508_list(
                    v,
                    false,
                    &format!("project.optional-dependencies.{}", k.get_ref()),
                    &mut out,
                );
            }
        }
    }
    if let Some(groups) = table(root, &["dependency-groups"]) {
        for (k, v) in groups.iter() {
            pep508_list(
                v,
                true,
                &format!("dependency-groups.{}", k.get_ref()),
                &mut out,
            );
        }
    }
    if let Some(v) = table(root, &["tool", "uv"]).and_then(|t| get(t, "dev-dependencies")) {
        pep508_list(v, true, "tool.uv.dev-dependencies", &mut out);
    }

    // Poetry tables
    let mut poetry_tables: Vec<(&DeTable, bool)> = Vec::new();
    if let Some(poetry) = table(root, &["tool", "poetry"]) {
        if let Some(t) = table(poetry, &["dependencies"]) {
            poetry_tables.push((t, false));
        }
        if let Some(t) = table(poetry, &["dev-dependencies"]) {
            poetry_tables.push((t, true));
        }
        if let Some(groups) = table(poetry, &["group"]) {
            for (g, v) in groups.iter() {
                if let Some(t) = v
                    .get_ref()
                    .as_table()
                    .and_then(|t| table(t, &["dependencies"]))
                {
                    poetry_tables.push((t, g.get_ref() != "main"));
                }
            }
        }
    }
    for (t, dev) in poetry_tables {
        for (k, v) in t.iter() {
            let name = k.get_ref().as_ref();
            if name.eq_ignore_ascii_case("python") {
                continue;
            }
            let (resolved, spec) = match v.get_ref() {
                DeValue::String(s) => (poetry_spec(s), s.to_string()),
                DeValue::Table(d) => table_source(d, "url", poetry_spec),
                DeValue::Array(_) => (
                    unpinned("several constraints (by environment)"),
                    String::new(),
                ),
                _ => {
                    out.notes
                        .push(b.error_at(v.span().start, format!("`{name}`: unexpected value")));
                    continue;
                }
            };
            out.deps
                .push(b.dep(name, resolved, k.span().start, dev, false));
            out.declared.push((pep503(name), spec));
        }
    }
    for d in &mut out.deps {
        if let Some((_, why)) = uv_sources.iter().find(|(n, _)| *n == d.name) {
            if !matches!(d.resolved, Resolved::Skipped { .. }) {
                d.resolved = skipped(why.clone());
            }
        }
    }
    out
}

/// pipenv's `Pipfile`: `[packages]` and `[dev-packages]` (dev), values `"*"`, `"==1.2"`, `">=1,<2"` or
/// tables with `version`, `git`, `path`, `file`, `ref`, `editable`.
pub(crate) fn parse_pipfile_manifest(rel: &str, text: &str) -> FileOut {
    let b = Builder::new(rel, text, Ecosystem::PyPI);
    let mut out = FileOut {
        dev_known: true,
        ..FileOut::default()
    };
    let root = match crate::doc::toml::parse_table(text, &crate::doc::Limits::DEFAULT) {
        Ok(t) => t,
        Err(e) => {
            out.notes.push(b.doc_error("TOML", &e));
            return out;
        }
    };
    let root = root.get_ref();
    for (section, dev) in [("packages", false), ("dev-packages", true)] {
        let Some(t) = table(root, &[section]) else {
            continue;
        };
        for (k, v) in t.iter() {
            let name = k.get_ref().as_ref();
            let spec_of = |spec: &str| -> Resolved {
                let spec = spec.trim();
                if spec.is_empty() || spec == "*" {
                    return unpinned("*");
                }
                match requirement(&format!("{name}{spec}")) {
                    Ok((_, _, r)) => r,
                    Err(_) => unpinned(spec),
                }
            };
            let (resolved, spec) = match v.get_ref() {
                DeValue::String(s) => (spec_of(s), s.to_string()),
                DeValue::Table(d) => table_source(d, "file", spec_of),
                _ => {
                    out.notes.push(b.error_at(
                        v.span().start,
                        format!("`{section}.{name}`: unexpected value"),
                    ));
                    continue;
                }
            };
            out.deps
                .push(b.dep(name, resolved, k.span().start, dev, false));
            out.declared.push((pep503(name), spec));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep621_and_poetry() {
        let t = r#"[build-system]
requires = ["setuptools>=61", "wheel"]

[project]
name = "svc"
dependencies = [
    "requests==2.19.0",
    "Django>=3.2,<4",
    "mylib @ git+https://github.com/o/mylib.git",
]

[project.optional-dependencies]
yaml = ["PyYAML==5.3"]

[dependency-groups]
test = ["pytest>=7", {include-group = "lint"}]

[tool.poetry.dependencies]
python = "^3.9"
flask = "1.0"
jinja2 = { version = "^2.10", extras = ["i18n"] }
local = { path = "../local", develop = true }

[tool.poetry.group.dev.dependencies]
black = "==22.3.0"
"#;
        let o = parse("pyproject.toml", t);
        assert!(o.notes.is_empty(), "{:?}", o.notes);
        let d: Vec<_> = o
            .deps
            .iter()
            .map(|d| (d.name.as_str(), d.line, d.resolved.clone(), d.dev))
            .collect();
        let mut d = d;
        d.sort_by_key(|x| x.1);
        assert_eq!(d[0], ("requests", 7, exact("2.19.0"), false));
        assert!(matches!(&d[1].2, Resolved::Unpinned { .. }));
        assert_eq!(o.deps[1].display_name, "Django");
        assert!(matches!(&d[2].2, Resolved::Skipped { .. }));
        assert_eq!(d[3], ("pyyaml", 13, exact("5.3"), false));
        assert_eq!((d[4].0, d[4].3), ("pytest", true));
        assert_eq!(d[5], ("flask", 20, exact("1.0"), false));
        assert_eq!(d[6].2, unpinned("^2.10"));
        assert!(matches!(&d[7].2, Resolved::Skipped { .. }));
        assert_eq!(d[8], ("black", 25, exact("22.3.0"), true));
        assert_eq!(d.len(), 9);
        assert_eq!(o.declared.len(), 9);
    }

    #[test]
    fn pipfile() {
        let t = "[[source]]\nurl = \"https://pypi.org/simple\"\nverify_ssl = true\nname = \"pypi\"\n\n[packages]\nrequests = \"*\"\nDjango = \"==3.2.4\"\nflask = {version = \">=1.0\", extras = [\"dotenv\"]}\nmylib = {git = \"https://github.com/o/mylib.git\", ref = \"main\"}\n\n[dev-packages]\npytest = \"~=6.2\"\n\n[requires]\npython_version = \"3.9\"\n";
        let o = parse_pipfile_manifest("Pipfile", t);
        assert!(o.notes.is_empty(), "{:?}", o.notes);
        let d: Vec<_> = o
            .deps
            .iter()
            .map(|d| (d.name.as_str(), d.line, d.resolved.clone(), d.dev))
            .collect();
        let mut d = d;
        d.sort_by_key(|x| x.1);
        assert_eq!(d[0], ("requests", 7, unpinned("*"), false));
        assert_eq!(d[1], ("django", 8, exact("3.2.4"), false));
        assert_eq!(d[2].2, unpinned(">=1.0"));
        assert!(matches!(&d[3].2, Resolved::Skipped { .. }));
        assert_eq!((d[4].0, d[4].3), ("pytest", true));
        assert_eq!(d.len(), 5);
    }
}
