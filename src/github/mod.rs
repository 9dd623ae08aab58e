//! GitHub code scanning without glue: `tollgate github upload FILE.sarif` and `tollgate scan
//! --github-upload` send the SARIF through the REST API (gzip + base64), wait until GitHub has processed
//! it and print where the analysis is. Settings come from the variables the Actions runner sets
//! (`GITHUB_TOKEN`/`GH_TOKEN`, `GITHUB_REPOSITORY`, `GITHUB_SHA`, `GITHUB_REF`, `GITHUB_API_URL`), flags
//! override them.

pub mod upload;

pub use upload::{upload, Outcome, Settings, Target, UploadError};

pub use crate::http::install_crypto_provider;
