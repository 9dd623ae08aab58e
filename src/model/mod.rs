//! The ground floor: what every other part of tollgate speaks and nothing here imports from above.
//! Findings and notifications ([`finding`]), rule metadata ([`rule`]), the [`Job`] trait with what a job is
//! given and returns ([`job`]), the scan result ([`result`]), the gate threshold and the controls a caller
//! steers a scan with (progress, cancellation).

pub mod cache;
pub mod control;
pub mod finding;
pub mod job;
pub mod linehash;
pub mod result;
pub mod rule;
pub mod shard;
mod threshold;

pub use cache::{CacheKey, CacheStore, KeyBuilder, ResultCache};
pub use control::{CancelReason, CancelToken, Progress, ProgressEvent};
pub use finding::{Finding, JobKind, Location, NoteLevel, Notification, Severity};
pub use job::{
    digest_text, rel_path, Content, ContentDigest, Job, JobOutput, KnownContent, RuleSelection,
    ScanContext, SourceFile,
};
pub use result::{rules_used, ScanResult, ScanStats};
pub use rule::RuleMeta;
pub use threshold::FailOn;

/// The key of tollgate's own fingerprint in SARIF `partialFingerprints` (and in baselines read back).
pub const FINGERPRINT_KEY: &str = "tollgate/v1";
