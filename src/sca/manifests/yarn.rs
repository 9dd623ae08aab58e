//! `yarn.lock`: yarn v1 (its own format) and yarn berry (v2+, a YAML subset). Both are read by one
//! line-oriented reader: entries start at column 0 (`"a@^1", a@~1.1:`), fields are indented once
//! (`version "1.2.3"` in v1, `version: 1.2.3` in berry); deeper lines (dependency lists) are not needed.

use super::npm::{classify, exact_version, split_name_spec};
use super::requirements::redact_url;
use super::{exact, skipped, Builder, FileOut};
use crate::sca::model::{Ecosystem, Resolved};

#[derive(Default)]
struct Entry {
    off: usize,
    specs: Vec<String>,
    version: Option<String>,
    resolved: Option<String>,
    resolution: Option<String>,
    link_soft: bool,
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    if s.len() >= 2
        && ((s.starts_with('"') && s.ends_with('"')) || (s.starts_with('\'') && s.ends_with('\'')))
    {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

pub(crate) fn parse(rel: &str, text: &str) -> FileOut {
    let b = Builder::new(rel, text, Ecosystem::Npm);
    let mut out = FileOut::default();
    let mut entries: Vec<Entry> = Vec::new();
    let mut cur: Option<Entry> = None;
    let mut berry = false;
    let mut field_indent: Option<usize> = None;
    let mut off = 0usize;
    for raw in text.split_inclusive('\n') {
        let line_off = off;
        off += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let indent = line.len() - t.len();
        if indent == 0 {
            if let Some(e) = cur.take() {
                entries.push(e);
            }
            field_indent = None;
            let Some(keys) = t.strip_suffix(':') else {
                out.notes.push(b.error_at(
                    line_off,
                    format!(
                        "expected an entry `name@range:`, found `{}`",
                        super::requirements::redact_url(t)
                    ),
                ));
                continue;
            };
            if keys == "__metadata" {
                berry = true;
                cur = None;
                continue;
            }
            let specs: Vec<String> = keys
                .split(',')
                .map(|s| s.trim().trim_matches(['"', '\'']).to_string())
                .filter(|s| !s.is_empty())
                .collect();
            cur = Some(Entry {
                off: line_off,
                specs,
                ..Entry::default()
            });
            continue;
        }
        let Some(e) = cur.as_mut() else { continue };
        let fi = *field_indent.get_or_insert(indent);
        if indent != fi {
            continue;
        }
        let (k, v) = match t.split_once(' ') {
            Some((k, v)) => (k.trim_end_matches(':'), unquote(v)),
            None => (t.trim_end_matches(':'), ""),
        };
        match k {
            "version" => e.version = Some(v.to_string()),
            "resolved" => e.resolved = Some(v.to_string()),
            "resolution" => e.resolution = Some(v.to_string()),
            "linkType" => e.link_soft = v == "soft",
            _ => {}
        }
    }
    if let Some(e) = cur.take() {
        entries.push(e);
    }
    if berry {
        // `name@workspace:packages/a` resolutions name the workspaces
        out.pins.importers = Some(
            entries
                .iter()
                .filter_map(|e| e.resolution.as_deref())
                .filter_map(|r| split_name_spec(r).1.strip_prefix("workspace:"))
                .map(|p| {
                    if p == "." {
                        String::new()
                    } else {
                        p.trim_start_matches("./").to_string()
                    }
                })
                .collect(),
        );
    }
    for e in entries {
        let Some(first) = e.specs.first() else {
            out.notes
                .push(b.error_at(e.off, "entry without a package name"));
            continue;
        };
        let (declared, spec) = split_name_spec(first);
        let (mut name, key_res) = classify(declared, spec);
        let resolved = if berry {
            let res = e.resolution.as_deref().unwrap_or("");
            let (rname, rspec) = split_name_spec(res);
            if !rname.is_empty() {
                name = rname.to_string();
            }
            if res.is_empty() {
                skipped("no resolution in the lockfile")
            } else if let Some(v) = rspec.strip_prefix("npm:") {
                exact(exact_version(v).unwrap_or_else(|| v.to_string()))
            } else if rspec.starts_with("patch:") && rspec.contains("npm%3A") && !e.link_soft {
                // a patched registry package (often yarn's built-in compat patches): still that version
                match e.version.as_deref().and_then(exact_version) {
                    Some(v) => exact(v),
                    None => skipped(format!("patched package: {}", redact_url(res))),
                }
            } else if rspec.starts_with("workspace:") {
                skipped(format!("workspace package: {}", redact_url(res)))
            } else {
                let why = match classify(&name, rspec).1 {
                    Resolved::Skipped { reason } => reason,
                    _ => format!("not a registry package: {}", redact_url(res)),
                };
                skipped(why)
            }
        } else {
            let resolved_url = e.resolved.as_deref().unwrap_or("").to_ascii_lowercase();
            match (&key_res, e.version.as_deref()) {
                (Resolved::Skipped { reason }, _) => skipped(reason.clone()),
                _ if resolved_url.starts_with("git")
                    || resolved_url.starts_with("file:")
                    || resolved_url.contains("codeload.github.com") =>
                {
                    skipped(format!(
                        "git or local source, not a registry package: {}",
                        redact_url(e.resolved.as_deref().unwrap_or(""))
                    ))
                }
                (_, Some(v)) => exact(exact_version(v).unwrap_or_else(|| v.to_string())),
                (_, None) => {
                    out.notes
                        .push(b.error_at(e.off, format!("entry `{first}` has no version")));
                    continue;
                }
            }
        };
        let resolved = if berry && e.link_soft && !matches!(resolved, Resolved::Skipped { .. }) {
            skipped("linked package (linkType: soft)")
        } else {
            resolved
        };
        for s in &e.specs {
            match &resolved {
                Resolved::Exact { version } => {
                    out.pins
                        .by_spec
                        .insert(s.clone(), (name.clone(), version.clone()));
                }
                Resolved::Skipped { reason } => {
                    out.pins.local_by_spec.insert(s.clone(), reason.clone());
                }
                Resolved::Unpinned { .. } => {}
            }
        }
        out.deps.push(b.dep(&name, resolved, e.off, false, true));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_entries() {
        let t = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
  version "7.12.13"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz#dcfc826beef65e75c50e21d3837d7d95798dd658"
  integrity sha512-HV1Cm0Q3ZrpCR93tkWOYiuYIgLxZXZFVG2VgK+MBWjUqZTundupbfx2aXarXuw5Ko5aMcjtJgbSs4vUGBS5v6g==
  dependencies:
    "@babel/highlight" "^7.12.13"

lodash@4.17.15, lodash@^4.17.11:
  version "4.17.15"
  resolved "https://registry.yarnpkg.com/lodash/-/lodash-4.17.15.tgz"

foo@npm:bar@^1.0.0:
  version "1.0.3"
  resolved "https://registry.yarnpkg.com/bar/-/bar-1.0.3.tgz"

mylib@git+https://github.com/o/mylib.git#abc:
  version "0.0.1"
  resolved "git+https://github.com/o/mylib.git#abc"

other@github:o/other:
  version "2.0.0"
  resolved "https://codeload.github.com/o/other/tar.gz/abc"
"#;
        let o = parse("yarn.lock", t);
        assert!(o.notes.is_empty(), "{:?}", o.notes);
        let d: Vec<_> = o
            .deps
            .iter()
            .map(|d| (d.name.as_str(), d.line, d.resolved.clone()))
            .collect();
        assert_eq!(d[0], ("@babel/code-frame", 5, exact("7.12.13")));
        assert_eq!(d[1], ("lodash", 12, exact("4.17.15")));
        assert_eq!(d[2], ("bar", 16, exact("1.0.3")));
        assert!(matches!(&d[3].2, Resolved::Skipped { reason } if reason.contains("git")));
        assert!(matches!(&d[4].2, Resolved::Skipped { .. }));
        assert_eq!(
            o.pins.by_spec.get("lodash@^4.17.11").map(|p| p.1.as_str()),
            Some("4.17.15")
        );
        assert_eq!(
            o.pins
                .by_spec
                .get("foo@npm:bar@^1.0.0")
                .map(|p| p.0.as_str()),
            Some("bar")
        );
    }

    #[test]
    fn berry_entries() {
        let t = r#"# This file is generated by running "yarn install" inside your project.
# Manual changes might be lost - proceed with caution!

__metadata:
  version: 6
  cacheKey: 8

"lodash@npm:^4.17.11, lodash@npm:^4.17.20":
  version: 4.17.20
  resolution: "lodash@npm:4.17.20"
  checksum: b31afa09739b7292a88ec49ffdb2fcaeb41f690def010f7a067eeedffece32da6b6ec76fd59a5e9e0ab7ac7a7a8d4d1f5d3e3d53cc4f4b2a0a2e6b2f3c0e1e4a
  languageName: node
  linkType: hard

"my-app@workspace:.":
  version: 0.0.0-use.local
  resolution: "my-app@workspace:."
  dependencies:
    lodash: ^4.17.20
  languageName: unknown
  linkType: soft

"resolve@patch:resolve@^1.20.0#~builtin<compat/resolve>":
  version: 1.20.0
  resolution: "resolve@patch:resolve@npm%3A1.20.0#~builtin<compat/resolve>::version=1.20.0&hash=07638b"
  languageName: node
  linkType: hard

"left-pad@https://github.com/o/left-pad.git#commit=abc":
  version: 1.3.0
  resolution: "left-pad@https://github.com/o/left-pad.git#commit=abc"
  languageName: node
  linkType: hard
"#;
        let o = parse("yarn.lock", t);
        assert!(o.notes.is_empty(), "{:?}", o.notes);
        let d: Vec<_> = o
            .deps
            .iter()
            .map(|d| (d.name.as_str(), d.line, d.resolved.clone()))
            .collect();
        assert_eq!(d.len(), 4);
        assert_eq!(d[0], ("lodash", 8, exact("4.17.20")));
        assert!(matches!(&d[1].2, Resolved::Skipped { reason } if reason.contains("workspace")));
        assert_eq!(d[2], ("resolve", 23, exact("1.20.0")));
        assert!(matches!(&d[3].2, Resolved::Skipped { .. }));
        assert!(o.pins.by_spec.contains_key("lodash@npm:^4.17.20"));
    }

    #[test]
    fn broken_lines_are_said() {
        let o = parse(
            "yarn.lock",
            "lodash@^4:\n  version \"4.0.0\"\nnot an entry\nx@1:\n  resolved \"y\"\n",
        );
        assert_eq!(o.deps.len(), 1);
        assert_eq!(o.notes.len(), 2);
        assert!(o.notes[0].message.starts_with("yarn.lock:3:"));
        assert!(o.notes[1].message.starts_with("yarn.lock:4:"));
    }
}
