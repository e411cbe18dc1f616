//! `regie.v1.FrameworkService`: the consultations before a framework is adopted, and each
//! department's record of how it observes the framework once in force. Both are case records,
//! written through the case write path (`CaseApi`) as events of the framework.

use std::sync::Arc;

use regie_proto::v1::{self, framework_service_server::FrameworkService};
use tonic::{Request, Response, Status};

use super::cases::{Action, CaseApi, case_id, need};
use super::convert;
use super::status::{reply, to_status};
use crate::api::access::caller;
use crate::app::App;
use crate::authz::Caller;
use crate::domain::Result;
use crate::domain::cases::command::Record;
use crate::domain::cases::framework::{ConsultationDraft, Framework, ObservanceDraft};
use crate::domain::cases::{Case, Details};
use crate::domain::error::{Error, reason};
use crate::store::Authorize;

fn method(name: &str) -> String {
    format!("/regie.v1.FrameworkService/{name}")
}

pub struct FrameworkApi {
    app: Arc<App>,
    cases: CaseApi,
}

/// The framework's details out of an executed or read case.
fn details(case: &Case) -> Result<&Framework> {
    match &case.details {
        Details::Framework(f) => Ok(f),
        _ => Err(Error::invalid(
            reason::WRONG_CASE_KIND,
            "framework",
            format!("{} is a {}, not a framework", case.name(), case.kind),
        )),
    }
}

impl FrameworkApi {
    pub fn new(app: Arc<App>) -> Self {
        Self {
            cases: CaseApi::new(app.clone()),
            app,
        }
    }

    async fn read(&self, caller: &Caller, rpc: &str, name: &str) -> Result<Case> {
        let id = case_id("framework", name)?;
        self.cases
            .authorized(caller, &method(rpc), &id, "read")
            .await
    }

    /// Recording an observance needs `observe` on frameworks in the observing department: the
    /// department speaks for itself, whatever the framework's own domain.
    fn observe_check(&self, caller: &Caller, department: String) -> Authorize {
        let (app, caller) = (self.app.clone(), caller.clone());
        Authorize(Arc::new(move |case: &Case| {
            let (app, caller, department, kind) = (
                app.clone(),
                caller.clone(),
                department.clone(),
                case.kind.clone(),
            );
            Box::pin(async move {
                app.access
                    .require(
                        &caller,
                        &method("RecordObservance"),
                        &need(&kind, Some(&department), "observe"),
                    )
                    .await
            })
        }))
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
                let id = case_id("framework", &r.framework)?;
                let given = r
                    .consultation
                    .ok_or_else(|| Error::invalid_field("consultation", "is required"))?;
                let consultation = ConsultationDraft {
                    outcome: convert::outcome_from(given.outcome),
                    department: given.department,
                    body: given.body,
                    date: given.date,
                    note: given.note,
                }
                .validate()?;
                let authorize = self.cases.authorize(
                    &caller,
                    method("RecordConsultation"),
                    Action::Fixed("update"),
                    None,
                );
                let case = self
                    .cases
                    .record(
                        &caller,
                        "RecordConsultation",
                        id,
                        r.etag,
                        r.request_id,
                        Record::Consultation(consultation),
                        authorize,
                    )
                    .await?;
                details(&case)?
                    .consultations
                    .last()
                    .map(convert::consultation)
                    .ok_or_else(|| Error::internal("the consultation was not recorded"))
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
                let case = self
                    .read(&caller, "ListConsultations", &r.framework)
                    .await?;
                let f = details(&case)?;
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
                let id = case_id("framework", &r.framework)?;
                let given = r
                    .observance
                    .ok_or_else(|| Error::invalid_field("observance", "is required"))?;
                let observance = ObservanceDraft {
                    department: given.department,
                    summary: given.summary,
                    date: given.date,
                    link: given.link,
                }
                .validate()?;
                let authorize = self.observe_check(&caller, observance.department.clone());
                let case = self
                    .cases
                    .record(
                        &caller,
                        "RecordObservance",
                        id,
                        r.etag,
                        r.request_id,
                        Record::Observance(observance),
                        authorize,
                    )
                    .await?;
                details(&case)?
                    .observances
                    .last()
                    .map(convert::observance)
                    .ok_or_else(|| Error::internal("the observance was not recorded"))
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
                let case = self.read(&caller, "ListObservances", &r.framework).await?;
                let f = details(&case)?;
                Ok(v1::ListObservancesResponse {
                    observances: f.observances.iter().map(convert::observance).collect(),
                    not_observed: convert::department_names(&f.not_observed()),
                })
            }
            .await,
        )
    }
}
