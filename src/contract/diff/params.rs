//! Request parameters: matched by location and name, added, removed, moved and their schemas.

use super::*;

impl<'a> Differ<'a> {
    // ------------------------------------------------------------------------------------------
    // parameters

    /// Parameters of an operation (path-level merged, operation-level wins), keyed by location+name;
    /// path parameters by their position in the template so renames match.
    pub(super) fn param_list(
        spec: &'a Spec,
        doc: usize,
        item: &'a Node,
        op: &'a Node,
        path: &str,
    ) -> BTreeMap<String, (usize, &'a Node)> {
        let vars = template_vars(path);
        let mut m = BTreeMap::new();
        for src in [item, op] {
            for p in src.get("parameters").map(Node::seq).unwrap_or(&[]) {
                let Some((d, n)) = spec.deref(doc, p) else {
                    continue;
                };
                let (Some(inn), Some(name)) = (n.get_str("in"), n.get_str("name")) else {
                    continue;
                };
                let key = if inn == "path" {
                    match vars.iter().position(|v| *v == name) {
                        Some(i) => format!("path#{i}"),
                        None => format!("path:{name}"),
                    }
                } else if inn == "header" {
                    format!("header:{}", name.to_ascii_lowercase())
                } else {
                    format!("{inn}:{name}")
                };
                m.insert(key, (d, n));
            }
        }
        m
    }

    pub(super) fn parameters(
        &mut self,
        op: &Op,
        p: &str,
        (bd, bitem, bop, bpath): (usize, &'a Node, &'a Node, &'a str),
        (rd, ritem, rop, rpath): (usize, &'a Node, &'a Node, &'a str),
    ) {
        let bps = Self::param_list(self.b, bd, bitem, bop, bpath);
        let rps = Self::param_list(self.r, rd, ritem, rop, rpath);
        let o = Some(op);
        let mut moved: BTreeSet<&String> = BTreeSet::new();
        for (k, (_, bn)) in &bps {
            if rps.contains_key(k) {
                continue;
            }
            let name = bn.get_str("name").unwrap_or("");
            let inn = bn.get_str("in").unwrap_or("");
            let pp = format!("{p}/parameters/{inn}/{}", escape_pointer(name));
            // same name, other location, not in the base: `in` changed
            if let Some((rk, (rdd, rn))) = rps.iter().find(|(rk, (_, rn))| {
                !bps.contains_key(*rk)
                    && rn
                        .get_str("name")
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                    && rn.get_str("in") != Some(inn)
            }) {
                moved.insert(rk);
                let rin = rn.get_str("in").unwrap_or("");
                let loc = rn.get("in").unwrap_or(rn);
                self.emit(
                    "request-parameter-location-changed",
                    o,
                    Side::Revision,
                    *rdd,
                    loc,
                    &pp,
                    format!("the request parameter `{name}` moved from {inn} to {rin}"),
                    Some(inn.into()),
                    Some(rin.into()),
                );
                continue;
            }
            let id = if !bn.get_bool("deprecated") {
                "request-parameter-removed"
            } else if sunset_of(bn).is_some_and(|(d, _)| d > self.opts.today) {
                "request-parameter-removed-before-sunset"
            } else {
                "request-parameter-removed-with-deprecation"
            };
            let loc = rop.get("parameters").unwrap_or(rop);
            self.base_pos = Some((bn.line, bn.col));
            self.emit(
                id,
                o,
                Side::Revision,
                rd,
                loc,
                &pp,
                format!("deleted the {inn} request parameter `{name}`"),
                Some(name.into()),
                None,
            );
        }
        for (k, (rdd, rn)) in &rps {
            if bps.contains_key(k) || moved.contains(k) {
                continue;
            }
            let name = rn.get_str("name").unwrap_or("");
            let inn = rn.get_str("in").unwrap_or("");
            let pp = format!("{p}/parameters/{inn}/{}", escape_pointer(name));
            let (id, what) = if inn == "path" {
                (
                    "new-request-path-parameter",
                    format!("added the new path request parameter `{name}`"),
                )
            } else if rn.get_bool("required") {
                (
                    "new-required-request-parameter",
                    format!("added the new required {inn} request parameter `{name}`"),
                )
            } else {
                (
                    "new-optional-request-parameter",
                    format!("added the new optional {inn} request parameter `{name}`"),
                )
            };
            self.emit(
                id,
                o,
                Side::Revision,
                *rdd,
                rn,
                &pp,
                what,
                None,
                Some(name.into()),
            );
        }
        for (k, (bdd, bn)) in &bps {
            let Some((rdd, rn)) = rps.get(k) else {
                continue;
            };
            let name = rn.get_str("name").unwrap_or("");
            let inn = rn.get_str("in").unwrap_or("");
            let pp = format!("{p}/parameters/{inn}/{}", escape_pointer(name));
            let (breq, rreq) = (
                bn.get_bool("required") || inn == "path",
                rn.get_bool("required") || inn == "path",
            );
            let rloc = |key: &str| rn.get(key).unwrap_or(rn);
            if !breq && rreq {
                self.emit(
                    "request-parameter-became-required",
                    o,
                    Side::Revision,
                    *rdd,
                    rloc("required"),
                    &pp,
                    format!("the {inn} request parameter `{name}` became required"),
                    Some("false".into()),
                    Some("true".into()),
                );
            } else if breq && !rreq {
                self.emit(
                    "request-parameter-became-optional",
                    o,
                    Side::Revision,
                    *rdd,
                    rloc("required"),
                    &pp,
                    format!("the {inn} request parameter `{name}` became optional"),
                    Some("true".into()),
                    Some("false".into()),
                );
            }
            let (bdep, rdep) = (bn.get_bool("deprecated"), rn.get_bool("deprecated"));
            if !bdep && rdep {
                self.emit(
                    "request-parameter-deprecated",
                    o,
                    Side::Revision,
                    *rdd,
                    rloc("deprecated"),
                    &pp,
                    format!("the {inn} request parameter `{name}` was deprecated"),
                    None,
                    None,
                );
                self.parameter_sunset_policy(o, &pp, *rdd, rn, rloc("deprecated"));
            } else if bdep && !rdep {
                self.emit(
                    "request-parameter-reactivated",
                    o,
                    Side::Revision,
                    *rdd,
                    rn,
                    &pp,
                    format!("the {inn} request parameter `{name}` was reactivated"),
                    None,
                    None,
                );
            }
            // sunset of a parameter that stays deprecated: moved earlier, deleted, unreadable
            if rdep {
                let raw = |n: &'a Node| {
                    ["x-sunset", "x-sunset-date", "sunset"]
                        .iter()
                        .find_map(|k| n.get(k))
                };
                let (bs, rs) = (sunset_of(bn).map(|x| x.0), sunset_of(rn));
                match (bs, rs, raw(rn)) {
                    (Some(b), Some((r, n)), _) if bdep && r < b => self.emit(
                        "request-parameter-sunset-date-changed-too-small",
                        o,
                        Side::Revision,
                        *rdd,
                        n,
                        &pp,
                        format!("the sunset date of the {inn} request parameter `{name}` moved earlier, from {b} to {r}"),
                        Some(b.to_string()),
                        Some(r.to_string()),
                    ),
                    (Some(b), Some((r, n)), _) if bdep && r > b => self.emit(
                        "request-parameter-sunset-date-extended",
                        o,
                        Side::Revision,
                        *rdd,
                        n,
                        &pp,
                        format!("the sunset date of the {inn} request parameter `{name}` moved later, from {b} to {r}"),
                        Some(b.to_string()),
                        Some(r.to_string()),
                    ),
                    (Some(b), None, None) if bdep => self.emit(
                        "request-parameter-sunset-deleted",
                        o,
                        Side::Revision,
                        *rdd,
                        rloc("deprecated"),
                        &pp,
                        format!("the sunset date {b} of the deprecated {inn} request parameter `{name}` was deleted"),
                        Some(b.to_string()),
                        None,
                    ),
                    (_, None, Some(x)) if raw(bn).is_none_or(|y| !y.same(x)) => self.emit(
                        "request-parameter-sunset-parse",
                        o,
                        Side::Revision,
                        *rdd,
                        x,
                        &pp,
                        format!("the sunset date {} of the {inn} request parameter `{name}` cannot be parsed", x.short()),
                        None,
                        Some(x.short()),
                    ),
                    _ => {}
                }
            }
            let default_style = |i: &str| {
                if i == "query" || i == "cookie" {
                    "form"
                } else {
                    "simple"
                }
            };
            let bstyle = bn
                .get_str("style")
                .unwrap_or(default_style(bn.get_str("in").unwrap_or("")));
            let rstyle = rn.get_str("style").unwrap_or(default_style(inn));
            if bstyle != rstyle {
                self.emit("request-parameter-style-changed", o, Side::Revision, *rdd, rloc("style"), &pp, format!("the style of the {inn} request parameter `{name}` changed from {bstyle} to {rstyle}"), Some(bstyle.into()), Some(rstyle.into()));
            }
            let bexp = bn
                .get("explode")
                .and_then(Node::bool)
                .unwrap_or(bstyle == "form");
            let rexp = rn
                .get("explode")
                .and_then(Node::bool)
                .unwrap_or(rstyle == "form");
            if bexp != rexp && bstyle == rstyle {
                self.emit("request-parameter-explode-changed", o, Side::Revision, *rdd, rloc("explode"), &pp, format!("`explode` of the {inn} request parameter `{name}` changed from {bexp} to {rexp}"), Some(bexp.to_string()), Some(rexp.to_string()));
            }
            let schema_of = |n: &'a Node| -> Option<&'a Node> {
                n.get("schema").or_else(|| {
                    n.get("content")
                        .and_then(|c| c.map().first())
                        .and_then(|(_, mt)| mt.get("schema"))
                })
            };
            if let (Some(bs), Some(rs)) = (schema_of(bn), schema_of(rn)) {
                let disp = format!("{inn} parameter `{name}`");
                let c = SCtx {
                    op,
                    label: &disp,
                    request: true,
                    root_prefix: "request-parameter",
                    nested_prefix: "request-parameter-property",
                };
                self.schema(
                    c,
                    false,
                    &format!("{pp}/schema"),
                    "",
                    (*bdd, bs),
                    (*rdd, rs),
                );
            }
        }
    }
}

impl<'a> Differ<'a> {
    /// A newly deprecated request parameter under a sunset policy: no sunset date
    /// (`request-parameter-deprecated-sunset-missing`) or one sooner than `min-sunset-days`.
    fn parameter_sunset_policy(
        &mut self,
        o: Option<&Op>,
        pp: &str,
        rd: usize,
        rn: &'a Node,
        dnode: &'a Node,
    ) {
        let name = rn.get_str("name").unwrap_or("");
        let inn = rn.get_str("in").unwrap_or("");
        let written = ["x-sunset", "x-sunset-date", "sunset"]
            .iter()
            .any(|k| rn.get(k).is_some());
        let need =
            self.opts.min_sunset_days > 0 || self.opts.sunset_policy == SunsetPolicy::SunsetDate;
        match sunset_of(rn) {
            None if need && !written => self.emit(
                "request-parameter-deprecated-sunset-missing",
                o,
                Side::Revision,
                rd,
                dnode,
                pp,
                format!("the {inn} request parameter `{name}` was deprecated without a sunset date (`x-sunset`)"),
                None,
                None,
            ),
            Some((d, n)) if self.opts.min_sunset_days > 0 => {
                let min = self.opts.today + chrono::Days::new(self.opts.min_sunset_days as u64);
                if d < min {
                    self.emit(
                        "request-parameter-sunset-date-too-small",
                        o,
                        Side::Revision,
                        rd,
                        n,
                        pp,
                        format!(
                            "the sunset date {d} of the {inn} request parameter `{name}` is too soon: it must be at least {} days from today ({min})",
                            self.opts.min_sunset_days
                        ),
                        None,
                        Some(d.to_string()),
                    );
                }
            }
            _ => {}
        }
    }
}
