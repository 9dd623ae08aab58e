//! Document-level comparisons: `servers` (document, path and operation level) and `components`.

use super::*;

impl<'a> Differ<'a> {
    // ------------------------------------------------------------------------------------------
    // document level

    pub(super) fn servers(
        &mut self,
        op: Option<&Op>,
        bd: usize,
        b: &'a Node,
        rd: usize,
        r: &'a Node,
        ptr: &str,
    ) {
        let urls = |n: &'a Node| -> BTreeMap<String, &'a Node> {
            n.get("servers")
                .map(Node::seq)
                .unwrap_or(&[])
                .iter()
                .filter_map(|s| {
                    s.get_str("url")
                        .map(|u| (u.trim_end_matches('/').to_string(), s))
                })
                .collect()
        };
        let (bs, rs) = (urls(b), urls(r));
        if bs.is_empty() || rs.is_empty() {
            // no servers means "/" (or inherited): only compare explicit lists
            if bs.is_empty() && rs.is_empty() || op.is_some() {
                return;
            }
        }
        let rnode = r.get("servers").unwrap_or(r);
        for (u, n) in &bs {
            if !rs.contains_key(u) {
                let p = format!("{ptr}/servers");
                if rs.is_empty() {
                    self.emit(
                        "api-server-removed",
                        op,
                        Side::Base,
                        bd,
                        n,
                        &p,
                        format!("removed the server `{u}`"),
                        Some(u.clone()),
                        None,
                    );
                } else {
                    self.emit(
                        "api-server-removed",
                        op,
                        Side::Revision,
                        rd,
                        rnode,
                        &p,
                        format!("removed the server `{u}`"),
                        Some(u.clone()),
                        None,
                    );
                }
            }
        }
        for (u, n) in &rs {
            if !bs.contains_key(u) {
                let p = format!("{ptr}/servers");
                self.emit(
                    "api-server-added",
                    op,
                    Side::Revision,
                    rd,
                    n,
                    &p,
                    format!("added the server `{u}`"),
                    None,
                    Some(u.clone()),
                );
            }
        }
    }

    pub(super) fn components(&mut self) {
        self.security_schemes();
        let (b, r) = (self.b.root(), self.r.root());
        let rs = r.pointer("/components/schemas");
        for (name, n) in b
            .pointer("/components/schemas")
            .map(Node::map)
            .unwrap_or(&[])
        {
            if rs.and_then(|s| s.get(name)).is_none() {
                let p = format!("/components/schemas/{}", escape_pointer(name));
                self.emit(
                    "api-schema-removed",
                    None,
                    Side::Base,
                    0,
                    n,
                    &p,
                    format!("removed the schema `{name}`"),
                    None,
                    None,
                );
            }
        }
        let bs = b.pointer("/components/schemas");
        for (name, n) in rs.map(Node::map).unwrap_or(&[]) {
            if bs.and_then(|s| s.get(name)).is_none() {
                let p = format!("/components/schemas/{}", escape_pointer(name));
                self.emit(
                    "api-schema-added",
                    None,
                    Side::Revision,
                    0,
                    n,
                    &p,
                    format!("added the schema `{name}`"),
                    None,
                    None,
                );
            }
        }
    }
}
