//! `tollgate scan --history [RANGE]`: the secrets job over the lines each commit of a range added, read from
//! `git log -p -U0` (as gitleaks does), because a secret removed by a later commit is still leaked. Each
//! commit's added lines are written at their line numbers into a scratch copy of the files it touched,
//! scanned, then removed; findings name the commit in their message and properties.

use super::diffbase::{dir_of, git, toplevel};
use crate::config::Config;
use crate::engine::{self, baseline::Baseline, ScanContext, ScanResult, SourceFile};
use crate::finding::{Finding, JobKind, NoteLevel, Notification};
use anyhow::{bail, Context};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The commits to scan, as `git log` arguments, and how they were chosen (said to the user).
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    pub args: Vec<String>,
    pub description: String,
}

fn verify(repo: &Path, rev: &str) -> bool {
    git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .is_ok()
}

/// The default branch: `origin/HEAD` when the clone knows it, else the first of origin/main, origin/master,
/// main, master that exists.
fn default_branch(repo: &Path) -> Option<String> {
    if let Ok(r) = git(
        repo,
        &["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"],
    ) {
        if let Some(b) = r.strip_prefix("refs/remotes/") {
            return Some(b.to_string());
        }
    }
    ["origin/main", "origin/master", "main", "master"]
        .into_iter()
        .find(|b| verify(repo, b))
        .map(str::to_string)
}

/// The range `--history` scans when none is given: the pull request's commits
/// (`origin/$GITHUB_BASE_REF..HEAD` in a GitHub pull request, else what HEAD has on top of the default
/// branch); when HEAD has nothing of its own (it is on the default branch) or no default branch is known,
/// the whole history of HEAD.
pub fn default_range(repo: &Path, github_base_ref: Option<&str>) -> Range {
    if let Some(b) = github_base_ref.map(str::trim).filter(|b| !b.is_empty()) {
        let base = format!("origin/{b}");
        if verify(repo, &base) {
            return Range {
                args: vec![format!("{base}..HEAD")],
                description: format!(
                    "{base}..HEAD (the pull request's commits, GITHUB_BASE_REF={b})"
                ),
            };
        }
    }
    if let Some(def) = default_branch(repo) {
        if let Ok(mb) = git(repo, &["merge-base", "HEAD", &def]) {
            let head = git(repo, &["rev-parse", "HEAD"]).unwrap_or_default();
            if mb != head {
                return Range {
                    args: vec![format!("{mb}..HEAD")],
                    description: format!(
                        "{}..HEAD (the commits on top of the default branch {def})",
                        &mb[..mb.len().min(12)]
                    ),
                };
            }
            return Range {
                args: vec!["HEAD".into()],
                description: format!(
                    "HEAD, all of its history (HEAD has no commits of its own on top of {def})"
                ),
            };
        }
    }
    Range {
        args: vec!["HEAD".into()],
        description: "HEAD, all of its history (no default branch found)".into(),
    }
}

/// One commit of the log and what it added, per file: (line number, text) pairs.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Commit {
    pub sha: String,
    pub author: String,
    pub date: String,
    pub summary: String,
    pub files: Vec<(String, Vec<(u32, String)>)>,
}

/// Undo git's C-style quoting of a path (`"a\tb"`), which `core.quotePath=false` keeps for control
/// characters, quotes and backslashes.
fn unquote(p: &str) -> String {
    let Some(inner) = p.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return p.to_string();
    };
    let mut bytes = Vec::new();
    let mut it = inner.bytes().peekable();
    while let Some(b) = it.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match it.next() {
            Some(b'n') => bytes.push(b'\n'),
            Some(b't') => bytes.push(b'\t'),
            Some(b'r') => bytes.push(b'\r'),
            Some(d @ b'0'..=b'7') => {
                let mut v = (d - b'0') as u32;
                for _ in 0..2 {
                    match it.peek() {
                        Some(&n @ b'0'..=b'7') => {
                            v = v * 8 + (n - b'0') as u32;
                            it.next();
                        }
                        _ => break,
                    }
                }
                bytes.push(v as u8);
            }
            Some(o) => bytes.push(o),
            None => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `@@ -a,b +c,d @@`: (removed count, first new line, added count).
fn hunk_header(line: &str) -> Option<(u32, u32, u32)> {
    let rest = line.strip_prefix("@@ -")?;
    let (old, rest) = rest.split_once(" +")?;
    let (new, _) = rest.split_once(" @@")?;
    let count = |s: &str| -> Option<(u32, u32)> {
        match s.split_once(',') {
            Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
            None => Some((s.parse().ok()?, 1)),
        }
    };
    let (_, old_n) = count(old)?;
    let (new_start, new_n) = count(new)?;
    Some((old_n, new_start, new_n))
}

/// Reads `git log -p -U0 --format=%x00%H%x00%an%x00%aI%x00%s` one commit at a time.
pub struct LogParser {
    current: Option<Commit>,
    file: Option<(String, Vec<(u32, String)>)>,
    /// Lines of the current hunk still to come: (removed, added), and the next new line number.
    hunk: Option<(u32, u32, u32)>,
}

impl Default for LogParser {
    fn default() -> Self {
        Self::new()
    }
}

impl LogParser {
    pub fn new() -> Self {
        LogParser {
            current: None,
            file: None,
            hunk: None,
        }
    }

    fn close_file(&mut self) {
        if let (Some(c), Some((path, lines))) = (self.current.as_mut(), self.file.take()) {
            if !lines.is_empty() {
                c.files.push((path, lines));
            }
        }
    }

    /// Feed one line (without its newline); returns a commit when this line starts the next one.
    pub fn line(&mut self, line: &str) -> Option<Commit> {
        if let Some((removed, added, next)) = self.hunk.as_mut() {
            if *removed > 0 || *added > 0 {
                if let Some(text) = line.strip_prefix('+') {
                    if *added > 0 {
                        *added -= 1;
                        if let Some((_, lines)) = self.file.as_mut() {
                            lines.push((*next, text.to_string()));
                        }
                        *next += 1;
                    }
                    return None;
                }
                if line.starts_with('-') {
                    *removed = removed.saturating_sub(1);
                    return None;
                }
                if line.starts_with('\\') {
                    return None; // "\ No newline at end of file"
                }
            }
            self.hunk = None;
        }
        if line.starts_with('\\') {
            return None;
        }
        if let Some(rest) = line.strip_prefix('\0') {
            self.close_file();
            let mut parts = rest.splitn(4, '\0');
            let c = Commit {
                sha: parts.next().unwrap_or_default().to_string(),
                author: parts.next().unwrap_or_default().to_string(),
                date: parts.next().unwrap_or_default().to_string(),
                summary: parts.next().unwrap_or_default().to_string(),
                files: Vec::new(),
            };
            return self.current.replace(c);
        }
        if line.starts_with("diff --git ") || line.starts_with("diff --cc ") {
            self.close_file();
            return None;
        }
        if let Some(p) = line.strip_prefix("+++ ") {
            self.close_file();
            if p != "/dev/null" {
                let p = unquote(p);
                let p = p.strip_prefix("b/").unwrap_or(&p).to_string();
                self.file = Some((p, Vec::new()));
            }
            return None;
        }
        if let Some((removed, start, added)) = hunk_header(line) {
            self.hunk = Some((removed, added, start));
        }
        None
    }

    /// The last commit, at the end of the log.
    pub fn finish(&mut self) -> Option<Commit> {
        self.close_file();
        self.current.take()
    }
}

/// The text of a file with only the given lines, each at its line number (blank lines elsewhere), so that
/// line numbers in findings are those of the file in that commit.
fn sparse_text(lines: &[(u32, String)]) -> String {
    let mut out = String::new();
    let mut at = 1u32;
    for (n, text) in lines {
        while at < *n {
            out.push('\n');
            at += 1;
        }
        out.push_str(text);
        out.push('\n');
        at += 1;
    }
    out
}

/// Is `rel` (or a directory above it) left out by the excludes, as the walk would leave it out?
fn excluded(excludes: &ignore::overrides::Override, rel: &str) -> bool {
    let full = Path::new("/").join(rel);
    if excludes.matched(&full, false).is_ignore() {
        return true;
    }
    full.ancestors()
        .skip(1)
        .take_while(|a| *a != Path::new("/"))
        .any(|a| excludes.matched(a, true).is_ignore())
}

/// A path from the log that stays inside the scratch directory.
fn safe_relative(rel: &str) -> bool {
    !rel.is_empty()
        && Path::new(rel)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// Name the commit in a finding and make its fingerprint depend on it (the same secret added in two
/// commits is two leaks).
fn tag_finding(f: &mut Finding, c: &Commit) {
    let short = &c.sha[..c.sha.len().min(12)];
    let day = c.date.get(..10).unwrap_or(&c.date);
    f.message = format!(
        "{} (added in commit {short} by {} on {day})",
        f.message, c.author
    );
    let key = if !f.fingerprint_key.is_empty() {
        f.fingerprint_key.clone()
    } else if let Some(s) = &f.snippet {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        String::new()
    };
    f.fingerprint_key = format!("{}:{key}", c.sha);
    f.properties.insert("commit".into(), c.sha.clone().into());
    f.properties
        .insert("commit_author".into(), c.author.clone().into());
    f.properties
        .insert("commit_date".into(), c.date.clone().into());
    f.properties
        .insert("commit_summary".into(), c.summary.clone().into());
}

/// Scan the commits of `range` (None: [`default_range`]) below `path` for secrets.
pub fn scan(
    path: &Path,
    range: Option<&str>,
    cfg: &Config,
    threads: usize,
    baseline: Option<&Baseline>,
    quiet: bool,
) -> anyhow::Result<ScanResult> {
    let top = toplevel(path)?;
    let dir = dir_of(path);
    let shallow = git(&top, &["rev-parse", "--is-shallow-repository"]).is_ok_and(|s| s == "true");
    let explicit = range.map(str::trim).is_some_and(|r| !r.is_empty());
    if shallow && !explicit {
        bail!(
            "--history: this clone is shallow, so the commits to scan are not all here; fetch the whole \
             history first (actions/checkout with `fetch-depth: 0`, GIT_DEPTH: 0, `git fetch --unshallow`) \
             or give a RANGE that is"
        );
    }
    let range = match range.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) if r.starts_with('-') => bail!("--history {r}: not a range of commits"),
        Some(r) => Range {
            args: vec![r.to_string()],
            description: r.to_string(),
        },
        None => default_range(&top, std::env::var("GITHUB_BASE_REF").ok().as_deref()),
    };
    let job = crate::secrets::SecretsJob::new(&cfg.secrets, &cfg.rules)?;
    let max_size = cfg.max_file_size.unwrap_or(engine::DEFAULT_MAX_FILE_SIZE);
    let mut excludes = ignore::overrides::OverrideBuilder::new("/");
    for g in &cfg.exclude {
        excludes
            .add(&format!("!{}", g.trim_start_matches('!')))
            .with_context(|| format!("invalid exclude pattern `{g}`"))?;
    }
    let excludes = excludes.build()?;
    let scratch = std::env::temp_dir().join(format!("tollgate-history-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    struct Cleanup(PathBuf);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _cleanup = Cleanup(scratch.clone());

    let mut child = Command::new("git")
        .arg("-C")
        .arg(&dir)
        .args(["-c", "core.quotePath=false", "log", "-p", "-U0", "-M"])
        .args(["--no-color", "--no-ext-diff", "--no-textconv", "--relative"])
        .arg("--format=%x00%H%x00%an%x00%aI%x00%s")
        .args(&range.args)
        .arg("--")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run git")?;
    let stdout = child.stdout.take().context("git log has no output")?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start worker threads")?;

    let mut findings = Vec::new();
    let mut notifications = Vec::new();
    let (mut commits, mut files_scanned) = (0usize, 0usize);
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut scan_commit = |c: Commit| {
        commits += 1;
        let root = scratch.join(&c.sha);
        let mut files = Vec::new();
        for (rel, lines) in &c.files {
            if excluded(&excludes, rel) {
                continue;
            }
            let text = sparse_text(lines);
            if text.len() as u64 > max_size {
                *skipped.entry("too large".into()).or_default() += 1;
                notifications.push(
                    Notification::new(
                        NoteLevel::Warning,
                        "skipped",
                        format!(
                            "{rel} in commit {}: the added lines are larger than the size limit; not scanned",
                            &c.sha[..c.sha.len().min(12)]
                        ),
                    )
                    .at(rel.clone(), None),
                );
                continue;
            }
            let abs = root.join(rel);
            let ok = safe_relative(rel)
                && abs
                    .parent()
                    .is_some_and(|p| std::fs::create_dir_all(p).is_ok())
                && std::fs::write(&abs, &text).is_ok();
            if ok {
                files.push(SourceFile {
                    rel: rel.clone(),
                    abs,
                    size: text.len() as u64,
                });
            }
        }
        if files.is_empty() {
            return;
        }
        files_scanned += files.len();
        let mut ctx = ScanContext::new(root.clone());
        ctx.selection = crate::engine::RuleSelection {
            select: cfg.select.clone(),
            ignore: cfg.ignore.clone(),
        };
        ctx.extra_rule_dirs = cfg.rules.clone();
        let out = pool.install(|| crate::engine::Job::scan(&job, &files, &ctx));
        let mut fs = out.findings;
        engine::suppress::apply(&root, &mut fs);
        for f in &mut fs {
            tag_finding(f, &c);
        }
        findings.extend(fs);
        notifications.extend(out.notifications);
        let _ = std::fs::remove_dir_all(&root);
    };

    let mut parser = LogParser::new();
    let mut reader = std::io::BufReader::new(stdout);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .context("reading git log")?;
        if n == 0 {
            break;
        }
        if buf.ends_with(b"\n") {
            buf.pop();
        }
        let line = String::from_utf8_lossy(&buf);
        if let Some(c) = parser.line(&line) {
            scan_commit(c);
        }
    }
    if let Some(c) = parser.finish() {
        scan_commit(c);
    }
    let out = child.wait_with_output().context("waiting for git log")?;
    if !out.status.success() {
        bail!(
            "--history: git log {}: {}",
            range.args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    if !quiet {
        eprintln!(
            "tollgate: --history: scanned the lines added by {commits} commits of {}",
            range.description
        );
    }
    // A shallow clone (CI's default) hides the commits below its depth: say so rather than pass quietly.
    if shallow {
        let msg = "history: this clone is shallow, so older commits were not scanned; fetch the whole \
                   history first (actions/checkout with `fetch-depth: 0`, GIT_DEPTH: 0, `git fetch --unshallow`)";
        if !quiet {
            eprintln!("tollgate: warning: {msg}");
        }
        notifications.push(Notification::new(
            NoteLevel::Warning,
            "history-shallow",
            msg,
        ));
    }
    if commits == 0 {
        notifications.push(Notification::new(
            NoteLevel::Warning,
            "history-empty",
            format!("history: {} holds no commit to scan", range.description),
        ));
    }
    notifications.push(Notification::new(
        NoteLevel::Note,
        "history",
        format!(
            "history: scanned the lines added by {commits} commits of {} for secrets",
            range.description
        ),
    ));
    let mut properties = BTreeMap::new();
    properties.insert(
        "history".into(),
        serde_json::json!({"range": range.description, "commits": commits}),
    );
    let stats = engine::ScanStats {
        files: files_scanned,
        skipped,
        files_per_job: [(JobKind::Secrets, files_scanned)].into_iter().collect(),
        unchanged: 0,
    };
    // Suppressions were read from each commit's scratch files above; nothing left to read.
    Ok(engine::finish(
        &scratch.join("-none-"),
        path.to_path_buf(),
        findings,
        crate::engine::Job::rules(&job),
        notifications,
        engine::Finish {
            stats,
            properties,
            jobs: vec![JobKind::Secrets],
            failed_jobs: Vec::new(),
            baseline,
            lines: None,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_parser_keeps_added_lines_with_their_numbers() {
        let log = "\0aaa\0Ann\x002026-01-02T03:04:05+00:00\0first\n\
\n\
diff --git a/x.py b/x.py\n\
new file mode 100644\n\
--- /dev/null\n\
+++ b/x.py\n\
@@ -0,0 +1,2 @@\n\
+import os\n\
+++counter\n\
\0bbb\0Bob\x002026-01-03T00:00:00+00:00\0second\n\
\n\
diff --git a/x.py b/x.py\n\
--- a/x.py\n\
+++ b/x.py\n\
@@ -2 +1,0 @@\n\
-++counter\n\
@@ -5,0 +9 @@ def f():\n\
+key = 1\n\
\\ No newline at end of file\n\
diff --git a/gone.txt b/gone.txt\n\
deleted file mode 100644\n\
--- a/gone.txt\n\
+++ /dev/null\n\
@@ -1 +0,0 @@\n\
-x\n\
diff --git \"a/sp ace\\tx\" \"b/sp ace\\tx\"\n\
--- /dev/null\n\
+++ \"b/sp ace\\tx\"\n\
@@ -0,0 +1 @@\n\
+\0weird\n";
        let mut p = LogParser::new();
        let mut commits = Vec::new();
        for l in log.split('\n') {
            commits.extend(p.line(l));
        }
        commits.extend(p.finish());
        assert_eq!(commits.len(), 2);
        assert_eq!(commits[0].sha, "aaa");
        assert_eq!(commits[0].author, "Ann");
        assert_eq!(
            commits[0].files,
            vec![(
                "x.py".to_string(),
                vec![(1, "import os".to_string()), (2, "++counter".to_string())]
            )]
        );
        assert_eq!(commits[1].summary, "second");
        assert_eq!(
            commits[1].files,
            vec![
                ("x.py".to_string(), vec![(9, "key = 1".to_string())]),
                ("sp ace\tx".to_string(), vec![(1, "\0weird".to_string())]),
            ]
        );
    }

    #[test]
    fn sparse_text_keeps_line_numbers() {
        let t = sparse_text(&[(2, "a".into()), (4, "b".into())]);
        assert_eq!(t, "\na\n\nb\n");
        assert_eq!(hunk_header("@@ -3 +4,2 @@ x"), Some((1, 4, 2)));
        assert_eq!(hunk_header("@@ -0,0 +1 @@"), Some((0, 1, 1)));
        assert_eq!(unquote("\"a\\303\\251\""), "aé");
    }
}
