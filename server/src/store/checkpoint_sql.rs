//! The SQL of the audit log's signed checkpoints, shared by SQLite and PostgreSQL
//! (docs/architecture.md, "Tamper evidence"): storing one idempotently, reading them, and the
//! heads of the chains at given sequences, recomputed from the events themselves.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use sqlx::database::HasStatementCache;
use sqlx::{Database, Decode, Encode, Executor, FromRow, IntoArguments, Pool, Type};
use tokio_stream::StreamExt as _;

use super::db_error;
use crate::domain::Result;
use crate::domain::cases::audit::checkpoint::{ChainHead, Checkpoint, HeadsAt, digest_sorted};

const COLUMNS: &str = "sequence, create_time, cases, heads_digest, public_key, signature";

#[derive(FromRow)]
pub struct CheckpointRow {
    sequence: i64,
    create_time: i64,
    cases: i64,
    heads_digest: String,
    public_key: String,
    signature: String,
}

impl From<CheckpointRow> for Checkpoint {
    fn from(r: CheckpointRow) -> Self {
        Self {
            sequence: r.sequence,
            time: r.create_time,
            cases: r.cases,
            heads_digest: r.heads_digest,
            public_key: r.public_key,
            signature: r.signature,
        }
    }
}

/// One event's place in its chain, all the heads need.
#[derive(FromRow)]
pub struct LinkRow {
    sequence: i64,
    case_id: String,
    case_sequence: i64,
    hash: String,
}

/// The shared checkpoint SQL for the database `DB`.
pub struct CheckpointSql<DB>(PhantomData<DB>);

impl<DB> CheckpointSql<DB>
where
    DB: Database + HasStatementCache,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'r> i64: Decode<'r, DB>,
    for<'r> CheckpointRow: FromRow<'r, DB::Row>,
    for<'r> LinkRow: FromRow<'r, DB::Row>,
{
    /// Stores `checkpoint` unless one is stored at its sequence, and returns the one stored
    /// there: replicas that make a checkpoint at the same sequence at once keep the first.
    pub async fn insert(pool: &Pool<DB>, checkpoint: &Checkpoint) -> Result<Checkpoint> {
        sqlx::query(
            "INSERT INTO checkpoints (sequence, create_time, cases, heads_digest, public_key, \
             signature) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sequence) DO NOTHING",
        )
        .bind(checkpoint.sequence)
        .bind(checkpoint.time)
        .bind(checkpoint.cases)
        .bind(checkpoint.heads_digest.clone())
        .bind(checkpoint.public_key.clone())
        .bind(checkpoint.signature.clone())
        .execute(pool)
        .await
        .map_err(db_error)?;
        let row: CheckpointRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM checkpoints WHERE sequence = $1"
        )))
        .bind(checkpoint.sequence)
        .fetch_one(pool)
        .await
        .map_err(db_error)?;
        Ok(row.into())
    }

    /// The newest checkpoint, if any.
    pub async fn latest(pool: &Pool<DB>) -> Result<Option<Checkpoint>> {
        let row: Option<CheckpointRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM checkpoints ORDER BY sequence DESC LIMIT 1"
        )))
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
        Ok(row.map(Checkpoint::from))
    }

    /// Up to `limit` checkpoints after sequence `after`, oldest first.
    pub async fn list(pool: &Pool<DB>, after: i64, limit: i64) -> Result<Vec<Checkpoint>> {
        let rows: Vec<CheckpointRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM checkpoints WHERE sequence > $1 ORDER BY sequence LIMIT $2"
        )))
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
        Ok(rows.into_iter().map(Checkpoint::from).collect())
    }

    /// The heads of the chains at each of `sequences`, from one pass over the events in order
    /// (streamed: only the current head of each case is held).
    pub async fn heads_at(pool: &Pool<DB>, sequences: &[i64]) -> Result<Vec<HeadsAt>> {
        let mut wanted: Vec<i64> = sequences.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        let Some(&last) = wanted.last() else {
            return Ok(Vec::new());
        };
        let mut heads: BTreeMap<String, ChainHead> = BTreeMap::new();
        let mut out = Vec::with_capacity(wanted.len());
        let mut next = wanted.into_iter().peekable();
        let snapshot = |heads: &BTreeMap<String, ChainHead>, sequence: i64| HeadsAt {
            sequence,
            cases: heads.len() as i64,
            heads_digest: digest_sorted(heads.values()),
        };
        {
            let mut rows = sqlx::query_as::<DB, LinkRow>(
                "SELECT sequence, case_id, case_sequence, hash FROM events WHERE sequence <= $1 \
                 ORDER BY sequence",
            )
            .bind(last)
            .fetch(pool);
            while let Some(row) = rows.next().await {
                let row = row.map_err(db_error)?;
                while let Some(&at) = next.peek()
                    && at < row.sequence
                {
                    out.push(snapshot(&heads, at));
                    next.next();
                }
                let newer = heads
                    .get(&row.case_id)
                    .is_none_or(|h| h.case_sequence < row.case_sequence);
                if newer {
                    heads.insert(
                        row.case_id.clone(),
                        ChainHead {
                            case_id: row.case_id,
                            case_sequence: row.case_sequence,
                            hash: row.hash,
                        },
                    );
                }
            }
        }
        for at in next {
            out.push(snapshot(&heads, at));
        }
        Ok(out)
    }
}
