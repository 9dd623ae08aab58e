//! How the job scans a tree: phase 1 parses every file the name prefilter lets through once and scans it,
//! unless it reads input and imports modules of the tree; those modules (and what their summaries lead to)
//! are then summarized; phase 2 analyses the files that waited, with those summaries. Each unit goes through the result cache (`ctx.cache`), keyed by the job's settings, the file
//! and its text, and for phase 2 the digests of every summary the analysis may read.

use super::prefilter::Prefilter;
use super::returners::{calls_returners, returners, LOCAL_NEEDLES};
use super::taint::project::{ModuleIndex, Project, XMod, MAX_HOPS};
use super::taint::summary::{absolute, module_name, ModuleSummary};
use super::taint::CompiledRules;
use super::templates::Templates;
use super::Known;
use super::{imports::Imports, new_parser, parse_checked, SastJob};
use crate::finding::{Finding, JobKind, Notification};
use crate::model::{ContentDigest, ScanContext, SourceFile};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use tree_sitter::Parser;

/// What phase 1 learns about a file besides its findings (cached per file).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(super) struct FileInfo {
    /// The file's text can hold web input (its calls into other modules are followed; environment
    /// variables and `sys.argv` are followed within the file only).
    pub(super) sources: bool,
    /// Every name it imports, absolute.
    pub(super) imports: Vec<String>,
    /// Every name of another module it imports or uses (`m.f` of `import m`), absolute.
    pub(super) uses: Vec<String>,
    /// Modules it imports with `from m import *`, absolute.
    pub(super) stars: Vec<String>,
    /// No web input, but the environment, `sys.argv` or `input()` (followed into other modules too, at
    /// their lower severity).
    #[serde(default)]
    pub(super) local_sources: bool,
    /// Functions (`f`, `C.m`) that may return web input they read (a `return` and a request in the body):
    /// a file calling one of them is analysed with the summaries even when it reads no input itself.
    #[serde(default)]
    pub(super) returners: Vec<String>,
    /// A pattern rule's names occur in the text (the prefilter let it through for them, not only for a
    /// source): the pattern engine runs on it.
    #[serde(default)]
    pub(super) patterns: bool,
    /// The template names the text may render ([`super::templates::named_templates`]).
    #[serde(default)]
    pub(super) templates: Vec<String>,
}

pub(super) type Output = (Vec<Finding>, Vec<Notification>);
type Parsed = Result<(tree_sitter::Tree, Vec<Notification>), Vec<Notification>>;

/// Phase 1's result for one file.
struct First {
    /// `None`: the prefilter skipped the file (it has not been parsed).
    info: Option<FileInfo>,
    /// `None`: the file waits for phase 2.
    output: Option<Output>,
    /// For a file that waits: its text and parse, kept for phase 2 (within [`MAX_KEPT_BYTES`]).
    kept: Option<Kept>,
}

/// A file's text and its parse.
type Kept = (String, Parsed);

/// Most bytes of source whose parse phase 1 keeps for phase 2 (the others are parsed again). A tree takes
/// ~24x its source: 2 MiB keeps the job's peak under 128 MiB on the standard library (4 MiB took it to
/// 136 MiB).
const MAX_KEPT_BYTES: usize = 2 << 20;

impl SastJob {
    /// Scan the picked files (sorted); one output per file, in the same order.
    pub(super) fn scan_files(
        &self,
        files: &[&SourceFile],
        ctx: &ScanContext,
        enabled: &[bool],
        templates: Option<&Templates>,
    ) -> Vec<Output> {
        if files.is_empty() {
            return Vec::new();
        }
        let scan_bytes: u64 = files.iter().map(|f| f.size).sum();
        let active = self.active_taint_rules(enabled);
        let compiled = (!active.is_empty()).then(|| CompiledRules::for_scan(&active, scan_bytes));
        let index = ModuleIndex::new(files.iter().map(|f| f.rel.as_str()));
        // built on the first file the cache does not answer for
        let prefilter = std::sync::OnceLock::new();
        let prefilter = || {
            prefilter.get_or_init(|| {
                if self.prefilter {
                    Prefilter::new(
                        self.rules_list()
                            .iter()
                            .zip(enabled)
                            .filter(|(_, on)| **on)
                            .filter_map(|(r, _)| match r.file.kind {
                                super::rules::RuleKind::Pattern => Some(r.file.pattern.as_ref()),
                                super::rules::RuleKind::Taint => None,
                            }),
                        scan_bytes,
                    )
                } else {
                    Prefilter::off()
                }
            })
        };
        let kept_bytes = AtomicUsize::new(0);
        let first: Vec<First> = files
            .par_iter()
            .map_init(new_parser, |parser, file| {
                // --shard: another shard analyses this file; it is still here to be summarized when a
                // file of this shard imports it.
                if !ctx.in_shard(&file.rel) {
                    return First {
                        info: None,
                        output: Some(Output::default()),
                        kept: None,
                    };
                }
                let r = self.first(
                    parser,
                    file,
                    ctx,
                    enabled,
                    compiled.as_ref(),
                    &index,
                    &prefilter,
                    templates,
                    &kept_bytes,
                );
                if r.output.is_some() {
                    ctx.progress.inc(1);
                }
                r
            })
            .collect();
        let Some(compiled) = compiled else {
            return first
                .into_iter()
                .map(|f| f.output.unwrap_or_default())
                .collect();
        };
        let mut infos: Vec<Option<FileInfo>> = Vec::with_capacity(first.len());
        let mut outputs: Vec<Option<Output>> = Vec::with_capacity(first.len());
        let mut kept: Vec<Option<Kept>> = Vec::with_capacity(first.len());
        for f in first {
            infos.push(f.info);
            outputs.push(f.output);
            kept.push(f.kept);
        }
        // a file that calls a function of another module that may return input: analysed again, with
        // the summaries (its phase-1 result is dropped)
        let outside = self.returners_outside_shard(files, &infos, &outputs, ctx, &compiled, &index);
        for i in calls_returners(files, &infos, &outside, &outputs, ctx, &index) {
            outputs[i] = None;
        }
        let summaries = self.summarize_needed(files, &outputs, &infos, ctx, &compiled, &index);
        let project = Project::new(index, summaries);
        let todo: Vec<(usize, Option<Kept>)> = outputs
            .iter()
            .enumerate()
            .filter(|(_, o)| o.is_none())
            .map(|(i, _)| (i, kept[i].take()))
            .collect();
        drop(kept);
        let second: Vec<(usize, Output)> = todo
            .into_par_iter()
            .map_init(new_parser, |parser, (i, k)| {
                let info = infos[i].clone().unwrap_or_default();
                let r = self.second(
                    parser, files[i], k, &info, ctx, enabled, &compiled, &project, templates,
                );
                ctx.progress.inc(1);
                (i, r)
            })
            .collect();
        for (i, o) in second {
            outputs[i] = Some(o);
        }
        outputs.into_iter().map(Option::unwrap_or_default).collect()
    }

    /// The summaries of the modules the files waiting for phase 2 call into, and of what those lead to
    /// (`MAX_HOPS` deep). Demand-driven: a module is summarized for the names those files use of it (a
    /// class name stands for its methods; `from m import *` asks for everything), parsed again for it (or
    /// read from the cache), and again if a later hop asks for more.
    fn summarize_needed(
        &self,
        files: &[&SourceFile],
        outputs: &[Option<Output>],
        infos: &[Option<FileInfo>],
        ctx: &ScanContext,
        compiled: &CompiledRules,
        index: &ModuleIndex,
    ) -> Vec<ModuleSummary> {
        let by_path: HashMap<&str, usize> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.rel.as_str(), i))
            .collect();
        // (absolute name, importing module, everything)
        let mut frontier: Vec<(String, String, bool)> = Vec::new();
        for (i, info) in infos.iter().enumerate() {
            if let (None, Some(info)) = (&outputs[i], info) {
                let from = module_name(&files[i].rel).map(|m| m.0).unwrap_or_default();
                frontier.extend(info.uses.iter().map(|q| (q.clone(), from.clone(), false)));
                frontier.extend(info.stars.iter().map(|q| (q.clone(), from.clone(), true)));
            }
        }
        let mut demand: HashMap<usize, Option<BTreeSet<String>>> = HashMap::new();
        let mut done: HashMap<usize, Option<BTreeSet<String>>> = HashMap::new();
        let mut results: HashMap<usize, ModuleSummary> = HashMap::new();
        for _ in 0..=MAX_HOPS + 1 {
            let mut touched: BTreeSet<usize> = BTreeSet::new();
            for (q, from, all) in &frontier {
                let Some((m, rest)) = index.split(q, from) else {
                    continue;
                };
                let Some(&i) = index.path(m).and_then(|p| by_path.get(p)) else {
                    continue;
                };
                let want = demand.entry(i).or_insert_with(|| Some(BTreeSet::new()));
                match want {
                    Some(set) if *all => {
                        let _ = set;
                        *want = None;
                    }
                    Some(set) if !rest.is_empty() => {
                        set.insert(rest.to_string());
                        if let Some((head, _)) = rest.split_once('.') {
                            set.insert(head.to_string());
                        }
                    }
                    _ => {}
                }
                touched.insert(i);
            }
            let todo: Vec<(usize, Option<BTreeSet<String>>)> = touched
                .into_iter()
                .filter(|i| done.get(i) != demand.get(i))
                .filter(|i| !matches!(demand.get(i), Some(Some(s)) if s.is_empty()))
                .map(|i| (i, demand[&i].clone()))
                .collect();
            if todo.is_empty() {
                break;
            }
            let computed: Vec<(usize, Option<ModuleSummary>)> = todo
                .par_iter()
                .map_init(new_parser, |parser, (i, only)| {
                    let s = self.summary_of(parser, files[*i], ctx, compiled, only.as_ref());
                    (*i, s)
                })
                .collect();
            let mut next = Vec::new();
            for ((i, only), (_, s)) in todo.into_iter().zip(computed) {
                if let Some(s) = s {
                    next.extend(
                        next_demands(&s, only.as_ref())
                            .into_iter()
                            .map(|q| (q, s.module.clone(), false)),
                    );
                    results.insert(i, s);
                }
                done.insert(i, only);
            }
            frontier = next;
        }
        let mut out: Vec<(usize, ModuleSummary)> = results.into_iter().collect();
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, s)| s).collect()
    }

    /// A module's summary, through the cache.
    fn summary_of(
        &self,
        parser: &mut Parser,
        file: &SourceFile,
        ctx: &ScanContext,
        compiled: &CompiledRules,
        only: Option<&BTreeSet<String>>,
    ) -> Option<ModuleSummary> {
        let rel = file.rel.as_str();
        let (module, package) = module_name(rel)?;
        let mut content = ctx.content(file).ok()?;
        let key = |digest: &ContentDigest| {
            let mut k = ctx
                .cache
                .key(JobKind::Sast, "summary")
                .part(&self.settings)
                .str(rel)
                .part(digest);
            match only {
                Some(names) => {
                    for n in names {
                        k = k.str(n);
                    }
                }
                None => k = k.str("*"),
            }
            k.finish()
        };
        ctx.cache
            .get_or_content(ctx, file, &mut content, key, |text| {
                // none of the names asked for is a function or class defined here (a constant, a
                // submodule, a name imported from elsewhere): nothing to parse, unless a package may
                // re-export it
                if let Some(names) = only {
                    let defined = |n: &str| {
                        let head = n.split('.').next().unwrap_or(n);
                        text.contains(&format!("def {head}("))
                            || text.contains(&format!("class {head}"))
                    };
                    if !package && !names.iter().any(|n| defined(n)) {
                        return Some(ModuleSummary {
                            module: module.clone(),
                            path: rel.to_string(),
                            ..ModuleSummary::default()
                        });
                    }
                }
                match parse_checked(parser, rel, text) {
                    Ok((tree, _)) => {
                        let imports = Imports::from_tree(&tree, text.as_bytes());
                        compiled.summarize(&tree, text, &imports, rel, only)
                    }
                    Err(_) => None,
                }
            })
            .ok()
            .flatten()
    }

    /// Phase 1 for one file: its facts, and its findings unless it waits for phase 2. With the cache, a
    /// file the scan knows by digest is read only when one of its entries is missing.
    #[allow(clippy::too_many_arguments)]
    fn first<'p>(
        &self,
        parser: &mut Parser,
        file: &SourceFile,
        ctx: &ScanContext,
        enabled: &[bool],
        compiled: Option<&CompiledRules>,
        index: &ModuleIndex,
        prefilter: &dyn Fn() -> &'p Prefilter,
        templates: Option<&Templates>,
        kept_bytes: &AtomicUsize,
    ) -> First {
        let failed = |note| First {
            info: Some(FileInfo::default()),
            output: Some((Vec::new(), vec![note])),
            kept: None,
        };
        let (mut digest, mut text) = match ctx.content(file) {
            Ok(c) => c.into_parts(),
            Err(note) => return failed(note),
        };
        let rel = file.rel.as_str();
        let cache = &ctx.cache;
        let key = |unit: &str, digest: &ContentDigest| {
            cache
                .key(JobKind::Sast, unit)
                .part(&self.settings)
                .str(rel)
                .part(digest)
                .finish()
        };
        // the parse, when something below needs it (at most once), and its imports
        let mut parsed: Option<Parsed> = None;
        let mut imports: Option<Imports> = None;
        // the facts, `None` when the prefilter skips the file
        let cached: Option<Option<FileInfo>> = if cache.is_enabled() {
            cache.get(&key("facts", &digest))
        } else {
            None
        };
        let info = match cached {
            Some(i) => i,
            None => {
                let t = match load_text(ctx, file, &mut digest, &mut text) {
                    Ok(t) => t,
                    Err(note) => return failed(note),
                };
                // no name a pattern rule needs and no source: nothing to find here (a file over the
                // size limit goes on, to be reported as such)
                let patterns = prefilter().passes(rel, t);
                let info = if t.len() <= super::limits::MAX_PARSE_BYTES
                    && !patterns
                    && !compiled.is_some_and(|c| c.might_have_sources(t))
                {
                    None
                } else {
                    let p = parsed.insert(parse_checked(parser, rel, t));
                    let mut info = match (p, compiled) {
                        (Ok((tree, _)), Some(c)) => {
                            let i = imports.insert(Imports::from_tree(tree, t.as_bytes()));
                            file_info(c, tree, i, t, rel)
                        }
                        _ => FileInfo::default(),
                    };
                    info.patterns = patterns;
                    info.templates = super::templates::named_templates(t);
                    Some(info)
                };
                if cache.is_enabled() {
                    cache.put(key("facts", &digest), &info);
                }
                info
            }
        };
        let Some(info) = info else {
            return First {
                info: None,
                output: Some((Vec::new(), Vec::new())),
                kept: None,
            };
        };
        let module = module_name(rel).map(|m| m.0).unwrap_or_default();
        let deferred = (info.sources || info.local_sources)
            && info.imports.iter().any(|q| index.covers(q, &module));
        if deferred {
            // keep the parse for phase 2 while the budget lasts
            let kept = parsed.zip(text).and_then(|(p, text)| {
                let before = kept_bytes.fetch_add(text.len(), Ordering::Relaxed);
                (before + text.len() <= MAX_KEPT_BYTES).then_some((text, p))
            });
            return First {
                info: Some(info),
                output: None,
                kept,
            };
        }
        // the results depend on the templates the file renders too
        let template_deps = templates
            .map(|t| t.deps_of(&info.templates, rel))
            .unwrap_or_default();
        let file_key = |digest: &ContentDigest| {
            let mut k = cache
                .key(JobKind::Sast, "file")
                .part(&self.settings)
                .str(rel)
                .part(digest);
            for (path, d) in &template_deps {
                k = k.str(path).part(d);
            }
            k.finish()
        };
        if cache.is_enabled() {
            if let Some(output) = cache.get(&file_key(&digest)) {
                return First {
                    info: Some(info),
                    output: Some(output),
                    kept: None,
                };
            }
        }
        let output = match load_text(ctx, file, &mut digest, &mut text) {
            Err(note) => (Vec::new(), vec![note]),
            Ok(t) => match parsed.unwrap_or_else(|| parse_checked(parser, rel, t)) {
                Ok((tree, notes)) => {
                    let known = Known {
                        imports,
                        no_pattern_can_match: !info.patterns,
                    };
                    self.scan_tree(&tree, notes, rel, t, enabled, None, templates, known)
                }
                Err(notes) => (Vec::new(), notes),
            },
        };
        cache.put(file_key(&digest), &output);
        First {
            info: Some(info),
            output: Some(output),
            kept: None,
        }
    }

    /// Phase 2 for one file: scanned again with the summaries of the modules it may call into (`kept`: its
    /// text and parse from phase 1, when kept).
    #[allow(clippy::too_many_arguments)]
    fn second(
        &self,
        parser: &mut Parser,
        file: &SourceFile,
        kept: Option<Kept>,
        info: &FileInfo,
        ctx: &ScanContext,
        enabled: &[bool],
        compiled: &CompiledRules,
        project: &Project,
        templates: Option<&Templates>,
    ) -> Output {
        let (mut digest, mut text, parsed) = match kept {
            Some((t, p)) => {
                let d = if ctx.cache.is_enabled() {
                    crate::model::digest_text(&t)
                } else {
                    [0; 32]
                };
                (d, Some(t), Some(p))
            }
            None => match ctx.content(file) {
                Ok(c) => {
                    let (d, t) = c.into_parts();
                    (d, t, None)
                }
                Err(note) => return (Vec::new(), vec![note]),
            },
        };
        let rel = file.rel.as_str();
        let xmod = XMod::new(project, rel);
        let module = xmod.as_ref().map(|x| x.module.as_str()).unwrap_or("");
        let deps = project.deps(&info.imports, module);
        let template_deps = templates
            .map(|t| t.deps_of(&info.templates, rel))
            .unwrap_or_default();
        let key = |digest: &ContentDigest| {
            let mut k = ctx
                .cache
                .key(JobKind::Sast, "file-with-imports")
                .part(&self.settings)
                .str(rel)
                .part(digest);
            for e in &deps {
                k = k.str(&e.summary.path).part(&e.digest);
            }
            for (path, d) in &template_deps {
                k = k.str(path).part(d);
            }
            k.finish()
        };
        if ctx.cache.is_enabled() {
            if let Some(output) = ctx.cache.get(&key(&digest)) {
                return output;
            }
        }
        let output = match load_text(ctx, file, &mut digest, &mut text) {
            Err(note) => (Vec::new(), vec![note]),
            Ok(t) => match parsed.unwrap_or_else(|| parse_checked(parser, rel, t)) {
                Ok((tree, notes)) => self.scan_tree(
                    &tree,
                    notes,
                    rel,
                    t,
                    enabled,
                    xmod.as_ref().map(|x| (compiled, x)),
                    templates,
                    Known {
                        imports: None,
                        no_pattern_can_match: !info.patterns,
                    },
                ),
                Err(notes) => (Vec::new(), notes),
            },
        };
        ctx.cache.put(key(&digest), &output);
        output
    }
}

/// The text of a file the scan knew by digest only: read now, and the digest made that of the text read
/// (a result is kept under the digest of the text it was computed from).
fn load_text<'t>(
    ctx: &ScanContext,
    file: &SourceFile,
    digest: &mut ContentDigest,
    text: &'t mut Option<String>,
) -> Result<&'t str, Notification> {
    if text.is_none() {
        let t = ctx.read_text(file)?;
        if ctx.cache.is_enabled() {
            *digest = crate::model::digest_text(&t);
        }
        *text = Some(t);
    }
    Ok(text.as_deref().unwrap_or_default())
}

/// Phase 1's facts about one parsed file.
pub(super) fn file_info(
    c: &CompiledRules,
    tree: &tree_sitter::Tree,
    imports: &Imports,
    text: &str,
    rel: &str,
) -> FileInfo {
    let (module, package) = module_name(rel).unwrap_or_default();
    let imported = imported(imports, &module, package);
    let mut uses: BTreeSet<String> = imported.iter().cloned().collect();
    uses.extend(used_names(text, imports, &module, package));
    let sources = c.might_have_input(text);
    let local_sources = !sources && LOCAL_NEEDLES.iter().any(|n| text.contains(n));
    FileInfo {
        sources,
        local_sources,
        returners: if sources {
            returners(tree, text)
        } else {
            Vec::new()
        },
        imports: imported,
        uses: uses.into_iter().take(4096).collect(),
        stars: imports
            .star_modules()
            .iter()
            .filter_map(|m| absolute(m, &module, package))
            .collect(),
        patterns: false,
        templates: Vec::new(),
    }
}

/// `name.attr` (or a bare `name`) in the text, for every local name an import binds: the other modules' names
/// a file uses, absolute (an over-approximation: comments and strings count too).
fn used_names(text: &str, imports: &Imports, module: &str, package: bool) -> Vec<String> {
    let binds: HashMap<&str, &str> = imports.bindings().collect();
    let b = text.as_bytes();
    let ident = crate::text::is_ident_byte;
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i < b.len() {
        if !ident(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && ident(b[i]) {
            i += 1;
        }
        // an attribute (`x.name`) or a number is not a name an import binds
        if (start > 0 && b[start - 1] == b'.') || b[start].is_ascii_digit() {
            continue;
        }
        let Some(q) = binds.get(&text[start..i]) else {
            continue;
        };
        let mut name = q.to_string();
        if b.get(i) == Some(&b'.') {
            let mut j = i + 1;
            while j < b.len() && ident(b[j]) {
                j += 1;
            }
            if j > i + 1 {
                name.push_str(&text[i..j]);
            }
        }
        if let Some(a) = absolute(&name, module, package) {
            out.insert(a);
        }
    }
    out.into_iter().collect()
}

/// Every name a file imports, absolute.
fn imported(imports: &Imports, module: &str, package: bool) -> Vec<String> {
    let mut imported: Vec<String> = imports
        .imported()
        .iter()
        .chain(imports.star_modules())
        .filter_map(|q| absolute(q, module, package))
        .collect();
    imported.sort();
    imported.dedup();
    imported
}

/// The names a summary leads to (absolute): the callees its functions pass parameters to or take values
/// through, and the targets of the names asked of it that it re-exports.
fn next_demands(s: &ModuleSummary, only: Option<&BTreeSet<String>>) -> Vec<String> {
    let mut out: Vec<String> = s
        .functions
        .values()
        .flat_map(|f| {
            f.calls
                .iter()
                .map(|c| &c.callee)
                .chain(
                    f.sinks
                        .iter()
                        .flat_map(|x| x.through.iter().map(|t| &t.callee)),
                )
                .chain(
                    f.returns
                        .iter()
                        .flat_map(|x| x.through.iter().map(|t| &t.callee)),
                )
        })
        .filter_map(|q| absolute(q, &s.module, s.package))
        .collect();
    for (local, target) in &s.reexports {
        if only.is_none_or(|o| o.contains(local)) {
            out.extend(absolute(target, &s.module, s.package));
        }
    }
    out.sort();
    out.dedup();
    out
}
