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
use super::{SqliteSynchronous as Synchronous, StoreOptions, redact_url};

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

impl SqliteWriter {
    fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The sequence the next events follow. Called inside a write transaction, which the single
    /// writer connection makes exclusive.
    async fn sequence_base(
        &self,
        _tx: &mut sqlx::Transaction<'static, Sqlite>,
    ) -> crate::domain::Result<i64> {
        Ok(self.last_sequence.load(Ordering::SeqCst))
    }

    /// Records the last sequence of a committed transaction (a rolled-back one never gets here,
    /// so a failed write leaves no gap behind).
    fn committed_sequence(&self, last: i64) {
        self.last_sequence.store(last, Ordering::SeqCst);
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
super::shared_cases::shared_case_store!(SqliteStore, SqliteWriter, Sqlite, "", None);

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
