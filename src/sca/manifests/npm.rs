//! npm: `package.json`, `package-lock.json` (lockfile v1, v2, v3) and `npm-shrinkwrap.json`.

use super::json::{self, JNode};
use super::requirements::redact_url;
use super::{exact, skipped, unpinned, Builder, FileOut};
use crate::sca::model::{Ecosystem, Resolved};
use std::collections::BTreeSet;

const SECTIONS: &[(&str, bool)] = &[
    ("dependencies", false),
    ("devDependencies", true),
    ("optionalDependencies", false),
    ("peerDependencies", false),
];

/// An exact npm version (`1.2.3`, `=1.2.3`, `v1.2.3`, `1.2.3-beta.1+build`), normalised.
pub(crate) fn exact_version(spec: &str) -> Option<String> {
    let s = spec.trim();
    let s = s.strip_prefix('=').unwrap_or(s).trim_start();
    let s = s.strip_prefix('v').unwrap_or(s);
    semver::Version::parse(s).ok().map(|v| v.to_string())
}

/// Why a package.json spec is not a registry version, if it is not.
fn non_registry(spec: &str) -> Option<String> {
    let s = spec.trim();
    let l = s.to_ascii_lowercase();
    let why = if l.starts_with("file:") {
        "local path"
    } else if l.starts_with("link:") {
        "link to a local package"
    } else if l.starts_with("workspace:") {
        "workspace package"
    } else if l.starts_with("portal:") {
        "portal to a local package"
    } else if l.starts_with("patch:") {
        "patched package"
    } else if l.starts_with("exec:") {
        "generated package"
    } else if l.starts_with("git+")
        || l.starts_with("git:")
        || l.starts_with("git@")
        || l.starts_with("github:")
        || l.starts_with("gitlab:")
        || l.starts_with("bitbucket:")
        || l.starts_with("gist:")
    {
        "git source"
    } else if l.starts_with("http://") || l.starts_with("https://") {
        "tarball URL"
    } else if l.starts_with("./")
        || l.starts_with("../")
        || l.starts_with('/')
        || l.starts_with("~/")
        || l.ends_with(".tgz")
        || l.ends_with(".tar.gz")
        || l.ends_with(".tar")
    {
        "local path"
    } else if !l.starts_with('@')
        && !l.contains(' ')
        && l.split('#')
            .next()
            .is_some_and(|p| p.matches('/').count() == 1)
        && !l.contains("||")
    {
        "GitHub shorthand (git source)"
    } else {
        return None;
    };
    Some(format!("{why}, not a registry package: {}", redact_url(s)))
}

/// Split `name@spec` at the `@` that separates them (a scope's leading `@` is part of the name).
pub(crate) fn split_name_spec(s: &str) -> (&str, &str) {
    match s.get(1..).and_then(|r| r.find('@')) {
        Some(p) => (&s[..p + 1], &s[p + 2..]),
        None => (s, ""),
    }
}

/// Classify a package.json dependency: (real package name, resolution).
pub(crate) fn classify(name: &str, spec: &str) -> (String, Resolved) {
    let s = spec.trim();
    if let Some(rest) = s.strip_prefix("npm:") {
        let (real, inner) = split_name_spec(rest);
        let (_, r) = classify(real, inner);
        return (real.to_string(), r);
    }
    if let Some(why) = non_registry(s) {
        return (name.to_string(), skipped(why));
    }
    if let Some(v) = exact_version(s) {
        return (name.to_string(), exact(v));
    }
    (
        name.to_string(),
        unpinned(if s.is_empty() { "*" } else { s }),
    )
}

pub(crate) fn parse_package_json(rel: &str, text: &str) -> FileOut {
    let b = Builder::new(rel, text, Ecosystem::Npm);
    let mut out = FileOut::default();
    let root = match b.json_object(text, "package.json") {
        Ok(v) => v,
        Err(n) => {
            out.notes.push(n);
            return out;
        }
    };
    let ws = root.get("workspaces");
    let ws = ws.and_then(|w| w.get("packages")).or(ws);
    if let Some(json::JValue::Arr(a)) = ws.map(|w| &w.v) {
        out.workspaces = a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect();
    }
    for (section, dev) in SECTIONS {
        let Some((_, sec)) = root.entry(section) else {
            continue;
        };
        let Some(entries) = sec.as_obj() else {
            out.notes.push(b.error_at(
                sec.off,
                format!("`{section}` is {}, expected an object", sec.type_name()),
            ));
            continue;
        };
        for (k, v) in entries {
            let Some(spec) = v.as_str() else {
                out.notes.push(b.error_at(
                    v.off,
                    format!(
                        "`{section}.{}`: version is {}, expected a string",
                        k.s,
                        v.type_name()
                    ),
                ));
                continue;
            };
            let (real, resolved) = classify(&k.s, spec);
            out.deps
                .push(b.dep(&real, resolved, k.off + 1, *dev, false));
            out.declared.push((k.s.clone(), spec.trim().to_string()));
        }
    }
    out
}

/// How a lockfile entry's `version`/`resolved` say it is not a registry package.
fn lock_non_registry(version: &str, resolved: Option<&str>) -> Option<String> {
    let v = version.trim();
    if exact_version(v).is_none() {
        if let Some(why) = non_registry(v) {
            return Some(why);
        }
        return Some(format!("not a registry version: {}", redact_url(v)));
    }
    let r = resolved?.trim();
    let l = r.to_ascii_lowercase();
    if l.starts_with("git")
        || l.starts_with("file:")
        || l.starts_with("github:")
        || l.starts_with("link:")
    {
        return non_registry(r);
    }
    None
}

pub(crate) fn parse_package_lock(rel: &str, text: &str) -> FileOut {
    let b = Builder::new(rel, text, Ecosystem::Npm);
    let mut out = FileOut::default();
    let root = match b.json_object(text, "lockfile") {
        Ok(v) => v,
        Err(n) => {
            out.notes.push(n);
            return out;
        }
    };
    out.dev_known = true;
    let version = root.get("lockfileVersion").and_then(|v| match &v.v {
        json::JValue::Num(n) => n.parse::<u32>().ok(),
        _ => None,
    });
    match (root.get("packages"), version) {
        (Some(pk), _) if pk.as_obj().is_some() => lock_v2(&b, &root, pk, &mut out),
        (_, Some(2) | Some(3)) => {
            out.notes
                .push(b.error_at(root.off, "lockfile v2/v3 without a `packages` object"));
        }
        _ => {
            match root.get("dependencies") {
                Some(d) if d.as_obj().is_some() => {
                    lock_v1(&b, d, 0, &mut out);
                }
                Some(d) => out
                    .notes
                    .push(b.error_at(d.off, "`dependencies` is not an object")),
                None => {
                    if version.is_none() {
                        out.notes.push(b.error_at(root.off, "no `lockfileVersion`, `packages` or `dependencies`: not an npm lockfile"));
                    }
                }
            }
        }
    }
    out
}

/// The package name at the end of a `node_modules/` path: `a/node_modules/@s/b` -> `@s/b`.
fn name_from_path(path: &str) -> Option<&str> {
    let i = path.rfind("node_modules/")?;
    let n = &path[i + "node_modules/".len()..];
    (!n.is_empty()).then_some(n)
}

fn lock_v2(b: &Builder, root: &JNode, packages: &JNode, out: &mut FileOut) {
    out.direct_known = true;
    out.pins.importers = Some(
        packages
            .as_obj()
            .unwrap_or(&[])
            .iter()
            .filter(|(k, _)| !k.s.contains("node_modules/") && !k.s.starts_with(".."))
            .map(|(k, _)| k.s.clone())
            .collect(),
    );
    let mut direct: BTreeSet<String> = BTreeSet::new();
    if let Some(r) = packages.get("") {
        for (s, _) in SECTIONS {
            if let Some(m) = r.get(s).and_then(JNode::as_obj) {
                direct.extend(m.iter().map(|(k, _)| k.s.clone()));
            }
        }
    }
    let _ = root;
    for (k, e) in packages.as_obj().unwrap_or(&[]) {
        if k.s.is_empty() {
            continue;
        }
        if e.as_obj().is_none() {
            out.notes
                .push(b.error_at(k.off, format!("`packages[\"{}\"]` is not an object", k.s)));
            continue;
        }
        let off = k.off + 1;
        let dev = e.is_true("dev") || e.is_true("devOptional");
        let Some(path_name) = name_from_path(&k.s) else {
            // a workspace folder (`packages/a`) or a `file:` dependency's folder: the project's own code
            let name = e.str_of("name").unwrap_or(&k.s);
            out.deps.push(b.dep(
                name,
                skipped(format!(
                    "local package (workspace or file: dependency) at `{}`",
                    k.s
                )),
                off,
                dev,
                false,
            ));
            continue;
        };
        let name = e.str_of("name").unwrap_or(path_name);
        // `a/node_modules/b` is nested; the top `node_modules/b` of a direct dependency is direct
        let importer = &k.s[..k.s.len() - path_name.len() - "node_modules/".len()];
        let importer = importer.trim_end_matches('/');
        let is_direct_slot = importer.is_empty() && direct.contains(path_name);
        if e.is_true("link") {
            let to = e.str_of("resolved").unwrap_or("?");
            if !importer.contains("node_modules") {
                out.pins.local_by_name.insert(
                    (importer.to_string(), path_name.to_string()),
                    format!("local package (the lockfile links it to `{to}`)"),
                );
            }
            out.deps.push(b.dep(
                name,
                skipped(format!("link to a local package: {to}")),
                off,
                dev,
                !is_direct_slot,
            ));
            continue;
        }
        let Some(version) = e.str_of("version") else {
            out.deps.push(b.dep(
                name,
                skipped("no version in the lockfile".to_string()),
                off,
                dev,
                !is_direct_slot,
            ));
            continue;
        };
        let resolved = match lock_non_registry(version, e.str_of("resolved")) {
            Some(why) => skipped(why),
            None => exact(exact_version(version).unwrap_or_else(|| version.to_string())),
        };
        if let Resolved::Exact { version } = &resolved {
            if !importer.contains("node_modules") {
                out.pins.by_name.insert(
                    (importer.to_string(), path_name.to_string()),
                    (name.to_string(), version.clone()),
                );
            }
        }
        out.deps
            .push(b.dep(name, resolved, off, dev, !is_direct_slot));
    }
}

fn lock_v1(b: &Builder, deps: &JNode, depth: usize, out: &mut FileOut) {
    if depth > 200 {
        return;
    }
    for (k, e) in deps.as_obj().unwrap_or(&[]) {
        if e.as_obj().is_none() {
            out.notes.push(b.error_at(
                k.off,
                format!("`dependencies[\"{}\"]` is not an object", k.s),
            ));
            continue;
        }
        let off = k.off + 1;
        let dev = e.is_true("dev");
        let mut name = k.s.as_str();
        let resolved = match e.str_of("version") {
            None => skipped("no version in the lockfile"),
            Some(v) => {
                let mut v = v;
                // alias: "version": "npm:real@1.2.3"
                if let Some(rest) = v.strip_prefix("npm:") {
                    let (real, ver) = split_name_spec(rest);
                    name = real;
                    v = ver;
                }
                match lock_non_registry(v, e.str_of("resolved")) {
                    Some(why) => skipped(why),
                    None => exact(exact_version(v).unwrap_or_else(|| v.to_string())),
                }
            }
        };
        if depth == 0 {
            match &resolved {
                Resolved::Exact { version } => {
                    out.pins.by_name.insert(
                        (String::new(), k.s.clone()),
                        (name.to_string(), version.clone()),
                    );
                }
                Resolved::Skipped { reason } => {
                    out.pins
                        .local_by_name
                        .insert((String::new(), k.s.clone()), reason.clone());
                }
                Resolved::Unpinned { .. } => {}
            }
        }
        out.deps.push(b.dep(name, resolved, off, dev, true));
        if let Some(nested) = e.get("dependencies") {
            lock_v1(b, nested, depth + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_json_specs() {
        let cases = [
            ("1.2.3", exact("1.2.3")),
            ("=1.2.3", exact("1.2.3")),
            ("v1.2.3", exact("1.2.3")),
            (" 1.0.0-beta.2 ", exact("1.0.0-beta.2")),
            ("^1.2.3", unpinned("^1.2.3")),
            ("~1.2", unpinned("~1.2")),
            (">=1 <2", unpinned(">=1 <2")),
            ("1.x", unpinned("1.x")),
            ("*", unpinned("*")),
            ("", unpinned("*")),
            ("latest", unpinned("latest")),
            ("1.2.3 || 2.0.0", unpinned("1.2.3 || 2.0.0")),
        ];
        for (s, want) in cases {
            assert_eq!(classify("x", s).1, want, "{s}");
        }
        for (s, why) in [
            ("git+https://github.com/a/b.git", "git source"),
            ("github:a/b", "git source"),
            ("a/b#v1", "GitHub shorthand"),
            ("file:../x", "local path"),
            ("link:../x", "link"),
            ("workspace:*", "workspace"),
            ("https://x.example/a.tgz", "tarball URL"),
            ("./a.tgz", "local path"),
        ] {
            match classify("x", s).1 {
                Resolved::Skipped { reason } => assert!(reason.contains(why), "{s}: {reason}"),
                r => panic!("{s}: {r:?}"),
            }
        }
        assert_eq!(
            classify("x", "npm:@s/real@1.0.0"),
            ("@s/real".into(), exact("1.0.0"))
        );
        assert_eq!(
            classify("x", "npm:real@^2"),
            ("real".into(), unpinned("^2"))
        );
        assert_eq!(split_name_spec("@a/b@1"), ("@a/b", "1"));
        assert_eq!(split_name_spec("@a/b"), ("@a/b", ""));
    }

    #[test]
    fn package_json_lines_and_errors() {
        let t = "{\n  \"name\": \"x\",\n  \"dependencies\": {\n    \"lodash\": \"4.17.20\",\n    \"@types/node\": \"^20\"\n  },\n  \"devDependencies\": {\"jest\": 5}\n}\n";
        let o = parse_package_json("p/package.json", t);
        assert_eq!(o.deps.len(), 2);
        assert_eq!(
            (o.deps[0].name.as_str(), o.deps[0].line, o.deps[0].column),
            ("lodash", 4, 6)
        );
        assert_eq!(o.deps[1].line, 5);
        assert_eq!(o.notes.len(), 1);
        assert!(
            o.notes[0].message.starts_with("p/package.json:7:"),
            "{}",
            o.notes[0].message
        );
        let o = parse_package_json("package.json", "{\"dependencies\": {\"a\": \"1\"");
        assert!(o.notes[0].message.contains("package.json:1: invalid JSON"));
    }
}
