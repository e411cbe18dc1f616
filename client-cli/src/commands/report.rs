//! `regie report …`: the roll-up of a year's assessment cycles, rendered by `crate::report`.

use regie_proto::v1::GetRollupRequest;
use time::OffsetDateTime;

use super::Context;
use crate::cli::{OutputFormat, ReportCommand, ReportFormat};
use crate::error::CliError;
use crate::output::{emit_json, emit_to};
use crate::report;

pub async fn run(ctx: &Context, command: ReportCommand) -> Result<(), CliError> {
    let ReportCommand::Rollup(args) = command;
    let conn = &ctx.conn;
    let request = GetRollupRequest {
        year: args.year,
        criteria_set: args.criteria_set.unwrap_or_default(),
    };
    let rollup = conn
        .call(conn.assessments().get_rollup(conn.request(request)))
        .await?;
    let text = match (args.format, ctx.output) {
        // The message itself, for programs; CSV and HTML are asked for by name.
        (ReportFormat::Table, OutputFormat::Json) if args.output_file.is_none() => {
            return emit_json(&rollup);
        }
        (ReportFormat::Table, OutputFormat::Json) => crate::output::to_json(&rollup)?,
        (ReportFormat::Table, OutputFormat::Table) if rollup.rows.is_empty() => {
            crate::output::note(&format!("no assessment cycles for {}", rollup.year));
            return Ok(());
        }
        (ReportFormat::Table, OutputFormat::Table) => report::table(&rollup),
        (ReportFormat::Csv, _) => report::csv(&rollup)?,
        (ReportFormat::Html, _) => report::html(&rollup, OffsetDateTime::now_utc()),
    };
    // CSV and HTML already end in a newline; `emit` adds one.
    let text = match args.output_file {
        Some(_) => text,
        None => text.strip_suffix('\n').unwrap_or(&text).to_owned(),
    };
    emit_to(args.output_file.as_deref(), &text)
}
