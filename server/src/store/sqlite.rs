//! The embedded SQLite backend, the default: one file, nothing else to run.
//!
//! Writes go through a single connection, so transactions never contend for SQLite's one write
//! lock (no `SQLITE_BUSY` under load), and case writes that arrive together share one commit
//! (`batch.rs`); reads use a pool of read-only connections, which WAL mode lets run alongside
//! the writer. Foreign keys are enforced and `synchronous=FULL` is the
//! default, so a commit that was acknowledged survives a crash or power cut.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use anyhow::Context as _;
use sqlx::Sqlite;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteQueryResult, SqliteSynchronous,
};

use super::access_sql::AccessSql;
use super::batch::Writes;
use super::case_sql::{CaseSql, PURGE_REQUESTS};
use super::checkpoint_sql::CheckpointSql;
use super::criteria_sql::CriteriaSql;
use super::directory_sql::DirectorySql;
use super::lease_sql::LeaseSql;
use super::sql::RowsAffected;
use super::unit::{self, Staged, StoredRequest};
use super::{
    AccessStore, CaseCommand, CaseCount, CaseStore, ChainReport, CriteriaStore, Denial,
    DepartmentChange, DirectoryStore, EventFilter, Executed, GroupChange, PrincipalChange, Rule,
    SetChange, SqliteSynchronous as Synchronous, StoreOptions, StoredWorkflow, db_error,
    redact_url,
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

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    /// The queue to the case writer task.
    writes: Writes,
}

/// What the case writer task holds: the writer connection and the newest event sequence.
#[derive(Clone)]
pub struct SqliteWriter {
    pool: SqlitePool,
    /// The newest event sequence committed. Only the single writer connection appends events,
    /// so the next sequence can be known without asking the database.
    last_sequence: Arc<AtomicI64>,
}

type Sql = CaseSql<Sqlite>;
type Directory = DirectorySql<Sqlite>;
type Access = AccessSql<Sqlite>;
type Criteria = CriteriaSql<Sqlite>;
type Checkpoints = CheckpointSql<Sqlite>;

/// The row-lock clause of a read-modify-write: none, as the single writer connection leaves no
/// one else to change the row inside a write transaction.
const ROW_LOCK: &str = "";

impl RowsAffected for SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        SqliteQueryResult::rows_affected(self)
    }
}

/// The unit of work on SQLite: the single writer connection makes every write transaction
/// exclusive, so no lock is taken, no row is locked, and the next sequence is known in memory.
impl unit::Backend for SqliteWriter {
    type Tx = sqlx::Transaction<'static, Sqlite>;

    async fn begin(&self) -> Result<(Self::Tx, i64)> {
        let tx = self.pool.begin().await.map_err(db_error)?;
        Ok((tx, self.last_sequence.load(Ordering::SeqCst)))
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

    /// Commits, then records the last sequence (a rolled-back transaction never gets here, so
    /// a failed write leaves no gap behind).
    async fn commit(&self, tx: Self::Tx, last_sequence: i64) -> Result<()> {
        tx.commit().await.map_err(db_error)?;
        self.last_sequence.store(last_sequence, Ordering::SeqCst);
        Ok(())
    }
}

impl SqliteStore {
    const BACKEND: &'static str = "sqlite";

    pub async fn open(options: &StoreOptions) -> anyhow::Result<Self> {
        let synchronous = match options.sqlite_synchronous {
            Synchronous::Full => SqliteSynchronous::Full,
            Synchronous::Normal => SqliteSynchronous::Normal,
        };
        let connect = SqliteConnectOptions::from_str(&options.url)
            .with_context(|| format!("invalid SQLite URL {}", redact_url(&options.url)))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(options.acquire_timeout)
            .synchronous(synchronous);
        let in_memory = options.url.contains(":memory:") || options.url.contains("mode=memory");
        if !in_memory {
            // The database is the owner's alone (SQLite gives its -wal and -shm files the same
            // mode).
            let path = connect.get_filename();
            let tightened = regie_support::ensure_private_file(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            if tightened {
                tracing::warn!(path = %path.display(), "the database file was readable by others; it is now 0600");
            }
        }
        let writer = super::pool_options::<Sqlite>(options)
            .max_connections(1)
            .connect_with(connect.clone())
            .await
            .with_context(|| format!("cannot open {}", redact_url(&options.url)))?;
        MIGRATOR
            .run(&writer)
            .await
            .context("applying the SQLite migrations")?;
        // An in-memory database exists only inside its one connection, so it cannot have readers.
        let reader = if in_memory {
            writer.clone()
        } else {
            super::pool_options::<Sqlite>(options)
                .max_connections(options.max_connections.max(1))
                .connect_with(connect.read_only(true))
                .await
                .with_context(|| format!("cannot open {} for reading", redact_url(&options.url)))?
        };
        let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(sequence), 0) FROM events")
            .fetch_one(&writer)
            .await
            .context("reading the event log")?;
        let writes = Writes::start(SqliteWriter {
            pool: writer.clone(),
            last_sequence: Arc::new(AtomicI64::new(last)),
        });
        Ok(Self {
            writer,
            reader,
            writes,
        })
    }

    /// A writer on this store's writer connection, for the unit of work's tests (it does not
    /// share the store's writer task, so a test must not mix the two).
    #[cfg(test)]
    pub(crate) async fn test_writer(&self) -> SqliteWriter {
        let last = Sql::last_sequence(&self.writer)
            .await
            .expect("last sequence");
        SqliteWriter {
            pool: self.writer.clone(),
            last_sequence: Arc::new(AtomicI64::new(last)),
        }
    }
}

#[async_trait::async_trait]
impl DirectoryStore for SqliteStore {
    async fn seed_departments(&self, departments: Vec<NewDepartment>) -> Result<usize> {
        Directory::seed_departments(&self.writer, departments).await
    }

    async fn get_department(&self, code: &DepartmentCode) -> Result<Department> {
        Directory::get_department(&self.reader, code).await
    }

    async fn list_departments(&self, query: &ListQuery) -> Result<Page<Department>> {
        Directory::list_departments(&self.reader, query).await
    }

    async fn create_department(&self, department: NewDepartment) -> Result<Department> {
        Directory::create_department(&self.writer, department).await
    }

    async fn update_department(
        &self,
        code: &DepartmentCode,
        etag: &str,
        change: DepartmentChange,
    ) -> Result<Department> {
        Directory::update_department(&self.writer, ROW_LOCK, code, etag, change).await
    }

    async fn get_working_group(&self, id: &GroupId) -> Result<WorkingGroup> {
        Directory::get_working_group(&self.reader, id).await
    }

    async fn list_working_groups(&self, query: &ListQuery) -> Result<Page<WorkingGroup>> {
        Directory::list_working_groups(&self.reader, query).await
    }

    async fn create_working_group(&self, group: NewWorkingGroup) -> Result<WorkingGroup> {
        Directory::create_working_group(&self.writer, group).await
    }

    async fn update_working_group(
        &self,
        id: &GroupId,
        etag: &str,
        change: GroupChange,
    ) -> Result<WorkingGroup> {
        Directory::update_working_group(&self.writer, ROW_LOCK, id, etag, change).await
    }
}

#[async_trait::async_trait]
impl CaseStore for SqliteStore {
    async fn stored_workflows(&self) -> Result<Vec<StoredWorkflow>> {
        Sql::stored_workflows(&self.reader).await
    }

    async fn workflow_count(&self) -> Result<i64> {
        Sql::workflow_count(&self.reader).await
    }

    async fn save_workflow(&self, definition: &WorkflowDefinition, now: i64) -> Result<()> {
        Sql::save_workflow(&self.writer, definition, now).await
    }

    async fn execute(&self, workflows: Arc<Workflows>, command: CaseCommand) -> Result<Executed> {
        self.writes.submit(workflows, command).await
    }

    async fn get_case(&self, id: &CaseId) -> Result<Case> {
        Sql::get_case(&self.reader, id).await
    }

    async fn case_as_of(
        &self,
        id: &CaseId,
        as_of: Option<i64>,
        revision: Option<i64>,
    ) -> Result<Case> {
        Sql::case_as_of(&self.reader, id, as_of, revision).await
    }

    async fn list_cases(&self, query: &ListQuery) -> Result<Page<Case>> {
        Sql::list_cases(&self.reader, Self::BACKEND, query).await
    }

    async fn count_cases(&self, filter: &Expr, flags: &[Expr]) -> Result<Vec<CaseCount>> {
        Sql::count_cases(&self.reader, filter, flags).await
    }

    async fn children(&self, id: &CaseId) -> Result<Vec<Case>> {
        Sql::children(&self.reader, id).await
    }

    async fn list_events(&self, query: &ListQuery) -> Result<Page<StoredEvent>> {
        Sql::list_events(&self.reader, Self::BACKEND, query).await
    }

    async fn events_after(
        &self,
        after: i64,
        limit: i64,
        filter: &EventFilter,
    ) -> Result<Vec<StoredEvent>> {
        Sql::events_after(&self.reader, after, limit, filter).await
    }

    async fn last_sequence(&self) -> Result<i64> {
        Sql::last_sequence(&self.reader).await
    }

    async fn verify_chains(&self, case: Option<&CaseId>) -> Result<ChainReport> {
        // A WAL read transaction sees one snapshot from its first read on.
        Sql::verify_chains(&self.reader, "", case).await
    }

    async fn open_cases_not_overdue(&self) -> Result<Vec<Case>> {
        Sql::open_cases_not_overdue(&self.reader).await
    }

    async fn count_overdue(&self) -> Result<i64> {
        Sql::count_overdue(&self.reader).await
    }

    async fn purge_requests(&self, before: i64) -> Result<u64> {
        let purged = sqlx::query(PURGE_REQUESTS)
            .bind(before)
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(purged.rows_affected())
    }
}

#[async_trait::async_trait]
impl AccessStore for SqliteStore {
    async fn bootstrap(
        &self,
        admin: NewPrincipal,
        token: Token,
        secret_hash: String,
        rules: Vec<Rule>,
    ) -> Result<bool> {
        Access::bootstrap(&self.writer, admin, token, secret_hash, rules).await
    }

    async fn create_principal(&self, principal: NewPrincipal) -> Result<Principal> {
        Access::create_principal(&self.writer, &self.reader, principal).await
    }

    async fn get_principal(&self, id: &PrincipalId) -> Result<Principal> {
        Access::get_principal(&self.reader, id).await
    }

    async fn list_principals(&self, query: &ListQuery) -> Result<Page<Principal>> {
        Access::list_principals(&self.reader, query).await
    }

    async fn update_principal(
        &self,
        id: &PrincipalId,
        etag: &str,
        change: PrincipalChange,
    ) -> Result<Principal> {
        Access::update_principal(&self.writer, ROW_LOCK, id, etag, change).await
    }

    async fn insert_token(&self, token: &Token, secret_hash: &str) -> Result<()> {
        Access::insert_token(&self.writer, token, secret_hash).await
    }

    async fn token_by_hash(&self, secret_hash: &str) -> Result<Option<(Token, Principal)>> {
        Access::token_by_hash(&self.reader, secret_hash).await
    }

    async fn list_tokens(&self, query: &ListQuery) -> Result<Page<Token>> {
        Access::list_tokens(&self.reader, query).await
    }

    async fn revoke_token(&self, id: &TokenId, now: Timestamp) -> Result<Token> {
        Access::revoke_token(&self.writer, id, now).await
    }

    async fn touch_tokens(&self, used: Vec<(TokenId, Timestamp)>) -> Result<()> {
        Access::touch_tokens(&self.writer, used).await
    }

    async fn rules(&self) -> Result<Vec<Rule>> {
        Access::rules(&self.reader).await
    }

    async fn add_rules(&self, rules: Vec<Rule>) -> Result<u64> {
        Access::add_rules(&self.writer, rules).await
    }

    async fn remove_rules(&self, rules: Vec<Rule>) -> Result<u64> {
        Access::remove_rules(&self.writer, rules).await
    }

    async fn access_version(&self) -> Result<i64> {
        Access::access_version(&self.reader).await
    }

    async fn server_key(&self, name: &str, candidate: &str, now: i64) -> Result<String> {
        Access::server_key(&self.writer, name, candidate, now).await
    }

    async fn record_denials(&self, denials: Vec<Denial>) -> Result<()> {
        Access::record_denials(&self.writer, denials).await
    }

    async fn list_denials(&self, limit: i64) -> Result<Vec<Denial>> {
        Access::list_denials(&self.reader, limit).await
    }
}

#[async_trait::async_trait]
impl CriteriaStore for SqliteStore {
    async fn seed_criteria_template(&self, template: CriteriaSet) -> Result<bool> {
        Criteria::seed_criteria_template(&self.writer, template).await
    }

    async fn create_criteria_set(&self, set: CriteriaSet) -> Result<CriteriaSet> {
        Criteria::create_criteria_set(&self.writer, set).await
    }

    async fn get_criteria_set(&self, id: &CriteriaSetId) -> Result<CriteriaSet> {
        Criteria::get_criteria_set(&self.reader, id).await
    }

    async fn list_criteria_sets(&self, query: &ListQuery) -> Result<Page<CriteriaSet>> {
        Criteria::list_criteria_sets(&self.reader, query).await
    }

    async fn update_criteria_set(
        &self,
        id: &CriteriaSetId,
        change: SetChange,
    ) -> Result<CriteriaSet> {
        Criteria::update_criteria_set(&self.writer, ROW_LOCK, id, change).await
    }
}

#[async_trait::async_trait]
impl super::CheckpointStore for SqliteStore {
    async fn insert_checkpoint(&self, checkpoint: &Checkpoint) -> Result<Checkpoint> {
        Checkpoints::insert(&self.writer, checkpoint).await
    }

    async fn latest_checkpoint(&self) -> Result<Option<Checkpoint>> {
        Checkpoints::latest(&self.reader).await
    }

    async fn list_checkpoints(&self, after: i64, limit: i64) -> Result<Vec<Checkpoint>> {
        Checkpoints::list(&self.reader, after, limit).await
    }

    async fn heads_at(&self, sequences: &[i64]) -> Result<Vec<HeadsAt>> {
        Checkpoints::heads_at(&self.reader, sequences).await
    }
}

#[async_trait::async_trait]
impl super::SessionStore for SqliteStore {
    async fn insert_session(&self, session: &crate::domain::session::Session) -> Result<()> {
        super::session_sql::SessionSql::<sqlx::Sqlite>::insert(&self.writer, session).await
    }

    async fn session(&self, id_hash: &str) -> Result<Option<crate::domain::session::Session>> {
        super::session_sql::SessionSql::<sqlx::Sqlite>::get(&self.reader, id_hash).await
    }

    async fn touch_session(&self, id_hash: &str, now: i64) -> Result<()> {
        super::session_sql::SessionSql::<sqlx::Sqlite>::touch(&self.writer, id_hash, now).await
    }

    async fn set_session_language(
        &self,
        id_hash: &str,
        language: crate::domain::session::Language,
    ) -> Result<()> {
        super::session_sql::SessionSql::<sqlx::Sqlite>::set_language(
            &self.writer,
            id_hash,
            language,
        )
        .await
    }

    async fn delete_session(&self, id_hash: &str) -> Result<()> {
        super::session_sql::SessionSql::<sqlx::Sqlite>::delete(&self.writer, id_hash).await
    }

    async fn purge_sessions(&self, before: i64) -> Result<()> {
        super::session_sql::SessionSql::<sqlx::Sqlite>::purge(&self.writer, before).await
    }

    async fn insert_invite(&self, invite: &crate::domain::session::Invite) -> Result<()> {
        super::session_sql::SessionSql::<sqlx::Sqlite>::insert_invite(&self.writer, invite).await
    }

    async fn redeem_invite(&self, id_hash: &str, now: i64) -> Result<Option<String>> {
        super::session_sql::SessionSql::<sqlx::Sqlite>::redeem_invite(&self.writer, id_hash, now)
            .await
    }

    async fn purge_invites(&self, before: i64) -> Result<()> {
        super::session_sql::SessionSql::<sqlx::Sqlite>::purge_invites(&self.writer, before).await
    }
}

#[async_trait::async_trait]
impl super::Store for SqliteStore {
    fn backend(&self) -> &'static str {
        Self::BACKEND
    }

    async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }

    fn pools_in_use(&self) -> Vec<(&'static str, i64)> {
        let in_use = |pool: &SqlitePool| i64::from(pool.size()) - pool.num_idle() as i64;
        vec![
            ("writer", in_use(&self.writer)),
            ("reader", in_use(&self.reader)),
        ]
    }

    /// A file of this process: reachable whenever the store is open.
    fn reachable(&self) -> tokio::sync::watch::Receiver<bool> {
        tokio::sync::watch::Sender::new(true).subscribe()
    }

    /// No other replica can write to the file.
    fn changes(&self) -> Option<tokio::sync::broadcast::Receiver<super::Change>> {
        None
    }

    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        expire_time: i64,
    ) -> Result<bool> {
        LeaseSql::<Sqlite>::take(&self.writer, name, holder, now, expire_time).await
    }

    async fn give_up_lease(&self, name: &str, holder: &str) -> Result<()> {
        LeaseSql::<Sqlite>::give_up(&self.writer, name, holder).await
    }
}
