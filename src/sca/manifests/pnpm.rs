//! `pnpm-lock.yaml`: lockfile v5.x (`/name/1.2.3_peer`), v6 (`/name@1.2.3(peer)`) and v9 (`name@1.2.3`
//! under `packages:`, peers in `snapshots:`), read with saphyr to keep positions.

use super::npm::{exact_version, split_name_spec};
use super::requirements::redact_url;
use super::{exact, skipped, Builder, FileOut};
use crate::sca::model::{Dependency, Ecosystem, Resolved};
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use std::collections::BTreeSet;

type Node<'a> = MarkedYaml<'a>;

fn text_of(n: &Node) -> Option<String> {
    match &n.data {
        YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
        YamlData::Value(Scalar::Integer(i)) => Some(i.to_string()),
        YamlData::Value(Scalar::FloatingPoint(f)) => Some(f.to_string()),
        YamlData::Value(Scalar::Boolean(b)) => Some(b.to_string()),
        YamlData::Representation(s, _, _) => Some(s.to_string()),
        _ => None,
    }
}

fn entries<'b, 'a>(n: &'b Node<'a>) -> Vec<(&'b Node<'a>, &'b Node<'a>)> {
    match &n.data {
        YamlData::Mapping(m) => m.iter().collect(),
        _ => Vec::new(),
    }
}

fn get<'b, 'a>(n: &'b Node<'a>, key: &str) -> Option<&'b Node<'a>> {
    entries(n)
        .into_iter()
        .find(|(k, _)| text_of(k).as_deref() == Some(key))
        .map(|(_, v)| v)
}

fn str_of(n: &Node, key: &str) -> Option<String> {
    get(n, key).and_then(text_of)
}

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
    let docs = match MarkedYaml::load_from_str(text) {
        Ok(d) => d,
        Err(e) => {
            let m = e.marker();
            out.notes.push(
                super::error_note(
                    crate::finding::NoteLevel::Error,
                    rel,
                    m.line().max(1) as u32,
                    format!("invalid YAML: {}", e.info()),
                )
                .with_column(Some(m.col() as u32 + 1)),
            );
            return out;
        }
    };
    let Some(root) = docs.first() else {
        return out;
    };
    if !matches!(root.data, YamlData::Mapping(_)) {
        out.notes
            .push(b.error_at(0, "pnpm-lock.yaml is not a YAML mapping"));
        return out;
    }
    let lv = str_of(root, "lockfileVersion").unwrap_or_default();
    let major: u32 = lv
        .trim_matches('\'')
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
    if let Some(imp) = get(root, "importers") {
        for (k, v) in entries(imp) {
            let path = text_of(k).unwrap_or_default();
            let path = if path == "." { String::new() } else { path };
            importers.push((path, v));
        }
    } else {
        importers.push((String::new(), root));
    }
    let mut direct: BTreeSet<(String, String)> = BTreeSet::new();
    let mut dev_only: BTreeSet<(String, String)> = BTreeSet::new();
    let mut prod: BTreeSet<(String, String)> = BTreeSet::new();
    for (path, node) in &importers {
        for (section, dev) in [
            ("dependencies", false),
            ("devDependencies", true),
            ("optionalDependencies", false),
        ] {
            let Some(sec) = get(node, section) else {
                continue;
            };
            for (k, v) in entries(sec) {
                let Some(declared) = text_of(k) else { continue };
                let ver = match &v.data {
                    YamlData::Mapping(_) => str_of(v, "version"),
                    _ => text_of(v),
                };
                let Some(ver) = ver else { continue };
                let plain = strip_peers(&ver, v5);
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
                    None => match parse_key(&ver, v5) {
                        Some((n, x)) if exact_version(&x).is_some() => (n, x),
                        _ => continue, // link:, file: ... : not pinned to a registry version
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
                    .insert((path.clone(), declared), (real, version));
            }
        }
    }

    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut deps: Vec<Dependency> = Vec::new();
    for section in ["packages", "snapshots"] {
        let Some(pk) = get(root, section) else {
            continue;
        };
        if !matches!(pk.data, YamlData::Mapping(_)) {
            continue;
        }
        for (k, e) in entries(pk) {
            let Some(key) = text_of(k) else { continue };
            let line = k.span.start.line().max(1) as u32;
            let col = k.span.start.col() as u32 + 1;
            let parsed = parse_key(&key, v5);
            let name = str_of(e, "name").or_else(|| parsed.as_ref().map(|p| p.0.clone()));
            let Some(name) = name else {
                out.notes.push(super::error_note(
                    crate::finding::NoteLevel::Warning,
                    rel,
                    line,
                    format!("cannot read a package name from `{}`", redact_url(&key)),
                ));
                continue;
            };
            let version = str_of(e, "version").or_else(|| parsed.as_ref().map(|p| p.1.clone()));
            let res = get(e, "resolution");
            let non_registry = res.and_then(|r| {
                if let Some(t) = str_of(r, "tarball") {
                    if !t.contains("/-/") {
                        return Some(format!(
                            "tarball, not a registry package: {}",
                            redact_url(&t)
                        ));
                    }
                }
                if let Some(repo) = str_of(r, "repo") {
                    return Some(format!(
                        "git source, not a registry package: {}",
                        redact_url(&repo)
                    ));
                }
                if str_of(r, "type").as_deref() == Some("git") {
                    return Some("git source, not a registry package".to_string());
                }
                str_of(r, "directory")
                    .map(|d| format!("local folder, not a registry package: {}", redact_url(&d)))
            });
            let resolved = match (non_registry, version.as_deref().map(|v| strip_peers(v, v5))) {
                (Some(why), _) => skipped(why),
                (None, Some(v)) => match exact_version(v) {
                    Some(x) => exact(x),
                    None => skipped(format!("not a registry version: {}", redact_url(v))),
                },
                (None, None) => skipped("no version in the lockfile"),
            };
            let id = (name.clone(), format!("{resolved:?}"));
            if !seen.insert(id) {
                continue; // snapshots repeat packages (one per peer set)
            }
            let pair = match &resolved {
                Resolved::Exact { version } => Some((name.clone(), version.clone())),
                _ => None,
            };
            let dev = e.data.is_mapping()
                && get(e, "dev").and_then(text_of).as_deref() == Some("true")
                || pair
                    .as_ref()
                    .is_some_and(|p| dev_only.contains(p) && !prod.contains(p));
            let transitive = !pair.as_ref().is_some_and(|p| direct.contains(p));
            let mut d = b.dep(&name, resolved, 0, dev, transitive);
            d.line = line;
            d.column = col;
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
