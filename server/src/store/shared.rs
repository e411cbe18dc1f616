//! The SQL and row mapping that SQLite and PostgreSQL share, written once and instantiated for
//! each backend by [`shared_store!`].
//!
//! Why a macro and not generics: sqlx code generic over the database needs a bound for every
//! type and executor it touches, on every function, and those bounds are not implied through
//! supertraits. The macro keeps the SQL in plain sight, one copy, with concrete types.
//!
//! A backend module provides `writer()` and `reader()` pools and passes the clause that locks
//! the row being changed (`FOR UPDATE` on PostgreSQL; SQLite has a single writer connection, so
//! nothing else can change the row inside a write transaction).

/// Expands to `impl Store for $store`. `$db` is the sqlx database type and `$lock` the row-lock
/// clause appended to the SELECT that starts a read-modify-write.
macro_rules! shared_store {
    ($store:ty, $db:ty, $lock:literal) => {
        use async_trait::async_trait;
        use sqlx::{QueryBuilder, Row as _};

        use crate::domain::directory::{
            check_etag, Department, DepartmentCode, Member, MemberRef, NewDepartment, NewWorkingGroup,
            WorkingGroup,
        };
        use crate::domain::listing::{ListQuery, Page};
        use crate::domain::names::GroupId;
        use crate::domain::time::Timestamp;
        use crate::domain::{Error, Result};
        use crate::store::sql::{push_list_clauses, Columns};
        use crate::store::{db_error, write_error, DepartmentChange, DirectoryStore, GroupChange};

        type DbRow = <$db as sqlx::Database>::Row;
        type Tx = sqlx::Transaction<'static, $db>;

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

        fn department_from_row(row: &DbRow) -> Result<Department> {
            let code: String = row.try_get("code").map_err(db_error)?;
            Ok(Department {
                code: DepartmentCode::parse("code", &code)
                    .map_err(|e| Error::internal(format!("stored department code: {}", e.description)))?,
                name_nl: row.try_get("name_nl").map_err(db_error)?,
                name_en: row.try_get("name_en").map_err(db_error)?,
                in_sector_rijk: row.try_get("in_sector_rijk").map_err(db_error)?,
                active: row.try_get("active").map_err(db_error)?,
                revision: row.try_get("revision").map_err(db_error)?,
                create_time: Timestamp::from_micros(row.try_get("create_time").map_err(db_error)?),
                update_time: Timestamp::from_micros(row.try_get("update_time").map_err(db_error)?),
            })
        }

        fn group_from_row(row: &DbRow) -> Result<WorkingGroup> {
            let id: String = row.try_get("id").map_err(db_error)?;
            let chair: String = row.try_get("chair_department").map_err(db_error)?;
            Ok(WorkingGroup {
                id: GroupId::parse("id", &id).map_err(|e| Error::internal(format!("stored group id: {}", e.description)))?,
                display_name: row.try_get("display_name").map_err(db_error)?,
                mandate: row.try_get("mandate").map_err(db_error)?,
                chair_department: DepartmentCode::parse("chair_department", &chair)
                    .map_err(|e| Error::internal(format!("stored chair: {}", e.description)))?,
                members: Vec::new(),
                active: row.try_get("active").map_err(db_error)?,
                revision: row.try_get("revision").map_err(db_error)?,
                create_time: Timestamp::from_micros(row.try_get("create_time").map_err(db_error)?),
                update_time: Timestamp::from_micros(row.try_get("update_time").map_err(db_error)?),
            })
        }

        fn member_from_row(row: &DbRow) -> Result<(String, Member)> {
            let group: String = row.try_get("working_group_id").map_err(db_error)?;
            let department: Option<String> = row.try_get("department_code").map_err(db_error)?;
            let person: Option<String> = row.try_get("person").map_err(db_error)?;
            let who = match (department, person) {
                (Some(code), None) => MemberRef::Department(
                    DepartmentCode::parse("department", &code).map_err(|e| Error::internal(e.description))?,
                ),
                (None, Some(person)) => MemberRef::Person(person),
                _ => return Err(Error::internal(format!("member row of {group} names no one"))),
            };
            Ok((group, Member { who, role: row.try_get("role").map_err(db_error)? }))
        }

        async fn select_department(
            executor: impl sqlx::Executor<'_, Database = $db>,
            code: &DepartmentCode,
            lock: bool,
        ) -> Result<Department> {
            let sql = if lock {
                concat!(
                    "SELECT code, name_nl, name_en, in_sector_rijk, active, revision, create_time, update_time",
                    " FROM departments WHERE code = $1",
                    $lock
                )
            } else {
                "SELECT code, name_nl, name_en, in_sector_rijk, active, revision, create_time, update_time \
                 FROM departments WHERE code = $1"
            };
            let row = sqlx::query(sql).bind(code.as_str()).fetch_optional(executor).await.map_err(db_error)?;
            match row {
                Some(row) => department_from_row(&row),
                None => Err(Error::not_found(code.name())),
            }
        }

        async fn insert_department(tx: &mut Tx, department: &NewDepartment, now: Timestamp) -> Result<Department> {
            sqlx::query(
                "INSERT INTO departments \
                 (code, name_nl, name_en, in_sector_rijk, active, revision, create_time, update_time) \
                 VALUES ($1, $2, $3, $4, $5, 1, $6, $6)",
            )
            .bind(department.code.as_str())
            .bind(&department.name_nl)
            .bind(&department.name_en)
            .bind(department.in_sector_rijk)
            .bind(department.active)
            .bind(now.micros())
            .execute(&mut **tx)
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

        /// Loads the members of the given groups into them, in the order they were added.
        async fn load_members(
            executor: impl sqlx::Executor<'_, Database = $db>,
            groups: &mut [WorkingGroup],
        ) -> Result<()> {
            if groups.is_empty() {
                return Ok(());
            }
            let mut qb: QueryBuilder<$db> = QueryBuilder::new(
                "SELECT working_group_id, department_code, person, role FROM working_group_members \
                 WHERE working_group_id IN (",
            );
            let mut ids = qb.separated(", ");
            for group in groups.iter() {
                ids.push_bind(group.id.as_str().to_owned());
            }
            qb.push(") ORDER BY working_group_id, position");
            let rows = qb.build().fetch_all(executor).await.map_err(db_error)?;
            for row in &rows {
                let (group_id, member) = member_from_row(row)?;
                if let Some(group) = groups.iter_mut().find(|g| g.id.as_str() == group_id) {
                    group.members.push(member);
                }
            }
            Ok(())
        }

        async fn write_members(tx: &mut Tx, group: &WorkingGroup) -> Result<()> {
            sqlx::query("DELETE FROM working_group_members WHERE working_group_id = $1")
                .bind(group.id.as_str())
                .execute(&mut **tx)
                .await
                .map_err(db_error)?;
            for (position, member) in group.members.iter().enumerate() {
                let (department, person) = match &member.who {
                    MemberRef::Department(code) => (Some(code.as_str()), None),
                    MemberRef::Person(person) => (None, Some(person.as_str())),
                };
                sqlx::query(
                    "INSERT INTO working_group_members \
                     (working_group_id, position, department_code, person, role) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(group.id.as_str())
                .bind(position as i32)
                .bind(department)
                .bind(person)
                .bind(&member.role)
                .execute(&mut **tx)
                .await
                .map_err(|e| write_error(e, &format!("member {} of {}", member.who.describe(), group.name())))?;
            }
            Ok(())
        }

        #[async_trait]
        impl DirectoryStore for $store {
            async fn seed_departments(&self, departments: Vec<NewDepartment>) -> Result<usize> {
                let mut tx = self.writer().begin().await.map_err(db_error)?;
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
                    let exists: Option<i64> =
                        sqlx::query_scalar("SELECT revision FROM departments WHERE lower(code) = lower($1)")
                            .bind(department.code.as_str())
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(db_error)?;
                    if exists.is_none() {
                        insert_department(&mut tx, department, now).await?;
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

            async fn get_department(&self, code: &DepartmentCode) -> Result<Department> {
                select_department(self.reader(), code, false).await
            }

            async fn list_departments(&self, query: &ListQuery) -> Result<Page<Department>> {
                let mut qb: QueryBuilder<$db> =
                    QueryBuilder::new(format!("SELECT {DEPARTMENT_COLUMNS} FROM departments"));
                push_list_clauses(&mut qb, query, Columns::same(department_column));
                let rows = qb.build().fetch_all(self.reader()).await.map_err(db_error)?;
                let departments = rows.iter().map(department_from_row).collect::<Result<Vec<_>>>()?;
                Ok(query.page(departments))
            }

            async fn create_department(&self, department: NewDepartment) -> Result<Department> {
                let mut tx = self.writer().begin().await.map_err(db_error)?;
                let created = insert_department(&mut tx, &department, Timestamp::now()).await?;
                tx.commit().await.map_err(db_error)?;
                Ok(created)
            }

            async fn update_department(
                &self,
                code: &DepartmentCode,
                etag: &str,
                change: DepartmentChange,
            ) -> Result<Department> {
                let mut tx = self.writer().begin().await.map_err(db_error)?;
                let mut department = select_department(&mut *tx, code, true).await?;
                check_etag(&department.name(), etag, department.revision)?;
                change(&mut department)?;
                department.revision += 1;
                department.update_time = Timestamp::now();
                sqlx::query(
                    "UPDATE departments SET name_nl = $2, name_en = $3, in_sector_rijk = $4, active = $5, \
                     revision = $6, update_time = $7 WHERE code = $1",
                )
                .bind(department.code.as_str())
                .bind(&department.name_nl)
                .bind(&department.name_en)
                .bind(department.in_sector_rijk)
                .bind(department.active)
                .bind(department.revision)
                .bind(department.update_time.micros())
                .execute(&mut *tx)
                .await
                .map_err(|e| write_error(e, &department.name()))?;
                tx.commit().await.map_err(db_error)?;
                Ok(department)
            }

            async fn get_working_group(&self, id: &GroupId) -> Result<WorkingGroup> {
                let mut conn = self.reader().acquire().await.map_err(db_error)?;
                let row = sqlx::query(concat!(
                    "SELECT id, display_name, mandate, chair_department, active, revision, create_time, update_time",
                    " FROM working_groups WHERE id = $1"
                ))
                .bind(id.as_str())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_error)?;
                let mut groups = match row {
                    Some(row) => vec![group_from_row(&row)?],
                    None => return Err(Error::not_found(id.name())),
                };
                load_members(&mut *conn, &mut groups).await?;
                groups.pop().ok_or_else(|| Error::internal("group vanished"))
            }

            async fn list_working_groups(&self, query: &ListQuery) -> Result<Page<WorkingGroup>> {
                let mut conn = self.reader().acquire().await.map_err(db_error)?;
                let mut qb: QueryBuilder<$db> =
                    QueryBuilder::new(format!("SELECT {GROUP_COLUMNS} FROM working_groups"));
                push_list_clauses(&mut qb, query, Columns::same(group_column));
                let rows = qb.build().fetch_all(&mut *conn).await.map_err(db_error)?;
                let mut page = query.page(rows.iter().map(group_from_row).collect::<Result<Vec<_>>>()?);
                load_members(&mut *conn, &mut page.items).await?;
                Ok(page)
            }

            async fn create_working_group(&self, group: NewWorkingGroup) -> Result<WorkingGroup> {
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
                let mut tx = self.writer().begin().await.map_err(db_error)?;
                sqlx::query(
                    "INSERT INTO working_groups \
                     (id, display_name, mandate, chair_department, active, revision, create_time, update_time) \
                     VALUES ($1, $2, $3, $4, TRUE, 1, $5, $5)",
                )
                .bind(created.id.as_str())
                .bind(&created.display_name)
                .bind(&created.mandate)
                .bind(created.chair_department.as_str())
                .bind(now.micros())
                .execute(&mut *tx)
                .await
                .map_err(|e| write_error(e, &created.name()))?;
                write_members(&mut tx, &created).await?;
                tx.commit().await.map_err(db_error)?;
                Ok(created)
            }

            async fn update_working_group(&self, id: &GroupId, etag: &str, change: GroupChange) -> Result<WorkingGroup> {
                let mut tx = self.writer().begin().await.map_err(db_error)?;
                let row = sqlx::query(concat!(
                    "SELECT id, display_name, mandate, chair_department, active, revision, create_time, update_time",
                    " FROM working_groups WHERE id = $1",
                    $lock
                ))
                .bind(id.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
                let mut groups = match row {
                    Some(row) => vec![group_from_row(&row)?],
                    None => return Err(Error::not_found(id.name())),
                };
                load_members(&mut *tx, &mut groups).await?;
                let mut group = groups.pop().ok_or_else(|| Error::internal("group vanished"))?;
                check_etag(&group.name(), etag, group.revision)?;
                let members_before = group.members.clone();
                change(&mut group)?;
                group.revision += 1;
                group.update_time = Timestamp::now();
                sqlx::query(
                    "UPDATE working_groups SET display_name = $2, mandate = $3, chair_department = $4, \
                     active = $5, revision = $6, update_time = $7 WHERE id = $1",
                )
                .bind(group.id.as_str())
                .bind(&group.display_name)
                .bind(&group.mandate)
                .bind(group.chair_department.as_str())
                .bind(group.active)
                .bind(group.revision)
                .bind(group.update_time.micros())
                .execute(&mut *tx)
                .await
                .map_err(|e| write_error(e, &group.name()))?;
                if group.members != members_before {
                    write_members(&mut tx, &group).await?;
                }
                tx.commit().await.map_err(db_error)?;
                Ok(group)
            }

        }
    };
}

pub(crate) use shared_store;
