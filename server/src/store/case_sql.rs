//! The SQL for cases, events, request ids and workflow versions that SQLite and PostgreSQL
//! share: plain generic functions over the sqlx database, called by each backend's own file
//! with its concrete types. The statements use `$1`-style parameters, which both drivers
//! accept; what differs (the row lock, the serializing lock, the next sequence) is each
//! backend's own (`sqlite.rs`, `postgres.rs`).
//!
//! The bounds every function needs are written once, on the `impl` block of [`CaseSql`].

use std::marker::PhantomData;

use sqlx::database::HasStatementCache;
use sqlx::{Database, Decode, Encode, Executor, FromRow, IntoArguments, Pool, QueryBuilder, Type};
use tracing::Instrument as _;

use super::sql::{Columns, push_expr, push_list_clauses};
use super::unit::{RequestKey, Staged, StoredRequest};
use super::{CaseCount, ChainReport, EventFilter, StoredWorkflow, db_error, write_error};
use crate::domain::cases::audit::{
    StoredEvent, StoredHead, sequence_gaps, verify_chain, verify_head,
};
use crate::domain::cases::{Case, CaseId, history};
use crate::domain::filter::Expr;
use crate::domain::listing::{ListQuery, Page};
use crate::domain::workflow::WorkflowDefinition;
use crate::domain::{Error, Result};

/// Forgets request ids older than `$1` (micros). Each backend runs it itself, as only the
/// concrete result types say how many rows went.
pub const PURGE_REQUESTS: &str = "DELETE FROM requests WHERE create_time < $1";

/// Rows per multi-row statement, well inside both databases' limits on parameters.
const ROWS_PER_STATEMENT: usize = 256;

const EVENT_COLUMNS: &str = "sequence, case_id, case_sequence, event_type, actor, time, \
     request_id, before_json, after_json, patch_json, transition, comment, kind, department, \
     previous_hash, hash";

/// The column of a case field. Reference fields compare ids: the filter parser turned the
/// resource names into them (`FieldType::Name`).
fn case_filter_column(field: &str) -> &'static str {
    match field {
        "kind" => "kind",
        "state" => "state",
        "department" => "COALESCE(department, '')",
        // The bare column, for the caller's read scope (`domain::access::ReadScope::filter`).
        "department_id" => "department",
        "working_group" => "COALESCE(working_group, '')",
        "assignee" => "assignee",
        "labels" => "EXISTS (SELECT 1 FROM case_labels l WHERE l.case_id = cases.id AND l.label = ",
        "due_time" => "due_time",
        "overdue" => "overdue",
        "parent" => "COALESCE(parent, '')",
        "title" => "title",
        "create_time" => "create_time",
        "update_time" => "update_time",
        _ => "id",
    }
}

fn case_order_column(field: &str) -> &'static str {
    match field {
        // Cases without a due time sort last; Case::sort_value agrees.
        "due_time" => "COALESCE(due_time, 9223372036854775807)",
        other => case_filter_column(other),
    }
}

const CASE_COLUMNS: Columns = Columns {
    filter: case_filter_column,
    order: case_order_column,
    bare: |field| match field {
        "department" => Some("department"),
        "working_group" => Some("working_group"),
        "parent" => Some("parent"),
        _ => None,
    },
};

fn event_column(field: &str) -> &'static str {
    match field {
        "case" => "case_id",
        "actor" => "actor",
        "type" => "event_type",
        "time" => "time",
        "kind" => "kind",
        "department" | "department_id" => "department",
        _ => "sequence",
    }
}

/// A case row: its JSON body.
#[derive(FromRow)]
pub struct CaseRow {
    body: String,
}

impl CaseRow {
    fn case(self) -> Result<Case> {
        Case::from_snapshot(&self.body)
            .ok_or_else(|| Error::internal("a stored case does not parse"))
    }
}

/// A case row with the hash of its newest event, as the unit of work reads it.
#[derive(FromRow)]
pub struct LockedCaseRow {
    body: String,
    last_hash: String,
}

/// An event row.
#[derive(FromRow)]
pub struct EventRow {
    sequence: i64,
    case_id: String,
    case_sequence: i64,
    event_type: String,
    actor: String,
    time: i64,
    request_id: String,
    before_json: String,
    after_json: String,
    patch_json: String,
    transition: String,
    comment: String,
    kind: String,
    department: String,
    previous_hash: String,
    hash: String,
}

impl From<EventRow> for StoredEvent {
    fn from(r: EventRow) -> Self {
        Self {
            sequence: r.sequence,
            case_id: r.case_id,
            case_sequence: r.case_sequence,
            event_type: r.event_type,
            actor: r.actor,
            time: r.time,
            request_id: r.request_id,
            before: r.before_json,
            after: r.after_json,
            patch: r.patch_json,
            transition: r.transition,
            comment: r.comment,
            kind: r.kind,
            department: r.department,
            previous_hash: r.previous_hash,
            hash: r.hash,
        }
    }
}

/// A case's stored head: its revision and last hash.
#[derive(FromRow)]
pub struct HeadRow {
    id: String,
    revision: i64,
    last_hash: String,
}

#[derive(FromRow)]
pub struct RequestRow {
    principal: String,
    request_id: String,
    request_hash: String,
    method: String,
    case_id: String,
    response: String,
}

#[derive(FromRow)]
pub struct WorkflowRow {
    file_name: String,
    source: String,
    publish_time: i64,
}

/// The shared case SQL for the database `DB`.
pub struct CaseSql<DB>(PhantomData<DB>);

impl<DB> CaseSql<DB>
where
    DB: Database + HasStatementCache,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'r> i64: Decode<'r, DB>,
    for<'r> CaseRow: FromRow<'r, DB::Row>,
    for<'r> LockedCaseRow: FromRow<'r, DB::Row>,
    for<'r> EventRow: FromRow<'r, DB::Row>,
    for<'r> RequestRow: FromRow<'r, DB::Row>,
    for<'r> HeadRow: FromRow<'r, DB::Row>,
    for<'r> WorkflowRow: FromRow<'r, DB::Row>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
    for<'r> (String,): FromRow<'r, DB::Row>,
    for<'r> (i64, String): FromRow<'r, DB::Row>,
    for<'r> (String, i64, i64): FromRow<'r, DB::Row>,
{
    pub async fn stored_workflows<'e>(
        executor: impl Executor<'e, Database = DB>,
    ) -> Result<Vec<StoredWorkflow>> {
        let rows: Vec<WorkflowRow> = sqlx::query_as(
            "SELECT file_name, source, publish_time FROM workflow_versions ORDER BY kind, version",
        )
        .fetch_all(executor)
        .await
        .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|r| StoredWorkflow {
                file_name: r.file_name,
                source: r.source,
                publish_time: r.publish_time,
            })
            .collect())
    }

    /// How many workflow versions are stored: one cheap look that tells a replica whether
    /// another published one since it last read them (docs/architecture.md, "Several replicas").
    pub async fn workflow_count<'e>(executor: impl Executor<'e, Database = DB>) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM workflow_versions")
            .fetch_one(executor)
            .await
            .map_err(db_error)
    }

    pub async fn save_workflow<'e>(
        executor: impl Executor<'e, Database = DB>,
        definition: &WorkflowDefinition,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO workflow_versions (kind, version, file_name, source, publish_time) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(definition.kind().to_owned())
        .bind(i64::from(definition.version()))
        .bind(definition.file_name().to_owned())
        .bind(definition.source().to_owned())
        .bind(now)
        .execute(executor)
        .await
        .map_err(|e| {
            let name = format!(
                "workflows/{}/versions/{}",
                definition.kind(),
                definition.version()
            );
            write_error(e, &name)
        })?;
        Ok(())
    }

    pub async fn get_case<'e>(
        executor: impl Executor<'e, Database = DB>,
        id: &CaseId,
    ) -> Result<Case> {
        let row: Option<CaseRow> = sqlx::query_as("SELECT body FROM cases WHERE id = $1")
            .bind(id.as_str().to_owned())
            .fetch_optional(executor)
            .await
            .map_err(db_error)?;
        match row {
            Some(row) => row.case(),
            None => Err(Error::not_found(id.name())),
        }
    }

    /// The case as it was at `as_of` (micros) or at `revision`: the case after its last event
    /// at or before that point, rebuilt from the newest whole copy before it and the patches
    /// after that (`domain::cases::history`). Comments written before migration 0008 stored
    /// nothing of their case, so for those the comments after the copy still count as revisions.
    pub async fn case_as_of(
        pool: &Pool<DB>,
        id: &CaseId,
        as_of: Option<i64>,
        revision: Option<i64>,
    ) -> Result<Case> {
        let (as_of, up_to) = (as_of.unwrap_or(i64::MAX), revision.unwrap_or(i64::MAX));
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT case_sequence, after_json FROM events WHERE case_id = $1 \
             AND after_json <> '' AND time <= $2 AND case_sequence <= $3 \
             ORDER BY case_sequence DESC LIMIT 1",
        )
        .bind(id.as_str().to_owned())
        .bind(as_of)
        .bind(up_to)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
        let Some((base, after)) = row else {
            // Either the case does not exist, or it did not exist yet then.
            Self::get_case(pool, id).await?;
            return Err(Error::not_found(format!(
                "{} as it was then (it did not exist yet)",
                id.name()
            )));
        };
        // Times never go back along a chain, so the time bound cuts the patches where it cut
        // the copies.
        let patches: Vec<(String,)> = sqlx::query_as(
            "SELECT patch_json FROM events WHERE case_id = $1 AND case_sequence > $2 \
             AND time <= $3 AND case_sequence <= $4 AND patch_json <> '' \
             ORDER BY case_sequence",
        )
        .bind(id.as_str().to_owned())
        .bind(base)
        .bind(as_of)
        .bind(up_to)
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
        let mut case =
            history::replay(&after, patches.iter().map(|(p,)| p.as_str())).map_err(|e| {
                Error::internal(format!(
                    "{} does not rebuild from its events: {e}",
                    id.name()
                ))
            })?;
        if let Some(revision) = revision {
            let newest = Self::get_case(pool, id).await?.revision;
            case.revision = case.revision.max(revision.min(newest));
        }
        Ok(case)
    }

    pub async fn list_cases<'e>(
        executor: impl Executor<'e, Database = DB>,
        backend: &'static str,
        query: &ListQuery,
    ) -> Result<Page<Case>> {
        let span = crate::telemetry::span!(
            "store.read",
            db.system = backend,
            db.operation = "list_cases"
        );
        let mut qb: QueryBuilder<DB> = QueryBuilder::new("SELECT body FROM cases");
        push_list_clauses(&mut qb, query, CASE_COLUMNS);
        let rows: Vec<CaseRow> = qb
            .build_query_as()
            .fetch_all(executor)
            .instrument(span)
            .await
            .map_err(db_error)?;
        let cases = rows
            .into_iter()
            .map(|row| {
                let size = row.body.len();
                row.case().map(|case| (case, size))
            })
            .collect::<Result<_>>()?;
        Ok(query.page_within(cases))
    }

    /// How many cases `filter` matches, per kind and per which of `flags` (at most 16) hold:
    /// one row per kind and combination, the combination as bits (bit `i` set: `flags[i]`
    /// holds). One query, for counts per group such as "Mijn werk" shows.
    pub async fn count_cases<'e>(
        executor: impl Executor<'e, Database = DB>,
        filter: &Expr,
        flags: &[Expr],
    ) -> Result<Vec<CaseCount>> {
        let mut qb: QueryBuilder<DB> = QueryBuilder::new("SELECT kind, CAST(0");
        for (bit, flag) in flags.iter().take(16).enumerate() {
            qb.push(" + (CASE WHEN (");
            push_expr(&mut qb, flag, CASE_COLUMNS);
            qb.push(format!(") THEN {} ELSE 0 END)", 1_i64 << bit));
        }
        qb.push(" AS BIGINT) AS flags, COUNT(*) AS count FROM cases WHERE (");
        push_expr(&mut qb, filter, CASE_COLUMNS);
        qb.push(") GROUP BY kind, flags");
        let rows: Vec<(String, i64, i64)> = qb
            .build_query_as()
            .fetch_all(executor)
            .await
            .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|(kind, flags, count)| CaseCount { kind, flags, count })
            .collect())
    }

    /// The sub-items of a case, oldest first.
    pub async fn children<'e>(
        executor: impl Executor<'e, Database = DB>,
        id: &CaseId,
    ) -> Result<Vec<Case>> {
        let rows: Vec<CaseRow> =
            sqlx::query_as("SELECT body FROM cases WHERE parent = $1 ORDER BY create_time, id")
                .bind(id.as_str().to_owned())
                .fetch_all(executor)
                .await
                .map_err(db_error)?;
        rows.into_iter().map(CaseRow::case).collect()
    }

    pub async fn list_events<'e>(
        executor: impl Executor<'e, Database = DB>,
        backend: &'static str,
        query: &ListQuery,
    ) -> Result<Page<StoredEvent>> {
        let span = crate::telemetry::span!(
            "store.read",
            db.system = backend,
            db.operation = "list_events"
        );
        let mut qb: QueryBuilder<DB> =
            QueryBuilder::new(format!("SELECT {EVENT_COLUMNS} FROM events"));
        push_list_clauses(&mut qb, query, Columns::same(event_column));
        let rows: Vec<EventRow> = qb
            .build_query_as()
            .fetch_all(executor)
            .instrument(span)
            .await
            .map_err(db_error)?;
        Ok(query.page_within(
            rows.into_iter()
                .map(StoredEvent::from)
                .map(|e| {
                    let size = e.before.len() + e.after.len() + e.patch.len() + e.comment.len();
                    (e, size)
                })
                .collect(),
        ))
    }

    pub async fn events_after<'e>(
        executor: impl Executor<'e, Database = DB>,
        after: i64,
        limit: i64,
        filter: &EventFilter,
    ) -> Result<Vec<StoredEvent>> {
        let mut qb: QueryBuilder<DB> = QueryBuilder::new(format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE sequence > "
        ));
        qb.push_bind(after);
        if let Some(kind) = &filter.kind {
            qb.push(" AND kind = ").push_bind(kind.clone());
        }
        if let Some(department) = &filter.department {
            qb.push(" AND department = ").push_bind(department.clone());
        }
        if let Some(case_id) = &filter.case_id {
            qb.push(" AND case_id = ").push_bind(case_id.clone());
        }
        qb.push(" ORDER BY sequence LIMIT ").push_bind(limit);
        let rows: Vec<EventRow> = qb
            .build_query_as()
            .fetch_all(executor)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(StoredEvent::from).collect())
    }

    /// The events with these sequences, in order.
    pub async fn events_by_sequence<'e>(
        executor: impl Executor<'e, Database = DB>,
        sequences: Vec<i64>,
    ) -> Result<Vec<StoredEvent>> {
        let mut qb: QueryBuilder<DB> = QueryBuilder::new(format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE sequence IN ("
        ));
        let mut list = qb.separated(", ");
        for sequence in sequences {
            list.push_bind(sequence);
        }
        qb.push(") ORDER BY sequence");
        let rows: Vec<EventRow> = qb
            .build_query_as()
            .persistent(false)
            .fetch_all(executor)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(StoredEvent::from).collect())
    }

    /// The newest sequence in the log (0 when empty).
    pub async fn last_sequence<'e>(executor: impl Executor<'e, Database = DB>) -> Result<i64> {
        let (last,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(sequence), 0) FROM events")
            .fetch_one(executor)
            .await
            .map_err(db_error)?;
        Ok(last)
    }

    /// Walks the hash chain of one case, or of every case: each chain's links, its end against
    /// the case row's head, and (for every case) the holes in the global sequence. Both reads run
    /// in one read transaction that sees one snapshot (`snapshot` is the backend's statement
    /// that makes it so, or empty where a transaction already does), so a write committed in
    /// between cannot look like a head without its events.
    pub async fn verify_chains(
        pool: &Pool<DB>,
        snapshot: &'static str,
        case: Option<&CaseId>,
    ) -> Result<ChainReport> {
        let mut tx = pool.begin().await.map_err(db_error)?;
        if !snapshot.is_empty() {
            sqlx::query(snapshot)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        let mut qb: QueryBuilder<DB> =
            QueryBuilder::new(format!("SELECT {EVENT_COLUMNS} FROM events"));
        let mut heads: QueryBuilder<DB> =
            QueryBuilder::new("SELECT id, revision, last_hash FROM cases");
        if let Some(case) = case {
            qb.push(" WHERE case_id = ")
                .push_bind(case.as_str().to_owned());
            heads
                .push(" WHERE id = ")
                .push_bind(case.as_str().to_owned());
        }
        qb.push(" ORDER BY case_id, case_sequence");
        let rows: Vec<EventRow> = qb
            .build_query_as()
            .fetch_all(&mut *tx)
            .await
            .map_err(db_error)?;
        let heads: Vec<HeadRow> = heads
            .build_query_as()
            .fetch_all(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.rollback().await.map_err(db_error)?;
        let mut heads: std::collections::BTreeMap<String, StoredHead> = heads
            .into_iter()
            .map(|h| {
                let head = StoredHead {
                    case_id: h.id.clone(),
                    revision: h.revision,
                    last_hash: h.last_hash,
                };
                (h.id, head)
            })
            .collect();
        let mut report = ChainReport::default();
        let mut sequences = Vec::with_capacity(rows.len());
        let mut chain: Vec<StoredEvent> = Vec::new();
        let mut finish = |chain: &mut Vec<StoredEvent>, report: &mut ChainReport| {
            if let Some(first) = chain.first() {
                report.cases += 1;
                report.events += chain.len() as i64;
                let head = heads.remove(&first.case_id);
                if let Err(broken) =
                    verify_chain(chain).and_then(|()| verify_head(head.as_ref(), chain))
                {
                    report.broken.push(broken);
                }
                chain.clear();
            }
        };
        for event in rows.into_iter().map(StoredEvent::from) {
            sequences.push(event.sequence);
            if chain
                .last()
                .is_some_and(|last| last.case_id != event.case_id)
            {
                finish(&mut chain, &mut report);
            }
            chain.push(event);
        }
        finish(&mut chain, &mut report);
        // Cases whose every event is gone.
        for head in heads.values() {
            report.cases += 1;
            if let Err(broken) = verify_head(Some(head), &[]) {
                report.broken.push(broken);
            }
        }
        sequences.sort_unstable();
        report.last_sequence = sequences.last().copied().unwrap_or(0);
        if case.is_none() {
            report.gaps = sequence_gaps(sequences);
        }
        Ok(report)
    }

    pub async fn open_cases_not_overdue<'e>(
        executor: impl Executor<'e, Database = DB>,
    ) -> Result<Vec<Case>> {
        let rows: Vec<CaseRow> =
            sqlx::query_as("SELECT body FROM cases WHERE open AND NOT overdue")
                .fetch_all(executor)
                .await
                .map_err(db_error)?;
        rows.into_iter().map(CaseRow::case).collect()
    }

    pub async fn count_overdue<'e>(executor: impl Executor<'e, Database = DB>) -> Result<i64> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cases WHERE open AND overdue")
            .fetch_one(executor)
            .await
            .map_err(db_error)?;
        Ok(count)
    }

    /// The unit of work's read of the cases it will change, each with its last hash;
    /// `lock` is the backend's row-lock clause (`FOR UPDATE`, or nothing).
    pub async fn cases_for_update(
        connection: &mut DB::Connection,
        ids: Vec<String>,
        lock: &str,
    ) -> Result<Vec<(Case, String)>> {
        let mut qb: QueryBuilder<DB> =
            QueryBuilder::new("SELECT body, last_hash FROM cases WHERE id IN (");
        let mut list = qb.separated(", ");
        for id in ids {
            list.push_bind(id);
        }
        qb.push(")");
        qb.push(lock);
        let rows: Vec<LockedCaseRow> = qb
            .build_query_as()
            .persistent(false)
            .fetch_all(&mut *connection)
            .await
            .map_err(db_error)?;
        rows.into_iter()
            .map(|r| Ok((CaseRow { body: r.body }.case()?, r.last_hash)))
            .collect()
    }

    /// The stored request ids among `keys`, each (principal, request id).
    pub async fn requests(
        connection: &mut DB::Connection,
        keys: Vec<RequestKey>,
    ) -> Result<Vec<StoredRequest>> {
        let mut qb: QueryBuilder<DB> = QueryBuilder::new(
            "SELECT principal, request_id, request_hash, method, case_id, response FROM requests \
             WHERE ",
        );
        for (i, (principal, request_id)) in keys.into_iter().enumerate() {
            if i > 0 {
                qb.push(" OR ");
            }
            qb.push("(principal = ")
                .push_bind(principal)
                .push(" AND request_id = ")
                .push_bind(request_id)
                .push(")");
        }
        let rows: Vec<RequestRow> = qb
            .build_query_as()
            .persistent(false)
            .fetch_all(&mut *connection)
            .await
            .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|r| StoredRequest {
                principal: r.principal,
                request_id: r.request_id,
                request_hash: r.request_hash,
                method: r.method,
                case_id: r.case_id,
                response: r.response,
            })
            .collect())
    }

    /// Writes what a batch staged: each changed case once, its labels, the events and the
    /// request ids, one statement per table (per chunk of rows).
    pub async fn flush(connection: &mut DB::Connection, staged: &Staged) -> Result<()> {
        for chunk in staged.cases.chunks(ROWS_PER_STATEMENT) {
            let mut qb: QueryBuilder<DB> = QueryBuilder::new(
                "INSERT INTO cases (id, kind, state, title, department, working_group, assignee, \
                 due_time, parent, overdue, open, revision, create_time, update_time, last_hash, \
                 body) ",
            );
            qb.push_values(chunk, |mut row, staged| {
                let case = &staged.case;
                row.push_bind(case.id.as_str().to_owned())
                    .push_bind(case.kind.clone())
                    .push_bind(case.state.clone())
                    .push_bind(case.title.clone())
                    .push_bind(case.department.clone())
                    .push_bind(case.working_group.clone())
                    .push_bind(case.assignee.clone())
                    .push_bind(case.due_time)
                    .push_bind(case.parent.as_ref().map(|p| p.as_str().to_owned()))
                    .push_bind(case.overdue)
                    .push_bind(staged.open)
                    .push_bind(case.revision)
                    .push_bind(case.create_time)
                    .push_bind(case.update_time)
                    .push_bind(staged.last_hash.clone())
                    .push_bind(case.snapshot());
            });
            qb.push(
                " ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, state = excluded.state, \
                 title = excluded.title, department = excluded.department, \
                 working_group = excluded.working_group, assignee = excluded.assignee, \
                 due_time = excluded.due_time, parent = excluded.parent, \
                 overdue = excluded.overdue, open = excluded.open, revision = excluded.revision, \
                 create_time = excluded.create_time, update_time = excluded.update_time, \
                 last_hash = excluded.last_hash, body = excluded.body",
            );
            let name = match chunk {
                [one] => one.case.name(),
                _ => "a case".to_owned(),
            };
            qb.build()
                .persistent(false)
                .execute(&mut *connection)
                .await
                .map_err(|e| write_error(e, &name))?;
        }

        let relabelled: Vec<&Case> = staged
            .cases
            .iter()
            .filter(|s| s.labels_changed)
            .map(|s| &s.case)
            .collect();
        for chunk in relabelled.chunks(ROWS_PER_STATEMENT) {
            let mut qb: QueryBuilder<DB> =
                QueryBuilder::new("DELETE FROM case_labels WHERE case_id IN (");
            let mut list = qb.separated(", ");
            for case in chunk {
                list.push_bind(case.id.as_str().to_owned());
            }
            qb.push(")");
            qb.build()
                .persistent(false)
                .execute(&mut *connection)
                .await
                .map_err(db_error)?;
        }
        let labels: Vec<(&str, &String)> = relabelled
            .iter()
            .flat_map(|case| {
                case.labels
                    .iter()
                    .map(move |label| (case.id.as_str(), label))
            })
            .collect();
        for chunk in labels.chunks(ROWS_PER_STATEMENT) {
            let mut qb: QueryBuilder<DB> =
                QueryBuilder::new("INSERT INTO case_labels (case_id, label) ");
            qb.push_values(chunk, |mut row, (id, label)| {
                row.push_bind((*id).to_owned()).push_bind((*label).clone());
            });
            qb.build()
                .persistent(false)
                .execute(&mut *connection)
                .await
                .map_err(db_error)?;
        }

        for chunk in staged.events.chunks(ROWS_PER_STATEMENT) {
            let mut qb: QueryBuilder<DB> =
                QueryBuilder::new(format!("INSERT INTO events ({EVENT_COLUMNS}) "));
            qb.push_values(chunk, |mut row, event| {
                row.push_bind(event.sequence)
                    .push_bind(event.case_id.clone())
                    .push_bind(event.case_sequence)
                    .push_bind(event.event_type.clone())
                    .push_bind(event.actor.clone())
                    .push_bind(event.time)
                    .push_bind(event.request_id.clone())
                    .push_bind(event.before.clone())
                    .push_bind(event.after.clone())
                    .push_bind(event.patch.clone())
                    .push_bind(event.transition.clone())
                    .push_bind(event.comment.clone())
                    .push_bind(event.kind.clone())
                    .push_bind(event.department.clone())
                    .push_bind(event.previous_hash.clone())
                    .push_bind(event.hash.clone());
            });
            qb.build()
                .persistent(false)
                .execute(&mut *connection)
                .await
                .map_err(db_error)?;
        }

        for chunk in staged.requests.chunks(ROWS_PER_STATEMENT) {
            let mut qb: QueryBuilder<DB> = QueryBuilder::new(
                "INSERT INTO requests (principal, request_id, request_hash, method, case_id, \
                 response, create_time) ",
            );
            qb.push_values(chunk, |mut row, request| {
                row.push_bind(request.principal.clone())
                    .push_bind(request.request_id.clone())
                    .push_bind(request.request_hash.clone())
                    .push_bind(request.method)
                    .push_bind(request.case_id.clone())
                    .push_bind(request.response.clone())
                    .push_bind(request.create_time);
            });
            qb.build()
                .persistent(false)
                .execute(&mut *connection)
                .await
                .map_err(db_error)?;
        }
        Ok(())
    }
}
