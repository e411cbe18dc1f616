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

use super::batch::Writes;
use super::{StoreOptions, redact_url};

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

impl PgWriter {
    fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The sequence the next events follow: read under the advisory lock the write transaction
    /// holds, so no other replica appends in between.
    async fn sequence_base(
        &self,
        tx: &mut sqlx::Transaction<'static, Postgres>,
    ) -> crate::domain::Result<i64> {
        sqlx::query_scalar("SELECT COALESCE(MAX(sequence), 0) FROM events")
            .fetch_one(&mut **tx)
            .await
            .map_err(super::db_error)
    }

    /// Nothing to remember: every transaction reads the sequence afresh.
    fn committed_sequence(&self, _last: i64) {}
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
super::shared_cases::shared_case_store!(
    PgStore,
    PgWriter,
    Postgres,
    " FOR UPDATE",
    Some("SELECT pg_advisory_xact_lock(7260010)")
);

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
