//! The read-modify-write behind every update that names the revision it expects: departments,
//! working groups, principals and criteria sets. One transaction reads the row under the
//! backend's row lock (`FOR UPDATE` on PostgreSQL, so concurrent updates queue instead of
//! overwriting each other; SQLite's single writer connection needs none), checks the etag,
//! applies the caller's change, and writes and commits only when the change calls for a write;
//! otherwise it rolls back and returns the value as the change left it.
//!
//! What differs per resource is passed in: how to read and write its rows (from
//! `directory_sql.rs`, `access_sql.rs`, `criteria_sql.rs`) and `stamp`, which says whether to
//! write and moves the revision and update time when the store owns them.

use sqlx::{Database, Pool};

use super::db_error;
use crate::domain::access::Principal;
use crate::domain::criteria::CriteriaSet;
use crate::domain::directory::{Department, WorkingGroup, check_etag};
use crate::domain::{Error, Result};

/// A stored resource whose revision is its etag.
pub trait Revised: Clone {
    fn revision(&self) -> i64;
}

impl Revised for Department {
    fn revision(&self) -> i64 {
        self.revision
    }
}

impl Revised for WorkingGroup {
    fn revision(&self) -> i64 {
        self.revision
    }
}

impl Revised for Principal {
    fn revision(&self) -> i64 {
        self.revision
    }
}

impl Revised for CriteriaSet {
    fn revision(&self) -> i64 {
        self.revision
    }
}

/// Updates the resource called `name` in one transaction on `pool`:
///
/// 1. `read` it, locked (`None`: NOT_FOUND);
/// 2. check `etag` against its revision (an empty etag always matches);
/// 3. apply `change` (its error aborts the update);
/// 4. `stamp(before, after)`: whether to write, moving the revision and update time if the
///    store owns them; if not, roll back and return the value as it is;
/// 5. `write(before, after)`, then commit.
pub async fn update_with_etag<DB, T>(
    pool: &Pool<DB>,
    name: &str,
    etag: &str,
    read: impl AsyncFnOnce(&mut DB::Connection) -> Result<Option<T>>,
    change: impl FnOnce(&mut T) -> Result<()>,
    stamp: impl FnOnce(&T, &mut T) -> bool,
    write: impl AsyncFnOnce(&mut DB::Connection, &T, &T) -> Result<()>,
) -> Result<T>
where
    DB: Database,
    T: Revised,
{
    let mut tx = pool.begin().await.map_err(db_error)?;
    let Some(mut value) = read(&mut *tx).await? else {
        return Err(Error::not_found(name));
    };
    check_etag(name, etag, value.revision())?;
    let before = value.clone();
    change(&mut value)?;
    if !stamp(&before, &mut value) {
        return Ok(value);
    }
    write(&mut *tx, &before, &value).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(value)
}
