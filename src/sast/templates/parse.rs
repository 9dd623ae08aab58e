//! A small, bounded tokenizer for Jinja2 and Django templates: where a variable is written into the page
//! without HTML escaping (`{{ name|safe }}`, `{{ name }}` inside `{% autoescape false %}` / `{% autoescape
//! off %}`), and which other templates it names (`{% include %}`, `{% extends %}`).
//!
//! It only looks at `{{ ... }}`, `{% ... %}` and `{# ... #}`; the text between them is skipped. `{% raw %}`,
//! `{% verbatim %}` and `{% comment %}` blocks are skipped whole. It never fails: an unclosed tag ends the
//! scan.

/// Most tags read in one template, outputs kept, templates named, and nested autoescape blocks.
const MAX_TAGS: usize = 200_000;
const MAX_OUTPUTS: usize = 10_000;
const MAX_REFS: usize = 32;
const MAX_NESTING: usize = 64;

/// Why an output is not escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// `|safe` (or `|safeseq`) with no escaping filter before it.
    Safe,
    /// Inside `{% autoescape false %}` (Jinja2) or `{% autoescape off %}` (Django), with no escaping filter.
    AutoescapeOff,
}

/// One `{{ ... }}` whose value reaches the page unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The variable the expression starts with (`user` of `{{ user.bio|safe }}`).
    pub root: String,
    /// Byte range of the whole `{{ ... }}`.
    pub start: usize,
    pub end: usize,
    pub how: How,
}

/// What a template tells about unescaped output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub outputs: Vec<Output>,
    /// Templates named by `{% include "x" %}` and `{% extends "x" %}` (constant names only).
    pub refs: Vec<String>,
}

/// Filters after which a value is escaped or cannot hold markup (numbers, lengths, JSON for HTML).
const ESCAPING: [&str; 17] = [
    "forceescape",
    "force_escape",
    "striptags",
    "int",
    "float",
    "length",
    "count",
    "wordcount",
    "tojson",
    "json_script",
    "urlencode",
    "escapejs",
    "filesizeformat",
    "abs",
    "round",
    "slugify",
    "iriencode",
];

/// Scan a template's text.
pub fn parse(text: &str) -> Parsed {
    let b = text.as_bytes();
    let mut out = Parsed::default();
    // autoescape blocks: true = escaping on
    let mut stack: Vec<bool> = Vec::new();
    let mut i = 0;
    let mut tags = 0;
    while i + 1 < b.len() && tags < MAX_TAGS {
        let Some(off) = find(&b[i..], b"{") else {
            break;
        };
        let at = i + off;
        let kind = b.get(at + 1).copied();
        let close: &[u8] = match kind {
            Some(b'{') => b"}}",
            Some(b'%') => b"%}",
            Some(b'#') => b"#}",
            _ => {
                i = at + 1;
                continue;
            }
        };
        tags += 1;
        let Some(len) = find(&b[at + 2..], close) else {
            break;
        };
        let end = at + 2 + len + 2;
        let inner = text.get(at + 2..at + 2 + len).unwrap_or("");
        let inner = inner
            .trim_start_matches(['-', '+', '~'])
            .trim_end_matches(['-', '+', '~'])
            .trim();
        i = end;
        match kind {
            Some(b'{') => {
                let off = stack.last().is_some_and(|on| !on);
                if let Some((root, how)) = unescaped(inner, off) {
                    if out.outputs.len() < MAX_OUTPUTS {
                        out.outputs.push(Output {
                            root,
                            start: at,
                            end,
                            how,
                        });
                    }
                }
            }
            Some(b'%') => {
                let mut words = inner.split_whitespace();
                let word = words.next().unwrap_or("");
                match word {
                    "autoescape" => {
                        let on = !matches!(
                            words.next().unwrap_or(""),
                            "false" | "False" | "off" | "no" | "0"
                        );
                        if stack.len() < MAX_NESTING {
                            stack.push(on);
                        }
                    }
                    "endautoescape" => {
                        stack.pop();
                    }
                    "include" | "extends" => {
                        if let Some(name) = first_string(inner) {
                            if out.refs.len() < MAX_REFS && !out.refs.contains(&name) {
                                out.refs.push(name);
                            }
                        }
                    }
                    "raw" | "verbatim" | "comment" => {
                        let endword = format!("end{word}");
                        i = skip_block(text, i, &endword);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    out
}

/// The end of the `{% endWORD %}` tag after byte `from` (or the end of the text).
fn skip_block(text: &str, from: usize, endword: &str) -> usize {
    let b = text.as_bytes();
    let mut i = from;
    while let Some(off) = find(&b[i.min(b.len())..], b"{%") {
        let at = i + off;
        let Some(len) = find(&b[at + 2..], b"%}") else {
            return b.len();
        };
        let inner = text.get(at + 2..at + 2 + len).unwrap_or("");
        let inner = inner.trim_matches(['-', '+', '~']).trim();
        i = at + 2 + len + 2;
        if inner.split_whitespace().next() == Some(endword) {
            return i;
        }
    }
    b.len()
}

/// For an output expression: its root variable and why it is unescaped, or `None` when it is escaped (or
/// does not start with a variable).
fn unescaped(expr: &str, autoescape_off: bool) -> Option<(String, How)> {
    let root: String = expr
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if root.is_empty() || root.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    if matches!(
        root.as_str(),
        "true" | "false" | "none" | "True" | "False" | "None" | "not"
    ) {
        return None;
    }
    let mut marked_safe = false;
    let mut escaped = false;
    for seg in split_filters(expr).into_iter().skip(1) {
        let name: String = seg
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        match name.as_str() {
            "safe" | "safeseq" if !escaped => marked_safe = true,
            // a no-op on a value already marked safe
            "e" | "escape" if !marked_safe => escaped = true,
            n if ESCAPING.contains(&n) => {
                escaped = true;
                marked_safe = false;
            }
            _ => {}
        }
    }
    if marked_safe {
        Some((root, How::Safe))
    } else if autoescape_off && !escaped {
        Some((root, How::AutoescapeOff))
    } else {
        None
    }
}

/// The parts of an expression between `|` outside strings and brackets (the first is the value, then one
/// per filter).
fn split_filters(expr: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in expr.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                '|' if depth <= 0 => {
                    out.push(&expr[start..i]);
                    start = i + 1;
                }
                _ => {}
            },
        }
    }
    out.push(&expr[start..]);
    out
}

/// The first quoted string of a tag (`include "a.html"` -> `a.html`).
fn first_string(inner: &str) -> Option<String> {
    let start = inner.find(['"', '\''])?;
    let q = inner[start..].chars().next()?;
    let rest = &inner[start + 1..];
    let end = rest.find(q)?;
    let s = &rest[..end];
    (!s.is_empty() && s.len() <= 256).then(|| s.to_string())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..].iter().position(|&c| c == first) {
            Some(p) => {
                i += p;
                if hay[i..].starts_with(needle) {
                    return Some(i);
                }
                i += 1;
            }
            None => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots(t: &str) -> Vec<(String, How)> {
        parse(t)
            .outputs
            .into_iter()
            .map(|o| (o.root, o.how))
            .collect()
    }

    #[test]
    fn safe_filters_and_autoescape_blocks() {
        let t = "<p>{{ name }}</p>{{ bio|safe }}{{ x|e|safe }}{{ y | escape }}{{ u.bio | default('') | safe }}\
                 {% autoescape false %}{{ a }}{{ b|e }}{{ c|striptags }}{% endautoescape %}{{ d }}\
                 {% autoescape off %}{{ f|default:\"x\" }}{% autoescape on %}{{ g }}{% endautoescape %}{{ h }}{% endautoescape %}\
                 {{ s|safe|e }}{{ n|int|safe }}{{- k|safe -}}";
        assert_eq!(
            roots(t),
            vec![
                ("bio".into(), How::Safe),
                ("u".into(), How::Safe),
                ("a".into(), How::AutoescapeOff),
                ("f".into(), How::AutoescapeOff),
                ("h".into(), How::AutoescapeOff),
                ("s".into(), How::Safe),
                ("k".into(), How::Safe),
            ]
        );
    }

    #[test]
    fn skipped_blocks_refs_and_broken_input() {
        let t = "{# {{ a|safe }} #}{% raw %}{{ b|safe }}{% endraw %}{% comment %}{{ c|safe }}{% endcomment %}\
                 {% include 'part.html' %}{% extends \"base.html\" %}{% include var %}{{ d|safe }}{{ \"x|safe\" }}";
        let p = parse(t);
        assert_eq!(
            p.outputs
                .iter()
                .map(|o| o.root.as_str())
                .collect::<Vec<_>>(),
            vec!["d"]
        );
        assert_eq!(p.refs, vec!["part.html", "base.html"]);
        for t in [
            "{{",
            "{%",
            "{{ a|safe",
            "{% raw %}{{ a|safe }}",
            "{% endautoescape %}{{ a }}",
            "}}{{|}}{{ é|safe }}",
            "{",
            "",
        ] {
            let _ = parse(t);
        }
        // pseudo-random soup of the characters the tokenizer looks at, and multi-byte ones
        let alphabet: Vec<char> = "{}%#|'\"-+~ ab_é中\nsafe".chars().collect();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2000 {
            let mut t = String::new();
            for _ in 0..(x % 64) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                t.push(alphabet[(x % alphabet.len() as u64) as usize]);
            }
            let p = parse(&t);
            assert!(p
                .outputs
                .iter()
                .all(|o| o.start < o.end && o.end <= t.len()));
            x = x.wrapping_add(1);
        }
        let deep = "{% autoescape false %}".repeat(10_000) + "{{ a }}";
        assert_eq!(parse(&deep).outputs.len(), 1);
    }
}
