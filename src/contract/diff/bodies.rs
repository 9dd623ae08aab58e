//! Request bodies, responses, media types and response headers.

use super::*;

impl<'a> Differ<'a> {
    // ------------------------------------------------------------------------------------------
    // request body

    pub(super) fn request_body(
        &mut self,
        op: &Op,
        p: &str,
        bd: usize,
        bop: &'a Node,
        rd: usize,
        rop: &'a Node,
    ) {
        let o = Some(op);
        let pp = format!("{p}/requestBody");
        let b = bop.get("requestBody").and_then(|n| self.b.deref(bd, n));
        let r = rop.get("requestBody").and_then(|n| self.r.deref(rd, n));
        match (b, r) {
            (None, None) => {}
            (None, Some((rdd, rb))) => {
                if rb.get_bool("required") {
                    self.emit(
                        "request-body-added-required",
                        o,
                        Side::Revision,
                        rdd,
                        rb,
                        &pp,
                        "added a required request body".into(),
                        None,
                        None,
                    );
                } else {
                    self.emit(
                        "request-body-added-optional",
                        o,
                        Side::Revision,
                        rdd,
                        rb,
                        &pp,
                        "added an optional request body".into(),
                        None,
                        None,
                    );
                }
            }
            (Some(_), None) => {
                self.emit(
                    "request-body-removed",
                    o,
                    Side::Revision,
                    rd,
                    rop,
                    &pp,
                    "removed the request body".into(),
                    None,
                    None,
                );
            }
            (Some((bdd, bb)), Some((rdd, rb))) => {
                let (breq, rreq) = (bb.get_bool("required"), rb.get_bool("required"));
                let loc = rb.get("required").unwrap_or(rb);
                if !breq && rreq {
                    self.emit(
                        "request-body-became-required",
                        o,
                        Side::Revision,
                        rdd,
                        loc,
                        &pp,
                        "the request body became required".into(),
                        None,
                        None,
                    );
                } else if breq && !rreq {
                    self.emit(
                        "request-body-became-optional",
                        o,
                        Side::Revision,
                        rdd,
                        loc,
                        &pp,
                        "the request body became optional".into(),
                        None,
                        None,
                    );
                }
                let c = SCtx {
                    op,
                    label: "",
                    request: true,
                    root_prefix: "request-body",
                    nested_prefix: "request-property",
                };
                self.content(
                    c,
                    &pp,
                    (bdd, bb),
                    (rdd, rb),
                    "request-body-media-type-removed",
                    "request-body-media-type-added",
                );
            }
        }
    }

    /// Compare `content` maps (media type -> schema).
    pub(super) fn content(
        &mut self,
        c: SCtx,
        pp: &str,
        (bd, b): R<'a>,
        (rd, r): R<'a>,
        removed: &str,
        added: &str,
    ) {
        let o = Some(c.op);
        let norm = |k: &str| k.split(';').next().unwrap_or(k).trim().to_ascii_lowercase();
        let bc: BTreeMap<String, &Node> = b
            .get("content")
            .map(Node::map)
            .unwrap_or(&[])
            .iter()
            .map(|(k, v)| (norm(k), v))
            .collect();
        let rc: BTreeMap<String, &Node> = r
            .get("content")
            .map(Node::map)
            .unwrap_or(&[])
            .iter()
            .map(|(k, v)| (norm(k), v))
            .collect();
        let rloc = r.get("content").unwrap_or(r);
        // a response media type replaced by a wildcard that covers it (`application/json` ->
        // `application/*`): clients can no longer tell what they get
        let covers = |w: &str, m: &str| {
            w == "*/*"
                || w.strip_suffix("/*")
                    .is_some_and(|t| m.split('/').next() == Some(t))
        };
        let mut generalized = BTreeSet::new();
        if removed.starts_with("response") {
            for (mt, bnode) in bc.iter().filter(|(m, _)| !rc.contains_key(*m)) {
                let added = |f: &dyn Fn(&str) -> bool| {
                    rc.iter()
                        .find(|(w, _)| !bc.contains_key(*w) && !generalized.contains(*w) && f(w))
                        .map(|(w, n)| (w.clone(), *n))
                };
                let hit = added(&|w| covers(w, mt))
                    .map(|x| ("response-media-type-name-generalized", "more general", x))
                    .or_else(|| {
                        added(&|w| covers(mt, w))
                            .map(|x| ("response-media-type-name-specialized", "more specific", x))
                    });
                if let Some((id, how, (w, wn))) = hit {
                    self.base_pos = Some((bnode.line, bnode.col));
                    self.emit(
                        id,
                        o,
                        Side::Revision,
                        rd,
                        wn,
                        &format!("{pp}/content/{}", escape_pointer(&w)),
                        format!("the media type `{mt}` was replaced by the {how} `{w}`"),
                        Some(mt.clone()),
                        Some(w.clone()),
                    );
                    generalized.insert(mt.clone());
                    generalized.insert(w);
                }
            }
        }
        for (mt, bnode) in &bc {
            if !rc.contains_key(mt) && !generalized.contains(mt) {
                self.base_pos = Some((bnode.line, bnode.col));
                self.emit(
                    removed,
                    o,
                    Side::Revision,
                    rd,
                    rloc,
                    &format!("{pp}/content/{}", escape_pointer(mt)),
                    format!("removed the media type `{mt}`"),
                    Some(mt.clone()),
                    None,
                );
            }
        }
        for (mt, n) in &rc {
            if !bc.contains_key(mt) && !generalized.contains(mt) {
                self.emit(
                    added,
                    o,
                    Side::Revision,
                    rd,
                    n,
                    &format!("{pp}/content/{}", escape_pointer(mt)),
                    format!("added the media type `{mt}`"),
                    None,
                    Some(mt.clone()),
                );
            }
        }
        // a schema where there was none (or `{}`): payloads that were accepted may be rejected; a
        // response schema removed: clients no longer know what they get
        let has = |n: &Node| {
            n.get("schema")
                .is_some_and(|s| !s.is_map() || !s.map().is_empty())
        };
        for (mt, bn) in &bc {
            let Some(rn) = rc.get(mt) else { continue };
            let sp = format!("{pp}/content/{}/schema", escape_pointer(mt));
            match (has(bn), has(rn)) {
                (false, true) if removed.starts_with("request-body") => self.emit(
                    "request-body-media-type-schema-added",
                    o,
                    Side::Revision,
                    rd,
                    rn.get("schema").unwrap_or(rn),
                    &sp,
                    format!("added a schema to the media type `{mt}`"),
                    None,
                    None,
                ),
                (true, false) if removed.starts_with("response") => self.emit(
                    "response-media-type-schema-removed",
                    o,
                    Side::Revision,
                    rd,
                    rn,
                    &sp,
                    format!("removed the schema of the media type `{mt}`"),
                    None,
                    None,
                ),
                (true, false) if removed.starts_with("request-body") => self.emit(
                    "request-body-media-type-schema-removed",
                    o,
                    Side::Revision,
                    rd,
                    rn,
                    &sp,
                    format!("removed the schema of the media type `{mt}`"),
                    None,
                    None,
                ),
                (false, true) if removed.starts_with("response") => self.emit(
                    "response-media-type-schema-added",
                    o,
                    Side::Revision,
                    rd,
                    rn.get("schema").unwrap_or(rn),
                    &sp,
                    format!("added a schema to the media type `{mt}`"),
                    None,
                    None,
                ),
                _ => {}
            }
        }
        for (mt, bn) in &bc {
            let Some(rn) = rc.get(mt) else { continue };
            if let (Some(bs), Some(rs)) = (bn.get("schema"), rn.get("schema")) {
                let sp = format!("{pp}/content/{}/schema", escape_pointer(mt));
                self.schema(c, false, &sp, "", (bd, bs), (rd, rs));
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // responses

    pub(super) fn responses(
        &mut self,
        op: &Op,
        p: &str,
        bd: usize,
        bop: &'a Node,
        rd: usize,
        rop: &'a Node,
    ) {
        let o = Some(op);
        let empty = Node {
            line: 0,
            col: 0,
            v: V::Null,
        };
        let bresp = bop.get("responses");
        let rresp = rop.get("responses");
        let norm = |k: &str| k.to_ascii_uppercase();
        let bm: BTreeMap<String, &Node> = bresp
            .map(Node::map)
            .unwrap_or(&[])
            .iter()
            .map(|(k, v)| (norm(k), v))
            .collect();
        let rm: BTreeMap<String, &Node> = rresp
            .map(Node::map)
            .unwrap_or(&[])
            .iter()
            .map(|(k, v)| (norm(k), v))
            .collect();
        let _ = &empty;
        let rloc = rresp.unwrap_or(rop);
        for (code, bnode) in &bm {
            if !rm.contains_key(code) {
                self.base_pos = Some((bnode.line, bnode.col));
                let id = if code.starts_with('2') {
                    "response-success-status-removed"
                } else {
                    "response-non-success-status-removed"
                };
                self.emit(
                    id,
                    o,
                    Side::Revision,
                    rd,
                    rloc,
                    &format!("{p}/responses/{code}"),
                    format!("removed the response status {code}"),
                    Some(code.clone()),
                    None,
                );
            }
        }
        for (code, n) in &rm {
            if !bm.contains_key(code) {
                let id = if code.starts_with('2') {
                    "response-success-status-added"
                } else {
                    "response-non-success-status-added"
                };
                self.emit(
                    id,
                    o,
                    Side::Revision,
                    rd,
                    n,
                    &format!("{p}/responses/{code}"),
                    format!("added the response status {code}"),
                    None,
                    Some(code.clone()),
                );
            }
        }
        for (code, bn) in &bm {
            let Some(rn) = rm.get(code) else { continue };
            let (Some(b), Some(r)) = (self.b.deref(bd, bn), self.r.deref(rd, rn)) else {
                continue;
            };
            let pp = format!("{p}/responses/{code}");
            let c = SCtx {
                op,
                label: "",
                request: false,
                root_prefix: "response-body",
                nested_prefix: "response-property",
            };
            self.content(
                c,
                &pp,
                b,
                r,
                "response-media-type-removed",
                "response-media-type-added",
            );
            self.headers(c, &pp, b, r, code);
        }
    }

    pub(super) fn headers(
        &mut self,
        c: SCtx,
        pp: &str,
        (bd, b): R<'a>,
        (rd, r): R<'a>,
        code: &str,
    ) {
        let o = Some(c.op);
        let hm = |spec: &'a Spec, d: usize, n: &'a Node| -> BTreeMap<String, R<'a>> {
            n.get("headers")
                .map(Node::map)
                .unwrap_or(&[])
                .iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("content-type"))
                .filter_map(|(k, v)| spec.deref(d, v).map(|x| (k.to_ascii_lowercase(), x)))
                .collect()
        };
        let (bh, rh) = (hm(self.b, bd, b), hm(self.r, rd, r));
        let rloc = r.get("headers").unwrap_or(r);
        for (h, (_, bn)) in &bh {
            if !rh.contains_key(h) {
                self.base_pos = Some((bn.line, bn.col));
                let id = if bn.get_bool("required") {
                    "response-required-header-removed"
                } else {
                    "response-optional-header-removed"
                };
                self.emit(
                    id,
                    o,
                    Side::Revision,
                    rd,
                    rloc,
                    &format!("{pp}/headers/{}", escape_pointer(h)),
                    format!("removed the header `{h}` of the {code} response"),
                    Some(h.clone()),
                    None,
                );
            }
        }
        for (h, (hd, rn)) in &rh {
            let hp = format!("{pp}/headers/{}", escape_pointer(h));
            match bh.get(h) {
                None => self.emit(
                    "response-header-added",
                    o,
                    Side::Revision,
                    *hd,
                    rn,
                    &hp,
                    format!("added the header `{h}` to the {code} response"),
                    None,
                    Some(h.clone()),
                ),
                Some((bhd, bn)) => {
                    if bn.get_bool("required") && !rn.get_bool("required") {
                        self.emit(
                            "response-header-became-optional",
                            o,
                            Side::Revision,
                            *hd,
                            rn.get("required").unwrap_or(rn),
                            &hp,
                            format!("the header `{h}` of the {code} response became optional"),
                            None,
                            None,
                        );
                    } else if !bn.get_bool("required") && rn.get_bool("required") {
                        self.emit(
                            "response-header-became-required",
                            o,
                            Side::Revision,
                            *hd,
                            rn.get("required").unwrap_or(rn),
                            &hp,
                            format!("the header `{h}` of the {code} response became required"),
                            None,
                            None,
                        );
                    }
                    if let (Some(bs), Some(rs)) = (bn.get("schema"), rn.get("schema")) {
                        let label = format!("header `{h}`");
                        let hc = SCtx {
                            label: &label,
                            root_prefix: "response-header",
                            nested_prefix: "response-header",
                            ..c
                        };
                        self.schema(
                            hc,
                            false,
                            &format!("{hp}/schema"),
                            "",
                            (*bhd, bs),
                            (*hd, rs),
                        );
                    }
                }
            }
        }
    }
}
