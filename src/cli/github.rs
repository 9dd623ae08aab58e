//! `tollgate github upload FILE.sarif`, and the upload flags `tollgate scan --github-upload` shares.

use crate::github::upload::{self, Outcome, Overrides, Settings, Target, UploadError};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, clap::Subcommand)]
pub enum GithubCommand {
    /// Upload a SARIF file to GitHub code scanning and wait until GitHub has processed it.
    Upload(UploadArgs),
}

/// Where to upload; every value defaults to what the GitHub Actions runner sets.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct UploadFlags {
    /// OWNER/REPO [default: $GITHUB_REPOSITORY].
    #[arg(long = "github-repo", value_name = "OWNER/REPO")]
    pub repo: Option<String>,
    /// The analysed commit, 40 hex digits [default: $GITHUB_SHA].
    #[arg(long = "github-commit", value_name = "SHA")]
    pub commit: Option<String>,
    /// The analysed ref, e.g. refs/heads/main or refs/pull/42/merge [default: $GITHUB_REF].
    #[arg(long = "github-ref", value_name = "REF")]
    pub git_ref: Option<String>,
    /// The REST API, e.g. https://HOST/api/v3 for GitHub Enterprise Server
    /// [default: $GITHUB_API_URL or https://api.github.com].
    #[arg(long = "github-api-url", value_name = "URL")]
    pub api_url: Option<String>,
    /// The checkout directory as a file:// URI [default: file://$GITHUB_WORKSPACE].
    #[arg(long = "github-checkout-uri", value_name = "URI")]
    pub checkout_uri: Option<String>,
    /// Return once GitHub accepted the upload, without waiting for it to be processed.
    #[arg(long = "github-no-wait")]
    pub no_wait: bool,
    /// Give up waiting for processing after this many seconds (the upload stands).
    #[arg(
        long = "github-wait-timeout",
        value_name = "SECONDS",
        default_value_t = 120
    )]
    pub wait_timeout: u64,
}

#[derive(Debug, clap::Args)]
pub struct UploadArgs {
    /// The SARIF file to upload.
    pub file: PathBuf,
    /// Analysis category (written as the SARIF's automationDetails.id), to keep several analyses of one
    /// commit apart [default: the file's own].
    #[arg(long, value_name = "CATEGORY")]
    pub category: Option<String>,
    #[command(flatten)]
    pub flags: UploadFlags,
}

pub fn run(cmd: &GithubCommand) -> anyhow::Result<i32> {
    match cmd {
        GithubCommand::Upload(a) => {
            let sarif = std::fs::read_to_string(&a.file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", a.file.display()))?;
            let lines = upload_sarif(&sarif, &a.flags, a.category.clone())?;
            let code = lines.0;
            for l in lines.1 {
                println!("{l}");
            }
            Ok(code)
        }
    }
}

/// Upload and describe what happened: (exit code, lines for the user). Processing errors exit 2.
pub fn upload_sarif(
    sarif: &str,
    flags: &UploadFlags,
    category: Option<String>,
) -> anyhow::Result<(i32, Vec<String>)> {
    let overrides = Overrides {
        repo: flags.repo.clone(),
        commit_sha: flags.commit.clone(),
        git_ref: flags.git_ref.clone(),
        api_url: flags.api_url.clone(),
        checkout_uri: flags.checkout_uri.clone(),
        category,
    };
    let target = Target::resolve(&overrides, &|k| std::env::var(k).ok())
        .map_err(|e| anyhow::anyhow!("GitHub upload: {e}"))?;
    let settings = Settings {
        wait: !flags.no_wait,
        poll_timeout: Duration::from_secs(flags.wait_timeout),
        poll_interval: poll_interval(),
        ..Settings::default()
    };
    let web = upload::web_url(&target, std::env::var("GITHUB_SERVER_URL").ok().as_deref());
    match upload::upload(sarif, &target, &settings) {
        Ok(Outcome::Complete { id, analyses_url }) => {
            let mut lines = vec![format!(
                "GitHub code scanning: upload {id} processed for {} at {}",
                target.git_ref, target.commit_sha
            )];
            if let Some(u) = analyses_url {
                lines.push(format!("analysis: {u}"));
            }
            lines.push(format!("alerts: {web}"));
            Ok((0, lines))
        }
        Ok(Outcome::Pending { id }) => Ok((
            0,
            vec![
                format!(
                    "GitHub code scanning: upload {id} accepted for {} at {}; processing not finished{}",
                    target.git_ref,
                    target.commit_sha,
                    if flags.no_wait { "" } else { " within the wait timeout" }
                ),
                format!("alerts: {web}"),
            ],
        )),
        Err(e @ UploadError::Processing { .. }) => {
            eprintln!("tollgate: error: {e}");
            Ok((crate::gate::EXIT_ERROR, Vec::new()))
        }
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

/// Seconds between status checks: 5, or `TOLLGATE_GITHUB_POLL_MS` (milliseconds) for tests.
fn poll_interval() -> Duration {
    std::env::var("TOLLGATE_GITHUB_POLL_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(5))
}
