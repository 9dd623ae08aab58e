//! The differ: walks two descriptions side by side (paths by shape, operations, parameters, bodies,
//! responses, then the schemas below them, following `$ref`s lazily with a cycle guard) and reports
//! every change with its check id, level and position.

use super::checks::{self, Level};
use super::node::{escape_pointer, fmt_num, Node, V};
use super::spec::Spec;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};

mod bodies;
mod composition;
mod document;
mod keywords;
mod lifecycle;
mod params;
mod paths;
mod schema;
mod security;
mod structure;
mod support;
mod view;
mod webhooks;

pub use support::path_shape;
use support::*;
pub(crate) use support::{parse_date, sunset_of};
use view::*;

pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Which document a change is located in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Base,
    Revision,
}

/// One reported change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub id: String,
    pub level: Level,
    pub message: String,
    /// `GET /users/{id}`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// JSON pointer of the change, from the operation down through the schema (as if `$ref`s were inlined).
    pub pointer: String,
    pub side: Side,
    /// The file the line and column refer to.
    pub file: String,
    pub line: u32,
    pub column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_value: Option<String>,
    /// For a removal located in the revision: the line and column of the removed item in the base.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_position: Option<(u32, u32)>,
}

/// When removing a deprecated operation is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SunsetPolicy {
    /// Deprecation is enough; when a sunset date is given, it must have passed (oasdiff's default).
    #[default]
    Deprecation,
    /// A sunset date (`x-sunset`) is required and must have passed.
    SunsetDate,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub sunset_policy: SunsetPolicy,
    /// A newly deprecated operation must have a sunset date at least this many days away (0: no check).
    pub min_sunset_days: u32,
    pub today: NaiveDate,
    /// Report `api-version-not-bumped` when there are breaking changes and `info.version` is the same.
    pub require_version_bump: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sunset_policy: SunsetPolicy::Deprecation,
            min_sunset_days: 0,
            require_version_bump: false,
            today: chrono::Utc::now().date_naive(),
        }
    }
}

/// Diff two descriptions.
pub fn diff(base: &Spec, rev: &Spec, opts: &Options) -> Vec<Change> {
    let mut d = Differ {
        b: base,
        r: rev,
        opts,
        out: Vec::new(),
        stack: HashSet::new(),
        clean: HashSet::new(),
        depth: 0,
        cuts: 0,
        base_pos: None,
    };
    d.servers(None, 0, base.root(), 0, rev.root(), "");
    d.paths();
    d.webhooks();
    d.components();
    d.version_bump();
    let mut out = d.out;
    // The same change reached through several paths (a property of a schema that is also reachable
    // through a oneOf alternative or an allOf of itself) is reported once per operation, with the
    // shortest pointer.
    fn head(p: &str) -> &str {
        p.find("/schema").map_or(p, |i| &p[..i])
    }
    out.sort_by(|a, b| {
        (
            head(&a.pointer),
            &a.file,
            a.line,
            a.column,
            &a.id,
            &a.operation,
            &a.base_value,
            &a.revision_value,
            a.pointer.len(),
            &a.message,
        )
            .cmp(&(
                head(&b.pointer),
                &b.file,
                b.line,
                b.column,
                &b.id,
                &b.operation,
                &b.base_value,
                &b.revision_value,
                b.pointer.len(),
                &b.message,
            ))
    });
    out.dedup_by(|b, a| {
        (
            head(&a.pointer),
            &a.file,
            a.line,
            a.column,
            &a.id,
            &a.operation,
            &a.base_value,
            &a.revision_value,
        ) == (
            head(&b.pointer),
            &b.file,
            b.line,
            b.column,
            &b.id,
            &b.operation,
            &b.base_value,
            &b.revision_value,
        )
    });
    out.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.id, &a.message)
            .cmp(&(&b.file, b.line, b.column, &b.id, &b.message))
    });
    out
}

#[derive(Debug, Clone)]
struct Op {
    name: String,
    method: String,
    path: String,
}

type R<'a> = (usize, &'a Node);

#[derive(Clone, Copy)]
struct SCtx<'o> {
    op: &'o Op,
    /// Names the schema's owner in messages (`query parameter `q``, `header `x-rate``), or "".
    label: &'o str,
    request: bool,
    root_prefix: &'static str,
    nested_prefix: &'static str,
}

struct Differ<'a> {
    b: &'a Spec,
    r: &'a Spec,
    opts: &'a Options,
    out: Vec<Change>,
    /// Schema pairs being compared (cycle guard).
    stack: HashSet<(usize, usize, bool)>,
    /// Schema pairs already compared without any change.
    clean: HashSet<(usize, usize, bool)>,
    depth: u32,
    /// How many comparisons were cut by the cycle guard.
    cuts: u64,
    /// The base position of the next emitted removal (see [`Change::base_position`]).
    base_pos: Option<(u32, u32)>,
}

impl<'a> Differ<'a> {
    /// `api-version-not-bumped`: breaking changes under the same `info.version` (opt-in).
    fn version_bump(&mut self) {
        if !self.opts.require_version_bump || !self.out.iter().any(|c| c.level == Level::Error) {
            return;
        }
        let ver = |s: &'a Spec| s.root().get("info").and_then(|i| i.get("version"));
        let (Some(b), Some(r)) = (ver(self.b), ver(self.r)) else {
            return;
        };
        if b.same(r) {
            let n = self.out.iter().filter(|c| c.level == Level::Error).count();
            self.emit(
                "api-version-not-bumped",
                None,
                Side::Revision,
                0,
                r,
                "/info/version",
                format!(
                    "{n} breaking changes, but info.version is still {}",
                    r.short()
                ),
                Some(b.short()),
                Some(r.short()),
            );
        }
    }

    fn spec(&self, side: Side) -> &'a Spec {
        match side {
            Side::Base => self.b,
            Side::Revision => self.r,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        id: &str,
        op: Option<&Op>,
        side: Side,
        doc: usize,
        node: &Node,
        ptr: &str,
        what: String,
        bv: Option<String>,
        rv: Option<String>,
    ) {
        // every id must be in the catalogue (a typo would silently become a warning): the fixture
        // tests run every check in debug builds
        debug_assert!(checks::get(id).is_some(), "unknown check id `{id}`");
        let file = self.spec(side).docs[doc].name.clone();
        let message = match op {
            Some(o) => format!("{}: {what} (at {ptr})", o.name),
            None => format!("{what} (at {ptr})"),
        };
        self.out.push(Change {
            id: id.to_string(),
            level: checks::level(id),
            message,
            operation: op.map(|o| o.name.clone()),
            method: op.map(|o| o.method.clone()),
            path: op.map(|o| o.path.clone()),
            pointer: ptr.to_string(),
            side,
            file,
            line: node.line,
            column: node.col,
            base_value: bv,
            revision_value: rv,
            base_position: self.base_pos.take(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn shapes() {
        assert_eq!(path_shape("/users/{id}"), path_shape("/users/{userId}"));
        assert_ne!(path_shape("/users/{id}"), path_shape("/users/me"));
        assert_eq!(template_vars("/a/{x}/b/{y}"), vec!["x", "y"]);
    }
}
