//! `regie`: the command-line client for the Regie server.
//!
//! This file only parses the command line, runs the command on a small Tokio runtime and turns
//! the outcome into an exit code; the work is in the modules below.

mod cli;
mod commands;
mod connection;
mod criteria_file;
mod error;
mod filter;
mod import;
mod names;
mod output;
mod profiles;
mod report;
mod settings;
mod trace;
mod values;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::Cli;
use crate::error::{CliError, exit};

fn main() -> ExitCode {
    let cli = match Cli::try_parse().and_then(Cli::checked) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version land here too; they go to stdout and succeed.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::SUCCESS
            });
        }
    };
    let outcome = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Other(anyhow::Error::new(e).context("starting the runtime")))
        .and_then(|runtime| runtime.block_on(commands::run(cli)));
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            err.report();
            ExitCode::from(err.exit_code())
        }
    }
}
