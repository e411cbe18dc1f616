//! Persistence. [`Store`] is everything the server needs from a database; SQLite (embedded, the
//! default) and PostgreSQL (shared, for several replicas) implement it, each with its own
//! migrations, and one conformance suite in `tests/` runs against both.
//!
//! The SQL both backends share is written once, as plain functions generic over the sqlx
//! database (`case_sql.rs`, `directory_sql.rs`, `access_sql.rs`, `criteria_sql.rs`, and the
//! etag read-modify-write in `etag.rs`), which each backend calls with its concrete types: the
//! statements use `$1`-style parameters, which both drivers accept. What differs — connecting,
//! pooling, migrations, row locks — lives in [`sqlite`] and [`postgres`].

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::domain::access::{NewPrincipal, Permit, Principal, PrincipalId, Token, TokenId};
use crate::domain::cases::audit::checkpoint::{Checkpoint, HeadsAt};
use crate::domain::cases::audit::{BrokenLink, SequenceGap, StoredEvent};
use crate::domain::cases::{Case, CaseId, Command};
use crate::domain::criteria::{CriteriaSet, CriteriaSetId};
use crate::domain::directory::{
    Department, DepartmentCode, NewDepartment, NewWorkingGroup, WorkingGroup,
};
use crate::domain::filter::Expr;
use crate::domain::listing::{ListQuery, Page};
use crate::domain::names::GroupId;
use crate::domain::time::Timestamp;
use crate::domain::workflow::{WorkflowDefinition, Workflows};
use crate::domain::{Error, Result};

mod access_sql;
mod batch;
mod case_sql;
mod checkpoint_sql;
mod criteria_sql;
mod directory_sql;
mod etag;
mod lease_sql;
mod pg_hosts;
mod pg_link;
pub mod postgres;
mod session_sql;
mod sql;
pub mod sqlite;
mod unit;

/// A change to a stored department, applied inside the store's transaction.
pub type DepartmentChange = Box<dyn FnOnce(&mut Department) -> Result<()> + Send>;
/// A change to a stored working group (fields or members), applied inside the transaction.
pub type GroupChange = Box<dyn FnOnce(&mut WorkingGroup) -> Result<()> + Send>;

/// Everything the server needs from a database.
#[async_trait]
pub trait Store:
    DirectoryStore
    + CaseStore
    + AccessStore
    + CriteriaStore
    + CheckpointStore
    + SessionStore
    + Send
    + Sync
    + 'static
{
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Waits for open connections to finish and closes them.
    async fn close(&self);

    /// Connections in use now, per pool (`writer`, `reader`, or `pool` when there is one).
    fn pools_in_use(&self) -> Vec<(&'static str, i64)>;

    /// Whether the database can be reached, as the store last found (always true for SQLite,
    /// which is a file of this process): false while every call fails at once with
    /// UNAVAILABLE, and the server's health says NOT_SERVING.
    fn reachable(&self) -> tokio::sync::watch::Receiver<bool>;

    /// The changes other replicas announce (PostgreSQL's LISTEN/NOTIFY); `None` where there
    /// can be no other replica (SQLite). Hints only: what they announce is read from the store.
    fn changes(&self) -> Option<tokio::sync::broadcast::Receiver<Change>>;

    /// Takes or renews the lease `name` of a background job for `holder` until `expire_time`
    /// (micros), unless another holder's lease is still valid at `now`; returns whether
    /// `holder` holds it (docs/architecture.md, "Several replicas").
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        expire_time: i64,
    ) -> Result<bool>;
    /// Gives up `holder`'s lease `name`, so that another replica takes it over at once.
    async fn give_up_lease(&self, name: &str, holder: &str) -> Result<()>;
}

/// A change that one replica announces to the others, so that they need not wait for their
/// poll (docs/architecture.md, "Several replicas").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Events up to this sequence are committed.
    Events(i64),
    /// Principals, tokens or rules changed: reload the access caches.
    Access,
    /// A workflow version was published: reload the catalogue.
    Workflows,
    /// Announcements may have been missed (the listener reconnected): re-read everything.
    Resync,
}

/// Held by the server that is starting, from before the migrations until its first start is
/// done (seeding, the first admin, the built-in workflows, the shared keys), so that replicas
/// started together on an empty database do it one after the other: each later one finds the
/// work done and changes nothing. PostgreSQL's session advisory lock; nothing on SQLite.
pub struct StartLock(Option<sqlx::PgConnection>);

impl StartLock {
    /// Lets the next replica start.
    pub async fn release(self) {
        if let Some(mut connection) = self.0 {
            let released = sqlx::query(postgres::START_UNLOCK)
                .execute(&mut connection)
                .await;
            if let Err(error) = released {
                tracing::warn!(%error, "releasing the first-start lock failed; it goes with its connection");
            }
            let _ = sqlx::Connection::close(connection).await;
        }
    }
}

/// Departments and working groups.
#[async_trait]
pub trait DirectoryStore: Send + Sync {
    /// Inserts the seed departments the first time the database is started, and never again
    /// (so departments an operator deactivated or renamed stay as they are). Returns how many
    /// were inserted.
    async fn seed_departments(&self, departments: Vec<NewDepartment>) -> Result<usize>;

    async fn get_department(&self, code: &DepartmentCode) -> Result<Department>;
    async fn list_departments(&self, query: &ListQuery) -> Result<Page<Department>>;
    async fn create_department(&self, department: NewDepartment) -> Result<Department>;
    /// Applies `change` to the current department if `etag` (when not empty) is current.
    async fn update_department(
        &self,
        code: &DepartmentCode,
        etag: &str,
        change: DepartmentChange,
    ) -> Result<Department>;

    async fn get_working_group(&self, id: &GroupId) -> Result<WorkingGroup>;
    async fn list_working_groups(&self, query: &ListQuery) -> Result<Page<WorkingGroup>>;
    async fn create_working_group(&self, group: NewWorkingGroup) -> Result<WorkingGroup>;
    /// Applies `change` to the current group if `etag` (when not empty) is current.
    async fn update_working_group(
        &self,
        id: &GroupId,
        etag: &str,
        change: GroupChange,
    ) -> Result<WorkingGroup>;
}

/// A change to a stored criteria set, applied (and checked by the domain) inside the store's
/// transaction; the set is written only if its revision moved.
pub type SetChange = Box<dyn FnOnce(&mut CriteriaSet) -> Result<()> + Send>;

/// Criteria sets (toetsingskader).
#[async_trait]
pub trait CriteriaStore: Send + Sync {
    /// Stores the shipped template the first time the database is started, and never again (so
    /// a template an operator changed or removed stays so). Returns whether it was stored.
    async fn seed_criteria_template(&self, template: CriteriaSet) -> Result<bool>;
    async fn create_criteria_set(&self, set: CriteriaSet) -> Result<CriteriaSet>;
    async fn get_criteria_set(&self, id: &CriteriaSetId) -> Result<CriteriaSet>;
    async fn list_criteria_sets(&self, query: &ListQuery) -> Result<Page<CriteriaSet>>;
    async fn update_criteria_set(
        &self,
        id: &CriteriaSetId,
        change: SetChange,
    ) -> Result<CriteriaSet>;
}

/// A command on a case, with who asked and the idempotency key.
#[derive(Clone)]
pub struct CaseCommand {
    pub case_id: CaseId,
    pub command: Command,
    pub actor: String,
    /// The client's request id, keyed together with `actor`; empty: not idempotent.
    pub request_id: String,
    /// SHA-256 of the canonical request (`domain::request::RequestKey`), to tell a retry from
    /// a reuse of the id for another call.
    pub request_hash: String,
    /// The RPC, recorded with the request id so that a key reused for another call is refused.
    pub method: &'static str,
    /// The caller's permission check, which the write asks for each need of the command
    /// (`cases::needs`) against the case as the write transaction sees it, so a permission is
    /// never checked against one version of the case and used on another. `None`: no check,
    /// as for a new case (checked from the request) or the server's own work.
    pub permit: Option<Arc<dyn Permit>>,
    /// The roles the actor holds, as (role, domain), for the guards that depend on who acts
    /// (`cycle.reviewer_independent`, `decree.adopted_by_coordinating_minister`); `None` for the
    /// server's own work.
    pub actor_roles: Option<Arc<Vec<(String, String)>>>,
    /// The time of the change (micros), as the application layer's clock read it.
    pub now: i64,
    /// Makes the ids of the cases the command's effects create.
    pub new_id: fn() -> CaseId,
}

impl std::fmt::Debug for CaseCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaseCommand")
            .field("case_id", &self.case_id)
            .field("command", &self.command)
            .field("actor", &self.actor)
            .field("request_id", &self.request_id)
            .field("method", &self.method)
            .field("permit", &self.permit.is_some())
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// What a command did: the case after it and the events it appended (or, for a retried request
/// id, what the first call did).
#[derive(Debug, Clone)]
pub struct Executed {
    pub case: Case,
    pub events: Vec<StoredEvent>,
    pub replayed: bool,
    /// The last event sequence the command appended, counting the events of the cases its
    /// transition's effects created (0 when it appended none).
    pub last_sequence: i64,
}

pub use crate::domain::cases::audit::EventFilter;

/// A published workflow version as stored.
#[derive(Debug, Clone)]
pub struct StoredWorkflow {
    pub file_name: String,
    pub source: String,
    pub publish_time: i64,
}

/// One group of a count of cases: its kind, which flags held (bit `i`: flag `i`), how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseCount {
    pub kind: String,
    pub flags: i64,
    pub count: i64,
}

/// The result of walking the hash chains.
#[derive(Debug, Clone, Default)]
pub struct ChainReport {
    pub cases: i64,
    pub events: i64,
    /// Per case, the first link that does not verify, or where the chain does not end at the
    /// case's stored head (its last events removed).
    pub broken: Vec<BrokenLink>,
    /// The holes in the global sequence (only when every case was walked).
    pub gaps: Vec<SequenceGap>,
    /// The newest sequence in the log.
    pub last_sequence: i64,
}

impl ChainReport {
    /// Nothing is broken and nothing is missing.
    pub fn is_valid(&self) -> bool {
        self.broken.is_empty() && self.gaps.is_empty()
    }
}

/// Cases, their events and the published workflows.
#[async_trait]
pub trait CaseStore: Send + Sync {
    /// Every stored workflow version.
    async fn stored_workflows(&self) -> Result<Vec<StoredWorkflow>>;
    /// How many workflow versions are stored (a replica compares it with what it loaded).
    async fn workflow_count(&self) -> Result<i64>;
    /// Stores a workflow version; ALREADY_EXISTS when that kind and version are stored.
    async fn save_workflow(&self, definition: &WorkflowDefinition, now: i64) -> Result<()>;

    /// The write path: runs `command` through the domain against the current case, and writes
    /// the case, its events (hash-chained) and the request id in one transaction.
    /// Writes are committed in batches (see `batch.rs`); the answer comes after the commit.
    async fn execute(&self, workflows: Arc<Workflows>, command: CaseCommand) -> Result<Executed>;

    async fn get_case(&self, id: &CaseId) -> Result<Case>;
    /// The case as it was at `as_of` (micros) or at `revision`, from its events.
    async fn case_as_of(
        &self,
        id: &CaseId,
        as_of: Option<i64>,
        revision: Option<i64>,
    ) -> Result<Case>;
    async fn list_cases(&self, query: &ListQuery) -> Result<Page<Case>>;
    /// The sub-items of a case.
    async fn children(&self, id: &CaseId) -> Result<Vec<Case>>;
    /// How many cases `filter` matches, per kind and combination of `flags` (`CaseSql::count_cases`).
    async fn count_cases(&self, filter: &Expr, flags: &[Expr]) -> Result<Vec<CaseCount>>;

    async fn list_events(&self, query: &ListQuery) -> Result<Page<StoredEvent>>;
    /// Up to `limit` events after `after`, in sequence order, that match `filter`.
    async fn events_after(
        &self,
        after: i64,
        limit: i64,
        filter: &EventFilter,
    ) -> Result<Vec<StoredEvent>>;
    /// The newest sequence in the log (0 when empty).
    async fn last_sequence(&self) -> Result<i64>;
    async fn verify_chains(&self, case: Option<&CaseId>) -> Result<ChainReport>;

    /// Open cases not yet marked overdue, for the deadline scheduler.
    async fn open_cases_not_overdue(&self) -> Result<Vec<Case>>;
    /// How many open cases are marked overdue (for the `regie.cases.overdue` gauge).
    async fn count_overdue(&self) -> Result<i64>;
    /// Forgets request ids older than `before` (micros); returns how many.
    async fn purge_requests(&self, before: i64) -> Result<u64>;
}

/// The audit log's signed checkpoints (docs/architecture.md, "Tamper evidence").
#[async_trait]
pub trait CheckpointStore: Send + Sync {
    /// Stores `checkpoint` unless one is stored at its sequence; returns the one stored there
    /// (so replicas racing to make the same checkpoint keep one).
    async fn insert_checkpoint(&self, checkpoint: &Checkpoint) -> Result<Checkpoint>;
    /// The newest checkpoint.
    async fn latest_checkpoint(&self) -> Result<Option<Checkpoint>>;
    /// Up to `limit` checkpoints after sequence `after`, oldest first.
    async fn list_checkpoints(&self, after: i64, limit: i64) -> Result<Vec<Checkpoint>>;
    /// The heads of the chains at each of `sequences`, recomputed from the events.
    async fn heads_at(&self, sequences: &[i64]) -> Result<Vec<HeadsAt>>;
}

/// The web console's sessions (migration 0010, docs/architecture.md, "Console"), by the hash
/// of their id.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert_session(&self, session: &crate::domain::session::Session) -> Result<()>;
    async fn session(&self, id_hash: &str) -> Result<Option<crate::domain::session::Session>>;
    async fn touch_session(&self, id_hash: &str, now: i64) -> Result<()>;
    async fn set_session_language(
        &self,
        id_hash: &str,
        language: crate::domain::session::Language,
    ) -> Result<()>;
    async fn delete_session(&self, id_hash: &str) -> Result<()>;
    /// Deletes the sessions whose absolute end is before `before` (micros).
    async fn purge_sessions(&self, before: i64) -> Result<()>;
    /// Stores a one-time sign-in link (migration 0011).
    async fn insert_invite(&self, invite: &crate::domain::session::Invite) -> Result<()>;
    /// Marks the link `id_hash` used and returns its principal's id,
    /// if it was unused and unexpired at `now`: atomically, so that it works once.
    async fn redeem_invite(&self, id_hash: &str, now: i64) -> Result<Option<String>>;
    /// Deletes the links that expired before `before` (micros).
    async fn purge_invites(&self, before: i64) -> Result<()>;
}

/// A change to a stored principal, applied inside the store's transaction.
pub type PrincipalChange = Box<dyn FnOnce(&mut Principal) -> Result<()> + Send>;

/// A Casbin rule as stored: its type (`p` or `g`) and its values.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rule {
    pub ptype: String,
    pub values: Vec<String>,
}

/// A denied call, as the audit keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    pub time: Timestamp,
    /// `principals/{id}`.
    pub principal: String,
    /// The full gRPC method, e.g. `/regie.v1.CaseService/TransitionCase`.
    pub method: String,
    pub object: String,
    pub action: String,
    pub domain: String,
    /// The `ErrorInfo.reason` the caller got.
    pub reason: String,
    /// Denials of this principal not written since its previous row (the cap).
    pub suppressed: i64,
}

/// Principals, tokens, the Casbin rules and the denied calls.
#[async_trait]
pub trait AccessStore: Send + Sync {
    /// On a database without principals: creates `admin` with its token and stores `rules`
    /// (the default policy and the admin's role). Returns false, changing nothing, otherwise.
    async fn bootstrap(
        &self,
        admin: NewPrincipal,
        token: Token,
        secret_hash: String,
        rules: Vec<Rule>,
    ) -> Result<bool>;

    async fn create_principal(&self, principal: NewPrincipal) -> Result<Principal>;
    async fn get_principal(&self, id: &PrincipalId) -> Result<Principal>;
    async fn list_principals(&self, query: &ListQuery) -> Result<Page<Principal>>;
    /// Applies `change` to the current principal if `etag` (when not empty) is current.
    async fn update_principal(
        &self,
        id: &PrincipalId,
        etag: &str,
        change: PrincipalChange,
    ) -> Result<Principal>;

    async fn insert_token(&self, token: &Token, secret_hash: &str) -> Result<()>;
    /// The token with this secret hash and its principal.
    async fn token_by_hash(&self, secret_hash: &str) -> Result<Option<(Token, Principal)>>;
    async fn list_tokens(&self, query: &ListQuery) -> Result<Page<Token>>;
    /// Marks the token revoked (keeping the first revocation time); NOT_FOUND when unknown.
    async fn revoke_token(&self, id: &TokenId, now: Timestamp) -> Result<Token>;
    /// Records when tokens were last used.
    async fn touch_tokens(&self, used: Vec<(TokenId, Timestamp)>) -> Result<()>;

    async fn rules(&self) -> Result<Vec<Rule>>;
    /// Adds the rules not yet stored; returns how many were new.
    async fn add_rules(&self, rules: Vec<Rule>) -> Result<u64>;
    /// Removes the rules; returns how many there were.
    async fn remove_rules(&self, rules: Vec<Rule>) -> Result<u64>;
    /// Counts every change to principals, tokens and rules.
    async fn access_version(&self) -> Result<i64>;

    /// The server secret `name` (hex), shared by every replica: the stored one, or
    /// `candidate` when none was stored yet.
    async fn server_key(&self, name: &str, candidate: &str, now: i64) -> Result<String>;
    async fn record_denials(&self, denials: Vec<Denial>) -> Result<()>;
    /// The newest `limit` denials, newest first.
    async fn list_denials(&self, limit: i64) -> Result<Vec<Denial>>;
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub url: String,
    pub max_connections: u32,
    /// SQLite only: `FULL` (the default) makes every acknowledged commit survive a power cut;
    /// `NORMAL` is faster but may lose the last commits on power loss (never corrupts).
    pub sqlite_synchronous: SqliteSynchronous,
    /// How long a call waits for a pooled connection before it fails with UNAVAILABLE.
    pub acquire_timeout: Duration,
    /// PostgreSQL's limits on every session (zero: none); see [`SessionLimits`].
    pub session: SessionLimits,
    /// PostgreSQL: how often the store checks that the database can be reached.
    pub check_interval: Duration,
}

impl Default for StoreOptions {
    /// The server's defaults, on an in-memory SQLite database.
    fn default() -> Self {
        Self {
            url: "sqlite::memory:".to_owned(),
            max_connections: 16,
            sqlite_synchronous: SqliteSynchronous::Full,
            acquire_timeout: Duration::from_secs(1),
            session: SessionLimits::default(),
            check_interval: Duration::from_millis(500),
        }
    }
}

/// What every PostgreSQL session of the server is held to (docs/architecture.md, "Several
/// replicas"), so that one stalled or vanished replica cannot stall the others for long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// `lock_timeout`: the longest a statement waits for a lock (the write lock among them).
    pub lock_timeout: Duration,
    /// `statement_timeout`: the longest one statement runs.
    pub statement_timeout: Duration,
    /// `idle_in_transaction_session_timeout`: a session that holds a transaction open without
    /// a statement for this long (its process frozen, say) is ended and its locks released.
    pub idle_in_transaction_timeout: Duration,
    /// The server's TCP keepalive on our connections: first probe after this idle time, then
    /// one a second, three unanswered end the session (and `tcp_user_timeout` bounds unacked
    /// data alike), so a replica that vanished without closing its connections releases its
    /// locks within seconds.
    pub keepalive: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            lock_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(30),
            idle_in_transaction_timeout: Duration::from_secs(5),
            keepalive: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    Full,
    Normal,
}

/// A pooled connection idle for this long is pinged before it is handed out.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// Pool settings both backends share. sqlx pings every connection on every acquire by default,
/// one extra round trip per query; a connection in steady use has just proven itself, so only
/// one that sat idle for a while is pinged (a dead one is then replaced before it is handed out).
fn pool_options<DB: sqlx::Database>(options: &StoreOptions) -> sqlx::pool::PoolOptions<DB> {
    sqlx::pool::PoolOptions::<DB>::new()
        .acquire_timeout(options.acquire_timeout)
        .test_before_acquire(false)
        .before_acquire(|connection, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_WHEN_IDLE_FOR {
                    sqlx::Connection::ping(connection).await?;
                }
                Ok(true)
            })
        })
}

/// Opens the database the URL names and applies its migrations.
pub async fn open(options: &StoreOptions) -> anyhow::Result<Arc<dyn Store>> {
    let (store, start) = open_for_start(options).await?;
    start.release().await;
    Ok(store)
}

/// As [`open`], holding the [`StartLock`] from before the migrations: the caller releases it
/// when its first start is done.
pub async fn open_for_start(options: &StoreOptions) -> anyhow::Result<(Arc<dyn Store>, StartLock)> {
    let url = options.url.as_str();
    if url.starts_with("sqlite:") {
        Ok((
            Arc::new(sqlite::SqliteStore::open(options).await?),
            StartLock(None),
        ))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let (store, lock) = postgres::PgStore::open(options).await?;
        Ok((Arc::new(store), StartLock(Some(lock))))
    } else {
        anyhow::bail!(
            "unsupported database URL {}: use sqlite://PATH or postgres://USER@HOST/DATABASE",
            redact_url(url)
        )
    }
}

/// The URL without its password, for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Maps a database error that no caller expects (docs/architecture.md, "Errors"): a database
/// that cannot be reached, is shutting down or restarting, or ran out of connections is
/// UNAVAILABLE (`DATABASE_UNAVAILABLE`); a lock wait or a statement over its timeout is
/// UNAVAILABLE with its own reason, as the same call may simply be retried; a transaction the
/// database aborted for a concurrent one (serialization failure, deadlock) is ABORTED
/// (`DATABASE_CONFLICT`). Anything else is a bug, INTERNAL.
fn db_error(error: sqlx::Error) -> Error {
    use crate::domain::error::reason;
    let unavailable = |reason: &'static str, what: &str| Error::Unavailable {
        reason,
        message: format!("{what}; try again: {error}"),
    };
    match &error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => {
            return unavailable(reason::DATABASE_UNAVAILABLE, "the database is unavailable");
        }
        _ => {}
    }
    let code = error
        .as_database_error()
        .and_then(|db| db.code().map(|c| c.into_owned()));
    match code.as_deref().map(classify) {
        Some(Some(DbFailure::Unavailable)) => {
            unavailable(reason::DATABASE_UNAVAILABLE, "the database is unavailable")
        }
        Some(Some(DbFailure::LockTimeout)) => unavailable(
            reason::DATABASE_LOCK_TIMEOUT,
            "a database lock was not granted within the lock timeout",
        ),
        Some(Some(DbFailure::StatementTimeout)) => unavailable(
            reason::DATABASE_STATEMENT_TIMEOUT,
            "a database statement ran past the statement timeout",
        ),
        Some(Some(DbFailure::Conflict)) => Error::Aborted {
            reason: reason::DATABASE_CONFLICT,
            message: format!(
                "the database aborted the transaction for a concurrent one; nothing was \
                 applied; retry the call: {error}"
            ),
        },
        _ => Error::internal(format!("database error: {error}")),
    }
}

/// The kinds of database failure a client may retry, by SQLSTATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DbFailure {
    Unavailable,
    LockTimeout,
    StatementTimeout,
    Conflict,
}

/// Which retryable failure a SQLSTATE is, if any (PostgreSQL's error codes, appendix A).
fn classify(sqlstate: &str) -> Option<DbFailure> {
    match sqlstate {
        // Class 08: connection exception; 57P01 admin_shutdown, 57P02 crash_shutdown,
        // 57P03 cannot_connect_now (starting up, shutting down, in recovery), 57P05
        // idle_session_timeout; 53300 too_many_connections; 25P03
        // idle_in_transaction_session_timeout (our session was ended); 25006
        // read_only_sql_transaction (we reached a standby after a switch-over).
        s if s.starts_with("08") => Some(DbFailure::Unavailable),
        "57P01" | "57P02" | "57P03" | "57P05" | "53300" | "25P03" | "25006" => {
            Some(DbFailure::Unavailable)
        }
        // lock_not_available: lock_timeout (or NOWAIT).
        "55P03" => Some(DbFailure::LockTimeout),
        // query_canceled: statement_timeout (or a cancel request).
        "57014" => Some(DbFailure::StatementTimeout),
        // serialization_failure, deadlock_detected.
        "40001" | "40P01" => Some(DbFailure::Conflict),
        _ => None,
    }
}

/// Whether `error` says the database could not be reached (so the store's connectivity check
/// should look at once).
pub fn is_connection_failure(error: &Error) -> bool {
    error.reason() == crate::domain::error::reason::DATABASE_UNAVAILABLE
}

/// Maps an error of an insert or update: a duplicate key means `resource` exists; a missing
/// referenced row means a reference was dangling.
fn write_error(error: sqlx::Error, resource: &str) -> Error {
    if let Some(db) = error.as_database_error() {
        if db.is_unique_violation() {
            return Error::already_exists(resource);
        }
        if db.is_foreign_key_violation() {
            return Error::failed_precondition(
                crate::domain::error::reason::REFERENCED_RESOURCE_MISSING,
                format!("{resource} refers to a resource that does not exist"),
            );
        }
    }
    db_error(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_database_failures_are_never_internal() {
        use crate::domain::error::reason;
        for (sqlstate, expected) in [
            ("08006", DbFailure::Unavailable),
            ("57P01", DbFailure::Unavailable),
            ("57P03", DbFailure::Unavailable),
            ("55P03", DbFailure::LockTimeout),
            ("57014", DbFailure::StatementTimeout),
            ("40001", DbFailure::Conflict),
            ("40P01", DbFailure::Conflict),
        ] {
            assert_eq!(classify(sqlstate), Some(expected), "{sqlstate}");
        }
        assert_eq!(classify("23505"), None);
        let lost = db_error(sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        )));
        assert_eq!(lost.reason(), reason::DATABASE_UNAVAILABLE);
        assert_eq!(
            db_error(sqlx::Error::PoolTimedOut).reason(),
            reason::DATABASE_UNAVAILABLE
        );
    }

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            redact_url("postgres://regie:s3cret@db:5432/regie"),
            "postgres://regie:***@db:5432/regie"
        );
        assert_eq!(
            redact_url("postgres://regie@db/regie"),
            "postgres://regie@db/regie"
        );
        assert_eq!(redact_url("sqlite://regie.db"), "sqlite://regie.db");
    }
}
