//! The SQL of the background jobs' leases, shared by SQLite and PostgreSQL
//! (docs/architecture.md, "Several replicas"): one statement takes a free or expired lease, or
//! renews one's own, and tells whether the caller holds it now.

use std::marker::PhantomData;

use sqlx::database::HasStatementCache;
use sqlx::{Database, Decode, Encode, Executor, IntoArguments, Pool, Type};

use super::db_error;
use crate::domain::Result;

/// Takes the lease `name` for `holder` until `expire_time` when it is free, expired (before
/// `now`) or already `holder`'s; changes nothing when another holder's lease is still valid.
/// The row comes back only when `holder` holds the lease.
const TAKE: &str = "INSERT INTO leases (name, holder, expire_time) VALUES ($1, $2, $3) \
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expire_time = excluded.expire_time \
     WHERE leases.holder = excluded.holder OR leases.expire_time < $4 \
     RETURNING holder";

/// Gives a lease up, so that another replica need not wait for it to expire.
const GIVE_UP: &str = "DELETE FROM leases WHERE name = $1 AND holder = $2";

/// The shared lease SQL for the database `DB`.
pub struct LeaseSql<DB>(PhantomData<DB>);

impl<DB> LeaseSql<DB>
where
    DB: Database + HasStatementCache,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'r> String: Decode<'r, DB>,
    for<'r> (String,): sqlx::FromRow<'r, DB::Row>,
{
    /// Whether `holder` holds the lease `name` until `expire_time` after this call.
    pub async fn take(
        writer: &Pool<DB>,
        name: &str,
        holder: &str,
        now: i64,
        expire_time: i64,
    ) -> Result<bool> {
        let held: Option<(String,)> = sqlx::query_as(TAKE)
            .bind(name.to_owned())
            .bind(holder.to_owned())
            .bind(expire_time)
            .bind(now)
            .fetch_optional(writer)
            .await
            .map_err(db_error)?;
        Ok(held.is_some_and(|(h,)| h == holder))
    }

    pub async fn give_up(writer: &Pool<DB>, name: &str, holder: &str) -> Result<()> {
        sqlx::query(GIVE_UP)
            .bind(name.to_owned())
            .bind(holder.to_owned())
            .execute(writer)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
