//! The SQL for criteria sets that SQLite and PostgreSQL share, instantiated per backend by
//! [`shared_criteria_store!`] (see `shared.rs` for why a macro). A set is one row; its criteria
//! are JSON. Changes are read-modify-write under the backend's row lock, checked by the domain.

/// Expands to `impl CriteriaStore for $store`.
macro_rules! shared_criteria_store {
    ($store:ty, $db:ty, $lock:literal) => {
        mod criteria_impl {
            use async_trait::async_trait;
            use sqlx::{QueryBuilder, Row as _};

            use super::*;
            use crate::domain::criteria::{CriteriaSet, CriteriaSetId, Criterion, SetState};
            use crate::domain::listing::{ListQuery, Page};
            use crate::domain::{Error, Result};
            use crate::store::sql::{push_list_clauses, Columns};
            use crate::store::{db_error, write_error, CriteriaStore, SetChange};

            type DbRow = <$db as sqlx::Database>::Row;

            const COLUMNS: &str = "id, title, description, state, template, criteria, revision, create_time, \
                                   update_time, publish_time";

            fn column(field: &str) -> &'static str {
                match field {
                    "state" => "state",
                    "title" => "title",
                    "template" => "template",
                    "create_time" => "create_time",
                    "update_time" => "update_time",
                    _ => "id",
                }
            }

            fn from_row(row: &DbRow) -> Result<CriteriaSet> {
                let id: String = row.try_get("id").map_err(db_error)?;
                let state: String = row.try_get("state").map_err(db_error)?;
                let criteria: String = row.try_get("criteria").map_err(db_error)?;
                let criteria: Vec<Criterion> = serde_json::from_str(&criteria)
                    .map_err(|e| Error::internal(format!("stored criteria of {id}: {e}")))?;
                Ok(CriteriaSet {
                    id: CriteriaSetId::from_name("id", &format!("criteriaSets/{id}"))
                        .map_err(|e| Error::internal(e.description))?,
                    title: row.try_get("title").map_err(db_error)?,
                    description: row.try_get("description").map_err(db_error)?,
                    state: SetState::parse(&state)
                        .ok_or_else(|| Error::internal(format!("stored state {state:?} of {id}")))?,
                    template: row.try_get("template").map_err(db_error)?,
                    criteria,
                    revision: row.try_get("revision").map_err(db_error)?,
                    create_time: row.try_get("create_time").map_err(db_error)?,
                    update_time: row.try_get("update_time").map_err(db_error)?,
                    publish_time: row.try_get("publish_time").map_err(db_error)?,
                })
            }

            fn criteria_json(set: &CriteriaSet) -> Result<String> {
                serde_json::to_string(&set.criteria).map_err(|e| Error::internal(e.to_string()))
            }

            async fn insert(
                executor: impl sqlx::Executor<'_, Database = $db>,
                set: &CriteriaSet,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO criteria_sets (id, title, description, state, template, criteria, revision, \
                     create_time, update_time, publish_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(set.id.as_str())
                .bind(&set.title)
                .bind(&set.description)
                .bind(set.state.as_str())
                .bind(set.template)
                .bind(criteria_json(set)?)
                .bind(set.revision)
                .bind(set.create_time)
                .bind(set.update_time)
                .bind(set.publish_time)
                .execute(executor)
                .await
                .map_err(|e| write_error(e, &set.name()))?;
                Ok(())
            }

            #[async_trait]
            impl CriteriaStore for $store {
                async fn seed_criteria_template(&self, template: CriteriaSet) -> Result<bool> {
                    let mut tx = self.writer().begin().await.map_err(db_error)?;
                    let seeded: Option<String> =
                        sqlx::query_scalar("SELECT value FROM regie_meta WHERE key = 'criteria_template_seeded'")
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(db_error)?;
                    if seeded.is_some() {
                        return Ok(false);
                    }
                    insert(&mut *tx, &template).await?;
                    sqlx::query("INSERT INTO regie_meta (key, value) VALUES ('criteria_template_seeded', $1)")
                        .bind(template.create_time.to_string())
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    tx.commit().await.map_err(db_error)?;
                    Ok(true)
                }

                async fn create_criteria_set(&self, set: CriteriaSet) -> Result<CriteriaSet> {
                    insert(self.writer(), &set).await?;
                    Ok(set)
                }

                async fn get_criteria_set(&self, id: &CriteriaSetId) -> Result<CriteriaSet> {
                    let row = sqlx::query(concat!("SELECT id, title, description, state, template, criteria, revision, create_time, update_time, publish_time", " FROM criteria_sets WHERE id = $1"))
                        .bind(id.as_str())
                        .fetch_optional(self.reader())
                        .await
                        .map_err(db_error)?;
                    match row {
                        Some(row) => from_row(&row),
                        None => Err(Error::not_found(id.name())),
                    }
                }

                async fn list_criteria_sets(&self, query: &ListQuery) -> Result<Page<CriteriaSet>> {
                    let mut qb: QueryBuilder<$db> = QueryBuilder::new(format!("SELECT {COLUMNS} FROM criteria_sets"));
                    push_list_clauses(&mut qb, query, Columns::same(column));
                    let rows = qb.build().fetch_all(self.reader()).await.map_err(db_error)?;
                    let sets = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
                    Ok(query.page(sets))
                }

                async fn update_criteria_set(&self, id: &CriteriaSetId, change: SetChange) -> Result<CriteriaSet> {
                    let mut tx = self.writer().begin().await.map_err(db_error)?;
                    let row = sqlx::query(concat!("SELECT id, title, description, state, template, criteria, revision, create_time, update_time, publish_time", " FROM criteria_sets WHERE id = $1", $lock))
                        .bind(id.as_str())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    let mut set = match row {
                        Some(row) => from_row(&row)?,
                        None => return Err(Error::not_found(id.name())),
                    };
                    let before = set.revision;
                    change(&mut set)?;
                    if set.revision == before {
                        return Ok(set);
                    }
                    sqlx::query(
                        "UPDATE criteria_sets SET title = $2, description = $3, state = $4, template = $5, \
                         criteria = $6, revision = $7, update_time = $8, publish_time = $9 WHERE id = $1",
                    )
                    .bind(set.id.as_str())
                    .bind(&set.title)
                    .bind(&set.description)
                    .bind(set.state.as_str())
                    .bind(set.template)
                    .bind(criteria_json(&set)?)
                    .bind(set.revision)
                    .bind(set.update_time)
                    .bind(set.publish_time)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, &set.name()))?;
                    tx.commit().await.map_err(db_error)?;
                    Ok(set)
                }
            }
        }
    };
}

pub(crate) use shared_criteria_store;
