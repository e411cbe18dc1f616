//! Use cases on cases of every kind: create, change, move along the workflow, comment, record
//! (ratings, dialogues, consultations, observances, risks: see `assessment`, `frameworks`,
//! `risks`), read, list, the history, what can be done next, the change feed, and the
//! scheduler's overdue marking.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::references::{check_departments, check_group, sector_rijk_scope};
use super::{App, Write};
use crate::authz::Caller;
use crate::domain::Result;
use crate::domain::access::{Need, ScopeFilter};
use crate::domain::cases::audit::{EventFilter, StoredEvent};
use crate::domain::cases::command::{self, Record, is_overdue};
use crate::domain::cases::draft::{check_children, check_parent};
use crate::domain::cases::framework::FrameworkDraft;
use crate::domain::cases::model::now;
use crate::domain::cases::{Case, CaseDraft, CaseId, CasePatch, Command, Details, needs};
use crate::domain::directory::{DepartmentCode, GroupId};
use crate::domain::error::{Error, Violations, reason};
use crate::domain::listing::{ListParams, ListQuery, Page};
use crate::domain::request::RequestKey;
use crate::domain::time::Timestamp;
use crate::domain::workflow::{self, FailedRule, Transition};
use crate::store::Executed;

/// The operations of this family, as their RPCs' full paths (named in denials).
pub mod op {
    pub const CREATE: &str = "/regie.v1.CaseService/CreateCase";
    pub const GET: &str = "/regie.v1.CaseService/GetCase";
    pub const UPDATE: &str = "/regie.v1.CaseService/UpdateCase";
    pub const TRANSITION: &str = "/regie.v1.CaseService/TransitionCase";
    pub const AVAILABLE: &str = "/regie.v1.CaseService/ListAvailableTransitions";
    pub const COMMENT: &str = "/regie.v1.CaseService/AddComment";
    pub const EVENTS: &str = "/regie.v1.CaseService/ListCaseEvents";
    /// The scheduler's overdue marking (no RPC).
    pub const MARK_OVERDUE: &str = "MarkOverdue";
}

/// The actor recorded on the scheduler's events.
pub const SCHEDULER: &str = "system:scheduler";

/// How often a quiet change feed sends a heartbeat; also how often an open stream's caller is
/// checked again (`authz::Access::recheck`), quiet or not.
const HEARTBEAT: Duration = Duration::from_secs(10);
/// Events read from the store per round while a watcher catches up.
const WATCH_BATCH: i64 = 256;
/// How long a change-feed stream waits out a database it cannot reach before it ends with
/// UNAVAILABLE (a restart takes seconds; the client resumes from its last sequence after that).
const WATCH_OUTAGE: Duration = Duration::from_secs(30);
/// How often a waiting stream tries the database again.
const WATCH_RETRY: Duration = Duration::from_millis(200);

/// A transition declared from a case's state: the guards that do not hold now, whether the
/// caller may take it, and which roles may.
#[derive(Debug, Clone)]
pub struct Available {
    pub transition: Transition,
    pub failed: Vec<FailedRule>,
    /// The caller's roles allow it on this case.
    pub permitted: bool,
    /// The roles whose policy lines allow it in the case's domain (`authz::Access::roles_allowing`).
    pub roles: Vec<String>,
}

impl Available {
    /// This caller can take it now (giving a comment where one is required): permitted, and
    /// every guard holds.
    pub fn is_open(&self) -> bool {
        self.permitted && self.failed.is_empty()
    }
}

/// What the change feed sends.
#[derive(Debug, Clone)]
pub enum Watched {
    Event(Box<StoredEvent>),
    /// Nothing new for a while: the newest sequence this server knows, and the time.
    Heartbeat {
        last_sequence: i64,
        time: Timestamp,
    },
}

impl App {
    /// A new case of any kind; its permission is decided from the request, before anything
    /// it refers to is looked up.
    pub async fn create_case(
        &self,
        caller: &Caller,
        draft: CaseDraft,
        request_id: RequestKey,
    ) -> Result<Case> {
        let (department, group) = (draft.department.clone(), draft.working_group.clone());
        let mut new = draft.validate()?;
        self.access
            .require(caller, op::CREATE, &needs::to_create(&new))
            .await?;
        self.check_references(&department, &group).await?;
        if let Some(parent) = &new.parent {
            let department = new.department.as_ref().map(DepartmentCode::as_str);
            self.check_parent(caller, op::CREATE, parent, department)
                .await?;
        }
        if let Details::Framework(f) = &mut new.details {
            f.scope = self.framework_scope(&f.scope).await?;
        }
        let id = CaseId::generate();
        let command = Command::Create {
            id: id.clone(),
            case: new,
        };
        let write = Write {
            case_id: id,
            command,
            request_id,
            operation: op::CREATE,
            check: false,
        };
        Ok(self.write(caller, write).await?.case)
    }

    /// Changes the fields `patch` names, if `etag` (when given) is current. Moving the case to
    /// another department needs the right to change it there too (`cases::needs`).
    pub async fn update_case(
        &self,
        caller: &Caller,
        id: CaseId,
        etag: String,
        patch: CasePatch,
        request_id: RequestKey,
    ) -> Result<Case> {
        if let Some(scope) = patch.framework.as_ref().and_then(|f| f.scope.as_ref()) {
            let checked = FrameworkDraft {
                scope: scope.clone(),
                ..FrameworkDraft::default()
            };
            let mut v = Violations::new();
            let codes = checked.validate("case.framework", &mut v).scope;
            v.finish()?;
            if codes.is_empty() {
                return Err(Error::invalid_field(
                    "case.framework.scope",
                    "names at least one department",
                ));
            }
            self.framework_scope(&codes).await?;
        }
        let reference = |field: &Option<String>| field.clone().unwrap_or_default();
        self.check_references(
            &reference(&patch.department),
            &reference(&patch.working_group),
        )
        .await?;
        if patch.parent.is_some() || patch.department.is_some() {
            self.check_family(caller, &id, &patch).await?;
        }
        let write = Write {
            case_id: id,
            command: Command::Update { etag, patch },
            request_id,
            operation: op::UPDATE,
            check: true,
        };
        Ok(self.write(caller, write).await?.case)
    }

    /// Moves the case along its workflow; counted in `regie.case.transitions`.
    pub async fn transition_case(
        &self,
        caller: &Caller,
        id: CaseId,
        transition: String,
        etag: String,
        comment: String,
        request_id: RequestKey,
    ) -> Result<Case> {
        if transition.trim().is_empty() {
            return Err(Error::invalid_field("transition", "is required"));
        }
        let write = Write {
            case_id: id.clone(),
            command: Command::Transition {
                transition: transition.clone(),
                etag,
                comment,
            },
            request_id,
            operation: op::TRANSITION,
            check: true,
        };
        let executed = self.write(caller, write).await;
        self.count_transition(&id, &transition, &executed).await;
        Ok(executed?.case)
    }

    /// Adds a comment; returns its event.
    pub async fn add_comment(
        &self,
        caller: &Caller,
        id: CaseId,
        text: String,
        request_id: RequestKey,
    ) -> Result<StoredEvent> {
        let write = Write {
            case_id: id,
            command: Command::Comment { text },
            request_id,
            operation: op::COMMENT,
            check: true,
        };
        self.write(caller, write)
            .await?
            .events
            .into_iter()
            .next()
            .ok_or_else(|| Error::internal("a comment without an event"))
    }

    /// Records a rating, dialogue, consultation, observance or risk in a case, as `operation`;
    /// what it needs is decided inside the write against the case it finds.
    pub(crate) async fn record(
        &self,
        caller: &Caller,
        operation: &'static str,
        id: CaseId,
        etag: String,
        request_id: RequestKey,
        record: Record,
    ) -> Result<Case> {
        let write = Write {
            case_id: id,
            command: Command::Record { etag, record },
            request_id,
            operation,
            check: true,
        };
        Ok(self.write(caller, write).await?.case)
    }

    /// The case, if the caller may read it (as `operation`, for the denial).
    /// Whether it exists is itself only told to a caller who may read it (AIP-211,
    /// `authz::Access::missing`).
    pub async fn read_case(&self, caller: &Caller, operation: &str, id: &CaseId) -> Result<Case> {
        let case = match self.store.get_case(id).await {
            Ok(case) => case,
            Err(Error::NotFound { .. }) => {
                return Err(self.access.missing(caller, operation, &id.name()).await);
            }
            Err(e) => return Err(e),
        };
        let resource = needs::resource(&case);
        self.access
            .require_on(caller, operation, &resource.read, &resource)
            .await?;
        Ok(case)
    }

    /// The parent a case would have: one the caller may read, in the case's department or
    /// government-wide (`domain::cases::draft::check_parent`). Asked after the caller's right
    /// to create or change the case, so that its refusal tells only what that caller may know.
    async fn check_parent(
        &self,
        caller: &Caller,
        operation: &str,
        parent: &CaseId,
        department: Option<&str>,
    ) -> Result<()> {
        let parent = match self.read_case(caller, operation, parent).await {
            Ok(parent) => parent,
            Err(Error::NotFound { resource }) => {
                return Err(Error::invalid(
                    reason::REFERENCED_RESOURCE_MISSING,
                    "case.parent",
                    format!("{resource} does not exist"),
                ));
            }
            Err(e) => return Err(e),
        };
        check_parent(department, &parent)
    }

    /// The case now, or as it was at `as_of` (micros) or at `revision` (0: now).
    pub async fn get_case(
        &self,
        caller: &Caller,
        id: CaseId,
        as_of: Option<i64>,
        revision: i64,
    ) -> Result<Case> {
        if revision < 0 {
            return Err(Error::invalid_field("revision", "must not be negative"));
        }
        let revision = (revision > 0).then_some(revision);
        let current = self.read_case(caller, op::GET, &id).await?;
        if as_of.is_some() || revision.is_some() {
            self.store.case_as_of(&id, as_of, revision).await
        } else {
            Ok(current)
        }
    }

    /// A page of cases: only what the caller may read. The caller's readable scope is part of
    /// the query, before the page is cut (docs/architecture.md, "Lists"), so a page is full
    /// whenever enough readable cases match, and neither it nor its sealed token tells
    /// anything of the others.
    pub async fn list_cases(&self, caller: &Caller, params: ListParams<'_>) -> Result<Page<Case>> {
        let mut query = ListQuery::parse(&Case::LIST, params, &self.page_key)?;
        let workflows = self.workflows.snapshot();
        let kinds: Vec<&str> = workflows.kinds().collect();
        let scope = self
            .access
            .read_scope(caller.subject(), kinds.iter().copied());
        match scope.filter(&kinds) {
            ScopeFilter::Nothing => {
                return Ok(Page {
                    items: Vec::new(),
                    next_page_token: String::new(),
                });
            }
            ScopeFilter::Only(scope) => query.restrict(scope),
            ScopeFilter::Everything => {}
        }
        let mut page = self.store.list_cases(&query).await?;
        // The scope is the policy worked out (`authz::Access::read_scope`); asking the policy
        // itself as well costs little and keeps a list from ever showing more than GetCase.
        let mut readable = Vec::with_capacity(page.items.len());
        for case in page.items {
            if self
                .may_read(caller, &case.kind, case.department.as_deref())
                .await
            {
                readable.push(case);
            }
        }
        page.items = readable;
        Ok(page)
    }

    /// The events of one case, oldest first.
    pub async fn list_case_events(
        &self,
        caller: &Caller,
        id: CaseId,
        page_size: i32,
        page_token: &str,
    ) -> Result<Page<StoredEvent>> {
        self.read_case(caller, op::EVENTS, &id).await?;
        let filter = format!("case = \"{}\"", id.name());
        let params = ListParams {
            page_size,
            page_token,
            filter: &filter,
            order_by: "",
        };
        let query = ListQuery::parse(&StoredEvent::LIST, params, &self.page_key)?;
        self.store.list_events(&query).await
    }

    /// Every transition declared from the case's state, each with the guards that do not hold
    /// now, whether this caller may take it and which roles may. Reading the case is all it
    /// needs: a caller who may take none of them still learns what exists and who can.
    pub async fn available_transitions(
        &self,
        caller: &Caller,
        id: CaseId,
    ) -> Result<Vec<Available>> {
        let case = self.read_case(caller, op::AVAILABLE, &id).await?;
        let children = self.store.children(&id).await?;
        let workflows = self.workflows_of(&case).await?;
        let def = workflows
            .get(&case.kind, case.workflow_version)
            .ok_or_else(|| {
                Error::internal(format!(
                    "{} version {} is not loaded",
                    case.kind, case.workflow_version
                ))
            })?;
        let roles = self.access.roles_of(caller.subject());
        let context = crate::domain::cases::Context {
            workflows: &workflows,
            actor: "",
            now: 0,
            children: &children,
            actor_roles: roles.as_deref().map(Vec::as_slice),
            new_id: &CaseId::generate,
        };
        let facts = command::facts(&case, &context);
        let mut available = Vec::new();
        for a in workflow::available(def, &case.state, &facts) {
            let action = needs::action_of(&a.transition.permission, &a.transition.id);
            let need = Need::on_case(&case.kind, case.department.as_deref(), &action);
            available.push(Available {
                transition: a.transition.clone(),
                failed: a.failed,
                permitted: self.access.allowed(caller.subject(), &need).await,
                roles: self.access.roles_allowing(&need),
            });
        }
        Ok(available)
    }

    /// When `case` is due with the time its clock stood still counted, at `at` (micros; `None`:
    /// now): the rule is `domain::cases::command::effective_due_time`.
    pub async fn effective_due_time(&self, case: &Case, at: Option<i64>) -> Result<Option<i64>> {
        let workflows = self.workflows_of(case).await?;
        Ok(workflows
            .get(&case.kind, case.workflow_version)
            .and_then(|def| command::effective_due_time(case, def, at.unwrap_or_else(now))))
    }

    /// The workflow catalogue with the version `case` follows, reloaded when this replica has
    /// not loaded it yet (another replica published it).
    async fn workflows_of(&self, case: &Case) -> Result<Arc<workflow::Workflows>> {
        let workflows = self.workflows.snapshot();
        if workflows.get(&case.kind, case.workflow_version).is_some() {
            return Ok(workflows);
        }
        self.workflows.reload(self.store.as_ref()).await
    }

    /// The change feed: replays the log after `after`, then follows it, sending only events of
    /// cases the caller may read. Ends when the receiver is dropped or the server stops, and with
    /// UNAUTHENTICATED or PERMISSION_DENIED within a heartbeat of the caller's token being
    /// revoked or expiring, its principal disabled, or its last role to read cases taken away.
    /// At most so many streams per replica and per principal (`app::feed`).
    pub fn watch(
        self: &Arc<Self>,
        caller: Caller,
        filter: EventFilter,
        after: i64,
    ) -> Result<mpsc::Receiver<Result<Watched>>> {
        if after < 0 {
            return Err(Error::invalid_field(
                "after_sequence",
                "must not be negative",
            ));
        }
        let slot = self.streams.open(caller.subject())?;
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(watch(self.clone(), caller, filter, after, tx, slot));
        Ok(rx)
    }

    /// Marks every open case that is now overdue, once, as an event; returns how many, and
    /// the first moment another becomes overdue if nothing changes (`command::overdue_from`),
    /// until which the scheduler need not look again. The scheduler's work: should two
    /// replicas run it at once, one that finds the case already marked or moved on changes
    /// nothing.
    pub async fn mark_overdue(&self) -> Result<(usize, Option<i64>)> {
        let workflows = self.workflows.snapshot();
        let now = now();
        let mut marked = 0;
        let mut next: Option<i64> = None;
        for case in self.store.open_cases_not_overdue().await? {
            let Some(definition) = workflows.get(&case.kind, case.workflow_version) else {
                continue;
            };
            if !is_overdue(&case, definition, now) {
                if let Some(at) = command::overdue_from(&case, definition, now) {
                    next = Some(next.map_or(at, |n| n.min(at)));
                }
                continue;
            }
            match self
                .write_as_server(
                    SCHEDULER,
                    op::MARK_OVERDUE,
                    case.id.clone(),
                    Command::MarkOverdue,
                )
                .await
            {
                Ok(_) => marked += 1,
                // Changed in the meantime (moved on, or marked by another replica).
                Err(Error::FailedPrecondition { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok((marked, next))
    }

    /// Whether the caller may read cases of `kind` in `department`.
    pub(crate) async fn may_read(
        &self,
        caller: &Caller,
        kind: &str,
        department: Option<&str>,
    ) -> bool {
        self.access
            .allowed(caller.subject(), &Need::on_case(kind, department, "read"))
            .await
    }

    /// A case that gets another parent or moves stays in its family's department: its parent
    /// in the same department or government-wide, and so its sub-items. Checked after the
    /// caller's right to read the case, before the write (which checks the right to change it).
    async fn check_family(&self, caller: &Caller, id: &CaseId, patch: &CasePatch) -> Result<()> {
        let case = self.read_case(caller, op::UPDATE, id).await?;
        let department = match &patch.department {
            Some(name) if name.is_empty() => None,
            Some(name) => Some(
                DepartmentCode::from_name("case.department", name)
                    .map_err(crate::domain::error::name_error)?
                    .as_str()
                    .to_owned(),
            ),
            None => case.department.clone(),
        };
        let parent = match &patch.parent {
            Some(name) if name.is_empty() => None,
            Some(name) => Some(
                CaseId::from_name("case.parent", name).map_err(crate::domain::error::name_error)?,
            ),
            None => case.parent.clone(),
        };
        if let Some(parent) = &parent {
            self.check_parent(caller, op::UPDATE, parent, department.as_deref())
                .await?;
        }
        if department != case.department {
            let children = self.store.children(id).await?;
            check_children(department.as_deref(), &children)?;
        }
        Ok(())
    }

    /// The references of a new or changed case must exist (empty: not given).
    async fn check_references(&self, department: &str, group: &str) -> Result<()> {
        let store = self.store.as_ref();
        if !department.is_empty()
            && let Ok(code) = DepartmentCode::from_name("case.department", department)
        {
            check_departments(store, vec![("case.department".to_owned(), code)]).await?;
        }
        if !group.is_empty()
            && let Ok(id) = GroupId::from_name("case.working_group", group)
        {
            check_group(store, "case.working_group", &id).await?;
        }
        Ok(())
    }

    /// A framework's scope: the departments named (in the sector Rijk), or all of the sector
    /// Rijk.
    async fn framework_scope(&self, codes: &[String]) -> Result<Vec<String>> {
        let codes = codes
            .iter()
            .map(|c| DepartmentCode::parse("case.framework.scope", c))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|v| Error::invalid_fields(vec![v]))?;
        sector_rijk_scope(
            self.store.as_ref(),
            "case.framework.scope",
            "case.framework.scope",
            &codes,
        )
        .await
    }

    /// Counts a transition asked for (`regie.case.transitions`), when metrics are exported. A
    /// refusal names no kind, so the case is read for it.
    async fn count_transition(&self, id: &CaseId, transition: &str, outcome: &Result<Executed>) {
        if crate::telemetry::instruments().is_none() {
            return;
        }
        match outcome {
            Ok(executed) => {
                crate::telemetry::count_transition(&executed.case.kind, transition, "applied")
            }
            Err(error) => {
                let kind = match self.store.get_case(id).await {
                    Ok(case) => case.kind,
                    Err(_) => "unknown".to_owned(),
                };
                crate::telemetry::count_transition(&kind, transition, error.reason());
            }
        }
    }
}

/// One watcher: replays the log after `after` from the store, then waits for new events. It
/// always reads from the store, so a watcher that falls behind (its buffer full) simply catches
/// up on its next read: no gap, no duplicate. Ends when the client goes away or the server stops.
async fn watch(
    app: Arc<App>,
    caller: Caller,
    filter: EventFilter,
    mut after: i64,
    tx: mpsc::Sender<Result<Watched>>,
    _slot: super::feed::Slot,
) {
    let _counted = crate::telemetry::WatcherGuard::open();
    // Woken by this replica's writes and by `feed::follow_log` for the others': no query of
    // its own while the log stands still.
    let mut committed = app.events.subscribe();
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.reset();
    let mut recheck = tokio::time::interval(HEARTBEAT);
    recheck.reset();
    let mut unavailable_since: Option<tokio::time::Instant> = None;
    loop {
        loop {
            let batch = match app.store.events_after(after, WATCH_BATCH, &filter).await {
                Ok(batch) => {
                    unavailable_since = None;
                    batch
                }
                // The database is down or restarting: the stream waits and reads on from its
                // own position, and ends with UNAVAILABLE (for the client to resume) only when
                // the outage outlasts `WATCH_OUTAGE`.
                Err(e @ Error::Unavailable { .. }) => {
                    let since = *unavailable_since.get_or_insert_with(tokio::time::Instant::now);
                    if since.elapsed() >= WATCH_OUTAGE {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                    tokio::select! {
                        () = tokio::time::sleep(WATCH_RETRY) => continue,
                        () = app.shutdown.cancelled() => return,
                        () = tx.closed() => return,
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            if batch.is_empty() {
                break;
            }
            for event in batch {
                after = event.sequence;
                // Only events of cases the caller may read (decided per event: a case can
                // move between departments).
                let department = Some(event.department.as_str()).filter(|d| !d.is_empty());
                if !app.may_read(&caller, &event.kind, department).await {
                    continue;
                }
                if tx.send(Ok(Watched::Event(Box::new(event)))).await.is_err() {
                    return;
                }
            }
            heartbeat.reset();
        }
        tokio::select! {
            changed = committed.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            _ = recheck.tick() => {
                let kinds: Vec<String> =
                    app.workflows.snapshot().kinds().map(str::to_owned).collect();
                match app.access.recheck(&caller, kinds.iter().map(String::as_str)).await {
                    Ok(()) => {}
                    // Checked again at the next interval; the caller's right stands meanwhile.
                    Err(Error::Unavailable { .. }) => {}
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                }
            }
            _ = heartbeat.tick() => {
                let beat = Watched::Heartbeat {
                    last_sequence: *app.events.borrow(),
                    time: Timestamp::now(),
                };
                if tx.send(Ok(beat)).await.is_err() {
                    return;
                }
            }
            () = app.shutdown.cancelled() => return,
            () = tx.closed() => return,
        }
    }
}
