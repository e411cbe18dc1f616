//! `regie import work-items FILE.csv`: check every row (locally, then the departments, working
//! groups and parent cases it names against the server), and only when all are valid create
//! the work items that were not imported before, a few at a time.
//!
//! A bad file changes nothing: every problem is printed on stderr as `line N: column: …` and
//! the exit code is 3. Each row's key (see `crate::import`) goes on its work item as the label
//! `import-<key>` and as the request id, so a second run skips what the first one created, and
//! a retried call never creates a second item.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::IsTerminal as _;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use regie_proto::v1::{
    Case, GetCaseRequest, ListCasesRequest, ListCasesResponse, ListDepartmentsRequest,
    ListWorkingGroupsRequest,
};
use tokio::task::JoinSet;
use tonic::Code;

use super::Context;
use super::render::pages;
use crate::cli::{ImportCommand, ImportWorkItems, OutputFormat};
use crate::connection::Connection;
use crate::error::CliError;
use crate::filter::quote;
use crate::import::{self, IMPORTED, KEY_LABEL_PREFIX, Problem, Row};
use crate::output::{self, emit, emit_json};

/// The largest page the server hands out; fewer round trips for the look-ups.
const PAGE_SIZE: i32 = 1000;

pub async fn run(ctx: &Context, command: ImportCommand) -> Result<(), CliError> {
    match command {
        ImportCommand::WorkItems(args) => work_items(ctx, args).await,
    }
}

async fn work_items(ctx: &Context, args: ImportWorkItems) -> Result<(), CliError> {
    let file = args.file.display().to_string();
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {file} (is it UTF-8 text?)"))?;
    let mut parsed = match import::parse(&text) {
        Ok(parsed) => parsed,
        Err(problems) => return Err(refused(&file, problems)),
    };
    // The rows that passed the local checks are checked against the server too, so that one
    // run reports every problem.
    let mut problems = std::mem::take(&mut parsed.problems);
    problems.extend(check_references(&ctx.conn, &parsed.rows).await?);
    if !problems.is_empty() {
        problems.sort();
        return Err(refused(&file, problems));
    }
    for (first, again) in &parsed.duplicates {
        output::note(&format!(
            "warning: lines {first} and {again} are the same work item; it is imported once"
        ));
    }

    let existing = imported_keys(&ctx.conn).await?;
    let total = parsed.rows.len();
    parsed
        .rows
        .retain(|row| !existing.contains(&row.key_label()));
    let skipped = total - parsed.rows.len();
    if args.dry_run {
        return emit(&format!(
            "{file} is valid: would create {}, skip {skipped} already imported",
            parsed.rows.len()
        ));
    }

    let outcome = create_all(&ctx.conn, parsed.rows, usize::from(args.parallel)).await;
    let summary = format!(
        "created {}, skipped {skipped} already imported",
        outcome.created.len()
    );
    match ctx.output {
        OutputFormat::Json => {
            let created = ListCasesResponse {
                cases: outcome.created.into_values().collect(),
                next_page_token: String::new(),
            };
            emit_json(&created)?;
            output::note(&summary);
        }
        OutputFormat::Table => emit(&summary)?,
    }
    match outcome.failed {
        None => Ok(()),
        Some((line, error)) => {
            output::note(&format!(
                "line {line}: not created (the rows after the failure were not tried either; \
                 run the import again to create what is missing)"
            ));
            Err(error)
        }
    }
}

/// The problems as the error to report: one line each, then what happened.
fn refused(file: &str, problems: Vec<Problem>) -> CliError {
    let count = problems.len();
    let mut lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    lines.push(format!(
        "error: {count} problem{} in {file}; nothing was imported",
        if count == 1 { "" } else { "s" }
    ));
    CliError::InvalidInput(lines)
}

/// The rows' departments, working groups and parents must exist (and departments be active),
/// as the server checks when it creates a case: one listing of the departments, one of the
/// working groups, and one look-up per distinct parent case.
async fn check_references(conn: &Connection, rows: &[Row]) -> Result<Vec<Problem>, CliError> {
    let mut problems = Vec::new();
    let wanted = |field: fn(&Row) -> &str| -> BTreeSet<String> {
        rows.iter()
            .map(field)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let departments = wanted(|r| &r.department);
    let groups = wanted(|r| &r.working_group);
    let parents = wanted(|r| &r.parent);

    // name → active
    let mut known_departments: BTreeMap<String, bool> = BTreeMap::new();
    if !departments.is_empty() {
        let fetch = |page_token: String| {
            let request = ListDepartmentsRequest {
                page_size: PAGE_SIZE,
                page_token,
                ..ListDepartmentsRequest::default()
            };
            let mut client = conn.directory();
            async move {
                let page = conn
                    .call(client.list_departments(conn.request(request)))
                    .await?;
                let next = page.next_page_token.clone();
                Ok((page.departments, next))
            }
        };
        let merge = |page: Vec<regie_proto::v1::Department>| {
            known_departments.extend(page.into_iter().map(|d| (d.name, d.active)));
        };
        pages(String::new(), true, fetch, merge).await?;
    }
    let mut known_groups: HashSet<String> = HashSet::new();
    if !groups.is_empty() {
        let fetch = |page_token: String| {
            let request = ListWorkingGroupsRequest {
                page_size: PAGE_SIZE,
                page_token,
                ..ListWorkingGroupsRequest::default()
            };
            let mut client = conn.directory();
            async move {
                let page = conn
                    .call(client.list_working_groups(conn.request(request)))
                    .await?;
                let next = page.next_page_token.clone();
                Ok((page.working_groups, next))
            }
        };
        let merge = |page: Vec<regie_proto::v1::WorkingGroup>| {
            known_groups.extend(page.into_iter().map(|g| g.name));
        };
        pages(String::new(), true, fetch, merge).await?;
    }
    let mut missing_parents: HashSet<String> = HashSet::new();
    for parent in &parents {
        let request = GetCaseRequest {
            name: parent.clone(),
            ..GetCaseRequest::default()
        };
        match conn
            .call(conn.cases().get_case(conn.request(request)))
            .await
        {
            Ok(_) => {}
            Err(CliError::Rpc(status)) if status.code() == Code::NotFound => {
                missing_parents.insert(parent.clone());
            }
            Err(other) => return Err(other),
        }
    }

    for row in rows {
        let mut problem = |message: String| {
            problems.push(Problem {
                line: row.line,
                message,
            })
        };
        if !row.department.is_empty() {
            match known_departments.get(&row.department) {
                None => problem(format!("department: {} does not exist", row.department)),
                Some(false) => problem(format!(
                    "department: {} is inactive and cannot take part in new work",
                    row.department
                )),
                Some(true) => {}
            }
        }
        if !row.working_group.is_empty() && !known_groups.contains(&row.working_group) {
            problem(format!(
                "working_group: {} does not exist",
                row.working_group
            ));
        }
        if missing_parents.contains(&row.parent) {
            problem(format!("parent: {} does not exist", row.parent));
        }
    }
    problems.sort();
    Ok(problems)
}

/// The `import-<key>` labels of the work items imported before.
async fn imported_keys(conn: &Connection) -> Result<HashSet<String>, CliError> {
    let mut keys = HashSet::new();
    let filter = format!("labels:{}", quote(IMPORTED));
    let fetch = |page_token: String| {
        let request = ListCasesRequest {
            page_size: PAGE_SIZE,
            page_token,
            filter: filter.clone(),
            order_by: String::new(),
        };
        let mut client = conn.cases();
        async move {
            let page = conn.call(client.list_cases(conn.request(request))).await?;
            let next = page.next_page_token.clone();
            Ok((page.cases, next))
        }
    };
    let merge = |page: Vec<Case>| {
        keys.extend(
            page.into_iter()
                .flat_map(|c| c.labels)
                .filter(|l| l.starts_with(KEY_LABEL_PREFIX)),
        );
    };
    pages(String::new(), true, fetch, merge).await?;
    Ok(keys)
}

/// What creating the rows came to.
struct Outcome {
    /// The created work items by line.
    created: BTreeMap<u64, Case>,
    /// The first row that could not be created, and why. After it nothing new is started.
    failed: Option<(u64, CliError)>,
}

/// Creates the rows, `parallel` calls in flight at a time, with a progress bar on a terminal.
async fn create_all(conn: &Connection, rows: Vec<Row>, parallel: usize) -> Outcome {
    let progress = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(rows.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{bar:40} {pos}/{len} work items  {elapsed} {msg}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut outcome = Outcome {
        created: BTreeMap::new(),
        failed: None,
    };
    let mut in_flight: JoinSet<(u64, Result<Case, CliError>)> = JoinSet::new();
    let mut pending = rows.into_iter();
    loop {
        while outcome.failed.is_none() && in_flight.len() < parallel {
            let Some(row) = pending.next() else { break };
            let conn = conn.clone();
            in_flight.spawn(async move {
                let request = row.request();
                let result = conn
                    .call(conn.cases().create_case(conn.request(request)))
                    .await;
                (row.line, result)
            });
        }
        let Some(joined) = in_flight.join_next().await else {
            break;
        };
        match joined {
            Ok((line, Ok(case))) => {
                outcome.created.insert(line, case);
                progress.inc(1);
            }
            Ok((line, Err(error))) => {
                if outcome.failed.is_none() {
                    outcome.failed = Some((line, error));
                }
            }
            Err(join_error) => {
                if outcome.failed.is_none() {
                    let error = anyhow::Error::new(join_error).context("a create call panicked");
                    outcome.failed = Some((0, error.into()));
                }
            }
        }
    }
    progress.finish_and_clear();
    outcome
}
