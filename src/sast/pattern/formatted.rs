//! Value classification: formatted strings, SQL value positions, risky parts, and the `context:` names
//! around a match.

use super::*;
use crate::sast::field;

/// A string built inline from a literal and at least one non-constant part. Parts that are constants,
/// ALL_CAPS names, or the result of a conversion/quoting function (`int()`, `len()`, `quote_name()`,
/// `escape()` ...) do not count: they cannot carry arbitrary text.
pub(super) fn is_formatted_string(n: Node, source: &[u8]) -> bool {
    let n = unparen(n);
    match n.kind() {
        "string" => fstring_risky(n, source),
        "concatenated_string" => {
            let mut c = n.walk();
            let r = n
                .named_children(&mut c)
                .any(|ch| is_formatted_string(ch, source));
            r
        }
        "binary_operator" => {
            let (Some(l), Some(r), Some(op)) = (
                n.child_by_field_id(*field::LEFT),
                n.child_by_field_id(*field::RIGHT),
                n.child_by_field_id(*field::OPERATOR),
            ) else {
                return false;
            };
            match text(op, source) {
                "+" => {
                    (has_string_literal(l, source) || has_string_literal(r, source))
                        && (risky(l, source) || risky(r, source))
                }
                "%" => string_value(l, source).is_some() && risky(r, source),
                _ => false,
            }
        }
        "call" => {
            // "...".format(x)
            let Some(f) = n.child_by_field_id(*field::FUNCTION) else {
                return false;
            };
            if f.kind() != "attribute" {
                return false;
            }
            let (Some(obj), Some(attr)) = (
                f.child_by_field_id(*field::OBJECT),
                f.child_by_field_id(*field::ATTRIBUTE),
            ) else {
                return false;
            };
            if text(attr, source) != "format" || string_value(obj, source).is_none() {
                return false;
            }
            let Some(args) = n.child_by_field_id(*field::ARGUMENTS) else {
                return false;
            };
            let mut c = args.walk();
            let r = args.named_children(&mut c).any(|a| {
                let v = if a.kind() == "keyword_argument" {
                    a.child_by_field_id(*field::VALUE)
                } else {
                    Some(a)
                };
                v.is_some_and(|v| risky(v, source))
            });
            r
        }
        _ => false,
    }
}

/// An f-string with a placeholder whose value can carry arbitrary text.
pub(super) fn fstring_risky(n: Node, source: &[u8]) -> bool {
    let mut c = n.walk();
    let r = n.children(&mut c).any(|ch| {
        ch.kind() == "interpolation"
            && ch
                .child_by_field_id(*field::EXPRESSION)
                .or_else(|| ch.named_child(0))
                .is_some_and(|e| risky(e, source))
    });
    r
}

/// Does a dynamic part of this built string land in an SQL value position?
pub(super) fn sql_value_formatted(n: Node, source: &[u8]) -> bool {
    let n = unparen(n);
    let value_pos = |before: &str| sql_value_position(before);
    match n.kind() {
        "string" => {
            let mut before = String::new();
            let mut c = n.walk();
            for ch in n.children(&mut c) {
                match ch.kind() {
                    "string_content" | "escape_sequence" => before.push_str(text(ch, source)),
                    "interpolation" => {
                        let e = ch
                            .child_by_field_id(*field::EXPRESSION)
                            .or_else(|| ch.named_child(0));
                        if e.is_some_and(|e| risky(e, source)) && value_pos(&before) {
                            return true;
                        }
                        before.push('?');
                    }
                    _ => {}
                }
            }
            false
        }
        "binary_operator" => {
            let op = n
                .child_by_field_id(*field::OPERATOR)
                .map(|o| text(o, source))
                .unwrap_or("");
            if op == "%" {
                let (Some(l), Some(r)) = (
                    n.child_by_field_id(*field::LEFT),
                    n.child_by_field_id(*field::RIGHT),
                ) else {
                    return false;
                };
                let Some(fmt) = string_value(l, source) else {
                    return false;
                };
                // Placeholders %s / %r / %(name)s that get a dynamic value (%d, %i, %f are numbers).
                let parts: Vec<Node> = match unparen(r).kind() {
                    "tuple" => {
                        let r = unparen(r);
                        let mut c = r.walk();
                        let v: Vec<Node> = r.named_children(&mut c).collect();
                        v
                    }
                    _ => vec![r],
                };
                let single = parts.len() == 1;
                let mut idx = 0;
                let b = fmt.as_bytes();
                let mut i = 0;
                while i < b.len() {
                    if b[i] == b'%' && i + 1 < b.len() {
                        if b[i + 1] == b'%' {
                            i += 2;
                            continue;
                        }
                        let mut j = i + 1;
                        let named = b[j] == b'(';
                        if named {
                            while j < b.len() && b[j] != b')' {
                                j += 1;
                            }
                            j += 1;
                        }
                        while j < b.len() && !b[j].is_ascii_alphabetic() {
                            j += 1;
                        }
                        let conv = b.get(j).copied().unwrap_or(b's');
                        let part = if named || single {
                            parts.first()
                        } else {
                            parts.get(idx)
                        };
                        idx += 1;
                        if matches!(conv, b's' | b'r' | b'a')
                            && part.is_some_and(|p| risky(*p, source))
                            && value_pos(&fmt[..i])
                        {
                            return true;
                        }
                        i = j + 1;
                        continue;
                    }
                    i += 1;
                }
                false
            } else if op == "+" {
                let mut parts = Vec::new();
                flatten_plus(n, source, &mut parts);
                let mut before = String::new();
                for p in parts {
                    if let Some(v) = string_value(p, source) {
                        before.push_str(&v);
                    } else if p.kind() == "string" {
                        if sql_value_formatted(p, source) {
                            return true;
                        }
                        before.push('?');
                    } else {
                        if risky(p, source) && value_pos(&before) {
                            return true;
                        }
                        before.push('?');
                    }
                }
                false
            } else {
                false
            }
        }
        "call" => {
            // "... {} ...".format(x): positional/named fields in order.
            let Some(f) = n.child_by_field_id(*field::FUNCTION) else {
                return false;
            };
            let Some(fmt) = f
                .child_by_field_id(*field::OBJECT)
                .and_then(|o| string_value(o, source))
            else {
                return false;
            };
            let args_risky = n.child_by_field_id(*field::ARGUMENTS).is_some_and(|a| {
                let mut c = a.walk();
                let r = a.named_children(&mut c).any(|x| {
                    let v = if x.kind() == "keyword_argument" {
                        x.child_by_field_id(*field::VALUE)
                    } else {
                        Some(x)
                    };
                    v.is_some_and(|v| risky(v, source))
                });
                r
            });
            args_risky
                && fmt
                    .match_indices('{')
                    .any(|(i, _)| !fmt[i..].starts_with("{{") && value_pos(&fmt[..i]))
        }
        "concatenated_string" => {
            let mut c = n.walk();
            let r = n
                .named_children(&mut c)
                .any(|ch| sql_value_formatted(ch, source));
            r
        }
        _ => false,
    }
}

pub(super) fn flatten_plus<'t>(n: Node<'t>, source: &[u8], out: &mut Vec<Node<'t>>) {
    let n = unparen(n);
    if n.kind() == "binary_operator"
        && n.child_by_field_id(*field::OPERATOR)
            .is_some_and(|o| text(o, source) == "+")
    {
        if let Some(l) = n.child_by_field_id(*field::LEFT) {
            flatten_plus(l, source, out);
        }
        if let Some(r) = n.child_by_field_id(*field::RIGHT) {
            flatten_plus(r, source, out);
        }
    } else {
        out.push(n);
    }
}

/// Does SQL text ending here expect a value next (`... = `, `LIKE '%`, `IN (`, an open quote)?
pub(super) fn sql_value_position(before: &str) -> bool {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"(?i)(=|<>|!=|<|>|\blike|\bin\s*\(|\bvalues\s*\(|\blimit|\boffset|\bbetween|\band)\s*%?\s*$",
        )
        .expect("valid regex")
    });
    // Inside an open string literal: an odd number of single quotes so far (double quotes delimit
    // identifiers in SQL).
    before.bytes().filter(|b| *b == b'\'').count() % 2 == 1 || re.is_match(before)
}

/// `", ".join(["%s"] * len(x))` or `", ".join("?" for _ in x)`: a list of constant placeholders.
pub(super) fn is_placeholder_join(n: Node, source: &[u8]) -> bool {
    let Some(f) = n
        .child_by_field_id(*field::FUNCTION)
        .filter(|f| f.kind() == "attribute")
    else {
        return false;
    };
    let is_join = f
        .child_by_field_id(*field::ATTRIBUTE)
        .is_some_and(|a| text(a, source) == "join");
    let on_literal = f
        .child_by_field_id(*field::OBJECT)
        .is_some_and(|o| string_value(o, source).is_some());
    if !(is_join && on_literal) {
        return false;
    }
    let Some(args) = n.child_by_field_id(*field::ARGUMENTS) else {
        return false;
    };
    let arg = if args.kind() == "generator_expression" {
        Some(args)
    } else {
        args.named_child(0)
    };
    arg.is_some_and(|a| match a.kind() {
        "binary_operator" => a.child_by_field_id(*field::LEFT).is_some_and(is_constant),
        "generator_expression" | "list_comprehension" => {
            a.child_by_field_id(*field::BODY).is_some_and(is_constant)
        }
        _ => false,
    })
}

/// `"...".format(...)` (with only safe arguments, or `is_formatted_string` would have said so).
pub(super) fn is_format_call(n: Node, source: &[u8]) -> bool {
    n.child_by_field_id(*field::FUNCTION)
        .filter(|f| f.kind() == "attribute")
        .is_some_and(|f| {
            f.child_by_field_id(*field::ATTRIBUTE)
                .is_some_and(|a| text(a, source) == "format")
                && f.child_by_field_id(*field::OBJECT)
                    .is_some_and(|o| string_value(o, source).is_some())
        })
}

/// Can this part of a built string carry arbitrary text?
pub(super) fn risky(n: Node, source: &[u8]) -> bool {
    let n = unparen(n);
    match n.kind() {
        "string" => fstring_risky(n, source),
        "concatenated_string" | "tuple" | "list" | "expression_list" => {
            let mut c = n.walk();
            let r = n.named_children(&mut c).any(|ch| risky(ch, source));
            r
        }
        "binary_operator" => {
            n.child_by_field_id(*field::LEFT)
                .is_some_and(|l| risky(l, source))
                || n.child_by_field_id(*field::RIGHT)
                    .is_some_and(|r| risky(r, source))
        }
        "call" if is_formatted_string(n, source) => true,
        "call" if is_format_call(n, source) => false,
        "call" if is_placeholder_join(n, source) => false,
        "identifier" => !is_const_name(text(n, source)),
        "attribute" => n
            .child_by_field_id(*field::ATTRIBUTE)
            .is_none_or(|a| !is_const_name(text(a, source))),
        "call" => {
            let name = n
                .child_by_field_id(*field::FUNCTION)
                .map(|f| match f.kind() {
                    "attribute" => f
                        .child_by_field_id(*field::ATTRIBUTE)
                        .map(|a| text(a, source))
                        .unwrap_or(""),
                    _ => text(f, source),
                })
                .unwrap_or("");
            !is_safe_conversion(name)
        }
        _ => !is_constant(n),
    }
}

pub(super) fn is_const_name(name: &str) -> bool {
    name.len() > 1
        && name.bytes().any(|b| b.is_ascii_uppercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

pub(super) fn is_safe_conversion(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "int" | "float" | "len" | "bool" | "abs" | "round" | "hex" | "ord" | "id"
    // translations of constant messages (`_("...")`, `gettext_lazy("...")`)
            | "_" | "gettext" | "gettext_lazy" | "ngettext" | "pgettext" | "ugettext" | "ugettext_lazy"
            | "gettext_noop" | "pgettext_lazy" | "ngettext_lazy" | "lazy_gettext"
    ) || lower.contains("quote")
        || lower.contains("escape")
        || lower == "identifier"
}

pub(super) fn has_string_literal(n: Node, source: &[u8]) -> bool {
    let n = unparen(n);
    match n.kind() {
        "string" | "concatenated_string" => true,
        "binary_operator" => {
            n.child_by_field_id(*field::LEFT)
                .is_some_and(|l| has_string_literal(l, source))
                || n.child_by_field_id(*field::RIGHT)
                    .is_some_and(|r| has_string_literal(r, source))
        }
        _ => is_formatted_string(n, source),
    }
}

/// One or two hops of plain assignment: `num = random.random()` then `remember_me_key = str(num)[2:]`,
/// or `resp.set_cookie("rememberMe", key)`. Looks in the enclosing function (or module) for a use of the
/// variable the match is assigned to whose context names match `re`.
pub(super) fn flows_to_context(subject: Node, source: &[u8], re: &Regex) -> bool {
    // The variable the match is assigned to (directly, or as part of the assigned expression).
    let mut cur = subject.parent();
    let mut var = None;
    let mut scope = None;
    while let Some(p) = cur {
        match p.kind() {
            "assignment" if var.is_none() => {
                var = p
                    .child_by_field_id(*field::LEFT)
                    .filter(|l| l.kind() == "identifier")
                    .map(|l| text(l, source).to_string());
                if var.is_none() {
                    return false;
                }
            }
            "function_definition" | "module" => {
                scope = Some(p);
                break;
            }
            "expression_statement" | "block" if var.is_none() => return false,
            _ => {}
        }
        cur = p.parent();
    }
    let (Some(var), Some(scope)) = (var, scope) else {
        return false;
    };
    let mut vars = vec![var];
    for _hop in 0..2 {
        let mut next = Vec::new();
        let mut stack = vec![scope];
        while let Some(n) = stack.pop() {
            if n.kind() == "identifier"
                && n.start_byte() > subject.end_byte()
                && vars.iter().any(|v| v.as_bytes() == &source[n.byte_range()])
            {
                if context_matches(n, source, re) || call_literal_matches(n, source, re) {
                    return true;
                }
                // `b = f(a)`: follow b.
                let mut up = n.parent();
                while let Some(p) = up {
                    match p.kind() {
                        "assignment" => {
                            if let Some(l) = p
                                .child_by_field_id(*field::LEFT)
                                .filter(|l| l.kind() == "identifier")
                            {
                                next.push(text(l, source).to_string());
                            }
                            break;
                        }
                        "expression_statement" | "block" | "function_definition" => break,
                        _ => up = p.parent(),
                    }
                }
            }
            let mut c = n.walk();
            for ch in n.children(&mut c) {
                if ch.kind() != "function_definition" && ch.kind() != "class_definition" {
                    stack.push(ch);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        vars = next;
    }
    false
}

/// Is `n` an argument of a call that also has a string literal argument matching `re`
/// (`set_cookie("rememberMe", value)`), or the value of a subscript assignment with such a key
/// (`session["token"] = value`)?
pub(super) fn call_literal_matches(n: Node, source: &[u8], re: &Regex) -> bool {
    let mut cur = n.parent();
    while let Some(p) = cur {
        match p.kind() {
            "argument_list" => {
                let mut c = p.walk();
                let r = p
                    .named_children(&mut c)
                    .any(|a| string_value(a, source).is_some_and(|v| re.is_match(&v)));
                return r;
            }
            "assignment" => {
                return p
                    .child_by_field_id(*field::LEFT)
                    .filter(|l| l.kind() == "subscript")
                    .is_some_and(|l| re.is_match(text(l, source)));
            }
            "expression_statement" | "block" => return false,
            _ => cur = p.parent(),
        }
    }
    false
}

/// Do the names around a match (assignment target, keyword, dict key, called function, enclosing
/// function) match `re`? Used for "where a token or password is made".
pub(super) fn context_matches(subject: Node, source: &[u8], re: &Regex) -> bool {
    let mut child = subject;
    let mut cur = subject.parent();
    let mut depth = 0;
    while let Some(p) = cur {
        depth += 1;
        if depth > 40 {
            return false;
        }
        let hit = match p.kind() {
            "keyword_argument" | "default_parameter" | "typed_default_parameter" => p
                .child_by_field_id(*field::NAME)
                .is_some_and(|n| n.id() != child.id() && re.is_match(text(n, source))),
            "assignment" | "augmented_assignment" => p
                .child_by_field_id(*field::LEFT)
                .is_some_and(|n| n.id() != child.id() && re.is_match(text(n, source))),
            "pair" => p
                .child_by_field_id(*field::KEY)
                .is_some_and(|n| n.id() != child.id() && re.is_match(text(n, source))),
            "argument_list" => p
                .parent()
                .and_then(|c| c.child_by_field_id(*field::FUNCTION))
                .is_some_and(|f| re.is_match(text(f, source))),
            "function_definition" => {
                return p
                    .child_by_field_id(*field::NAME)
                    .is_some_and(|n| re.is_match(text(n, source)));
            }
            "module" | "class_definition" | "lambda" => return false,
            _ => false,
        };
        if hit {
            return true;
        }
        child = p;
        cur = p.parent();
    }
    false
}

/// Is this program name a command shell (`sh`, `/bin/bash`, `C:\\Windows\\System32\\cmd.exe`, `pwsh`)?
pub fn is_shell_program(name: &str) -> bool {
    let base = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(name)
        .to_ascii_lowercase();
    let base = base.strip_suffix(".exe").unwrap_or(&base);
    matches!(
        base,
        "sh" | "bash"
            | "zsh"
            | "dash"
            | "ksh"
            | "mksh"
            | "ash"
            | "csh"
            | "tcsh"
            | "fish"
            | "busybox"
            | "cmd"
            | "powershell"
            | "pwsh"
    )
}

/// Is this argument the flag after which a shell takes a command string (`-c`, `-lc`, `-ec`, `/c`, `/k`,
/// `-Command`)?
pub fn is_shell_command_flag(flag: &str) -> bool {
    let f = flag.to_ascii_lowercase();
    if f == "/c" || f == "/k" || f == "-command" || f == "-encodedcommand" {
        return true;
    }
    f.strip_prefix('-').is_some_and(|rest| {
        !rest.is_empty()
            && rest.len() <= 4
            && rest.contains('c')
            && rest.chars().all(|c| c.is_ascii_alphabetic())
    })
}

/// `["sh", "-c", cmd]`, `("bash", "-lc", f"... {x}")`, `["cmd.exe", "/c", cmd]`: a list or tuple literal with
/// a shell program, its command flag, and a dynamic element after them.
pub(super) fn is_shell_command_list(n: Node, source: &[u8]) -> bool {
    if !matches!(n.kind(), "list" | "tuple") {
        return false;
    }
    let mut c = n.walk();
    let elems: Vec<Node> = n
        .named_children(&mut c)
        .filter(|e| e.kind() != "comment")
        .collect();
    let Some(shell) = elems
        .iter()
        .position(|e| string_value(*e, source).is_some_and(|s| is_shell_program(&s)))
    else {
        return false;
    };
    let Some(flag) = elems[shell + 1..]
        .iter()
        .position(|e| string_value(*e, source).is_some_and(|s| is_shell_command_flag(&s)))
    else {
        return false;
    };
    elems[shell + 1 + flag + 1..]
        .iter()
        .any(|e| risky(*e, source))
}
