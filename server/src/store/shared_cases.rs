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
            use std::collections::{HashMap, HashSet};
            use std::sync::Arc;

            use async_trait::async_trait;
            use sqlx::{QueryBuilder, Row as _};
            use tracing::Instrument as _;

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

            /// A case as a batch sees it: as loaded, or as an earlier job of the batch left it.
            struct Working {
                case: Case,
                last_hash: String,
                /// Changed by this batch, so to be written.
                dirty: bool,
                labels_changed: bool,
                /// Not in a final state (cached on the row for the scheduler).
                open: bool,
            }

            /// A request id answered in this batch, to be stored with it.
            struct Answered {
                method: &'static str,
                case_id: String,
                executed: Executed,
            }

            /// One transaction's worth of jobs: every case they read or changed, and what is to
            /// be written when the jobs have been decided. Reads happen up front in one query
            /// per table, writes at the end in one statement per table, so a batch costs a
            /// handful of round trips however many jobs it holds.
            #[derive(Default)]
            struct Batch {
                cases: HashMap<String, Working>,
                /// Request ids stored by earlier transactions: method, case id, response.
                stored_requests: HashMap<String, (String, String, String)>,
                answered: HashMap<String, Answered>,
                events: Vec<StoredEvent>,
                /// The last event sequence used so far.
                sequence: i64,
            }

            /// What one job came to inside its batch.
            enum Step {
                /// Applied (or replayed); answered once the transaction commits.
                Done(Box<Executed>),
                /// Refused: the batch is as it was before the job.
                Refused(Error),
                /// A statement failed: the transaction must be rolled back.
                Broken(Error),
            }

            /// A request id may only be retried for the same call.
            fn check_reuse(command: &CaseCommand, method: &str, case_id: &str) -> Result<()> {
                let same_case = matches!(command.command, Command::Create { .. }) || case_id == command.case_id.as_str();
                if method != command.method || !same_case {
                    return Err(Error::invalid(
                        reason::REQUEST_ID_REUSED,
                        "request_id",
                        format!("was already used for {method} on cases/{case_id}; use a new request id for a different call"),
                    ));
                }
                Ok(())
            }

            /// A request id seen before (in this batch or stored): the first answer, if the
            /// request is the same call; `None` for a new request id.
            async fn replay(tx: &mut Tx, batch: &Batch, command: &CaseCommand) -> Option<Step> {
                if command.request_id.is_empty() {
                    return None;
                }
                if let Some(answered) = batch.answered.get(&command.request_id) {
                    return Some(match check_reuse(command, answered.method, &answered.case_id) {
                        Ok(()) => Step::Done(Box::new(Executed { replayed: true, ..answered.executed.clone() })),
                        Err(e) => Step::Refused(e),
                    });
                }
                let (method, case_id, response) = batch.stored_requests.get(&command.request_id)?;
                if let Err(e) = check_reuse(command, method, case_id) {
                    return Some(Step::Refused(e));
                }
                let stored = async {
                    let (snapshot, sequences): (String, Vec<i64>) =
                        serde_json::from_str(response).map_err(|e| Error::internal(format!("stored response: {e}")))?;
                    let case = Case::from_snapshot(&snapshot).ok_or_else(|| Error::internal("stored response case"))?;
                    let mut qb: QueryBuilder<$db> =
                        QueryBuilder::new(format!("SELECT {EVENT_COLUMNS} FROM events WHERE sequence IN ("));
                    let mut list = qb.separated(", ");
                    for sequence in &sequences {
                        list.push_bind(*sequence);
                    }
                    qb.push(") ORDER BY sequence");
                    let events = if sequences.is_empty() {
                        Vec::new()
                    } else {
                        let rows = qb.build().persistent(false).fetch_all(&mut **tx).await.map_err(db_error)?;
                        rows.iter().map(event_from_row).collect::<Result<Vec<_>>>()?
                    };
                    let last_sequence = sequences.last().copied().unwrap_or_default();
                    Ok::<_, Error>(Executed { case, events, replayed: true, last_sequence })
                }
                .await;
                Some(match stored {
                    Ok(executed) => Step::Done(Box::new(executed)),
                    Err(e) => Step::Broken(e),
                })
            }

            /// Reads, in one query each, the cases the jobs name (locked where the backend
            /// locks rows) and the request ids they carry.
            async fn prefetch(tx: &mut Tx, jobs: &[Job], batch: &mut Batch) -> Result<()> {
                let ids: HashSet<&str> = jobs.iter().map(|j| j.command.case_id.as_str()).collect();
                let mut qb: QueryBuilder<$db> = QueryBuilder::new("SELECT id, body, last_hash FROM cases WHERE id IN (");
                let mut list = qb.separated(", ");
                for id in &ids {
                    list.push_bind(id.to_string());
                }
                qb.push(")");
                qb.push($lock);
                for row in qb.build().persistent(false).fetch_all(&mut **tx).await.map_err(db_error)? {
                    let id: String = row.try_get("id").map_err(db_error)?;
                    let working = Working {
                        case: case_from_row(&row)?,
                        last_hash: row.try_get("last_hash").map_err(db_error)?,
                        dirty: false,
                        labels_changed: false,
                        open: true,
                    };
                    batch.cases.insert(id, working);
                }
                let keys: HashSet<&str> =
                    jobs.iter().map(|j| j.command.request_id.as_str()).filter(|r| !r.is_empty()).collect();
                if !keys.is_empty() {
                    let mut qb: QueryBuilder<$db> =
                        QueryBuilder::new("SELECT request_id, method, case_id, response FROM requests WHERE request_id IN (");
                    let mut list = qb.separated(", ");
                    for key in &keys {
                        list.push_bind(key.to_string());
                    }
                    qb.push(")");
                    for row in qb.build().persistent(false).fetch_all(&mut **tx).await.map_err(db_error)? {
                        batch.stored_requests.insert(
                            row.try_get("request_id").map_err(db_error)?,
                            (
                                row.try_get("method").map_err(db_error)?,
                                row.try_get("case_id").map_err(db_error)?,
                                row.try_get("response").map_err(db_error)?,
                            ),
                        );
                    }
                }
                Ok(())
            }

            /// The sub-items of a case as this batch sees them: the stored ones, with the
            /// batch's own changes laid over them.
            async fn children_of(tx: &mut Tx, batch: &Batch, id: &CaseId) -> Result<Vec<Case>> {
                let mut children: Vec<Case> = load_children(&mut **tx, id)
                    .await?
                    .into_iter()
                    .filter(|c| !batch.cases.get(c.id.as_str()).is_some_and(|w| w.dirty))
                    .collect();
                children.extend(
                    batch
                        .cases
                        .values()
                        .filter(|w| w.dirty && w.case.parent.as_ref() == Some(id))
                        .map(|w| w.case.clone()),
                );
                Ok(children)
            }

            /// One command against the batch: replays a known request id, or lets the domain
            /// decide on the case as the batch sees it and records the case and its
            /// hash-chained events to be written.
            async fn apply(tx: &mut Tx, batch: &mut Batch, workflows: &Workflows, command: &CaseCommand) -> Step {
                if let Some(step) = replay(tx, batch, command).await {
                    return step;
                }
                let creating = matches!(command.command, Command::Create { .. });
                let (current, last_hash) = match batch.cases.get(command.case_id.as_str()) {
                    Some(working) => (Some(working.case.clone()), working.last_hash.clone()),
                    None if creating => (None, String::new()),
                    None => return Step::Refused(Error::not_found(command.case_id.name())),
                };
                if let (Some(case), Some(authorize)) = (&current, &command.authorize)
                    && let Err(refused) = (authorize.0)(case).await
                {
                    return Step::Refused(refused);
                }
                let children = match &current {
                    Some(case) if cases::command::needs_children(workflows, case, &command.command) => {
                        match children_of(tx, batch, &command.case_id).await {
                            Ok(children) => children,
                            Err(e) => return Step::Broken(e),
                        }
                    }
                    _ => Vec::new(),
                };
                let now = crate::domain::cases::model::now();
                let context = cases::Context {
                    workflows,
                    actor: &command.actor,
                    now,
                    children: &children,
                    actor_roles: command.actor_roles.as_deref().map(Vec::as_slice),
                };
                let labels_before = current.as_ref().map(|c| c.labels.clone());
                let change = match cases::execute(current, command.command.clone(), &context) {
                    Ok(change) => change,
                    Err(e) => return Step::Refused(e),
                };
                if change.events.is_empty() {
                    return Step::Done(Box::new(Executed { case: change.case, events: Vec::new(), replayed: false, last_sequence: 0 }));
                }
                // The cases the transition's effects ask for, decided before anything is staged
                // so that a refusal leaves the batch untouched.
                let mut created = Vec::new();
                for effect in &change.effects {
                    for new in cases::effects::new_cases(*effect, &change.case) {
                        let id = CaseId::generate();
                        match cases::execute(None, Command::Create { id, case: new }, &context) {
                            Ok(follow_up) => created.push(follow_up),
                            Err(e) => return Step::Refused(e),
                        }
                    }
                }
                let (case, events) = stage(batch, workflows, command, change, labels_before, last_hash, now);
                for follow_up in created {
                    stage(batch, workflows, command, follow_up, None, String::new(), now);
                }
                let executed = Executed { case, events, replayed: false, last_sequence: batch.sequence };
                if !command.request_id.is_empty() {
                    batch.answered.insert(
                        command.request_id.clone(),
                        Answered { method: command.method, case_id: executed.case.id.as_str().to_owned(), executed: executed.clone() },
                    );
                }
                Step::Done(Box::new(executed))
            }

            /// Adds a decided change to the batch: seals its events onto the case's chain (after
            /// `last_hash`) and records the case as the batch now sees it.
            fn stage(
                batch: &mut Batch,
                workflows: &Workflows,
                command: &CaseCommand,
                change: cases::Change,
                labels_before: Option<Vec<String>>,
                last_hash: String,
                now: i64,
            ) -> (Case, Vec<StoredEvent>) {
                let first_case_sequence = change.case.revision - change.events.len() as i64 + 1;
                let mut previous = last_hash;
                let mut events = Vec::with_capacity(change.events.len());
                for (offset, draft) in change.events.iter().enumerate() {
                    batch.sequence += 1;
                    let mut event = StoredEvent {
                        sequence: batch.sequence,
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
                let id = change.case.id.as_str().to_owned();
                let labels_changed = labels_before.as_ref() != Some(&change.case.labels)
                    || batch.cases.get(&id).is_some_and(|w| w.labels_changed);
                let open = workflows
                    .get(&change.case.kind, change.case.workflow_version)
                    .is_some_and(|def| !def.is_final(&change.case.state));
                batch.events.extend(events.iter().cloned());
                batch.cases.insert(
                    id,
                    Working { case: change.case.clone(), last_hash: previous, dirty: true, labels_changed, open },
                );
                (change.case, events)
            }

            /// Rows per multi-row statement, well inside both databases' limits on parameters.
            const ROWS_PER_STATEMENT: usize = 256;

            /// Writes what the batch decided: each changed case once (as the last job left
            /// it), its labels, the events and the request ids, one statement per table.
            async fn flush(tx: &mut Tx, batch: &Batch) -> Result<()> {
                let dirty: Vec<&Working> = batch.cases.values().filter(|w| w.dirty).collect();
                for chunk in dirty.chunks(ROWS_PER_STATEMENT) {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(
                        "INSERT INTO cases (id, kind, state, title, department, working_group, assignee, due_time, \
                         parent, overdue, open, revision, create_time, update_time, last_hash, body) ",
                    );
                    qb.push_values(chunk, |mut row, w| {
                        let case = &w.case;
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
                            .push_bind(w.open)
                            .push_bind(case.revision)
                            .push_bind(case.create_time)
                            .push_bind(case.update_time)
                            .push_bind(w.last_hash.clone())
                            .push_bind(case.snapshot());
                    });
                    qb.push(
                        " ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, state = excluded.state, \
                         title = excluded.title, department = excluded.department, \
                         working_group = excluded.working_group, assignee = excluded.assignee, \
                         due_time = excluded.due_time, parent = excluded.parent, overdue = excluded.overdue, \
                         open = excluded.open, revision = excluded.revision, create_time = excluded.create_time, \
                         update_time = excluded.update_time, last_hash = excluded.last_hash, body = excluded.body",
                    );
                    let name = match chunk {
                        [one] => one.case.name(),
                        _ => "a case".to_owned(),
                    };
                    qb.build().persistent(false).execute(&mut **tx).await.map_err(|e| write_error(e, &name))?;
                }

                let relabelled: Vec<&Case> = dirty.iter().filter(|w| w.labels_changed).map(|w| &w.case).collect();
                for chunk in relabelled.chunks(ROWS_PER_STATEMENT) {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new("DELETE FROM case_labels WHERE case_id IN (");
                    let mut list = qb.separated(", ");
                    for case in chunk {
                        list.push_bind(case.id.as_str().to_owned());
                    }
                    qb.push(")");
                    qb.build().persistent(false).execute(&mut **tx).await.map_err(db_error)?;
                }
                let labels: Vec<(&str, &String)> = relabelled
                    .iter()
                    .flat_map(|case| case.labels.iter().map(move |label| (case.id.as_str(), label)))
                    .collect();
                for chunk in labels.chunks(ROWS_PER_STATEMENT) {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new("INSERT INTO case_labels (case_id, label) ");
                    qb.push_values(chunk, |mut row, (id, label)| {
                        row.push_bind(id.to_string()).push_bind((*label).clone());
                    });
                    qb.build().persistent(false).execute(&mut **tx).await.map_err(db_error)?;
                }

                for chunk in batch.events.chunks(ROWS_PER_STATEMENT) {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(format!("INSERT INTO events ({EVENT_COLUMNS}) "));
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
                            .push_bind(event.transition.clone())
                            .push_bind(event.comment.clone())
                            .push_bind(event.kind.clone())
                            .push_bind(event.department.clone())
                            .push_bind(event.previous_hash.clone())
                            .push_bind(event.hash.clone());
                    });
                    qb.build().persistent(false).execute(&mut **tx).await.map_err(db_error)?;
                }

                let mut requests = Vec::with_capacity(batch.answered.len());
                for (key, answered) in &batch.answered {
                    let sequences: Vec<i64> = answered.executed.events.iter().map(|e| e.sequence).collect();
                    let response = serde_json::to_string(&(answered.executed.case.snapshot(), sequences))
                        .map_err(|e| Error::internal(e.to_string()))?;
                    let time = answered.executed.events.first().map_or(0, |e| e.time);
                    requests.push((key, answered, response, time));
                }
                for chunk in requests.chunks(ROWS_PER_STATEMENT) {
                    let mut qb: QueryBuilder<$db> =
                        QueryBuilder::new("INSERT INTO requests (request_id, method, case_id, response, create_time) ");
                    qb.push_values(chunk, |mut row, (key, answered, response, time)| {
                        row.push_bind((*key).clone())
                            .push_bind(answered.method)
                            .push_bind(answered.case_id.clone())
                            .push_bind(response.clone())
                            .push_bind(*time);
                    });
                    qb.build().persistent(false).execute(&mut **tx).await.map_err(db_error)?;
                }
                Ok(())
            }

            /// Runs the jobs in one transaction and answers each. `Some(jobs)` when a statement
            /// failed: everything was rolled back and the jobs are handed back unanswered.
            async fn write_together(writer: &$writer, jobs: Vec<Job>) -> Option<Vec<Job>> {
                let mut batch = Batch::default();
                let begun = async {
                    let mut tx = writer.pool().begin().await.map_err(db_error)?;
                    let serialize: Option<&'static str> = $serialize;
                    if let Some(sql) = serialize {
                        sqlx::query(sql).execute(&mut *tx).await.map_err(db_error)?;
                    }
                    batch.sequence = writer.sequence_base(&mut tx).await?;
                    prefetch(&mut tx, &jobs, &mut batch).await?;
                    Ok::<_, Error>(tx)
                }
                .await;
                let mut tx = match begun {
                    Ok(tx) => tx,
                    // Nothing was decided yet, and trying each job alone would fail the same way.
                    Err(e) => {
                        for job in jobs {
                            job.answer(Err(e.clone()));
                        }
                        return None;
                    }
                };
                let mut answers = Vec::with_capacity(jobs.len());
                for job in &jobs {
                    job.span.record("regie.batch.size", jobs.len());
                    // The decision (authorization included) under the job's own trace.
                    let decide = crate::telemetry::span!(
                        parent: &job.span,
                        "case.decide",
                        regie.case = job.command.case_id.as_str(),
                    );
                    let step = apply(&mut tx, &mut batch, &job.workflows, &job.command)
                        .instrument(decide)
                        .await;
                    match step {
                        Step::Done(executed) => answers.push(Ok(*executed)),
                        Step::Refused(e) => answers.push(Err(e)),
                        Step::Broken(e) => return rolled_back(jobs, e),
                    }
                }
                if let Err(e) = flush(&mut tx, &batch).await {
                    return rolled_back(jobs, e);
                }
                let committed = tx.commit().await.map_err(db_error);
                if committed.is_ok() {
                    writer.committed_sequence(batch.sequence);
                }
                for (job, answer) in jobs.into_iter().zip(answers) {
                    job.answer(match &committed {
                        Ok(()) => answer,
                        Err(e) => Err(e.clone()),
                    });
                }
                None
            }

            /// After a failed statement (the transaction is dropped, so rolled back): a batch of
            /// one gets the error; a larger one is handed back to be run one job at a time.
            fn rolled_back(mut jobs: Vec<Job>, error: Error) -> Option<Vec<Job>> {
                if jobs.len() == 1 {
                    if let Some(job) = jobs.pop() {
                        job.answer(Err(error));
                    }
                    return None;
                }
                tracing::debug!(%error, jobs = jobs.len(), "a statement failed in a write batch; writing its jobs one by one");
                Some(jobs)
            }

            impl BatchWriter for $writer {
                async fn write(self, jobs: Vec<Job>) {
                    if let Some(jobs) = write_together(&self, jobs).await {
                        for job in jobs {
                            write_together(&self, vec![job]).await;
                        }
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
                    // No span of its own: one indexed read, the cheapest call there is.
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
                    let span = crate::telemetry::span!("store.read", db.system = Self::BACKEND, db.operation = "list_cases");
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new("SELECT body FROM cases");
                    push_list_clauses(&mut qb, query, CASE_COLUMNS);
                    let rows = qb.build().fetch_all(self.reader()).instrument(span).await.map_err(db_error)?;
                    let cases = rows.iter().map(case_from_row).collect::<Result<Vec<_>>>()?;
                    Ok(query.page(cases))
                }

                async fn children(&self, id: &CaseId) -> Result<Vec<Case>> {
                    load_children(self.reader(), id).await
                }

                async fn list_events(&self, query: &ListQuery) -> Result<Page<StoredEvent>> {
                    let span = crate::telemetry::span!("store.read", db.system = Self::BACKEND, db.operation = "list_events");
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(format!("SELECT {EVENT_COLUMNS} FROM events"));
                    push_list_clauses(&mut qb, query, Columns::same(event_column));
                    let rows = qb.build().fetch_all(self.reader()).instrument(span).await.map_err(db_error)?;
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

                async fn count_overdue(&self) -> Result<i64> {
                    sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE open AND overdue")
                        .fetch_one(self.reader())
                        .await
                        .map_err(db_error)
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
