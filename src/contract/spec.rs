//! Loading an OpenAPI description (a file, or `git:REF:path`), with the files its `$ref`s point to,
//! and the validity notes a differ reports without failing.

use super::node::{parse, unescape_pointer, Node, V};
use crate::finding::{NoteLevel, Notification};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

/// Where a document comes from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Source {
    File(PathBuf),
    /// `git show REV:PATH`, run in `repo` (PATH relative to `repo`).
    Git {
        repo: PathBuf,
        rev: String,
        path: String,
    },
    /// Text given directly (tests).
    Text {
        name: String,
        text: String,
    },
}

impl Source {
    /// Parse a command-line argument: `git:REF:path` or a file path.
    pub fn from_arg(arg: &str) -> Source {
        if let Some(rest) = arg.strip_prefix("git:") {
            if let Some((rev, path)) = rest.rsplit_once(':') {
                return Source::Git {
                    repo: PathBuf::from("."),
                    rev: rev.to_string(),
                    path: path.to_string(),
                };
            }
        }
        Source::File(PathBuf::from(arg))
    }

    pub fn display(&self) -> String {
        match self {
            Source::File(p) => p.to_string_lossy().replace('\\', "/"),
            Source::Git { rev, path, .. } => format!("git:{rev}:{path}"),
            Source::Text { name, .. } => name.clone(),
        }
    }

    /// The source of a file referenced from this one by a relative path.
    fn relative(&self, rel: &str) -> Option<Source> {
        match self {
            Source::File(p) => {
                // A document from a stranger must not make tollgate read files outside the scanned tree.
                if Path::new(rel).has_root() || rel.contains(':') {
                    return None;
                }
                let dir = p.parent().unwrap_or(Path::new(""));
                let out = normalize(&dir.join(rel));
                let inside = REF_ROOT.with(|r| match &*r.borrow() {
                    Some(roots) => roots.iter().any(|root| out.starts_with(root)),
                    None => true,
                });
                inside.then_some(Source::File(out))
            }
            Source::Git { repo, rev, path } => {
                let dir = Path::new(path).parent().unwrap_or(Path::new(""));
                Some(Source::Git {
                    repo: repo.clone(),
                    rev: rev.clone(),
                    path: normalize(&dir.join(rel))
                        .to_string_lossy()
                        .replace('\\', "/"),
                })
            }
            Source::Text { .. } => None,
        }
    }

    pub fn read(&self) -> Result<String, LoadError> {
        match self {
            Source::File(p) => std::fs::read(p)
                .map(|b| {
                    String::from_utf8(b)
                        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
                })
                .map_err(|e| LoadError::new(format!("{}: cannot read: {e}", p.display()))),
            Source::Git { repo, rev, path } => {
                let spec = if path.starts_with('/') {
                    format!("{rev}:{}", path.trim_start_matches('/'))
                } else {
                    format!("{rev}:./{path}")
                };
                let out = Command::new("git")
                    .arg("-C")
                    .arg(repo)
                    .args(["show", &spec])
                    .output()
                    .map_err(|e| {
                        LoadError::new(format!("git:{rev}:{path}: cannot run git: {e}"))
                    })?;
                if !out.status.success() {
                    let err = String::from_utf8_lossy(&out.stderr);
                    let missing = err.contains("does not exist in")
                        || err.contains("exists on disk, but not in");
                    let mut e = LoadError::new(format!(
                        "git:{rev}:{path}: {}",
                        err.trim().lines().next().unwrap_or("git show failed")
                    ));
                    e.missing = missing;
                    return Err(e);
                }
                Ok(String::from_utf8_lossy(&out.stdout).into_owned())
            }
            Source::Text { text, .. } => Ok(text.clone()),
        }
    }
}

thread_local! {
    static REF_ROOT: std::cell::RefCell<Option<Vec<PathBuf>>> = const { std::cell::RefCell::new(None) };
}

/// While the returned guard lives, `$ref`s to files are followed on this thread only when they stay below
/// one of `roots` (a scan confines them to its tree); absolute file `$ref`s are never followed.
pub fn confine_refs(roots: &[&Path]) -> RefRootGuard {
    let roots = roots.iter().map(|r| normalize(r)).collect();
    let prev = REF_ROOT.with(|r| r.replace(Some(roots)));
    RefRootGuard(prev)
}

/// Restores the previous confinement when dropped.
pub struct RefRootGuard(Option<Vec<PathBuf>>);

impl Drop for RefRootGuard {
    fn drop(&mut self) {
        let prev = self.0.take();
        REF_ROOT.with(|r| *r.borrow_mut() = prev);
    }
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A document that cannot be loaded.
#[derive(Debug, Clone)]
pub struct LoadError {
    pub message: String,
    pub line: Option<u32>,
    pub col: Option<u32>,
    /// `git show` said the path does not exist at that revision.
    pub missing: bool,
}

impl LoadError {
    fn new(message: String) -> Self {
        LoadError {
            message,
            line: None,
            col: None,
            missing: false,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LoadError {}

/// One loaded file.
#[derive(Debug)]
pub struct Doc {
    pub source: Source,
    /// Path shown in findings.
    pub name: String,
    pub root: Node,
    /// BLAKE3 of the file's text, for a file a `$ref` pulled in (the result cache re-checks it).
    pub digest: Option<[u8; 32]>,
}

/// An OpenAPI description: the main document (`docs[0]`) and every file its `$ref`s reach.
#[derive(Debug)]
pub struct Spec {
    pub docs: Vec<Doc>,
    keys: HashMap<String, usize>,
    /// `3.0.3`, `3.1.0` ...
    pub version: String,
    /// Validity problems (never breaking changes).
    pub notes: Vec<Notification>,
    /// Files a `$ref` names that could not be loaded (the result cache re-checks them too).
    pub missing_refs: Vec<Source>,
}

impl Spec {
    pub fn is_31(&self) -> bool {
        !self.version.starts_with("3.0")
    }

    pub fn root(&self) -> &Node {
        &self.docs[0].root
    }

    /// Load a description and the files it references.
    pub fn load(source: Source) -> Result<Spec, LoadError> {
        let name = source.display();
        Self::load_named(source, name)
    }

    /// Load with the name findings use for the main document.
    pub fn load_named(source: Source, name: String) -> Result<Spec, LoadError> {
        let text = source.read()?;
        Self::from_text(source, name, &text)
    }

    pub fn from_text(source: Source, name: String, text: &str) -> Result<Spec, LoadError> {
        let root = parse(text).map_err(|e| LoadError {
            message: format!(
                "{name}:{}:{}: invalid YAML/JSON: {}",
                e.line, e.col, e.message
            ),
            line: Some(e.line),
            col: Some(e.col),
            missing: false,
        })?;
        if !root.is_map() {
            return Err(LoadError {
                message: format!(
                    "{name}:{}:{}: not an OpenAPI document (the top level is not a mapping)",
                    root.line.max(1),
                    root.col.max(1)
                ),
                line: Some(root.line.max(1)),
                col: Some(root.col.max(1)),
                missing: false,
            });
        }
        let mut swagger = false;
        if let Some(sw) = root.get("swagger") {
            let v = match &sw.v {
                V::Str(s) => s.to_string(),
                V::Num(n) => super::node::fmt_num(*n),
                _ => String::new(),
            };
            if !v.starts_with('2') {
                return Err(LoadError {
                    message: format!(
                        "{name}:{}: unsupported Swagger version `{v}` (expected 2.0, or OpenAPI 3.0 / 3.1)",
                        sw.line
                    ),
                    line: Some(sw.line),
                    col: Some(sw.col),
                    missing: false,
                });
            }
            swagger = true;
        }
        // Swagger 2.0 is read as OpenAPI 3.0 (positions stay those of the Swagger file)
        let root = if swagger {
            super::swagger::to_openapi3(&root)
        } else {
            root
        };
        let Some(ver) = root.get("openapi") else {
            return Err(LoadError {
                message: format!(
                    "{name}:{}:{}: not an OpenAPI document (no top-level `openapi` or `swagger` key)",
                    root.line.max(1),
                    root.col.max(1)
                ),
                line: Some(root.line.max(1)),
                col: Some(root.col.max(1)),
                missing: false,
            });
        };
        let version = match &ver.v {
            V::Str(s) => s.to_string(),
            V::Num(n) => super::node::fmt_num(*n),
            _ => String::new(),
        };
        let mut notes = Vec::new();
        if !version.starts_with("3.") {
            return Err(LoadError {
                message: format!(
                    "{name}:{}: unsupported OpenAPI version `{version}` (expected 3.0.x or 3.1.x)",
                    ver.line
                ),
                line: Some(ver.line),
                col: Some(ver.col),
                missing: false,
            });
        }
        if !(version.starts_with("3.0") || version.starts_with("3.1")) {
            notes.push(note(
                NoteLevel::Warning,
                "contract-version",
                &name,
                ver,
                format!("OpenAPI {version} is read as 3.1"),
            ));
        }
        let mut spec = Spec {
            docs: vec![Doc {
                source: source.clone(),
                name: name.clone(),
                root,
                digest: None,
            }],
            keys: HashMap::new(),
            version,
            notes,
            missing_refs: Vec::new(),
        };
        spec.keys.insert(source.display(), 0);
        spec.load_external();
        spec.validate();
        Ok(spec)
    }

    /// Load every file a relative `$ref` names (transitively).
    fn load_external(&mut self) {
        let mut i = 0;
        while i < self.docs.len() && self.docs.len() < 256 {
            let mut refs = BTreeSet::new();
            collect_refs(&self.docs[i].root, &mut refs, 0);
            let src = self.docs[i].source.clone();
            for r in refs {
                let file = r.split('#').next().unwrap_or("");
                if file.is_empty() {
                    continue;
                }
                if file.contains("://") {
                    continue; // remote refs are reported by validate()
                }
                let Some(s) = src.relative(file) else {
                    continue;
                };
                let key = s.display();
                if self.keys.contains_key(&key) {
                    continue;
                }
                let loaded = s.read().and_then(|t| {
                    let digest = *blake3::hash(t.as_bytes()).as_bytes();
                    parse(&t).map(|root| (root, digest)).map_err(|e| LoadError {
                        message: format!("{key}:{}:{}: {}", e.line, e.col, e.message),
                        line: Some(e.line),
                        col: Some(e.col),
                        missing: false,
                    })
                });
                match loaded {
                    Ok((root, digest)) => {
                        self.keys.insert(key.clone(), self.docs.len());
                        self.docs.push(Doc {
                            source: s,
                            name: key,
                            root,
                            digest: Some(digest),
                        });
                    }
                    Err(e) => {
                        self.missing_refs.push(s);
                        self.keys.insert(key.clone(), usize::MAX);
                        self.notes.push(
                            Notification::new(
                                NoteLevel::Warning,
                                "contract-ref-file",
                                format!(
                                    "{}: referenced file {key} cannot be loaded: {e}",
                                    self.docs[i].name
                                ),
                            )
                            .at(self.docs[i].name.clone(), None),
                        );
                    }
                }
            }
            i += 1;
        }
    }

    /// Resolve a `$ref` string found in document `doc`.
    pub fn resolve(&self, doc: usize, r: &str) -> Option<(usize, &Node)> {
        let (file, frag) = match r.split_once('#') {
            Some((f, p)) => (f, p),
            None => (r, ""),
        };
        let d = if file.is_empty() {
            doc
        } else {
            let s = self.docs.get(doc)?.source.relative(file)?;
            *self.keys.get(&s.display())?
        };
        let root = &self.docs.get(d)?.root;
        root.pointer(frag).map(|n| (d, n))
    }

    /// Follow `$ref` chains from a node. `None` when a reference does not resolve.
    pub fn deref<'a>(&'a self, doc: usize, n: &'a Node) -> Option<(usize, &'a Node)> {
        let (mut d, mut cur) = (doc, n);
        for _ in 0..32 {
            match cur.get_str("$ref") {
                Some(r) => {
                    let (nd, nn) = self.resolve(d, r)?;
                    d = nd;
                    cur = nn;
                }
                None => return Some((d, cur)),
            }
        }
        None
    }

    /// Validity problems: unresolved references, 3.0/3.1 mix-ups, missing required fields.
    fn validate(&mut self) {
        let name = self.docs[0].name.clone();
        let root = &self.docs[0].root;
        let mut notes = Vec::new();
        if root.get("info").is_none() {
            notes.push(note(
                NoteLevel::Note,
                "contract-invalid",
                &name,
                root,
                "the document has no `info` object".into(),
            ));
        }
        if root.get("paths").is_none()
            && root.get("webhooks").is_none()
            && root.get("components").is_none()
        {
            notes.push(note(
                NoteLevel::Note,
                "contract-invalid",
                &name,
                root,
                "the document has no `paths`".into(),
            ));
        }
        let is31 = self.is_31();
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(usize, &Node, u32)> = self
            .docs
            .iter()
            .enumerate()
            .map(|(i, d)| (i, &d.root, 0))
            .collect();
        let mut counts = (0usize, 0usize);
        while let Some((d, n, depth)) = stack.pop() {
            if depth > 200 {
                continue;
            }
            match &n.v {
                V::Map(m) => {
                    for (k, v) in m {
                        match &**k {
                            "$ref" => {
                                if let Some(r) = v.str() {
                                    if r.contains("://") {
                                        if seen.insert(r.to_string()) {
                                            notes.push(note(
                                                NoteLevel::Warning,
                                                "contract-remote-ref",
                                                &self.docs[d].name,
                                                v,
                                                format!("remote reference `{r}` is not followed"),
                                            ));
                                        }
                                    } else if self.resolve(d, r).is_none()
                                        && seen.insert(r.to_string())
                                    {
                                        notes.push(note(NoteLevel::Warning, "contract-unresolved-ref", &self.docs[d].name, v, format!("reference `{r}` does not resolve; the schema behind it is not compared")));
                                    }
                                }
                            }
                            "nullable" if is31 && v.bool() == Some(true) => {
                                counts.0 += 1;
                                if counts.0 == 1 {
                                    notes.push(note(NoteLevel::Note, "contract-invalid", &self.docs[d].name, v, "`nullable` is an OpenAPI 3.0 keyword but the document is 3.1 (use `type: [T, \"null\"]`); it is honoured anyway".into()));
                                }
                            }
                            "type" if !is31 && matches!(v.v, V::Seq(_)) => {
                                counts.1 += 1;
                                if counts.1 == 1 {
                                    notes.push(note(NoteLevel::Note, "contract-invalid", &self.docs[d].name, v, "a list of types is an OpenAPI 3.1 feature but the document is 3.0; it is honoured anyway".into()));
                                }
                            }
                            _ => {}
                        }
                        if !matches!(v.v, V::Str(_) | V::Num(_) | V::Bool(_) | V::Null) {
                            stack.push((d, v, depth + 1));
                        }
                    }
                }
                V::Seq(s) => {
                    for v in s {
                        if matches!(v.v, V::Map(_) | V::Seq(_)) {
                            stack.push((d, v, depth + 1));
                        }
                    }
                }
                _ => {}
            }
        }
        // operations without responses
        for (p, item) in root.get("paths").map(Node::map).unwrap_or(&[]) {
            for (m, op) in item.map() {
                if !super::diff::METHODS.contains(&&**m) || !op.is_map() {
                    continue;
                }
                for k in ["x-sunset", "x-sunset-date"] {
                    if let Some(sn) = op.get(k) {
                        if sn.str().and_then(super::diff::parse_date).is_none() {
                            notes.push(note(
                                NoteLevel::Warning,
                                "contract-sunset-date",
                                &name,
                                sn,
                                format!(
                                    "{} {p}: `{k}` is not a date (YYYY-MM-DD or an HTTP date): {}",
                                    m.to_uppercase(),
                                    sn.short()
                                ),
                            ));
                        }
                    }
                }
                if op.get("responses").is_none() {
                    notes.push(note(
                        NoteLevel::Note,
                        "contract-invalid",
                        &name,
                        op,
                        format!("{} {p} has no `responses`", m.to_uppercase()),
                    ));
                }
            }
        }
        notes.sort();
        self.notes.extend(notes);
    }
}

fn note(level: NoteLevel, code: &str, file: &str, n: &Node, msg: String) -> Notification {
    Notification::new(level, code, format!("{file}:{}: {msg}", n.line))
        .at(file.to_string(), Some(n.line))
        .with_column(Some(n.col))
}

fn collect_refs(n: &Node, out: &mut BTreeSet<String>, depth: u32) {
    if depth > 200 {
        return;
    }
    match &n.v {
        V::Map(m) => {
            for (k, v) in m {
                if &**k == "$ref" {
                    if let Some(s) = v.str() {
                        out.insert(s.to_string());
                    }
                } else if matches!(v.v, V::Map(_) | V::Seq(_)) {
                    collect_refs(v, out, depth + 1);
                }
            }
        }
        V::Seq(s) => {
            for v in s {
                collect_refs(v, out, depth + 1);
            }
        }
        _ => {}
    }
}

/// Cheap sniff: does this text look like an OpenAPI 3 document (a top-level `openapi: 3.x` key within
/// the first KB)?
pub fn looks_like_openapi(text: &str) -> bool {
    let head = &text.as_bytes()[..text.len().min(2048)];
    let head = String::from_utf8_lossy(head);
    for line in head.lines() {
        let l = line.trim_end();
        // YAML: a top-level key at column 1
        if let Some(rest) = l.strip_prefix("openapi:") {
            let v = rest.trim().trim_matches(|c| c == '"' || c == '\'');
            return v.starts_with("3.");
        }
    }
    // JSON: "openapi": "3.x" anywhere in the head (top-level in practice)
    if let Some(i) = head.find("\"openapi\"") {
        let rest = head[i + 9..]
            .trim_start()
            .trim_start_matches(':')
            .trim_start();
        return rest.trim_start_matches('"').starts_with("3.");
    }
    false
}

/// Cheap sniff for Swagger 2.0 (a top-level `swagger: "2.0"` within the first KB).
pub fn looks_like_swagger(text: &str) -> bool {
    let head = &text.as_bytes()[..text.len().min(2048)];
    let head = String::from_utf8_lossy(head);
    for line in head.lines() {
        if let Some(rest) = line.trim_end().strip_prefix("swagger:") {
            let v = rest.trim().trim_matches(|c| c == '"' || c == '\'');
            return v.starts_with("2.");
        }
    }
    if let Some(i) = head.find("\"swagger\"") {
        let rest = head[i + 9..]
            .trim_start()
            .trim_start_matches(':')
            .trim_start();
        return rest.trim_start_matches('"').starts_with("2.");
    }
    false
}

/// Decode a JSON pointer token (re-exported for the differ).
pub fn token(s: &str) -> String {
    unescape_pointer(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_openapi_by_content() {
        assert!(looks_like_openapi("# api\nopenapi: 3.1.0\ninfo: {}\n"));
        assert!(looks_like_openapi("openapi: '3.0.3'\n"));
        assert!(looks_like_openapi(
            "{\n  \"info\": {},\n  \"openapi\" : \"3.1.0\"}"
        ));
        assert!(!looks_like_openapi("swagger: '2.0'\n"));
        assert!(!looks_like_openapi("name: x\n  openapi: 3.0.0\n"));
        assert!(!looks_like_openapi("{\"openapi_version\": 3}"));
        assert!(!looks_like_openapi("{\"name\": \"left-pad\"}"));
    }

    #[test]
    fn relative_sources() {
        let s = Source::File("api/v1/openapi.yaml".into());
        assert_eq!(
            s.relative("../common/x.yaml").unwrap(),
            Source::File("api/common/x.yaml".into())
        );
        let g = Source::Git {
            repo: ".".into(),
            rev: "main".into(),
            path: "api/openapi.yaml".into(),
        };
        assert_eq!(
            g.relative("./schemas/a.yaml").unwrap(),
            Source::Git {
                repo: ".".into(),
                rev: "main".into(),
                path: "api/schemas/a.yaml".into()
            }
        );
    }
}
