//! Files that read no input themselves but call a function of another module that may return input
//! (`def current_user_id(): return request.args["id"]`): phase 1 records such functions per file, and the
//! files that use one are analysed in phase 2 with the summaries, where the call is a source.

use super::scan::{file_info, FileInfo, Output};
use super::taint::project::ModuleIndex;
use super::taint::summary::module_name;
use super::taint::CompiledRules;
use super::{imports::Imports, new_parser, parse_checked, SastJob};
use crate::finding::JobKind;
use crate::model::{ScanContext, SourceFile};
use crate::sast::field;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};

/// Texts of the sources besides web input: the environment, `sys.argv`, `input()`.
pub(super) const LOCAL_NEEDLES: [&str; 4] = ["environ", "getenv", "argv", "input("];

/// Most functions of one file recorded as possibly returning input.
const MAX_RETURNERS: usize = 256;

/// Module-level functions and methods of module-level classes whose body has a `return` and the text of web
/// input (not taken as a parameter): those that may return input they read (the summary decides).
pub(super) fn returners(tree: &tree_sitter::Tree, text: &str) -> Vec<String> {
    let src = text.as_bytes();
    fn def(n: tree_sitter::Node<'_>) -> Option<tree_sitter::Node<'_>> {
        match n.kind() {
            "decorated_definition" => n.child_by_field_id(*field::DEFINITION),
            _ => Some(n),
        }
    }
    let name = |n: tree_sitter::Node<'_>| {
        n.child_by_field_id(*field::NAME)
            .and_then(|x| x.utf8_text(src).ok())
            .unwrap_or("")
            .to_string()
    };
    let reads_and_returns = |f: tree_sitter::Node<'_>| {
        let body = f
            .child_by_field_id(*field::BODY)
            .and_then(|b| b.utf8_text(src).ok())
            .unwrap_or("");
        // a request passed in as a parameter is the caller's input, not one the function reads
        let params = f
            .child_by_field_id(*field::PARAMETERS)
            .and_then(|p| p.utf8_text(src).ok())
            .unwrap_or("");
        let takes_request = params.contains("req") || params.contains("Request");
        // (a helper returning an environment variable is followed only from files that are analysed with
        // the summaries anyway: `os.getenv`, `os.path.expanduser` ... would send half of a tree there)
        body.contains("return ") && !takes_request && super::taint::might_have_input_text(body)
    };
    let mut out = Vec::new();
    let root = tree.root_node();
    let mut c = root.walk();
    for top in root.named_children(&mut c).filter_map(def) {
        match top.kind() {
            "function_definition" if reads_and_returns(top) => out.push(name(top)),
            "class_definition" => {
                let Some(body) = top.child_by_field_id(*field::BODY) else {
                    continue;
                };
                let class = name(top);
                let mut c2 = body.walk();
                for m in body.named_children(&mut c2).filter_map(def) {
                    if m.kind() == "function_definition" && reads_and_returns(m) {
                        out.push(format!("{class}.{}", name(m)));
                    }
                }
            }
            _ => {}
        }
        if out.len() >= MAX_RETURNERS {
            break;
        }
    }
    out.retain(|n| !n.is_empty() && !n.starts_with('.'));
    out
}

/// The files of this shard that phase 1 finished and that use a function of another module of the tree
/// that may return input (`outside`: the returners of files of other shards that they use).
pub(super) fn calls_returners(
    files: &[&SourceFile],
    infos: &[Option<FileInfo>],
    outside: &HashMap<usize, Vec<String>>,
    outputs: &[Option<Output>],
    ctx: &ScanContext,
    index: &ModuleIndex,
) -> Vec<usize> {
    let mut by_path: HashMap<&str, &[String]> = HashMap::new();
    let mut last: HashSet<&str> = HashSet::new();
    let own = infos
        .iter()
        .enumerate()
        .filter_map(|(i, x)| x.as_ref().map(|x| (i, &x.returners)));
    for (i, r) in own.chain(outside.iter().map(|(i, r)| (*i, r))) {
        if !r.is_empty() {
            by_path.insert(files[i].rel.as_str(), r);
            last.extend(r.iter().map(|r| r.rsplit('.').next().unwrap_or(r)));
        }
    }
    if by_path.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, info) in infos.iter().enumerate() {
        let Some(info) = info else { continue };
        if outputs[i].is_none() || info.uses.is_empty() || !ctx.in_shard(&files[i].rel) {
            continue;
        }
        let from = module_name(&files[i].rel).map(|m| m.0).unwrap_or_default();
        let calls = info.uses.iter().any(|u| {
            last.contains(u.rsplit('.').next().unwrap_or(u))
                && index.split(u, &from).is_some_and(|(m, rest)| {
                    index
                        .path(m)
                        .and_then(|p| by_path.get(p))
                        .is_some_and(|r| r.iter().any(|n| n == rest))
                        && index.path(m) != Some(files[i].rel.as_str())
                })
        });
        if calls {
            out.push(i);
        }
    }
    out
}

impl SastJob {
    /// With `--shard`, the files of other shards were not parsed: the returners of those that files of this
    /// shard use, read now (the same facts phase 1 gives, through the same cache entries), so that a shard
    /// finds what the whole scan finds.
    pub(super) fn returners_outside_shard(
        &self,
        files: &[&SourceFile],
        infos: &[Option<FileInfo>],
        outputs: &[Option<Output>],
        ctx: &ScanContext,
        compiled: &CompiledRules,
        index: &ModuleIndex,
    ) -> HashMap<usize, Vec<String>> {
        if files.iter().all(|f| ctx.in_shard(&f.rel)) {
            return HashMap::new();
        }
        let by_path: HashMap<&str, usize> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.rel.as_str(), i))
            .collect();
        let mut needed: Vec<usize> = Vec::new();
        for (i, info) in infos.iter().enumerate() {
            let Some(info) = info else { continue };
            if outputs[i].is_none() {
                continue;
            }
            let from = module_name(&files[i].rel).map(|m| m.0).unwrap_or_default();
            for u in &info.uses {
                let Some(j) = index
                    .split(u, &from)
                    .and_then(|(m, _)| index.path(m))
                    .and_then(|p| by_path.get(p))
                else {
                    continue;
                };
                if infos[*j].is_none() && !ctx.in_shard(&files[*j].rel) {
                    needed.push(*j);
                }
            }
        }
        needed.sort_unstable();
        needed.dedup();
        needed
            .par_iter()
            .map_init(new_parser, |parser, &j| {
                let file = files[j];
                let Ok(mut content) = ctx.content(file) else {
                    return (j, Vec::new());
                };
                let rel = file.rel.as_str();
                let key = |digest: &crate::model::ContentDigest| {
                    ctx.cache
                        .key(JobKind::Sast, "returners")
                        .part(&self.settings)
                        .str(rel)
                        .part(digest)
                        .finish()
                };
                let found = ctx
                    .cache
                    .get_or_content(ctx, file, &mut content, key, |text| {
                        // (phase 1 records returners only for a file with a source, which it never
                        // skips)
                        if text.len() > super::limits::MAX_PARSE_BYTES
                            || !compiled.might_have_sources(text)
                        {
                            return Vec::new();
                        }
                        match parse_checked(parser, rel, text) {
                            Ok((tree, _)) => {
                                let imports = Imports::from_tree(&tree, text.as_bytes());
                                file_info(compiled, &tree, &imports, text, rel).returners
                            }
                            Err(_) => Vec::new(),
                        }
                    })
                    .unwrap_or_default();
                (j, found)
            })
            .filter(|(_, r)| !r.is_empty())
            .collect()
    }
}
