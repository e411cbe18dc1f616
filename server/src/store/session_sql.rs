//! The SQL of the console's sessions and sign-in links (migrations 0010 and 0011,
//! docs/architecture.md, "Console"), shared by SQLite and PostgreSQL: a session is stored,
//! read, touched, switched to another language and deleted by the hash of its id; a sign-in
//! link is stored and redeemed once by the hash of its secret; ended ones are purged.

use std::marker::PhantomData;

use sqlx::database::HasStatementCache;
use sqlx::{Database, Decode, Encode, Executor, FromRow, IntoArguments, Pool, Type};

use super::db_error;
use crate::domain::access::PrincipalId;
use crate::domain::session::{Invite, Language, Proof, Session};
use crate::domain::{Error, Result};

const COLUMNS: &str = "id_hash, principal, proof_kind, credential, csrf_token, language, \
                       create_time, last_used_time, expire_time";

#[derive(FromRow)]
pub struct SessionRow {
    id_hash: String,
    principal: String,
    proof_kind: String,
    credential: String,
    csrf_token: String,
    language: String,
    create_time: i64,
    last_used_time: i64,
    expire_time: i64,
}

impl TryFrom<SessionRow> for Session {
    type Error = Error;
    fn try_from(r: SessionRow) -> Result<Self> {
        Ok(Self {
            principal: PrincipalId::parse("principal", &r.principal).map_err(|v| {
                Error::internal(format!("a stored session's principal: {}", v.description))
            })?,
            proof: Proof::from_stored(&r.proof_kind, r.credential).ok_or_else(|| {
                Error::internal(format!("a session proved by {:?}", r.proof_kind))
            })?,
            id_hash: r.id_hash,
            csrf_token: r.csrf_token,
            language: Language::from_code(&r.language),
            create_time: r.create_time,
            last_used_time: r.last_used_time,
            expire_time: r.expire_time,
        })
    }
}

/// The shared session SQL for the database `DB`.
pub struct SessionSql<DB>(PhantomData<DB>);

impl<DB> SessionSql<DB>
where
    DB: Database + HasStatementCache,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'r> i64: Decode<'r, DB>,
    for<'r> String: Decode<'r, DB>,
    for<'r> (String,): FromRow<'r, DB::Row>,
    for<'r> SessionRow: FromRow<'r, DB::Row>,
{
    pub async fn insert(pool: &Pool<DB>, s: &Session) -> Result<()> {
        sqlx::query(
            "INSERT INTO console_sessions (id_hash, principal, proof_kind, credential, \
             csrf_token, language, create_time, last_used_time, expire_time) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(s.id_hash.clone())
        .bind(s.principal.as_str().to_owned())
        .bind(s.proof.kind().to_owned())
        .bind(s.proof.credential().to_owned())
        .bind(s.csrf_token.clone())
        .bind(s.language.code().to_owned())
        .bind(s.create_time)
        .bind(s.last_used_time)
        .bind(s.expire_time)
        .execute(pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    pub async fn get(pool: &Pool<DB>, id_hash: &str) -> Result<Option<Session>> {
        let row: Option<SessionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM console_sessions WHERE id_hash = $1"
        )))
        .bind(id_hash.to_owned())
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
        row.map(Session::try_from).transpose()
    }

    pub async fn touch(pool: &Pool<DB>, id_hash: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE console_sessions SET last_used_time = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(id_hash.to_owned())
            .execute(pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    pub async fn set_language(pool: &Pool<DB>, id_hash: &str, language: Language) -> Result<()> {
        sqlx::query("UPDATE console_sessions SET language = $1 WHERE id_hash = $2")
            .bind(language.code().to_owned())
            .bind(id_hash.to_owned())
            .execute(pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    pub async fn delete(pool: &Pool<DB>, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM console_sessions WHERE id_hash = $1")
            .bind(id_hash.to_owned())
            .execute(pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Deletes the sessions whose absolute end is before `before`.
    pub async fn purge(pool: &Pool<DB>, before: i64) -> Result<()> {
        sqlx::query("DELETE FROM console_sessions WHERE expire_time < $1")
            .bind(before)
            .execute(pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    pub async fn insert_invite(pool: &Pool<DB>, i: &Invite) -> Result<()> {
        sqlx::query(
            "INSERT INTO console_invites (id_hash, principal, created_by, create_time, \
             expire_time) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(i.id_hash.clone())
        .bind(i.principal.as_str().to_owned())
        .bind(i.created_by.clone())
        .bind(i.create_time)
        .bind(i.expire_time)
        .execute(pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// Marks the link `id_hash` used at `now` and returns its principal, in one statement that
    /// matches only a link that is unused and not expired: of two requests with the same link
    /// (on any replica), one gets the principal and the other `None`.
    pub async fn redeem_invite(pool: &Pool<DB>, id_hash: &str, now: i64) -> Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as(
            "UPDATE console_invites SET used_time = $1 \
             WHERE id_hash = $2 AND used_time IS NULL AND expire_time > $1 \
             RETURNING principal",
        )
        .bind(now)
        .bind(id_hash.to_owned())
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
        Ok(row.map(|(principal,)| principal))
    }

    /// Deletes the links that expired before `before` (used or not).
    pub async fn purge_invites(pool: &Pool<DB>, before: i64) -> Result<()> {
        sqlx::query("DELETE FROM console_invites WHERE expire_time < $1")
            .bind(before)
            .execute(pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
