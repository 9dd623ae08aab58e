//! The scan engine: walk the tree, run the jobs in parallel, then fingerprint, sort, suppress and compare
//! with a baseline. It knows findings, never a job's internals.

mod job;

pub use job::{Job, JobOutput, RuleSelection, ScanContext, SourceFile};
