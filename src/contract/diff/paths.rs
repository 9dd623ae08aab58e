//! Paths and operations: matched by path shape, added and removed operations (with deprecation and
//! sunset rules), callbacks, and the walk from an operation to its parts.

use super::*;

impl<'a> Differ<'a> {
    // ------------------------------------------------------------------------------------------
    // paths and operations

    pub(super) fn path_index(spec: &'a Spec) -> BTreeMap<String, (&'a str, usize, &'a Node)> {
        let mut m = BTreeMap::new();
        for (p, item) in spec.root().get("paths").map(Node::map).unwrap_or(&[]) {
            if let Some((d, n)) = spec.deref(0, item) {
                m.entry(path_shape(p)).or_insert((&**p, d, n));
            }
        }
        m
    }

    pub(super) fn ops(item: &'a Node) -> Vec<(&'a str, &'a Node)> {
        let mut v: Vec<_> = item
            .map()
            .iter()
            .filter(|(k, n)| METHODS.contains(&&**k) && n.is_map())
            .map(|(k, n)| (&**k, n))
            .collect();
        v.sort_by_key(|(k, _)| *k);
        v
    }

    pub(super) fn paths(&mut self) {
        let bp = Self::path_index(self.b);
        let rp = Self::path_index(self.r);
        for (shape, (bpath, bd, bitem)) in &bp {
            match rp.get(shape) {
                None => {
                    for (m, bop) in Self::ops(bitem) {
                        let op = Op {
                            name: format!("{} {bpath}", m.to_uppercase()),
                            method: m.to_uppercase(),
                            path: bpath.to_string(),
                        };
                        self.removed(true, &op, *bd, bop);
                    }
                }
                Some((rpath, rd, ritem)) => {
                    let rops = Self::ops(ritem);
                    for (m, bop) in Self::ops(bitem) {
                        match rops.iter().find(|(rm, _)| *rm == m) {
                            None => {
                                let op = Op {
                                    name: format!("{} {bpath}", m.to_uppercase()),
                                    method: m.to_uppercase(),
                                    path: bpath.to_string(),
                                };
                                self.removed(false, &op, *bd, bop);
                            }
                            Some((_, rop)) => {
                                let op = Op {
                                    name: format!("{} {rpath}", m.to_uppercase()),
                                    method: m.to_uppercase(),
                                    path: rpath.to_string(),
                                };
                                self.operation(
                                    &op,
                                    (*bd, bitem, bop, bpath),
                                    (*rd, ritem, rop, rpath),
                                );
                            }
                        }
                    }
                    for (m, rop) in &rops {
                        if !Self::ops(bitem).iter().any(|(bm, _)| bm == m) {
                            self.added(rpath, *rd, m, rop);
                        }
                    }
                }
            }
        }
        for (shape, (rpath, rd, ritem)) in &rp {
            if !bp.contains_key(shape) {
                for (m, rop) in Self::ops(ritem) {
                    self.added(rpath, *rd, m, rop);
                }
            }
        }
    }

    pub(super) fn added(&mut self, path: &str, doc: usize, m: &str, rop: &Node) {
        let op = Op {
            name: format!("{} {path}", m.to_uppercase()),
            method: m.to_uppercase(),
            path: path.to_string(),
        };
        let p = format!("/paths/{}/{m}", escape_pointer(path));
        self.emit(
            "endpoint-added",
            Some(&op),
            Side::Revision,
            doc,
            rop,
            &p,
            "endpoint added".into(),
            None,
            None,
        );
    }

    pub(super) fn removed(&mut self, whole_path: bool, op: &Op, doc: usize, bop: &Node) {
        let prefix = if whole_path {
            "api-path-removed"
        } else {
            "api-removed"
        };
        let (suffix, what) = self.removal(bop);
        let what = if whole_path {
            format!("api path {what}")
        } else {
            format!("operation {what}")
        };
        let p = format!(
            "/paths/{}/{}",
            escape_pointer(&op.path),
            op.method.to_lowercase()
        );
        self.emit(
            &format!("{prefix}-{suffix}"),
            Some(op),
            Side::Base,
            doc,
            bop,
            &p,
            what,
            None,
            None,
        );
    }

    /// How a removed operation (or webhook method) was retired: `without-deprecation`,
    /// `before-sunset` or `with-deprecation`, and what to say about it.
    pub(super) fn removal(&self, bop: &Node) -> (&'static str, String) {
        let deprecated = bop.get_bool("deprecated");
        let unstable = bop
            .get_str("x-stability-level")
            .and_then(stability_rank)
            .is_some_and(|r| r <= 1);
        let sunset = sunset_of(bop).map(|(d, _)| d);
        let (suffix, what) = if unstable {
            (
                "with-deprecation",
                "removed an operation of stability draft/alpha".to_string(),
            )
        } else if !deprecated {
            (
                "without-deprecation",
                "removed without deprecation".to_string(),
            )
        } else {
            match sunset {
                Some(d) if d > self.opts.today => {
                    ("before-sunset", format!("removed before its sunset date {d}"))
                }
                Some(d) => ("with-deprecation", format!("removed after its sunset date {d}")),
                None if self.opts.sunset_policy == SunsetPolicy::SunsetDate => (
                    "before-sunset",
                    "removed while deprecated without a sunset date (the sunset policy requires one)"
                        .to_string(),
                ),
                None => ("with-deprecation", "removed after deprecation".to_string()),
            }
        };
        (suffix, what)
    }

    pub(super) fn operation(
        &mut self,
        op: &Op,
        (bd, bitem, bop, bpath): (usize, &'a Node, &'a Node, &'a str),
        (rd, ritem, rop, rpath): (usize, &'a Node, &'a Node, &'a str),
    ) {
        let p = format!(
            "/paths/{}/{}",
            escape_pointer(rpath),
            op.method.to_lowercase()
        );
        let o = Some(op);
        // operationId
        let (bid, rid) = (bop.get("operationId"), rop.get("operationId"));
        match (bid.and_then(Node::str), rid.and_then(Node::str)) {
            (Some(a), Some(b)) if a != b => self.emit(
                "api-operation-id-removed",
                o,
                Side::Revision,
                rd,
                rid.unwrap(),
                &format!("{p}/operationId"),
                format!("operationId `{a}` removed and replaced with `{b}`"),
                Some(a.into()),
                Some(b.into()),
            ),
            (Some(a), None) => self.emit(
                "api-operation-id-removed",
                o,
                Side::Revision,
                rd,
                rop,
                &format!("{p}/operationId"),
                format!("operationId `{a}` removed"),
                Some(a.into()),
                None,
            ),
            (None, Some(b)) => self.emit(
                "api-operation-id-added",
                o,
                Side::Revision,
                rd,
                rid.unwrap(),
                &format!("{p}/operationId"),
                format!("operationId `{b}` added"),
                None,
                Some(b.into()),
            ),
            _ => {}
        }
        self.lifecycle(op, false, &p, bop, rd, rop);
        // tags
        let tags = |n: &'a Node| -> BTreeSet<&'a str> {
            n.get("tags")
                .map(Node::seq)
                .unwrap_or(&[])
                .iter()
                .filter_map(Node::str)
                .collect()
        };
        let (bt, rt) = (tags(bop), tags(rop));
        let tnode = rop.get("tags").unwrap_or(rop);
        for t in bt.difference(&rt) {
            self.emit(
                "api-tag-removed",
                o,
                Side::Revision,
                rd,
                tnode,
                &format!("{p}/tags"),
                format!("tag `{t}` removed"),
                Some(t.to_string()),
                None,
            );
        }
        for t in rt.difference(&bt) {
            self.emit(
                "api-tag-added",
                o,
                Side::Revision,
                rd,
                tnode,
                &format!("{p}/tags"),
                format!("tag `{t}` added"),
                None,
                Some(t.to_string()),
            );
        }
        self.security(op, &p, bop, rd, rop);
        if bop.get("servers").is_some() || rop.get("servers").is_some() {
            self.servers(o, bd, bop, rd, rop, &p);
        }
        self.parameters(op, &p, (bd, bitem, bop, bpath), (rd, ritem, rop, rpath));
        self.request_body(op, &p, bd, bop, rd, rop);
        self.responses(op, &p, bd, bop, rd, rop);
        self.callbacks(op, bd, bop, rd, rop);
    }

    /// Callbacks compared like operations (as oasdiff does): each `callbacks.<name>.<expression>`
    /// method of the base matched with the revision's, removed and added ones reported as operations.
    fn callbacks(&mut self, op: &Op, bd: usize, bop: &'a Node, rd: usize, rop: &'a Node) {
        let (Some(bc), Some(rc)) = (bop.get("callbacks"), rop.get("callbacks")) else {
            return;
        };
        if self.depth > 8 {
            return;
        }
        self.depth += 1;
        for (name, bcb) in bc.map() {
            let Some(rcb) = rc.get(name) else { continue };
            let (Some((bcd, bcb)), Some((rcd, rcb))) =
                (self.b.deref(bd, bcb), self.r.deref(rd, rcb))
            else {
                continue;
            };
            for (expr, bitem) in bcb.map() {
                let Some(ritem) = rcb.get(expr) else { continue };
                let (Some((bid, bitem)), Some((rid, ritem))) =
                    (self.b.deref(bcd, bitem), self.r.deref(rcd, ritem))
                else {
                    continue;
                };
                let name_of = |m: &str| Op {
                    name: format!("{} callback {name} {expr} of {}", m.to_uppercase(), op.name),
                    method: m.to_uppercase(),
                    path: expr.to_string(),
                };
                let rops = Self::ops(ritem);
                for (m, cbop) in Self::ops(bitem) {
                    match rops.iter().find(|(rm, _)| *rm == m) {
                        Some((_, crop)) => self.operation(
                            &name_of(m),
                            (bid, bitem, cbop, expr),
                            (rid, ritem, crop, expr),
                        ),
                        None => self.removed(false, &name_of(m), bid, cbop),
                    }
                }
                for (m, crop) in &rops {
                    if !Self::ops(bitem).iter().any(|(bm, _)| bm == m) {
                        let o = name_of(m);
                        self.emit(
                            "endpoint-added",
                            Some(&o),
                            Side::Revision,
                            rid,
                            crop,
                            &format!(
                                "/callbacks/{}/{}/{m}",
                                escape_pointer(name),
                                escape_pointer(expr)
                            ),
                            "callback operation added".into(),
                            None,
                            None,
                        );
                    }
                }
            }
        }
        self.depth -= 1;
    }
}
