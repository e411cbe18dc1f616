//! The unit of work of case writes: one transaction for a batch of commands (`batch.rs` queues
//! them), every command answered (docs/architecture.md, "The path of one write").
//!
//! Per batch: begin (the backend takes its serializing lock and says which event sequence
//! comes next); read, in one query each, the cases the commands name and the request ids they
//! carry; then per command, in order: replay a known request id, or ask the caller's permit for
//! what the command needs on the case as this transaction sees it, let the domain decide
//! (effects included), and stage the changed cases, their hash-chained events and the request
//! id; finally write what was staged, one statement per table, and commit. A command the
//! domain refuses leaves the batch untouched. A statement that fails rolls the whole batch
//! back, and the batch is then run again one command per transaction, so one bad write never
//! costs another its answer. Nothing is answered before its transaction has committed.
//!
//! This is plain Rust over the narrow [`Backend`] trait; each backend's SQL is in its own file
//! (`sqlite.rs`, `postgres.rs`, and `case_sql.rs` for the statements they share).

use std::collections::{HashMap, HashSet};
use std::future::Future;

use tracing::Instrument as _;

use super::batch::Job;
use super::{CaseCommand, Executed};
use crate::domain::cases::audit::StoredEvent;
use crate::domain::cases::{self, Case, CaseId, Command, history};
use crate::domain::error::reason;
use crate::domain::workflow::Workflows;
use crate::domain::{Error, Result};

/// A request id stored by an earlier transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRequest {
    /// Whose request id it is: the actor of the call (`principals/{id}`).
    pub principal: String,
    pub request_id: String,
    /// The canonical request's hash; empty for requests stored before it was kept.
    pub request_hash: String,
    pub method: String,
    pub case_id: String,
    /// The first answer: the case's snapshot and the sequences of the events it appended.
    pub response: String,
}

/// A case to write: the case as the batch's last command left it.
#[derive(Debug, Clone)]
pub struct StagedCase {
    pub case: Case,
    /// The hash of the case's newest event.
    pub last_hash: String,
    /// Whether its labels changed (so its label rows are written again).
    pub labels_changed: bool,
    /// Not in a final state (kept on the row for the scheduler).
    pub open: bool,
}

/// A request id answered in this batch, to be stored.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub principal: String,
    pub request_id: String,
    pub request_hash: String,
    pub method: &'static str,
    pub case_id: String,
    pub response: String,
    pub create_time: i64,
}

/// Everything one transaction writes.
#[derive(Debug, Default)]
pub struct Staged {
    pub cases: Vec<StagedCase>,
    pub events: Vec<StoredEvent>,
    pub requests: Vec<NewRequest>,
}

/// What the unit of work needs from a database. Each method is one round trip (or one per
/// chunk of rows); none decides anything.
pub trait Backend: Clone + Send + Sync + 'static {
    type Tx: Send;

    /// Begins the batch's transaction, takes whatever lock makes event sequences follow commit
    /// order, and returns the newest sequence in the log.
    fn begin(&self) -> impl Future<Output = Result<(Self::Tx, i64)>> + Send;
    /// The cases with these ids, each with the hash of its newest event (locked, where the
    /// backend locks rows).
    fn cases(
        &self,
        tx: &mut Self::Tx,
        ids: Vec<String>,
    ) -> impl Future<Output = Result<Vec<(Case, String)>>> + Send;
    /// The stored request ids among `keys`, each (principal, request id).
    fn requests(
        &self,
        tx: &mut Self::Tx,
        keys: Vec<RequestKey>,
    ) -> impl Future<Output = Result<Vec<StoredRequest>>> + Send;
    /// The sub-items of a case, as stored.
    fn children(
        &self,
        tx: &mut Self::Tx,
        id: &CaseId,
    ) -> impl Future<Output = Result<Vec<Case>>> + Send;
    /// The events with these sequences, in order.
    fn events(
        &self,
        tx: &mut Self::Tx,
        sequences: Vec<i64>,
    ) -> impl Future<Output = Result<Vec<StoredEvent>>> + Send;
    /// Writes what the batch staged.
    fn flush(&self, tx: &mut Self::Tx, staged: &Staged) -> impl Future<Output = Result<()>> + Send;
    /// Commits; `last_sequence` is the newest sequence the transaction appended.
    fn commit(&self, tx: Self::Tx, last_sequence: i64) -> impl Future<Output = Result<()>> + Send;
}

/// Runs a batch: together in one transaction, or, when a statement failed, one job per
/// transaction.
pub async fn write<B: Backend>(backend: &B, jobs: Vec<Job>) {
    if let Some(jobs) = write_together(backend, jobs).await {
        for job in jobs {
            write_together(backend, vec![job]).await;
        }
    }
}

/// A case as a batch sees it: as loaded, or as an earlier job of the batch left it.
struct Working {
    case: Case,
    last_hash: String,
    /// Changed by this batch, so to be written.
    dirty: bool,
    labels_changed: bool,
    open: bool,
}

/// Whose request id: (principal, request id). One principal's id never answers another's call
/// (docs/architecture.md, "Request ids").
pub type RequestKey = (String, String);

/// The key of a command's request id.
fn key_of(command: &CaseCommand) -> RequestKey {
    (command.actor.clone(), command.request_id.clone())
}

/// A request id answered in this batch.
struct Answered {
    method: &'static str,
    request_hash: String,
    case_id: String,
    executed: Executed,
}

/// One transaction's worth of jobs: every case they read or changed, and what is to be written
/// when the jobs have been decided.
#[derive(Default)]
struct Batch {
    cases: HashMap<String, Working>,
    stored_requests: HashMap<RequestKey, StoredRequest>,
    answered: HashMap<RequestKey, Answered>,
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

/// Runs the jobs in one transaction and answers each. `Some(jobs)` when a statement failed:
/// everything was rolled back and the jobs are handed back unanswered.
async fn write_together<B: Backend>(backend: &B, jobs: Vec<Job>) -> Option<Vec<Job>> {
    let mut batch = Batch::default();
    let begun = async {
        let (mut tx, sequence) = backend.begin().await?;
        batch.sequence = sequence;
        prefetch(backend, &mut tx, &jobs, &mut batch).await?;
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
        let step = apply(backend, &mut tx, &mut batch, &job.workflows, &job.command)
            .instrument(decide)
            .await;
        match step {
            Step::Done(executed) => answers.push(Ok(*executed)),
            Step::Refused(e) => answers.push(Err(e)),
            Step::Broken(e) => return rolled_back(jobs, e),
        }
    }
    let last_sequence = batch.sequence;
    let staged = match into_staged(batch) {
        Ok(staged) => staged,
        Err(e) => return rolled_back(jobs, e),
    };
    if let Err(e) = backend.flush(&mut tx, &staged).await {
        return rolled_back(jobs, e);
    }
    let committed = backend.commit(tx, last_sequence).await;
    for (job, answer) in jobs.into_iter().zip(answers) {
        job.answer(match &committed {
            Ok(()) => answer,
            Err(e) => Err(e.clone()),
        });
    }
    None
}

/// After a failed statement (the transaction is dropped, so rolled back): a batch of one gets
/// the error; a larger one is handed back to be run one job at a time, unless the database
/// itself failed (unreachable, a lock or statement timeout), which would fail each job alike.
fn rolled_back(jobs: Vec<Job>, error: Error) -> Option<Vec<Job>> {
    if jobs.len() == 1 || matches!(error, Error::Unavailable { .. }) {
        for job in jobs {
            job.answer(Err(error.clone()));
        }
        return None;
    }
    tracing::debug!(%error, jobs = jobs.len(), "a statement failed in a write batch; writing its jobs one by one");
    Some(jobs)
}

/// Reads, in one query each, the cases the jobs name and the request ids they carry.
async fn prefetch<B: Backend>(
    backend: &B,
    tx: &mut B::Tx,
    jobs: &[Job],
    batch: &mut Batch,
) -> Result<()> {
    let ids: HashSet<&str> = jobs.iter().map(|j| j.command.case_id.as_str()).collect();
    let ids = ids.into_iter().map(str::to_owned).collect();
    for (case, last_hash) in backend.cases(tx, ids).await? {
        let working = Working {
            case,
            last_hash,
            dirty: false,
            labels_changed: false,
            open: true,
        };
        batch
            .cases
            .insert(working.case.id.as_str().to_owned(), working);
    }
    let keys: HashSet<RequestKey> = jobs
        .iter()
        .filter(|j| !j.command.request_id.is_empty())
        .map(|j| key_of(&j.command))
        .collect();
    if !keys.is_empty() {
        for stored in backend.requests(tx, keys.into_iter().collect()).await? {
            batch.stored_requests.insert(
                (stored.principal.clone(), stored.request_id.clone()),
                stored,
            );
        }
    }
    Ok(())
}

/// A request id may only be retried for the same call: the same request (by its hash, where
/// one was stored), the same method, the same case.
fn check_reuse(command: &CaseCommand, method: &str, case_id: &str, hash: &str) -> Result<()> {
    let same_case =
        matches!(command.command, Command::Create { .. }) || case_id == command.case_id.as_str();
    let same_request = hash.is_empty() || hash == command.request_hash;
    if method != command.method || !same_case || !same_request {
        return Err(Error::invalid(
            reason::REQUEST_ID_REUSED,
            "request_id",
            format!(
                "was already used for another request ({method} on cases/{case_id}); use a new request id for a different call"
            ),
        ));
    }
    Ok(())
}

/// A request id seen before (in this batch or stored): the first answer, if the request is the
/// same call; `None` for a new request id.
async fn replay<B: Backend>(
    backend: &B,
    tx: &mut B::Tx,
    batch: &Batch,
    command: &CaseCommand,
) -> Option<Step> {
    if command.request_id.is_empty() {
        return None;
    }
    let key = key_of(command);
    if let Some(answered) = batch.answered.get(&key) {
        return Some(
            match check_reuse(
                command,
                answered.method,
                &answered.case_id,
                &answered.request_hash,
            ) {
                Ok(()) => Step::Done(Box::new(Executed {
                    replayed: true,
                    ..answered.executed.clone()
                })),
                Err(e) => Step::Refused(e),
            },
        );
    }
    let stored = batch.stored_requests.get(&key)?;
    if let Err(e) = check_reuse(
        command,
        &stored.method,
        &stored.case_id,
        &stored.request_hash,
    ) {
        return Some(Step::Refused(e));
    }
    let replayed = async {
        let (snapshot, sequences): (String, Vec<i64>) = serde_json::from_str(&stored.response)
            .map_err(|e| Error::internal(format!("stored response: {e}")))?;
        let case = Case::from_snapshot(&snapshot)
            .ok_or_else(|| Error::internal("stored response case"))?;
        let last_sequence = sequences.last().copied().unwrap_or_default();
        let events = if sequences.is_empty() {
            Vec::new()
        } else {
            backend.events(tx, sequences).await?
        };
        Ok::<_, Error>(Executed {
            case,
            events,
            replayed: true,
            last_sequence,
        })
    }
    .await;
    Some(match replayed {
        Ok(executed) => Step::Done(Box::new(executed)),
        Err(e) => Step::Broken(e),
    })
}

/// The sub-items of a case as this batch sees them: the stored ones, with the batch's own
/// changes laid over them.
async fn children_of<B: Backend>(
    backend: &B,
    tx: &mut B::Tx,
    batch: &Batch,
    id: &CaseId,
) -> Result<Vec<Case>> {
    let mut children: Vec<Case> = backend
        .children(tx, id)
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

/// For an observance of `department` on `framework`: loads the department's observance items
/// into the batch (locked where the backend locks rows, with the hash of their newest event)
/// so that the domain may close them in this transaction, and adds their own sub-items to
/// `children` for the rules that read them.
async fn observance_items<B: Backend>(
    backend: &B,
    tx: &mut B::Tx,
    batch: &mut Batch,
    framework: &Case,
    department: &str,
    children: &mut Vec<Case>,
) -> Result<()> {
    let items: Vec<CaseId> = cases::effects::observance_items(framework, department, children)
        .map(|c| c.id.clone())
        .collect();
    let missing: Vec<String> = items
        .iter()
        .filter(|id| !batch.cases.contains_key(id.as_str()))
        .map(|id| id.as_str().to_owned())
        .collect();
    if !missing.is_empty() {
        for (case, last_hash) in backend.cases(tx, missing).await? {
            let working = Working {
                case,
                last_hash,
                dirty: false,
                labels_changed: false,
                open: true,
            };
            batch
                .cases
                .insert(working.case.id.as_str().to_owned(), working);
        }
    }
    for id in &items {
        // The item as this transaction holds it (it may have been read before the lock).
        if let Some(working) = batch.cases.get(id.as_str())
            && let Some(child) = children.iter_mut().find(|c| &c.id == id)
        {
            *child = working.case.clone();
        }
        let own = children_of(backend, tx, batch, id).await?;
        children.extend(own);
    }
    Ok(())
}

/// One command against the batch: replays a known request id, or checks the permit and lets
/// the domain decide on the case as the batch sees it, and stages the result.
async fn apply<B: Backend>(
    backend: &B,
    tx: &mut B::Tx,
    batch: &mut Batch,
    workflows: &Workflows,
    command: &CaseCommand,
) -> Step {
    let creating = matches!(command.command, Command::Create { .. });
    let current = batch.cases.get(command.case_id.as_str());
    // The permission, against the case as this transaction sees it, and before a repeated
    // request id is answered: a replay is authorized exactly as a fresh call. A case that is
    // not there is refused as one the caller may not read, unless it may read every case.
    if let Some(permit) = &command.permit {
        match current {
            Some(working) => {
                let resource = cases::needs::resource(&working.case);
                for need in cases::needs::of(workflows, Some(&working.case), &command.command) {
                    if let Err(refused) = permit.check(&need, &resource).await {
                        return Step::Refused(refused);
                    }
                }
            }
            None if !creating => {
                return Step::Refused(permit.missing(&command.case_id.name()).await);
            }
            None => {}
        }
    }
    if let Some(step) = replay(backend, tx, batch, command).await {
        return step;
    }
    let (current, last_hash) = match batch.cases.get(command.case_id.as_str()) {
        Some(working) => (Some(working.case.clone()), working.last_hash.clone()),
        None if creating => (None, String::new()),
        None => return Step::Refused(Error::not_found(command.case_id.name())),
    };
    let children = match &current {
        Some(case) if cases::command::needs_children(workflows, case, &command.command) => {
            let loaded = async {
                let mut children = children_of(backend, tx, batch, &command.case_id).await?;
                if let Some(department) = cases::command::observance_of(&command.command) {
                    observance_items(backend, tx, batch, case, department, &mut children).await?;
                }
                Ok::<_, Error>(children)
            };
            match loaded.await {
                Ok(children) => children,
                Err(e) => return Step::Broken(e),
            }
        }
        _ => Vec::new(),
    };
    // The time was read when the command was made, before it queued; a command decided after
    // a later-stamped one on the same case takes that time, so times never go back along a
    // case's chain (the case as it was at a time relies on it).
    let now = current
        .as_ref()
        .map_or(command.now, |case| command.now.max(case.update_time));
    let context = cases::Context {
        workflows,
        actor: &command.actor,
        now,
        children: &children,
        actor_roles: command.actor_roles.as_deref().map(Vec::as_slice),
        new_id: &command.new_id,
    };
    let labels_before = current.as_ref().map(|c| c.labels.clone());
    // The domain decides, effects included, before anything is staged, so that a refusal
    // leaves the batch untouched.
    let decision = match cases::decide(current, command.command.clone(), &context) {
        Ok(decision) => decision,
        Err(e) => return Step::Refused(e),
    };
    if decision.change.events.is_empty() {
        return Step::Done(Box::new(Executed {
            case: decision.change.case,
            events: Vec::new(),
            replayed: false,
            last_sequence: 0,
        }));
    }
    let (case, events) = stage(
        batch,
        workflows,
        command,
        &command.request_id,
        decision.change,
        labels_before,
        last_hash,
        now,
    );
    for created in decision.created {
        // The cases effects make or change are not the caller's request: they carry no request
        // id, which another department could read in them.
        stage(
            batch,
            workflows,
            command,
            "",
            created,
            None,
            String::new(),
            now,
        );
    }
    for changed in decision.changed {
        // Loaded into the batch before the decision (`observance_items`).
        let Some(working) = batch.cases.get(changed.case.id.as_str()) else {
            return Step::Broken(Error::internal(format!(
                "{} changed without being loaded",
                changed.case.name()
            )));
        };
        let (labels_before, last_hash) =
            (Some(working.case.labels.clone()), working.last_hash.clone());
        stage(
            batch,
            workflows,
            command,
            "",
            changed,
            labels_before,
            last_hash,
            now,
        );
    }
    let executed = Executed {
        case,
        events,
        replayed: false,
        last_sequence: batch.sequence,
    };
    if !command.request_id.is_empty() {
        batch.answered.insert(
            key_of(command),
            Answered {
                method: command.method,
                request_hash: command.request_hash.clone(),
                case_id: executed.case.id.as_str().to_owned(),
                executed: executed.clone(),
            },
        );
    }
    Step::Done(Box::new(executed))
}

/// Adds a decided change to the batch: seals its events onto the case's chain (after
/// `last_hash`) and records the case as the batch now sees it.
#[allow(clippy::too_many_arguments)]
fn stage(
    batch: &mut Batch,
    workflows: &Workflows,
    command: &CaseCommand,
    request_id: &str,
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
        let case_sequence = first_case_sequence + offset as i64;
        let recorded = draft
            .after
            .as_ref()
            .map(|after| history::record(draft.before.as_ref(), after, case_sequence))
            .unwrap_or_default();
        let mut event = StoredEvent {
            sequence: batch.sequence,
            case_id: change.case.id.as_str().to_owned(),
            case_sequence,
            event_type: draft.event_type.as_str().to_owned(),
            actor: command.actor.clone(),
            time: now,
            request_id: request_id.to_owned(),
            before: String::new(),
            after: recorded.after,
            patch: recorded.patch,
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
        Working {
            case: change.case.clone(),
            last_hash: previous,
            dirty: true,
            labels_changed,
            open,
        },
    );
    (change.case, events)
}

/// What the batch decided, as rows to write: each changed case once (as the last job left
/// it), the events, and the request ids with their first answers.
fn into_staged(batch: Batch) -> Result<Staged> {
    let mut requests = Vec::with_capacity(batch.answered.len());
    for ((principal, request_id), answered) in batch.answered {
        let sequences: Vec<i64> = answered
            .executed
            .events
            .iter()
            .map(|e| e.sequence)
            .collect();
        let response = serde_json::to_string(&(answered.executed.case.snapshot(), sequences))
            .map_err(|e| Error::internal(e.to_string()))?;
        requests.push(NewRequest {
            principal,
            request_id,
            request_hash: answered.request_hash,
            method: answered.method,
            case_id: answered.case_id,
            response,
            create_time: answered.executed.events.first().map_or(0, |e| e.time),
        });
    }
    let cases = batch
        .cases
        .into_values()
        .filter(|w| w.dirty)
        .map(|w| StagedCase {
            case: w.case,
            last_hash: w.last_hash,
            labels_changed: w.labels_changed,
            open: w.open,
        })
        .collect();
    Ok(Staged {
        cases,
        events: batch.events,
        requests,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::sync::oneshot;

    use super::*;
    use crate::domain::cases::draft::NewCase;
    use crate::domain::names::DepartmentCode;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{
        CaseStore as _, DirectoryStore as _, SqliteSynchronous, Store as _, StoreOptions,
    };

    /// A real SQLite store in a temporary directory, with the seed departments.
    async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = StoreOptions {
            url: format!("sqlite://{}", dir.path().join("regie.db").display()),
            max_connections: 2,
            sqlite_synchronous: SqliteSynchronous::Normal,
            acquire_timeout: std::time::Duration::from_secs(5),
            ..StoreOptions::default()
        };
        let store = SqliteStore::open(&options).await.expect("open");
        store
            .seed_departments(crate::seed::departments(None).expect("seed file"))
            .await
            .expect("seed");
        (dir, store)
    }

    fn workflows() -> Arc<Workflows> {
        Arc::new(Workflows::with_defaults().expect("built-in workflows"))
    }

    fn command(
        case_id: &CaseId,
        command: Command,
        request_id: &str,
        method: &'static str,
    ) -> CaseCommand {
        CaseCommand {
            case_id: case_id.clone(),
            command,
            actor: "principals/anna".to_owned(),
            request_id: request_id.to_owned(),
            // The same call hashes the same; tests that reuse an id for another request set
            // their own.
            request_hash: format!("{method}:{request_id}"),
            method,
            permit: None,
            actor_roles: None,
            now: 1_000_000,
            new_id: CaseId::generate,
        }
    }

    fn create(id: &CaseId, department: &str, request_id: &str) -> CaseCommand {
        let new = NewCase {
            kind: "work_item".to_owned(),
            title: format!("Item {}", id.as_str()),
            description: String::new(),
            department: Some(DepartmentCode::parse("department", department).expect("code")),
            working_group: None,
            assignee: String::new(),
            labels: vec!["x".to_owned()],
            due_time: None,
            parent: None,
            details: cases::Details::WorkItem,
        };
        let create = Command::Create {
            id: id.clone(),
            case: new,
        };
        command(id, create, request_id, "CreateCase")
    }

    fn transition(id: &CaseId, transition: &str) -> CaseCommand {
        let command_ = Command::Transition {
            transition: transition.to_owned(),
            etag: String::new(),
            comment: String::new(),
        };
        command(id, command_, "", "TransitionCase")
    }

    /// Runs `commands` as one batch and returns each answer, in order.
    async fn run(store: &SqliteStore, commands: Vec<CaseCommand>) -> Vec<Result<Executed>> {
        let workflows = workflows();
        let mut answers = Vec::new();
        let mut jobs = Vec::new();
        for command in commands {
            let (reply, answer) = oneshot::channel();
            jobs.push(Job {
                workflows: workflows.clone(),
                command,
                reply,
                span: tracing::Span::none(),
            });
            answers.push(answer);
        }
        write(&store.test_writer().await, jobs).await;
        let mut results = Vec::new();
        for answer in answers {
            results.push(answer.await.expect("every job is answered"));
        }
        results
    }

    #[tokio::test]
    async fn a_failing_statement_costs_no_other_job_its_answer() {
        let (_dir, store) = store().await;
        let (a, b, c) = (CaseId::generate(), CaseId::generate(), CaseId::generate());
        // B names a department that does not exist: its row fails the foreign key when the
        // batch is written, after every job was decided.
        let answers = run(
            &store,
            vec![
                create(&a, "JenV", ""),
                create(&b, "NOPE", ""),
                create(&c, "Fin", ""),
            ],
        )
        .await;
        assert!(answers[0].is_ok(), "{:?}", answers[0]);
        assert_eq!(
            answers[1].as_ref().err().map(Error::reason),
            Some(reason::REFERENCED_RESOURCE_MISSING)
        );
        assert!(answers[2].is_ok(), "{:?}", answers[2]);
        assert!(store.get_case(&a).await.is_ok());
        assert!(matches!(
            store.get_case(&b).await,
            Err(Error::NotFound { .. })
        ));
        assert!(store.get_case(&c).await.is_ok());
        // Run one by one after the rollback, the two writes left no gap in the log.
        let sequences: Vec<i64> = answers
            .iter()
            .filter_map(|a| a.as_ref().ok())
            .flat_map(|e| e.events.iter().map(|e| e.sequence))
            .collect();
        assert_eq!(sequences, [1, 2]);
        assert_eq!(store.last_sequence().await.expect("last"), 2);
        assert!(
            store
                .verify_chains(None)
                .await
                .expect("verify")
                .broken
                .is_empty()
        );
    }

    #[tokio::test]
    async fn a_refused_job_leaves_the_batch_as_it_was() {
        let (_dir, store) = store().await;
        let a = CaseId::generate();
        let answers = run(
            &store,
            vec![
                create(&a, "JenV", ""),
                transition(&a, "no_such_transition"),
                transition(&a, "accept"),
            ],
        )
        .await;
        assert!(answers[0].is_ok());
        assert!(answers[1].is_err());
        let accepted = answers[2].as_ref().expect("accept after a refusal");
        // The second job saw the case the first one created, in the same transaction.
        assert_eq!(accepted.case.revision, 2);
        assert_eq!(accepted.events[0].case_sequence, 2);
        let stored = store.get_case(&a).await.expect("stored");
        assert_eq!(stored.revision, 2);
        assert_ne!(stored.state, "proposed");
        assert_eq!(store.last_sequence().await.expect("last"), 2);
        assert!(
            store
                .verify_chains(Some(&a))
                .await
                .expect("verify")
                .broken
                .is_empty()
        );
    }

    #[tokio::test]
    async fn a_request_id_is_answered_once_in_and_across_batches() {
        let (_dir, store) = store().await;
        let a = CaseId::generate();
        let answers = run(
            &store,
            vec![create(&a, "JenV", "r-1"), create(&a, "JenV", "r-1")],
        )
        .await;
        let (first, second) = (
            answers[0].as_ref().expect("first"),
            answers[1].as_ref().expect("second"),
        );
        assert!(!first.replayed);
        assert!(second.replayed);
        assert_eq!(first.case.id, second.case.id);
        // A later batch replays it from the stored request, with the same events.
        let again = run(&store, vec![create(&a, "JenV", "r-1")]).await;
        let again = again[0].as_ref().expect("replayed");
        assert!(again.replayed);
        assert_eq!(
            again.events.iter().map(|e| e.sequence).collect::<Vec<_>>(),
            first.events.iter().map(|e| e.sequence).collect::<Vec<_>>()
        );
        assert_eq!(store.last_sequence().await.expect("last"), 1);
        // The same id for another call is refused, and changes nothing.
        let reused = run(
            &store,
            vec![command(
                &a,
                Command::Comment { text: "x".into() },
                "r-1",
                "AddComment",
            )],
        )
        .await;
        assert_eq!(
            reused[0].as_ref().err().map(Error::reason),
            Some(reason::REQUEST_ID_REUSED)
        );
        assert_eq!(store.last_sequence().await.expect("last"), 1);
    }

    #[tokio::test]
    async fn a_request_id_belongs_to_its_principal_and_to_one_request() {
        let (_dir, store) = store().await;
        let (a, b) = (CaseId::generate(), CaseId::generate());
        let first = run(&store, vec![create(&a, "JenV", "r-1")]).await;
        assert!(first[0].is_ok());
        // Another principal's id of the same text is another key: a new case, not a replay.
        let mut theirs = create(&b, "Fin", "r-1");
        theirs.actor = "principals/bert".into();
        let theirs = run(&store, vec![theirs]).await;
        let theirs = theirs[0].as_ref().expect("bert's own create");
        assert!(!theirs.replayed);
        assert_eq!(theirs.case.id, b);
        // The same principal's id with a different request (say another title) is refused,
        // within a batch and across batches.
        let (c, d) = (CaseId::generate(), CaseId::generate());
        for batch in [
            vec![create(&c, "JenV", "r-2"), create(&d, "JenV", "r-2")],
            vec![create(&d, "JenV", "r-1")],
        ] {
            let mut batch = batch;
            let last = batch.len() - 1;
            batch[last].request_hash = "another request".into();
            let answers = run(&store, batch).await;
            assert_eq!(
                answers[last].as_ref().err().map(Error::reason),
                Some(reason::REQUEST_ID_REUSED)
            );
        }
        assert_eq!(store.last_sequence().await.expect("last"), 3);
    }

    #[tokio::test]
    async fn times_never_go_back_along_a_case_chain() {
        let (_dir, store) = store().await;
        let a = CaseId::generate();
        let mut accept = transition(&a, "accept");
        // Stamped before the create it follows (it waited in the queue behind it).
        accept.now = 500_000;
        let answers = run(&store, vec![create(&a, "JenV", ""), accept]).await;
        let accepted = answers[1].as_ref().expect("accepted");
        assert_eq!(accepted.events[0].time, 1_000_000);
        assert_eq!(accepted.case.update_time, 1_000_000);
    }

    #[tokio::test]
    async fn a_batch_that_cannot_begin_answers_every_job() {
        let (_dir, store) = store().await;
        let writer = store.test_writer().await;
        store.close().await;
        let (reply, answer) = oneshot::channel();
        let a = CaseId::generate();
        let job = Job {
            workflows: workflows(),
            command: create(&a, "JenV", ""),
            reply,
            span: tracing::Span::none(),
        };
        write(&writer, vec![job]).await;
        assert!(matches!(
            answer.await.expect("answered"),
            Err(Error::Unavailable { .. })
        ));
    }
}
