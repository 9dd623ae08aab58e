//! The schema walk: one schema pair at a time (cycle guard, `$ref`s followed lazily) and the
//! keyword comparisons (type, format, nullability, enum/const, bounds, pattern, flags ...).

use super::*;

impl<'a> Differ<'a> {
    // ------------------------------------------------------------------------------------------
    // schemas

    #[allow(clippy::too_many_arguments)]
    pub(super) fn sch(
        &mut self,
        c: SCtx,
        nested: bool,
        prop: &str,
        kind: &str,
        rd: usize,
        loc: &Node,
        ptr: &str,
        what: String,
        bv: Option<String>,
        rv: Option<String>,
    ) {
        let prefix = if nested {
            c.nested_prefix
        } else {
            c.root_prefix
        };
        let ctxname = if nested {
            let of = if c.label.is_empty() {
                String::new()
            } else {
                format!(" of the {}", c.label)
            };
            format!("{} `{prop}`{of}", human(prefix))
        } else if !c.label.is_empty() {
            c.label.to_string()
        } else {
            human(prefix).to_string()
        };
        self.emit(
            &format!("{prefix}-{kind}"),
            Some(c.op),
            Side::Revision,
            rd,
            loc,
            ptr,
            format!("for the {ctxname}, {what}"),
            bv,
            rv,
        );
    }

    pub(super) fn schema(
        &mut self,
        c: SCtx,
        nested: bool,
        ptr: &str,
        prop: &str,
        b: R<'a>,
        r: R<'a>,
    ) {
        let (Some((bd, bn)), Some((rd, rn))) = (self.b.deref(b.0, b.1), self.r.deref(r.0, r.1))
        else {
            return;
        };
        let key = (ptr_id(bn), ptr_id(rn), c.request);
        if self.clean.contains(&key) {
            return;
        }
        if self.depth > 64 || self.stack.contains(&key) {
            self.cuts += 1;
            return;
        }
        self.stack.insert(key);
        self.depth += 1;
        let (before, cuts) = (self.out.len(), self.cuts);
        self.schema_inner(c, nested, ptr, prop, (bd, bn), (rd, rn));
        self.depth -= 1;
        self.stack.remove(&key);
        // only a complete comparison proves the pair identical (a cut cycle may hide changes that the
        // pair reaches through an ancestor still being compared)
        if self.out.len() == before && self.cuts == cuts {
            self.clean.insert(key);
        }
    }

    pub(super) fn schema_inner(
        &mut self,
        c: SCtx,
        nested: bool,
        ptr: &str,
        prop: &str,
        (bd, bn): R<'a>,
        (rd, rn): R<'a>,
    ) {
        let bv = flatten(self.b, bd, bn);
        let rv = flatten(self.r, rd, rn);
        let req = c.request;
        if let Some(alt) = self.wrapped_in_one_of(&bv, &rv) {
            let loc = rn.get("oneOf").unwrap_or(rn);
            self.sch(
                c,
                nested,
                prop,
                "wrapped-in-one-of",
                rd,
                loc,
                &format!("{ptr}/oneOf"),
                "restructured into a oneOf (the old schema is one alternative)".into(),
                None,
                Some(format!("{} alternatives", rv.one_of.len())),
            );
            // the old schema kept as one alternative: what else changed in it
            if Self::alt_shape(self.r, alt) == Self::alt_shape(self.b, (bd, bn)) {
                let j = rv
                    .one_of
                    .iter()
                    .position(|x| std::ptr::eq(x.1, alt.1))
                    .unwrap_or(0);
                self.schema(c, nested, &format!("{ptr}/oneOf/{j}"), prop, (bd, bn), alt);
            }
            return;
        }
        let kloc = |k: &str| rv.kw(k).map(|(_, n)| n).unwrap_or(rn);
        macro_rules! e {
            ($kind:expr, $loc:expr, $what:expr, $b:expr, $r:expr) => {
                self.sch(c, nested, prop, $kind, rd, $loc, ptr, $what, $b, $r)
            };
        }
        // type
        if bv.types != rv.types {
            let covers = |a: &BTreeSet<&str>, b: &BTreeSet<&str>| {
                b.iter()
                    .all(|t| a.contains(t) || (*t == "integer" && a.contains("number")))
            };
            let show = |t: &Option<BTreeSet<&str>>| {
                t.as_ref().map_or("any".to_string(), |s| {
                    s.iter().copied().collect::<Vec<_>>().join("|")
                })
            };
            let widen = match (&bv.types, &rv.types) {
                (_, None) => true,
                (None, Some(_)) => false,
                (Some(b), Some(r)) => covers(r, b),
            };
            let narrow = match (&bv.types, &rv.types) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(b), Some(r)) => covers(b, r),
            };
            let (bs, rs) = (show(&bv.types), show(&rv.types));
            // a type list on either side: list-of-types-widened / -narrowed
            let list = [&bv.types, &rv.types]
                .iter()
                .any(|t| t.as_ref().is_some_and(|t| t.len() > 1))
                && bv.types.is_some()
                && rv.types.is_some();
            let kind = match (widen, narrow, list) {
                (true, _, true) => "list-of-types-widened",
                (true, _, false) => "type-generalized",
                (_, true, true) => "list-of-types-narrowed",
                (_, true, false) => "type-specialized",
                _ => "type-changed",
            };
            let _ = req;
            e!(
                kind,
                kloc("type"),
                format!("type changed from {bs} to {rs}"),
                Some(bs.clone()),
                Some(rs.clone())
            );
        }
        // format
        match (bv.str("format"), rv.str("format")) {
            (Some((a, _)), Some((b, n))) if a != b => e!(
                "format-changed",
                n,
                format!("format changed from {a} to {b}"),
                Some(a.into()),
                Some(b.into())
            ),
            (None, Some((b, n))) => e!(
                "format-added",
                n,
                format!("format {b} added"),
                None,
                Some(b.into())
            ),
            (Some((a, _)), None) => e!(
                "format-removed",
                rn,
                format!("format {a} removed"),
                Some(a.into()),
                None
            ),
            _ => {}
        }
        // nullable
        if !bv.nullable && rv.nullable {
            let loc = rn
                .get("nullable")
                .or_else(|| rn.get("type"))
                .or_else(|| rv.kw("nullable").map(|(_, n)| n))
                .unwrap_or(rn);
            e!(
                "became-nullable",
                loc,
                "became nullable".into(),
                Some("false".into()),
                Some("true".into())
            );
        } else if bv.nullable && !rv.nullable {
            e!(
                "became-not-nullable",
                rn.get("type").unwrap_or(rn),
                "became not nullable".into(),
                Some("true".into()),
                Some("false".into())
            );
        }
        // enum and const (a `const` is a one-value enum: 3.0 `enum: [x]` and 3.1 `const: x` are equal)
        let (bc, rc) = (bv.kw("const").map(|x| x.1), rv.kw("const").map(|x| x.1));
        let (benum, renum) = (bv.kw("enum").map(|x| x.1), rv.kw("enum").map(|x| x.1));
        let no_enum = benum.is_none() && renum.is_none();
        match (bc, rc) {
            (Some(a), Some(b)) if no_enum => {
                if !a.same(b) {
                    e!(
                        "const-changed",
                        b,
                        format!("const changed from {} to {}", a.short(), b.short()),
                        Some(a.short()),
                        Some(b.short())
                    );
                }
            }
            (None, Some(b)) if no_enum => e!(
                "const-added",
                b,
                format!("const {} added", b.short()),
                None,
                Some(b.short())
            ),
            (Some(a), None) if no_enum => e!(
                "const-removed",
                rn,
                format!("const {} removed", a.short()),
                Some(a.short()),
                None
            ),
            _ => {
                let eff = |e: Option<&'a Node>, c: Option<&'a Node>| -> Option<Vec<&'a Node>> {
                    e.map(|e| e.seq().iter().collect())
                        .or_else(|| c.map(|c| vec![c]))
                };
                let show = |v: &[&Node]| {
                    let items: Vec<String> = v.iter().map(|n| n.short()).collect();
                    format!("[{}]", items.join(", "))
                };
                match (eff(benum, bc), eff(renum, rc)) {
                    (Some(be), Some(re)) => {
                        let re_loc = renum.or(rc).unwrap_or(rn);
                        let bset: BTreeMap<String, &Node> =
                            be.iter().map(|v| (canon(v), *v)).collect();
                        let rset: BTreeMap<String, &Node> =
                            re.iter().map(|v| (canon(v), *v)).collect();
                        for (k, bnode) in bset.iter().filter(|(k, _)| !rset.contains_key(*k)) {
                            if k == "null" && rv.nullable {
                                continue;
                            }
                            self.base_pos = Some((bnode.line, bnode.col));
                            e!(
                                "enum-value-removed",
                                re_loc,
                                format!("removed the enum value {k}"),
                                Some(k.clone()),
                                None
                            );
                        }
                        for (k, n) in rset.iter().filter(|(k, _)| !bset.contains_key(*k)) {
                            if k == "null" && bv.nullable {
                                continue;
                            }
                            e!(
                                "enum-value-added",
                                n,
                                format!("added the enum value {k}"),
                                None,
                                Some(k.clone())
                            );
                        }
                    }
                    (None, Some(re)) => e!(
                        "became-enum",
                        renum.or(rc).unwrap_or(rn),
                        format!("restricted to the enum values {}", show(&re)),
                        None,
                        Some(show(&re))
                    ),
                    (Some(be), None) => e!(
                        "enum-removed",
                        rn,
                        format!("enum restriction {} removed", show(&be)),
                        Some(show(&be)),
                        None
                    ),
                    _ => {}
                }
            }
        }
        // x-extensible-enum (Zalando guideline: clients must accept unknown values)
        if let (Some((_, be)), Some((_, re))) =
            (bv.kw("x-extensible-enum"), rv.kw("x-extensible-enum"))
        {
            let bset: BTreeMap<String, &Node> = be.seq().iter().map(|v| (canon(v), v)).collect();
            let rset: BTreeMap<String, &Node> = re.seq().iter().map(|v| (canon(v), v)).collect();
            for k in bset.keys().filter(|k| !rset.contains_key(*k)) {
                e!(
                    "x-extensible-enum-value-removed",
                    re,
                    format!("removed the x-extensible-enum value {k}"),
                    Some(k.clone()),
                    None
                );
            }
            for (k, n) in rset.iter().filter(|(k, _)| !bset.contains_key(*k)) {
                e!(
                    "x-extensible-enum-value-added",
                    n,
                    format!("added the x-extensible-enum value {k}"),
                    None,
                    Some(k.clone())
                );
            }
        }
        let at = keywords::At {
            c,
            nested,
            ptr,
            prop,
            rd,
            rn,
        };
        self.bounds(&at, &bv, &rv);
        // pattern
        // an empty pattern matches everything: it is no pattern
        let pat = |v: &View<'a>| v.str("pattern").filter(|(p, _)| !p.is_empty());
        match (pat(&bv), pat(&rv)) {
            (Some((a, _)), Some((b, n))) if a != b => e!(
                "pattern-changed",
                n,
                format!("pattern changed from `{a}` to `{b}`"),
                Some(a.into()),
                Some(b.into())
            ),
            (None, Some((b, n))) => e!(
                "pattern-added",
                n,
                format!("pattern `{b}` added"),
                None,
                Some(b.into())
            ),
            (Some((a, _)), None) => e!(
                "pattern-removed",
                rn,
                format!("pattern `{a}` removed"),
                Some(a.into()),
                None
            ),
            _ => {}
        }
        // multipleOf
        let (bm, rm) = (bv.num("multipleOf"), rv.num("multipleOf"));
        if bm.map(|x| x.0) != rm.map(|x| x.0) {
            let s = |x: Option<(f64, &Node)>| x.map_or("none".to_string(), |v| fmt_num(v.0));
            e!(
                "multiple-of-changed",
                rm.map(|x| x.1).unwrap_or(rn),
                format!("multipleOf changed from {} to {}", s(bm), s(rm)),
                Some(s(bm)),
                Some(s(rm))
            );
        }
        // uniqueItems
        match (bv.flag("uniqueItems"), rv.flag("uniqueItems")) {
            (false, true) => e!(
                "unique-items-added",
                kloc("uniqueItems"),
                "uniqueItems set".into(),
                None,
                None
            ),
            (true, false) => e!(
                "unique-items-removed",
                rn,
                "uniqueItems removed".into(),
                None,
                None
            ),
            _ => {}
        }
        // read/write only, deprecated, default
        for (k, on, off) in [
            ("readOnly", "became-read-only", "became-not-read-only"),
            ("writeOnly", "became-write-only", "became-not-write-only"),
            ("deprecated", "deprecated", "reactivated"),
        ] {
            match (bv.flag(k), rv.flag(k)) {
                (false, true) => e!(on, kloc(k), format!("{k} set"), None, None),
                (true, false) => e!(off, rn, format!("{k} removed"), None, None),
                _ => {}
            }
        }
        if nested {
            self.property_lifecycle(c, ptr, prop, &bv, &rv);
        }
        match (bv.kw("default"), rv.kw("default")) {
            (Some((_, a)), Some((_, b))) if !a.same(b) => e!(
                "default-changed",
                b,
                format!("default changed from {} to {}", a.short(), b.short()),
                Some(a.short()),
                Some(b.short())
            ),
            (None, Some((_, b))) => e!(
                "default-added",
                b,
                format!("default {} added", b.short()),
                None,
                Some(b.short())
            ),
            (Some((_, a)), None) => e!(
                "default-removed",
                rn,
                format!("default {} removed", a.short()),
                Some(a.short()),
                None
            ),
            _ => {}
        }
        for (k, kind) in [
            ("contentMediaType", "content-media-type-changed"),
            ("contentEncoding", "content-encoding-changed"),
        ] {
            let (a, b) = (bv.str(k).map(|x| x.0), rv.str(k).map(|x| x.0));
            if a != b {
                e!(
                    kind,
                    kloc(k),
                    format!(
                        "{k} changed from {} to {}",
                        a.unwrap_or("none"),
                        b.unwrap_or("none")
                    ),
                    a.map(Into::into),
                    b.map(Into::into)
                );
            }
        }
        self.json_schema_2020(&at, &bv, &rv);
        self.not(c, nested, ptr, prop, &bv, &rv, (rd, rn));
        // discriminator
        self.discriminator(c, nested, ptr, prop, &bv, &rv);
        // additionalProperties
        let ap = |v: &View<'a>| v.kw("additionalProperties");
        match (ap(&bv), ap(&rv)) {
            (b, Some((_, rn2)))
                if rn2.bool() == Some(false) && b.is_none_or(|(_, x)| x.bool() != Some(false)) =>
            {
                e!(
                    "additional-properties-disabled",
                    rn2,
                    "additionalProperties set to false".into(),
                    None,
                    Some("false".into())
                );
            }
            (Some((_, bn2)), r)
                if bn2.bool() == Some(false) && r.is_none_or(|(_, x)| x.bool() != Some(false)) =>
            {
                e!(
                    "additional-properties-enabled",
                    kloc("additionalProperties"),
                    "additionalProperties no longer false".into(),
                    Some("false".into()),
                    None
                );
            }
            (Some((bd2, bs)), Some((rd2, rs))) if bs.is_map() && rs.is_map() => {
                let np = if prop.is_empty() {
                    "additionalProperties".to_string()
                } else {
                    format!("{prop}/additionalProperties")
                };
                self.schema(
                    c,
                    true,
                    &format!("{ptr}/additionalProperties"),
                    &np,
                    (bd2, bs),
                    (rd2, rs),
                );
            }
            _ => {}
        }
        // items
        if let (Some(bi), Some(ri)) = (bv.kw("items"), rv.kw("items")) {
            if bi.1.is_map() && ri.1.is_map() {
                let np = if prop.is_empty() {
                    "items".to_string()
                } else {
                    format!("{prop}/items")
                };
                self.schema(c, true, &format!("{ptr}/items"), &np, bi, ri);
            }
        }
        // prefixItems (3.1)
        let pi = |v: &View<'a>| {
            v.kw("prefixItems")
                .map(|(d, n)| (d, n.seq()))
                .unwrap_or((0, &[]))
        };
        let ((bpd, bpi), (rpd, rpi)) = (pi(&bv), pi(&rv));
        for i in 0..bpi.len().max(rpi.len()) {
            let np = format!(
                "{}prefixItems/{i}",
                if prop.is_empty() {
                    String::new()
                } else {
                    format!("{prop}/")
                }
            );
            match (bpi.get(i), rpi.get(i)) {
                (Some(b), Some(r)) => self.schema(
                    c,
                    true,
                    &format!("{ptr}/prefixItems/{i}"),
                    &np,
                    (bpd, b),
                    (rpd, r),
                ),
                (None, Some(r)) => e!(
                    "prefix-items-added",
                    r,
                    format!("prefixItems position {i} added"),
                    None,
                    None
                ),
                (Some(_), None) => e!(
                    "prefix-items-removed",
                    kloc("prefixItems"),
                    format!("prefixItems position {i} removed"),
                    None,
                    None
                ),
                _ => {}
            }
        }
        // properties and required
        self.properties(c, ptr, prop, &bv, &rv);
        // composition
        self.alternatives(
            c,
            nested,
            ptr,
            prop,
            "oneOf",
            &bv.one_of,
            &rv.one_of,
            (rd, rv.node),
        );
        self.alternatives(
            c,
            nested,
            ptr,
            prop,
            "anyOf",
            &bv.any_of,
            &rv.any_of,
            (rd, rv.node),
        );
        self.all_of(c, nested, ptr, prop, &bv.all_of, &rv.all_of, (rd, rn));
    }
}
