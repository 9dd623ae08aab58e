//! The abstract state: tainted values (source, path steps, sanitizers), constants for folding, per-key and
//! per-index parts of containers, environments and their joins, and how operators and formats combine values.

use super::*;

// ---------------------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------------------

#[derive(Debug)]
pub(super) struct Taint {
    /// The source expression as written.
    pub(super) label: Rc<str>,
    /// "User input", "Environment variable" ...
    pub(super) what: Rc<str>,
    pub(super) range: (usize, usize),
    pub(super) severity: Option<Severity>,
    pub(super) sets: u32,
    pub(super) steps: Rc<Vec<(usize, usize, String)>>,
    /// Sanitizers and guards this value went through, sorted.
    pub(super) san: Rc<Vec<SanId>>,
}

impl Taint {
    /// The code flow of a finding: the source, the steps the value took, and `last` (the sink, a call
    /// into another module, a template render) at `at`.
    pub(super) fn path_to(&self, at: (usize, usize), last: String) -> Vec<(usize, usize, String)> {
        let mut steps = Vec::with_capacity(self.steps.len() + 2);
        steps.push((
            self.range.0,
            self.range.1,
            format!("{} from `{}`", self.what, self.label),
        ));
        steps.extend(self.steps.iter().cloned());
        steps.push((at.0, at.1, last));
        steps
    }
}

pub(super) type T = Option<Rc<Taint>>;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum K {
    Int(i64),
    Str(Rc<str>),
    Bool(bool),
    None,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) enum Kind {
    #[default]
    Unknown,
    Str,
    Container,
    Object,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Val {
    pub(super) t: T,
    /// A list literal (or built from one): its parts are indexes.
    pub(super) list: bool,
    /// For the result of a validation call (`ok = is_safe_url(x)`): the variables it checked.
    pub(super) validates: Option<Rc<Vec<String>>>,
    /// Taint released by reading an attribute or calling a method (a request object, or what wraps one);
    /// the value itself is not tainted.
    pub(super) latent: T,
    pub(super) parts: Option<Rc<BTreeMap<String, Val>>>,
    pub(super) konst: Option<K>,
    pub(super) kind: Kind,
    pub(super) obj: Option<usize>,
    pub(super) origin: Option<Rc<str>>,
    pub(super) prefix: Option<Rc<str>>,
    /// The class an object was made from (`httpx.Client` for `client = httpx.Client()`), so that its
    /// methods can be sinks (`client.get(url)` is `httpx.Client.get`).
    pub(super) class: Option<Rc<str>>,
}

impl Val {
    pub(super) fn clean() -> Val {
        Val::default()
    }
    pub(super) fn konst(k: K) -> Val {
        let kind = if matches!(k, K::Str(_)) {
            Kind::Str
        } else {
            Kind::Unknown
        };
        let prefix = match &k {
            K::Str(s) => Some(s.clone()),
            _ => None,
        };
        Val {
            konst: Some(k),
            kind,
            prefix,
            ..Val::default()
        }
    }
    pub(super) fn tainted(t: T) -> Val {
        Val {
            t,
            ..Val::default()
        }
    }
    /// The taint of the whole value, its parts included.
    pub(super) fn all(&self) -> T {
        let mut t = self.t.clone();
        if let Some(p) = &self.parts {
            for v in p.values() {
                t = join_t(&t, &v.all());
            }
        }
        t
    }
    pub(super) fn is_tainted(&self) -> bool {
        self.all().is_some()
    }
}

pub(super) fn join_t(a: &T, b: &T) -> T {
    match (a, b) {
        (None, x) | (x, None) => x.clone(),
        (Some(x), Some(y)) => {
            if Rc::ptr_eq(x, y) {
                return a.clone();
            }
            // Prefer the more severe source (None = rule severity), then the earlier one.
            let pick_x = match (x.severity, y.severity) {
                (None, Some(_)) => true,
                (Some(_), None) => false,
                _ => x.range <= y.range,
            };
            let (p, q) = if pick_x { (x, y) } else { (y, x) };
            let san: Vec<SanId> = p
                .san
                .iter()
                .copied()
                .filter(|s| q.san.contains(s))
                .collect();
            let sets = p.sets | q.sets;
            if san.len() == p.san.len() && sets == p.sets {
                return Some(p.clone());
            }
            Some(Rc::new(Taint {
                label: p.label.clone(),
                what: p.what.clone(),
                range: p.range,
                severity: p.severity,
                sets,
                steps: p.steps.clone(),
                san: Rc::new(san),
            }))
        }
    }
}

pub(super) fn add_san(t: &T, id: SanId) -> T {
    let x = t.as_ref()?;
    if x.san.contains(&id) {
        return t.clone();
    }
    let mut san = (*x.san).clone();
    san.push(id);
    san.sort_unstable();
    Some(Rc::new(Taint {
        label: x.label.clone(),
        what: x.what.clone(),
        range: x.range,
        severity: x.severity,
        sets: x.sets,
        steps: x.steps.clone(),
        san: Rc::new(san),
    }))
}

pub(super) fn add_step(t: &T, range: (usize, usize), label: String) -> T {
    let x = t.as_ref()?;
    if x.steps.len() >= 12 || x.steps.last().map(|s| (s.0, s.1)) == Some(range) {
        return t.clone();
    }
    let mut steps = (*x.steps).clone();
    steps.push((range.0, range.1, label));
    Some(Rc::new(Taint {
        label: x.label.clone(),
        what: x.what.clone(),
        range: x.range,
        severity: x.severity,
        sets: x.sets,
        steps: Rc::new(steps),
        san: x.san.clone(),
    }))
}

pub(super) fn relabel(t: &T, label: &str, range: (usize, usize)) -> T {
    let x = t.as_ref()?;
    Some(Rc::new(Taint {
        label: label.into(),
        what: x.what.clone(),
        range,
        severity: x.severity,
        sets: x.sets,
        steps: x.steps.clone(),
        san: x.san.clone(),
    }))
}

pub(super) fn san_val(c: &Compiled, v: &Val, id: SanId) -> Val {
    let mut out = v.clone();
    out.t = c.sanitize(&v.t, id);
    if let Some(p) = &v.parts {
        let np: BTreeMap<String, Val> = p
            .iter()
            .map(|(k, x)| (k.clone(), san_val(c, x, id)))
            .collect();
        out.parts = Some(Rc::new(np));
    }
    out
}

pub(super) fn join_val(a: &Val, b: &Val) -> Val {
    let parts = match (&a.parts, &b.parts) {
        (Some(pa), Some(pb)) => {
            let mut m = BTreeMap::new();
            for (k, va) in pa.iter() {
                let vb = pb
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| Val::tainted(b.t.clone()));
                m.insert(k.clone(), join_val(va, &vb));
            }
            for (k, vb) in pb.iter() {
                if !pa.contains_key(k) {
                    m.insert(k.clone(), join_val(&Val::tainted(a.t.clone()), vb));
                }
            }
            Some(Rc::new(m))
        }
        (Some(p), None) => {
            let m = p
                .iter()
                .map(|(k, v)| (k.clone(), join_val(v, &Val::tainted(b.t.clone()))))
                .collect();
            Some(Rc::new(m))
        }
        (None, Some(p)) => {
            let m = p
                .iter()
                .map(|(k, v)| (k.clone(), join_val(&Val::tainted(a.t.clone()), v)))
                .collect();
            Some(Rc::new(m))
        }
        (None, None) => None,
    };
    Val {
        t: join_t(&a.t, &b.t),
        parts,
        konst: if a.konst == b.konst {
            a.konst.clone()
        } else {
            None
        },
        kind: if a.kind == b.kind {
            a.kind
        } else {
            Kind::Unknown
        },
        obj: if a.obj == b.obj { a.obj } else { None },
        latent: join_t(&a.latent, &b.latent),
        list: a.list && b.list,
        validates: if a.validates == b.validates {
            a.validates.clone()
        } else {
            None
        },
        origin: if a.origin == b.origin {
            a.origin.clone()
        } else {
            None
        },
        prefix: if a.prefix == b.prefix {
            a.prefix.clone()
        } else {
            None
        },
        class: a.class.clone().or_else(|| b.class.clone()),
    }
}

pub(super) type Env = HashMap<String, Val>;

pub(super) fn join_env(a: Env, b: &Env) -> Env {
    let mut out = a;
    for (k, vb) in b {
        match out.get_mut(k) {
            Some(va) => *va = join_val(va, vb),
            None => {
                out.insert(k.clone(), vb.clone());
            }
        }
    }
    out
}

pub(super) fn truthy(k: &K) -> bool {
    match k {
        K::Int(i) => *i != 0,
        K::Str(s) => !s.is_empty(),
        K::Bool(b) => *b,
        K::None => false,
    }
}

pub(super) fn parts_insert(v: &mut Val, k: String, x: Val) {
    let mut parts = v.parts.as_deref().cloned().unwrap_or_default();
    parts.insert(k, x);
    v.parts = Some(Rc::new(parts));
}

pub(super) fn key_of(k: &K) -> Option<String> {
    match k {
        K::Int(i) => Some(i.to_string()),
        K::Str(s) => Some(s.to_string()),
        K::Bool(b) => Some(if *b { "True".into() } else { "False".into() }),
        K::None => None,
    }
}

pub(super) fn element_of(v: &Val) -> Val {
    Val {
        t: join_t(&v.all(), &v.latent),
        ..Val::default()
    }
}

pub(super) fn combine(l: &Val, r: &Val, op: &str) -> Val {
    // constant folding
    match (&l.konst, &r.konst) {
        (Some(K::Int(a)), Some(K::Int(b))) => {
            let v = match op {
                "+" => a.checked_add(*b),
                "-" => a.checked_sub(*b),
                "*" => a.checked_mul(*b),
                "//" => a.checked_div_euclid(*b),
                "%" => a.checked_rem_euclid(*b),
                "**" if (0..32).contains(b) => a.checked_pow(*b as u32),
                _ => None,
            };
            if let Some(v) = v {
                return Val::konst(K::Int(v));
            }
        }
        (Some(K::Str(a)), Some(K::Str(b))) if op == "+" => {
            return Val::konst(K::Str(format!("{a}{b}").into()));
        }
        _ => {}
    }
    // `[prog, "-m", x] + args`: the indexes of the left list stay known
    if op == "+" && l.list && l.parts.is_some() {
        return Val {
            t: join_t(&l.t, &r.all()),
            parts: l.parts.clone(),
            kind: Kind::Container,
            list: true,
            ..Val::default()
        };
    }
    let kind = if l.kind == Kind::Str || r.kind == Kind::Str {
        Kind::Str
    } else if l.kind == Kind::Container && r.kind == Kind::Container {
        Kind::Container
    } else {
        Kind::Unknown
    };
    let prefix: Option<Rc<str>> = if op == "%" && kind == Kind::Str {
        l.prefix
            .as_ref()
            .map(|p| p.split('%').next().unwrap_or("").into())
    } else if op == "+" && kind == Kind::Str {
        if l.is_tainted() {
            l.prefix.clone()
        } else {
            // a clean left side: its text (or a placeholder) then whatever start the right side has
            let left: String = match &l.konst {
                Some(K::Str(k)) => k.to_string(),
                _ => l.prefix.as_deref().unwrap_or("\u{1}").to_string(),
            };
            let right: String = if r.is_tainted() {
                r.prefix.as_deref().unwrap_or("").to_string()
            } else {
                match &r.konst {
                    Some(K::Str(k)) => k.to_string(),
                    _ => r.prefix.as_deref().unwrap_or("\u{1}").to_string(),
                }
            };
            Some(format!("{left}{right}").into())
        }
    } else {
        None
    };
    let t = join_t(&l.all(), &r.all());
    let origin = match (l.is_tainted(), r.is_tainted()) {
        (true, false) => l.origin.clone(),
        (false, true) => r.origin.clone(),
        _ => None,
    };
    Val {
        t,
        kind,
        prefix,
        origin,
        ..Val::default()
    }
}

pub(super) fn slice_str(s: &str, b: &[Option<i64>]) -> Option<String> {
    if b.len() > 2 && b[2].is_some() {
        return None;
    }
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len() as i64;
    let norm = |x: i64| {
        if x < 0 {
            len.saturating_add(x).max(0)
        } else {
            x.min(len)
        }
    };
    let start = norm(b.first().copied().flatten().unwrap_or(0));
    let end = norm(b.get(1).copied().flatten().unwrap_or(len));
    if start >= end {
        return Some(String::new());
    }
    Some(chars[start as usize..end as usize].iter().collect())
}

/// Taint of `fmt.format(args)` following the fields of the format string: `{0[key]}` reads only that key.
pub(super) fn format_taint(
    fmt: &str,
    pos: &[(Node, Val)],
    kw: &[(String, Node, Val)],
) -> Option<T> {
    let mut t: T = None;
    let mut auto = 0usize;
    let b = fmt.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'{' {
            if i + 1 < b.len() && b[i + 1] == b'{' {
                i += 2;
                continue;
            }
            let end = fmt[i..].find('}')? + i;
            let field = &fmt[i + 1..end];
            let field = field.split(['!', ':']).next().unwrap_or("");
            let (name, rest) = match field.find(['[', '.']) {
                Some(j) => (&field[..j], &field[j..]),
                None => (field, ""),
            };
            let base: Option<&Val> = if name.is_empty() {
                let v = pos.get(auto).map(|p| &p.1);
                auto += 1;
                v
            } else if let Ok(k) = name.parse::<usize>() {
                pos.get(k).map(|p| &p.1)
            } else {
                kw.iter().find(|k| k.0 == name).map(|k| &k.2)
            };
            if let Some(v) = base {
                let vt = if let Some(key) = rest.strip_prefix('[').and_then(|r| r.split(']').next())
                {
                    match &v.parts {
                        Some(p) => p.get(key).map(|x| x.all()).unwrap_or_else(|| v.t.clone()),
                        None => v.all(),
                    }
                } else {
                    v.all()
                };
                t = join_t(&t, &vt);
            }
            i = end + 1;
        } else {
            i += 1;
        }
    }
    Some(t)
}
