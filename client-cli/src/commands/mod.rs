//! Runs a parsed command: works out the server and token (flags, then the profile, then the
//! defaults), opens the connection and hands over to the subject's module. `login` and `logout`
//! manage the profiles file themselves.
//!
//! A subject's module has its handlers in one `run`, an arm per subcommand of its `crate::cli`
//! enum (e.g. [`crate::cli::DepartmentCommand`]), each building its request from that
//! subcommand's arguments; below `run` it says how its responses print, as the [`render`] traits.

mod access;
mod audit;
mod case_requests;
mod cases;
mod console;
mod criteria_sets;
mod cycles;
mod departments;
mod events;
mod frameworks;
mod groups;
mod health;
mod import;
mod policies;
mod principals;
mod render;
mod report;
mod risks;
mod roles;
mod session;
mod tokens;
mod transitions;
mod work;
mod workflows;

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{Cli, Command, OutputFormat};
use crate::connection::Connection;
use crate::error::{CliError, exit};
use crate::profiles::{self, Profiles};
use crate::settings::{self, Settings};
use crate::trace::TraceParent;

/// What every command needs: the connection and the output format.
#[derive(Debug)]
pub struct Context {
    pub conn: Connection,
    pub output: OutputFormat,
}

/// Runs the command and returns the exit code for a run without errors.
pub async fn run(cli: Cli) -> Result<u8, CliError> {
    let timeout = Duration::from_secs(cli.timeout);
    match cli.command {
        Command::Login => return session::login(&cli, timeout).await,
        Command::Logout => return session::logout(&cli),
        Command::Completions { shell } => {
            crate::cli::write_completions(shell, &mut std::io::stdout().lock());
            return Ok(exit::SUCCESS);
        }
        _ => {}
    }
    let (settings, ca_cert) = settings_for(&cli)?;
    let trace = TraceParent::for_run(cli.trace, std::env::var("TRACEPARENT").ok().as_deref());
    if let Some(trace) = &trace {
        eprintln!("trace {}", trace.trace_id());
    }
    let conn = Connection::open(
        &settings.server,
        timeout,
        settings.token.as_deref(),
        trace.as_ref(),
        ca_cert.as_deref(),
    )
    .await?;
    let ctx = Context {
        conn,
        output: cli.output,
    };
    match cli.command {
        // Handled above, without a connection of this kind (or none at all).
        Command::Login | Command::Logout | Command::Completions { .. } => Ok(exit::SUCCESS),
        Command::Whoami => {
            session::whoami(&ctx).await?;
            Ok(exit::SUCCESS)
        }
        Command::Health { service } => health::run(&ctx, service).await,
        Command::MyWork {
            kind,
            due_soon_days,
            page,
        } => {
            work::run(&ctx, kind, due_soon_days, page).await?;
            Ok(exit::SUCCESS)
        }
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
        Command::CriteriaSets(command) => {
            criteria_sets::run(&ctx, command).await?;
            Ok(exit::SUCCESS)
        }
        Command::Cycles(command) => {
            cycles::run(&ctx, command).await?;
            Ok(exit::SUCCESS)
        }
        Command::Frameworks(command) => {
            frameworks::run(&ctx, command).await?;
            Ok(exit::SUCCESS)
        }
        Command::Risks(command) => {
            risks::run(&ctx, command).await?;
            Ok(exit::SUCCESS)
        }
        Command::Report(command) => {
            report::run(&ctx, command).await?;
            Ok(exit::SUCCESS)
        }
        Command::Import(command) => {
            import::run(&ctx, command).await?;
            Ok(exit::SUCCESS)
        }
        Command::Workflows(command) => {
            workflows::run(&ctx, command).await?;
            Ok(exit::SUCCESS)
        }
        Command::Audit(command) => audit::run(&ctx, command).await,
        Command::Principals(command) => {
            principals::run(&ctx, command).await?;
            Ok(exit::SUCCESS)
        }
        Command::Tokens(command) => {
            tokens::run(&ctx, command).await?;
            Ok(exit::SUCCESS)
        }
        Command::Console(command) => {
            console::run(&ctx, command).await?;
            Ok(exit::SUCCESS)
        }
        Command::Roles(command) => {
            roles::run(&ctx, command).await?;
            Ok(exit::SUCCESS)
        }
        Command::Policies(command) => {
            policies::run(&ctx, command).await?;
            Ok(exit::SUCCESS)
        }
        Command::Access(command) => access::run(&ctx, command).await,
    }
}

/// The profiles file's location and contents; no location (no HOME) means no profiles.
pub fn load_profiles() -> Result<(Option<PathBuf>, Profiles), CliError> {
    let path = profiles::path_from_env();
    let profiles = match &path {
        Some(path) => Profiles::load(path)?,
        None => Profiles::default(),
    };
    Ok((path, profiles))
}

/// The server, token and CA certificate for a command. When server and token come from flags or
/// the environment the profiles file is not read at all, so scripts do not depend on it.
fn settings_for(cli: &Cli) -> Result<(Settings, Option<PathBuf>), CliError> {
    let server = cli.server.as_deref();
    let token = cli.token.as_deref();
    if let (Some(server), Some(token)) = (server, settings::token(token, None).as_deref()) {
        let settings = Settings {
            server: server.to_owned(),
            token: Some(token.to_owned()),
        };
        return Ok((settings, cli.ca_cert.clone()));
    }
    let (path, profiles) = load_profiles()?;
    let requested = cli.profile.as_deref();
    let profile =
        settings::select_profile(&profiles, requested, path.as_deref()).map_err(CliError::Usage)?;
    let settings = settings::resolve(server, token, profile, settings::profile_name(requested))
        .map_err(CliError::Usage)?;
    Ok((settings, settings::ca_cert(cli.ca_cert.as_deref(), profile)))
}

/// For an update: when a flag was given, puts its value in the message and its field in the mask.
pub fn set_masked<T>(paths: &mut Vec<String>, path: &str, flag: Option<T>, field: &mut T) {
    if let Some(value) = flag {
        *field = value;
        paths.push(path.to_owned());
    }
}
