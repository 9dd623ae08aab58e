//! Lifecycle of an operation: deprecation, sunset dates (too soon, moved earlier, unreadable, deleted)
//! and `x-stability-level` (decreased, invalid).

use super::*;

impl<'a> Differ<'a> {
    pub(super) fn lifecycle(&mut self, op: &Op, p: &str, bop: &'a Node, rd: usize, rop: &'a Node) {
        let o = Some(op);
        let (bdep, rdep) = (bop.get_bool("deprecated"), rop.get_bool("deprecated"));
        let dnode = rop.get("deprecated").unwrap_or(rop);
        let rsun = sunset_of(rop);
        if !bdep && rdep {
            self.emit(
                "endpoint-deprecated",
                o,
                Side::Revision,
                rd,
                dnode,
                &format!("{p}/deprecated"),
                "endpoint deprecated".into(),
                None,
                None,
            );
            let need = self.opts.min_sunset_days > 0
                || self.opts.sunset_policy == SunsetPolicy::SunsetDate;
            match rsun {
                None if need => self.emit(
                    "api-deprecated-sunset-missing",
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
                        self.emit("api-sunset-date-too-small", o, Side::Revision, rd, n, &format!("{p}/x-sunset"), format!("sunset date {d} is too soon: it must be at least {} days from today ({min})", self.opts.min_sunset_days), None, Some(d.to_string()));
                    }
                }
                _ => {}
            }
        } else if bdep && !rdep {
            self.emit(
                "endpoint-reactivated",
                o,
                Side::Revision,
                rd,
                rop,
                &format!("{p}/deprecated"),
                "endpoint reactivated (no longer deprecated)".into(),
                None,
                None,
            );
        } else if bdep && rdep {
            if let (Some((bs, _)), Some((rs, n))) = (sunset_of(bop), rsun) {
                if rs < bs {
                    self.emit(
                        "api-sunset-date-changed-too-small",
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
                        "api-sunset-date-extended",
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
                    "api-deprecated-sunset-parse",
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
                    "sunset-deleted",
                    o,
                    Side::Revision,
                    rd,
                    dnode,
                    &format!("{p}/x-sunset"),
                    format!("sunset date {bs} deleted while the operation stays deprecated"),
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
                    "api-invalid-stability-level",
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
                        "api-stability-decreased",
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
                        "api-stability-increased",
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
