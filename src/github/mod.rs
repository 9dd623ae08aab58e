//! GitHub code scanning without glue: `tollgate github upload FILE.sarif` and `tollgate scan
//! --github-upload` send the SARIF through the REST API (gzip + base64), wait until GitHub has processed
//! it and print where the analysis is. Settings come from the variables the Actions runner sets
//! (`GITHUB_TOKEN`/`GH_TOKEN`, `GITHUB_REPOSITORY`, `GITHUB_SHA`, `GITHUB_REF`, `GITHUB_API_URL`), flags
//! override them.

pub mod upload;

pub use upload::{upload, Outcome, Settings, Target, UploadError};

/// Install rustls' ring provider as the process default, once (reqwest is built without a provider: the
/// default aws-lc backend is the slowest unit of the build).
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // An error means a provider is already installed, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
