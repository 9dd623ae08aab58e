//! Security: the security schemes of `components.securitySchemes` and the effective security
//! requirements of each operation.

use super::*;

impl<'a> Differ<'a> {
    pub(super) fn security_schemes(&mut self) {
        let (b, r) = (self.b.root(), self.r.root());
        let bs = b
            .pointer("/components/securitySchemes")
            .map(Node::map)
            .unwrap_or(&[]);
        let rs_node = r.pointer("/components/securitySchemes");
        let rs = rs_node.map(Node::map).unwrap_or(&[]);
        for (name, bn) in bs {
            let p = format!("/components/securitySchemes/{}", escape_pointer(name));
            let Some((_, rn)) = rs.iter().find(|(k, _)| k == name) else {
                let loc = rs_node.unwrap_or(r);
                self.emit(
                    "api-security-component-removed",
                    None,
                    Side::Revision,
                    0,
                    loc,
                    &p,
                    format!("removed the security scheme `{name}`"),
                    Some(name.to_string()),
                    None,
                );
                continue;
            };
            let (Some((_, bn)), Some((_, rn))) = (self.b.deref(0, bn), self.r.deref(0, rn)) else {
                continue;
            };
            let field = |n: &'a Node, k: &str| n.get_str(k).map(str::to_string);
            let (bt, rt) = (field(bn, "type"), field(rn, "type"));
            if bt != rt {
                self.emit(
                    "api-security-component-type-changed",
                    None,
                    Side::Revision,
                    0,
                    rn.get("type").unwrap_or(rn),
                    &p,
                    format!(
                        "the type of security scheme `{name}` changed from {} to {}",
                        bt.clone().unwrap_or_default(),
                        rt.clone().unwrap_or_default()
                    ),
                    bt,
                    rt,
                );
                continue;
            }
            for k in ["in", "name"] {
                let (a, c) = (field(bn, k), field(rn, k));
                if a != c && bt.as_deref() == Some("apiKey") {
                    self.emit(
                        "api-security-component-api-key-changed",
                        None,
                        Side::Revision,
                        0,
                        rn.get(k).unwrap_or(rn),
                        &p,
                        format!(
                            "the API key `{k}` of security scheme `{name}` changed from {} to {}",
                            a.clone().unwrap_or_default(),
                            c.clone().unwrap_or_default()
                        ),
                        a,
                        c,
                    );
                }
            }
            let (a, c) = (
                field(bn, "scheme").map(|x| x.to_ascii_lowercase()),
                field(rn, "scheme").map(|x| x.to_ascii_lowercase()),
            );
            if a != c && bt.as_deref() == Some("http") {
                self.emit(
                    "api-security-component-http-scheme-changed",
                    None,
                    Side::Revision,
                    0,
                    rn.get("scheme").unwrap_or(rn),
                    &p,
                    format!(
                        "the HTTP scheme of security scheme `{name}` changed from {} to {}",
                        a.clone().unwrap_or_default(),
                        c.clone().unwrap_or_default()
                    ),
                    a,
                    c,
                );
            }
            let bflows = bn.get("flows").map(Node::map).unwrap_or(&[]);
            for (flow, rf) in rn.get("flows").map(Node::map).unwrap_or(&[]) {
                let Some((_, bf)) = bflows.iter().find(|(k, _)| k == flow) else {
                    continue;
                };
                let fp = format!("{p}/flows/{flow}");
                for k in ["authorizationUrl", "tokenUrl", "refreshUrl"] {
                    let (a, c) = (field(bf, k), field(rf, k));
                    if a != c && a.is_some() {
                        self.emit("api-security-component-oauth-url-changed", None, Side::Revision, 0, rf.get(k).unwrap_or(rf), &fp, format!("the {k} of the {flow} flow of security scheme `{name}` changed from {} to {}", a.clone().unwrap_or_default(), c.clone().unwrap_or_default()), a, c);
                    }
                }
                let scopes = |n: &'a Node| -> BTreeSet<&'a str> {
                    n.get("scopes")
                        .map(Node::map)
                        .unwrap_or(&[])
                        .iter()
                        .map(|(k, _)| &**k)
                        .collect()
                };
                let (bsc, rsc) = (scopes(bf), scopes(rf));
                let loc = rf.get("scopes").unwrap_or(rf);
                for sc in bsc.difference(&rsc) {
                    self.emit("api-security-component-oauth-scope-removed", None, Side::Revision, 0, loc, &fp, format!("removed the scope `{sc}` from the {flow} flow of security scheme `{name}`"), Some(sc.to_string()), None);
                }
                for sc in rsc.difference(&bsc) {
                    self.emit(
                        "api-security-component-oauth-scope-added",
                        None,
                        Side::Revision,
                        0,
                        loc,
                        &fp,
                        format!(
                            "added the scope `{sc}` to the {flow} flow of security scheme `{name}`"
                        ),
                        None,
                        Some(sc.to_string()),
                    );
                }
            }
        }
        for (name, rn) in rs {
            if !bs.iter().any(|(k, _)| k == name) {
                let p = format!("/components/securitySchemes/{}", escape_pointer(name));
                self.emit(
                    "api-security-component-added",
                    None,
                    Side::Revision,
                    0,
                    rn,
                    &p,
                    format!("added the security scheme `{name}`"),
                    None,
                    Some(name.to_string()),
                );
            }
        }
    }

    pub(super) fn security(&mut self, op: &Op, p: &str, bop: &'a Node, rd: usize, rop: &'a Node) {
        type Req<'x> = BTreeMap<&'x str, BTreeSet<&'x str>>;
        fn eff<'x>(spec: &'x Spec, op: &'x Node) -> (Vec<Req<'x>>, Option<&'x Node>) {
            let n = op.get("security").or_else(|| spec.root().get("security"));
            let reqs = n
                .map(Node::seq)
                .unwrap_or(&[])
                .iter()
                .map(|r| {
                    r.map()
                        .iter()
                        .map(|(k, v)| (&**k, v.seq().iter().filter_map(Node::str).collect()))
                        .collect()
                })
                .collect();
            (reqs, n)
        }
        let (breqs, _) = eff(self.b, bop);
        let (rreqs, rnode) = eff(self.r, rop);
        let loc = rnode.unwrap_or(rop);
        // a document-level `security` lives in document 0 of the revision
        let ld = if rop.get("security").is_some() { rd } else { 0 };
        let ptr = if rop.get("security").is_some() {
            format!("{p}/security")
        } else {
            "/security".to_string()
        };
        let anon = |v: &Vec<Req>| v.is_empty() || v.iter().any(|r| r.is_empty());
        let names = |r: &Req| r.keys().copied().collect::<Vec<_>>().join(" + ");
        let o = Some(op);
        match (anon(&breqs), anon(&rreqs)) {
            (true, false) => {
                let all: Vec<String> = rreqs.iter().map(names).collect();
                self.emit("api-security-added", o, Side::Revision, ld, loc, &ptr, format!("security requirement `{}` added: the operation now requires authentication", all.join("` or `")), None, Some(all.join(" | ")));
            }
            (false, true) => {
                self.emit("api-security-removed", o, Side::Revision, ld, loc, &ptr, "security requirements removed: the operation no longer requires authentication".into(), None, None);
            }
            (b_anon, r_anon) => {
                for br in breqs.iter().filter(|r| !r.is_empty()) {
                    let keys: Vec<&str> = br.keys().copied().collect();
                    match rreqs
                        .iter()
                        .find(|rr| rr.keys().copied().eq(keys.iter().copied()))
                    {
                        None => {
                            if !r_anon {
                                self.emit(
                                    "api-security-requirement-removed",
                                    o,
                                    Side::Revision,
                                    ld,
                                    loc,
                                    &ptr,
                                    format!("security requirement `{}` removed", names(br)),
                                    Some(names(br)),
                                    None,
                                );
                            }
                        }
                        Some(rr) => {
                            for (scheme, bscopes) in br {
                                let rscopes = &rr[scheme];
                                for s in rscopes.difference(bscopes) {
                                    self.emit(
                                        "api-security-scope-added",
                                        o,
                                        Side::Revision,
                                        ld,
                                        loc,
                                        &ptr,
                                        format!("scope `{s}` added to security scheme `{scheme}`"),
                                        None,
                                        Some(s.to_string()),
                                    );
                                }
                                for s in bscopes.difference(rscopes) {
                                    self.emit(
                                        "api-security-scope-removed",
                                        o,
                                        Side::Revision,
                                        ld,
                                        loc,
                                        &ptr,
                                        format!(
                                            "scope `{s}` removed from security scheme `{scheme}`"
                                        ),
                                        Some(s.to_string()),
                                        None,
                                    );
                                }
                            }
                        }
                    }
                }
                if !b_anon {
                    for rr in rreqs.iter().filter(|r| !r.is_empty()) {
                        if !breqs.iter().any(|br| br.keys().eq(rr.keys())) {
                            self.emit(
                                "api-security-requirement-added",
                                o,
                                Side::Revision,
                                ld,
                                loc,
                                &ptr,
                                format!("alternative security requirement `{}` added", names(rr)),
                                None,
                                Some(names(rr)),
                            );
                        }
                    }
                }
            }
        }
    }
}
