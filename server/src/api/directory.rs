//! `regie.v1.DirectoryService`: translates between `regie.v1` messages and the directory use
//! cases (`app::directory`): departments and working groups.

use std::sync::Arc;

use regie_proto::v1::{self, directory_service_server::DirectoryService};
use tonic::{Request, Response, Status};

use super::convert;
use crate::app::App;
use crate::domain::directory::{
    DepartmentCode, DepartmentDraft, DepartmentPatch, GroupId, WorkingGroupDraft, WorkingGroupPatch,
};
use crate::domain::{Result, mask};
use crate::rpc::status::{missing, name_error, reply};

pub struct DirectoryApi {
    app: Arc<App>,
}

impl DirectoryApi {
    pub fn new(app: Arc<App>) -> Self {
        Self { app }
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
                self.app
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
                let page = self.app.list_departments(list_params!(r)).await?;
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
                self.app
                    .create_department(draft)
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
                let updated = self.app.update_department(&code, &d.etag, patch).await?;
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
                self.app
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
                let page = self.app.list_working_groups(list_params!(r)).await?;
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
                self.app
                    .create_working_group(draft)
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
                let updated = self.app.update_working_group(&id, &g.etag, patch).await?;
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
                let updated = self
                    .app
                    .add_working_group_member(&id, &request.etag, draft)
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
                let updated = self
                    .app
                    .remove_working_group_member(&id, &request.etag, draft)
                    .await?;
                Ok(convert::working_group(updated))
            }
            .await,
        )
    }
}
