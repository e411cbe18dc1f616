//! The SQL for criteria sets that SQLite and PostgreSQL share: plain generic functions over the
//! sqlx database, which `sqlite.rs` and `postgres.rs` call with their own pools and row-lock
//! clause (see `directory_sql.rs`). A set is one row; its criteria are JSON. Changes are
//! read-modify-write under the backend's row lock, checked and versioned by the domain.
//!
//! The bounds every function needs are written once, on the `impl` block of [`CriteriaSql`].

use std::marker::PhantomData;

use sqlx::{
    AssertSqlSafe, Database, Decode, Encode, Executor, FromRow, IntoArguments, Pool, QueryBuilder,
    Type,
};

use super::etag::update_with_etag;
use super::sql::{Columns, push_list_clauses};
use super::{SetChange, db_error, write_error};
use crate::domain::criteria::{CriteriaSet, CriteriaSetId, Criterion, SetState};
use crate::domain::listing::{ListQuery, Page};
use crate::domain::{Error, Result};

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

/// A criteria set row; `criteria` is the JSON of its criteria.
#[derive(FromRow)]
pub struct CriteriaSetRow {
    id: String,
    title: String,
    description: String,
    state: String,
    template: bool,
    criteria: String,
    revision: i64,
    create_time: i64,
    update_time: i64,
    publish_time: Option<i64>,
}

impl CriteriaSetRow {
    fn set(self) -> Result<CriteriaSet> {
        let id = self.id;
        let criteria: Vec<Criterion> = serde_json::from_str(&self.criteria)
            .map_err(|e| Error::internal(format!("stored criteria of {id}: {e}")))?;
        Ok(CriteriaSet {
            id: CriteriaSetId::from_name("id", &format!("criteriaSets/{id}"))
                .map_err(|e| Error::internal(e.description))?,
            title: self.title,
            description: self.description,
            state: SetState::parse(&self.state)
                .ok_or_else(|| Error::internal(format!("stored state {:?} of {id}", self.state)))?,
            template: self.template,
            criteria,
            revision: self.revision,
            create_time: self.create_time,
            update_time: self.update_time,
            publish_time: self.publish_time,
        })
    }
}

fn criteria_json(set: &CriteriaSet) -> Result<String> {
    serde_json::to_string(&set.criteria).map_err(|e| Error::internal(e.to_string()))
}

/// The shared criteria set SQL for the database `DB`.
pub struct CriteriaSql<DB>(PhantomData<DB>);

impl<DB> CriteriaSql<DB>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'r> String: Decode<'r, DB>,
    for<'r> CriteriaSetRow: FromRow<'r, DB::Row>,
    for<'r> (String,): FromRow<'r, DB::Row>,
{
    async fn insert<'e>(
        executor: impl Executor<'e, Database = DB>,
        set: &CriteriaSet,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO criteria_sets (id, title, description, state, template, criteria, \
             revision, create_time, update_time, publish_time) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(set.id.as_str())
        .bind(set.title.as_str())
        .bind(set.description.as_str())
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

    /// The set, read with the row-lock clause `lock` (`""` for a plain read).
    async fn select<'e>(
        executor: impl Executor<'e, Database = DB>,
        id: &CriteriaSetId,
        lock: &'static str,
    ) -> Result<Option<CriteriaSet>> {
        let row: Option<CriteriaSetRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM criteria_sets WHERE id = $1{lock}"
        )))
        .bind(id.as_str())
        .fetch_optional(executor)
        .await
        .map_err(db_error)?;
        row.map(CriteriaSetRow::set).transpose()
    }

    /// Stores the template the first time, and never again (`regie_meta` remembers).
    pub async fn seed_criteria_template(writer: &Pool<DB>, template: CriteriaSet) -> Result<bool> {
        let mut tx = writer.begin().await.map_err(db_error)?;
        let seeded: Option<String> = sqlx::query_scalar(
            "SELECT value FROM regie_meta WHERE key = 'criteria_template_seeded'",
        )
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        if seeded.is_some() {
            return Ok(false);
        }
        Self::insert(&mut *tx, &template).await?;
        sqlx::query("INSERT INTO regie_meta (key, value) VALUES ('criteria_template_seeded', $1)")
            .bind(template.create_time.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }

    pub async fn create_criteria_set(writer: &Pool<DB>, set: CriteriaSet) -> Result<CriteriaSet> {
        Self::insert(writer, &set).await?;
        Ok(set)
    }

    pub async fn get_criteria_set(reader: &Pool<DB>, id: &CriteriaSetId) -> Result<CriteriaSet> {
        Self::select(reader, id, "")
            .await?
            .ok_or_else(|| Error::not_found(id.name()))
    }

    pub async fn list_criteria_sets(
        reader: &Pool<DB>,
        query: &ListQuery,
    ) -> Result<Page<CriteriaSet>> {
        let mut qb: QueryBuilder<DB> =
            QueryBuilder::new(format!("SELECT {COLUMNS} FROM criteria_sets"));
        push_list_clauses(&mut qb, query, Columns::same(column));
        let rows: Vec<CriteriaSetRow> = qb
            .build_query_as()
            .fetch_all(reader)
            .await
            .map_err(db_error)?;
        let sets = rows
            .into_iter()
            .map(CriteriaSetRow::set)
            .collect::<Result<Vec<_>>>()?;
        Ok(query.page(sets))
    }

    /// Applies `change` under the row lock `lock`. The domain checks the change and moves the
    /// revision; the set is written only if it did. No etag: the domain's checks stand in.
    pub async fn update_criteria_set(
        writer: &Pool<DB>,
        lock: &'static str,
        id: &CriteriaSetId,
        change: SetChange,
    ) -> Result<CriteriaSet> {
        update_with_etag(
            writer,
            &id.name(),
            "",
            async |connection: &mut DB::Connection| Self::select(connection, id, lock).await,
            change,
            |before, set: &mut CriteriaSet| set.revision != before.revision,
            async |connection: &mut DB::Connection, _, set: &CriteriaSet| {
                sqlx::query(
                    "UPDATE criteria_sets SET title = $2, description = $3, state = $4, \
                     template = $5, criteria = $6, revision = $7, update_time = $8, \
                     publish_time = $9 WHERE id = $1",
                )
                .bind(set.id.as_str())
                .bind(set.title.as_str())
                .bind(set.description.as_str())
                .bind(set.state.as_str())
                .bind(set.template)
                .bind(criteria_json(set)?)
                .bind(set.revision)
                .bind(set.update_time)
                .bind(set.publish_time)
                .execute(&mut *connection)
                .await
                .map_err(|e| write_error(e, &set.name()))?;
                Ok(())
            },
        )
        .await
    }
}
