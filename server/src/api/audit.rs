//! `regie.v1.AuditService`: translates between `regie.v1` messages and the audit use cases
//! (`app::audit`): reading the audit log, verifying its hash chains and checkpoints, listing
//! the checkpoints, and the denied calls.

use std::sync::Arc;

use regie_proto::v1::{self, audit_service_server::AuditService};
use tonic::{Request, Response, Status};

use super::convert;
use crate::app::App;
use crate::domain::cases::CaseId;
use crate::domain::cases::audit::checkpoint::Checkpoint;
use crate::domain::error::Error;
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
        let against = r
            .checkpoints
            .iter()
            .enumerate()
            .map(|(i, c)| checkpoint_from(i, c))
            .collect::<Result<Vec<_>, _>>()
            .map_err(to_status)?;
        let verification = self
            .app
            .verify_audit_chain(case.as_ref(), &against)
            .await
            .map_err(to_status)?;
        let valid = verification.is_valid();
        let report = verification.chains;
        Ok(Response::new(v1::VerifyAuditChainResponse {
            valid,
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
            checkpoints_checked: verification.checkpoints_checked,
            checkpoint_failures: verification
                .checkpoint_failures
                .into_iter()
                .map(|f| v1::CheckpointFailure {
                    sequence: f.sequence,
                    reason: f.reason,
                })
                .collect(),
        }))
    }

    async fn list_checkpoints(
        &self,
        request: Request<v1::ListCheckpointsRequest>,
    ) -> Result<Response<v1::ListCheckpointsResponse>, Status> {
        let r = request.into_inner();
        let (public_key, checkpoints) = self
            .app
            .list_checkpoints(r.after_sequence, r.page_size)
            .await
            .map_err(to_status)?;
        Ok(Response::new(v1::ListCheckpointsResponse {
            public_key,
            checkpoints: checkpoints.into_iter().map(checkpoint_to).collect(),
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

fn checkpoint_to(c: Checkpoint) -> v1::Checkpoint {
    v1::Checkpoint {
        sequence: c.sequence,
        create_time: Some(convert::timestamp_micros(c.time)),
        cases: c.cases,
        heads_digest: c.heads_digest,
        public_key: c.public_key,
        signature: c.signature,
    }
}

/// The `index`th checkpoint of a request; its time must be there, in whole microseconds.
fn checkpoint_from(index: usize, c: &v1::Checkpoint) -> Result<Checkpoint, Error> {
    let field = |name: &str| format!("checkpoints[{index}].{name}");
    let time = c
        .create_time
        .as_ref()
        .filter(|t| t.nanos % 1000 == 0)
        .and_then(convert::micros)
        .ok_or_else(|| {
            Error::invalid_field(
                field("create_time"),
                "must be the checkpoint's time, in whole microseconds",
            )
        })?;
    if c.sequence < 1 {
        return Err(Error::invalid_field(
            field("sequence"),
            "must be at least 1",
        ));
    }
    Ok(Checkpoint {
        sequence: c.sequence,
        time,
        cases: c.cases,
        heads_digest: c.heads_digest.clone(),
        public_key: c.public_key.clone(),
        signature: c.signature.clone(),
    })
}
