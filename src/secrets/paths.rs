//! The rules' `allowlist.paths` matched once per file: one set over every distinct glob of every rule, so a
//! file's path is matched once, not once per rule that its keywords call for (most rules share the same
//! tests/docs globs). Built on first use.

use super::rules::Rule;
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::cell::OnceCell;

pub(crate) struct PathAllow {
    /// Every distinct glob of every rule; `None` when the set could not be built (size limits): each rule
    /// then matches its own globs, as [`Rule::path_allowed`] does.
    set: Option<GlobSet>,
    /// Per rule: the indices of its globs in `set`.
    of_rule: Vec<Vec<usize>>,
}

impl PathAllow {
    pub fn new(rules: &[Rule]) -> Self {
        let mut globs: Vec<&Glob> = Vec::new();
        let mut index: std::collections::HashMap<&Glob, usize> = std::collections::HashMap::new();
        let of_rule = rules
            .iter()
            .map(|r| {
                let mut ids: Vec<usize> = r
                    .allow_paths
                    .globs()
                    .iter()
                    .map(|g| {
                        *index.entry(g).or_insert_with(|| {
                            globs.push(g);
                            globs.len() - 1
                        })
                    })
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                ids
            })
            .collect();
        let mut b = GlobSetBuilder::new();
        for g in &globs {
            b.add((*g).clone());
        }
        PathAllow {
            set: b.build().ok(),
            of_rule,
        }
    }

    /// The path checks of one file (`rel`: scan-relative, with `/`).
    pub fn file<'a>(&'a self, rules: &'a [Rule], rel: &'a str) -> FilePaths<'a> {
        FilePaths {
            allow: self,
            rules,
            rel,
            matched: OnceCell::new(),
        }
    }
}

/// One file's path against the rules' globs, matched when a rule first asks.
pub(crate) struct FilePaths<'a> {
    allow: &'a PathAllow,
    rules: &'a [Rule],
    rel: &'a str,
    /// Per glob of the set: does it match the path?
    matched: OnceCell<Vec<bool>>,
}

impl FilePaths<'_> {
    /// Is the file excluded by rule `i`'s `allowlist.paths`?
    pub fn allowed(&self, i: usize) -> bool {
        let ids = &self.allow.of_rule[i];
        if ids.is_empty() {
            return false;
        }
        let Some(set) = &self.allow.set else {
            return self.rules[i].path_allowed(self.rel);
        };
        let matched = self.matched.get_or_init(|| {
            let mut m = vec![false; set.len()];
            for g in set.matches(self.rel) {
                m[g] = true;
            }
            m
        });
        ids.iter().any(|&g| matched[g])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_match_per_file_answers_as_each_rule_would() {
        let rules = crate::secrets::rules::load_builtin().unwrap();
        let allow = PathAllow::new(&rules);
        assert!(allow.set.is_some());
        let paths = [
            "a.py",
            "tests/test_x.py",
            "pkg/tests/conf.py",
            "docs/index.md",
            "README.md",
            "x/node_modules/y/index.js",
            "src/app.test.ts",
            "app/.env.example",
            "src/settings.py",
            "package-lock.json",
            "static/app.min.js",
        ];
        let mut differs = 0;
        for p in paths {
            let f = allow.file(&rules, p);
            for (i, r) in rules.iter().enumerate() {
                assert_eq!(f.allowed(i), r.path_allowed(p), "{} {p}", r.id);
                differs += usize::from(f.allowed(i) != f.allowed(0));
            }
        }
        assert!(differs > 0, "the paths exercise no glob");
    }
}
