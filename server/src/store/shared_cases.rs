//! The SQL for cases, events, request ids and workflow versions that SQLite and PostgreSQL
//! share, instantiated per backend by [`shared_case_store!`] (see `shared.rs` for why a macro).
//!
//! The write path: [`CaseStore::execute`](crate::store::CaseStore::execute) queues the command
//! for the backend's writer task (`batch.rs`), which runs whatever has queued up in one
//! transaction. Per command, `apply` replays a known request id, or loads the case, lets the
//! domain decide, and writes the case row, its labels, its hash-chained events and the request
//! id. `$serialize` is the statement, if any, that makes event sequences follow commit order:
//! PostgreSQL takes a transaction-level advisory lock, so two replicas never interleave their
//! sequence numbers; SQLite needs none, as it has a single writer connection. Watchers can
//! therefore read "everything after k" from the table and never miss an event that commits later
//! with a smaller number.

/// Expands to `impl CaseStore for $store`.
macro_rules! shared_case_store {
    ($store:ty, $writer:ty, $db:ty, $lock:literal, $serialize:expr) => {
        mod cases_impl {
            use std::sync::Arc;

            use async_trait::async_trait;
            use sqlx::{QueryBuilder, Row as _};

            use super::*;
            use crate::domain::cases::audit::{verify_chain, StoredEvent};
            use crate::domain::cases::{self, Case, CaseId, Command};
            use crate::domain::error::reason;
            use crate::domain::listing::{ListQuery, Page};
            use crate::domain::workflow::{WorkflowDefinition, Workflows};
            use crate::domain::{Error, Result};
            use crate::store::sql::{push_list_clauses, Columns};
            use crate::store::batch::{BatchWriter, Job};
            use crate::store::{db_error, write_error, CaseCommand, CaseStore, ChainReport, EventFilter, Executed, StoredWorkflow};

            type DbRow = <$db as sqlx::Database>::Row;
            type Tx = sqlx::Transaction<'static, $db>;

            const EVENT_COLUMNS: &str = "sequence, case_id, case_sequence, event_type, actor, time, request_id, \
                 before_json, after_json, transition, comment, kind, department, previous_hash, hash";

            fn case_filter_column(field: &str) -> &'static str {
                match field {
                    "kind" => "kind",
                    "state" => "state",
                    "department" => "COALESCE('departments/' || department, '')",
                    "working_group" => "COALESCE('workingGroups/' || working_group, '')",
                    "assignee" => "assignee",
                    "labels" => "EXISTS (SELECT 1 FROM case_labels l WHERE l.case_id = cases.id AND l.label = ",
                    "due_time" => "due_time",
                    "overdue" => "overdue",
                    "parent" => "COALESCE('cases/' || parent, '')",
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

            const CASE_COLUMNS: Columns = Columns { filter: case_filter_column, order: case_order_column };

            fn event_column(field: &str) -> &'static str {
                match field {
                    "case" => "('cases/' || case_id)",
                    "actor" => "actor",
                    "type" => "event_type",
                    "time" => "time",
                    "kind" => "kind",
                    "department" => "CASE WHEN department = '' THEN '' ELSE 'departments/' || department END",
                    _ => "sequence",
                }
            }

            fn case_from_row(row: &DbRow) -> Result<Case> {
                let body: String = row.try_get("body").map_err(db_error)?;
                Case::from_snapshot(&body).ok_or_else(|| Error::internal("a stored case does not parse"))
            }

            fn event_from_row(row: &DbRow) -> Result<StoredEvent> {
                Ok(StoredEvent {
                    sequence: row.try_get("sequence").map_err(db_error)?,
                    case_id: row.try_get("case_id").map_err(db_error)?,
                    case_sequence: row.try_get("case_sequence").map_err(db_error)?,
                    event_type: row.try_get("event_type").map_err(db_error)?,
                    actor: row.try_get("actor").map_err(db_error)?,
                    time: row.try_get("time").map_err(db_error)?,
                    request_id: row.try_get("request_id").map_err(db_error)?,
                    before: row.try_get("before_json").map_err(db_error)?,
                    after: row.try_get("after_json").map_err(db_error)?,
                    transition: row.try_get("transition").map_err(db_error)?,
                    comment: row.try_get("comment").map_err(db_error)?,
                    kind: row.try_get("kind").map_err(db_error)?,
                    department: row.try_get("department").map_err(db_error)?,
                    previous_hash: row.try_get("previous_hash").map_err(db_error)?,
                    hash: row.try_get("hash").map_err(db_error)?,
                })
            }

            async fn load_case(tx: &mut Tx, id: &CaseId) -> Result<Option<(Case, String)>> {
                let row = sqlx::query(concat!("SELECT body, last_hash FROM cases WHERE id = $1", $lock))
                    .bind(id.as_str())
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db_error)?;
                match row {
                    Some(row) => {
                        let last_hash: String = row.try_get("last_hash").map_err(db_error)?;
                        Ok(Some((case_from_row(&row)?, last_hash)))
                    }
                    None => Ok(None),
                }
            }

            async fn load_children(
                executor: impl sqlx::Executor<'_, Database = $db>,
                id: &CaseId,
            ) -> Result<Vec<Case>> {
                let rows = sqlx::query("SELECT body FROM cases WHERE parent = $1 ORDER BY create_time, id")
                    .bind(id.as_str())
                    .fetch_all(executor)
                    .await
                    .map_err(db_error)?;
                rows.iter().map(case_from_row).collect()
            }

            /// A request id seen before: the first answer, if the request is the same call (the
            /// inner error refuses a key reused for another call; the outer one is the database's).
            async fn replay(tx: &mut Tx, command: &CaseCommand) -> Result<Option<Result<Executed>>> {
                if command.request_id.is_empty() {
                    return Ok(None);
                }
                let row = sqlx::query("SELECT method, case_id, response FROM requests WHERE request_id = $1")
                    .bind(&command.request_id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db_error)?;
                let Some(row) = row else { return Ok(None) };
                let method: String = row.try_get("method").map_err(db_error)?;
                let case_id: String = row.try_get("case_id").map_err(db_error)?;
                let same_case = matches!(command.command, Command::Create { .. }) || case_id == command.case_id.as_str();
                if method != command.method || !same_case {
                    return Ok(Some(Err(Error::invalid(
                        reason::REQUEST_ID_REUSED,
                        "request_id",
                        format!("was already used for {method} on cases/{case_id}; use a new request id for a different call"),
                    ))));
                }
                let response: String = row.try_get("response").map_err(db_error)?;
                let (snapshot, sequences): (String, Vec<i64>) =
                    serde_json::from_str(&response).map_err(|e| Error::internal(format!("stored response: {e}")))?;
                let case = Case::from_snapshot(&snapshot).ok_or_else(|| Error::internal("stored response case"))?;
                let mut events = Vec::new();
                for sequence in sequences {
                    let row = sqlx::query(concat!(
                        "SELECT sequence, case_id, case_sequence, event_type, actor, time, request_id, before_json, ",
                        "after_json, transition, comment, kind, department, previous_hash, hash FROM events WHERE sequence = $1"
                    ))
                    .bind(sequence)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(db_error)?;
                    events.push(event_from_row(&row)?);
                }
                Ok(Some(Ok(Executed { case, events, replayed: true })))
            }

            /// Writes the case row; `open` caches whether its state is not final, for the scheduler.
            async fn write_case(tx: &mut Tx, case: &Case, last_hash: &str, insert: bool, open: bool, labels_changed: bool) -> Result<()> {
                let open_sql = if insert {
                    "INSERT INTO cases (id, kind, state, title, department, working_group, assignee, due_time, parent, \
                     overdue, open, revision, create_time, update_time, last_hash, body) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
                } else {
                    "UPDATE cases SET kind = $2, state = $3, title = $4, department = $5, working_group = $6, \
                     assignee = $7, due_time = $8, parent = $9, overdue = $10, open = $11, revision = $12, \
                     create_time = $13, update_time = $14, last_hash = $15, body = $16 WHERE id = $1"
                };
                sqlx::query(open_sql)
                    .bind(case.id.as_str())
                    .bind(&case.kind)
                    .bind(&case.state)
                    .bind(&case.title)
                    .bind(case.department.as_deref())
                    .bind(case.working_group.as_deref())
                    .bind(&case.assignee)
                    .bind(case.due_time)
                    .bind(case.parent.as_ref().map(CaseId::as_str))
                    .bind(case.overdue)
                    .bind(open)
                    .bind(case.revision)
                    .bind(case.create_time)
                    .bind(case.update_time)
                    .bind(last_hash)
                    .bind(case.snapshot())
                    .execute(&mut **tx)
                    .await
                    .map_err(|e| write_error(e, &case.name()))?;
                if labels_changed {
                    sqlx::query("DELETE FROM case_labels WHERE case_id = $1")
                        .bind(case.id.as_str())
                        .execute(&mut **tx)
                        .await
                        .map_err(db_error)?;
                    for label in &case.labels {
                        sqlx::query("INSERT INTO case_labels (case_id, label) VALUES ($1, $2)")
                            .bind(case.id.as_str())
                            .bind(label)
                            .execute(&mut **tx)
                            .await
                            .map_err(db_error)?;
                    }
                }
                Ok(())
            }

            async fn insert_event(tx: &mut Tx, event: &StoredEvent) -> Result<()> {
                sqlx::query(
                    "INSERT INTO events (sequence, case_id, case_sequence, event_type, actor, time, request_id, \
                     before_json, after_json, transition, comment, kind, department, previous_hash, hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                )
                .bind(event.sequence)
                .bind(&event.case_id)
                .bind(event.case_sequence)
                .bind(&event.event_type)
                .bind(&event.actor)
                .bind(event.time)
                .bind(&event.request_id)
                .bind(&event.before)
                .bind(&event.after)
                .bind(&event.transition)
                .bind(&event.comment)
                .bind(&event.kind)
                .bind(&event.department)
                .bind(&event.previous_hash)
                .bind(&event.hash)
                .execute(&mut **tx)
                .await
                .map_err(db_error)?;
                Ok(())
            }

            /// What one job came to inside a batch's transaction.
            enum Step {
                /// Applied (or replayed); answered once the transaction commits.
                Done(Box<Executed>),
                /// Refused before anything was written: the transaction is as it was.
                Refused(Error),
                /// A statement failed: the transaction must be rolled back.
                Broken(Error),
            }

            /// One command inside the current transaction: replays a known request id, or loads
            /// the case, lets the domain decide, and writes the case row, its labels, its
            /// hash-chained events and the request id. `sequence` is the last event sequence
            /// used so far in this transaction, and is advanced past the new events.
            async fn apply(tx: &mut Tx, workflows: &Workflows, command: &CaseCommand, sequence: &mut i64) -> Step {
                match replay(tx, command).await {
                    Err(e) => return Step::Broken(e),
                    Ok(Some(Ok(replayed))) => return Step::Done(Box::new(replayed)),
                    Ok(Some(Err(refused))) => return Step::Refused(refused),
                    Ok(None) => {}
                }
                let creating = matches!(command.command, Command::Create { .. });
                let (current, last_hash) = match load_case(tx, &command.case_id).await {
                    Err(e) => return Step::Broken(e),
                    Ok(Some((case, hash))) => (Some(case), hash),
                    Ok(None) if creating => (None, String::new()),
                    Ok(None) => return Step::Refused(Error::not_found(command.case_id.name())),
                };
                let children = match &current {
                    Some(case) if cases::command::needs_children(workflows, case, &command.command) => {
                        match load_children(&mut **tx, &command.case_id).await {
                            Ok(children) => children,
                            Err(e) => return Step::Broken(e),
                        }
                    }
                    _ => Vec::new(),
                };
                let now = crate::domain::cases::model::now();
                let labels_before = current.as_ref().map(|c| c.labels.clone());
                let context = cases::Context { workflows, actor: &command.actor, now, children: &children };
                let change = match cases::execute(current, command.command.clone(), &context) {
                    Ok(change) => change,
                    Err(e) => return Step::Refused(e),
                };
                if let Some(effect) = change.effects.first() {
                    return Step::Refused(Error::failed_precondition(
                        reason::TRANSITION_NOT_ALLOWED,
                        format!("the workflow asks for the effect `{effect}`, which this server does not carry out yet"),
                    ));
                }
                if change.events.is_empty() {
                    return Step::Done(Box::new(Executed { case: change.case, events: Vec::new(), replayed: false }));
                }

                let first_case_sequence = change.case.revision - change.events.len() as i64 + 1;
                let mut previous = last_hash;
                let mut next = *sequence;
                let mut events = Vec::with_capacity(change.events.len());
                for (offset, draft) in change.events.iter().enumerate() {
                    next += 1;
                    let mut event = StoredEvent {
                        sequence: next,
                        case_id: change.case.id.as_str().to_owned(),
                        case_sequence: first_case_sequence + offset as i64,
                        event_type: draft.event_type.as_str().to_owned(),
                        actor: command.actor.clone(),
                        time: now,
                        request_id: command.request_id.clone(),
                        before: draft.before.as_ref().map(Case::snapshot).unwrap_or_default(),
                        after: draft.after.as_ref().map(Case::snapshot).unwrap_or_default(),
                        transition: draft.transition.clone(),
                        comment: draft.comment.clone(),
                        kind: change.case.kind.clone(),
                        department: change.case.department.clone().unwrap_or_default(),
                        previous_hash: String::new(),
                        hash: String::new(),
                    };
                    event.seal(&previous);
                    previous = event.hash.clone();
                    events.push(event);
                }
                let labels_changed = labels_before.as_ref() != Some(&change.case.labels);
                let open = workflows
                    .get(&change.case.kind, change.case.workflow_version)
                    .is_some_and(|def| !def.is_final(&change.case.state));
                let written = async {
                    write_case(tx, &change.case, &previous, creating, open, labels_changed).await?;
                    for event in &events {
                        insert_event(tx, event).await?;
                    }
                    if !command.request_id.is_empty() {
                        let sequences: Vec<i64> = events.iter().map(|e| e.sequence).collect();
                        let response = serde_json::to_string(&(change.case.snapshot(), sequences))
                            .map_err(|e| Error::internal(e.to_string()))?;
                        sqlx::query(
                            "INSERT INTO requests (request_id, method, case_id, response, create_time) VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(&command.request_id)
                        .bind(command.method)
                        .bind(change.case.id.as_str())
                        .bind(response)
                        .bind(now)
                        .execute(&mut **tx)
                        .await
                        .map_err(db_error)?;
                    }
                    Ok::<(), Error>(())
                }
                .await;
                match written {
                    Ok(()) => {
                        *sequence = next;
                        Step::Done(Box::new(Executed { case: change.case, events, replayed: false }))
                    }
                    Err(e) => Step::Broken(e),
                }
            }

            /// Begins a write transaction: serialised against other writers where the backend
            /// needs it, and with the last event sequence committed so far.
            async fn begin(writer: &$writer) -> Result<(Tx, i64)> {
                let mut tx = writer.pool().begin().await.map_err(db_error)?;
                let serialize: Option<&'static str> = $serialize;
                if let Some(sql) = serialize {
                    sqlx::query(sql).execute(&mut *tx).await.map_err(db_error)?;
                }
                let sequence = writer.sequence_base(&mut tx).await?;
                Ok((tx, sequence))
            }

            /// Runs the jobs in one transaction. `None` when a statement failed: everything was
            /// rolled back and the jobs are handed back unanswered.
            async fn write_together(writer: &$writer, jobs: Vec<Job>) -> Option<Vec<Job>> {
                let (mut tx, mut sequence) = match begin(writer).await {
                    Ok(begun) => begun,
                    Err(e) => {
                        for job in jobs {
                            job.answer(Err(e.clone()));
                        }
                        return None;
                    }
                };
                let mut answers = Vec::with_capacity(jobs.len());
                for job in &jobs {
                    match apply(&mut tx, &job.workflows, &job.command, &mut sequence).await {
                        Step::Done(executed) => answers.push(Ok(*executed)),
                        Step::Refused(e) => answers.push(Err(e)),
                        Step::Broken(e) => {
                            tracing::debug!(error = %e, "a statement failed in a write batch; writing its jobs one by one");
                            drop(tx);
                            return Some(jobs);
                        }
                    }
                }
                let committed = tx.commit().await.map_err(db_error);
                if committed.is_ok() {
                    writer.committed_sequence(sequence);
                }
                for (job, answer) in jobs.into_iter().zip(answers) {
                    job.answer(match &committed {
                        Ok(()) => answer,
                        Err(e) => Err(e.clone()),
                    });
                }
                None
            }

            /// Runs one job in a transaction of its own.
            async fn write_alone(writer: &$writer, job: Job) {
                let answer = async {
                    let (mut tx, mut sequence) = begin(writer).await?;
                    match apply(&mut tx, &job.workflows, &job.command, &mut sequence).await {
                        Step::Done(executed) => {
                            tx.commit().await.map_err(db_error)?;
                            writer.committed_sequence(sequence);
                            Ok(*executed)
                        }
                        Step::Refused(e) | Step::Broken(e) => Err(e),
                    }
                }
                .await;
                job.answer(answer);
            }

            impl BatchWriter for $writer {
                async fn write(self, jobs: Vec<Job>) {
                    let jobs = if jobs.len() == 1 { jobs } else {
                        match write_together(&self, jobs).await {
                            None => return,
                            Some(jobs) => jobs,
                        }
                    };
                    for job in jobs {
                        write_alone(&self, job).await;
                    }
                }
            }

            #[async_trait]
            impl CaseStore for $store {
                async fn stored_workflows(&self) -> Result<Vec<StoredWorkflow>> {
                    let rows = sqlx::query(
                        "SELECT file_name, source, publish_time FROM workflow_versions ORDER BY kind, version",
                    )
                    .fetch_all(self.reader())
                    .await
                    .map_err(db_error)?;
                    rows.iter()
                        .map(|r| {
                            Ok(StoredWorkflow {
                                file_name: r.try_get("file_name").map_err(db_error)?,
                                source: r.try_get("source").map_err(db_error)?,
                                publish_time: r.try_get("publish_time").map_err(db_error)?,
                            })
                        })
                        .collect()
                }

                async fn save_workflow(&self, definition: &WorkflowDefinition, now: i64) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO workflow_versions (kind, version, file_name, source, publish_time) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(definition.kind())
                    .bind(i64::from(definition.version()))
                    .bind(definition.file_name())
                    .bind(definition.source())
                    .bind(now)
                    .execute(self.writer())
                    .await
                    .map_err(|e| write_error(e, &format!("workflows/{}/versions/{}", definition.kind(), definition.version())))?;
                    Ok(())
                }

                async fn execute(&self, workflows: Arc<Workflows>, command: CaseCommand) -> Result<Executed> {
                    self.writes.submit(workflows, command).await
                }

                async fn get_case(&self, id: &CaseId) -> Result<Case> {
                    let row = sqlx::query("SELECT body FROM cases WHERE id = $1")
                        .bind(id.as_str())
                        .fetch_optional(self.reader())
                        .await
                        .map_err(db_error)?;
                    match row {
                        Some(row) => case_from_row(&row),
                        None => Err(Error::not_found(id.name())),
                    }
                }

                async fn case_as_of(&self, id: &CaseId, as_of: Option<i64>, revision: Option<i64>) -> Result<Case> {
                    // The case after its last event at or before the point asked for. Comments
                    // carry no snapshot, so take the newest event that has one.
                    let row = sqlx::query(
                        "SELECT after_json FROM events WHERE case_id = $1 AND after_json <> '' \
                         AND time <= $2 AND case_sequence <= $3 ORDER BY case_sequence DESC LIMIT 1",
                    )
                    .bind(id.as_str())
                    .bind(as_of.unwrap_or(i64::MAX))
                    .bind(revision.unwrap_or(i64::MAX))
                    .fetch_optional(self.reader())
                    .await
                    .map_err(db_error)?;
                    let Some(row) = row else {
                        // Either the case does not exist, or it did not exist yet then.
                        self.get_case(id).await?;
                        return Err(Error::not_found(format!("{} as it was then (it did not exist yet)", id.name())));
                    };
                    let after: String = row.try_get("after_json").map_err(db_error)?;
                    let mut case = Case::from_snapshot(&after).ok_or_else(|| Error::internal("event snapshot"))?;
                    if let Some(revision) = revision {
                        // Comments after the snapshot still count as revisions.
                        case.revision = case.revision.max(revision.min(self.get_case(id).await?.revision));
                    }
                    Ok(case)
                }

                async fn list_cases(&self, query: &ListQuery) -> Result<Page<Case>> {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new("SELECT body FROM cases");
                    push_list_clauses(&mut qb, query, CASE_COLUMNS);
                    let rows = qb.build().fetch_all(self.reader()).await.map_err(db_error)?;
                    let cases = rows.iter().map(case_from_row).collect::<Result<Vec<_>>>()?;
                    Ok(query.page(cases))
                }

                async fn children(&self, id: &CaseId) -> Result<Vec<Case>> {
                    load_children(self.reader(), id).await
                }

                async fn list_events(&self, query: &ListQuery) -> Result<Page<StoredEvent>> {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(format!("SELECT {EVENT_COLUMNS} FROM events"));
                    push_list_clauses(&mut qb, query, Columns::same(event_column));
                    let rows = qb.build().fetch_all(self.reader()).await.map_err(db_error)?;
                    let events = rows.iter().map(event_from_row).collect::<Result<Vec<_>>>()?;
                    Ok(query.page(events))
                }

                async fn events_after(&self, after: i64, limit: i64, filter: &EventFilter) -> Result<Vec<StoredEvent>> {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(format!("SELECT {EVENT_COLUMNS} FROM events WHERE sequence > "));
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
                    let rows = qb.build().fetch_all(self.reader()).await.map_err(db_error)?;
                    rows.iter().map(event_from_row).collect()
                }

                async fn last_sequence(&self) -> Result<i64> {
                    sqlx::query_scalar("SELECT COALESCE(MAX(sequence), 0) FROM events")
                        .fetch_one(self.reader())
                        .await
                        .map_err(db_error)
                }

                async fn verify_chains(&self, case: Option<&CaseId>) -> Result<ChainReport> {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(format!("SELECT {EVENT_COLUMNS} FROM events"));
                    if let Some(case) = case {
                        qb.push(" WHERE case_id = ").push_bind(case.as_str().to_owned());
                    }
                    qb.push(" ORDER BY case_id, case_sequence");
                    let rows = qb.build().fetch_all(self.reader()).await.map_err(db_error)?;
                    let mut report = ChainReport::default();
                    let mut chain: Vec<StoredEvent> = Vec::new();
                    let finish = |chain: &mut Vec<StoredEvent>, report: &mut ChainReport| {
                        if !chain.is_empty() {
                            report.cases += 1;
                            report.events += chain.len() as i64;
                            if let Err(broken) = verify_chain(chain) {
                                report.broken.push(broken);
                            }
                            chain.clear();
                        }
                    };
                    for row in &rows {
                        let event = event_from_row(row)?;
                        if chain.last().is_some_and(|last| last.case_id != event.case_id) {
                            finish(&mut chain, &mut report);
                        }
                        chain.push(event);
                    }
                    finish(&mut chain, &mut report);
                    Ok(report)
                }

                async fn open_cases_not_overdue(&self) -> Result<Vec<Case>> {
                    let rows = sqlx::query("SELECT body FROM cases WHERE open AND NOT overdue")
                        .fetch_all(self.reader())
                        .await
                        .map_err(db_error)?;
                    rows.iter().map(case_from_row).collect()
                }

                async fn purge_requests(&self, before: i64) -> Result<u64> {
                    let result = sqlx::query("DELETE FROM requests WHERE create_time < $1")
                        .bind(before)
                        .execute(self.writer())
                        .await
                        .map_err(db_error)?;
                    Ok(result.rows_affected())
                }
            }
        }
    };
}

pub(crate) use shared_case_store;
