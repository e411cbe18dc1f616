//! The PostgreSQL backend, for installations that outgrow one machine: several server replicas
//! share one database (docs/architecture.md, "Several replicas"). A replica's first start
//! (migrations, seeding, the first admin, the shared keys) runs under a session advisory lock
//! (`StartLock`), so replicas started together on an empty database take turns. Every session
//! carries a lock, statement and idle-in-transaction timeout and a short TCP keepalive
//! (`SessionLimits`); `pg_link.rs` tells when the database cannot be reached (calls then fail
//! at once) and hands on what other replicas announce over LISTEN/NOTIFY, which this store
//! sends after every change another replica caches. Read-modify-write transactions lock the row they change
//! (`SELECT … FOR UPDATE`), so concurrent updates queue instead of overwriting each other.
//! Case writes go through one writer task per replica, which commits whatever has queued up in
//! one transaction (`batch.rs`) under an advisory lock that orders event sequences across
//! replicas.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::postgres::{PgPool, PgQueryResult};
use sqlx::{PgConnection, Postgres};

use super::access_sql::AccessSql;
use super::batch::Writes;
use super::case_sql::{CaseSql, PURGE_REQUESTS};
use super::checkpoint_sql::CheckpointSql;
use super::criteria_sql::CriteriaSql;
use super::directory_sql::DirectorySql;
use super::lease_sql::LeaseSql;
use super::pg_hosts::Hosts;
use super::pg_link::{self, Link};
use super::sql::RowsAffected;
use super::unit::{self, Staged, StoredRequest};
use super::{
    AccessStore, CaseCommand, CaseCount, CaseStore, ChainReport, Change, CriteriaStore, Denial,
    DepartmentChange, DirectoryStore, EventFilter, Executed, GroupChange, PrincipalChange, Rule,
    SetChange, StoreOptions, StoredWorkflow, db_error, redact_url,
};
use crate::domain::Result;
use crate::domain::access::{NewPrincipal, Principal, PrincipalId, Token, TokenId};
use crate::domain::cases::audit::StoredEvent;
use crate::domain::cases::audit::checkpoint::{Checkpoint, HeadsAt};
use crate::domain::cases::{Case, CaseId};
use crate::domain::criteria::{CriteriaSet, CriteriaSetId};
use crate::domain::directory::{
    Department, DepartmentCode, NewDepartment, NewWorkingGroup, WorkingGroup,
};
use crate::domain::filter::Expr;
use crate::domain::listing::{ListQuery, Page};
use crate::domain::names::GroupId;
use crate::domain::time::Timestamp;
use crate::domain::workflow::{WorkflowDefinition, Workflows};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub struct PgStore {
    pool: PgPool,
    /// The queue to the case writer task.
    writes: Writes,
    /// Whether the database can be reached, and what other replicas announce.
    link: Arc<Link>,
}

/// What the case writer task holds.
#[derive(Clone)]
pub struct PgWriter {
    pool: PgPool,
    link: Arc<Link>,
}

type Sql = CaseSql<Postgres>;
type Directory = DirectorySql<Postgres>;
type Access = AccessSql<Postgres>;
type Criteria = CriteriaSql<Postgres>;
type Checkpoints = CheckpointSql<Postgres>;

/// The row-lock clause of a read-modify-write: the row it changes stays locked until the
/// transaction ends, so concurrent updates queue instead of overwriting each other.
const ROW_LOCK: &str = " FOR UPDATE";

impl RowsAffected for PgQueryResult {
    fn rows_affected(&self) -> u64 {
        PgQueryResult::rows_affected(self)
    }
}

/// Makes a read transaction see one snapshot for all its statements (PostgreSQL's default, READ
/// COMMITTED, takes one per statement).
const SNAPSHOT: &str = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";

/// The advisory lock every case write transaction takes, so that event sequences follow commit
/// order across replicas.
const WRITE_LOCK: &str = "SELECT pg_advisory_xact_lock(7260010)";

/// The session advisory lock of the first start (`StartLock`): migrations, seeding, the first
/// admin and the shared keys, one replica after the other.
const START_LOCK: &str = "SELECT pg_advisory_lock(7260011)";
pub(super) const START_UNLOCK: &str = "SELECT pg_advisory_unlock(7260011)";

/// The unit of work on PostgreSQL: the batch's transaction takes the advisory lock, reads the
/// next sequence under it (so no other replica appends in between), and locks the case rows it
/// changes (`FOR UPDATE`).
impl unit::Backend for PgWriter {
    type Tx = sqlx::Transaction<'static, Postgres>;

    async fn begin(&self) -> Result<(Self::Tx, i64)> {
        self.link.check()?;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        sqlx::query(WRITE_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let last = Sql::last_sequence(&mut *tx).await?;
        Ok((tx, last))
    }

    async fn cases(&self, tx: &mut Self::Tx, ids: Vec<String>) -> Result<Vec<(Case, String)>> {
        Sql::cases_for_update(tx, ids, ROW_LOCK).await
    }

    async fn requests(
        &self,
        tx: &mut Self::Tx,
        keys: Vec<super::unit::RequestKey>,
    ) -> Result<Vec<StoredRequest>> {
        Sql::requests(tx, keys).await
    }

    async fn children(&self, tx: &mut Self::Tx, id: &CaseId) -> Result<Vec<Case>> {
        Sql::children(&mut **tx, id).await
    }

    async fn events(&self, tx: &mut Self::Tx, sequences: Vec<i64>) -> Result<Vec<StoredEvent>> {
        Sql::events_by_sequence(&mut **tx, sequences).await
    }

    async fn flush(&self, tx: &mut Self::Tx, staged: &Staged) -> Result<()> {
        Sql::flush(tx, staged).await
    }

    async fn commit(&self, mut tx: Self::Tx, last_sequence: i64) -> Result<()> {
        // Delivered to every listening replica when (and only if) the transaction commits.
        // A failed statement aborts the transaction, which COMMIT would then roll back without
        // an error: so the write fails here instead.
        pg_link::announce(&mut *tx, &Change::Events(last_sequence))
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)
    }
}

impl PgStore {
    const BACKEND: &'static str = "postgres";

    /// Connects, takes the first-start lock (waiting for a replica that holds it), applies the
    /// migrations on the lock's connection and starts the pool, the writer and the link tasks.
    /// The lock's connection is handed back to be released when the first start is done.
    pub async fn open(options: &StoreOptions) -> anyhow::Result<(Self, PgConnection)> {
        let hosts = Arc::new(connect_hosts(options)?);
        let redacted = redact_url(&options.url);
        // The first start may wait for another replica's, and migrations may take long: no
        // lock or statement timeout on this one connection.
        let (current, mut start) = hosts
            .choose(FIRST_CONNECT_TIMEOUT, |c| {
                c.options([("lock_timeout", "0"), ("statement_timeout", "0")])
            })
            .await
            .with_context(|| format!("cannot connect to {redacted}"))?;
        sqlx::query(START_LOCK)
            .execute(&mut start)
            .await
            .with_context(|| format!("taking the first-start lock on {redacted}"))?;
        MIGRATOR
            .run(&mut start)
            .await
            .context("applying the PostgreSQL migrations")?;
        let link = Link::new();
        let pinged = link.clone();
        let checked = hosts.clone();
        let pool = super::pool_options::<Postgres>(options)
            .max_connections(options.max_connections.max(3))
            .after_connect(move |connection, _| {
                let hosts = checked.clone();
                Box::pin(async move { hosts.acceptable(connection).await })
            })
            .before_acquire(move |connection, meta| {
                // A connection to a host the store has left is dropped; after a failure, one
                // older than it is tested first: it may have died with a database restart.
                let left = pinged.predates_switch(meta.age);
                let test =
                    meta.idle_for >= super::PING_WHEN_IDLE_FOR || pinged.predates_failure(meta.age);
                Box::pin(async move {
                    if left {
                        return Ok(false);
                    }
                    if test {
                        sqlx::Connection::ping(connection).await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(hosts.candidates[current].clone())
            .await
            .with_context(|| format!("cannot connect to {redacted}"))?;
        pg_link::start(
            pool.clone(),
            hosts,
            current,
            link.clone(),
            options.check_interval,
        );
        let writes = Writes::start(PgWriter {
            pool: pool.clone(),
            link: link.clone(),
        });
        Ok((Self { pool, writes, link }, start))
    }

    /// The pool, or UNAVAILABLE at once while the database is known to be unreachable.
    fn pool(&self) -> Result<&PgPool> {
        self.link.check()?;
        Ok(&self.pool)
    }

    /// Tells the other replicas (through the database) that something they cache changed.
    /// A hint (the polls are the safety net), so a failure is only logged.
    async fn announce(&self, change: Change) {
        if let Err(error) = pg_link::announce(&self.pool, &change).await {
            tracing::debug!(%error, "announcing a change to the other replicas failed");
        }
    }
}

/// How long the first connection may take, per host.
const FIRST_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The connection settings of each host the URL names (`pg_hosts.rs`), with the session limits
/// of `options` (docs/architecture.md, "Several replicas") and an application name that tells
/// Regie's sessions apart in `pg_stat_activity`, unless the URL names one.
fn connect_hosts(options: &StoreOptions) -> anyhow::Result<Hosts> {
    let mut hosts = Hosts::parse(&options.url)
        .with_context(|| format!("invalid PostgreSQL URL {}", redact_url(&options.url)))?;
    let limits = options.session;
    let millis = |d: Duration| d.as_millis().to_string();
    let keepalive = limits.keepalive.as_secs().max(1);
    hosts.candidates = hosts
        .candidates
        .into_iter()
        .map(|connect| {
            let connect = connect.options([
                ("lock_timeout", millis(limits.lock_timeout)),
                ("statement_timeout", millis(limits.statement_timeout)),
                (
                    "idle_in_transaction_session_timeout",
                    millis(limits.idle_in_transaction_timeout),
                ),
                ("tcp_keepalives_idle", keepalive.to_string()),
                ("tcp_keepalives_interval", "1".to_owned()),
                ("tcp_keepalives_count", "3".to_owned()),
                ("tcp_user_timeout", ((keepalive + 3) * 1000).to_string()),
            ]);
            match connect.get_application_name() {
                Some(_) => connect,
                None => connect.application_name("regie-server"),
            }
        })
        .collect();
    Ok(hosts)
}

#[async_trait::async_trait]
impl DirectoryStore for PgStore {
    async fn seed_departments(&self, departments: Vec<NewDepartment>) -> Result<usize> {
        Directory::seed_departments(self.pool()?, departments).await
    }

    async fn get_department(&self, code: &DepartmentCode) -> Result<Department> {
        Directory::get_department(self.pool()?, code).await
    }

    async fn list_departments(&self, query: &ListQuery) -> Result<Page<Department>> {
        Directory::list_departments(self.pool()?, query).await
    }

    async fn create_department(&self, department: NewDepartment) -> Result<Department> {
        Directory::create_department(self.pool()?, department).await
    }

    async fn update_department(
        &self,
        code: &DepartmentCode,
        etag: &str,
        change: DepartmentChange,
    ) -> Result<Department> {
        Directory::update_department(self.pool()?, ROW_LOCK, code, etag, change).await
    }

    async fn get_working_group(&self, id: &GroupId) -> Result<WorkingGroup> {
        Directory::get_working_group(self.pool()?, id).await
    }

    async fn list_working_groups(&self, query: &ListQuery) -> Result<Page<WorkingGroup>> {
        Directory::list_working_groups(self.pool()?, query).await
    }

    async fn create_working_group(&self, group: NewWorkingGroup) -> Result<WorkingGroup> {
        Directory::create_working_group(self.pool()?, group).await
    }

    async fn update_working_group(
        &self,
        id: &GroupId,
        etag: &str,
        change: GroupChange,
    ) -> Result<WorkingGroup> {
        Directory::update_working_group(self.pool()?, ROW_LOCK, id, etag, change).await
    }
}

#[async_trait::async_trait]
impl CaseStore for PgStore {
    async fn stored_workflows(&self) -> Result<Vec<StoredWorkflow>> {
        Sql::stored_workflows(self.pool()?).await
    }

    async fn workflow_count(&self) -> Result<i64> {
        Sql::workflow_count(self.pool()?).await
    }

    async fn save_workflow(&self, definition: &WorkflowDefinition, now: i64) -> Result<()> {
        let done = Sql::save_workflow(self.pool()?, definition, now).await?;
        self.announce(Change::Workflows).await;
        Ok(done)
    }

    async fn execute(&self, workflows: Arc<Workflows>, command: CaseCommand) -> Result<Executed> {
        self.writes.submit(workflows, command).await
    }

    async fn get_case(&self, id: &CaseId) -> Result<Case> {
        Sql::get_case(self.pool()?, id).await
    }

    async fn case_as_of(
        &self,
        id: &CaseId,
        as_of: Option<i64>,
        revision: Option<i64>,
    ) -> Result<Case> {
        Sql::case_as_of(self.pool()?, id, as_of, revision).await
    }

    async fn list_cases(&self, query: &ListQuery) -> Result<Page<Case>> {
        Sql::list_cases(self.pool()?, Self::BACKEND, query).await
    }

    async fn count_cases(&self, filter: &Expr, flags: &[Expr]) -> Result<Vec<CaseCount>> {
        Sql::count_cases(self.pool()?, filter, flags).await
    }

    async fn children(&self, id: &CaseId) -> Result<Vec<Case>> {
        Sql::children(self.pool()?, id).await
    }

    async fn list_events(&self, query: &ListQuery) -> Result<Page<StoredEvent>> {
        Sql::list_events(self.pool()?, Self::BACKEND, query).await
    }

    async fn events_after(
        &self,
        after: i64,
        limit: i64,
        filter: &EventFilter,
    ) -> Result<Vec<StoredEvent>> {
        Sql::events_after(self.pool()?, after, limit, filter).await
    }

    async fn last_sequence(&self) -> Result<i64> {
        Sql::last_sequence(self.pool()?).await
    }

    async fn verify_chains(&self, case: Option<&CaseId>) -> Result<ChainReport> {
        Sql::verify_chains(self.pool()?, SNAPSHOT, case).await
    }

    async fn open_cases_not_overdue(&self) -> Result<Vec<Case>> {
        Sql::open_cases_not_overdue(self.pool()?).await
    }

    async fn count_overdue(&self) -> Result<i64> {
        Sql::count_overdue(self.pool()?).await
    }

    async fn purge_requests(&self, before: i64) -> Result<u64> {
        let purged = sqlx::query(PURGE_REQUESTS)
            .bind(before)
            .execute(self.pool()?)
            .await
            .map_err(db_error)?;
        Ok(purged.rows_affected())
    }
}

#[async_trait::async_trait]
impl AccessStore for PgStore {
    async fn bootstrap(
        &self,
        admin: NewPrincipal,
        token: Token,
        secret_hash: String,
        rules: Vec<Rule>,
    ) -> Result<bool> {
        let done = Access::bootstrap(self.pool()?, admin, token, secret_hash, rules).await?;
        self.announce(Change::Access).await;
        Ok(done)
    }

    async fn create_principal(&self, principal: NewPrincipal) -> Result<Principal> {
        let done = Access::create_principal(self.pool()?, self.pool()?, principal).await?;
        self.announce(Change::Access).await;
        Ok(done)
    }

    async fn get_principal(&self, id: &PrincipalId) -> Result<Principal> {
        Access::get_principal(self.pool()?, id).await
    }

    async fn list_principals(&self, query: &ListQuery) -> Result<Page<Principal>> {
        Access::list_principals(self.pool()?, query).await
    }

    async fn update_principal(
        &self,
        id: &PrincipalId,
        etag: &str,
        change: PrincipalChange,
    ) -> Result<Principal> {
        let done = Access::update_principal(self.pool()?, ROW_LOCK, id, etag, change).await?;
        self.announce(Change::Access).await;
        Ok(done)
    }

    async fn insert_token(&self, token: &Token, secret_hash: &str) -> Result<()> {
        let done = Access::insert_token(self.pool()?, token, secret_hash).await?;
        self.announce(Change::Access).await;
        Ok(done)
    }

    async fn token_by_hash(&self, secret_hash: &str) -> Result<Option<(Token, Principal)>> {
        Access::token_by_hash(self.pool()?, secret_hash).await
    }

    async fn list_tokens(&self, query: &ListQuery) -> Result<Page<Token>> {
        Access::list_tokens(self.pool()?, query).await
    }

    async fn revoke_token(&self, id: &TokenId, now: Timestamp) -> Result<Token> {
        let done = Access::revoke_token(self.pool()?, id, now).await?;
        self.announce(Change::Access).await;
        Ok(done)
    }

    async fn touch_tokens(&self, used: Vec<(TokenId, Timestamp)>) -> Result<()> {
        Access::touch_tokens(self.pool()?, used).await
    }

    async fn rules(&self) -> Result<Vec<Rule>> {
        Access::rules(self.pool()?).await
    }

    async fn add_rules(&self, rules: Vec<Rule>) -> Result<u64> {
        let done = Access::add_rules(self.pool()?, rules).await?;
        self.announce(Change::Access).await;
        Ok(done)
    }

    async fn remove_rules(&self, rules: Vec<Rule>) -> Result<u64> {
        let done = Access::remove_rules(self.pool()?, rules).await?;
        self.announce(Change::Access).await;
        Ok(done)
    }

    async fn access_version(&self) -> Result<i64> {
        Access::access_version(self.pool()?).await
    }

    async fn server_key(&self, name: &str, candidate: &str, now: i64) -> Result<String> {
        Access::server_key(self.pool()?, name, candidate, now).await
    }

    async fn record_denials(&self, denials: Vec<Denial>) -> Result<()> {
        Access::record_denials(self.pool()?, denials).await
    }

    async fn list_denials(&self, limit: i64) -> Result<Vec<Denial>> {
        Access::list_denials(self.pool()?, limit).await
    }
}

#[async_trait::async_trait]
impl CriteriaStore for PgStore {
    async fn seed_criteria_template(&self, template: CriteriaSet) -> Result<bool> {
        Criteria::seed_criteria_template(self.pool()?, template).await
    }

    async fn create_criteria_set(&self, set: CriteriaSet) -> Result<CriteriaSet> {
        Criteria::create_criteria_set(self.pool()?, set).await
    }

    async fn get_criteria_set(&self, id: &CriteriaSetId) -> Result<CriteriaSet> {
        Criteria::get_criteria_set(self.pool()?, id).await
    }

    async fn list_criteria_sets(&self, query: &ListQuery) -> Result<Page<CriteriaSet>> {
        Criteria::list_criteria_sets(self.pool()?, query).await
    }

    async fn update_criteria_set(
        &self,
        id: &CriteriaSetId,
        change: SetChange,
    ) -> Result<CriteriaSet> {
        Criteria::update_criteria_set(self.pool()?, ROW_LOCK, id, change).await
    }
}

#[async_trait::async_trait]
impl super::CheckpointStore for PgStore {
    async fn insert_checkpoint(&self, checkpoint: &Checkpoint) -> Result<Checkpoint> {
        Checkpoints::insert(self.pool()?, checkpoint).await
    }

    async fn latest_checkpoint(&self) -> Result<Option<Checkpoint>> {
        Checkpoints::latest(self.pool()?).await
    }

    async fn list_checkpoints(&self, after: i64, limit: i64) -> Result<Vec<Checkpoint>> {
        Checkpoints::list(self.pool()?, after, limit).await
    }

    async fn heads_at(&self, sequences: &[i64]) -> Result<Vec<HeadsAt>> {
        Checkpoints::heads_at(self.pool()?, sequences).await
    }
}

#[async_trait::async_trait]
impl super::SessionStore for PgStore {
    async fn insert_session(&self, session: &crate::domain::session::Session) -> Result<()> {
        super::session_sql::SessionSql::<sqlx::Postgres>::insert(self.pool()?, session).await
    }

    async fn session(&self, id_hash: &str) -> Result<Option<crate::domain::session::Session>> {
        super::session_sql::SessionSql::<sqlx::Postgres>::get(self.pool()?, id_hash).await
    }

    async fn touch_session(&self, id_hash: &str, now: i64) -> Result<()> {
        super::session_sql::SessionSql::<sqlx::Postgres>::touch(self.pool()?, id_hash, now).await
    }

    async fn set_session_language(
        &self,
        id_hash: &str,
        language: crate::domain::session::Language,
    ) -> Result<()> {
        super::session_sql::SessionSql::<sqlx::Postgres>::set_language(
            self.pool()?,
            id_hash,
            language,
        )
        .await
    }

    async fn delete_session(&self, id_hash: &str) -> Result<()> {
        super::session_sql::SessionSql::<sqlx::Postgres>::delete(self.pool()?, id_hash).await
    }

    async fn purge_sessions(&self, before: i64) -> Result<()> {
        super::session_sql::SessionSql::<sqlx::Postgres>::purge(self.pool()?, before).await
    }

    async fn insert_invite(&self, invite: &crate::domain::session::Invite) -> Result<()> {
        super::session_sql::SessionSql::<sqlx::Postgres>::insert_invite(self.pool()?, invite).await
    }

    async fn redeem_invite(&self, id_hash: &str, now: i64) -> Result<Option<String>> {
        super::session_sql::SessionSql::<sqlx::Postgres>::redeem_invite(self.pool()?, id_hash, now)
            .await
    }

    async fn purge_invites(&self, before: i64) -> Result<()> {
        super::session_sql::SessionSql::<sqlx::Postgres>::purge_invites(self.pool()?, before).await
    }
}

#[async_trait::async_trait]
impl super::Store for PgStore {
    fn backend(&self) -> &'static str {
        Self::BACKEND
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    fn pools_in_use(&self) -> Vec<(&'static str, i64)> {
        vec![(
            "pool",
            i64::from(self.pool.size()) - self.pool.num_idle() as i64,
        )]
    }

    fn reachable(&self) -> tokio::sync::watch::Receiver<bool> {
        self.link.reachable()
    }

    fn changes(&self) -> Option<tokio::sync::broadcast::Receiver<Change>> {
        Some(self.link.changes())
    }

    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        expire_time: i64,
    ) -> Result<bool> {
        LeaseSql::<Postgres>::take(self.pool()?, name, holder, now, expire_time).await
    }

    async fn give_up_lease(&self, name: &str, holder: &str) -> Result<()> {
        LeaseSql::<Postgres>::give_up(self.pool()?, name, holder).await
    }
}
