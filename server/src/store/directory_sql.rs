//! The SQL for departments and working groups that SQLite and PostgreSQL share: plain generic
//! functions over the sqlx database, which `sqlite.rs` and `postgres.rs` call with their own
//! pools (as `case_sql.rs` is called for cases). The statements use `$1`-style parameters,
//! which both drivers accept. What differs is passed in: `lock`, the clause that locks the row
//! a read-modify-write changes (` FOR UPDATE` on PostgreSQL; nothing on SQLite, whose single
//! writer connection leaves no one else to change the row inside a write transaction).
//!
//! The bounds every function needs are written once, on the `impl` block of [`DirectorySql`].

use std::marker::PhantomData;

use sqlx::{
    AssertSqlSafe, Database, Decode, Encode, Executor, FromRow, IntoArguments, Pool, QueryBuilder,
    Type,
};

use super::etag::update_with_etag;
use super::sql::{Columns, push_list_clauses};
use super::{DepartmentChange, GroupChange, db_error, write_error};
use crate::domain::directory::{
    Department, DepartmentCode, Member, MemberRef, NewDepartment, NewWorkingGroup, WorkingGroup,
};
use crate::domain::listing::{ListQuery, Page};
use crate::domain::names::GroupId;
use crate::domain::time::Timestamp;
use crate::domain::{Error, Result};

const DEPARTMENT_COLUMNS: &str =
    "code, name_nl, name_en, in_sector_rijk, active, revision, create_time, update_time";
const GROUP_COLUMNS: &str =
    "id, display_name, mandate, chair_department, active, revision, create_time, update_time";

fn department_column(field: &str) -> &'static str {
    match field {
        "name_nl" => "name_nl",
        "name_en" => "name_en",
        "in_sector_rijk" => "in_sector_rijk",
        "active" => "active",
        _ => "code",
    }
}

fn group_column(field: &str) -> &'static str {
    match field {
        "display_name" => "display_name",
        "chair_department" => "chair_department",
        "active" => "active",
        "create_time" => "create_time",
        _ => "id",
    }
}

/// A department row.
#[derive(FromRow)]
pub struct DepartmentRow {
    code: String,
    name_nl: String,
    name_en: String,
    in_sector_rijk: bool,
    active: bool,
    revision: i64,
    create_time: i64,
    update_time: i64,
}

impl DepartmentRow {
    fn department(self) -> Result<Department> {
        Ok(Department {
            code: DepartmentCode::parse("code", &self.code).map_err(|e| {
                Error::internal(format!("stored department code: {}", e.description))
            })?,
            name_nl: self.name_nl,
            name_en: self.name_en,
            in_sector_rijk: self.in_sector_rijk,
            active: self.active,
            revision: self.revision,
            create_time: Timestamp::from_micros(self.create_time),
            update_time: Timestamp::from_micros(self.update_time),
        })
    }
}

/// A working group row, without its members.
#[derive(FromRow)]
pub struct GroupRow {
    id: String,
    display_name: String,
    mandate: String,
    chair_department: String,
    active: bool,
    revision: i64,
    create_time: i64,
    update_time: i64,
}

impl GroupRow {
    fn group(self) -> Result<WorkingGroup> {
        Ok(WorkingGroup {
            id: GroupId::parse("id", &self.id)
                .map_err(|e| Error::internal(format!("stored group id: {}", e.description)))?,
            display_name: self.display_name,
            mandate: self.mandate,
            chair_department: DepartmentCode::parse("chair_department", &self.chair_department)
                .map_err(|e| Error::internal(format!("stored chair: {}", e.description)))?,
            members: Vec::new(),
            active: self.active,
            revision: self.revision,
            create_time: Timestamp::from_micros(self.create_time),
            update_time: Timestamp::from_micros(self.update_time),
        })
    }
}

/// A member row: a department or a person, never both.
#[derive(FromRow)]
pub struct MemberRow {
    working_group_id: String,
    department_code: Option<String>,
    person: Option<String>,
    role: String,
}

impl MemberRow {
    /// The member and the id of its group.
    fn member(self) -> Result<(String, Member)> {
        let who = match (self.department_code, self.person) {
            (Some(code), None) => MemberRef::Department(
                DepartmentCode::parse("department", &code)
                    .map_err(|e| Error::internal(e.description))?,
            ),
            (None, Some(person)) => MemberRef::Person(person),
            _ => {
                return Err(Error::internal(format!(
                    "member row of {} names no one",
                    self.working_group_id
                )));
            }
        };
        Ok((
            self.working_group_id,
            Member {
                who,
                role: self.role,
            },
        ))
    }
}

/// The shared directory SQL for the database `DB`.
pub struct DirectorySql<DB>(PhantomData<DB>);

impl<DB> DirectorySql<DB>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> i32: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'r> String: Decode<'r, DB>,
    for<'r> i64: Decode<'r, DB>,
    for<'r> DepartmentRow: FromRow<'r, DB::Row>,
    for<'r> GroupRow: FromRow<'r, DB::Row>,
    for<'r> MemberRow: FromRow<'r, DB::Row>,
    for<'r> (String,): FromRow<'r, DB::Row>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
{
    /// The department, read with the row-lock clause `lock` (`""` for a plain read).
    async fn select_department<'e>(
        executor: impl Executor<'e, Database = DB>,
        code: &DepartmentCode,
        lock: &'static str,
    ) -> Result<Option<Department>> {
        let row: Option<DepartmentRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {DEPARTMENT_COLUMNS} FROM departments WHERE code = $1{lock}"
        )))
        .bind(code.as_str())
        .fetch_optional(executor)
        .await
        .map_err(db_error)?;
        row.map(DepartmentRow::department).transpose()
    }

    async fn insert_department(
        connection: &mut DB::Connection,
        department: &NewDepartment,
        now: Timestamp,
    ) -> Result<Department> {
        sqlx::query(
            "INSERT INTO departments \
             (code, name_nl, name_en, in_sector_rijk, active, revision, create_time, update_time) \
             VALUES ($1, $2, $3, $4, $5, 1, $6, $6)",
        )
        .bind(department.code.as_str())
        .bind(department.name_nl.as_str())
        .bind(department.name_en.as_str())
        .bind(department.in_sector_rijk)
        .bind(department.active)
        .bind(now.micros())
        .execute(&mut *connection)
        .await
        .map_err(|e| write_error(e, &department.code.name()))?;
        Ok(Department {
            code: department.code.clone(),
            name_nl: department.name_nl.clone(),
            name_en: department.name_en.clone(),
            in_sector_rijk: department.in_sector_rijk,
            active: department.active,
            revision: 1,
            create_time: now,
            update_time: now,
        })
    }

    /// The working group without its members, read with the row-lock clause `lock`.
    async fn select_group(
        connection: &mut DB::Connection,
        id: &GroupId,
        lock: &'static str,
    ) -> Result<Option<WorkingGroup>> {
        let row: Option<GroupRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {GROUP_COLUMNS} FROM working_groups WHERE id = $1{lock}"
        )))
        .bind(id.as_str())
        .fetch_optional(&mut *connection)
        .await
        .map_err(db_error)?;
        row.map(GroupRow::group).transpose()
    }

    /// The working group with its members, read with the row-lock clause `lock`.
    async fn group_with_members(
        connection: &mut DB::Connection,
        id: &GroupId,
        lock: &'static str,
    ) -> Result<Option<WorkingGroup>> {
        let Some(group) = Self::select_group(connection, id, lock).await? else {
            return Ok(None);
        };
        let mut groups = vec![group];
        Self::load_members(connection, &mut groups).await?;
        groups
            .pop()
            .map(Some)
            .ok_or_else(|| Error::internal("group vanished"))
    }

    /// Loads the members of the given groups into them, in the order they were added.
    async fn load_members(
        connection: &mut DB::Connection,
        groups: &mut [WorkingGroup],
    ) -> Result<()> {
        if groups.is_empty() {
            return Ok(());
        }
        let mut qb: QueryBuilder<DB> = QueryBuilder::new(
            "SELECT working_group_id, department_code, person, role FROM working_group_members \
             WHERE working_group_id IN (",
        );
        let mut ids = qb.separated(", ");
        for group in groups.iter() {
            ids.push_bind(group.id.as_str().to_owned());
        }
        qb.push(") ORDER BY working_group_id, position");
        let rows: Vec<MemberRow> = qb
            .build_query_as()
            .fetch_all(&mut *connection)
            .await
            .map_err(db_error)?;
        for row in rows {
            let (group_id, member) = row.member()?;
            if let Some(group) = groups.iter_mut().find(|g| g.id.as_str() == group_id) {
                group.members.push(member);
            }
        }
        Ok(())
    }

    async fn write_members(connection: &mut DB::Connection, group: &WorkingGroup) -> Result<()> {
        sqlx::query("DELETE FROM working_group_members WHERE working_group_id = $1")
            .bind(group.id.as_str())
            .execute(&mut *connection)
            .await
            .map_err(db_error)?;
        for (position, member) in group.members.iter().enumerate() {
            let (department, person) = match &member.who {
                MemberRef::Department(code) => (Some(code.as_str()), None),
                MemberRef::Person(person) => (None, Some(person.as_str())),
            };
            sqlx::query(
                "INSERT INTO working_group_members \
                 (working_group_id, position, department_code, person, role) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(group.id.as_str())
            .bind(position as i32)
            .bind(department)
            .bind(person)
            .bind(member.role.as_str())
            .execute(&mut *connection)
            .await
            .map_err(|e| {
                write_error(
                    e,
                    &format!("member {} of {}", member.who.describe(), group.name()),
                )
            })?;
        }
        Ok(())
    }

    /// Inserts the seed departments the first time, and never again (`regie_meta` remembers).
    pub async fn seed_departments(
        writer: &Pool<DB>,
        departments: Vec<NewDepartment>,
    ) -> Result<usize> {
        let mut tx = writer.begin().await.map_err(db_error)?;
        let seeded: Option<String> =
            sqlx::query_scalar("SELECT value FROM regie_meta WHERE key = 'departments_seeded'")
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
        if seeded.is_some() {
            return Ok(0);
        }
        let now = Timestamp::now();
        let mut inserted = 0;
        for department in &departments {
            let exists: Option<i64> = sqlx::query_scalar(
                "SELECT revision FROM departments WHERE lower(code) = lower($1)",
            )
            .bind(department.code.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
            if exists.is_none() {
                Self::insert_department(&mut tx, department, now).await?;
                inserted += 1;
            }
        }
        sqlx::query("INSERT INTO regie_meta (key, value) VALUES ('departments_seeded', $1)")
            .bind(now.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(inserted)
    }

    pub async fn get_department(reader: &Pool<DB>, code: &DepartmentCode) -> Result<Department> {
        Self::select_department(reader, code, "")
            .await?
            .ok_or_else(|| Error::not_found(code.name()))
    }

    pub async fn list_departments(
        reader: &Pool<DB>,
        query: &ListQuery,
    ) -> Result<Page<Department>> {
        let mut qb: QueryBuilder<DB> =
            QueryBuilder::new(format!("SELECT {DEPARTMENT_COLUMNS} FROM departments"));
        push_list_clauses(&mut qb, query, Columns::same(department_column));
        let rows: Vec<DepartmentRow> = qb
            .build_query_as()
            .fetch_all(reader)
            .await
            .map_err(db_error)?;
        let departments = rows
            .into_iter()
            .map(DepartmentRow::department)
            .collect::<Result<Vec<_>>>()?;
        Ok(query.page(departments))
    }

    pub async fn create_department(
        writer: &Pool<DB>,
        department: NewDepartment,
    ) -> Result<Department> {
        let mut tx = writer.begin().await.map_err(db_error)?;
        let created = Self::insert_department(&mut tx, &department, Timestamp::now()).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(created)
    }

    /// Applies `change` under the row lock `lock`; the revision moves on every update.
    pub async fn update_department(
        writer: &Pool<DB>,
        lock: &'static str,
        code: &DepartmentCode,
        etag: &str,
        change: DepartmentChange,
    ) -> Result<Department> {
        update_with_etag(
            writer,
            &code.name(),
            etag,
            async |connection: &mut DB::Connection| {
                Self::select_department(connection, code, lock).await
            },
            change,
            |_, department: &mut Department| {
                department.revision += 1;
                department.update_time = Timestamp::now();
                true
            },
            async |connection: &mut DB::Connection, _, department: &Department| {
                sqlx::query(
                    "UPDATE departments SET name_nl = $2, name_en = $3, in_sector_rijk = $4, \
                     active = $5, revision = $6, update_time = $7 WHERE code = $1",
                )
                .bind(department.code.as_str())
                .bind(department.name_nl.as_str())
                .bind(department.name_en.as_str())
                .bind(department.in_sector_rijk)
                .bind(department.active)
                .bind(department.revision)
                .bind(department.update_time.micros())
                .execute(&mut *connection)
                .await
                .map_err(|e| write_error(e, &department.name()))?;
                Ok(())
            },
        )
        .await
    }

    pub async fn get_working_group(reader: &Pool<DB>, id: &GroupId) -> Result<WorkingGroup> {
        let mut connection = reader.acquire().await.map_err(db_error)?;
        Self::group_with_members(&mut connection, id, "")
            .await?
            .ok_or_else(|| Error::not_found(id.name()))
    }

    pub async fn list_working_groups(
        reader: &Pool<DB>,
        query: &ListQuery,
    ) -> Result<Page<WorkingGroup>> {
        let mut connection = reader.acquire().await.map_err(db_error)?;
        let mut qb: QueryBuilder<DB> =
            QueryBuilder::new(format!("SELECT {GROUP_COLUMNS} FROM working_groups"));
        push_list_clauses(&mut qb, query, Columns::same(group_column));
        let rows: Vec<GroupRow> = qb
            .build_query_as()
            .fetch_all(&mut *connection)
            .await
            .map_err(db_error)?;
        let mut page = query.page(
            rows.into_iter()
                .map(GroupRow::group)
                .collect::<Result<Vec<_>>>()?,
        );
        Self::load_members(&mut connection, &mut page.items).await?;
        Ok(page)
    }

    pub async fn create_working_group(
        writer: &Pool<DB>,
        group: NewWorkingGroup,
    ) -> Result<WorkingGroup> {
        let now = Timestamp::now();
        let created = WorkingGroup {
            id: group.id,
            display_name: group.display_name,
            mandate: group.mandate,
            chair_department: group.chair_department,
            members: group.members,
            active: true,
            revision: 1,
            create_time: now,
            update_time: now,
        };
        let mut tx = writer.begin().await.map_err(db_error)?;
        sqlx::query(
            "INSERT INTO working_groups \
             (id, display_name, mandate, chair_department, active, revision, create_time, \
             update_time) VALUES ($1, $2, $3, $4, TRUE, 1, $5, $5)",
        )
        .bind(created.id.as_str())
        .bind(created.display_name.as_str())
        .bind(created.mandate.as_str())
        .bind(created.chair_department.as_str())
        .bind(now.micros())
        .execute(&mut *tx)
        .await
        .map_err(|e| write_error(e, &created.name()))?;
        Self::write_members(&mut tx, &created).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(created)
    }

    /// Applies `change` under the row lock `lock`; the revision moves on every update, and the
    /// members are written again only when they changed.
    pub async fn update_working_group(
        writer: &Pool<DB>,
        lock: &'static str,
        id: &GroupId,
        etag: &str,
        change: GroupChange,
    ) -> Result<WorkingGroup> {
        update_with_etag(
            writer,
            &id.name(),
            etag,
            async |connection: &mut DB::Connection| {
                Self::group_with_members(connection, id, lock).await
            },
            change,
            |_, group: &mut WorkingGroup| {
                group.revision += 1;
                group.update_time = Timestamp::now();
                true
            },
            async |connection: &mut DB::Connection, before: &WorkingGroup, group: &WorkingGroup| {
                sqlx::query(
                    "UPDATE working_groups SET display_name = $2, mandate = $3, \
                     chair_department = $4, active = $5, revision = $6, update_time = $7 \
                     WHERE id = $1",
                )
                .bind(group.id.as_str())
                .bind(group.display_name.as_str())
                .bind(group.mandate.as_str())
                .bind(group.chair_department.as_str())
                .bind(group.active)
                .bind(group.revision)
                .bind(group.update_time.micros())
                .execute(&mut *connection)
                .await
                .map_err(|e| write_error(e, &group.name()))?;
                if group.members != before.members {
                    Self::write_members(connection, group).await?;
                }
                Ok(())
            },
        )
        .await
    }
}
