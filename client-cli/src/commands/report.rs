//! `regie report …`: the roll-up of a year's assessment cycles, rendered by `crate::report`,
//! with the titles of its criteria sets and the roll-up of the year before.

use std::collections::BTreeMap;

use regie_proto::v1::{GetCriteriaSetRequest, GetRollupRequest, GetWorkflowRequest, Rollup};
use time::OffsetDateTime;
use tonic::Code;

use super::Context;
use crate::cli::{OutputFormat, ReportCommand, ReportFormat};
use crate::connection::Connection;
use crate::error::CliError;
use crate::output::{emit_json, emit_to};
use crate::report::{self, Lang, Report};

pub async fn run(ctx: &Context, command: ReportCommand) -> Result<(), CliError> {
    let ReportCommand::Rollup(args) = command;
    let conn = &ctx.conn;
    let rollup = get_rollup(conn, args.year, args.criteria_set.unwrap_or_default()).await?;
    match (args.format, ctx.output) {
        // The message itself, for programs; CSV and HTML are asked for by name.
        (ReportFormat::Table, OutputFormat::Json) => {
            return match args.output_file {
                None => emit_json(&rollup),
                Some(path) => emit_to(Some(path.as_path()), &crate::output::to_json(&rollup)?),
            };
        }
        (ReportFormat::Table, OutputFormat::Table) if rollup.rows.is_empty() => {
            crate::output::note(&args.lang.no_cycles(rollup.year));
            return Ok(());
        }
        _ => {}
    }
    let previous = year_before(conn, rollup.year).await?;
    let mut report = Report::new(&rollup, args.lang);
    report.set_titles = set_titles(conn, &rollup).await;
    report.previous = previous.as_ref();
    if args.format == ReportFormat::Html {
        report.state_labels = state_labels(conn, args.lang).await;
    }
    let text = match args.format {
        ReportFormat::Table => report::table(&report),
        ReportFormat::Csv => report::csv(&report)?,
        ReportFormat::Html => report::html(&report, OffsetDateTime::now_utc()),
    };
    // CSV and HTML already end in a newline; `emit` adds one.
    let text = match args.output_file {
        Some(_) => text,
        None => text.strip_suffix('\n').unwrap_or(&text).to_owned(),
    };
    emit_to(args.output_file.as_deref(), &text)
}

async fn get_rollup(
    conn: &Connection,
    year: i32,
    criteria_set: String,
) -> Result<Rollup, CliError> {
    let request = GetRollupRequest { year, criteria_set };
    conn.call(conn.assessments().get_rollup(conn.request(request)))
        .await
}

/// The roll-up of the year before `year`, every set, when it has cycles: the year-on-year
/// column. A year the server does not take (INVALID_ARGUMENT) has none.
async fn year_before(conn: &Connection, year: i32) -> Result<Option<Rollup>, CliError> {
    match get_rollup(conn, year - 1, String::new()).await {
        Ok(rollup) if rollup.rows.is_empty() => Ok(None),
        Ok(rollup) => Ok(Some(rollup)),
        Err(CliError::Rpc(status)) if status.code() == Code::InvalidArgument => Ok(None),
        Err(e) => Err(e),
    }
}

/// The title of each criteria set the roll-up's cycles use. A set the caller may not read (or
/// that cannot be fetched) is left out, and shown by its id.
async fn set_titles(conn: &Connection, rollup: &Rollup) -> BTreeMap<String, String> {
    let mut titles = BTreeMap::new();
    for name in report::set_names(rollup) {
        let request = GetCriteriaSetRequest { name: name.clone() };
        if let Ok(set) = conn
            .call(conn.assessments().get_criteria_set(conn.request(request)))
            .await
        {
            titles.insert(name, set.title);
        }
    }
    titles
}

/// The labels of the assessment cycle's states in `lang` (the current workflow version); none
/// when the workflow cannot be read, so that the page shows the state names.
async fn state_labels(conn: &Connection, lang: Lang) -> BTreeMap<String, String> {
    let request = GetWorkflowRequest {
        name: format!("{}/assessment_cycle", crate::names::WORKFLOWS),
    };
    let Ok(workflow) = conn
        .call(conn.workflows().get_workflow(conn.request(request)))
        .await
    else {
        return BTreeMap::new();
    };
    workflow
        .states
        .into_iter()
        .map(|s| {
            let label = match lang {
                Lang::Nl => s.label_nl,
                Lang::En => s.label_en,
            };
            (s.name, label)
        })
        .collect()
}
