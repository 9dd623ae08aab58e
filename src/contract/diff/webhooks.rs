//! Webhooks (3.1 `webhooks`, or `x-webhooks`) compared like operations, in the consumer's direction:
//! the API *sends* the request, so its payload and parameters are what consumers receive and are
//! judged like a response (a property removed or made optional breaks them, a new one does not).
//! What consumers answer (`responses`) is read by the API and judged like a request. Lifecycle
//! (deprecation, sunset, stability) and removal follow the operation rules.

use super::*;

impl<'a> Differ<'a> {
    pub(super) fn webhook_index(spec: &'a Spec) -> BTreeMap<String, (usize, &'a Node)> {
        let mut m = BTreeMap::new();
        for key in ["webhooks", "x-webhooks"] {
            for (name, item) in spec.root().get(key).map(Node::map).unwrap_or(&[]) {
                if let Some(x) = spec.deref(0, item) {
                    m.entry(name.to_string()).or_insert(x);
                }
            }
        }
        m
    }

    pub(super) fn webhooks(&mut self) {
        let bw = Self::webhook_index(self.b);
        let rw = Self::webhook_index(self.r);
        let key = |s: &Spec| {
            if s.root().get("webhooks").is_some() {
                "webhooks"
            } else {
                "x-webhooks"
            }
        };
        let (bkey, rkey) = (key(self.b), key(self.r));
        let op_of = |name: &str, m: &str| Op {
            name: format!("{} webhook {name}", m.to_uppercase()),
            method: m.to_uppercase(),
            path: name.to_string(),
        };
        for (name, (bd, bitem)) in &bw {
            let matched = rw.get(name);
            let rops = matched.map(|(_, i)| Self::ops(i)).unwrap_or_default();
            for (m, bop) in Self::ops(bitem) {
                let op = op_of(name, m);
                match (matched, rops.iter().find(|(rm, _)| *rm == m)) {
                    (Some(&(rd, ritem)), Some((_, rop))) => {
                        let p = format!("/{rkey}/{}/{m}", escape_pointer(name));
                        self.webhook(&op, &p, (*bd, bitem, bop), (rd, ritem, rop));
                    }
                    _ => {
                        let (suffix, what) = self.removal(bop);
                        let id = match suffix {
                            "before-sunset" => "webhook-removed-before-sunset",
                            "with-deprecation" => "webhook-removed-with-deprecation",
                            _ => "webhook-removed",
                        };
                        let p = format!("/{bkey}/{}/{m}", escape_pointer(name));
                        self.emit(
                            id,
                            Some(&op),
                            Side::Base,
                            *bd,
                            bop,
                            &p,
                            format!("webhook {what}"),
                            None,
                            None,
                        );
                    }
                }
            }
        }
        for (name, (rd, ritem)) in &rw {
            let bops = bw.get(name).map(|(_, i)| Self::ops(i)).unwrap_or_default();
            for (m, rop) in Self::ops(ritem) {
                if bops.iter().any(|(bm, _)| *bm == m) {
                    continue;
                }
                let p = format!("/{rkey}/{}/{m}", escape_pointer(name));
                self.emit(
                    "webhook-added",
                    Some(&op_of(name, m)),
                    Side::Revision,
                    *rd,
                    rop,
                    &p,
                    "webhook added".into(),
                    None,
                    None,
                );
            }
        }
    }

    /// One method of a webhook present in both documents.
    fn webhook(
        &mut self,
        op: &Op,
        p: &str,
        (bd, bitem, bop): (usize, &'a Node, &'a Node),
        (rd, ritem, rop): (usize, &'a Node, &'a Node),
    ) {
        self.lifecycle(op, true, p, bop, rd, rop);
        self.webhook_parameters(op, p, (bd, bitem, bop), (rd, ritem, rop));
        self.webhook_payload(op, p, (bd, bop), (rd, rop));
        self.webhook_responses(op, p, (bd, bop), (rd, rop));
    }

    /// What consumers answer (`responses`): the API reads it, so it is compared like a request body
    /// (a success status or media type the API no longer accepts, or a tighter schema, breaks
    /// consumers). Non-success statuses are the consumer's business and not compared.
    fn webhook_responses(&mut self, op: &Op, p: &str, (bd, bop): R<'a>, (rd, rop): R<'a>) {
        let o = Some(op);
        let success = |n: &'a Node| -> BTreeMap<String, &'a Node> {
            n.get("responses")
                .map(Node::map)
                .unwrap_or(&[])
                .iter()
                .map(|(k, v)| (k.to_ascii_uppercase(), v))
                .filter(|(k, _)| k.starts_with('2'))
                .collect()
        };
        let (bm, rm) = (success(bop), success(rop));
        let rloc = rop.get("responses").unwrap_or(rop);
        for (code, bnode) in &bm {
            let pp = format!("{p}/responses/{code}");
            let Some(rnode) = rm.get(code) else {
                self.base_pos = Some((bnode.line, bnode.col));
                self.emit(
                    "webhook-success-status-removed",
                    o,
                    Side::Revision,
                    rd,
                    rloc,
                    &pp,
                    format!("the API no longer accepts status {code} in answer to the webhook"),
                    Some(code.clone()),
                    None,
                );
                continue;
            };
            let (Some(b), Some(r)) = (self.b.deref(bd, bnode), self.r.deref(rd, rnode)) else {
                continue;
            };
            let c = SCtx {
                op,
                label: "",
                request: true,
                root_prefix: "webhook-response-body",
                nested_prefix: "webhook-response-property",
            };
            self.content(
                c,
                &pp,
                b,
                r,
                "webhook-response-media-type-removed",
                "webhook-response-media-type-added",
            );
        }
        for (code, rnode) in &rm {
            if !bm.contains_key(code) {
                self.emit(
                    "webhook-success-status-added",
                    o,
                    Side::Revision,
                    rd,
                    rnode,
                    &format!("{p}/responses/{code}"),
                    format!("the API now accepts status {code} in answer to the webhook"),
                    None,
                    Some(code.clone()),
                );
            }
        }
    }

    /// The payload (`requestBody`) the API sends: removed, added, optional, and its content.
    fn webhook_payload(&mut self, op: &Op, p: &str, (bd, bop): R<'a>, (rd, rop): R<'a>) {
        let o = Some(op);
        let pp = format!("{p}/requestBody");
        let b = bop.get("requestBody").and_then(|n| self.b.deref(bd, n));
        let r = rop.get("requestBody").and_then(|n| self.r.deref(rd, n));
        match (b, r) {
            (None, None) => {}
            (None, Some((rdd, rb))) => self.emit(
                "webhook-payload-added",
                o,
                Side::Revision,
                rdd,
                rb,
                &pp,
                "the webhook now sends a payload".into(),
                None,
                None,
            ),
            (Some((_, bb)), None) => {
                self.base_pos = Some((bb.line, bb.col));
                self.emit(
                    "webhook-payload-removed",
                    o,
                    Side::Revision,
                    rd,
                    rop,
                    &pp,
                    "the webhook no longer sends a payload".into(),
                    None,
                    None,
                );
            }
            (Some((bdd, bb)), Some((rdd, rb))) => {
                let (breq, rreq) = (bb.get_bool("required"), rb.get_bool("required"));
                let loc = rb.get("required").unwrap_or(rb);
                if breq != rreq {
                    let (id, how) = if rreq {
                        ("webhook-payload-became-required", "required")
                    } else {
                        ("webhook-payload-became-optional", "optional")
                    };
                    self.emit(
                        id,
                        o,
                        Side::Revision,
                        rdd,
                        loc,
                        &pp,
                        format!("the webhook payload became {how}"),
                        Some(breq.to_string()),
                        Some(rreq.to_string()),
                    );
                }
                let c = SCtx {
                    op,
                    label: "",
                    request: false,
                    root_prefix: "webhook-payload",
                    nested_prefix: "webhook-payload-property",
                };
                self.content(
                    c,
                    &pp,
                    (bdd, bb),
                    (rdd, rb),
                    "webhook-media-type-removed",
                    "webhook-media-type-added",
                );
            }
        }
    }

    /// Parameters (headers, mostly: signatures, event names, delivery ids) the API sends with a
    /// webhook: the consumer reads them, so they are compared like response headers.
    fn webhook_parameters(
        &mut self,
        op: &Op,
        p: &str,
        (bd, bitem, bop): (usize, &'a Node, &'a Node),
        (rd, ritem, rop): (usize, &'a Node, &'a Node),
    ) {
        let bps = Self::param_list(self.b, bd, bitem, bop, "");
        let rps = Self::param_list(self.r, rd, ritem, rop, "");
        let o = Some(op);
        let required = |n: &Node| n.get_bool("required") || n.get_str("in") == Some("path");
        let describe = |n: &'a Node| {
            (
                n.get_str("in").unwrap_or(""),
                n.get_str("name").unwrap_or(""),
            )
        };
        for (k, (_, bn)) in &bps {
            if rps.contains_key(k) {
                continue;
            }
            let (inn, name) = describe(bn);
            let pp = format!("{p}/parameters/{inn}/{}", escape_pointer(name));
            let (id, kind) = if required(bn) {
                ("webhook-required-parameter-removed", "required")
            } else {
                ("webhook-optional-parameter-removed", "optional")
            };
            self.base_pos = Some((bn.line, bn.col));
            self.emit(
                id,
                o,
                Side::Revision,
                rd,
                rop.get("parameters").unwrap_or(rop),
                &pp,
                format!("removed the {kind} {inn} parameter `{name}` the webhook sends"),
                Some(name.into()),
                None,
            );
        }
        for (k, (rdd, rn)) in &rps {
            let (inn, name) = describe(rn);
            let pp = format!("{p}/parameters/{inn}/{}", escape_pointer(name));
            let Some((bdd, bn)) = bps.get(k) else {
                self.emit(
                    "webhook-parameter-added",
                    o,
                    Side::Revision,
                    *rdd,
                    rn,
                    &pp,
                    format!("added the {inn} parameter `{name}` to the webhook"),
                    None,
                    Some(name.into()),
                );
                continue;
            };
            let (breq, rreq) = (required(bn), required(rn));
            if breq != rreq {
                let (id, how) = if rreq {
                    ("webhook-parameter-became-required", "required")
                } else {
                    ("webhook-parameter-became-optional", "optional")
                };
                self.emit(
                    id,
                    o,
                    Side::Revision,
                    *rdd,
                    rn.get("required").unwrap_or(rn),
                    &pp,
                    format!("the {inn} parameter `{name}` the webhook sends became {how}"),
                    Some(breq.to_string()),
                    Some(rreq.to_string()),
                );
            }
            if let (Some(bs), Some(rs)) = (bn.get("schema"), rn.get("schema")) {
                let disp = format!("webhook {inn} parameter `{name}`");
                let c = SCtx {
                    op,
                    label: &disp,
                    request: false,
                    root_prefix: "webhook-parameter",
                    nested_prefix: "webhook-parameter-property",
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
