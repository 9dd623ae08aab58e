//! `tollgate db update|info`: the offline OSV advisory database. (Owned by the SCA job.)

/// Subcommands of `tollgate db`.
#[derive(Debug, clap::Subcommand)]
pub enum DbCommand {
    /// Show which advisory databases are installed and how old they are.
    Info,
}

/// Run `tollgate db ...`; returns the process exit code.
pub fn run(_cmd: &DbCommand) -> anyhow::Result<i32> {
    anyhow::bail!("tollgate db is not implemented yet")
}
