//! The commit baseline: the fastest a client of this database can commit one small row in its
//! own transaction — `BEGIN; INSERT one row; COMMIT` — with the connection settings the server
//! uses. Every write call of the server is at least one such commit, so its rate bounds what
//! CreateCase and TransitionCase can reach, and the ratio to it says how much Regie adds.
//!
//! SQLite: a fresh file in a temporary directory; WAL, `synchronous` as the server's, foreign
//! keys on, a busy timeout, and ONE writer connection that all clients queue for — exactly the
//! server's writer pool. PostgreSQL: a fresh database on `REGIE_TEST_POSTGRES_URL`, dropped
//! afterwards, and a pool as large as the server's.

use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::load::Client;

/// The server's pool acquire timeout, which it also uses as SQLite's busy timeout.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes of text in each inserted row: about an event's worth of JSON.
const PAYLOAD_BYTES: usize = 256;

/// A fresh database for the baseline, with the pool the clients share.
pub enum CommitDatabase {
    Sqlite {
        pool: SqlitePool,
        _dir: tempfile::TempDir,
    },
    Postgres {
        pool: PgPool,
        admin: Box<PgConnectOptions>,
        name: String,
    },
}

impl CommitDatabase {
    /// A new SQLite file with the server's settings (`full` is the server's default).
    pub async fn sqlite(synchronous_full: bool) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
        let options = SqliteConnectOptions::from_str(&format!(
            "sqlite://{}",
            dir.path().join("commit-baseline.db").display()
        ))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(ACQUIRE_TIMEOUT)
        .synchronous(if synchronous_full {
            SqliteSynchronous::Full
        } else {
            SqliteSynchronous::Normal
        });
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // Like the server's pools: no ping per acquire.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .context("cannot open the SQLite baseline database")?;
        sqlx::raw_sql(
            "CREATE TABLE bench_rows (
                id INTEGER PRIMARY KEY,
                client INTEGER NOT NULL,
                seq INTEGER NOT NULL,
                payload TEXT NOT NULL
            )",
        )
        .execute(&pool)
        .await
        .context("cannot create the SQLite baseline table")?;
        Ok(Self::Sqlite { pool, _dir: dir })
    }

    /// A new database on the PostgreSQL server `admin_url` names, with a pool of
    /// `max_connections` (at least 2, like the server's).
    pub async fn postgres(admin_url: &str, max_connections: u32) -> anyhow::Result<Self> {
        let admin = PgConnectOptions::from_str(admin_url)
            .context("REGIE_TEST_POSTGRES_URL is not a valid PostgreSQL URL")?;
        let name = format!("regie_bench_{}", uuid::Uuid::new_v4().simple());
        let mut connection = PgConnection::connect_with(&admin)
            .await
            .context("cannot connect to REGIE_TEST_POSTGRES_URL")?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut connection)
            .await
            .context("cannot create the baseline database")?;
        let _ = connection.close().await;
        let opened = async {
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(2))
                .acquire_timeout(ACQUIRE_TIMEOUT)
                // Like the server's pools: no ping per acquire of a busy connection.
                .test_before_acquire(false)
                .connect_with(admin.clone().database(&name))
                .await
                .context("cannot connect to the baseline database")?;
            sqlx::raw_sql(
                "CREATE TABLE bench_rows (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    client BIGINT NOT NULL,
                    seq BIGINT NOT NULL,
                    payload TEXT NOT NULL
                )",
            )
            .execute(&pool)
            .await
            .context("cannot create the PostgreSQL baseline table")?;
            anyhow::Ok(pool)
        }
        .await;
        match opened {
            Ok(pool) => Ok(Self::Postgres {
                pool,
                admin: Box::new(admin),
                name,
            }),
            Err(e) => {
                drop_pg_database(&admin, &name).await;
                Err(e)
            }
        }
    }

    /// The database's own account of the settings that decide commit cost, read back from it.
    pub async fn facts(&self) -> anyhow::Result<String> {
        match self {
            Self::Sqlite { pool, .. } => {
                let (version, journal, synchronous, foreign_keys, busy): (
                    String,
                    String,
                    i64,
                    i64,
                    i64,
                ) = sqlx::query_as(
                    "SELECT sqlite_version(), (SELECT journal_mode FROM pragma_journal_mode), \
                     (SELECT synchronous FROM pragma_synchronous), \
                     (SELECT foreign_keys FROM pragma_foreign_keys), \
                     (SELECT timeout FROM pragma_busy_timeout)",
                )
                .fetch_one(pool)
                .await?;
                let synchronous = match synchronous {
                    0 => "OFF".to_owned(),
                    1 => "NORMAL".to_owned(),
                    2 => "FULL".to_owned(),
                    3 => "EXTRA".to_owned(),
                    other => other.to_string(),
                };
                Ok(format!(
                    "SQLite {version}: journal_mode={journal}, synchronous={synchronous}, \
                     foreign_keys={foreign_keys}, busy_timeout={busy} ms, 1 writer connection"
                ))
            }
            Self::Postgres { pool, .. } => {
                let mut facts = Vec::new();
                for setting in [
                    "server_version",
                    "synchronous_commit",
                    "fsync",
                    "wal_sync_method",
                    "commit_delay",
                    "shared_buffers",
                ] {
                    let value: String =
                        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SHOW {setting}")))
                            .fetch_one(pool)
                            .await?;
                    facts.push(format!("{setting}={value}"));
                }
                Ok(format!(
                    "PostgreSQL: {}, pool of {} connections",
                    facts.join(", "),
                    pool.options().get_max_connections()
                ))
            }
        }
    }

    /// A client that commits rows as client number `index`.
    pub fn client(&self, index: usize) -> CommitClient {
        CommitClient {
            pool: match self {
                Self::Sqlite { pool, .. } => Pool::Sqlite(pool.clone()),
                Self::Postgres { pool, .. } => Pool::Postgres(pool.clone()),
            },
            client: i64::try_from(index).unwrap_or(i64::MAX),
            seq: 0,
            payload: Arc::from("x".repeat(PAYLOAD_BYTES)),
        }
    }

    /// Closes the pool and removes the database.
    pub async fn close(self) {
        match self {
            Self::Sqlite { pool, .. } => pool.close().await,
            Self::Postgres { pool, admin, name } => {
                pool.close().await;
                drop_pg_database(&admin, &name).await;
            }
        }
    }
}

async fn drop_pg_database(admin: &PgConnectOptions, name: &str) {
    if let Ok(mut connection) = PgConnection::connect_with(admin).await {
        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut connection)
            .await;
        let _ = connection.close().await;
    }
}

enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A client that commits one row per call, each in its own transaction.
pub struct CommitClient {
    pool: Pool,
    client: i64,
    seq: i64,
    payload: Arc<str>,
}

impl Client for CommitClient {
    async fn call(&mut self) -> Result<(), String> {
        self.seq += 1;
        let payload: &str = &self.payload;
        let result = match &self.pool {
            Pool::Sqlite(pool) => {
                async {
                    let mut tx = pool.begin().await?;
                    sqlx::query(
                        "INSERT INTO bench_rows (client, seq, payload) VALUES (?1, ?2, ?3)",
                    )
                    .bind(self.client)
                    .bind(self.seq)
                    .bind(payload)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await
                }
                .await
            }
            Pool::Postgres(pool) => {
                async {
                    let mut tx = pool.begin().await?;
                    sqlx::query(
                        "INSERT INTO bench_rows (client, seq, payload) VALUES ($1, $2, $3)",
                    )
                    .bind(self.client)
                    .bind(self.seq)
                    .bind(payload)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await
                }
                .await
            }
        };
        result.map_err(|e| e.to_string())
    }
}
