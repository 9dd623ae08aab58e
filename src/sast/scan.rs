//! How the job scans a tree: phase 1 parses every file once, scans it, and computes its module summary;
//! phase 2 re-analyses the files that read input and import modules of the tree, with those modules'
//! summaries. Each unit goes through the result cache (`ctx.cache`), keyed by the job's settings, the file
//! and its text, and for phase 2 the digests of every summary the analysis may read.

use super::taint::project::{ModuleIndex, Project, XMod};
use super::taint::summary::{absolute, module_name, ModuleSummary};
use super::taint::CompiledRules;
use super::{imports::Imports, new_parser, parse_checked, SastJob};
use crate::finding::{Finding, JobKind, Notification};
use crate::model::{ScanContext, SourceFile};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
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

/// Phase 1's result for one file.
struct First {
    info: FileInfo,
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
        let first: Vec<First> = files
            .par_iter()
            .map_init(new_parser, |parser, file| {
                let r = self.first(parser, file, ctx, enabled, compiled.as_ref(), &index);
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
        let mut infos = Vec::with_capacity(first.len());
        let mut outputs = Vec::with_capacity(first.len());
        let mut summaries = Vec::new();
        for f in first {
            let mut info = f.info;
            if let Some(s) = info.summary.take() {
                summaries.push(s);
            }
            infos.push(info);
            outputs.push(f.output);
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
                let r = self.second(
                    parser, files[i], &infos[i], ctx, enabled, &compiled, &project,
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

    /// Phase 1 for one file: its facts and summary, and its findings unless phase 2 must redo them.
    fn first(
        &self,
        parser: &mut Parser,
        file: &SourceFile,
        ctx: &ScanContext,
        enabled: &[bool],
        compiled: Option<&CompiledRules>,
        index: &ModuleIndex,
    ) -> First {
        let text = match ctx.read_text(file) {
            Ok(t) => t,
            Err(note) => {
                return First {
                    info: FileInfo::default(),
                    output: Some((Vec::new(), vec![note])),
                }
            }
        };
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
        let mut parsed: Option<Result<(tree_sitter::Tree, Vec<Notification>), Vec<Notification>>> =
            None;
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
            return First { info, output: None };
        }
        let output = cache.get_or(
            || key("file"),
            || match parsed.unwrap_or_else(|| parse_checked(parser, rel, &text)) {
                Ok((tree, notes)) => self.scan_tree(&tree, notes, rel, &text, enabled, None),
                Err(notes) => (Vec::new(), notes),
            },
        );
        First {
            info,
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
