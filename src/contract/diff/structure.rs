//! Schema structure: discriminators and properties (added, removed, became required or optional).

use super::*;

impl<'a> Differ<'a> {
    pub(super) fn discriminator(
        &mut self,
        c: SCtx,
        nested: bool,
        ptr: &str,
        prop: &str,
        bv: &View<'a>,
        rv: &View<'a>,
    ) {
        let (b, r) = (
            bv.kw("discriminator").map(|x| x.1),
            rv.kw("discriminator").map(|x| x.1),
        );
        let rd = rv.doc;
        match (b, r) {
            (None, Some(rn)) => self.sch(
                c,
                nested,
                prop,
                "discriminator-added",
                rd,
                rn,
                ptr,
                "discriminator added".into(),
                None,
                rn.get_str("propertyName").map(Into::into),
            ),
            (Some(bn), None) => self.sch(
                c,
                nested,
                prop,
                "discriminator-removed",
                rd,
                rv.node,
                ptr,
                "discriminator removed".into(),
                bn.get_str("propertyName").map(Into::into),
                None,
            ),
            (Some(bn), Some(rn)) => {
                let (bp, rp) = (bn.get_str("propertyName"), rn.get_str("propertyName"));
                if bp != rp {
                    self.sch(
                        c,
                        nested,
                        prop,
                        "discriminator-property-name-changed",
                        rd,
                        rn.get("propertyName").unwrap_or(rn),
                        ptr,
                        format!(
                            "discriminator property name changed from {} to {}",
                            bp.unwrap_or("none"),
                            rp.unwrap_or("none")
                        ),
                        bp.map(Into::into),
                        rp.map(Into::into),
                    );
                }
                let mm = |n: &'a Node| -> BTreeMap<&'a str, &'a Node> {
                    n.get("mapping")
                        .map(Node::map)
                        .unwrap_or(&[])
                        .iter()
                        .map(|(k, v)| (&**k, v))
                        .collect()
                };
                let (bm, rm) = (mm(bn), mm(rn));
                let loc = rn.get("mapping").unwrap_or(rn);
                for (k, bvv) in &bm {
                    match rm.get(k) {
                        None => self.sch(
                            c,
                            nested,
                            prop,
                            "discriminator-mapping-removed",
                            rd,
                            loc,
                            ptr,
                            format!("discriminator mapping `{k}` removed"),
                            Some(k.to_string()),
                            None,
                        ),
                        Some(rvv) => {
                            let short = |n: &Node| {
                                n.str()
                                    .map(|s| s.rsplit('/').next().unwrap_or(s).to_string())
                                    .unwrap_or_default()
                            };
                            if short(bvv) != short(rvv) {
                                self.sch(
                                    c,
                                    nested,
                                    prop,
                                    "discriminator-mapping-changed",
                                    rd,
                                    rvv,
                                    ptr,
                                    format!(
                                        "discriminator mapping `{k}` changed from {} to {}",
                                        short(bvv),
                                        short(rvv)
                                    ),
                                    Some(short(bvv)),
                                    Some(short(rvv)),
                                );
                            }
                        }
                    }
                }
                for (k, rvv) in &rm {
                    if !bm.contains_key(k) {
                        self.sch(
                            c,
                            nested,
                            prop,
                            "discriminator-mapping-added",
                            rd,
                            rvv,
                            ptr,
                            format!("discriminator mapping `{k}` added"),
                            None,
                            Some(k.to_string()),
                        );
                    }
                }
            }
            _ => {}
        }
    }

    pub(super) fn prop_flag(spec: &'a Spec, r: R<'a>, k: &str) -> bool {
        spec.deref(r.0, r.1)
            .is_some_and(|(d, n)| flatten(spec, d, n).flag(k))
    }

    pub(super) fn properties(
        &mut self,
        c: SCtx,
        ptr: &str,
        prop: &str,
        bv: &View<'a>,
        rv: &View<'a>,
    ) {
        let o = Some(c.op);
        let join = |name: &str| {
            if prop.is_empty() {
                name.to_string()
            } else {
                format!("{prop}/{name}")
            }
        };
        let rloc = rv.kw("properties").map(|x| x.1).unwrap_or(rv.node);
        let rd = rv.doc;
        for (name, bd, bnode) in &bv.props {
            let pp = format!("{ptr}/properties/{}", escape_pointer(name));
            let full = join(name);
            let breq = bv.required.contains(name);
            match rv.prop(name) {
                None => {
                    if c.request {
                        if Self::prop_flag(self.b, (*bd, bnode), "readOnly") {
                            continue;
                        }
                        self.base_pos = Some((bnode.line, bnode.col));
                        self.emit(
                            "request-property-removed",
                            o,
                            Side::Revision,
                            rd,
                            rloc,
                            &pp,
                            format!("removed the request property `{full}`"),
                            Some(full.clone()),
                            None,
                        );
                    } else {
                        if Self::prop_flag(self.b, (*bd, bnode), "writeOnly") {
                            continue;
                        }
                        self.base_pos = Some((bnode.line, bnode.col));
                        let deprecated = Self::prop_flag(self.b, (*bd, bnode), "deprecated");
                        let sunset = self
                            .b
                            .deref(*bd, bnode)
                            .and_then(|(_, n)| sunset_of(n))
                            .map(|(d, _)| d);
                        let id = if deprecated && sunset.is_some_and(|d| d > self.opts.today) {
                            "response-property-removed-before-sunset"
                        } else if deprecated {
                            "response-property-removed-with-deprecation"
                        } else if breq {
                            "response-required-property-removed"
                        } else {
                            "response-optional-property-removed"
                        };
                        let kind = if breq { "required" } else { "optional" };
                        self.emit(
                            id,
                            o,
                            Side::Revision,
                            rd,
                            rloc,
                            &pp,
                            format!(
                                "removed the {kind} property `{full}` from the {}",
                                human(c.root_prefix)
                            ),
                            Some(full.clone()),
                            None,
                        );
                    }
                }
                Some((rpd, rpn)) => {
                    let rreq = rv.required.contains(name);
                    let reqloc = rv.kw("required").map(|x| x.1).unwrap_or(rpn);
                    if c.request {
                        let ro = Self::prop_flag(self.r, (rpd, rpn), "readOnly");
                        if !breq && rreq && !ro {
                            self.emit(
                                "request-property-became-required",
                                o,
                                Side::Revision,
                                rd,
                                reqloc,
                                &pp,
                                format!("the request property `{full}` became required"),
                                Some("optional".into()),
                                Some("required".into()),
                            );
                        } else if breq && !rreq {
                            self.emit(
                                "request-property-became-optional",
                                o,
                                Side::Revision,
                                rd,
                                reqloc,
                                &pp,
                                format!("the request property `{full}` became optional"),
                                Some("required".into()),
                                Some("optional".into()),
                            );
                        }
                        if ro && Self::prop_flag(self.b, (*bd, bnode), "readOnly") {
                            continue;
                        }
                    } else {
                        let wo = Self::prop_flag(self.r, (rpd, rpn), "writeOnly");
                        if breq && !rreq && !wo {
                            self.emit(
                                "response-property-became-optional",
                                o,
                                Side::Revision,
                                rd,
                                reqloc,
                                &pp,
                                format!("the response property `{full}` became optional"),
                                Some("required".into()),
                                Some("optional".into()),
                            );
                        } else if !breq && rreq {
                            self.emit(
                                "response-property-became-required",
                                o,
                                Side::Revision,
                                rd,
                                reqloc,
                                &pp,
                                format!("the response property `{full}` became required"),
                                Some("optional".into()),
                                Some("required".into()),
                            );
                        }
                        if wo && Self::prop_flag(self.b, (*bd, bnode), "writeOnly") {
                            continue;
                        }
                    }
                    self.schema(c, true, &pp, &full, (*bd, bnode), (rpd, rpn));
                }
            }
        }
        for (name, rpd, rpn) in &rv.props {
            if bv.prop(name).is_some() {
                continue;
            }
            let pp = format!("{ptr}/properties/{}", escape_pointer(name));
            let full = join(name);
            let rreq = rv.required.contains(name);
            if c.request {
                let ro = Self::prop_flag(self.r, (*rpd, rpn), "readOnly");
                if rreq && !ro {
                    self.emit(
                        "new-required-request-property",
                        o,
                        Side::Revision,
                        *rpd,
                        rpn,
                        &pp,
                        format!("added the new required request property `{full}`"),
                        None,
                        Some(full.clone()),
                    );
                } else {
                    self.emit(
                        "new-optional-request-property",
                        o,
                        Side::Revision,
                        *rpd,
                        rpn,
                        &pp,
                        format!("added the new optional request property `{full}`"),
                        None,
                        Some(full.clone()),
                    );
                }
            } else {
                let id = if rreq {
                    "response-required-property-added"
                } else {
                    "response-optional-property-added"
                };
                let kind = if rreq { "required" } else { "optional" };
                self.emit(
                    id,
                    o,
                    Side::Revision,
                    *rpd,
                    rpn,
                    &pp,
                    format!(
                        "added the {kind} property `{full}` to the {}",
                        human(c.root_prefix)
                    ),
                    None,
                    Some(full.clone()),
                );
            }
        }
    }
}
