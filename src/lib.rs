//! tollgate: a shift-left security gate. One scan runs four jobs in parallel (secrets, Python SAST, SCA,
//! OpenAPI contract diff) and returns one verdict, written as SARIF, JSON or text.
//!
//! Where things live, from the ground floor up (each layer imports only the ones below it):
//! - [`model`]: findings, rule metadata, the `Job` trait and what a job is given, the scan result;
//! - [`secrets`], [`sast`], [`sca`], [`contract`]: the jobs, one module each, on the model;
//! - [`engine`]: walks the tree (or takes in-memory files), runs the jobs, fingerprints, suppresses and
//!   applies the baseline; [`engine::run`] is the one entry point of both faces;
//! - [`report`] (one writer per output format) and [`gate`] (pass or fail): they read the model only;
//! - the two faces: [`cli`] (`tollgate scan`, ...) and [`server`] (`tollgate serve`, the HTTP API).

pub mod ac;
pub mod alloc;
pub mod cli;
pub mod config;
pub mod contract;
pub mod doc;
pub mod engine;
pub mod error;
pub mod gate;
pub mod github;
pub mod http;
pub mod model;
pub mod report;
pub mod sast;
pub mod sca;
pub mod secrets;
pub mod server;
pub mod text;

pub use error::{Error, Result};
pub use model::{finding, rule, Finding, JobKind, Severity};

/// The tool's version, as written into reports.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Where to read more about the tool (SARIF `tool.driver.informationUri`).
pub const INFORMATION_URI: &str = "https://github.com/tollgate-dev/tollgate";
