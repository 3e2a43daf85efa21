//! The `bucketwarden` command.
//!
//! Exit codes: 0 when no finding (not exempt) reaches `--fail-on`, 1 when one does,
//! 2 when the tool could not run (bad input, no credentials, no response from AWS).

mod args;
mod commands;
mod err;
mod monitoring;
mod output;
mod simulate;
mod workflows;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Audit(args) => commands::audit(args).await,
            Command::Snapshot(args) => commands::snapshot(args).await,
            Command::Evaluate(args) => commands::evaluate(args),
            Command::Controls(args) => commands::controls(args),
            Command::Remediate(args) => workflows::remediate(args).await,
            Command::SecureBucket(args) => workflows::secure_bucket(args).await,
            Command::Encryption(args) => workflows::encryption(args).await,
            Command::Rollback(args) => workflows::rollback(args).await,
            Command::Doctor(args) => workflows::doctor(args).await,
            Command::Monitoring(args) => monitoring::monitoring(args).await,
        }
    });
    match result {
        Ok(findings) if findings => ExitCode::from(1),
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error_chain(&error));
            ExitCode::from(error.exit_code())
        }
    }
}

/// Joins the error and its sources, for errors whose Display does not repeat the source.
fn error_chain(error: &err::CliError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
