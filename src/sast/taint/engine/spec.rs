//! Source, sink and sanitizer specs: the shared data of `common.yaml` and every taint rule compiled into one
//! table (sinks by callee, sanitizer ids, guard ids) that the interpreter looks calls up in.

use super::*;

// ---------------------------------------------------------------------------------------------------------
// Common data (common.yaml)
// ---------------------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Common {
    pub(super) sources: BTreeMap<String, SourceSet>,
    pub(super) clean_calls: Vec<String>,
    pub(super) clean_methods: Vec<String>,
    pub(super) mutators: Vec<String>,
    pub(super) string_calls: Vec<String>,
    pub(super) string_methods: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SourceSet {
    #[serde(default)]
    pub(super) objects: Vec<ObjSource>,
    #[serde(default)]
    pub(super) request_parameter: Option<ReqParam>,
    #[serde(default)]
    pub(super) route_parameters: bool,
    #[serde(default)]
    pub(super) names: Vec<NamedSource>,
    #[serde(default)]
    pub(super) calls: Vec<NamedSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ObjSource {
    pub(super) name: String,
    #[allow(dead_code)]
    pub(super) label: String,
    pub(super) attributes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReqParam {
    #[allow(dead_code)]
    pub(super) label: String,
    pub(super) attributes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NamedSource {
    pub(super) name: String,
    pub(super) label: String,
    #[serde(default)]
    pub(super) severity: Option<Severity>,
}

pub(super) fn common() -> &'static Common {
    static C: OnceLock<Common> = OnceLock::new();
    C.get_or_init(|| {
        crate::doc::yaml::from_str(include_str!("../common.yaml"))
            .expect("src/sast/taint/common.yaml is valid (checked by a unit test)")
    })
}

// ---------------------------------------------------------------------------------------------------------
// Compiled rules: one table for all rules
// ---------------------------------------------------------------------------------------------------------

pub(super) type SanId = u16;

pub(super) struct CRule {
    pub(super) id: String,
    pub(super) sink_kind: String,
    pub(super) sinks: Vec<SinkSpec>,
    pub(super) self_id: SanId,
    pub(super) src_mask: u32,
}

pub(super) struct ObjSrc {
    pub(super) attrs: HashSet<String>,
    pub(super) set_bit: u32,
}

pub(super) struct NamedSrc {
    pub(super) label: String,
    pub(super) severity: Option<Severity>,
    pub(super) set_bit: u32,
}

pub struct Compiled {
    pub(super) rules: Vec<CRule>,
    pub(super) sinks_exact: HashMap<String, Vec<(usize, usize)>>,
    /// last segment -> (suffix with leading dot, rule, sink)
    pub(super) sinks_method: HashMap<String, Vec<(String, usize, usize)>>,
    pub(super) sinks_subscript: Vec<(String, usize, usize)>,
    pub(super) sinks_return: Vec<(usize, usize)>,
    pub(super) san_exact: HashMap<String, SanId>,
    pub(super) san_method: HashMap<String, Vec<(String, SanId)>>,
    pub(super) san_ids: HashMap<String, SanId>,
    /// sanitizer or guard id -> the `@RULE` ids of the rules it makes data safe for
    pub(super) san_rules: HashMap<SanId, Vec<SanId>>,
    pub(super) mutators: HashSet<String>,
    pub(super) clean_calls: HashSet<String>,
    pub(super) clean_methods: HashSet<String>,
    pub(super) string_calls: HashSet<String>,
    pub(super) string_methods: HashSet<String>,
    pub(super) obj_sources: Vec<ObjSrc>,
    pub(super) obj_by_name: HashMap<String, usize>,
    pub(super) req_param: Option<usize>,
    pub(super) route_params_bit: u32,
    pub(super) name_sources: HashMap<String, NamedSrc>,
    pub(super) call_sources: HashMap<String, NamedSrc>,
    /// The named sources' qualified names as their segments: a file holds such a source only if it spells
    /// every segment of one of them as a whole word (in an import or written out). Request objects and
    /// route decorators are [`super::might_have_input`]'s.
    pub(super) needles: Vec<Vec<String>>,
    /// Every segment of `needles`, and one automaton over them (a file is searched once for all).
    pub(super) segments: Vec<String>,
    pub(super) segment_ac: Option<crate::ac::Matcher>,
}

pub(super) const GUARD_IDS: [&str; 7] = [
    "guard",
    "guard-path",
    "guard-quote",
    "guard-shell",
    "guard-html",
    "allowlist",
    "quote-escape",
];

impl Compiled {
    pub fn new(rules: &[(String, TaintRule)]) -> Self {
        Compiled::for_scan(rules, 0)
    }

    /// [`Compiled::new`] for a scan of `scan_bytes` bytes of Python (it picks the source-name automaton).
    pub fn for_scan(rules: &[(String, TaintRule)], scan_bytes: u64) -> Self {
        let com = common();
        let mut c = Compiled {
            rules: Vec::new(),
            sinks_exact: HashMap::new(),
            sinks_method: HashMap::new(),
            sinks_subscript: Vec::new(),
            sinks_return: Vec::new(),
            san_exact: HashMap::new(),
            san_method: HashMap::new(),
            san_ids: HashMap::new(),
            san_rules: HashMap::new(),
            mutators: com.mutators.iter().cloned().collect(),
            clean_calls: com.clean_calls.iter().cloned().collect(),
            clean_methods: com.clean_methods.iter().cloned().collect(),
            string_calls: com.string_calls.iter().cloned().collect(),
            string_methods: com.string_methods.iter().cloned().collect(),
            obj_sources: Vec::new(),
            obj_by_name: HashMap::new(),
            req_param: None,
            route_params_bit: 0,
            name_sources: HashMap::new(),
            call_sources: HashMap::new(),
            needles: Vec::new(),
            segments: Vec::new(),
            segment_ac: None,
        };
        for g in GUARD_IDS {
            c.intern(g);
        }
        // Source sets, one bit each (sorted by name: deterministic).
        let mut set_bits: HashMap<&str, u32> = HashMap::new();
        for (i, (name, set)) in com.sources.iter().enumerate() {
            let bit = 1u32 << (i.min(31));
            set_bits.insert(name.as_str(), bit);
            for o in &set.objects {
                c.obj_by_name.insert(o.name.clone(), c.obj_sources.len());
                c.obj_sources.push(ObjSrc {
                    attrs: o.attributes.iter().cloned().collect(),
                    set_bit: bit,
                });
            }
            if let Some(rp) = &set.request_parameter {
                c.req_param = Some(c.obj_sources.len());
                c.obj_sources.push(ObjSrc {
                    attrs: rp.attributes.iter().cloned().collect(),
                    set_bit: bit,
                });
            }
            if set.route_parameters {
                c.route_params_bit |= bit;
            }
            for n in &set.names {
                c.name_sources.insert(
                    n.name.clone(),
                    NamedSrc {
                        label: n.label.clone(),
                        severity: n.severity,
                        set_bit: bit,
                    },
                );
            }
            for n in &set.calls {
                c.call_sources.insert(
                    n.name.clone(),
                    NamedSrc {
                        label: n.label.clone(),
                        severity: n.severity,
                        set_bit: bit,
                    },
                );
            }
        }
        // every named source's segments: `sys`+`argv`, `os`+`environ`, `input`, `self`+`get_argument` ...
        let mut needles: Vec<Vec<String>> = c
            .obj_by_name
            .keys()
            .chain(c.name_sources.keys())
            .chain(c.call_sources.keys())
            .map(|n| {
                // the longest segment first: it has the fewest occurrences to check
                let mut segs: Vec<String> = n.split('.').map(str::to_string).collect();
                segs.sort_by_key(|s| std::cmp::Reverse(s.len()));
                segs
            })
            .collect();
        needles.sort();
        needles.dedup();
        let mut segments: Vec<String> = needles.iter().flatten().cloned().collect();
        segments.sort();
        segments.dedup();
        c.segment_ac = crate::ac::Matcher::new(&segments, scan_bytes);
        c.segments = segments;
        c.needles = needles;
        for (ri, (id, rule)) in rules.iter().enumerate() {
            let mut src_mask = 0u32;
            if rule.sources.is_empty() {
                src_mask = u32::MAX;
            }
            for s in &rule.sources {
                src_mask |= set_bits.get(s.as_str()).copied().unwrap_or(0);
            }
            let mut accepted = Vec::new();
            for s in &rule.sanitizers {
                let sid = c.intern(s);
                accepted.push(sid);
                if !GUARD_IDS.contains(&s.as_str()) {
                    if let Some(m) = s.strip_prefix("*.") {
                        let last = m.rsplit('.').next().unwrap_or(m).to_string();
                        c.san_method
                            .entry(last)
                            .or_default()
                            .push((format!(".{m}"), sid));
                    } else {
                        c.san_exact.insert(s.clone(), sid);
                    }
                }
            }
            for p in &rule.propagators {
                c.mutators.insert(p.clone());
            }
            let self_id = c.intern(&format!("@{id}"));
            for a in &accepted {
                c.san_rules.entry(*a).or_default().push(self_id);
            }
            for (si, sink) in rule.sinks.iter().enumerate() {
                for call in &sink.calls {
                    if let Some(m) = call.strip_prefix("*.") {
                        let last = m.rsplit('.').next().unwrap_or(m).to_string();
                        c.sinks_method
                            .entry(last)
                            .or_default()
                            .push((format!(".{m}"), ri, si));
                    } else {
                        c.sinks_exact
                            .entry(call.clone())
                            .or_default()
                            .push((ri, si));
                    }
                }
                for s in &sink.subscript_assign {
                    c.sinks_subscript.push((s.clone(), ri, si));
                }
                if sink.route_return {
                    c.sinks_return.push((ri, si));
                }
            }
            c.rules.push(CRule {
                id: id.clone(),
                sink_kind: rule.sink_kind.clone(),
                sinks: rule.sinks.clone(),
                self_id,
                src_mask,
            });
        }
        c
    }

    pub(super) fn intern(&mut self, s: &str) -> SanId {
        let n = self.san_ids.len() as SanId;
        *self.san_ids.entry(s.to_string()).or_insert(n)
    }

    pub(super) fn guard_id(&self, s: &str) -> SanId {
        self.san_ids[s]
    }

    /// The rule ids a sanitizer or guard makes data safe for.
    pub(super) fn targets(&self, id: SanId) -> &[SanId] {
        self.san_rules.get(&id).map(|v| v.as_slice()).unwrap_or(&[])
    }

    pub(super) fn sanitize(&self, t: &T, id: SanId) -> T {
        let mut t = t.clone();
        for r in self.targets(id) {
            t = add_san(&t, *r);
        }
        t
    }

    /// Sanitizer id of a callee, if it is one.
    pub(super) fn sanitizer(&self, callee: &str) -> Option<SanId> {
        if let Some(id) = self.san_exact.get(callee) {
            return Some(*id);
        }
        let last = callee.rsplit('.').next().unwrap_or(callee);
        self.san_method.get(last).and_then(|v| {
            v.iter()
                .find(|(suffix, _)| callee.ends_with(suffix.as_str()) || callee == &suffix[1..])
                .map(|(_, id)| *id)
        })
    }

    pub(super) fn sinks_for(&self, callee: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        if let Some(v) = self.sinks_exact.get(callee) {
            out.extend(v.iter().copied());
        }
        let last = callee.rsplit('.').next().unwrap_or(callee);
        if let Some(v) = self.sinks_method.get(last) {
            for (suffix, r, s) in v {
                if (callee.ends_with(suffix.as_str()) || callee == &suffix[1..])
                    && !self.rules[*r].sinks[*s]
                        .not_calls
                        .iter()
                        .any(|p| glob_match(p, callee))
                {
                    out.push((*r, *s));
                }
            }
        }
        out
    }
}

pub(super) fn glob_match(pat: &str, name: &str) -> bool {
    if let Some(prefix) = pat.strip_suffix('*') {
        name.starts_with(prefix)
    } else if let Some(suffix) = pat.strip_prefix('*') {
        name.ends_with(suffix)
    } else {
        pat == name
    }
}
