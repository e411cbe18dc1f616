//! The PostgreSQL backend, for installations that outgrow one machine: several server replicas
//! share one database. Migrations take PostgreSQL's advisory lock, so replicas that start
//! together apply them once. Read-modify-write transactions lock the row they change
//! (`SELECT … FOR UPDATE`), so concurrent updates queue instead of overwriting each other.
//! Case writes go through one writer task per replica, which commits whatever has queued up in
//! one transaction (`batch.rs`) under an advisory lock that orders event sequences across
//! replicas.

use anyhow::Context as _;
use sqlx::Postgres;
use sqlx::postgres::PgPool;

use std::sync::Arc;

use super::batch::Writes;
use super::case_sql::{CaseSql, PURGE_REQUESTS};
use super::unit::{self, Staged, StoredRequest};
use super::{
    CaseCommand, CaseStore, ChainReport, EventFilter, Executed, StoreOptions, StoredWorkflow,
    redact_url,
};
use crate::domain::cases::audit::StoredEvent;
use crate::domain::cases::{Case, CaseId};
use crate::domain::workflow::{WorkflowDefinition, Workflows};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub struct PgStore {
    pool: PgPool,
    /// The queue to the case writer task.
    writes: Writes,
}

/// What the case writer task holds.
#[derive(Clone)]
pub struct PgWriter {
    pool: PgPool,
}

type Sql = CaseSql<Postgres>;

/// The advisory lock every case write transaction takes, so that event sequences follow commit
/// order across replicas.
const WRITE_LOCK: &str = "SELECT pg_advisory_xact_lock(7260010)";

/// The unit of work on PostgreSQL: the batch's transaction takes the advisory lock, reads the
/// next sequence under it (so no other replica appends in between), and locks the case rows it
/// changes (`FOR UPDATE`).
impl unit::Backend for PgWriter {
    type Tx = sqlx::Transaction<'static, Postgres>;

    async fn begin(&self) -> Result<(Self::Tx, i64)> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        sqlx::query(WRITE_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let last = Sql::last_sequence(&mut *tx).await?;
        Ok((tx, last))
    }

    async fn cases(&self, tx: &mut Self::Tx, ids: Vec<String>) -> Result<Vec<(Case, String)>> {
        Sql::cases_for_update(tx, ids, " FOR UPDATE").await
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

    async fn commit(&self, tx: Self::Tx, _last_sequence: i64) -> Result<()> {
        tx.commit().await.map_err(db_error)
    }
}

impl PgStore {
    const BACKEND: &'static str = "postgres";

    pub async fn open(options: &StoreOptions) -> anyhow::Result<Self> {
        let pool = super::pool_options::<Postgres>(options)
            .max_connections(options.max_connections.max(2))
            .connect(&options.url)
            .await
            .with_context(|| format!("cannot connect to {}", redact_url(&options.url)))?;
        MIGRATOR
            .run(&pool)
            .await
            .context("applying the PostgreSQL migrations")?;
        let writes = Writes::start(PgWriter { pool: pool.clone() });
        Ok(Self { pool, writes })
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }
}

super::shared_access::shared_access_store!(PgStore, Postgres, " FOR UPDATE");
super::shared_criteria::shared_criteria_store!(PgStore, Postgres, " FOR UPDATE");
super::shared::shared_store!(PgStore, Postgres, " FOR UPDATE");
#[async_trait::async_trait]
impl CaseStore for PgStore {
    async fn stored_workflows(&self) -> Result<Vec<StoredWorkflow>> {
        Sql::stored_workflows(&self.pool).await
    }

    async fn save_workflow(&self, definition: &WorkflowDefinition, now: i64) -> Result<()> {
        Sql::save_workflow(&self.pool, definition, now).await
    }

    async fn execute(&self, workflows: Arc<Workflows>, command: CaseCommand) -> Result<Executed> {
        self.writes.submit(workflows, command).await
    }

    async fn get_case(&self, id: &CaseId) -> Result<Case> {
        Sql::get_case(&self.pool, id).await
    }

    async fn case_as_of(
        &self,
        id: &CaseId,
        as_of: Option<i64>,
        revision: Option<i64>,
    ) -> Result<Case> {
        Sql::case_as_of(&self.pool, id, as_of, revision).await
    }

    async fn list_cases(&self, query: &ListQuery) -> Result<Page<Case>> {
        Sql::list_cases(&self.pool, Self::BACKEND, query).await
    }

    async fn children(&self, id: &CaseId) -> Result<Vec<Case>> {
        Sql::children(&self.pool, id).await
    }

    async fn list_events(&self, query: &ListQuery) -> Result<Page<StoredEvent>> {
        Sql::list_events(&self.pool, Self::BACKEND, query).await
    }

    async fn events_after(
        &self,
        after: i64,
        limit: i64,
        filter: &EventFilter,
    ) -> Result<Vec<StoredEvent>> {
        Sql::events_after(&self.pool, after, limit, filter).await
    }

    async fn last_sequence(&self) -> Result<i64> {
        Sql::last_sequence(&self.pool).await
    }

    async fn verify_chains(&self, case: Option<&CaseId>) -> Result<ChainReport> {
        Sql::verify_chains(&self.pool, case).await
    }

    async fn open_cases_not_overdue(&self) -> Result<Vec<Case>> {
        Sql::open_cases_not_overdue(&self.pool).await
    }

    async fn count_overdue(&self) -> Result<i64> {
        Sql::count_overdue(&self.pool).await
    }

    async fn purge_requests(&self, before: i64) -> Result<u64> {
        let purged = sqlx::query(PURGE_REQUESTS)
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(purged.rows_affected())
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
}
