//! How the job scans a tree: phase 1 parses every file the name prefilter lets through once, scans it, and
//! computes its module summary; the modules that files reading input import (and what those lead to) get a
//! summary even when the prefilter skipped them; phase 2 re-analyses the files that read input and import
//! modules of the tree, with those modules' summaries. Each unit goes through the result cache (`ctx.cache`), keyed by the job's settings, the file
//! and its text, and for phase 2 the digests of every summary the analysis may read.

use super::prefilter::Prefilter;
use super::taint::project::{ModuleIndex, Project, XMod, MAX_HOPS};
use super::taint::summary::{absolute, module_name, ModuleSummary};
use super::taint::CompiledRules;
use super::{imports::Imports, new_parser, parse_checked, SastJob};
use crate::finding::{Finding, JobKind, Notification};
use crate::model::{ScanContext, SourceFile};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use tree_sitter::Parser;

/// What phase 1 learns about a file besides its findings (cached per file).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct FileInfo {
    /// The file's text can hold a source (else no taint analysis can find anything in it).
    sources: bool,
    /// Every name it imports, absolute.
    imports: Vec<String>,
    summary: Option<ModuleSummary>,
}

type Output = (Vec<Finding>, Vec<Notification>);
type Parsed = Result<(tree_sitter::Tree, Vec<Notification>), Vec<Notification>>;

/// Phase 1's result for one file.
struct First {
    /// `None`: the prefilter skipped the file (it has not been parsed).
    info: Option<FileInfo>,
    /// `None`: the file waits for phase 2.
    output: Option<Output>,
}

impl SastJob {
    /// Scan the picked files (sorted); one output per file, in the same order.
    pub(super) fn scan_files(
        &self,
        files: &[&SourceFile],
        ctx: &ScanContext,
        enabled: &[bool],
    ) -> Vec<Output> {
        let active = self.active_taint_rules(enabled);
        let compiled = (!active.is_empty()).then(|| CompiledRules::new(&active));
        let index = ModuleIndex::new(files.iter().map(|f| f.rel.as_str()));
        let prefilter = if self.prefilter {
            Prefilter::new(
                self.rules
                    .iter()
                    .zip(enabled)
                    .filter(|(_, on)| **on)
                    .filter_map(|(r, _)| match r.file.kind {
                        super::rules::RuleKind::Pattern => Some(r.file.pattern.as_ref()),
                        super::rules::RuleKind::Taint => None,
                    }),
            )
        } else {
            Prefilter::off()
        };
        let first: Vec<First> = files
            .par_iter()
            .map_init(new_parser, |parser, file| {
                let r = self.first(
                    parser,
                    file,
                    ctx,
                    enabled,
                    compiled.as_ref(),
                    &index,
                    &prefilter,
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
        let (mut infos, mut outputs): (Vec<Option<FileInfo>>, Vec<Option<Output>>) =
            first.into_iter().map(|f| (f.info, f.output)).unzip();
        self.summarize_skipped(files, &outputs, &mut infos, ctx, &compiled, &index);
        let mut summaries = Vec::new();
        for info in infos.iter_mut().flatten() {
            if let Some(s) = info.summary.take() {
                summaries.push(s);
            }
        }
        let project = Project::new(index, summaries);
        let second: Vec<(usize, Output)> = outputs
            .iter()
            .enumerate()
            .filter(|(_, o)| o.is_none())
            .map(|(i, _)| i)
            .collect::<Vec<_>>()
            .par_iter()
            .map_init(new_parser, |parser, &i| {
                let info = infos[i].clone().unwrap_or_default();
                let r = self.second(parser, files[i], &info, ctx, enabled, &compiled, &project);
                ctx.progress.inc(1);
                (i, r)
            })
            .collect();
        for (i, o) in second {
            outputs[i] = Some(o);
        }
        outputs.into_iter().map(Option::unwrap_or_default).collect()
    }

    /// The modules that the files waiting for phase 2 import, and what their summaries lead to: summarized
    /// now if the prefilter skipped them in phase 1.
    fn summarize_skipped(
        &self,
        files: &[&SourceFile],
        outputs: &[Option<Output>],
        infos: &mut [Option<FileInfo>],
        ctx: &ScanContext,
        compiled: &CompiledRules,
        index: &ModuleIndex,
    ) {
        let by_path: HashMap<&str, usize> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.rel.as_str(), i))
            .collect();
        let module = |i: usize| module_name(&files[i].rel).map(|m| m.0).unwrap_or_default();
        let edges = |i: usize, info: &FileInfo| -> Vec<(String, String)> {
            let from = module(i);
            match (&info.summary, outputs[i].is_none()) {
                // a file waiting for phase 2: what it imports
                (_, true) => info
                    .imports
                    .iter()
                    .map(|q| (q.clone(), from.clone()))
                    .collect(),
                (Some(s), false) => s.edges().into_iter().map(|q| (q, from.clone())).collect(),
                (None, false) => Vec::new(),
            }
        };
        let mut frontier: Vec<(String, String)> = Vec::new();
        for (i, info) in infos.iter().enumerate() {
            if outputs[i].is_none() {
                frontier.extend(edges(i, info.as_ref().unwrap_or(&FileInfo::default())));
            }
        }
        let mut seen: HashSet<usize> = HashSet::new();
        for _ in 0..=MAX_HOPS {
            let mut next = Vec::new();
            let mut todo = Vec::new();
            for (q, from) in &frontier {
                let Some(i) = index
                    .module_of(q, from)
                    .and_then(|m| index.path(m))
                    .and_then(|p| by_path.get(p).copied())
                else {
                    continue;
                };
                if !seen.insert(i) {
                    continue;
                }
                match &infos[i] {
                    Some(info) => next.extend(edges(i, info)),
                    None => todo.push(i),
                }
            }
            let done: Vec<(usize, FileInfo)> = todo
                .par_iter()
                .map_init(new_parser, |parser, &i| {
                    (i, self.file_info_of(parser, files[i], ctx, compiled))
                })
                .collect();
            for (i, info) in done {
                next.extend(edges(i, &info));
                infos[i] = Some(info);
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
    }

    /// Phase 1's facts about a file the prefilter skipped, through the cache.
    fn file_info_of(
        &self,
        parser: &mut Parser,
        file: &SourceFile,
        ctx: &ScanContext,
        compiled: &CompiledRules,
    ) -> FileInfo {
        let Ok(text) = ctx.read_text(file) else {
            return FileInfo::default();
        };
        let rel = file.rel.as_str();
        let key = || {
            ctx.cache
                .key(JobKind::Sast, "summary")
                .part(&self.settings)
                .str(rel)
                .str(&text)
                .finish()
        };
        ctx.cache
            .get_or(key, || match parse_checked(parser, rel, &text) {
                Ok((tree, _)) => file_info(compiled, &tree, &text, rel),
                Err(_) => FileInfo::default(),
            })
    }

    /// Phase 1 for one file: its facts and summary, and its findings unless phase 2 must redo them.
    #[allow(clippy::too_many_arguments)]
    fn first(
        &self,
        parser: &mut Parser,
        file: &SourceFile,
        ctx: &ScanContext,
        enabled: &[bool],
        compiled: Option<&CompiledRules>,
        index: &ModuleIndex,
        prefilter: &Prefilter,
    ) -> First {
        let text = match ctx.read_text(file) {
            Ok(t) => t,
            Err(note) => {
                return First {
                    info: Some(FileInfo::default()),
                    output: Some((Vec::new(), vec![note])),
                }
            }
        };
        // no name a pattern rule needs and no source: nothing to find here (a file over the size limit
        // goes on, to be reported as such)
        if text.len() <= super::limits::MAX_PARSE_BYTES
            && !prefilter.passes(&text)
            && !compiled.is_some_and(|c| c.might_have_sources(&text))
        {
            return First {
                info: None,
                output: Some((Vec::new(), Vec::new())),
            };
        }
        let rel = file.rel.as_str();
        let cache = &ctx.cache;
        let key = |unit: &str| {
            cache
                .key(JobKind::Sast, unit)
                .part(&self.settings)
                .str(rel)
                .str(&text)
                .finish()
        };
        // the parse, when something below needs it (at most once)
        let mut parsed: Option<Parsed> = None;
        let cached: Option<FileInfo> = if cache.is_enabled() {
            cache.get(&key("summary"))
        } else {
            None
        };
        let info = match cached {
            Some(i) => i,
            None => {
                let p = parsed.insert(parse_checked(parser, rel, &text));
                let info = match (p, compiled) {
                    (Ok((tree, _)), Some(c)) => file_info(c, tree, &text, rel),
                    _ => FileInfo::default(),
                };
                if cache.is_enabled() {
                    cache.put(key("summary"), &info);
                }
                info
            }
        };
        let module = module_name(rel).map(|m| m.0).unwrap_or_default();
        let deferred = info.sources && info.imports.iter().any(|q| index.covers(q, &module));
        if deferred {
            return First {
                info: Some(info),
                output: None,
            };
        }
        let output = cache.get_or(
            || key("file"),
            || match parsed.unwrap_or_else(|| parse_checked(parser, rel, &text)) {
                Ok((tree, notes)) => self.scan_tree(&tree, notes, rel, &text, enabled, None),
                Err(notes) => (Vec::new(), notes),
            },
        );
        First {
            info: Some(info),
            output: Some(output),
        }
    }

    /// Phase 2 for one file: scanned again with the summaries of the modules it may call into.
    #[allow(clippy::too_many_arguments)]
    fn second(
        &self,
        parser: &mut Parser,
        file: &SourceFile,
        info: &FileInfo,
        ctx: &ScanContext,
        enabled: &[bool],
        compiled: &CompiledRules,
        project: &Project,
    ) -> Output {
        let text = match ctx.read_text(file) {
            Ok(t) => t,
            Err(note) => return (Vec::new(), vec![note]),
        };
        let rel = file.rel.as_str();
        let xmod = XMod::new(project, rel);
        let key = || {
            let module = xmod.as_ref().map(|x| x.module.as_str()).unwrap_or("");
            let mut k = ctx
                .cache
                .key(JobKind::Sast, "file-with-imports")
                .part(&self.settings)
                .str(rel)
                .str(&text);
            for e in project.deps(&info.imports, module) {
                k = k.str(&e.summary.path).part(&e.digest);
            }
            k.finish()
        };
        ctx.cache
            .get_or(key, || match parse_checked(parser, rel, &text) {
                Ok((tree, notes)) => self.scan_tree(
                    &tree,
                    notes,
                    rel,
                    &text,
                    enabled,
                    xmod.as_ref().map(|x| (compiled, x)),
                ),
                Err(notes) => (Vec::new(), notes),
            })
    }
}

/// Phase 1's facts about one parsed file.
fn file_info(c: &CompiledRules, tree: &tree_sitter::Tree, text: &str, rel: &str) -> FileInfo {
    let imports = Imports::from_tree(tree, text.as_bytes());
    let (module, package) = module_name(rel).unwrap_or_default();
    let mut imported: Vec<String> = imports
        .imported()
        .iter()
        .chain(imports.star_modules())
        .filter_map(|q| absolute(q, &module, package))
        .collect();
    imported.sort();
    imported.dedup();
    FileInfo {
        sources: c.might_have_sources(text),
        imports: imported,
        summary: c.summarize(tree, text, &imports, rel),
    }
}
