//! tollgate: a shift-left security gate. One scan runs four jobs in parallel (secrets, Python SAST, SCA,
//! OpenAPI contract diff) and returns one verdict, written as SARIF, JSON or text.
//!
//! Where things live:
//! - [`engine`] walks the tree, runs the jobs, applies suppressions and the baseline;
//! - [`secrets`], [`sast`], [`sca`], [`contract`] are the jobs, one module each;
//! - [`report`] holds one writer per output format; [`gate`] decides pass or fail;
//! - [`finding`] and [`rule`] are what all of them share.

pub mod cli;
pub mod config;
pub mod contract;
pub mod doc;
pub mod engine;
pub mod error;
pub mod finding;
pub mod gate;
pub mod report;
pub mod rule;
pub mod sast;
pub mod sca;
pub mod secrets;
pub mod text;

pub use error::{Error, Result};
pub use finding::{Finding, JobKind, Severity};

/// The tool's version, as written into reports.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Where to read more about the tool (SARIF `tool.driver.informationUri`).
pub const INFORMATION_URI: &str = "https://github.com/tollgate-dev/tollgate";
