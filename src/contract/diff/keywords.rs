//! Bounds and the JSON Schema 2020-12 keywords of OpenAPI 3.1, each compared in the direction that
//! matters (a tighter request rejects what clients send; a looser response returns what clients do
//! not expect): maximum / minimum with their 3.0 boolean and 3.1 numeric exclusive forms, lengths,
//! item and property counts, `contains` / `minContains` / `maxContains`, `dependentRequired`,
//! `dependentSchemas`, `if` / `then` / `else`, `patternProperties`, `propertyNames`,
//! `unevaluatedItems` / `unevaluatedProperties` and `contentSchema`.

use super::*;

/// Where a schema pair sits: what [`Differ::sch`] needs besides the change itself.
#[derive(Clone, Copy)]
pub(super) struct At<'x, 'a> {
    pub c: SCtx<'x>,
    pub nested: bool,
    pub ptr: &'x str,
    pub prop: &'x str,
    /// The revision schema and its document.
    pub rd: usize,
    pub rn: &'a Node,
}

/// An upper or lower bound: its value, whether it is exclusive, and where it is written.
type Edge<'a> = Option<(f64, bool, &'a Node)>;

/// The effective upper bound: `maximum` (with 3.0's boolean `exclusiveMaximum`) or 3.1's numeric
/// `exclusiveMaximum`, whichever is tighter.
fn upper<'a>(v: &View<'a>) -> Edge<'a> {
    edge(v, "maximum", "exclusiveMaximum", true)
}

fn lower<'a>(v: &View<'a>) -> Edge<'a> {
    edge(v, "minimum", "exclusiveMinimum", false)
}

fn edge<'a>(v: &View<'a>, inclusive: &str, exclusive: &str, is_max: bool) -> Edge<'a> {
    let inc = v.num(inclusive);
    let ex = v.kw(exclusive).map(|(_, n)| n);
    let flag = ex.and_then(Node::bool) == Some(true);
    let inc = inc.map(|(x, n)| (x, flag, n));
    let num = ex
        .filter(|n| !matches!(n.v, V::Bool(_)))
        .and_then(|n| n.num().map(|x| (x, true, n)));
    match (inc, num) {
        (Some(i), Some(x)) => {
            let x_tighter = if is_max { x.0 <= i.0 } else { x.0 >= i.0 };
            Some(if x_tighter { x } else { i })
        }
        (a, b) => a.or(b),
    }
}

impl<'a> Differ<'a> {
    #[allow(clippy::too_many_arguments)]
    fn at(
        &mut self,
        at: &At<'_, 'a>,
        kind: &str,
        loc: &Node,
        what: String,
        b: Option<String>,
        r: Option<String>,
    ) {
        self.sch(
            at.c, at.nested, at.prop, kind, at.rd, loc, at.ptr, what, b, r,
        );
    }

    /// Compare the subschemas under `seg` (a keyword, or `keyword/key`).
    fn sub(&mut self, at: &At<'_, 'a>, seg: &str, b: R<'a>, r: R<'a>) {
        let np = if at.prop.is_empty() {
            seg.to_string()
        } else {
            format!("{}/{seg}", at.prop)
        };
        self.schema(at.c, true, &format!("{}/{seg}", at.ptr), &np, b, r);
    }

    /// Numeric bounds (with exclusiveness), lengths, item, property and `contains` counts.
    pub(super) fn bounds(&mut self, at: &At<'_, 'a>, bv: &View<'a>, rv: &View<'a>) {
        let rn = at.rn;
        for (stem, b, r, is_max) in [
            ("max", upper(bv), upper(rv), true),
            ("min", lower(bv), lower(rv), false),
        ] {
            let kw = if is_max { "maximum" } else { "minimum" };
            let show = |(x, ex, _): (f64, bool, &Node)| {
                if ex {
                    format!("{} (exclusive)", fmt_num(x))
                } else {
                    fmt_num(x)
                }
            };
            match (b, r) {
                (Some(be), Some(re)) if (be.0, be.1) != (re.0, re.1) => {
                    // tighter: a smaller maximum, or the same one made exclusive
                    let tighter = if is_max {
                        re.0 < be.0 || (re.0 == be.0 && re.1)
                    } else {
                        re.0 > be.0 || (re.0 == be.0 && re.1)
                    };
                    let dir = match (is_max, tighter) {
                        (true, true) | (false, false) => "decreased",
                        _ => "increased",
                    };
                    let pre = if be.1 || re.1 { "exclusive-" } else { "" };
                    self.at(
                        at,
                        &format!("{pre}{stem}-{dir}"),
                        re.2,
                        format!("{kw} {dir} from {} to {}", show(be), show(re)),
                        Some(show(be)),
                        Some(show(re)),
                    );
                }
                (None, Some(re)) => {
                    let pre = if re.1 { "exclusive-" } else { "" };
                    self.at(
                        at,
                        &format!("{pre}{stem}-set"),
                        re.2,
                        format!("{kw} set to {}", show(re)),
                        None,
                        Some(show(re)),
                    );
                }
                (Some(be), None) => {
                    let pre = if be.1 { "exclusive-" } else { "" };
                    self.at(
                        at,
                        &format!("{pre}{stem}-removed"),
                        rn,
                        format!("{kw} {} removed", show(be)),
                        Some(show(be)),
                        None,
                    );
                }
                _ => {}
            }
        }
        for (stem, kw) in [
            ("max-length", "maxLength"),
            ("min-length", "minLength"),
            ("max-items", "maxItems"),
            ("min-items", "minItems"),
            ("max-properties", "maxProperties"),
            ("min-properties", "minProperties"),
        ] {
            match (bv.num(kw), rv.num(kw)) {
                (Some((bx, _)), Some((rx, n))) if bx != rx => {
                    let dir = if rx < bx { "decreased" } else { "increased" };
                    self.at(
                        at,
                        &format!("{stem}-{dir}"),
                        n,
                        format!("{kw} {dir} from {} to {}", fmt_num(bx), fmt_num(rx)),
                        Some(fmt_num(bx)),
                        Some(fmt_num(rx)),
                    );
                }
                (None, Some((rx, n))) => self.at(
                    at,
                    &format!("{stem}-set"),
                    n,
                    format!("{kw} set to {}", fmt_num(rx)),
                    None,
                    Some(fmt_num(rx)),
                ),
                (Some((bx, _)), None) => self.at(
                    at,
                    &format!("{stem}-removed"),
                    rn,
                    format!("{kw} {} removed", fmt_num(bx)),
                    Some(fmt_num(bx)),
                    None,
                ),
                _ => {}
            }
        }
        // contains counts: an absent minContains is 1, an absent maxContains is unbounded
        if bv.kw("contains").is_some() && rv.kw("contains").is_some() {
            let (bmin, rmin) = (
                bv.num("minContains").map_or(1.0, |x| x.0),
                rv.num("minContains"),
            );
            let rminv = rmin.map_or(1.0, |x| x.0);
            if bmin != rminv {
                let (kind, dir) = if rminv > bmin {
                    ("min-contains-increased", "increased")
                } else {
                    ("min-contains-decreased", "decreased")
                };
                let loc = rmin.map_or(rn, |x| x.1);
                self.at(
                    at,
                    kind,
                    loc,
                    format!(
                        "minContains {dir} from {} to {}",
                        fmt_num(bmin),
                        fmt_num(rminv)
                    ),
                    Some(fmt_num(bmin)),
                    Some(fmt_num(rminv)),
                );
            }
            let (bmax, rmax) = (bv.num("maxContains").map(|x| x.0), rv.num("maxContains"));
            let rmaxv = rmax.map(|x| x.0);
            if bmax != rmaxv {
                let smaller = match (bmax, rmaxv) {
                    (Some(b), Some(r)) => r < b,
                    (None, Some(_)) => true,
                    _ => false,
                };
                let kind = if smaller {
                    "max-contains-decreased"
                } else {
                    "max-contains-increased"
                };
                let s = |x: Option<f64>| x.map_or("none".to_string(), fmt_num);
                let loc = rmax.map_or(rn, |x| x.1);
                self.at(
                    at,
                    kind,
                    loc,
                    format!("maxContains changed from {} to {}", s(bmax), s(rmaxv)),
                    Some(s(bmax)),
                    Some(s(rmaxv)),
                );
            }
        }
    }

    /// The applicator keywords of JSON Schema 2020-12 (OpenAPI 3.1).
    pub(super) fn json_schema_2020(&mut self, at: &At<'_, 'a>, bv: &View<'a>, rv: &View<'a>) {
        let rn = at.rn;
        let kloc = |k: &str| rv.kw(k).map_or(rn, |(_, n)| n);
        // a keyword holding one subschema: added (tighter), removed (looser), or compared
        for (kw, stem) in [
            ("contains", "contains"),
            ("propertyNames", "property-names"),
            ("contentSchema", "content-schema"),
            ("then", "then"),
            ("else", "else"),
        ] {
            match (bv.kw(kw), rv.kw(kw)) {
                (None, Some((_, n))) => self.at(
                    at,
                    &format!("{stem}-added"),
                    n,
                    format!("`{kw}` added"),
                    None,
                    Some(n.short()),
                ),
                (Some((_, n)), None) => self.at(
                    at,
                    &format!("{stem}-removed"),
                    rn,
                    format!("`{kw}` removed"),
                    Some(n.short()),
                    None,
                ),
                (Some(b), Some(r)) if b.1.is_map() && r.1.is_map() => self.sub(at, kw, b, r),
                _ => {}
            }
        }
        // `if`: a condition; a changed condition moves values between `then` and `else`
        match (bv.kw("if"), rv.kw("if")) {
            (None, Some((_, n))) => self.at(
                at,
                "if-added",
                n,
                "`if` added".into(),
                None,
                Some(n.short()),
            ),
            (Some((_, n)), None) => self.at(
                at,
                "if-removed",
                rn,
                "`if` removed".into(),
                Some(n.short()),
                None,
            ),
            (Some(b), Some(r)) if Self::alt_shape(self.b, b) != Self::alt_shape(self.r, r) => {
                self.at(
                    at,
                    "if-changed",
                    r.1,
                    "the `if` condition changed".into(),
                    Some(b.1.short()),
                    Some(r.1.short()),
                );
            }
            _ => {}
        }
        // unevaluatedItems / unevaluatedProperties: absent or true < a schema < false
        for (kw, stem) in [
            ("unevaluatedItems", "unevaluated-items"),
            ("unevaluatedProperties", "unevaluated-properties"),
        ] {
            let rank = |x: Option<R<'a>>| match x {
                None => 0,
                Some((_, n)) if n.bool() == Some(true) => 0,
                Some((_, n)) if n.bool() == Some(false) => 2,
                Some(_) => 1,
            };
            let (b, r) = (bv.kw(kw), rv.kw(kw));
            let (bt, rt) = (rank(b), rank(r));
            let show = |x: Option<R<'a>>| x.map(|(_, n)| n.short());
            if rt > bt {
                self.at(
                    at,
                    &format!("{stem}-added"),
                    kloc(kw),
                    format!("`{kw}` set"),
                    show(b),
                    show(r),
                );
            } else if rt < bt {
                self.at(
                    at,
                    &format!("{stem}-removed"),
                    kloc(kw),
                    format!("`{kw}` relaxed"),
                    show(b),
                    show(r),
                );
            } else if let (1, Some(b), Some(r)) = (rt, b, r) {
                self.sub(at, kw, b, r);
            }
        }
        // keyed subschemas: patternProperties (by regex), dependentSchemas (by property)
        for (kw, stem) in [
            ("patternProperties", "pattern-property"),
            ("dependentSchemas", "dependent-schema"),
        ] {
            let entries = |v: &View<'a>| -> BTreeMap<&'a str, R<'a>> {
                v.kw(kw)
                    .map(|(d, n)| n.map().iter().map(|(k, x)| (&**k, (d, x))).collect())
                    .unwrap_or_default()
            };
            let (b, r) = (entries(bv), entries(rv));
            for (k, x) in r.iter().filter(|(k, _)| !b.contains_key(*k)) {
                self.at(
                    at,
                    &format!("{stem}-added"),
                    x.1,
                    format!("{kw} `{k}` added"),
                    None,
                    Some(k.to_string()),
                );
            }
            for k in b.keys().filter(|k| !r.contains_key(*k)) {
                self.at(
                    at,
                    &format!("{stem}-removed"),
                    kloc(kw),
                    format!("{kw} `{k}` removed"),
                    Some(k.to_string()),
                    None,
                );
            }
            for (k, bx) in &b {
                if let Some(rx) = r.get(k) {
                    self.sub(at, &format!("{kw}/{}", escape_pointer(k)), *bx, *rx);
                }
            }
        }
        // dependentRequired: property -> the properties it requires
        let dep = |v: &View<'a>| -> BTreeMap<String, BTreeSet<String>> {
            v.kw("dependentRequired")
                .map(|(_, n)| {
                    n.map()
                        .iter()
                        .map(|(k, l)| {
                            (
                                k.to_string(),
                                l.seq()
                                    .iter()
                                    .filter_map(|x| x.str().map(String::from))
                                    .collect(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let (bdr, rdr) = (dep(bv), dep(rv));
        let loc = kloc("dependentRequired");
        let list = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
        for (k, x) in &rdr {
            match bdr.get(k) {
                None => self.at(
                    at,
                    "dependent-required-added",
                    loc,
                    format!("dependentRequired: `{k}` now requires {}", list(x)),
                    None,
                    Some(format!("{k}->{}", list(x))),
                ),
                Some(b) if b != x => self.at(
                    at,
                    "dependent-required-changed",
                    loc,
                    format!(
                        "dependentRequired: `{k}` requires {} instead of {}",
                        list(x),
                        list(b)
                    ),
                    Some(format!("{k}->{}", list(b))),
                    Some(format!("{k}->{}", list(x))),
                ),
                _ => {}
            }
        }
        for (k, x) in bdr.iter().filter(|(k, _)| !rdr.contains_key(*k)) {
            self.at(
                at,
                "dependent-required-removed",
                loc,
                format!("dependentRequired: `{k}` no longer requires {}", list(x)),
                Some(format!("{k}->{}", list(x))),
                None,
            );
        }
    }
}
