//! `regie.v1.FrameworkService`: translates between `regie.v1` messages and the framework use
//! cases (`app::frameworks`): consultations before adoption, and each department's observance
//! once in force.

use std::sync::Arc;

use regie_proto::v1::{self, framework_service_server::FrameworkService};
use tonic::{Request, Response, Status};

use super::cases::case_id;
use super::convert;
use crate::api::access::caller;
use crate::app::App;
use crate::app::frameworks::op;
use crate::domain::cases::framework::{ConsultationDraft, EvaluationDraft, ObservanceDraft};
use crate::domain::error::Error;
use crate::rpc::status::{reply, to_status};

pub struct FrameworkApi {
    app: Arc<App>,
}

impl FrameworkApi {
    pub fn new(app: Arc<App>) -> Self {
        Self { app }
    }
}

/// A consultation as the client sent it, before it is checked.
fn consultation_draft(given: v1::Consultation) -> ConsultationDraft {
    ConsultationDraft {
        outcome: convert::outcome_from(given.outcome),
        department: given.department,
        body: given.body,
        date: given.date,
        note: given.note,
    }
}

#[tonic::async_trait]
impl FrameworkService for FrameworkApi {
    async fn record_consultation(
        &self,
        request: Request<v1::RecordConsultationRequest>,
    ) -> Result<Response<v1::Consultation>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let request_key = super::request_key(&r, &r.request_id)?;
                let id = case_id("framework", &r.framework)?;
                let given = r
                    .consultation
                    .ok_or_else(|| Error::invalid_field("consultation", "is required"))?;
                let consultation = consultation_draft(given);
                let consultation = self
                    .app
                    .record_consultation(&caller, id, consultation, r.etag, request_key)
                    .await?;
                Ok(convert::consultation(&consultation))
            }
            .await,
        )
    }

    async fn batch_record_consultations(
        &self,
        request: Request<v1::BatchRecordConsultationsRequest>,
    ) -> Result<Response<v1::BatchRecordConsultationsResponse>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let request_key = super::request_key(&r, &r.request_id)?;
                let id = case_id("framework", &r.framework)?;
                let drafts = r
                    .consultations
                    .into_iter()
                    .map(consultation_draft)
                    .collect();
                let recorded = self
                    .app
                    .record_consultations(&caller, id, drafts, r.etag, request_key)
                    .await?;
                Ok(v1::BatchRecordConsultationsResponse {
                    consultations: recorded.iter().map(convert::consultation).collect(),
                })
            }
            .await,
        )
    }

    async fn list_consultations(
        &self,
        request: Request<v1::ListConsultationsRequest>,
    ) -> Result<Response<v1::ListConsultationsResponse>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let id = case_id("framework", &r.framework)?;
                let f = self
                    .app
                    .read_framework(&caller, op::CONSULTATIONS, &id)
                    .await?;
                Ok(v1::ListConsultationsResponse {
                    consultations: f.consultations.iter().map(convert::consultation).collect(),
                    not_consulted: convert::department_names(&f.not_consulted()),
                })
            }
            .await,
        )
    }

    async fn record_observance(
        &self,
        request: Request<v1::RecordObservanceRequest>,
    ) -> Result<Response<v1::Observance>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let request_key = super::request_key(&r, &r.request_id)?;
                let id = case_id("framework", &r.framework)?;
                let given = r
                    .observance
                    .ok_or_else(|| Error::invalid_field("observance", "is required"))?;
                let observance = ObservanceDraft {
                    department: given.department,
                    summary: given.summary,
                    date: given.date,
                    link: given.link,
                };
                let observance = self
                    .app
                    .record_observance(&caller, id, observance, r.etag, request_key)
                    .await?;
                Ok(convert::observance(&observance))
            }
            .await,
        )
    }

    async fn record_evaluation(
        &self,
        request: Request<v1::RecordEvaluationRequest>,
    ) -> Result<Response<v1::Evaluation>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let request_key = super::request_key(&r, &r.request_id)?;
                let id = case_id("framework", &r.framework)?;
                let given = r
                    .evaluation
                    .ok_or_else(|| Error::invalid_field("evaluation", "is required"))?;
                let evaluation = EvaluationDraft {
                    verdict: convert::verdict_from(given.verdict),
                    date: given.date,
                    summary: given.summary,
                    link: given.link,
                };
                let evaluation = self
                    .app
                    .record_evaluation(&caller, id, evaluation, r.etag, request_key)
                    .await?;
                Ok(convert::evaluation(&evaluation))
            }
            .await,
        )
    }

    async fn list_evaluations(
        &self,
        request: Request<v1::ListEvaluationsRequest>,
    ) -> Result<Response<v1::ListEvaluationsResponse>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let id = case_id("framework", &r.framework)?;
                let f = self
                    .app
                    .read_framework(&caller, op::EVALUATIONS, &id)
                    .await?;
                Ok(v1::ListEvaluationsResponse {
                    evaluations: f.evaluations.iter().map(convert::evaluation).collect(),
                })
            }
            .await,
        )
    }

    async fn list_observances(
        &self,
        request: Request<v1::ListObservancesRequest>,
    ) -> Result<Response<v1::ListObservancesResponse>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let id = case_id("framework", &r.framework)?;
                let f = self
                    .app
                    .read_framework(&caller, op::OBSERVANCES, &id)
                    .await?;
                Ok(v1::ListObservancesResponse {
                    observances: f.observances.iter().map(convert::observance).collect(),
                    not_observed: convert::department_names(&f.not_observed()),
                })
            }
            .await,
        )
    }
}
