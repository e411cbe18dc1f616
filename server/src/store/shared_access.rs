//! The SQL for principals, tokens, Casbin rules and denied calls that SQLite and PostgreSQL
//! share, instantiated per backend by [`shared_access_store!`] (see `shared.rs` for why a macro).
//!
//! Every change to principals, tokens or rules also bumps `access_version` in the same
//! transaction, so that replicas which cache them notice and reload.

/// Expands to `impl AccessStore for $store`.
macro_rules! shared_access_store {
    ($store:ty, $db:ty, $lock:literal) => {
        mod access_impl {
            use async_trait::async_trait;
            use sqlx::{QueryBuilder, Row as _};

            use super::*;
            use crate::domain::access::{
                NewPrincipal, Principal, PrincipalId, PrincipalKind, Token, TokenId,
            };
            use crate::domain::directory::check_etag;
            use crate::domain::listing::{ListQuery, Page};
            use crate::domain::names::DepartmentCode;
            use crate::domain::time::Timestamp;
            use crate::domain::{Error, Result};
            use crate::store::sql::{push_list_clauses, Columns};
            use crate::store::{db_error, write_error, AccessStore, Denial, PrincipalChange, Rule};

            type DbRow = <$db as sqlx::Database>::Row;
            type Tx = sqlx::Transaction<'static, $db>;

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

            fn principal_from_row(row: &DbRow) -> Result<Principal> {
                let id: String = row.try_get("id").map_err(db_error)?;
                let kind: String = row.try_get("kind").map_err(db_error)?;
                let home: Option<String> = row.try_get("home_department").map_err(db_error)?;
                Ok(Principal {
                    id: PrincipalId::parse("id", &id).map_err(|_| corrupt("principal id"))?,
                    display_name: row.try_get("display_name").map_err(db_error)?,
                    kind: PrincipalKind::parse(&kind).ok_or_else(|| corrupt("principal kind"))?,
                    home_department: match home {
                        Some(code) => Some(DepartmentCode::parse("home_department", &code).map_err(|_| corrupt("department"))?),
                        None => None,
                    },
                    disabled: row.try_get("disabled").map_err(db_error)?,
                    revision: row.try_get("revision").map_err(db_error)?,
                    create_time: Timestamp::from_micros(row.try_get("create_time").map_err(db_error)?),
                    update_time: Timestamp::from_micros(row.try_get("update_time").map_err(db_error)?),
                })
            }

            fn token_from_row(row: &DbRow) -> Result<Token> {
                let id: String = row.try_get("id").map_err(db_error)?;
                let principal: String = row.try_get("principal_id").map_err(db_error)?;
                let time = |column: &str| -> Result<Option<Timestamp>> {
                    let micros: Option<i64> = row.try_get(column).map_err(db_error)?;
                    Ok(micros.map(Timestamp::from_micros))
                };
                Ok(Token {
                    id: TokenId::parse("id", &id).map_err(|_| corrupt("token id"))?,
                    principal: PrincipalId::parse("principal", &principal).map_err(|_| corrupt("principal id"))?,
                    display_name: row.try_get("display_name").map_err(db_error)?,
                    create_time: Timestamp::from_micros(row.try_get("create_time").map_err(db_error)?),
                    expire_time: time("expire_time")?,
                    last_used_time: time("last_used_time")?,
                    revoke_time: time("revoke_time")?,
                })
            }

            async fn bump(tx: &mut Tx) -> Result<()> {
                sqlx::query("UPDATE access_version SET version = version + 1 WHERE id = 1")
                    .execute(&mut **tx)
                    .await
                    .map_err(db_error)?;
                Ok(())
            }

            async fn insert_principal(tx: &mut Tx, principal: &NewPrincipal, now: Timestamp) -> Result<()> {
                sqlx::query(
                    "INSERT INTO principals (id, display_name, kind, home_department, disabled, revision, create_time, update_time) \
                     VALUES ($1, $2, $3, $4, FALSE, 1, $5, $5)",
                )
                .bind(principal.id.as_str())
                .bind(&principal.display_name)
                .bind(principal.kind.as_str())
                .bind(principal.home_department.as_ref().map(DepartmentCode::as_str))
                .bind(now.micros())
                .execute(&mut **tx)
                .await
                .map_err(|e| write_error(e, &principal.id.name()))?;
                Ok(())
            }

            async fn insert_token(tx: &mut Tx, token: &Token, secret_hash: &str) -> Result<()> {
                sqlx::query(
                    "INSERT INTO tokens (id, principal_id, display_name, secret_hash, create_time, expire_time) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(token.id.as_str())
                .bind(token.principal.as_str())
                .bind(&token.display_name)
                .bind(secret_hash)
                .bind(token.create_time.micros())
                .bind(token.expire_time.map(Timestamp::micros))
                .execute(&mut **tx)
                .await
                .map_err(|e| write_error(e, &token.id.name()))?;
                Ok(())
            }

            /// Inserts rules that are not there yet; returns how many were new.
            async fn insert_rules(tx: &mut Tx, rules: &[Rule]) -> Result<u64> {
                let mut added = 0;
                for rule in rules {
                    let v = |i: usize| rule.values.get(i).cloned().unwrap_or_default();
                    let result = sqlx::query(
                        "INSERT INTO casbin_rules (ptype, v0, v1, v2, v3, v4, v5) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(&rule.ptype)
                    .bind(v(0))
                    .bind(v(1))
                    .bind(v(2))
                    .bind(v(3))
                    .bind(v(4))
                    .bind(v(5))
                    .execute(&mut **tx)
                    .await
                    .map_err(db_error)?;
                    added += result.rows_affected();
                }
                Ok(added)
            }

            #[async_trait]
            impl AccessStore for $store {
                async fn bootstrap(
                    &self,
                    admin: NewPrincipal,
                    token: Token,
                    secret_hash: String,
                    rules: Vec<Rule>,
                ) -> Result<bool> {
                    let mut tx = self.writer().begin().await.map_err(db_error)?;
                    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM principals")
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    if existing > 0 {
                        return Ok(false);
                    }
                    let now = token.create_time;
                    insert_principal(&mut tx, &admin, now).await?;
                    insert_token(&mut tx, &token, &secret_hash).await?;
                    insert_rules(&mut tx, &rules).await?;
                    bump(&mut tx).await?;
                    tx.commit().await.map_err(db_error)?;
                    Ok(true)
                }

                async fn create_principal(&self, principal: NewPrincipal) -> Result<Principal> {
                    let now = Timestamp::now();
                    let mut tx = self.writer().begin().await.map_err(db_error)?;
                    insert_principal(&mut tx, &principal, now).await?;
                    bump(&mut tx).await?;
                    tx.commit().await.map_err(db_error)?;
                    self.get_principal(&principal.id).await
                }

                async fn get_principal(&self, id: &PrincipalId) -> Result<Principal> {
                    let row = sqlx::query(
                        "SELECT id, display_name, kind, home_department, disabled, revision, create_time, update_time \
                         FROM principals WHERE id = $1",
                    )
                    .bind(id.as_str())
                    .fetch_optional(self.reader())
                    .await
                    .map_err(db_error)?;
                    match row {
                        Some(row) => principal_from_row(&row),
                        None => Err(Error::not_found(id.name())),
                    }
                }

                async fn list_principals(&self, query: &ListQuery) -> Result<Page<Principal>> {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(format!("SELECT {PRINCIPAL_COLUMNS} FROM principals"));
                    push_list_clauses(&mut qb, query, Columns::same(principal_column));
                    let rows = qb.build().fetch_all(self.reader()).await.map_err(db_error)?;
                    let items = rows.iter().map(principal_from_row).collect::<Result<Vec<_>>>()?;
                    Ok(query.page(items))
                }

                async fn update_principal(&self, id: &PrincipalId, etag: &str, change: PrincipalChange) -> Result<Principal> {
                    let mut tx = self.writer().begin().await.map_err(db_error)?;
                    let row = sqlx::query(concat!(
                        "SELECT id, display_name, kind, home_department, disabled, revision, create_time, update_time ",
                        "FROM principals WHERE id = $1",
                        $lock
                    ))
                    .bind(id.as_str())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_error)?;
                    let Some(row) = row else { return Err(Error::not_found(id.name())) };
                    let mut principal = principal_from_row(&row)?;
                    check_etag(&id.name(), etag, principal.revision)?;
                    let before = principal.clone();
                    change(&mut principal)?;
                    if principal == before {
                        return Ok(principal);
                    }
                    principal.revision += 1;
                    principal.update_time = Timestamp::now();
                    sqlx::query(
                        "UPDATE principals SET display_name = $2, home_department = $3, disabled = $4, revision = $5, \
                         update_time = $6 WHERE id = $1",
                    )
                    .bind(id.as_str())
                    .bind(&principal.display_name)
                    .bind(principal.home_department.as_ref().map(DepartmentCode::as_str))
                    .bind(principal.disabled)
                    .bind(principal.revision)
                    .bind(principal.update_time.micros())
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, &id.name()))?;
                    bump(&mut tx).await?;
                    tx.commit().await.map_err(db_error)?;
                    Ok(principal)
                }

                async fn insert_token(&self, token: &Token, secret_hash: &str) -> Result<()> {
                    let mut tx = self.writer().begin().await.map_err(db_error)?;
                    insert_token(&mut tx, token, secret_hash).await?;
                    bump(&mut tx).await?;
                    tx.commit().await.map_err(db_error)
                }

                async fn token_by_hash(&self, secret_hash: &str) -> Result<Option<(Token, Principal)>> {
                    // Two lookups by key; the caller caches the answer, so this runs once per
                    // token and cache period, not once per call.
                    let row = sqlx::query(
                        "SELECT id, principal_id, display_name, create_time, expire_time, last_used_time, revoke_time \
                         FROM tokens WHERE secret_hash = $1",
                    )
                    .bind(secret_hash)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(db_error)?;
                    let Some(row) = row else { return Ok(None) };
                    let token = token_from_row(&row)?;
                    let principal = self.get_principal(&token.principal).await?;
                    Ok(Some((token, principal)))
                }

                async fn list_tokens(&self, query: &ListQuery) -> Result<Page<Token>> {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(format!("SELECT {TOKEN_COLUMNS} FROM tokens"));
                    push_list_clauses(&mut qb, query, Columns::same(token_column));
                    let rows = qb.build().fetch_all(self.reader()).await.map_err(db_error)?;
                    let items = rows.iter().map(token_from_row).collect::<Result<Vec<_>>>()?;
                    Ok(query.page(items))
                }

                async fn revoke_token(&self, id: &TokenId, now: Timestamp) -> Result<Token> {
                    let mut tx = self.writer().begin().await.map_err(db_error)?;
                    sqlx::query("UPDATE tokens SET revoke_time = COALESCE(revoke_time, $2) WHERE id = $1")
                        .bind(id.as_str())
                        .bind(now.micros())
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    let row = sqlx::query(
                        "SELECT id, principal_id, display_name, create_time, expire_time, last_used_time, revoke_time \
                         FROM tokens WHERE id = $1",
                    )
                    .bind(id.as_str())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_error)?;
                    let Some(row) = row else { return Err(Error::not_found(id.name())) };
                    let token = token_from_row(&row)?;
                    bump(&mut tx).await?;
                    tx.commit().await.map_err(db_error)?;
                    Ok(token)
                }

                async fn touch_tokens(&self, used: Vec<(TokenId, Timestamp)>) -> Result<()> {
                    if used.is_empty() {
                        return Ok(());
                    }
                    let mut tx = self.writer().begin().await.map_err(db_error)?;
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

                async fn rules(&self) -> Result<Vec<Rule>> {
                    let rows = sqlx::query(
                        "SELECT ptype, v0, v1, v2, v3, v4, v5 FROM casbin_rules ORDER BY ptype, v0, v1, v2, v3, v4, v5",
                    )
                    .fetch_all(self.reader())
                    .await
                    .map_err(db_error)?;
                    rows.iter()
                        .map(|row| {
                            let mut values = Vec::new();
                            for column in ["v0", "v1", "v2", "v3", "v4", "v5"] {
                                values.push(row.try_get::<String, _>(column).map_err(db_error)?);
                            }
                            while values.last().is_some_and(String::is_empty) {
                                values.pop();
                            }
                            Ok(Rule { ptype: row.try_get("ptype").map_err(db_error)?, values })
                        })
                        .collect()
                }

                async fn add_rules(&self, rules: Vec<Rule>) -> Result<u64> {
                    let mut tx = self.writer().begin().await.map_err(db_error)?;
                    let added = insert_rules(&mut tx, &rules).await?;
                    if added > 0 {
                        bump(&mut tx).await?;
                    }
                    tx.commit().await.map_err(db_error)?;
                    Ok(added)
                }

                async fn remove_rules(&self, rules: Vec<Rule>) -> Result<u64> {
                    let mut tx = self.writer().begin().await.map_err(db_error)?;
                    let mut removed = 0;
                    for rule in &rules {
                        let v = |i: usize| rule.values.get(i).cloned().unwrap_or_default();
                        let result = sqlx::query(
                            "DELETE FROM casbin_rules WHERE ptype = $1 AND v0 = $2 AND v1 = $3 AND v2 = $4 \
                             AND v3 = $5 AND v4 = $6 AND v5 = $7",
                        )
                        .bind(&rule.ptype)
                        .bind(v(0))
                        .bind(v(1))
                        .bind(v(2))
                        .bind(v(3))
                        .bind(v(4))
                        .bind(v(5))
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                        removed += result.rows_affected();
                    }
                    if removed > 0 {
                        bump(&mut tx).await?;
                    }
                    tx.commit().await.map_err(db_error)?;
                    Ok(removed)
                }

                async fn access_version(&self) -> Result<i64> {
                    sqlx::query_scalar("SELECT version FROM access_version WHERE id = 1")
                        .fetch_one(self.reader())
                        .await
                        .map_err(db_error)
                }

                async fn record_denials(&self, denials: Vec<Denial>) -> Result<()> {
                    if denials.is_empty() {
                        return Ok(());
                    }
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(
                        "INSERT INTO access_denials (time, principal, method, object, action, domain, reason, suppressed) ",
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
                    qb.build().persistent(false).execute(self.writer()).await.map_err(db_error)?;
                    Ok(())
                }

                async fn list_denials(&self, limit: i64) -> Result<Vec<Denial>> {
                    let rows = sqlx::query(
                        "SELECT time, principal, method, object, action, domain, reason, suppressed \
                         FROM access_denials ORDER BY id DESC LIMIT $1",
                    )
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await
                    .map_err(db_error)?;
                    rows.iter()
                        .map(|row| {
                            Ok(Denial {
                                time: Timestamp::from_micros(row.try_get("time").map_err(db_error)?),
                                principal: row.try_get("principal").map_err(db_error)?,
                                method: row.try_get("method").map_err(db_error)?,
                                object: row.try_get("object").map_err(db_error)?,
                                action: row.try_get("action").map_err(db_error)?,
                                domain: row.try_get("domain").map_err(db_error)?,
                                reason: row.try_get("reason").map_err(db_error)?,
                                suppressed: row.try_get("suppressed").map_err(db_error)?,
                            })
                        })
                        .collect()
                }
            }
        }
    };
}

pub(crate) use shared_access_store;
