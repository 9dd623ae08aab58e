//! Typed errors of the library. Every error names the file and, where it has one, the line.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration file is invalid (unknown key, wrong type ...).
    #[error("{path}:{line}:{column}: {message}")]
    Config {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A rule file is invalid.
    #[error("{path}:{line}: {message}")]
    Rule {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Bad command-line usage or an argument that makes no sense.
    #[error("{0}")]
    Usage(String),
    /// The caller cancelled the scan.
    #[error("the scan was cancelled")]
    Cancelled,
    /// The scan ran out of its time budget.
    #[error("the scan ran out of its time budget")]
    TimedOut,
    /// Anything else a job cannot recover from (a corrupt database, ...), with its context in the message.
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
