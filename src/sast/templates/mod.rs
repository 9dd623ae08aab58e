//! Template files traced to the views that render them: a taint hit of `PY-XSS-TEMPLATE` names a template
//! and a context variable (`render_template("hello.html", name=...)`); the template is found in the tree,
//! scanned ([`parse`]) and a finding is made at each line that writes that variable unescaped.
//!
//! Only templates some Python file names are read: the index knows every template-like path of the tree,
//! but a file is opened when a view's text names it (for the view's cache key) or a hit needs it. One level
//! of `{% include %}` / `{% extends %}` is followed.

pub mod parse;

use super::SastJob;
use crate::finding::{Finding, FlowStep, Location, NoteLevel, Notification};
use crate::model::cache::CacheKey;
use crate::model::{ScanContext, SourceFile};
use crate::sast::taint::TaintHit;
use crate::text::{clip, LineIndex};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The taint rule whose hits name templates.
pub const RULE_ID: &str = "PY-XSS-TEMPLATE";
/// Templates larger than this are not read (a notification says so).
pub const MAX_TEMPLATE_BYTES: u64 = 1 << 20;
/// Most template names taken from one Python file, and most findings from one hit.
const MAX_NAMES: usize = 64;
const MAX_FINDINGS_PER_HIT: usize = 32;

/// Extensions of template files.
const EXTENSIONS: [&str; 6] = ["html", "htm", "j2", "jinja", "jinja2", "txt"];

/// Is this name one a template file can have?
pub fn is_template_name(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && EXTENSIONS.contains(&ext))
}

/// A read template.
pub struct Loaded {
    pub rel: String,
    pub text: String,
    pub digest: CacheKey,
    pub parsed: parse::Parsed,
}

/// What reading a template gave.
#[derive(Clone)]
enum Load {
    Ok(Arc<Loaded>),
    Skipped(Notification),
}

/// The template files of a scanned tree.
pub struct Templates<'a> {
    files: HashMap<&'a str, &'a SourceFile>,
    /// The name a loader finds a file by, after a `templates/` directory -> the files.
    by_name: HashMap<&'a str, Vec<&'a str>>,
    loaded: Mutex<HashMap<String, Load>>,
    ctx: &'a ScanContext,
}

impl<'a> Templates<'a> {
    /// Index the template-like files among `files` (nothing is read yet).
    pub fn new(files: &'a [SourceFile], ctx: &'a ScanContext) -> Self {
        let mut index = HashMap::new();
        let mut by_name: HashMap<&'a str, Vec<&'a str>> = HashMap::new();
        for f in files.iter().filter(|f| is_template_name(&f.rel)) {
            index.insert(f.rel.as_str(), f);
            let rel = f.rel.as_str();
            let mut from = 0;
            while let Some(p) = rel[from..].find("templates/") {
                let at = from + p;
                if at == 0 || rel.as_bytes()[at - 1] == b'/' {
                    by_name.entry(&rel[at + 10..]).or_default().push(rel);
                }
                from = at + 10;
            }
        }
        Templates {
            files: index,
            by_name,
            loaded: Mutex::new(HashMap::new()),
            ctx,
        }
    }

    /// The file a template name means for code in `near` (a path): under the `templates/` directory
    /// nearest to it, else the name relative to the root.
    pub fn resolve(&self, name: &str, near: &str) -> Option<&'a str> {
        let name = name.trim_start_matches("./");
        if name.is_empty()
            || name.starts_with('/')
            || name.contains('\\')
            || name.split('/').any(|p| p == "..")
        {
            return None;
        }
        if let Some(c) = self.by_name.get(name) {
            let shared = |p: &str| {
                p.split('/')
                    .zip(near.split('/'))
                    .take_while(|(a, b)| a == b)
                    .count()
            };
            return c
                .iter()
                .copied()
                .max_by(|a, b| {
                    shared(a)
                        .cmp(&shared(b))
                        .then(b.len().cmp(&a.len()))
                        .then(b.cmp(a))
                })
                .filter(|_| !c.is_empty());
        }
        self.files.get(name).map(|f| f.rel.as_str())
    }

    /// Read and scan a template once.
    fn load(&self, rel: &str) -> Option<Load> {
        if let Some(l) = self.loaded.lock().ok()?.get(rel) {
            return Some(l.clone());
        }
        let file = self.files.get(rel)?;
        let size = std::fs::metadata(&file.abs)
            .map(|m| m.len())
            .unwrap_or(file.size);
        let l = if size > MAX_TEMPLATE_BYTES {
            Load::Skipped(
                Notification::new(
                    NoteLevel::Warning,
                    "too-large",
                    format!(
                        "{rel}: {size} bytes is over the template limit of {MAX_TEMPLATE_BYTES} bytes; the views rendering it were not traced into it"
                    ),
                )
                .at(rel, None),
            )
        } else {
            match self.ctx.read_text(file) {
                Ok(text) => {
                    let digest = crate::model::cache::digest(&[text.as_bytes()]);
                    let parsed = parse::parse(&text);
                    Load::Ok(Arc::new(Loaded {
                        rel: rel.to_string(),
                        text,
                        digest,
                        parsed,
                    }))
                }
                Err(n) => Load::Skipped(n),
            }
        };
        self.loaded.lock().ok()?.insert(rel.to_string(), l.clone());
        Some(l)
    }

    /// The template (and the templates it includes or extends, one level) a name means for `near`.
    fn family(&self, name: &str, near: &str) -> Vec<Load> {
        let Some(rel) = self.resolve(name, near) else {
            return Vec::new();
        };
        let Some(first) = self.load(rel) else {
            return Vec::new();
        };
        let mut out = vec![first.clone()];
        if let Load::Ok(t) = first {
            for r in &t.parsed.refs {
                if let Some(l) = self.resolve(r, rel).and_then(|x| self.load(x)) {
                    out.push(l);
                }
            }
        }
        out
    }

    /// What the cache key of a Python file's results depends on: the path and digest of every template its
    /// text names (string literals ending in a template extension, in a file that renders something), and
    /// what those include.
    pub fn deps(&self, text: &str, rel: &str) -> Vec<(String, CacheKey)> {
        self.deps_of(&named_templates(text), rel)
    }

    /// [`Templates::deps`] from the names [`named_templates`] found in the file's text.
    pub fn deps_of(&self, names: &[String], rel: &str) -> Vec<(String, CacheKey)> {
        if self.files.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<(String, CacheKey)> = Vec::new();
        for name in names {
            for l in self.family(name, rel) {
                let (path, d) = match l {
                    Load::Ok(t) => (t.rel.clone(), t.digest),
                    Load::Skipped(n) => (
                        n.path.clone().unwrap_or_default(),
                        crate::model::cache::digest(&[n.message.as_bytes()]),
                    ),
                };
                if !out.iter().any(|(p, _)| *p == path) {
                    out.push((path, d));
                }
            }
        }
        out.sort();
        out
    }

    /// The findings of one template hit of the view at `rel` (`source`, `index`: its text): one per output
    /// of the variable that the template (or a template it includes) writes unescaped.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn findings(
        &self,
        job: &SastJob,
        rule: &super::rules::LoadedRule,
        hit: &TaintHit,
        rel: &str,
        index: &LineIndex,
        fingerprint: &str,
        notes: &mut Vec<Notification>,
    ) -> Vec<Finding> {
        let Some((name, var)) = &hit.template else {
            return Vec::new();
        };
        let view_steps: Vec<FlowStep> = hit
            .steps
            .iter()
            .map(|(s, e, label)| FlowStep {
                location: super::location(index, rel, *s, *e),
                message: label.clone(),
            })
            .collect();
        let mut out = Vec::new();
        for l in self.family(name, rel) {
            let t = match l {
                Load::Ok(t) => t,
                Load::Skipped(n) => {
                    if !notes.contains(&n) {
                        notes.push(n);
                    }
                    continue;
                }
            };
            let tindex = LineIndex::new(&t.text);
            for o in t.parsed.outputs.iter().filter(|o| &o.root == var) {
                if out.len() >= MAX_FINDINGS_PER_HIT {
                    break;
                }
                let loc = super::location(&tindex, &t.rel, o.start, o.end);
                let how = match o.how {
                    parse::How::Safe => "marked `|safe`",
                    parse::How::AutoescapeOff => "inside a block with autoescaping turned off",
                };
                let mut f = job.finding(rule, &tindex, &t.rel, o.start, o.end);
                f.message = format!(
                    "{} — rendered by {rel}:{} into `{}` as `{var}`, which it writes without escaping ({how})",
                    hit.message.trim_end_matches('.'),
                    view_steps.last().map(|s| s.location.start_line).unwrap_or(0),
                    t.rel
                );
                if let Some(s) = hit.severity_override {
                    f.severity = s;
                }
                let out_text = t.text.get(o.start..o.end).unwrap_or("");
                f.fingerprint_key = format!(
                    "{}|{}|{}|{fingerprint}",
                    rule.file.id,
                    super::normalize(out_text),
                    t.rel
                );
                f.code_flow = view_steps.clone();
                f.code_flow.push(FlowStep {
                    location: Location { ..loc },
                    message: format!("written into the page unescaped: `{}`", clip(out_text, 80)),
                });
                f.properties.insert(
                    "rendered-by".into(),
                    serde_json::Value::String(rel.to_string()),
                );
                out.push(f);
            }
        }
        out
    }
}

/// String literals of a Python text that are template names (`"app/page.html"`), at most `MAX_NAMES`.
/// The template names a Python file's text may render (none in a file that renders nothing): what
/// [`Templates::deps_of`] needs, kept with the file's facts so an unchanged file need not be read again.
pub fn named_templates(text: &str) -> Vec<String> {
    if !(text.contains("render") || text.contains("TemplateResponse")) {
        return Vec::new();
    }
    names_in(text)
}

fn names_in(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out: Vec<String> = Vec::new();
    for ext in EXTENSIONS {
        let pat = format!(".{ext}");
        let mut from = 0;
        while let Some(p) = text[from..].find(&pat) {
            let end = from + p + pat.len();
            from = end;
            let Some(&q) = b.get(end) else { break };
            if q != b'"' && q != b'\'' {
                continue;
            }
            // back to the opening quote, on the same line, at most 200 bytes
            let lo = end.saturating_sub(200);
            let Some(open) = b[lo..end].iter().rposition(|&c| c == q || c == b'\n') else {
                continue;
            };
            let open = lo + open;
            if b[open] != q {
                continue;
            }
            let name = &text[open + 1..end];
            if is_template_name(name) && !out.iter().any(|n| n == name) {
                out.push(name.to_string());
                if out.len() >= MAX_NAMES {
                    return out;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_python_text() {
        let t = "render_template('hello.html', x=1)\nrender(request, \"app/page.html\", {})\nx = 'a.txt' + b\n'not.html.py'\n";
        assert_eq!(names_in(t), vec!["hello.html", "app/page.html", "a.txt"]);
    }

    #[test]
    fn nearest_templates_directory_wins() {
        let files: Vec<SourceFile> = [
            "a/templates/x.html",
            "b/templates/x.html",
            "b/sub/templates/y/z.html",
            "top.html",
        ]
        .iter()
        .map(|r| SourceFile {
            rel: r.to_string(),
            abs: r.into(),
            size: 1,
        })
        .collect();
        let ctx = ScanContext::new(".".into());
        let t = Templates::new(&files, &ctx);
        assert_eq!(
            t.resolve("x.html", "b/views.py"),
            Some("b/templates/x.html")
        );
        assert_eq!(
            t.resolve("x.html", "a/v/views.py"),
            Some("a/templates/x.html")
        );
        assert_eq!(
            t.resolve("y/z.html", "views.py"),
            Some("b/sub/templates/y/z.html")
        );
        assert_eq!(t.resolve("top.html", "views.py"), Some("top.html"));
        assert_eq!(t.resolve("../x.html", "views.py"), None);
        assert_eq!(t.resolve("nope.html", "views.py"), None);
    }
}
