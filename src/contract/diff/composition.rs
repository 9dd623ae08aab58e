//! Composition: `oneOf`/`anyOf` alternatives matched to each other (by name, shape, resemblance),
//! `allOf` members added or removed, a schema wrapped in a `oneOf`, and `not`.

use super::*;

/// Keywords that do not constrain a value: an `allOf` member made only of these changes nothing.
const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "example",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "default",
    "externalDocs",
    "xml",
    "$comment",
    "$id",
    "$schema",
    "$anchor",
];

impl<'a> Differ<'a> {
    /// A name for a `oneOf`/`anyOf` alternative: the referenced schema's name, else its title.
    pub(super) fn alt_name(spec: &'a Spec, (d, n): R<'a>) -> Option<String> {
        if let Some(r) = n.get_str("$ref") {
            return Some(r.rsplit('/').next().unwrap_or(r).to_string());
        }
        spec.deref(d, n)
            .and_then(|(_, x)| x.get_str("title"))
            .map(Into::into)
    }

    pub(super) fn alt_shape(spec: &'a Spec, (d, n): R<'a>) -> String {
        match spec.deref(d, n) {
            Some((_, x)) => canon(x),
            None => canon(n),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn alternatives(
        &mut self,
        c: SCtx,
        nested: bool,
        ptr: &str,
        prop: &str,
        kw: &str,
        b: &[R<'a>],
        r: &[R<'a>],
        (rd, rnode): R<'a>,
    ) {
        if b.is_empty() && r.is_empty() {
            return;
        }
        let stem = if kw == "oneOf" { "one-of" } else { "any-of" };
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        let mut bused = vec![false; b.len()];
        let mut rused = vec![false; r.len()];
        // 1. by name
        for (i, bx) in b.iter().enumerate() {
            let Some(bn) = Self::alt_name(self.b, *bx) else {
                continue;
            };
            if let Some(j) = (0..r.len())
                .find(|&j| !rused[j] && Self::alt_name(self.r, r[j]).as_deref() == Some(&bn))
            {
                bused[i] = true;
                rused[j] = true;
                pairs.push((i, j));
            }
        }
        // 2. by shape
        for (i, bx) in b.iter().enumerate() {
            if bused[i] {
                continue;
            }
            let bs = Self::alt_shape(self.b, *bx);
            if let Some(j) =
                (0..r.len()).find(|&j| !rused[j] && Self::alt_shape(self.r, r[j]) == bs)
            {
                bused[i] = true;
                rused[j] = true;
                pairs.push((i, j));
            }
        }
        // 3. by resemblance (same type, mostly the same properties): an alternative that changed
        let sig = |spec: &'a Spec, x: R<'a>| -> (String, BTreeSet<String>) {
            match spec.deref(x.0, x.1) {
                Some((d, n)) => {
                    let v = flatten(spec, d, n);
                    let t = v
                        .types
                        .as_ref()
                        .map(|t| t.iter().copied().collect::<Vec<_>>().join("|"))
                        .unwrap_or_default();
                    (t, v.props.iter().map(|(k, _, _)| k.to_string()).collect())
                }
                None => (String::new(), BTreeSet::new()),
            }
        };
        let bsig: Vec<_> = b.iter().map(|x| sig(self.b, *x)).collect();
        let rsig: Vec<_> = r.iter().map(|x| sig(self.r, *x)).collect();
        loop {
            let mut best: Option<(f64, usize, usize)> = None;
            for i in (0..b.len()).filter(|&i| !bused[i]) {
                for j in (0..r.len()).filter(|&j| !rused[j]) {
                    let ((bt, bp), (rt, rp)) = (&bsig[i], &rsig[j]);
                    if bt != rt || (bp.is_empty() && rp.is_empty()) {
                        continue;
                    }
                    let score = bp.intersection(rp).count() as f64 / bp.union(rp).count() as f64;
                    if score >= 0.5 && best.is_none_or(|(s, _, _)| score > s) {
                        best = Some((score, i, j));
                    }
                }
            }
            let Some((_, i, j)) = best else { break };
            bused[i] = true;
            rused[j] = true;
            pairs.push((i, j));
        }
        // 4. one left on each side: the same alternative, changed
        let bl: Vec<usize> = (0..b.len()).filter(|&i| !bused[i]).collect();
        let rl: Vec<usize> = (0..r.len()).filter(|&j| !rused[j]).collect();
        if bl.len() == 1 && rl.len() == 1 {
            pairs.push((bl[0], rl[0]));
            bused[bl[0]] = true;
            rused[rl[0]] = true;
        }
        let loc = rnode.get(kw).unwrap_or(rnode);
        for (i, bx) in b.iter().enumerate() {
            if !bused[i] {
                let name = Self::alt_name(self.b, *bx).unwrap_or_else(|| format!("#{i}"));
                self.sch(
                    c,
                    nested,
                    prop,
                    &format!("{stem}-removed"),
                    rd,
                    loc,
                    &format!("{ptr}/{kw}"),
                    format!("removed the {kw} alternative `{name}`"),
                    Some(name.clone()),
                    None,
                );
            }
        }
        for (j, rx) in r.iter().enumerate() {
            if !rused[j] {
                let name = Self::alt_name(self.r, *rx).unwrap_or_else(|| format!("#{j}"));
                self.sch(
                    c,
                    nested,
                    prop,
                    &format!("{stem}-added"),
                    rx.0,
                    rx.1,
                    &format!("{ptr}/{kw}/{j}"),
                    format!("added the {kw} alternative `{name}`"),
                    None,
                    Some(name.clone()),
                );
            }
        }
        pairs.sort();
        for (i, j) in pairs {
            self.schema(c, nested, &format!("{ptr}/{kw}/{j}"), prop, b[i], r[j]);
        }
    }

    /// `allOf` members added to or removed from an `allOf` list (what they add is compared through
    /// the merged view; this reports the list edit itself, as oasdiff does). Members match by `$ref` name, else by
    /// shape (with `$ref`s followed), so inlining a referenced member is no change.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn all_of(
        &mut self,
        c: SCtx,
        nested: bool,
        ptr: &str,
        prop: &str,
        b: &[R<'a>],
        r: &[R<'a>],
        (rd, rnode): R<'a>,
    ) {
        // only an edit of an `allOf` list: extracting or inlining an `allOf` is no change by itself
        if b.is_empty() || r.is_empty() {
            return;
        }
        let key = |spec: &'a Spec, x: R<'a>| Self::alt_shape(spec, x);
        let mut bkeys: Vec<(String, Option<String>)> = b
            .iter()
            .map(|x| (key(self.b, *x), Self::alt_name(self.b, *x)))
            .collect();
        let rkeys: Vec<(String, Option<String>)> = r
            .iter()
            .map(|x| (key(self.r, *x), Self::alt_name(self.r, *x)))
            .collect();
        let mut rused = vec![false; r.len()];
        let mut bused = vec![false; b.len()];
        for (i, (bs, bn)) in bkeys.iter_mut().enumerate() {
            let hit = (0..r.len())
                .find(|&j| !rused[j] && (rkeys[j].0 == *bs || (bn.is_some() && rkeys[j].1 == *bn)));
            if let Some(j) = hit {
                rused[j] = true;
                bused[i] = true;
            }
        }
        let annotation_only = |spec: &'a Spec, x: R<'a>| {
            spec.deref(x.0, x.1).is_some_and(|(_, n)| {
                n.is_map()
                    && n.map()
                        .iter()
                        .all(|(k, _)| ANNOTATIONS.contains(&&**k) || k.starts_with("x-"))
            })
        };
        for (i, bx) in b.iter().enumerate().filter(|(i, _)| !bused[*i]) {
            let name = Self::alt_name(self.b, *bx).unwrap_or_else(|| format!("#{i}"));
            let kind = if annotation_only(self.b, *bx) {
                "all-of-removed-annotation-only"
            } else {
                "all-of-removed"
            };
            self.base_pos = Some((bx.1.line, bx.1.col));
            self.sch(
                c,
                nested,
                prop,
                kind,
                rd,
                rnode,
                &format!("{ptr}/allOf"),
                format!("removed the allOf member `{name}`"),
                Some(name.clone()),
                None,
            );
        }
        for (j, rx) in r.iter().enumerate().filter(|(j, _)| !rused[*j]) {
            let name = Self::alt_name(self.r, *rx).unwrap_or_else(|| format!("#{j}"));
            let kind = if annotation_only(self.r, *rx) {
                "all-of-added-annotation-only"
            } else {
                "all-of-added"
            };
            self.sch(
                c,
                nested,
                prop,
                kind,
                rx.0,
                rx.1,
                &format!("{ptr}/allOf/{j}"),
                format!("added the allOf member `{name}`"),
                None,
                Some(name.clone()),
            );
        }
    }

    /// A schema without `oneOf` restructured into a `oneOf` of two or more alternatives with no type
    /// or properties of its own (oasdiff's `wrapped-in-one-of`): the alternative to compare the old
    /// schema with (the one equal to it, else the first), or `None` when it is no such wrap.
    pub(super) fn wrapped_in_one_of(&self, bv: &View<'a>, rv: &View<'a>) -> Option<R<'a>> {
        if !bv.one_of.is_empty() || rv.one_of.len() < 2 {
            return None;
        }
        if rv.types.is_some() || !rv.props.is_empty() {
            return None;
        }
        let bs = Self::alt_shape(self.b, (bv.doc, bv.node));
        rv.one_of
            .iter()
            .copied()
            .find(|x| Self::alt_shape(self.r, *x) == bs)
            .or(Some(rv.one_of[0]))
    }

    /// `not`: added, removed or changed (what it excludes is compared as a whole: a change inside
    /// `not` works the other way round, so it is reported as one change).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn not(
        &mut self,
        c: SCtx,
        nested: bool,
        ptr: &str,
        prop: &str,
        bv: &View<'a>,
        rv: &View<'a>,
        (rd, rn): R<'a>,
    ) {
        let p = format!("{ptr}/not");
        match (bv.kw("not"), rv.kw("not")) {
            (None, Some((_, n))) => self.sch(
                c,
                nested,
                prop,
                "not-added",
                rd,
                n,
                &p,
                "`not` added".into(),
                None,
                Some(n.short()),
            ),
            (Some((_, n)), None) => self.sch(
                c,
                nested,
                prop,
                "not-removed",
                rd,
                rn,
                &p,
                "`not` removed".into(),
                Some(n.short()),
                None,
            ),
            (Some(b), Some(r)) if Self::alt_shape(self.b, b) != Self::alt_shape(self.r, r) => {
                self.sch(
                    c,
                    nested,
                    prop,
                    "not-changed",
                    rd,
                    r.1,
                    &p,
                    "the `not` schema changed".into(),
                    Some(b.1.short()),
                    Some(r.1.short()),
                );
            }
            _ => {}
        }
    }
}
