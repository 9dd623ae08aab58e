//! The one HTTP client of the project: reqwest (blocking) on rustls with the ring provider, used by the
//! osv.dev API client, the advisory database download and the GitHub upload. Built without a default TLS
//! provider because the aws-lc backend is the slowest unit of the whole build; ring is installed once here.

use std::time::Duration;

/// Install rustls' ring provider as the process default, once.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // An error means a provider is already installed, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A blocking client with tollgate's user agent; `timeout` bounds a whole request (`None`: no bound,
/// for large downloads, which bound the connection instead).
pub fn client(timeout: Option<Duration>) -> reqwest::Result<reqwest::blocking::Client> {
    install_crypto_provider();
    let mut b = reqwest::blocking::Client::builder()
        .user_agent(concat!("tollgate/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(30));
    b = match timeout {
        Some(t) => b.timeout(t),
        None => b.timeout(None::<Duration>),
    };
    b.build()
}
