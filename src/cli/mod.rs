//! The command line: `tollgate scan`, `tollgate rules`, `tollgate diff`, `tollgate db`, `tollgate serve`.
//! Exit codes: 0 gate passed, 1 gate failed, 2 usage or runtime error.

pub mod cache;
pub mod db;
pub mod dbauto;
pub mod diff;
pub mod diffbase;
pub mod github;
pub mod history;
pub mod paths;
pub mod rules;
pub mod sarif;
pub mod scan;
pub mod scan_extras;
pub mod serve;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "tollgate",
    version,
    about = "Shift-left security gate: secrets, Python SAST, SCA against OSV, OpenAPI contract diff",
    long_about = "tollgate scans a repository for hardcoded secrets, injection and dangerous calls in Python, \
vulnerable dependencies (OSV advisories) and breaking OpenAPI changes, in parallel, and returns one verdict.\n\n\
Exit codes: 0 the gate passed, 1 the gate failed, 2 usage or runtime error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan a directory (or file) and apply the gate.
    Scan(Box<scan::ScanArgs>),
    /// List the rules, or explain one.
    Rules(rules::RulesArgs),
    /// Compare two OpenAPI documents and classify every change by what it does to clients.
    Diff(diff::DiffArgs),
    /// Manage the offline OSV advisory database.
    #[command(subcommand)]
    Db(db::DbCommand),
    /// GitHub code scanning: upload SARIF.
    #[command(subcommand)]
    Github(github::GithubCommand),
    /// Work with SARIF files: merge the shards of a scan.
    #[command(subcommand)]
    Sarif(sarif::SarifCommand),
    /// The result cache: `tollgate cache clean` removes it.
    #[command(subcommand)]
    Cache(cache::CacheCommand),
    /// Run the HTTP scan API (see openapi.yaml).
    Serve(Box<serve::ServeArgs>),
}

/// Entry point of the binary; returns the exit code.
pub fn main() -> i32 {
    crate::github::install_crypto_provider();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => crate::gate::EXIT_ERROR,
            };
            let _ = e.print();
            return code;
        }
    };
    let res = match &cli.command {
        Command::Scan(a) => scan::run(a),
        Command::Rules(a) => rules::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Db(c) => db::run(c),
        Command::Github(c) => github::run(c),
        Command::Sarif(c) => sarif::run(c),
        Command::Cache(c) => cache::run(c),
        Command::Serve(a) => serve::run(a),
    };
    match res {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tollgate: error: {e:#}");
            crate::gate::EXIT_ERROR
        }
    }
}

/// Split comma-separated values of repeatable options (`--select A,B --select C`).
pub(crate) fn split_list(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Parse a size such as `2097152`, `500k`, `2M`, `2MiB`, `1.5mb`.
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("invalid size `{s}` (e.g. 2097152, 500k, 2M)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        "g" | "gb" | "gib" => 1024 * 1024 * 1024,
        _ => return Err(format!("invalid size unit in `{s}` (use k, M or G)")),
    };
    Ok((n * mult as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_lists() {
        assert_eq!(parse_size("2MiB").unwrap(), 2 * 1024 * 1024);
        assert_eq!(parse_size("500k").unwrap(), 500 * 1024);
        assert_eq!(parse_size("123").unwrap(), 123);
        assert!(parse_size("2X").is_err());
        assert_eq!(
            split_list(&["A,B".into(), " C ".into()]),
            vec!["A", "B", "C"]
        );
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
