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
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous};

use super::batch::Writes;
use super::case_sql::{CaseSql, PURGE_REQUESTS};
use super::unit::{self, Staged, StoredRequest};
use super::{
    CaseCommand, CaseStore, ChainReport, EventFilter, Executed, SqliteSynchronous as Synchronous,
    StoreOptions, StoredWorkflow, redact_url,
};
use crate::domain::cases::audit::StoredEvent;
use crate::domain::cases::{Case, CaseId};
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

/// The unit of work on SQLite: the single writer connection makes every write transaction
/// exclusive, so no lock is taken, no row is locked, and the next sequence is known in memory.
impl unit::Backend for SqliteWriter {
    type Tx = sqlx::Transaction<'static, Sqlite>;

    async fn begin(&self) -> Result<(Self::Tx, i64)> {
        let tx = self.pool.begin().await.map_err(db_error)?;
        Ok((tx, self.last_sequence.load(Ordering::SeqCst)))
    }

    async fn cases(&self, tx: &mut Self::Tx, ids: Vec<String>) -> Result<Vec<(Case, String)>> {
        Sql::cases_for_update(tx, ids, "").await
    }

    async fn requests(&self, tx: &mut Self::Tx, keys: Vec<String>) -> Result<Vec<StoredRequest>> {
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

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    fn reader(&self) -> &SqlitePool {
        &self.reader
    }
}

super::shared_access::shared_access_store!(SqliteStore, Sqlite, "");
super::shared_criteria::shared_criteria_store!(SqliteStore, Sqlite, "");
super::shared::shared_store!(SqliteStore, Sqlite, "");
#[async_trait::async_trait]
impl CaseStore for SqliteStore {
    async fn stored_workflows(&self) -> Result<Vec<StoredWorkflow>> {
        Sql::stored_workflows(&self.reader).await
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
        Sql::verify_chains(&self.reader, case).await
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
impl super::Store for SqliteStore {
    fn backend(&self) -> &'static str {
        Self::BACKEND
    }

    async fn close(&self) {
        self.writer.close().await;
        self.reader().close().await;
    }

    fn pools_in_use(&self) -> Vec<(&'static str, i64)> {
        let in_use = |pool: &SqlitePool| i64::from(pool.size()) - pool.num_idle() as i64;
        vec![
            ("writer", in_use(&self.writer)),
            ("reader", in_use(&self.reader)),
        ]
    }
}
