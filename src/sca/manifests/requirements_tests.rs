//! Tests of the requirements-file reader (`requirements.rs`): lines, options, includes and cycles.

use super::*;

fn deps(text: &str) -> Vec<(String, Resolved, u32)> {
    parse_file("r.txt", text)
        .deps
        .into_iter()
        .map(|d| (d.name, d.resolved, d.line))
        .collect()
}

#[test]
fn operators() {
    let d = deps("a==1.0\nb===1.0-weird\nc==1.2.*\nd~=1.4\ne>=2,<3\nf!=1\ng\nh<=2\ni>1\nj<3\nk>=1.0,==1.5\nl == 2.0.0rc1\n");
    assert_eq!(d[0].1, exact("1.0"));
    assert_eq!(d[1].1, exact("1.0-weird"));
    assert!(matches!(&d[2].1, Resolved::Unpinned { spec } if spec == "==1.2.*"));
    assert!(matches!(&d[3].1, Resolved::Unpinned { spec } if spec == "~=1.4"));
    assert!(
        matches!(&d[4].1, Resolved::Unpinned { spec } if spec.contains(">=2") && spec.contains("<3"))
    );
    assert!(matches!(&d[6].1, Resolved::Unpinned { spec } if spec == "*"));
    for x in &d[5..11] {
        if x.0 != "k" {
            assert!(matches!(x.1, Resolved::Unpinned { .. }), "{x:?}");
        }
    }
    assert_eq!(d[10].1, exact("1.5"));
    assert_eq!(d[11].1, exact("2.0.0rc1"));
}

#[test]
fn comments_continuations_options() {
    let t = "# top comment\nrequests==2.31.0 \\\n    --hash=sha256:abc \\\n    --hash=sha256:def  # pinned\n\n--index-url https://user:pw@pypi.example/simple\n  Django[argon2] >= 4.2 ; python_version >= \"3.8\"\nfoo==1.0 # comment\n-i https://x --pre\n";
    let f = parse_file("r.txt", t);
    assert!(f.notes.is_empty(), "{:?}", f.notes);
    let d: Vec<_> = f
        .deps
        .iter()
        .map(|d| (d.name.as_str(), d.line, d.column))
        .collect();
    assert_eq!(d[0], ("requests", 2, 1));
    assert_eq!(d[1], ("django", 7, 3));
    assert_eq!(f.deps[1].display_name, "Django");
    assert_eq!(d.len(), 3);
    assert_eq!(f.deps[0].resolved, exact("2.31.0"));
    assert_eq!((d[2].1, &f.deps[2].resolved), (8, &exact("1.0")));
    // `#` not preceded by whitespace is not a comment: pep508 then refuses the line, which is said
    let f2 = parse_file("r.txt", "urllib3==1.26.5#x\n");
    assert!(f2.deps.is_empty() && f2.notes.len() == 1);
}

#[test]
fn skipped_kinds_have_reasons() {
    let t = "-e git+https://github.com/org/proj.git@v1#egg=Proj_Name\n-e .\n./local/pkg\nfile:///tmp/x-1.0.tar.gz\nhttps://files.example/pkg/foo_bar-2.0-py3-none-any.whl\ngit+https://tok:secret@github.com/org/lib.git\nname @ https://example.com/name-1.0.zip\nother[x] @ git+https://github.com/o/other\n/abs/path/thing\n";
    let f = parse_file("r.txt", t);
    assert!(f.notes.is_empty(), "{:?}", f.notes);
    let got: Vec<_> = f
        .deps
        .iter()
        .map(|d| match &d.resolved {
            Resolved::Skipped { reason } => (d.name.clone(), reason.clone()),
            r => panic!("not skipped: {r:?}"),
        })
        .collect();
    assert_eq!(got.len(), 9);
    assert_eq!(got[0].0, "proj-name");
    assert!(got[0].1.starts_with("editable install"));
    assert!(got[0].1.contains("VCS"));
    assert!(got[1].1.contains("local path"));
    assert_eq!(got[1].0, ".");
    assert_eq!(got[2].0, "pkg");
    assert!(got[3].1.contains("local path"));
    assert_eq!(got[3].0, "x");
    assert_eq!(got[4].0, "foo-bar");
    assert!(got[4].1.contains("direct URL"));
    assert_eq!(got[5].0, "lib");
    assert!(!got[5].1.contains("secret"), "{}", got[5].1);
    assert_eq!(got[6].0, "name");
    assert_eq!(got[7].0, "other");
    assert!(got[7].1.contains("VCS"));
    assert_eq!(got[8].0, "thing");
    let f = parse_file("r.txt", "-e ./libs/core[dev,test]\n-e .[dev]\n");
    assert_eq!(f.deps[0].name, "core");
    assert_eq!(f.deps[1].name, ".[dev]");
}

#[test]
fn includes_and_bad_lines() {
    let f = parse_file(
        "a/r.txt",
        "-r base.txt\n--requirement=../c.txt\n-cconstraints.txt\nfoo==\n--bogus\n",
    );
    assert_eq!(
        f.includes,
        vec![
            (IncludeKind::Requirement, "base.txt".into(), 1),
            (IncludeKind::Requirement, "../c.txt".into(), 2),
            (IncludeKind::Constraint, "constraints.txt".into(), 3)
        ]
    );
    assert_eq!(f.notes.len(), 2);
    assert!(
        f.notes[0]
            .message
            .starts_with("a/r.txt:4: invalid requirement `foo==`"),
        "{}",
        f.notes[0].message
    );
    assert!(f.notes[1].message.contains("--bogus"));
    assert_eq!(
        resolve_include("a/b/r.txt", "../c.txt").as_deref(),
        Some("a/c.txt")
    );
    assert_eq!(resolve_include("r.txt", "../c.txt"), None);
    assert_eq!(resolve_include("r.txt", "/etc/x"), None);
}

#[test]
fn pip_compile_via_comments() {
    let t = "certifi==2023.7.22 \\\n    --hash=sha256:abc\n    # via requests\nflask==2.3.2\n    # via -r requirements.in\nmarkupsafe==2.1.3\n    # via\n    #   jinja2\n    #   werkzeug\nclick==8.1.7  # via flask\nrequests==2.31.0  # via -r requirements.in, other\nsix==1.16.0\n";
    let f = parse_file("requirements.txt", t);
    let got: Vec<_> = f
        .deps
        .iter()
        .map(|d| (d.name.as_str(), d.transitive))
        .collect();
    assert_eq!(
        got,
        vec![
            ("certifi", true),
            ("flask", false),
            ("markupsafe", true),
            ("click", true),
            ("requests", false),
            ("six", false)
        ]
    );
}

#[test]
fn invalid_names_do_not_panic() {
    for t in [
        "also-goo-==1.0\n",
        "a_==1\n",
        "x.>=1\n",
        "-==1\n",
        "==1.0\n",
        "[x]==1\n",
    ] {
        let f = parse_file("r.txt", t);
        assert!(f.deps.is_empty(), "{t:?}: {:?}", f.deps);
        assert_eq!(f.notes.len(), 1, "{t:?}: {:?}", f.notes);
    }
}

#[test]
fn random_requirement_lines_never_reach_a_pep508_panic() {
    let parts = [
        "a",
        "B",
        "x-",
        "y_",
        "z.",
        "-",
        "_",
        ".",
        "1",
        "[",
        "]",
        "[e]",
        ",",
        "==",
        "===",
        "~=",
        ">=",
        "<",
        "!=",
        "*",
        "1.0",
        ".*",
        "@",
        " @ ",
        "https://h/p",
        "git+https://h/r.git",
        ";",
        " ; ",
        "python_version",
        "<\"3.8\"",
        " and ",
        " or ",
        "extra",
        "==\"x\"",
        "(",
        ")",
        " ",
        "\"",
        "'",
        "#",
        "\\",
        "v",
        "+local",
        "é",
    ];
    let mut seed: u64 = 88172645463325252;
    let mut caught = Vec::new();
    for _ in 0..50_000 {
        let mut line = String::new();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        for k in 0..(1 + seed % 9) {
            let r = seed.rotate_left((k * 7) as u32);
            line.push_str(parts[(r % parts.len() as u64) as usize]);
        }
        if let Err(e) = classify(&line) {
            if e == "not a valid requirement" {
                caught.push(line);
            }
        }
    }
    assert!(caught.is_empty(), "pep508_rs panicked on: {caught:?}");
}

#[test]
fn comment_line_ends_continuation() {
    let d = deps("a==1 \\\n# c \\\nb==2\n");
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!((d[0].0.as_str(), d[0].2), ("a", 1));
    assert_eq!((d[1].0.as_str(), d[1].2), ("b", 3));
}
