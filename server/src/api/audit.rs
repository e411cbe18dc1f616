//! `regie.v1.AuditService`: translates between `regie.v1` messages and the audit use cases
//! (`app::audit`): reading the audit log, verifying its hash chains, and the denied calls.

use std::sync::Arc;

use regie_proto::v1::{self, audit_service_server::AuditService};
use tonic::{Request, Response, Status};

use super::convert;
use crate::app::App;
use crate::domain::cases::CaseId;
use crate::domain::listing::ListParams;
use crate::rpc::status::{name_error, to_status};

pub struct AuditApi {
    app: Arc<App>,
}

impl AuditApi {
    pub fn new(app: Arc<App>) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl AuditService for AuditApi {
    async fn list_audit_events(
        &self,
        request: Request<v1::ListAuditEventsRequest>,
    ) -> Result<Response<v1::ListAuditEventsResponse>, Status> {
        let r = request.into_inner();
        let params = ListParams {
            page_size: r.page_size,
            page_token: &r.page_token,
            filter: &r.filter,
            order_by: "",
        };
        let page = self
            .app
            .list_audit_events(params)
            .await
            .map_err(to_status)?;
        Ok(Response::new(v1::ListAuditEventsResponse {
            events: page.items.into_iter().map(convert::event).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn verify_audit_chain(
        &self,
        request: Request<v1::VerifyAuditChainRequest>,
    ) -> Result<Response<v1::VerifyAuditChainResponse>, Status> {
        let r = request.into_inner();
        let case = if r.case.is_empty() {
            None
        } else {
            Some(CaseId::from_name("case", &r.case).map_err(|v| to_status(name_error(v)))?)
        };
        let report = self
            .app
            .verify_audit_chain(case.as_ref())
            .await
            .map_err(to_status)?;
        Ok(Response::new(v1::VerifyAuditChainResponse {
            valid: report.is_valid(),
            cases_checked: report.cases,
            events_checked: report.events,
            broken_links: report
                .broken
                .into_iter()
                .map(|b| v1::BrokenLink {
                    case: format!("cases/{}", b.case_id),
                    sequence: b.sequence,
                    reason: b.reason,
                })
                .collect(),
            sequence_gaps: report
                .gaps
                .into_iter()
                .map(|g| v1::SequenceGap {
                    first: g.first,
                    last: g.last,
                })
                .collect(),
            last_sequence: report.last_sequence,
        }))
    }

    async fn list_access_denials(
        &self,
        request: Request<v1::ListAccessDenialsRequest>,
    ) -> Result<Response<v1::ListAccessDenialsResponse>, Status> {
        let r = request.into_inner();
        let denials = self
            .app
            .list_access_denials(r.page_size)
            .await
            .map_err(to_status)?;
        Ok(Response::new(v1::ListAccessDenialsResponse {
            denials: denials
                .into_iter()
                .map(|d| v1::AccessDenial {
                    time: Some(convert::timestamp(d.time)),
                    principal: d.principal,
                    method: d.method,
                    object: d.object,
                    action: d.action,
                    domain: d.domain,
                    reason: d.reason,
                    suppressed: d.suppressed,
                })
                .collect(),
        }))
    }
}
