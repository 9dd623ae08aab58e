//! Manifest and lockfile parsing against realistic fixtures: every dependency at its declaring line, the
//! versions the project really gets, skipped sources said with a reason, broken files reported.

use std::path::{Path, PathBuf};
use tollgate::engine::SourceFile;
use tollgate::finding::NoteLevel;
use tollgate::sca::manifests::{is_manifest, parse_all, ParseOutput};
use tollgate::sca::model::{Dependency, Ecosystem, Resolved};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sca/manifests")
}

fn files_of(root: &Path) -> Vec<SourceFile> {
    SourceFile::collect(root).unwrap()
}

fn scan(sub: &str) -> ParseOutput {
    let root = fixtures().join(sub);
    parse_all(&root, &files_of(&root))
}

/// 1-based line of the first line of `file` containing `needle`.
fn line_of(sub: &str, file: &str, needle: &str) -> u32 {
    let text = std::fs::read_to_string(fixtures().join(sub).join(file)).unwrap();
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in {file}")) as u32
        + 1
}

/// 1-based line of the first line of `file` starting with `prefix`.
fn line_starting(sub: &str, file: &str, prefix: &str) -> u32 {
    let text = std::fs::read_to_string(fixtures().join(sub).join(file)).unwrap();
    text.lines()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("{prefix} not in {file}")) as u32
        + 1
}

fn all<'a>(out: &'a ParseOutput, name: &str) -> Vec<&'a Dependency> {
    out.dependencies.iter().filter(|d| d.name == name).collect()
}

fn one<'a>(out: &'a ParseOutput, name: &str) -> &'a Dependency {
    let v = all(out, name);
    assert_eq!(v.len(), 1, "{name}: {v:#?}");
    v[0]
}

fn ex(v: &str) -> Resolved {
    Resolved::Exact { version: v.into() }
}

fn is_skipped(d: &Dependency, why: &str) -> bool {
    matches!(&d.resolved, Resolved::Skipped { reason } if reason.contains(why))
}

fn unpinned(d: &Dependency) -> &str {
    match &d.resolved {
        Resolved::Unpinned { spec } => spec,
        r => panic!("{} is not unpinned: {r:?}", d.name),
    }
}

// ------------------------------------------------------------------------------------------ requirements

#[test]
fn requirements_full_syntax() {
    let out = scan("requirements");
    let s = "requirements";
    let errs: Vec<_> = out
        .notifications
        .iter()
        .filter(|n| !n.path.as_deref().unwrap_or("").starts_with("broken/"))
        .collect();
    assert!(
        errs.iter()
            .all(|n| n.path.as_deref() == Some("cycle/requirements-a.txt")
                || n.path.as_deref() == Some("cycle/requirements-b.txt")),
        "{errs:#?}"
    );

    let dj = one(&out, "django");
    assert_eq!(
        (dj.display_name.as_str(), &dj.resolved),
        ("Django", &ex("3.2.4"))
    );
    assert_eq!(
        (dj.manifest.as_str(), dj.line, dj.column),
        (
            "requirements.txt",
            line_of(s, "requirements.txt", "Django["),
            1
        )
    );
    assert_eq!(dj.ecosystem, Ecosystem::PyPI);

    // a continuation line with hashes: reported at its first line
    let rq = one(&out, "requests");
    assert_eq!(
        (rq.line, &rq.resolved),
        (
            line_of(s, "requirements.txt", "requests==2.25.1"),
            &ex("2.25.1")
        )
    );

    // ranges pinned by the constraints file become exact at the requirement's own line; the constraint
    // entry of the same version in the same folder is not reported twice
    let u = one(&out, "urllib3");
    assert_eq!(
        (u.manifest.as_str(), u.line, &u.resolved),
        (
            "requirements.txt",
            line_of(s, "requirements.txt", "urllib3>="),
            &ex("1.26.4")
        )
    );
    let j = one(&out, "jinja2");
    assert_eq!(
        (j.line, &j.resolved),
        (line_of(s, "requirements.txt", "Jinja2 ~="), &ex("2.11.2"))
    );
    // a constraint naming a package not required elsewhere is still a pin that is installed if pulled in
    let st = one(&out, "setuptools");
    assert_eq!(
        (st.manifest.as_str(), &st.resolved),
        ("constraints.txt", &ex("50.3.2"))
    );
    assert!(st.transitive, "a constraint-only pin is not a declaration");

    assert_eq!(unpinned(one(&out, "pyyaml")), "==5.*");
    assert_eq!(one(&out, "zope-interface").resolved, ex("5.4.0"));
    assert_eq!(unpinned(one(&out, "typing-extensions")), "*");
    assert!(unpinned(one(&out, "flask")).contains("!=1.1.0"));
    assert_eq!(unpinned(one(&out, "gunicorn")), "*");

    // markers are kept, not evaluated: both platform pins are reported
    let c: Vec<_> = all(&out, "cryptography")
        .iter()
        .map(|d| d.resolved.clone())
        .collect();
    assert_eq!(c, vec![ex("3.3.1"), ex("41.0.3")]);

    // -r includes, read from disk even when not a manifest by name, followed recursively
    let ce = one(&out, "certifi");
    assert_eq!(
        (ce.manifest.as_str(), ce.line, &ce.resolved),
        ("reqs/base.txt", 2, &ex("2020.12.5"))
    );
    assert_eq!(one(&out, "six").manifest, "common-requirements.txt");
    assert!(out.manifests.contains(&"reqs/base.txt".to_string()));

    // skipped, with reasons
    assert!(is_skipped(one(&out, "billing-core"), "editable"));
    assert!(is_skipped(one(&out, "shared"), "local path"));
    assert!(is_skipped(one(&out, "black"), "VCS"));
    assert!(is_skipped(one(&out, "internal-tool"), "direct URL"));
    assert!(is_skipped(one(&out, "legacy-pkg"), "local path"));
    let pd = one(&out, "pydantic");
    assert!(is_skipped(pd, "direct URL"));
    assert_eq!(pd.line, line_of(s, "requirements.txt", "pydantic @"));
    // credentials in index URLs never show up anywhere
    assert!(!format!("{out:?}").contains("s3cr3t"));
}

#[test]
fn requirements_include_cycle_is_reported_once_and_both_files_parsed() {
    let out = scan("requirements/cycle");
    let cyc: Vec<_> = out
        .notifications
        .iter()
        .filter(|n| n.code == "manifest-include-cycle")
        .collect();
    assert_eq!(cyc.len(), 1, "{:#?}", out.notifications);
    assert!(cyc
        .iter()
        .all(|n| n.message.contains("->") && n.level == NoteLevel::Warning));
    assert_eq!(one(&out, "pyjwt").resolved, ex("1.5.0"));
    assert_eq!(one(&out, "werkzeug").manifest, "requirements-b.txt");
}

#[test]
fn requirements_broken_lines_are_notifications_not_panics() {
    let out = scan("requirements/broken");
    assert_eq!(one(&out, "good").resolved, ex("1.0"));
    assert_eq!(one(&out, "also-good").resolved, ex("2.0"));
    let msgs: Vec<&str> = out
        .notifications
        .iter()
        .map(|n| n.message.as_str())
        .collect();
    for (line, what) in [
        (2, "invalid requirement"),
        (3, "invalid requirement"),
        (4, "not found"),
        (5, "not followed"),
        (6, "--no-such-option"),
    ] {
        let want = format!("requirements.txt:{line}: ");
        assert!(
            msgs.iter()
                .any(|m| m.starts_with(&want) && m.contains(what)),
            "{want}{what} in {msgs:#?}"
        );
    }
    assert!(out
        .notifications
        .iter()
        .all(|n| n.code == "manifest-error" && n.path.as_deref() == Some("requirements.txt")));
}

// ------------------------------------------------------------------------------------------ npm

#[test]
fn package_json_pinned_by_package_lock_v3() {
    let s = "npm-v3";
    let out = scan(s);
    assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
    assert_eq!(out.manifests, vec!["package-lock.json", "package.json"]);

    // a range pinned by the lockfile: at the package.json line, with the lockfile's version, once
    let l: Vec<_> = all(&out, "lodash");
    assert_eq!(l.len(), 2, "{l:#?}");
    assert_eq!(
        (
            l[0].manifest.as_str(),
            l[0].line,
            &l[0].resolved,
            l[0].transitive
        ),
        (
            "package-lock.json",
            line_of(
                s,
                "package-lock.json",
                "\"node_modules/jest/node_modules/lodash\""
            ),
            &ex("4.17.20"),
            true
        )
    );
    assert!(l[0].dev);
    assert_eq!(
        (
            l[1].manifest.as_str(),
            l[1].line,
            &l[1].resolved,
            l[1].transitive
        ),
        (
            "package.json",
            line_of(s, "package.json", "\"lodash\""),
            &ex("4.17.15"),
            false
        )
    );
    assert_eq!(l[1].column, 6);

    let b = one(&out, "@babel/runtime");
    assert_eq!(
        (b.manifest.as_str(), &b.resolved),
        ("package.json", &ex("7.12.5"))
    );
    // an alias is the real package
    let lp = one(&out, "left-pad");
    assert_eq!(
        (lp.manifest.as_str(), &lp.resolved),
        ("package.json", &ex("1.3.0"))
    );
    let j = one(&out, "jest");
    assert_eq!(
        (j.manifest.as_str(), &j.resolved, j.dev),
        ("package.json", &ex("26.6.3"), true)
    );
    assert_eq!(one(&out, "axios").resolved, ex("0.21.0"));
    // transitive: at the lockfile line
    let r = one(&out, "regenerator-runtime");
    assert_eq!(
        (r.manifest.as_str(), r.line, r.transitive),
        (
            "package-lock.json",
            line_of(
                s,
                "package-lock.json",
                "\"node_modules/regenerator-runtime\""
            ),
            true
        )
    );
    assert!(one(&out, "ansi-regex").dev, "devOptional counts as dev");
    assert!(one(&out, "@types/node").dev);
    // optional dependency pinned too; peer dependency not installed: stays a range
    assert_eq!(one(&out, "fsevents").resolved, ex("2.3.2"));
    assert_eq!(unpinned(one(&out, "react")), ">=16.8.0");
    // git and file sources: skipped once each, with a reason
    assert!(is_skipped(one(&out, "gitdep"), "git"));
    assert!(is_skipped(one(&out, "local-lib"), "local"));
}

#[test]
fn package_lock_v1_nested_and_aliases() {
    let s = "npm-v1";
    let out = scan(s);
    assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
    assert_eq!(one(&out, "express").resolved, ex("4.16.4"));
    assert_eq!(one(&out, "express").manifest, "package.json");
    let m: Vec<_> = all(&out, "minimist")
        .iter()
        .map(|d| (d.manifest.as_str(), d.resolved.clone(), d.dev))
        .collect();
    assert_eq!(
        m,
        vec![
            ("package-lock.json", ex("0.0.8"), true),
            ("package.json", ex("1.2.0"), false)
        ]
    );
    let d = one(&out, "debug");
    assert_eq!(
        (d.line, d.transitive),
        (line_of(s, "package-lock.json", "\"debug\": {"), true)
    );
    // `"version": "npm:left-pad@1.1.3"` is left-pad 1.1.3, declared as an exact alias in package.json
    let lp = one(&out, "left-pad");
    assert_eq!(
        (lp.manifest.as_str(), &lp.resolved),
        ("package.json", &ex("1.1.3"))
    );
    assert!(is_skipped(one(&out, "tarball-dep"), "local path"));
    assert!(one(&out, "mocha").dev);
}

#[test]
fn npm_workspaces_use_the_root_lockfile() {
    let s = "npm-v2-workspaces";
    let out = scan(s);
    assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
    let nf: Vec<_> = all(&out, "node-fetch");
    assert_eq!(nf.len(), 2, "{nf:#?}");
    // a folder that is not one of the lockfile's workspaces does not get its pins
    assert_eq!(
        (nf[0].manifest.as_str(), unpinned(nf[0])),
        ("examples/demo/package.json", "^2.6.0")
    );
    assert_eq!(
        (nf[1].manifest.as_str(), &nf[1].resolved, nf[1].transitive),
        ("packages/api/package.json", &ex("2.6.0"), false)
    );
    let ts = one(&out, "typescript");
    assert_eq!(
        (ts.manifest.as_str(), &ts.resolved, ts.dev),
        ("package.json", &ex("4.1.2"), true)
    );
    // a workspace sibling is linked by the lockfile: skipped, not "unpinned"
    assert!(is_skipped(one(&out, "@acme/shared"), "local package"));
    assert!(is_skipped(one(&out, "@acme/api"), "local"));
}

#[test]
fn package_json_alone() {
    let out = scan("package-json-only");
    assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
    assert_eq!(one(&out, "express").resolved, ex("4.17.1"));
    assert_eq!(unpinned(one(&out, "moment")), "^2.29.0");
    assert_eq!(unpinned(one(&out, "left-pad")), "latest");
    assert_eq!(unpinned(one(&out, "underscore")), "1.x || >=2.5.0 <3");
    assert_eq!(one(&out, "eslint").resolved, ex("7.0.0"));
    assert_eq!(one(&out, "prettier").resolved, ex("2.2.1"));
    for (n, why) in [
        ("vendored", "local path"),
        ("tarball", "tarball URL"),
        ("ws-pkg", "workspace"),
        ("linked", "link"),
        ("gitlab-dep", "git"),
        ("git-dep", "git"),
    ] {
        assert!(is_skipped(one(&out, n), why), "{n}: {:?}", one(&out, n));
    }
    assert!(!format!("{out:?}").contains("token:abc"));
}

// ------------------------------------------------------------------------------------------ other lockfiles

#[test]
fn cargo_lock_registry_git_and_path() {
    let s = "cargo";
    let out = scan(s);
    assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
    let h = one(&out, "hyper");
    assert_eq!(
        (h.ecosystem, &h.resolved, h.line, h.transitive),
        (
            Ecosystem::CratesIo,
            &ex("0.14.9"),
            line_of(s, "Cargo.lock", "name = \"hyper\""),
            false
        )
    );
    assert!(one(&out, "cfg-if").transitive);
    let t: Vec<_> = all(&out, "time")
        .iter()
        .map(|d| (d.resolved.clone(), d.transitive))
        .collect();
    assert_eq!(t, vec![(ex("0.1.43"), false), (ex("0.3.36"), true)]);
    assert!(is_skipped(one(&out, "internal-auth"), "git source"));
    assert!(
        !format!("{:?}", one(&out, "internal-auth")).contains("?tag"),
        "no query noise needed"
    );
    assert!(is_skipped(one(&out, "private-crate"), "not from crates.io"));
    assert!(is_skipped(one(&out, "edge-service"), "workspace"));
}

#[test]
fn poetry_lock() {
    let s = "poetry";
    let out = scan(s);
    assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
    // pyproject.toml ranges pinned by poetry.lock: at the pyproject line, with the locked version
    let p = one(&out, "pillow");
    assert_eq!(
        (
            p.manifest.as_str(),
            p.display_name.as_str(),
            &p.resolved,
            p.line,
            p.dev
        ),
        (
            "pyproject.toml",
            "Pillow",
            &ex("9.0.0"),
            line_of(s, "pyproject.toml", "Pillow ="),
            false
        )
    );
    let pt = one(&out, "pytest");
    assert_eq!(
        (pt.manifest.as_str(), &pt.resolved, pt.dev),
        ("pyproject.toml", &ex("6.2.5"), true)
    );
    let ry = one(&out, "ruamel-yaml");
    assert_eq!(
        (ry.manifest.as_str(), &ry.resolved),
        ("pyproject.toml", &ex("0.17.21"))
    );
    // not declared in pyproject.toml: at its poetry.lock entry
    let c = one(&out, "certifi");
    assert_eq!(
        (c.manifest.as_str(), c.line, &c.resolved),
        (
            "poetry.lock",
            line_of(s, "poetry.lock", "name = \"certifi\""),
            &ex("2022.12.7")
        )
    );
    assert!(c.transitive, "not declared in pyproject.toml");
    assert!(is_skipped(one(&out, "internal-sdk"), "git source"));
    assert!(is_skipped(one(&out, "shared-utils"), "local path"));
    // the python constraint and build requirements are not dependencies
    assert!(all(&out, "python").is_empty() && all(&out, "poetry-core").is_empty());
}

#[test]
fn pipfile_lock() {
    let s = "pipfile";
    let out = scan(s);
    assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
    // Pipfile's `*` pinned by Pipfile.lock: at the Pipfile line
    let f = one(&out, "flask");
    assert_eq!(
        (f.manifest.as_str(), &f.resolved, f.line, f.dev),
        (
            "Pipfile",
            &ex("1.1.2"),
            line_of(s, "Pipfile", "flask ="),
            false
        )
    );
    let m = one(&out, "markupsafe");
    assert_eq!(
        (m.manifest.as_str(), &m.resolved),
        ("Pipfile", &ex("2.0.1"))
    );
    let p = one(&out, "pytest");
    assert_eq!(
        (p.manifest.as_str(), &p.resolved, p.dev),
        ("Pipfile", &ex("6.2.4"), true)
    );
    assert!(is_skipped(one(&out, "internal-lib"), "git"));
    assert!(is_skipped(one(&out, "local-pkg"), "local path"));
}

#[test]
fn uv_lock() {
    let s = "uv";
    let out = scan(s);
    assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
    let a = one(&out, "anyio");
    assert_eq!(
        (a.manifest.as_str(), &a.resolved, a.line, a.transitive),
        (
            "pyproject.toml",
            &ex("4.4.0"),
            line_of(s, "pyproject.toml", "\"anyio>=4\""),
            false
        )
    );
    assert_eq!(a.column, 6);
    let i = one(&out, "idna");
    assert_eq!(
        (i.manifest.as_str(), i.line, i.transitive),
        (
            "uv.lock",
            line_starting(s, "uv.lock", "name = \"idna\""),
            true
        )
    );
    assert_eq!(one(&out, "jinja2").resolved, ex("3.1.3"));
    let p = one(&out, "pytest");
    assert_eq!(
        (p.manifest.as_str(), &p.resolved),
        ("pyproject.toml", &ex("8.2.0"))
    );
    assert!(p.dev && !p.transitive);
    // `private-dep` has no version in pyproject.toml and a git source in uv.lock
    // declared without a version, from git per `[tool.uv.sources]` and uv.lock: skipped once, at pyproject.toml
    let pd = one(&out, "private-dep");
    assert_eq!(pd.manifest, "pyproject.toml");
    assert!(is_skipped(pd, "git"), "{pd:#?}");
    assert!(is_skipped(
        one(&out, "fastapi-service"),
        "the project itself"
    ));
}

#[test]
fn yarn_v1_with_package_json() {
    let s = "yarn-v1";
    let out = scan(s);
    assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
    let cf = one(&out, "@babel/code-frame");
    assert_eq!(
        (cf.manifest.as_str(), &cf.resolved),
        ("package.json", &ex("7.12.13"))
    );
    let h = one(&out, "@babel/highlight");
    assert_eq!(
        (h.manifest.as_str(), h.line, h.transitive),
        (
            "yarn.lock",
            line_of(s, "yarn.lock", "\"@babel/highlight@^7.12.13\":"),
            true
        )
    );
    assert_eq!(one(&out, "lodash").resolved, ex("4.17.15"));
    let lp = one(&out, "left-pad");
    assert_eq!(
        (lp.manifest.as_str(), &lp.resolved),
        ("package.json", &ex("1.3.0"))
    );
    let m = one(&out, "minimist");
    assert_eq!((&m.resolved, m.dev), (&ex("1.2.5"), true));
    assert!(is_skipped(one(&out, "mylib"), "git"));
}

#[test]
fn yarn_berry_with_package_json() {
    let s = "yarn-berry";
    let out = scan(s);
    assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
    assert_eq!(one(&out, "lodash").resolved, ex("4.17.20"));
    assert_eq!(one(&out, "lodash").manifest, "package.json");
    // the compat patch of resolve 1.20.0 is still resolve 1.20.0: reported once
    let r = one(&out, "resolve");
    assert_eq!(
        (r.manifest.as_str(), &r.resolved),
        ("package.json", &ex("1.20.0"))
    );
    let f = one(&out, "function-bind");
    assert_eq!(
        (f.line, f.transitive),
        (
            line_of(s, "yarn.lock", "\"function-bind@npm:^1.1.1\":"),
            true
        )
    );
    assert!(is_skipped(one(&out, "@acme/ui"), "workspace"));
    assert!(is_skipped(one(&out, "storefront"), "workspace"));
}

#[test]
fn pnpm_v5() {
    let s = "pnpm-v5";
    let out = scan(s);
    assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
    let rd = one(&out, "react-dom");
    assert_eq!(
        (rd.manifest.as_str(), &rd.resolved),
        ("package.json", &ex("17.0.2"))
    );
    let r = one(&out, "react");
    assert_eq!(
        (r.manifest.as_str(), r.line, &r.resolved, r.transitive),
        (
            "pnpm-lock.yaml",
            line_of(s, "pnpm-lock.yaml", "/react/17.0.2:"),
            &ex("17.0.2"),
            true
        )
    );
    let t = one(&out, "typescript");
    assert_eq!((&t.resolved, t.dev), (&ex("4.3.5"), true));
    assert!(is_skipped(one(&out, "forked-lib"), "tarball"));
    assert!(is_skipped(one(&out, "utils"), "link"));
}

#[test]
fn pnpm_v6() {
    let s = "pnpm-v6";
    let out = scan(s);
    assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
    assert_eq!(one(&out, "express").resolved, ex("4.17.1"));
    assert_eq!(one(&out, "@types/express").manifest, "package.json");
    let n = one(&out, "@types/node");
    assert_eq!(
        (n.line, n.column, n.transitive),
        (
            line_of(s, "pnpm-lock.yaml", "/@types/node@20.8.0:"),
            3,
            true
        )
    );
    let hp = one(&out, "http-proxy-fork");
    assert_eq!(
        (hp.manifest.as_str(), &hp.resolved),
        ("package.json", &ex("1.18.2"))
    );
    let v = one(&out, "vitest");
    assert_eq!((&v.resolved, v.dev), (&ex("0.34.6"), true));
    assert!(one(&out, "jsdom").dev);
}

#[test]
fn pnpm_v9_with_workspace_importers() {
    let s = "pnpm-v9";
    let out = scan(s);
    assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
    let vue: Vec<_> = all(&out, "vue")
        .iter()
        .map(|d| (d.manifest.as_str(), d.resolved.clone()))
        .collect();
    // declared by two package.json files of one pnpm project: reported at the first, once
    assert_eq!(vue, vec![("package.json", ex("3.4.15"))]);
    let dj = one(&out, "dayjs");
    assert_eq!(
        (dj.manifest.as_str(), &dj.resolved),
        ("packages/widgets/package.json", &ex("1.11.10"))
    );
    let fr = one(&out, "follow-redirects");
    assert_eq!(
        (fr.manifest.as_str(), fr.line, fr.transitive),
        (
            "pnpm-lock.yaml",
            line_of(s, "pnpm-lock.yaml", "  follow-redirects@1.15.3:"),
            true
        )
    );
    assert!(one(&out, "typescript").dev);
}

// ------------------------------------------------------------------------------------------ robustness

#[test]
fn whole_tree_is_deterministic_and_sorted() {
    let a = scan("");
    let b = scan("");
    assert_eq!(a, b);
    let mut sorted = a.dependencies.clone();
    sorted.sort_by(|x, y| {
        (&x.manifest, x.line, x.column, &x.name).cmp(&(&y.manifest, y.line, y.column, &y.name))
    });
    assert_eq!(
        a.dependencies
            .iter()
            .map(|d| (&d.manifest, d.line))
            .collect::<Vec<_>>(),
        sorted
            .iter()
            .map(|d| (&d.manifest, d.line))
            .collect::<Vec<_>>()
    );
    let mut n = a.notifications.clone();
    n.sort();
    assert_eq!(n, a.notifications);
    assert!(a.dependencies.len() > 100);
}

#[test]
fn truncated_fixtures_never_panic_and_broken_structured_files_are_reported() {
    let root = fixtures();
    let files = files_of(&root);
    let tmp = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for f in files.iter().filter(|f| is_manifest(&f.rel)) {
        let bytes = std::fs::read(&f.abs).unwrap();
        let name = f.file_name().to_string();
        let structured = name.ends_with(".json")
            || name.ends_with(".lock") && name != "yarn.lock"
            || name.ends_with(".yaml");
        for cut in (1..bytes.len()).step_by(100) {
            let dir = tmp.path().join(format!("c{checked}"));
            std::fs::create_dir_all(&dir).unwrap();
            let p = dir.join(&name);
            std::fs::write(&p, &bytes[..cut]).unwrap();
            let sf = SourceFile {
                rel: name.clone(),
                abs: p,
                size: cut as u64,
            };
            let out = parse_all(&dir, &[sf]);
            if structured && name.ends_with(".json") {
                assert!(
                    out.notifications.iter().any(|n| n.code == "manifest-error"
                        && n.message.starts_with(&format!("{name}:"))),
                    "{} cut at {cut}: no notification",
                    f.rel
                );
            }
            for n in &out.notifications {
                assert!(n.line.unwrap_or(1) >= 1);
                // parsers run behind catch_unwind: a panic would show up as an internal error
                assert!(
                    !n.message.contains("internal error"),
                    "{} cut at {cut}: {}",
                    f.rel,
                    n.message
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked}");
}

#[test]
fn garbage_in_every_format_is_a_notification() {
    let tmp = tempfile::tempdir().unwrap();
    let garbage = "\u{0}\u{1}{[\"::: -\n\t- ]]\n@@@:\n";
    let names = [
        "package.json",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "Cargo.lock",
        "poetry.lock",
        "Pipfile.lock",
        "uv.lock",
        "yarn.lock",
        "pnpm-lock.yaml",
        "requirements.txt",
    ];
    let mut files = Vec::new();
    for n in names {
        let p = tmp.path().join(n);
        std::fs::write(&p, garbage).unwrap();
        files.push(SourceFile {
            rel: n.into(),
            abs: p,
            size: garbage.len() as u64,
        });
    }
    let out = parse_all(tmp.path(), &files);
    for n in names {
        assert!(
            out.notifications
                .iter()
                .any(|x| x.path.as_deref() == Some(n)),
            "{n}: {:#?}",
            out.notifications
        );
    }
    assert!(out.dependencies.is_empty(), "{:#?}", out.dependencies);
}

#[test]
fn large_lockfile_parses_fast() {
    use std::fmt::Write;
    let mut s = String::from("{\n  \"name\": \"big\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n    \"\": {\"name\": \"big\"},\n");
    for i in 0..2000 {
        let nested = if i % 3 == 0 {
            format!("node_modules/parent-{}/node_modules/", i % 50)
        } else {
            "node_modules/".into()
        };
        write!(
            s,
            "    \"{nested}pkg-{i}\": {{\n      \"version\": \"{}.{}.{}\",\n      \"resolved\": \"https://registry.npmjs.org/pkg-{i}/-/pkg-{i}-1.0.0.tgz\",\n      \"integrity\": \"sha512-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa==\",\n      \"dev\": {},\n      \"dependencies\": {{\"pkg-{}\": \"^1.0.0\"}}\n    }},\n",
            i % 7, i % 13, i % 100, i % 2 == 0, (i + 1) % 2000
        )
        .unwrap();
    }
    s.push_str("    \"node_modules/last\": {\"version\": \"1.0.0\"}\n  }\n}\n");
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("package-lock.json");
    std::fs::write(&p, &s).unwrap();
    let files = [SourceFile {
        rel: "package-lock.json".into(),
        abs: p,
        size: s.len() as u64,
    }];
    let _ = parse_all(tmp.path(), &files); // warm the file cache
                                           // the best of five runs: the machine is shared
    let mut took = std::time::Duration::MAX;
    let mut out = ParseOutput::default();
    for _ in 0..5 {
        let t = std::time::Instant::now();
        out = parse_all(tmp.path(), &files);
        took = took.min(t.elapsed());
    }
    assert_eq!(out.dependencies.len(), 2001);
    eprintln!(
        "2,001-package package-lock.json ({} KiB): {took:?}",
        s.len() / 1024
    );
    // generous for an unoptimised test build on a loaded machine; release builds take a few ms
    assert!(took.as_millis() < 1500, "{took:?}");
}

#[test]
fn hostile_nesting_and_yaml_bombs_are_refused_not_crashed() {
    let tmp = tempfile::tempdir().unwrap();
    let deep_json = "[".repeat(200_000);
    let deep_yaml = format!(
        "lockfileVersion: '9.0'\npackages: {}\n",
        "[".repeat(200_000)
    );
    let deep_toml = format!("version = 3\nx = {}\n", "[".repeat(200_000));
    let mut bomb = String::from("lockfileVersion: '9.0'\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for i in 0..9u8 {
        let (p, c) = ((b'a' + i) as char, (b'b' + i) as char);
        bomb.push_str(&format!(
            "{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
        ));
    }
    let cases = [
        ("package-lock.json", deep_json.clone()),
        ("package.json", deep_json),
        ("pnpm-lock.yaml", deep_yaml),
        ("Cargo.lock", deep_toml.clone()),
        ("uv.lock", deep_toml),
    ];
    for (i, (name, text)) in cases.iter().enumerate() {
        let dir = tmp.path().join(format!("d{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        let out = parse_all(
            &dir,
            &[SourceFile {
                rel: name.to_string(),
                abs: p,
                size: text.len() as u64,
            }],
        );
        assert!(
            out.notifications.iter().any(|n| n.code == "manifest-error"),
            "{name}: {:#?}",
            out.notifications
        );
    }
    let dir = tmp.path().join("bomb");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("pnpm-lock.yaml");
    std::fs::write(&p, &bomb).unwrap();
    let t = std::time::Instant::now();
    let _ = parse_all(
        &dir,
        &[SourceFile {
            rel: "pnpm-lock.yaml".into(),
            abs: p,
            size: bomb.len() as u64,
        }],
    );
    assert!(t.elapsed().as_secs() < 5);
}

#[test]
fn pip_tools_in_file_pinned_by_its_compiled_txt() {
    let s = "pip-tools";
    let out = scan(s);
    assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
    let f = one(&out, "flask");
    assert_eq!(
        (f.manifest.as_str(), f.line, &f.resolved),
        (
            "requirements.in",
            line_of(s, "requirements.in", "flask>="),
            &ex("2.3.2")
        )
    );
    let r = one(&out, "requests");
    assert_eq!(
        (r.manifest.as_str(), &r.resolved),
        ("requirements.in", &ex("2.31.0"))
    );
    let w = one(&out, "werkzeug");
    assert_eq!(
        (w.manifest.as_str(), &w.resolved),
        ("requirements.txt", &ex("2.3.7"))
    );
    // `# via flask` in pip-compile output: transitive; the .in declarations are direct
    assert!(w.transitive && !f.transitive && !r.transitive);
    assert_eq!(out.dependencies.len(), 11);
}

#[test]
fn utf16_requirements_from_powershell() {
    let out = scan("requirements-utf16");
    assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
    let r = one(&out, "requests");
    assert_eq!((r.line, &r.resolved), (1, &ex("2.19.0")));
    assert_eq!(
        (one(&out, "django").line, &one(&out, "django").resolved),
        (2, &ex("2.2.0"))
    );
}

#[test]
fn large_pnpm_and_yarn_lockfiles_parse_fast() {
    use std::fmt::Write;
    let mut pnpm = String::from("lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      pkg-0:\n        specifier: ^0.0.0\n        version: 0.0.0\n\npackages:\n\n");
    let mut snaps = String::from("snapshots:\n\n");
    let mut yarn = String::from("# yarn lockfile v1\n\n\n");
    for i in 0..2000 {
        let v = format!("{}.{}.{}", i % 7, i % 13, i % 100);
        let (name, v) = if i == 0 {
            ("pkg-0".to_string(), "0.0.0".to_string())
        } else {
            (format!("pkg-{i}"), v)
        };
        write!(pnpm, "  {name}@{v}:\n    resolution: {{integrity: sha512-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa==}}\n    engines: {{node: '>=14'}}\n\n").unwrap();
        write!(
            snaps,
            "  {name}@{v}:\n    dependencies:\n      pkg-{}: 1.0.0\n\n",
            (i + 1) % 2000
        )
        .unwrap();
        write!(yarn, "\"{name}@^{v}\", {name}@~{v}:\n  version \"{v}\"\n  resolved \"https://registry.yarnpkg.com/{name}/-/{name}-{v}.tgz#abc\"\n  integrity sha512-aaaa==\n  dependencies:\n    pkg-{} \"^1.0.0\"\n\n", (i + 1) % 2000).unwrap();
    }
    pnpm.push_str(&snaps);
    let tmp = tempfile::tempdir().unwrap();
    for (name, text) in [("pnpm-lock.yaml", &pnpm), ("yarn.lock", &yarn)] {
        let dir = tmp.path().join(name.replace('.', "_"));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        let files = [SourceFile {
            rel: name.into(),
            abs: p,
            size: text.len() as u64,
        }];
        let mut took = std::time::Duration::MAX;
        let mut out = ParseOutput::default();
        for _ in 0..5 {
            let t = std::time::Instant::now();
            out = parse_all(&dir, &files);
            took = took.min(t.elapsed());
        }
        assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
        assert_eq!(out.dependencies.len(), 2000, "{name}");
        eprintln!("2,000-package {name} ({} KiB): {took:?}", text.len() / 1024);
        assert!(took.as_millis() < 3000, "{took:?}");
    }
}

#[test]
fn yarn_v1_workspaces_from_package_json_globs() {
    let out = scan("yarn-v1-workspaces");
    assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
    let l: Vec<_> = all(&out, "lodash")
        .iter()
        .map(|d| (d.manifest.as_str(), d.resolved.clone()))
        .collect();
    assert_eq!(
        l,
        vec![
            ("packages/web/package.json", ex("4.17.11")),
            (
                "tools/script/package.json",
                Resolved::Unpinned {
                    spec: "^4.17.11".into()
                }
            ),
        ]
    );
}

#[test]
fn broken_files_name_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, u32)] = &[
        ("package-lock.json", "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/a\": {\"version\": \"1.0.0\",}\n  }\n}\n", 4),
        ("package.json", "{\n  \"dependencies\": {\n    \"a\": \"1.0.0\"\n    \"b\": \"2.0.0\"\n  }\n}\n", 4),
        ("Pipfile.lock", "{\n  \"default\": {\n    \"a\": {\"version\": \"==1.0\"}\n  },\n  \"develop\": [\n", 6),
        ("pnpm-lock.yaml", "lockfileVersion: '9.0'\n\npackages:\n\n  a@1.0.0:\n    resolution: {integrity: sha512-x}\n   bad: [unclosed\n", 7),
        ("poetry.lock", "[[package]]\nname = \"a\"\nversion = \"1.0\"\n\n[[package]]\nname = \"b\"\nversion = 1.0.0\n", 7),
        ("uv.lock", "version = 1\n\n[[package]]\nname = \"a\"\nversion = \"1.0\"\nsource = { registry = \"https://pypi.org/simple\"\n", 6),
        ("Cargo.lock", "version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \n", 7),
        ("yarn.lock", "# yarn lockfile v1\n\n\na@^1:\n  version \"1.0.0\"\n\nthis line is not yarn\n", 7),
        ("pyproject.toml", "[project]\nname = \"x\"\ndependencies = [\n  \"requests==2.0\",\n  \"bad spec ==\",\n]\n", 5),
    ];
    for (i, (name, text, line)) in cases.iter().enumerate() {
        let dir = tmp.path().join(format!("b{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        let out = parse_all(
            &dir,
            &[SourceFile {
                rel: name.to_string(),
                abs: p,
                size: text.len() as u64,
            }],
        );
        let want = format!("{name}:{line}: ");
        assert!(
            out.notifications.iter().any(|n| n.code == "manifest-error"
                && n.message.starts_with(&want)
                && n.line == Some(*line)
                && n.path.as_deref() == Some(name)),
            "{want}: {:#?}",
            out.notifications
        );
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    let root = fixtures();
    let files = files_of(&root);
    let tmp = tempfile::tempdir().unwrap();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let noise = b"{}[]:,\"'\\\n #-@=^~*<>!|&()/.0123456789abcxyz\t\r";
    let mut runs = 0;
    for f in files.iter().filter(|f| is_manifest(&f.rel)) {
        let bytes = std::fs::read(&f.abs).unwrap();
        let name = f.file_name().to_string();
        for k in 0..40 {
            let mut m = bytes.clone();
            for _ in 0..(1 + k % 4) {
                if m.is_empty() {
                    break;
                }
                let at = (next() as usize) % m.len();
                match next() % 3 {
                    0 => m[at] = noise[(next() as usize) % noise.len()],
                    1 => {
                        m.remove(at);
                    }
                    _ => m.insert(at, noise[(next() as usize) % noise.len()]),
                }
            }
            let dir = tmp.path().join(format!("m{runs}"));
            std::fs::create_dir_all(&dir).unwrap();
            let p = dir.join(&name);
            std::fs::write(&p, &m).unwrap();
            let out = parse_all(
                &dir,
                &[SourceFile {
                    rel: name.clone(),
                    abs: p,
                    size: m.len() as u64,
                }],
            );
            assert!(
                out.notifications
                    .iter()
                    .all(|n| !n.message.contains("internal error")),
                "{} mutation {k}: {:#?}",
                f.rel,
                out.notifications
            );
            runs += 1;
        }
    }
    assert!(runs > 500, "{runs}");
}

#[test]
fn shared_constraints_file_in_another_folder_is_reported_once() {
    let out = scan("requirements-shared-constraints");
    assert!(out.notifications.is_empty(), "{:#?}", out.notifications);
    let u = one(&out, "urllib3");
    assert_eq!(
        (u.manifest.as_str(), u.line, &u.resolved, u.transitive),
        ("svc-a/requirements.txt", 2, &ex("1.26.4"), false)
    );
    // a pin nothing here asked for stays at the constraints file, as a transitive pin
    let i = one(&out, "idna");
    assert_eq!(
        (i.manifest.as_str(), &i.resolved, i.transitive),
        ("constraints.txt", &ex("2.8"), true)
    );
}
