//! Lifecycle of an operation or a webhook: deprecation, sunset dates (too soon, moved earlier,
//! unreadable, deleted) and `x-stability-level` (decreased, invalid).

use super::*;

/// The id of a lifecycle check for a webhook's method (`webhook-*`) rather than an operation.
fn id_for(webhook: bool, id: &'static str) -> &'static str {
    if !webhook {
        return id;
    }
    match id {
        "endpoint-deprecated" => "webhook-deprecated",
        "endpoint-reactivated" => "webhook-reactivated",
        "api-deprecated-sunset-missing" => "webhook-deprecated-sunset-missing",
        "api-sunset-date-too-small" => "webhook-sunset-date-too-small",
        "api-sunset-date-changed-too-small" => "webhook-sunset-date-changed-too-small",
        "api-sunset-date-extended" => "webhook-sunset-date-extended",
        "api-deprecated-sunset-parse" => "webhook-deprecated-sunset-parse",
        "sunset-deleted" => "webhook-sunset-deleted",
        "api-stability-decreased" => "webhook-stability-decreased",
        "api-stability-increased" => "webhook-stability-increased",
        "api-invalid-stability-level" => "webhook-invalid-stability-level",
        other => other,
    }
}

impl<'a> Differ<'a> {
    /// `webhook`: the operation is a webhook's method (the `webhook-*` ids are reported).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn lifecycle(
        &mut self,
        op: &Op,
        webhook: bool,
        p: &str,
        bop: &'a Node,
        rd: usize,
        rop: &'a Node,
    ) {
        let o = Some(op);
        let noun = if webhook { "webhook" } else { "endpoint" };
        let (bdep, rdep) = (bop.get_bool("deprecated"), rop.get_bool("deprecated"));
        let dnode = rop.get("deprecated").unwrap_or(rop);
        let rsun = sunset_of(rop);
        if !bdep && rdep {
            self.emit(
                id_for(webhook, "endpoint-deprecated"),
                o,
                Side::Revision,
                rd,
                dnode,
                &format!("{p}/deprecated"),
                format!("{noun} deprecated"),
                None,
                None,
            );
            let need = self.opts.min_sunset_days > 0
                || self.opts.sunset_policy == SunsetPolicy::SunsetDate;
            match rsun {
                None if need => self.emit(
                    id_for(webhook, "api-deprecated-sunset-missing"),
                    o,
                    Side::Revision,
                    rd,
                    dnode,
                    &format!("{p}/deprecated"),
                    "deprecated without a sunset date (`x-sunset`)".into(),
                    None,
                    None,
                ),
                Some((d, n)) if self.opts.min_sunset_days > 0 => {
                    let min = self.opts.today + chrono::Days::new(self.opts.min_sunset_days as u64);
                    if d < min {
                        self.emit(id_for(webhook, "api-sunset-date-too-small"), o, Side::Revision, rd, n, &format!("{p}/x-sunset"), format!("sunset date {d} is too soon: it must be at least {} days from today ({min})", self.opts.min_sunset_days), None, Some(d.to_string()));
                    }
                }
                _ => {}
            }
        } else if bdep && !rdep {
            self.emit(
                id_for(webhook, "endpoint-reactivated"),
                o,
                Side::Revision,
                rd,
                rop,
                &format!("{p}/deprecated"),
                format!("{noun} reactivated (no longer deprecated)"),
                None,
                None,
            );
        } else if bdep && rdep {
            if let (Some((bs, _)), Some((rs, n))) = (sunset_of(bop), rsun) {
                if rs < bs {
                    self.emit(
                        id_for(webhook, "api-sunset-date-changed-too-small"),
                        o,
                        Side::Revision,
                        rd,
                        n,
                        &format!("{p}/x-sunset"),
                        format!("sunset date moved earlier, from {bs} to {rs}"),
                        Some(bs.to_string()),
                        Some(rs.to_string()),
                    );
                } else if rs > bs {
                    self.emit(
                        id_for(webhook, "api-sunset-date-extended"),
                        o,
                        Side::Revision,
                        rd,
                        n,
                        &format!("{p}/x-sunset"),
                        format!("sunset date moved later, from {bs} to {rs}"),
                        Some(bs.to_string()),
                        Some(rs.to_string()),
                    );
                }
            }
        }
        // a sunset date written but unreadable, on a deprecated operation (new or changed value)
        let raw = |n: &'a Node| {
            ["x-sunset", "x-sunset-date", "sunset"]
                .iter()
                .find_map(|k| n.get(k))
        };
        if let Some(rs) = raw(rop).filter(|_| rdep && rsun.is_none()) {
            let changed = !bdep || raw(bop).is_none_or(|bs| !bs.same(rs));
            if changed {
                self.emit(
                    id_for(webhook, "api-deprecated-sunset-parse"),
                    o,
                    Side::Revision,
                    rd,
                    rs,
                    &format!("{p}/x-sunset"),
                    format!(
                        "sunset date {} cannot be parsed (expected YYYY-MM-DD or an HTTP date)",
                        rs.short()
                    ),
                    None,
                    Some(rs.short()),
                );
            }
        }
        // the sunset date deleted while the operation stays deprecated
        if bdep && rdep && rsun.is_none() && raw(rop).is_none() {
            if let Some((bs, _)) = sunset_of(bop) {
                self.emit(
                    id_for(webhook, "sunset-deleted"),
                    o,
                    Side::Revision,
                    rd,
                    dnode,
                    &format!("{p}/x-sunset"),
                    format!(
                        "sunset date {bs} deleted while the {} stays deprecated",
                        if webhook { "webhook" } else { "operation" }
                    ),
                    Some(bs.to_string()),
                    None,
                );
            }
        }
        let (bst, rst) = (
            bop.get_str("x-stability-level"),
            rop.get("x-stability-level"),
        );
        // an invalid stability level (new or changed)
        if let Some(rn) = rst {
            let valid = rn.str().and_then(stability_rank).is_some();
            let changed = bop.get("x-stability-level").is_none_or(|b| !b.same(rn));
            if !valid && changed {
                self.emit(
                    id_for(webhook, "api-invalid-stability-level"),
                    o,
                    Side::Revision,
                    rd,
                    rn,
                    &format!("{p}/x-stability-level"),
                    format!(
                        "invalid stability level {} (expected draft, alpha, beta or stable)",
                        rn.short()
                    ),
                    None,
                    Some(rn.short()),
                );
            }
        }
        if let (Some(b), Some(rn)) = (bst, rst) {
            if let (Some(br), Some(rr)) = (stability_rank(b), rn.str().and_then(stability_rank)) {
                let r = rn.str().unwrap_or("");
                if rr < br {
                    self.emit(
                        id_for(webhook, "api-stability-decreased"),
                        o,
                        Side::Revision,
                        rd,
                        rn,
                        &format!("{p}/x-stability-level"),
                        format!("stability level decreased from {b} to {r}"),
                        Some(b.into()),
                        Some(r.into()),
                    );
                } else if rr > br {
                    self.emit(
                        id_for(webhook, "api-stability-increased"),
                        o,
                        Side::Revision,
                        rd,
                        rn,
                        &format!("{p}/x-stability-level"),
                        format!("stability level increased from {b} to {r}"),
                        Some(b.into()),
                        Some(r.into()),
                    );
                }
            }
        }
    }
}

impl<'a> Differ<'a> {
    /// Lifecycle of a property (its schema's `deprecated`, `x-sunset`, `x-stability-level`):
    /// deprecated without the sunset date the policy requires, with one too soon or unreadable, and
    /// stability decreased or increased. Reported in the `*-property` contexts only.
    pub(super) fn property_lifecycle(
        &mut self,
        c: SCtx,
        ptr: &str,
        prop: &str,
        bv: &View<'a>,
        rv: &View<'a>,
    ) {
        if !c.nested_prefix.ends_with("-property") {
            return;
        }
        let (rd, rn) = (rv.doc, rv.node);
        let (bdep, rdep) = (bv.flag("deprecated"), rv.flag("deprecated"));
        let raw = |v: &View<'a>| {
            ["x-sunset", "x-sunset-date", "sunset"]
                .iter()
                .find_map(|k| v.kw(k).map(|x| x.1))
        };
        let rsun = raw(rv).and_then(|n| n.str().and_then(parse_date).map(|d| (d, n)));
        let dnode = rv.kw("deprecated").map_or(rn, |x| x.1);
        if !bdep && rdep {
            let need = self.opts.min_sunset_days > 0
                || self.opts.sunset_policy == SunsetPolicy::SunsetDate;
            match rsun {
                None if need && raw(rv).is_none() => self.sch(
                    c,
                    true,
                    prop,
                    "deprecated-sunset-missing",
                    rd,
                    dnode,
                    ptr,
                    "deprecated without a sunset date (`x-sunset`)".into(),
                    None,
                    None,
                ),
                Some((d, n)) if self.opts.min_sunset_days > 0 => {
                    let min = self.opts.today + chrono::Days::new(self.opts.min_sunset_days as u64);
                    if d < min {
                        let what = format!(
                            "sunset date {d} is too soon: it must be at least {} days from today ({min})",
                            self.opts.min_sunset_days
                        );
                        self.sch(
                            c,
                            true,
                            prop,
                            "sunset-date-too-small",
                            rd,
                            n,
                            ptr,
                            what,
                            None,
                            Some(d.to_string()),
                        );
                    }
                }
                _ => {}
            }
        }
        // a sunset date written but unreadable, on a deprecated property (new or changed value)
        if let Some(x) = raw(rv).filter(|_| rdep && rsun.is_none()) {
            if !bdep || raw(bv).is_none_or(|y| !y.same(x)) {
                self.sch(
                    c,
                    true,
                    prop,
                    "deprecated-sunset-invalid",
                    rd,
                    x,
                    ptr,
                    format!(
                        "sunset date {} cannot be parsed (expected YYYY-MM-DD or an HTTP date)",
                        x.short()
                    ),
                    None,
                    Some(x.short()),
                );
            }
        }
        let rank = |v: &View<'a>| {
            v.str("x-stability-level")
                .and_then(|(s, n)| stability_rank(s).map(|r| (r, s, n)))
        };
        if let (Some((br, bs, _)), Some((rr, rs, n))) = (rank(bv), rank(rv)) {
            if br != rr {
                let (kind, how) = if rr < br {
                    ("stability-decreased", "decreased")
                } else {
                    ("stability-increased", "increased")
                };
                self.sch(
                    c,
                    true,
                    prop,
                    kind,
                    rd,
                    n,
                    ptr,
                    format!("stability level {how} from {bs} to {rs}"),
                    Some(bs.into()),
                    Some(rs.into()),
                );
            }
        }
    }
}
