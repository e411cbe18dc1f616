//! `regie-server`: reads the configuration, starts logging and runs the server (or a one-off
//! command). Everything else is in the library.

use std::process::ExitCode;

use clap::Parser as _;
use regie_server::config::{AdminCommand, Cli, Command, Settings};
use regie_server::telemetry::Telemetry;

/// The longest the exporters may take to flush at shutdown.
const TELEMETRY_FLUSH_BOUND: std::time::Duration = std::time::Duration::from_secs(5);

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::resolve(cli.options) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("regie-server: {e:#}");
            return ExitCode::from(2);
        }
    };
    let telemetry = match Telemetry::init() {
        Ok(telemetry) => telemetry,
        Err(e) => {
            eprintln!("regie-server: {e:#}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) =
        regie_server::logging::init(settings.log_format, &settings.log, telemetry.tracer())
    {
        eprintln!("regie-server: {e:#}");
        return ExitCode::from(2);
    }
    tracing::info!(exporting = telemetry.describe(), "telemetry over OTLP");
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => regie_server::server::run(settings).await,
        Command::Migrate => match regie_server::server::open_store(&settings).await {
            Ok((store, start)) => {
                start.release().await;
                store.close().await;
                tracing::info!("migrations applied");
                Ok(())
            }
            Err(e) => Err(e),
        },
        Command::Admin(AdminCommand::IssueToken {
            principal,
            display_name,
        }) => regie_server::server::issue_token(&settings, &principal, display_name).await,
    };
    // Whatever the collector's state, the process ends within this bound after the server.
    telemetry.shutdown(TELEMETRY_FLUSH_BOUND).await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "regie-server failed");
            ExitCode::FAILURE
        }
    }
}
