//! `tollgate diff` as a standalone program, for the contract benchmark before the CLI is wired:
//! `cargo run --release --example contract_diff -- BASE REVISION [--format ...]`.
use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: tollgate::cli::diff::DiffArgs,
}

fn main() {
    let cli = Cli::parse();
    match tollgate::cli::diff::run(&cli.args) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
