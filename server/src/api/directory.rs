//! `regie.v1.DirectoryService`: departments and working groups.

use std::sync::Arc;

use regie_proto::v1::{self, directory_service_server::DirectoryService};
use tonic::{Request, Response, Status};

use super::convert;
use crate::domain::Error;
use crate::domain::directory::{
    DepartmentCode, DepartmentDraft, DepartmentPatch, GroupId, WorkingGroupDraft, WorkingGroupPatch,
};
use crate::domain::listing::ListQuery;
use crate::domain::{Result, mask};
use crate::rpc::status::{missing, name_error, reply};
use crate::store::Store;

pub struct DirectoryApi {
    store: Arc<dyn Store>,
}

impl DirectoryApi {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    async fn check_departments(&self, references: Vec<(String, DepartmentCode)>) -> Result<()> {
        crate::app::references::check_departments(self.store.as_ref(), references).await
    }
}

#[tonic::async_trait]
impl DirectoryService for DirectoryApi {
    async fn get_department(
        &self,
        request: Request<v1::GetDepartmentRequest>,
    ) -> Result<Response<v1::Department>, Status> {
        let request = request.into_inner();
        reply(
            async {
                let code = DepartmentCode::from_name("name", &request.name).map_err(name_error)?;
                self.store
                    .get_department(&code)
                    .await
                    .map(convert::department)
            }
            .await,
        )
    }

    async fn list_departments(
        &self,
        request: Request<v1::ListDepartmentsRequest>,
    ) -> Result<Response<v1::ListDepartmentsResponse>, Status> {
        let r = request.into_inner();
        reply(
            async {
                let params = list_params!(r);
                let query = ListQuery::parse(&crate::domain::directory::Department::LIST, params)?;
                let page = self.store.list_departments(&query).await?;
                Ok(v1::ListDepartmentsResponse {
                    departments: page.items.into_iter().map(convert::department).collect(),
                    next_page_token: page.next_page_token,
                })
            }
            .await,
        )
    }

    async fn create_department(
        &self,
        request: Request<v1::CreateDepartmentRequest>,
    ) -> Result<Response<v1::Department>, Status> {
        let d = request
            .into_inner()
            .department
            .ok_or_else(|| missing("department"))?;
        reply(
            async {
                let draft = DepartmentDraft {
                    code: d.code,
                    name_nl: d.name_nl,
                    name_en: d.name_en,
                    in_sector_rijk: d.in_sector_rijk,
                    active: d.active,
                };
                let department = draft.validate("department")?;
                self.store
                    .create_department(department)
                    .await
                    .map(convert::department)
            }
            .await,
        )
    }

    async fn update_department(
        &self,
        request: Request<v1::UpdateDepartmentRequest>,
    ) -> Result<Response<v1::Department>, Status> {
        let request = request.into_inner();
        let d = request.department.ok_or_else(|| missing("department"))?;
        let paths = request.update_mask.map(|m| m.paths).unwrap_or_default();
        reply(
            async {
                let code =
                    DepartmentCode::from_name("department.name", &d.name).map_err(name_error)?;
                let fields = mask::parse(&paths, DepartmentPatch::UPDATABLE)?;
                let patch = DepartmentPatch {
                    name_nl: fields.contains(&"name_nl").then_some(d.name_nl),
                    name_en: fields.contains(&"name_en").then_some(d.name_en),
                    in_sector_rijk: fields
                        .contains(&"in_sector_rijk")
                        .then_some(d.in_sector_rijk),
                    active: fields.contains(&"active").then_some(d.active),
                };
                let updated = self
                    .store
                    .update_department(&code, &d.etag, Box::new(move |dep| patch.apply(dep)))
                    .await?;
                Ok(convert::department(updated))
            }
            .await,
        )
    }

    async fn get_working_group(
        &self,
        request: Request<v1::GetWorkingGroupRequest>,
    ) -> Result<Response<v1::WorkingGroup>, Status> {
        let request = request.into_inner();
        reply(
            async {
                let id = GroupId::from_name("name", &request.name).map_err(name_error)?;
                self.store
                    .get_working_group(&id)
                    .await
                    .map(convert::working_group)
            }
            .await,
        )
    }

    async fn list_working_groups(
        &self,
        request: Request<v1::ListWorkingGroupsRequest>,
    ) -> Result<Response<v1::ListWorkingGroupsResponse>, Status> {
        let r = request.into_inner();
        reply(
            async {
                let params = list_params!(r);
                let query =
                    ListQuery::parse(&crate::domain::directory::WorkingGroup::LIST, params)?;
                let page = self.store.list_working_groups(&query).await?;
                Ok(v1::ListWorkingGroupsResponse {
                    working_groups: page.items.into_iter().map(convert::working_group).collect(),
                    next_page_token: page.next_page_token,
                })
            }
            .await,
        )
    }

    async fn create_working_group(
        &self,
        request: Request<v1::CreateWorkingGroupRequest>,
    ) -> Result<Response<v1::WorkingGroup>, Status> {
        let request = request.into_inner();
        let g = request
            .working_group
            .ok_or_else(|| missing("working_group"))?;
        reply(
            async {
                let draft = WorkingGroupDraft {
                    id: request.working_group_id,
                    display_name: g.display_name,
                    mandate: g.mandate,
                    chair_department: g.chair_department,
                    members: g.members.into_iter().map(convert::member_draft).collect(),
                };
                let group = draft.validate()?;
                self.check_departments(group.department_references())
                    .await?;
                self.store
                    .create_working_group(group)
                    .await
                    .map(convert::working_group)
            }
            .await,
        )
    }

    async fn update_working_group(
        &self,
        request: Request<v1::UpdateWorkingGroupRequest>,
    ) -> Result<Response<v1::WorkingGroup>, Status> {
        let request = request.into_inner();
        let g = request
            .working_group
            .ok_or_else(|| missing("working_group"))?;
        let paths = request.update_mask.map(|m| m.paths).unwrap_or_default();
        reply(
            async {
                let id = GroupId::from_name("working_group.name", &g.name).map_err(name_error)?;
                let fields = mask::parse(&paths, WorkingGroupPatch::UPDATABLE)?;
                let patch = WorkingGroupPatch {
                    display_name: fields.contains(&"display_name").then_some(g.display_name),
                    mandate: fields.contains(&"mandate").then_some(g.mandate),
                    chair_department: fields
                        .contains(&"chair_department")
                        .then_some(g.chair_department),
                    active: fields.contains(&"active").then_some(g.active),
                };
                if let Some(chair) = patch.chair()? {
                    self.check_departments(vec![(
                        "working_group.chair_department".to_owned(),
                        chair,
                    )])
                    .await?;
                }
                let updated = self
                    .store
                    .update_working_group(&id, &g.etag, Box::new(move |group| patch.apply(group)))
                    .await?;
                Ok(convert::working_group(updated))
            }
            .await,
        )
    }

    async fn add_working_group_member(
        &self,
        request: Request<v1::AddWorkingGroupMemberRequest>,
    ) -> Result<Response<v1::WorkingGroup>, Status> {
        let request = request.into_inner();
        let draft = convert::member_draft(request.member.ok_or_else(|| missing("member"))?);
        reply(
            async {
                let id = GroupId::from_name("working_group", &request.working_group)
                    .map_err(name_error)?;
                let member = draft.validate("member").map_err(Error::invalid_fields)?;
                if let crate::domain::directory::MemberRef::Department(code) = &member.who {
                    self.check_departments(vec![("member.department".to_owned(), code.clone())])
                        .await?;
                }
                let updated = self
                    .store
                    .update_working_group(
                        &id,
                        &request.etag,
                        Box::new(move |group| group.add_member(member)),
                    )
                    .await?;
                Ok(convert::working_group(updated))
            }
            .await,
        )
    }

    async fn remove_working_group_member(
        &self,
        request: Request<v1::RemoveWorkingGroupMemberRequest>,
    ) -> Result<Response<v1::WorkingGroup>, Status> {
        let request = request.into_inner();
        let draft = convert::member_draft(request.member.ok_or_else(|| missing("member"))?);
        reply(
            async {
                let id = GroupId::from_name("working_group", &request.working_group)
                    .map_err(name_error)?;
                let who = draft
                    .validate_ref("member")
                    .map_err(|v| Error::invalid_fields(vec![v]))?;
                let updated = self
                    .store
                    .update_working_group(
                        &id,
                        &request.etag,
                        Box::new(move |group| group.remove_member(&who)),
                    )
                    .await?;
                Ok(convert::working_group(updated))
            }
            .await,
        )
    }
}
