//! `regie health`: asks the standard gRPC health service (grpc.health.v1.Health/Check).

use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

use super::Context;
use crate::cli::OutputFormat;
use crate::error::{CliError, exit};
use crate::output::emit;

/// Prints the serving status; the exit code is 0 only for SERVING.
pub async fn run(ctx: &Context, service: String) -> Result<u8, CliError> {
    let conn = &ctx.conn;
    let mut client = conn.health();
    let response = conn
        .call(client.check(conn.request(HealthCheckRequest { service })))
        .await?;
    let status = ServingStatus::try_from(response.status).ok();
    let name = status.map_or("UNKNOWN", |s| s.as_str_name());
    match ctx.output {
        // The protobuf JSON mapping of HealthCheckResponse: the enum by name.
        OutputFormat::Json => {
            let json = serde_json::to_string_pretty(&serde_json::json!({ "status": name }))
                .map_err(anyhow::Error::new)?;
            emit(&json)?;
        }
        OutputFormat::Table => emit(name)?,
    }
    Ok(if status == Some(ServingStatus::Serving) {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
}
