//! Loading secret rules: the YAML format (`RuleFile`), its validation with the line of each problem, the
//! built-in rules (from the build step's precompiled JSON, `build/secrets_rules.rs`), `--rules DIR` folders.

use super::{Detector, Example, LazyGlobs, LazyRegex, Matcher, Rule};
use crate::error::{Error, Result};
use crate::finding::Severity;
use crate::rule::Precision;
use globset::GlobBuilder;
use include_dir::{include_dir, Dir};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The rules compiled into the binary.
pub static BUILTIN_RULES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/rules/secrets");

/// The built-in rules as the build step wrote them: per file (sorted by name) the YAML as JSON and the
/// regex rule's first positive example redacted, or the error that kept the step from taking the file.
static PRECOMPILED: &str = include_str!(concat!(env!("OUT_DIR"), "/secrets_rules.json"));

#[derive(Deserialize)]
struct Precompiled {
    file: String,
    #[serde(default)]
    rule: Option<RuleFile>,
    #[serde(default)]
    example: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RuleFile {
    id: String,
    title: String,
    severity: Severity,
    #[serde(default)]
    precision: Precision,
    #[serde(default = "default_cwe")]
    cwe: Vec<u32>,
    keywords: Vec<String>,
    regex: Option<String>,
    detector: Option<String>,
    entropy: Option<f64>,
    min_length: Option<usize>,
    #[serde(default)]
    allowlist: AllowlistFile,
    description: String,
    remediation: String,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    examples: ExamplesFile,
}

fn default_cwe() -> Vec<u32> {
    vec![798]
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct AllowlistFile {
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    stopwords: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ExamplesFile {
    #[serde(default)]
    positive: Vec<Example>,
    #[serde(default)]
    negative: Vec<Example>,
}

/// The 1-based line where `key:` starts at the top level of a rule file (1 if absent).
fn key_line(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|i| i + 1)
        .unwrap_or(1)
}

/// Parse and validate one rule file. `name` is the path shown in errors; `stem` the file name without
/// extension (must equal the id).
pub fn parse_rule(name: &str, stem: &str, text: &str) -> Result<Rule> {
    let file: RuleFile = crate::doc::yaml::from_str(text).map_err(|e| {
        let line = e.line as usize;
        // serde_norway appends " at line N column M"; the prefix already says where.
        let msg = e.to_string();
        let msg = match msg.find(" at line ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        };
        Error::Rule {
            path: PathBuf::from(name),
            line,
            message: msg,
        }
    })?;
    build_rule(name, stem, file, text, true)
}

/// Validate a parsed rule file and make the rule. `text` is the file's text (for the line of an error and
/// the rule's hash); `check_regexes`: parse every regex now (the build step already compiled the built-in
/// rules' regexes).
fn build_rule(
    name: &str,
    stem: &str,
    file: RuleFile,
    text: &str,
    check_regexes: bool,
) -> Result<Rule> {
    let err = |line: usize, message: String| Error::Rule {
        path: PathBuf::from(name),
        line,
        message,
    };
    let lazy = |pattern: &str| {
        if check_regexes {
            LazyRegex::new(pattern)
        } else {
            Ok(LazyRegex::unchecked(pattern))
        }
    };
    let id_line = || key_line(text, "id");
    if !file.id.starts_with("SEC-")
        || file.id.len() <= 4
        || !file
            .id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(err(
            id_line(),
            format!(
                "rule id `{}` must be upper-case letters, digits and dashes, starting with `SEC-`",
                file.id
            ),
        ));
    }
    if file.id != stem {
        return Err(err(
            id_line(),
            format!(
                "rule id `{}` does not match the file name `{stem}` (one rule per file, named after its id)",
                file.id
            ),
        ));
    }
    if file.title.trim().is_empty() {
        return Err(err(key_line(text, "title"), "empty `title`".into()));
    }
    let kw_line = || key_line(text, "keywords");
    if file.keywords.is_empty() {
        return Err(err(
            kw_line(),
            "`keywords` must not be empty: the rule runs only on files containing one".into(),
        ));
    }
    for k in &file.keywords {
        if k.is_empty() {
            return Err(err(kw_line(), "empty keyword".into()));
        }
        if *k != k.to_lowercase() {
            return Err(err(kw_line(), format!("keyword `{k}` must be lower-case")));
        }
    }
    let matcher = match (&file.regex, &file.detector) {
        (Some(_), Some(_)) => {
            return Err(err(
                key_line(text, "detector"),
                "a rule has either `regex` or `detector`, not both".into(),
            ))
        }
        (None, None) => {
            return Err(err(
                id_line(),
                "missing `regex` (or `detector` for a built-in detector)".into(),
            ))
        }
        (Some(pattern), None) => {
            let line = key_line(text, "regex");
            let re =
                lazy(pattern).map_err(|e| err(line, format!("invalid regex: {}", one_line(&e))))?;
            Matcher::Regex(re)
        }
        (None, Some(d)) => match Detector::parse(d) {
            Some(d) => Matcher::Detector(d),
            None => {
                return Err(err(
                    key_line(text, "detector"),
                    format!(
                        "unknown detector `{d}` (expected {})",
                        Detector::ALL
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ))
            }
        },
    };
    if let Some(e) = file.entropy {
        if !(0.0..=8.0).contains(&e) {
            return Err(err(
                key_line(text, "entropy"),
                format!("entropy {e} out of range (0 to 8 bits per character)"),
            ));
        }
    }
    let al_line = || key_line(text, "allowlist");
    let mut allow_regexes = Vec::new();
    for r in &file.allowlist.regexes {
        allow_regexes.push(lazy(r).map_err(|e| {
            err(
                al_line(),
                format!("invalid allowlist regex `{r}`: {}", one_line(&e)),
            )
        })?);
    }
    let mut globs = Vec::with_capacity(file.allowlist.paths.len());
    for p in &file.allowlist.paths {
        globs.push(
            GlobBuilder::new(p)
                .literal_separator(true)
                .build()
                .map_err(|e| err(al_line(), format!("invalid allowlist path glob: {e}")))?,
        );
    }
    let allow_paths = LazyGlobs::new(globs);
    if file.description.trim().is_empty() {
        return Err(err(
            key_line(text, "description"),
            "empty `description`".into(),
        ));
    }
    if file.remediation.trim().is_empty() {
        return Err(err(
            key_line(text, "remediation"),
            "empty `remediation`".into(),
        ));
    }
    Ok(Rule {
        id: file.id,
        title: file.title.trim().to_string(),
        severity: file.severity,
        precision: file.precision,
        cwe: file.cwe,
        keywords: file.keywords,
        matcher,
        regex_source: file.regex.unwrap_or_default(),
        entropy: file.entropy,
        min_length: file.min_length,
        allow_regexes,
        allow_paths,
        stopwords: file
            .allowlist
            .stopwords
            .iter()
            .map(|s| s.to_lowercase())
            .collect(),
        description: file.description,
        remediation: file.remediation,
        references: file.references,
        tags: file.tags,
        positive: file.examples.positive,
        negative: file.examples.negative,
        source: name.to_string(),
        text_hash: *blake3::hash(text.as_bytes()).as_bytes(),
        help_example: None,
    })
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_rule_file(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

fn stem_of(name: &str) -> &str {
    name.trim_end_matches(".yaml").trim_end_matches(".yml")
}

/// The rules compiled into the binary, sorted by id: from the build step's JSON (no YAML parse, no regex
/// syntax check: the build compiled every regex), or from the YAML files when the build step could not
/// take one of them (then the YAML parse reports the problem with its line).
pub fn load_builtin() -> Result<Vec<Rule>> {
    let files: Vec<(&str, &str)> = builtin_files()
        .into_iter()
        .map(|f| {
            (
                f.path().to_str().unwrap_or_default(),
                f.contents_utf8().unwrap_or_default(),
            )
        })
        .collect();
    match from_precompiled(PRECOMPILED, &files) {
        Some(rules) => rules,
        None => load_builtin_yaml(),
    }
}

/// The rules of a precompiled document over `files` (name, YAML text; sorted by name), or `None` when it
/// does not fit them or the build step could not take a file.
fn from_precompiled(json: &str, files: &[(&str, &str)]) -> Option<Result<Vec<Rule>>> {
    let entries = serde_json::from_str::<Vec<Precompiled>>(json).ok()?;
    if entries.len() != files.len()
        || entries
            .iter()
            .zip(files)
            .any(|(e, (name, _))| e.file != *name || e.error.is_some() || e.rule.is_none())
    {
        return None;
    }
    let build = || {
        let mut rules = Vec::with_capacity(files.len());
        for (e, (name, text)) in entries.into_iter().zip(files) {
            let Some(file) = e.rule else { continue };
            let shown = format!("rules/secrets/{name}");
            let mut rule = build_rule(&shown, stem_of(name), file, text, false)?;
            rule.help_example = e.example;
            rules.push(rule);
        }
        Ok(rules)
    };
    Some(build())
}

/// The built-in rule files, sorted by file name (as the build step sorts them).
fn builtin_files() -> Vec<&'static include_dir::File<'static>> {
    let mut files: Vec<_> = BUILTIN_RULES
        .files()
        .filter(|f| f.path().to_str().is_some_and(is_rule_file))
        .collect();
    files.sort_by_key(|f| f.path());
    files
}

/// The built-in rules parsed from their YAML text (what [`load_builtin`] falls back to).
pub fn load_builtin_yaml() -> Result<Vec<Rule>> {
    let files = builtin_files();
    let mut rules = Vec::with_capacity(files.len());
    for f in files {
        let file_name = f.path().to_string_lossy().into_owned();
        let shown = format!("rules/secrets/{file_name}");
        let text = f.contents_utf8().ok_or_else(|| Error::Rule {
            path: PathBuf::from(&shown),
            line: 1,
            message: "rule file is not UTF-8".into(),
        })?;
        rules.push(parse_rule(&shown, stem_of(&file_name), text)?);
    }
    Ok(rules)
}

/// The secret-rule folder of a `--rules DIR`: `DIR/secrets/` if it exists, DIR itself when it is named
/// `secrets`, otherwise none.
pub fn secrets_dir_of(dir: &Path) -> Option<PathBuf> {
    if dir.file_name().is_some_and(|n| n == "secrets") && dir.is_dir() {
        return Some(dir.to_path_buf());
    }
    let sub = dir.join("secrets");
    sub.is_dir().then_some(sub)
}

/// Every `*.yaml`/`*.yml` rule of a folder, sorted by file name.
pub fn load_dir(dir: &Path) -> Result<Vec<Rule>> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut paths = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let p = entry.path();
        if p.is_file()
            && p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_rule_file)
        {
            paths.push(p);
        }
    }
    paths.sort();
    let mut rules = Vec::with_capacity(paths.len());
    for p in paths {
        let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        rules.push(parse_rule(&p.to_string_lossy(), stem_of(name), &text)?);
    }
    Ok(rules)
}

/// Built-in rules plus the rules of each `--rules DIR` (a rule with the id of an earlier one replaces it,
/// so a team can tune a built-in rule by copying its file), sorted by id.
pub fn load_all(extra_dirs: &[PathBuf]) -> Result<Vec<Rule>> {
    let mut rules = load_builtin()?;
    for dir in extra_dirs {
        if !dir.exists() {
            return Err(Error::Usage(format!(
                "rule directory {} does not exist",
                dir.display()
            )));
        }
        let Some(sdir) = secrets_dir_of(dir) else {
            continue;
        };
        for r in load_dir(&sdir)? {
            // A user's regex is compiled now, not on first use: one that does not compile is reported
            // by every scan, also one whose files all come from the result cache.
            if let Matcher::Regex(lazy) = &r.matcher {
                let _ = lazy.get();
            }
            match rules.iter_mut().find(|x| x.id == r.id) {
                Some(slot) => *slot = r,
                None => rules.push(r),
            }
        }
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"id: SEC-TEST-RULE
title: Test rule
severity: high
precision: high
cwe: [798]
keywords: [tok_]
regex: '(?P<secret>tok_[a-z0-9]{8})'
description: A test.
remediation: Rotate it.
examples:
  positive: ['x = tok_abcd1234']
  negative: ['x = tok_']
"#;

    #[test]
    fn parses_a_good_rule() {
        let r = parse_rule("t/SEC-TEST-RULE.yaml", "SEC-TEST-RULE", GOOD).unwrap();
        assert_eq!(r.id, "SEC-TEST-RULE");
        assert_eq!(r.severity, Severity::High);
        match &r.matcher {
            Matcher::Regex(re) => assert_eq!(re.get().unwrap().1, 1),
            _ => panic!("expected regex"),
        }
        assert_eq!(r.meta().name, "TestRule");
    }

    #[test]
    fn errors_name_file_and_line() {
        let bad = GOOD.replace("remediation:", "remedy:");
        let e = parse_rule("t/SEC-TEST-RULE.yaml", "SEC-TEST-RULE", &bad)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t/SEC-TEST-RULE.yaml:9: "), "{e}");
        assert!(e.contains("remedy"), "{e}");

        let bad = GOOD.replace("tok_[a-z0-9]{8}", "tok_[a-z0-9{8}");
        let e = parse_rule("t/SEC-TEST-RULE.yaml", "SEC-TEST-RULE", &bad)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t/SEC-TEST-RULE.yaml:7: invalid regex"),
            "{e}"
        );

        let e = parse_rule("t/SEC-OTHER.yaml", "SEC-OTHER", GOOD)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t/SEC-OTHER.yaml:1: "), "{e}");

        let bad = GOOD.replace("[tok_]", "[Tok_]");
        let e = parse_rule("t/SEC-TEST-RULE.yaml", "SEC-TEST-RULE", &bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains(":6: keyword `Tok_` must be lower-case"), "{e}");

        let bad = GOOD.replace("[tok_]", "[]");
        assert!(parse_rule("t/SEC-TEST-RULE.yaml", "SEC-TEST-RULE", &bad).is_err());

        let bad = GOOD.replace("severity: high", "severity: severe");
        let e = parse_rule("t/SEC-TEST-RULE.yaml", "SEC-TEST-RULE", &bad)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t/SEC-TEST-RULE.yaml:3: "), "{e}");
    }

    #[test]
    fn precompiled_builtin_rules_equal_the_yaml() {
        let fast = load_builtin().unwrap();
        let slow = load_builtin_yaml().unwrap();
        assert_eq!(fast.len(), slow.len());
        // The build step took every file (a fallback to YAML would leave every example unredacted).
        for r in &fast {
            if !r.is_generic() && !r.positive.is_empty() {
                assert!(r.help_example.is_some(), "{}: not precompiled", r.id);
            }
        }
        for (a, b) in fast.iter().zip(&slow) {
            let mut a2 = a.clone();
            a2.help_example = None;
            assert_eq!(format!("{a2:?}"), format!("{b:?}"), "{}", a.id);
            // The build step's redaction is the binary's.
            assert_eq!(a.meta(), b.meta(), "{}", a.id);
        }
    }

    #[test]
    fn a_precompiled_form_that_does_not_fit_is_not_used() {
        let good = r#"[{"file": "SEC-TEST-RULE.yaml", "rule": {"id": "SEC-TEST-RULE", "title": "T",
            "severity": "high", "keywords": ["tok_"], "regex": "tok_[a-z]{4}", "description": "D",
            "remediation": "R"}, "example": null}]"#;
        let files = [("SEC-TEST-RULE.yaml", "id: SEC-TEST-RULE\n")];
        let rules = from_precompiled(good, &files).unwrap().unwrap();
        assert_eq!(rules[0].id, "SEC-TEST-RULE");
        assert_eq!(
            rules[0].text_hash,
            *blake3::hash(files[0].1.as_bytes()).as_bytes()
        );
        // An entry the build step could not take, another file set, an unknown field: the YAML decides.
        let failed = r#"[{"file": "SEC-TEST-RULE.yaml", "error": "bad"}]"#;
        assert!(from_precompiled(failed, &files).is_none());
        assert!(from_precompiled(good, &[("SEC-OTHER.yaml", "")]).is_none());
        assert!(from_precompiled(good, &[]).is_none());
        assert!(from_precompiled(&good.replace("\"title\"", "\"tilte\""), &files).is_none());
        // A precompiled rule is still validated.
        let bad_id = good.replace("\"id\": \"SEC-TEST-RULE\"", "\"id\": \"SEC-OTHER\"");
        assert!(from_precompiled(&bad_id, &files).unwrap().is_err());
    }
}
