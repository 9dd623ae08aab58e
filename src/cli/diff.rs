//! `tollgate diff BASE REVISION`: compare two OpenAPI documents. (Owned by the contract job.)

/// Arguments of `tollgate diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The previous version: a file, or `git:REF:path`.
    pub base: String,
    /// The new version: a file, or `git:REF:path`.
    pub revision: String,
}

/// Run `tollgate diff`; returns the process exit code (0 pass, 1 breaking changes at or above the
/// threshold, 2 error).
pub fn run(_args: &DiffArgs) -> anyhow::Result<i32> {
    anyhow::bail!("tollgate diff is not implemented yet")
}
