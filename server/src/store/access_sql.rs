//! The SQL for principals, tokens, Casbin rules and denied calls that SQLite and PostgreSQL
//! share: plain generic functions over the sqlx database, which `sqlite.rs` and `postgres.rs`
//! call with their own pools and row-lock clause (as for the directory, `directory_sql.rs`).
//! What the rules mean is in docs/architecture.md, "Access".
//!
//! Every change to principals, tokens or rules also bumps `access_version` in the same
//! transaction, so that replicas which cache them notice and reload.
//!
//! The bounds every function needs are written once, on the `impl` block of [`AccessSql`].

use std::marker::PhantomData;

use sqlx::database::HasStatementCache;
use sqlx::{
    AssertSqlSafe, Database, Decode, Encode, Executor, FromRow, IntoArguments, Pool, QueryBuilder,
    Type,
};

use super::etag::update_with_etag;
use super::sql::{Columns, RowsAffected, push_list_clauses};
use super::{Denial, PrincipalChange, Rule, db_error, write_error};
use crate::domain::access::{NewPrincipal, Principal, PrincipalId, PrincipalKind, Token, TokenId};
use crate::domain::listing::{ListQuery, Page};
use crate::domain::names::DepartmentCode;
use crate::domain::time::Timestamp;
use crate::domain::{Error, Result};

const PRINCIPAL_COLUMNS: &str =
    "id, display_name, kind, home_department, disabled, revision, create_time, update_time";
const TOKEN_COLUMNS: &str =
    "id, principal_id, display_name, create_time, expire_time, last_used_time, revoke_time";

fn principal_column(field: &str) -> &'static str {
    match field {
        "display_name" => "display_name",
        "kind" => "kind",
        "home_department" => "COALESCE(home_department, '')",
        "disabled" => "disabled",
        _ => "id",
    }
}

fn token_column(field: &str) -> &'static str {
    match field {
        "principal" => "principal_id",
        "create_time" => "create_time",
        _ => "id",
    }
}

fn corrupt(what: &str) -> Error {
    Error::internal(format!("a stored {what} does not parse"))
}

/// A principal row.
#[derive(FromRow)]
pub struct PrincipalRow {
    id: String,
    display_name: String,
    kind: String,
    home_department: Option<String>,
    disabled: bool,
    revision: i64,
    create_time: i64,
    update_time: i64,
}

impl PrincipalRow {
    fn principal(self) -> Result<Principal> {
        Ok(Principal {
            id: PrincipalId::parse("id", &self.id).map_err(|_| corrupt("principal id"))?,
            display_name: self.display_name,
            kind: PrincipalKind::parse(&self.kind).ok_or_else(|| corrupt("principal kind"))?,
            home_department: match self.home_department {
                Some(code) => Some(
                    DepartmentCode::parse("home_department", &code)
                        .map_err(|_| corrupt("department"))?,
                ),
                None => None,
            },
            disabled: self.disabled,
            revision: self.revision,
            create_time: Timestamp::from_micros(self.create_time),
            update_time: Timestamp::from_micros(self.update_time),
        })
    }
}

/// A token row (never its secret hash).
#[derive(FromRow)]
pub struct TokenRow {
    id: String,
    principal_id: String,
    display_name: String,
    create_time: i64,
    expire_time: Option<i64>,
    last_used_time: Option<i64>,
    revoke_time: Option<i64>,
}

impl TokenRow {
    fn token(self) -> Result<Token> {
        Ok(Token {
            id: TokenId::parse("id", &self.id).map_err(|_| corrupt("token id"))?,
            principal: PrincipalId::parse("principal", &self.principal_id)
                .map_err(|_| corrupt("principal id"))?,
            display_name: self.display_name,
            create_time: Timestamp::from_micros(self.create_time),
            expire_time: self.expire_time.map(Timestamp::from_micros),
            last_used_time: self.last_used_time.map(Timestamp::from_micros),
            revoke_time: self.revoke_time.map(Timestamp::from_micros),
        })
    }
}

/// A Casbin rule row, in Casbin's column layout.
#[derive(FromRow)]
pub struct RuleRow {
    ptype: String,
    v0: String,
    v1: String,
    v2: String,
    v3: String,
    v4: String,
    v5: String,
}

impl From<RuleRow> for Rule {
    /// The values without the empty ones at the end.
    fn from(r: RuleRow) -> Self {
        let mut values = vec![r.v0, r.v1, r.v2, r.v3, r.v4, r.v5];
        while values.last().is_some_and(String::is_empty) {
            values.pop();
        }
        Self {
            ptype: r.ptype,
            values,
        }
    }
}

/// A denied call's row.
#[derive(FromRow)]
pub struct DenialRow {
    time: i64,
    principal: String,
    method: String,
    object: String,
    action: String,
    domain: String,
    reason: String,
    suppressed: i64,
}

impl From<DenialRow> for Denial {
    fn from(r: DenialRow) -> Self {
        Self {
            time: Timestamp::from_micros(r.time),
            principal: r.principal,
            method: r.method,
            object: r.object,
            action: r.action,
            domain: r.domain,
            reason: r.reason,
            suppressed: r.suppressed,
        }
    }
}

/// The rule's value at `i`; Casbin leaves the unused columns empty.
fn value(rule: &Rule, i: usize) -> String {
    rule.values.get(i).cloned().unwrap_or_default()
}

/// The shared access SQL for the database `DB`.
pub struct AccessSql<DB>(PhantomData<DB>);

impl<DB> AccessSql<DB>
where
    DB: Database + HasStatementCache,
    DB::QueryResult: RowsAffected,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'r> i64: Decode<'r, DB>,
    for<'r> PrincipalRow: FromRow<'r, DB::Row>,
    for<'r> TokenRow: FromRow<'r, DB::Row>,
    for<'r> RuleRow: FromRow<'r, DB::Row>,
    for<'r> DenialRow: FromRow<'r, DB::Row>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
    for<'r> (String,): FromRow<'r, DB::Row>,
{
    async fn bump(connection: &mut DB::Connection) -> Result<()> {
        sqlx::query("UPDATE access_version SET version = version + 1 WHERE id = 1")
            .execute(&mut *connection)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn insert_principal(
        connection: &mut DB::Connection,
        principal: &NewPrincipal,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO principals (id, display_name, kind, home_department, disabled, revision, \
             create_time, update_time) VALUES ($1, $2, $3, $4, FALSE, 1, $5, $5)",
        )
        .bind(principal.id.as_str())
        .bind(principal.display_name.as_str())
        .bind(principal.kind.as_str())
        .bind(
            principal
                .home_department
                .as_ref()
                .map(DepartmentCode::as_str),
        )
        .bind(now.micros())
        .execute(&mut *connection)
        .await
        .map_err(|e| write_error(e, &principal.id.name()))?;
        Ok(())
    }

    async fn insert_token_row(
        connection: &mut DB::Connection,
        token: &Token,
        secret_hash: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO tokens (id, principal_id, display_name, secret_hash, create_time, \
             expire_time) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token.id.as_str())
        .bind(token.principal.as_str())
        .bind(token.display_name.as_str())
        .bind(secret_hash)
        .bind(token.create_time.micros())
        .bind(token.expire_time.map(Timestamp::micros))
        .execute(&mut *connection)
        .await
        .map_err(|e| write_error(e, &token.id.name()))?;
        Ok(())
    }

    /// Inserts rules that are not there yet; returns how many were new.
    async fn insert_rules(connection: &mut DB::Connection, rules: &[Rule]) -> Result<u64> {
        let mut added = 0;
        for rule in rules {
            let result = sqlx::query(
                "INSERT INTO casbin_rules (ptype, v0, v1, v2, v3, v4, v5) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            )
            .bind(rule.ptype.as_str())
            .bind(value(rule, 0))
            .bind(value(rule, 1))
            .bind(value(rule, 2))
            .bind(value(rule, 3))
            .bind(value(rule, 4))
            .bind(value(rule, 5))
            .execute(&mut *connection)
            .await
            .map_err(db_error)?;
            added += result.rows_affected();
        }
        Ok(added)
    }

    /// The principal, read with the row-lock clause `lock` (`""` for a plain read).
    async fn select_principal<'e>(
        executor: impl Executor<'e, Database = DB>,
        id: &PrincipalId,
        lock: &'static str,
    ) -> Result<Option<Principal>> {
        let row: Option<PrincipalRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE id = $1{lock}"
        )))
        .bind(id.as_str())
        .fetch_optional(executor)
        .await
        .map_err(db_error)?;
        row.map(PrincipalRow::principal).transpose()
    }

    /// On a database without principals: the admin, its token and the rules, in one
    /// transaction. Returns false, changing nothing, when there are principals.
    pub async fn bootstrap(
        writer: &Pool<DB>,
        admin: NewPrincipal,
        token: Token,
        secret_hash: String,
        rules: Vec<Rule>,
    ) -> Result<bool> {
        let mut tx = writer.begin().await.map_err(db_error)?;
        let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM principals")
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        if existing > 0 {
            return Ok(false);
        }
        let now = token.create_time;
        Self::insert_principal(&mut tx, &admin, now).await?;
        Self::insert_token_row(&mut tx, &token, &secret_hash).await?;
        Self::insert_rules(&mut tx, &rules).await?;
        Self::bump(&mut tx).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }

    /// Inserts the principal on `writer`, then reads it back on `reader`.
    pub async fn create_principal(
        writer: &Pool<DB>,
        reader: &Pool<DB>,
        principal: NewPrincipal,
    ) -> Result<Principal> {
        let now = Timestamp::now();
        let mut tx = writer.begin().await.map_err(db_error)?;
        Self::insert_principal(&mut tx, &principal, now).await?;
        Self::bump(&mut tx).await?;
        tx.commit().await.map_err(db_error)?;
        Self::get_principal(reader, &principal.id).await
    }

    pub async fn get_principal(reader: &Pool<DB>, id: &PrincipalId) -> Result<Principal> {
        Self::select_principal(reader, id, "")
            .await?
            .ok_or_else(|| Error::not_found(id.name()))
    }

    pub async fn list_principals(reader: &Pool<DB>, query: &ListQuery) -> Result<Page<Principal>> {
        let mut qb: QueryBuilder<DB> =
            QueryBuilder::new(format!("SELECT {PRINCIPAL_COLUMNS} FROM principals"));
        push_list_clauses(&mut qb, query, Columns::same(principal_column));
        let rows: Vec<PrincipalRow> = qb
            .build_query_as()
            .fetch_all(reader)
            .await
            .map_err(db_error)?;
        let items = rows
            .into_iter()
            .map(PrincipalRow::principal)
            .collect::<Result<Vec<_>>>()?;
        Ok(query.page(items))
    }

    /// Applies `change` under the row lock `lock`. A change that changes nothing writes
    /// nothing; any other moves the revision and bumps `access_version`.
    pub async fn update_principal(
        writer: &Pool<DB>,
        lock: &'static str,
        id: &PrincipalId,
        etag: &str,
        change: PrincipalChange,
    ) -> Result<Principal> {
        update_with_etag(
            writer,
            &id.name(),
            etag,
            async |connection: &mut DB::Connection| {
                Self::select_principal(connection, id, lock).await
            },
            change,
            |before, principal: &mut Principal| {
                if principal == before {
                    return false;
                }
                principal.revision += 1;
                principal.update_time = Timestamp::now();
                true
            },
            async |connection: &mut DB::Connection, _, principal: &Principal| {
                sqlx::query(
                    "UPDATE principals SET display_name = $2, home_department = $3, \
                     disabled = $4, revision = $5, update_time = $6 WHERE id = $1",
                )
                .bind(id.as_str())
                .bind(principal.display_name.as_str())
                .bind(
                    principal
                        .home_department
                        .as_ref()
                        .map(DepartmentCode::as_str),
                )
                .bind(principal.disabled)
                .bind(principal.revision)
                .bind(principal.update_time.micros())
                .execute(&mut *connection)
                .await
                .map_err(|e| write_error(e, &id.name()))?;
                Self::bump(connection).await
            },
        )
        .await
    }

    pub async fn insert_token(writer: &Pool<DB>, token: &Token, secret_hash: &str) -> Result<()> {
        let mut tx = writer.begin().await.map_err(db_error)?;
        Self::insert_token_row(&mut tx, token, secret_hash).await?;
        Self::bump(&mut tx).await?;
        tx.commit().await.map_err(db_error)
    }

    /// The token with this secret hash and its principal.
    pub async fn token_by_hash(
        reader: &Pool<DB>,
        secret_hash: &str,
    ) -> Result<Option<(Token, Principal)>> {
        // Two lookups by key; the caller caches the answer, so this runs once per token and
        // cache period, not once per call.
        let row: Option<TokenRow> = sqlx::query_as(
            "SELECT id, principal_id, display_name, create_time, expire_time, last_used_time, \
             revoke_time FROM tokens WHERE secret_hash = $1",
        )
        .bind(secret_hash)
        .fetch_optional(reader)
        .await
        .map_err(db_error)?;
        let Some(row) = row else { return Ok(None) };
        let token = row.token()?;
        let principal = Self::get_principal(reader, &token.principal).await?;
        Ok(Some((token, principal)))
    }

    pub async fn list_tokens(reader: &Pool<DB>, query: &ListQuery) -> Result<Page<Token>> {
        let mut qb: QueryBuilder<DB> =
            QueryBuilder::new(format!("SELECT {TOKEN_COLUMNS} FROM tokens"));
        push_list_clauses(&mut qb, query, Columns::same(token_column));
        let rows: Vec<TokenRow> = qb
            .build_query_as()
            .fetch_all(reader)
            .await
            .map_err(db_error)?;
        let items = rows
            .into_iter()
            .map(TokenRow::token)
            .collect::<Result<Vec<_>>>()?;
        Ok(query.page(items))
    }

    /// Marks the token revoked, keeping the first revocation time.
    pub async fn revoke_token(writer: &Pool<DB>, id: &TokenId, now: Timestamp) -> Result<Token> {
        let mut tx = writer.begin().await.map_err(db_error)?;
        sqlx::query("UPDATE tokens SET revoke_time = COALESCE(revoke_time, $2) WHERE id = $1")
            .bind(id.as_str())
            .bind(now.micros())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let row: Option<TokenRow> = sqlx::query_as(
            "SELECT id, principal_id, display_name, create_time, expire_time, last_used_time, \
             revoke_time FROM tokens WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let Some(row) = row else {
            return Err(Error::not_found(id.name()));
        };
        let token = row.token()?;
        Self::bump(&mut tx).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(token)
    }

    pub async fn touch_tokens(writer: &Pool<DB>, used: Vec<(TokenId, Timestamp)>) -> Result<()> {
        if used.is_empty() {
            return Ok(());
        }
        let mut tx = writer.begin().await.map_err(db_error)?;
        for (id, time) in &used {
            sqlx::query("UPDATE tokens SET last_used_time = $2 WHERE id = $1")
                .bind(id.as_str())
                .bind(time.micros())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)
    }

    pub async fn rules(reader: &Pool<DB>) -> Result<Vec<Rule>> {
        let rows: Vec<RuleRow> = sqlx::query_as(
            "SELECT ptype, v0, v1, v2, v3, v4, v5 FROM casbin_rules \
             ORDER BY ptype, v0, v1, v2, v3, v4, v5",
        )
        .fetch_all(reader)
        .await
        .map_err(db_error)?;
        Ok(rows.into_iter().map(Rule::from).collect())
    }

    /// Adds the rules not yet stored (bumping `access_version` if any was); returns how many.
    pub async fn add_rules(writer: &Pool<DB>, rules: Vec<Rule>) -> Result<u64> {
        let mut tx = writer.begin().await.map_err(db_error)?;
        let added = Self::insert_rules(&mut tx, &rules).await?;
        if added > 0 {
            Self::bump(&mut tx).await?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(added)
    }

    /// Removes the rules (bumping `access_version` if any was there); returns how many were.
    pub async fn remove_rules(writer: &Pool<DB>, rules: Vec<Rule>) -> Result<u64> {
        let mut tx = writer.begin().await.map_err(db_error)?;
        let mut removed = 0;
        for rule in &rules {
            let result = sqlx::query(
                "DELETE FROM casbin_rules WHERE ptype = $1 AND v0 = $2 AND v1 = $3 AND v2 = $4 \
                 AND v3 = $5 AND v4 = $6 AND v5 = $7",
            )
            .bind(rule.ptype.as_str())
            .bind(value(rule, 0))
            .bind(value(rule, 1))
            .bind(value(rule, 2))
            .bind(value(rule, 3))
            .bind(value(rule, 4))
            .bind(value(rule, 5))
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            removed += result.rows_affected();
        }
        if removed > 0 {
            Self::bump(&mut tx).await?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(removed)
    }

    pub async fn access_version(reader: &Pool<DB>) -> Result<i64> {
        sqlx::query_scalar("SELECT version FROM access_version WHERE id = 1")
            .fetch_one(reader)
            .await
            .map_err(db_error)
    }

    /// The secret stored as `name`; `candidate` becomes it when none is stored yet. Whichever
    /// replica asks first wins, and every replica then reads the same secret.
    pub async fn server_key(
        writer: &Pool<DB>,
        name: &str,
        candidate: &str,
        now: i64,
    ) -> Result<String> {
        sqlx::query(
            "INSERT INTO server_keys (name, secret, create_time) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name.to_owned())
        .bind(candidate.to_owned())
        .bind(now)
        .execute(writer)
        .await
        .map_err(db_error)?;
        let (secret,): (String,) = sqlx::query_as("SELECT secret FROM server_keys WHERE name = $1")
            .bind(name.to_owned())
            .fetch_one(writer)
            .await
            .map_err(db_error)?;
        Ok(secret)
    }

    pub async fn record_denials(writer: &Pool<DB>, denials: Vec<Denial>) -> Result<()> {
        if denials.is_empty() {
            return Ok(());
        }
        let mut qb: QueryBuilder<DB> = QueryBuilder::new(
            "INSERT INTO access_denials \
             (time, principal, method, object, action, domain, reason, suppressed) ",
        );
        qb.push_values(&denials, |mut row, d| {
            row.push_bind(d.time.micros())
                .push_bind(d.principal.clone())
                .push_bind(d.method.clone())
                .push_bind(d.object.clone())
                .push_bind(d.action.clone())
                .push_bind(d.domain.clone())
                .push_bind(d.reason.clone())
                .push_bind(d.suppressed);
        });
        qb.build()
            .persistent(false)
            .execute(writer)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// The newest `limit` denials, newest first.
    pub async fn list_denials(reader: &Pool<DB>, limit: i64) -> Result<Vec<Denial>> {
        let rows: Vec<DenialRow> = sqlx::query_as(
            "SELECT time, principal, method, object, action, domain, reason, suppressed \
             FROM access_denials ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(reader)
        .await
        .map_err(db_error)?;
        Ok(rows.into_iter().map(Denial::from).collect())
    }
}
