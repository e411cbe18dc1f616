//! Runs a parsed command: opens the connection and hands over to the subject's module.

mod audit;
mod case_requests;
mod cases;
mod departments;
mod events;
mod groups;
mod health;
mod transitions;
mod workflows;

use std::time::Duration;

use crate::cli::{Cli, Command, OutputFormat};
use crate::connection::Connection;
use crate::error::{CliError, exit};

/// What every command needs: the connection and the output format.
#[derive(Debug)]
pub struct Context {
    pub conn: Connection,
    pub output: OutputFormat,
}

/// Runs the command and returns the exit code for a run without errors.
pub async fn run(cli: Cli) -> Result<u8, CliError> {
    let conn = Connection::open(&cli.server, Duration::from_secs(cli.timeout)).await?;
    let ctx = Context {
        conn,
        output: cli.output,
    };
    match cli.command {
        Command::Health { service } => health::run(&ctx, service).await,
        Command::Departments(command) => {
            departments::run(&ctx, command).await?;
            Ok(exit::SUCCESS)
        }
        Command::Groups(command) => {
            groups::run(&ctx, command).await?;
            Ok(exit::SUCCESS)
        }
        Command::Cases(command) => {
            cases::run(&ctx, command).await?;
            Ok(exit::SUCCESS)
        }
        Command::Workflows(command) => {
            workflows::run(&ctx, command).await?;
            Ok(exit::SUCCESS)
        }
        Command::Audit(command) => audit::run(&ctx, command).await,
    }
}

/// Follows `next_page_token`s when `all` is set: `fetch` gets a page token and returns the page
/// and its next token; `merge` adds a page to the result. Stops with an error if the server
/// hands back the token it was just given, which would loop forever.
pub async fn pages<P, F, Fut>(
    first_token: String,
    all: bool,
    mut fetch: F,
    mut merge: impl FnMut(P),
) -> Result<String, CliError>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<(P, String), CliError>>,
{
    let mut token = first_token;
    loop {
        let (page, next) = fetch(token.clone()).await?;
        merge(page);
        if !all || next.is_empty() {
            return Ok(next);
        }
        if next == token {
            return Err(anyhow::anyhow!("the server returned the same page token twice").into());
        }
        token = next;
    }
}

/// Tells the user how to get the next page, on stderr.
pub fn hint_next_page(next_page_token: &str) {
    if !next_page_token.is_empty() {
        crate::output::note(&format!("next page: --page-token {next_page_token}"));
    }
}

/// For an update: when a flag was given, puts its value in the message and its field in the mask.
pub fn set_masked<T>(paths: &mut Vec<String>, path: &str, flag: Option<T>, field: &mut T) {
    if let Some(value) = flag {
        *field = value;
        paths.push(path.to_owned());
    }
}
