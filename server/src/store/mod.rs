//! Persistence. [`Store`] is everything the server needs from a database; SQLite (embedded, the
//! default) and PostgreSQL (shared, for several replicas) implement it, each with its own
//! migrations, and one conformance suite in `tests/` runs against both.
//!
//! The SQL both backends share is written once, in [`shared`], and instantiated for each: the
//! statements use `$1`-style parameters, which both drivers accept. What differs — connecting,
//! pooling, migrations, row locks — lives in [`sqlite`] and [`postgres`].

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::domain::directory::{
    Department, DepartmentCode, NewDepartment, NewWorkingGroup, WorkingGroup,
};
use crate::domain::listing::{ListQuery, Page};
use crate::domain::names::GroupId;
use crate::domain::{Error, Result};

pub mod postgres;
mod shared;
mod sql;
pub mod sqlite;

/// A change to a stored department, applied inside the store's transaction.
pub type DepartmentChange = Box<dyn FnOnce(&mut Department) -> Result<()> + Send>;
/// A change to a stored working group (fields or members), applied inside the transaction.
pub type GroupChange = Box<dyn FnOnce(&mut WorkingGroup) -> Result<()> + Send>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Inserts the seed departments the first time the database is started, and never again
    /// (so departments an operator deactivated or renamed stay as they are). Returns how many
    /// were inserted.
    async fn seed_departments(&self, departments: Vec<NewDepartment>) -> Result<usize>;

    async fn get_department(&self, code: &DepartmentCode) -> Result<Department>;
    async fn list_departments(&self, query: &ListQuery) -> Result<Page<Department>>;
    async fn create_department(&self, department: NewDepartment) -> Result<Department>;
    /// Applies `change` to the current department if `etag` (when not empty) is current.
    async fn update_department(
        &self,
        code: &DepartmentCode,
        etag: &str,
        change: DepartmentChange,
    ) -> Result<Department>;

    async fn get_working_group(&self, id: &GroupId) -> Result<WorkingGroup>;
    async fn list_working_groups(&self, query: &ListQuery) -> Result<Page<WorkingGroup>>;
    async fn create_working_group(&self, group: NewWorkingGroup) -> Result<WorkingGroup>;
    /// Applies `change` to the current group if `etag` (when not empty) is current.
    async fn update_working_group(
        &self,
        id: &GroupId,
        etag: &str,
        change: GroupChange,
    ) -> Result<WorkingGroup>;

    /// Waits for open connections to finish and closes them.
    async fn close(&self);
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub url: String,
    pub max_connections: u32,
    /// SQLite only: `FULL` (the default) makes every acknowledged commit survive a power cut;
    /// `NORMAL` is faster but may lose the last commits on power loss (never corrupts).
    pub sqlite_synchronous: SqliteSynchronous,
    pub acquire_timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    Full,
    Normal,
}

/// Opens the database the URL names and applies its migrations.
pub async fn open(options: &StoreOptions) -> anyhow::Result<Arc<dyn Store>> {
    let url = options.url.as_str();
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::open(options).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::open(options).await?))
    } else {
        anyhow::bail!(
            "unsupported database URL {}: use sqlite://PATH or postgres://USER@HOST/DATABASE",
            redact_url(url)
        )
    }
}

/// The URL without its password, for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Maps a database error that no caller expects.
fn db_error(error: sqlx::Error) -> Error {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            Error::Unavailable {
                message: format!("the database is unavailable: {error}"),
            }
        }
        other => Error::internal(format!("database error: {other}")),
    }
}

/// Maps an error of an insert or update: a duplicate key means `resource` exists; a missing
/// referenced row means a reference was dangling.
fn write_error(error: sqlx::Error, resource: &str) -> Error {
    if let Some(db) = error.as_database_error() {
        if db.is_unique_violation() {
            return Error::already_exists(resource);
        }
        if db.is_foreign_key_violation() {
            return Error::failed_precondition(
                crate::domain::error::reason::REFERENCED_RESOURCE_MISSING,
                format!("{resource} refers to a resource that does not exist"),
            );
        }
    }
    db_error(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            redact_url("postgres://regie:s3cret@db:5432/regie"),
            "postgres://regie:***@db:5432/regie"
        );
        assert_eq!(
            redact_url("postgres://regie@db/regie"),
            "postgres://regie@db/regie"
        );
        assert_eq!(redact_url("sqlite://regie.db"), "sqlite://regie.db");
    }
}
