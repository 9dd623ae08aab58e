//! `pnpm-lock.yaml`: lockfile v5.x (`/name/1.2.3_peer`), v6 (`/name@1.2.3(peer)`) and v9 (`name@1.2.3`
//! under `packages:`, peers in `snapshots:`). Read by [`crate::doc::yaml::parse_docs_text`] (pnpm's fixed
//! layout fast, anything else through saphyr, with the shared limits), keeping positions.

use super::npm::{exact_version, split_name_spec};
use super::requirements::redact_url;
use super::{exact, skipped, Builder, FileOut};
use crate::doc::{self, Node, V};
use crate::finding::NoteLevel;
use crate::sca::model::{Dependency, Ecosystem, Resolved};
use std::collections::BTreeSet;

/// `1.2.3(react@18.0.0)` / `1.2.3_react@17.0.2` -> `1.2.3`.
fn strip_peers(v: &str, v5: bool) -> &str {
    let v = v.split('(').next().unwrap_or(v);
    if v5 {
        v.split('_').next().unwrap_or(v)
    } else {
        v
    }
}

/// A `packages:` key (or an importer's version that names another package) -> (name, version).
fn parse_key(key: &str, v5: bool) -> Option<(String, String)> {
    let k = key.trim().trim_start_matches('/');
    let k = strip_peers(k, false);
    if v5 {
        // `@scope/name/1.2.3_peer`, `name/1.2.3`
        let (name, ver) = k.rsplit_once('/')?;
        return Some((name.to_string(), strip_peers(ver, true).to_string()));
    }
    let (name, ver) = split_name_spec(k);
    (!ver.is_empty()).then(|| (name.to_string(), ver.to_string()))
}

pub(crate) fn parse(rel: &str, text: &str) -> FileOut {
    let b = Builder::new(rel, text, Ecosystem::Npm);
    let mut out = FileOut::default();
    let docs = match doc::yaml::parse_docs_text(text, &doc::Limits::DEFAULT) {
        Ok(d) => d,
        Err(e) => {
            out.notes.push(
                super::error_note(
                    NoteLevel::Error,
                    rel,
                    e.line,
                    format!("invalid YAML: {}", e.message),
                )
                .with_column(Some(e.col)),
            );
            return out;
        }
    };
    // pnpm 11+ may write its own "env" document (pnpm itself, config dependencies) before the project's
    let is_env = |d: &Node| {
        d.get("importers").is_some_and(|imp| {
            imp.map().iter().all(|(_, v)| {
                v.map().iter().all(|(k, _)| {
                    matches!(&**k, "configDependencies" | "packageManagerDependencies")
                })
            })
        }) && d.get("importers").is_some_and(|imp| !imp.map().is_empty())
    };
    static EMPTY: Node = Node {
        line: 1,
        col: 1,
        v: V::Null,
    };
    let root: &Node = docs
        .iter()
        .rev()
        .find(|d| d.is_map() && !is_env(d))
        .or_else(|| docs.first())
        .unwrap_or(&EMPTY);
    if !root.is_map() {
        out.notes
            .push(b.error_at(0, "pnpm-lock.yaml is not a YAML mapping"));
        return out;
    }
    let lv = root.get_str("lockfileVersion").unwrap_or_default();
    let major: u32 = lv
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major == 0 {
        out.notes
            .push(b.error_at(0, "no `lockfileVersion`: not a pnpm lockfile"));
    }
    let v5 = major > 0 && major < 6;
    // v5 and v6 mark every package `dev: true|false`; v9 does not
    out.dev_known = (1..9).contains(&major);

    // importers: the direct dependencies of each workspace folder
    let mut importers: Vec<(String, &Node)> = Vec::new();
    if let Some(imp) = root.get("importers") {
        for (k, v) in imp.map() {
            let path = if &**k == "." {
                String::new()
            } else {
                k.to_string()
            };
            importers.push((path, v));
        }
    } else {
        importers.push((String::new(), root));
    }
    out.pins.importers = Some(importers.iter().map(|(p, _)| p.clone()).collect());
    out.direct_known = true;
    let mut direct: BTreeSet<(String, String)> = BTreeSet::new();
    let mut dev_only: BTreeSet<(String, String)> = BTreeSet::new();
    let mut prod: BTreeSet<(String, String)> = BTreeSet::new();
    for (path, node) in &importers {
        for (section, dev) in [
            ("dependencies", false),
            ("devDependencies", true),
            ("optionalDependencies", false),
        ] {
            let Some(sec) = node.get(section) else {
                continue;
            };
            for (k, v) in sec.map() {
                let declared = &k.to_string();
                let ver = match &v.v {
                    V::Map(_) => v.get_str("version"),
                    _ => v.str(),
                };
                let Some(ver) = ver else { continue };
                let plain = strip_peers(ver, v5);
                if plain.starts_with("link:") || plain.starts_with("file:") {
                    out.pins.local_by_name.insert(
                        (path.clone(), declared.clone()),
                        format!(
                            "local package (the lockfile links it to `{}`)",
                            redact_url(plain)
                        ),
                    );
                    continue;
                }
                let (real, version) = match exact_version(plain) {
                    Some(x) => (declared.clone(), x),
                    None => match parse_key(ver, v5) {
                        Some((n, x)) if exact_version(&x).is_some() => (n, x),
                        _ => continue, // a git or tarball source: not pinned to a registry version
                    },
                };
                let key = (real.clone(), version.clone());
                direct.insert(key.clone());
                if dev {
                    dev_only.insert(key);
                } else {
                    prod.insert(key);
                }
                out.pins
                    .by_name
                    .insert((path.clone(), declared.clone()), (real, version));
            }
        }
    }

    let mut seen: BTreeSet<(String, Resolved)> = BTreeSet::new();
    let mut deps: Vec<Dependency> = Vec::new();
    for section in ["packages", "snapshots"] {
        let Some(pk) = root.get(section) else {
            continue;
        };
        for (key, pkg) in pk.map() {
            let parsed = parse_key(key, v5);
            let name = pkg
                .get_str("name")
                .map(str::to_string)
                .or_else(|| parsed.as_ref().map(|p| p.0.clone()));
            let Some(name) = name else {
                out.notes.push(super::error_note(
                    NoteLevel::Warning,
                    rel,
                    pkg.line,
                    format!("cannot read a package name from `{}`", redact_url(key)),
                ));
                continue;
            };
            let version = pkg
                .get_str("version")
                .map(str::to_string)
                .or_else(|| parsed.as_ref().map(|p| p.1.clone()));
            let non_registry = pkg.get("resolution").and_then(|r| {
                if let Some(t) = r.get_str("tarball") {
                    if !t.contains("/-/") {
                        return Some(format!(
                            "tarball, not a registry package: {}",
                            redact_url(t)
                        ));
                    }
                }
                if let Some(repo) = r.get_str("repo") {
                    return Some(format!(
                        "git source, not a registry package: {}",
                        redact_url(repo)
                    ));
                }
                if r.get_str("type") == Some("git") {
                    return Some("git source, not a registry package".to_string());
                }
                r.get_str("directory")
                    .map(|d| format!("local folder, not a registry package: {}", redact_url(d)))
            });
            let resolved = match (non_registry, version.as_deref().map(|v| strip_peers(v, v5))) {
                (Some(why), _) => skipped(why),
                (None, Some(v)) => match exact_version(v) {
                    Some(x) => exact(x),
                    None => skipped(format!("not a registry version: {}", redact_url(v))),
                },
                (None, None) => skipped("no version in the lockfile"),
            };
            if !seen.insert((name.clone(), resolved.clone())) {
                continue; // snapshots repeat packages (one per peer set)
            }
            let pair = match &resolved {
                Resolved::Exact { version } => Some((name.clone(), version.clone())),
                _ => None,
            };
            let dev = pkg.get_str("dev") == Some("true")
                || pair
                    .as_ref()
                    .is_some_and(|p| dev_only.contains(p) && !prod.contains(p));
            let transitive = !pair.as_ref().is_some_and(|p| direct.contains(p));
            let mut d = b.dep(&name, resolved, 0, dev, transitive);
            d.line = pkg.line;
            d.column = pkg.col;
            deps.push(d);
        }
    }
    out.deps = deps;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_every_version() {
        assert_eq!(
            parse_key("/lodash/4.17.20", true),
            Some(("lodash".into(), "4.17.20".into()))
        );
        assert_eq!(
            parse_key("/@babel/core/7.0.0_react@17.0.2", true),
            Some(("@babel/core".into(), "7.0.0".into()))
        );
        assert_eq!(
            parse_key("/@babel/core@7.0.0(react@18.0.0)", false),
            Some(("@babel/core".into(), "7.0.0".into()))
        );
        assert_eq!(
            parse_key("react-dom@18.2.0(react@18.2.0)", false),
            Some(("react-dom".into(), "18.2.0".into()))
        );
    }

    #[test]
    fn pnpm_env_document_is_not_the_project() {
        let t = "---\nlockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    configDependencies: {}\n    packageManagerDependencies:\n      pnpm:\n        specifier: 12.6.0\n        version: 12.6.0\n\npackages:\n\n  pnpm@12.6.0:\n    resolution: {integrity: sha512-p}\n\n---\nlockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      a:\n        specifier: ^1.0.0\n        version: 1.0.1\n\npackages:\n\n  a@1.0.1:\n    resolution: {integrity: sha512-a}\n";
        let o = parse("pnpm-lock.yaml", t);
        assert!(o.notes.is_empty(), "{:?}", o.notes);
        let d: Vec<_> = o
            .deps
            .iter()
            .map(|d| (d.name.as_str(), d.line, d.resolved.clone(), d.transitive))
            .collect();
        assert_eq!(d, vec![("a", 31, exact("1.0.1"), false)]);
    }

    #[test]
    fn v9_lock() {
        let t = r#"lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      react-dom:
        specifier: ^18.2.0
        version: 18.2.0(react@18.2.0)
    devDependencies:
      typescript:
        specifier: ~5.3.0
        version: 5.3.3

packages:

  loose-envify@1.4.0:
    resolution: {integrity: sha512-lyuxPGr/Wfhrlem2CL/UcnUc1zcqKAImBDzukY7Y5F/yQiNdko6+fRLevlw1HgMySw7f611UIY408EtxRSoK3Q==}
    hasBin: true

  react-dom@18.2.0:
    resolution: {integrity: sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==}
    peerDependencies:
      react: ^18.2.0

  typescript@5.3.3:
    resolution: {integrity: sha512-pXWcraxM0uxAS+tN0AG/BF2TyqmHO014Z070UsJ+pFvYuRSq8KH8DmWpnbXe0pEPDHXZV3FcAbJkijJ5ZWtsZw==}

  mygit@https://codeload.github.com/o/mygit/tar.gz/abc:
    resolution: {tarball: https://codeload.github.com/o/mygit/tar.gz/abc}
    version: 1.0.0

snapshots:

  loose-envify@1.4.0: {}

  react-dom@18.2.0(react@18.2.0):
    dependencies:
      loose-envify: 1.4.0
"#;
        let o = parse("pnpm-lock.yaml", t);
        assert!(o.notes.is_empty(), "{:?}", o.notes);
        let d: Vec<_> = o
            .deps
            .iter()
            .map(|d| {
                (
                    d.name.as_str(),
                    d.line,
                    d.resolved.clone(),
                    d.dev,
                    d.transitive,
                )
            })
            .collect();
        assert_eq!(d.len(), 4, "{d:?}");
        assert_eq!(d[0], ("loose-envify", 21, exact("1.4.0"), false, true));
        assert_eq!(d[1], ("react-dom", 25, exact("18.2.0"), false, false));
        assert_eq!(d[2], ("typescript", 30, exact("5.3.3"), true, false));
        assert!(matches!(&d[3].2, Resolved::Skipped { reason } if reason.contains("tarball")));
        assert_eq!(
            o.pins
                .by_name
                .get(&(String::new(), "react-dom".into()))
                .map(|p| p.1.as_str()),
            Some("18.2.0")
        );
    }
}
