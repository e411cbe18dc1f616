//! `regie.v1.WorkService`: translates between `regie.v1` messages and the "Mijn werk" use case
//! (`app::work`).

use std::sync::Arc;

use regie_proto::v1::{self, work_service_server::WorkService};
use tonic::{Request, Response, Status};

use super::cases::case_message;
use crate::api::access::caller;
use crate::app::App;
use crate::app::work::MyWorkQuery;
use crate::domain::work::Urgency;
use crate::rpc::status::{reply, to_status};

pub struct WorkApi {
    app: Arc<App>,
}

impl WorkApi {
    pub fn new(app: Arc<App>) -> Self {
        Self { app }
    }
}

fn urgency(u: Urgency) -> v1::WorkUrgency {
    match u {
        Urgency::Overdue => v1::WorkUrgency::Overdue,
        Urgency::DueSoon => v1::WorkUrgency::DueSoon,
        Urgency::Later => v1::WorkUrgency::Later,
    }
}

#[tonic::async_trait]
impl WorkService for WorkApi {
    async fn list_my_work(
        &self,
        request: Request<v1::ListMyWorkRequest>,
    ) -> Result<Response<v1::ListMyWorkResponse>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let work = self
                    .app
                    .my_work(
                        &caller,
                        MyWorkQuery {
                            page_size: r.page_size,
                            page_token: &r.page_token,
                            kind: &r.kind,
                            due_soon_days: r.due_soon_days,
                        },
                    )
                    .await?;
                let mut items = Vec::with_capacity(work.items.len());
                for item in work.items {
                    items.push(v1::WorkItem {
                        case: Some(case_message(&self.app, item.case, None).await?),
                        assigned: item.assigned,
                        transitions: item.transitions,
                        urgency: urgency(item.urgency) as i32,
                    });
                }
                let c = work.counts;
                Ok(v1::ListMyWorkResponse {
                    items,
                    next_page_token: work.next_page_token,
                    counts: Some(v1::WorkCounts {
                        total: c.total,
                        overdue: c.overdue,
                        due_soon: c.due_soon,
                        assigned: c.assigned,
                        awaiting_action: c.awaiting_action,
                        by_kind: c.by_kind.into_iter().collect(),
                    }),
                })
            }
            .await,
        )
    }
}
