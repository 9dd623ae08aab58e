//! The scanned tree as a set of Python modules (phase 2 of the cross-module analysis): which file an
//! import names, which function a resolved callee is, and which summaries one file's analysis may read.
//!
//! Imports are matched to files by dotted module name; when the scanned root is not the import root
//! (`src/app/db.py` imported as `app.db`), a module whose name ends with the imported name is taken, the
//! one nearest to the importing file first. Every walk here is bounded ([`MAX_HOPS`]) and keeps a visited
//! set, so import cycles and long re-export chains cost nothing.

use super::summary::{absolute, module_name, FnSummary, ModuleSummary};
use crate::model::cache::CacheKey;
use std::collections::{BTreeSet, HashMap};

/// Most re-exports or calls followed from one call site.
pub const MAX_HOPS: usize = 4;

/// Module names of the files in the tree (known before any file is parsed).
#[derive(Debug, Default)]
pub struct ModuleIndex {
    /// module name -> path
    exact: HashMap<String, String>,
    /// last segment -> module names
    by_last: HashMap<String, Vec<String>>,
}

impl ModuleIndex {
    pub fn new<'a>(paths: impl IntoIterator<Item = &'a str>) -> Self {
        let mut ix = ModuleIndex::default();
        let mut names: Vec<(String, String)> = paths
            .into_iter()
            .filter_map(|p| module_name(p).map(|(m, _)| (m, p.to_string())))
            .collect();
        names.sort();
        for (m, p) in names {
            if ix.exact.contains_key(&m) {
                continue;
            }
            let last = m.rsplit('.').next().unwrap_or(&m).to_string();
            ix.by_last.entry(last).or_default().push(m.clone());
            ix.exact.insert(m, p);
        }
        ix
    }

    /// The module of the tree that `name` (absolute) means when imported from module `from`.
    pub fn find(&self, name: &str, from: &str) -> Option<&str> {
        if let Some((k, _)) = self.exact.get_key_value(name) {
            return Some(k.as_str());
        }
        let last = name.rsplit('.').next().unwrap_or(name);
        let suffix = format!(".{name}");
        let from_parts: Vec<&str> = from.split('.').collect();
        self.by_last
            .get(last)?
            .iter()
            .filter(|m| m.ends_with(&suffix))
            .max_by_key(|m| {
                let common = m
                    .split('.')
                    .zip(&from_parts)
                    .take_while(|(a, b)| a == *b)
                    .count();
                // nearest first; among equals, the shortest, then the first by name (max_by_key keeps
                // the last maximum: reverse the name order)
                (common, std::cmp::Reverse(m.len()), std::cmp::Reverse(*m))
            })
            .map(String::as_str)
    }

    /// Whether an imported name (absolute) is a module of the tree or something inside one.
    pub fn covers(&self, qualified: &str, from: &str) -> bool {
        self.module_of(qualified, from).is_some()
    }

    /// The module of the tree an imported name (absolute) is, or is inside of: the longest that exists.
    pub fn module_of(&self, qualified: &str, from: &str) -> Option<&str> {
        prefixes(qualified).find_map(|(m, _)| self.find(m, from))
    }

    /// [`Self::module_of`], and what of the name is inside the module (`run_query` of `app.db.run_query`).
    pub fn split<'q>(&self, qualified: &'q str, from: &str) -> Option<(&str, &'q str)> {
        prefixes(qualified).find_map(|(m, rest)| self.find(m, from).map(|f| (f, rest)))
    }

    /// The file of a module.
    pub fn path(&self, module: &str) -> Option<&str> {
        self.exact.get(module).map(String::as_str)
    }
}

/// `a.b.c` -> (`a.b.c`, ``), (`a.b`, `c`), (`a`, `b.c`): longest module first.
fn prefixes(q: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut cuts: Vec<usize> = q.match_indices('.').map(|(i, _)| i).collect();
    cuts.push(q.len());
    cuts.into_iter()
        .rev()
        .map(move |i| (&q[..i], q.get(i + 1..).unwrap_or("")))
}

/// One module's summary and its digest (which goes into the cache keys of the files that use it).
#[derive(Debug)]
pub struct Entry {
    pub summary: ModuleSummary,
    pub digest: CacheKey,
}

/// Every module summary of the tree.
#[derive(Debug, Default)]
pub struct Project {
    pub index: ModuleIndex,
    entries: HashMap<String, Entry>,
}

/// A function found for a callee.
pub struct Found<'p> {
    pub module: &'p ModuleSummary,
    pub name: &'p str,
    pub f: &'p FnSummary,
}

impl Project {
    pub fn new(index: ModuleIndex, summaries: Vec<ModuleSummary>) -> Self {
        let mut entries = HashMap::new();
        for s in summaries {
            let bytes = serde_json::to_vec(&s).unwrap_or_default();
            let digest = crate::model::cache::digest(&[&bytes]);
            entries
                .entry(s.module.clone())
                .or_insert(Entry { summary: s, digest });
        }
        Project { index, entries }
    }

    fn module(&self, name: &str, from: &str) -> Option<&Entry> {
        self.entries.get(self.index.find(name, from)?)
    }

    /// The function a callee (as the importing module resolved it, relative or absolute) names.
    pub fn lookup(&self, callee: &str, from: &str, from_package: bool) -> Option<Found<'_>> {
        let mut q = absolute(callee, from, from_package)?;
        let mut from = from.to_string();
        for _ in 0..MAX_HOPS {
            let mut next = None;
            for (m, rest) in prefixes(&q) {
                if rest.is_empty() || rest.matches('.').count() > 1 {
                    continue;
                }
                let Some(e) = self.module(m, &from) else {
                    continue;
                };
                let s = &e.summary;
                if let Some((name, f)) = s.functions.get_key_value(rest) {
                    return Some(Found { module: s, name, f });
                }
                // a name the module re-exports (`from .db import run_query` in a package)
                let head = rest.split('.').next().unwrap_or(rest);
                if let Some(target) = s.reexports.get(head) {
                    let tail = &rest[head.len()..];
                    next = absolute(target, &s.module, s.package)
                        .map(|t| (format!("{t}{tail}"), s.module.clone()));
                }
                break;
            }
            let (nq, nf) = next?;
            if nq == q {
                return None;
            }
            q = nq;
            from = nf;
        }
        None
    }

    /// The summaries the analysis of a file that imports `imported` (absolute names) may read: the modules
    /// it imports, and what their calls and re-exports lead to, `MAX_HOPS` deep. Sorted by module name.
    pub fn deps(&self, imported: &[String], from: &str) -> Vec<&Entry> {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut frontier: Vec<(String, String)> = imported
            .iter()
            .map(|q| (q.clone(), from.to_string()))
            .collect();
        for _ in 0..=MAX_HOPS {
            let mut next = Vec::new();
            for (q, from) in &frontier {
                let Some(name) = self.index.module_of(q, from) else {
                    continue;
                };
                if let Some((k, e)) = self.entries.get_key_value(name) {
                    if seen.insert(k.as_str()) {
                        for edge in e.summary.edges() {
                            next.push((edge, k.clone()));
                        }
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        seen.into_iter()
            .filter_map(|m| self.entries.get(m))
            .collect()
    }
}

/// What the analysis of one file sees of the project: the summaries, and the file's own module name (for
/// its relative imports).
pub struct XMod<'p> {
    pub project: &'p Project,
    pub module: String,
    pub package: bool,
}

impl<'p> XMod<'p> {
    /// `None` for a file whose path is not a module name.
    pub fn new(project: &'p Project, rel: &str) -> Option<Self> {
        let (module, package) = module_name(rel)?;
        Some(XMod {
            project,
            module,
            package,
        })
    }

    /// The function a callee of this file names.
    pub fn lookup(&self, callee: &str) -> Option<Found<'p>> {
        self.project.lookup(callee, &self.module, self.package)
    }

    /// The function a callee recorded in the summary of module `m` names.
    pub fn lookup_from(&self, callee: &str, m: &ModuleSummary) -> Option<Found<'p>> {
        self.project.lookup(callee, &m.module, m.package)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_find_the_nearest_module() {
        let ix = ModuleIndex::new([
            "src/app/db.py",
            "src/app/views.py",
            "other/app/db.py",
            "tools/db.py",
            "app/__init__.py",
        ]);
        assert_eq!(ix.find("app.db", "src.app.views"), Some("src.app.db"));
        assert_eq!(ix.find("db", "tools.x"), Some("tools.db"));
        assert_eq!(ix.find("app", "src.app.views"), Some("app"));
        assert_eq!(ix.find("os.path", "src.app.views"), None);
        assert!(ix.covers("app.db.run_query", "src.app.views"));
        assert!(!ix.covers("flask.request", "src.app.views"));
    }

    fn summary(
        module: &str,
        path: &str,
        package: bool,
        fns: &[&str],
        re: &[(&str, &str)],
    ) -> ModuleSummary {
        ModuleSummary {
            module: module.into(),
            path: path.into(),
            package,
            functions: fns
                .iter()
                .map(|f| (f.to_string(), FnSummary::default()))
                .collect(),
            reexports: re
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        }
    }

    #[test]
    fn lookups_follow_reexports_and_stop_on_cycles() {
        let paths = ["app/__init__.py", "app/db.py", "app/a.py", "app/b.py"];
        let p = Project::new(
            ModuleIndex::new(paths),
            vec![
                summary("app", "app/__init__.py", true, &[], &[("run", ".db.run")]),
                summary("app.db", "app/db.py", false, &["run", "Repo.find"], &[]),
                summary("app.a", "app/a.py", false, &[], &[("x", ".b.x")]),
                summary("app.b", "app/b.py", false, &[], &[("x", ".a.x")]),
            ],
        );
        let f = p.lookup("app.run", "app.views", false).unwrap();
        assert_eq!((f.module.module.as_str(), f.name), ("app.db", "run"));
        let f = p.lookup(".db.Repo.find", "app.views", false).unwrap();
        assert_eq!(f.name, "Repo.find");
        assert!(p.lookup("app.a.x", "app.views", false).is_none());
        assert!(p.lookup("os.system", "app.views", false).is_none());
        let deps: Vec<&str> = p
            .deps(&["app.a".into()], "app.views")
            .iter()
            .map(|e| e.summary.module.as_str())
            .collect();
        assert_eq!(deps, vec!["app.a", "app.b"]);
    }
}
