//! Use cases of the directory: the departments and the working groups every case refers to.
//!
//! Who may call these is decided before the use case runs, from the method table alone
//! (`rpc/methods.rs`: creating and changing them in `rijk`, reading them in any domain), so they
//! take no caller. A group's department references must name existing, active departments
//! (`references::check_departments`); changes apply inside the store's transaction, if the etag
//! (when given) is current.

use super::App;
use super::references::check_departments;
use crate::domain::Result;
use crate::domain::directory::{
    Department, DepartmentCode, DepartmentDraft, DepartmentPatch, GroupId, MemberDraft, MemberRef,
    WorkingGroup, WorkingGroupDraft, WorkingGroupPatch,
};
use crate::domain::error::Error;
use crate::domain::listing::{ListParams, ListQuery, Page};

impl App {
    pub async fn get_department(&self, code: &DepartmentCode) -> Result<Department> {
        self.store.get_department(code).await
    }

    pub async fn list_departments(&self, params: ListParams<'_>) -> Result<Page<Department>> {
        let query = ListQuery::parse(&Department::LIST, params, &self.page_key)?;
        self.store.list_departments(&query).await
    }

    pub async fn create_department(&self, draft: DepartmentDraft) -> Result<Department> {
        let department = draft.validate("department")?;
        self.store.create_department(department).await
    }

    /// Changes the fields `patch` names, if `etag` (when not empty) is current.
    pub async fn update_department(
        &self,
        code: &DepartmentCode,
        etag: &str,
        patch: DepartmentPatch,
    ) -> Result<Department> {
        self.store
            .update_department(code, etag, Box::new(move |dep| patch.apply(dep)))
            .await
    }

    pub async fn get_working_group(&self, id: &GroupId) -> Result<WorkingGroup> {
        self.store.get_working_group(id).await
    }

    pub async fn list_working_groups(&self, params: ListParams<'_>) -> Result<Page<WorkingGroup>> {
        let query = ListQuery::parse(&WorkingGroup::LIST, params, &self.page_key)?;
        self.store.list_working_groups(&query).await
    }

    /// A new working group; its chair and member departments must exist and be active.
    pub async fn create_working_group(&self, draft: WorkingGroupDraft) -> Result<WorkingGroup> {
        let group = draft.validate()?;
        check_departments(self.store.as_ref(), group.department_references()).await?;
        self.store.create_working_group(group).await
    }

    /// Changes the fields `patch` names, if `etag` (when not empty) is current; a new chair
    /// must exist and be active.
    pub async fn update_working_group(
        &self,
        id: &GroupId,
        etag: &str,
        patch: WorkingGroupPatch,
    ) -> Result<WorkingGroup> {
        if let Some(chair) = patch.chair()? {
            check_departments(
                self.store.as_ref(),
                vec![("working_group.chair_department".to_owned(), chair)],
            )
            .await?;
        }
        self.store
            .update_working_group(id, etag, Box::new(move |group| patch.apply(group)))
            .await
    }

    /// Adds a member (a department, which must exist and be active, or a person).
    pub async fn add_working_group_member(
        &self,
        id: &GroupId,
        etag: &str,
        member: MemberDraft,
    ) -> Result<WorkingGroup> {
        let member = member.validate("member").map_err(Error::invalid_fields)?;
        if let MemberRef::Department(code) = &member.who {
            check_departments(
                self.store.as_ref(),
                vec![("member.department".to_owned(), code.clone())],
            )
            .await?;
        }
        self.store
            .update_working_group(id, etag, Box::new(move |group| group.add_member(member)))
            .await
    }

    /// Removes a member; only who it is counts, not its role.
    pub async fn remove_working_group_member(
        &self,
        id: &GroupId,
        etag: &str,
        member: MemberDraft,
    ) -> Result<WorkingGroup> {
        let who = member
            .validate_ref("member")
            .map_err(|v| Error::invalid_fields(vec![v]))?;
        self.store
            .update_working_group(id, etag, Box::new(move |group| group.remove_member(&who)))
            .await
    }
}
