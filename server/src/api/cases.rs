//! `regie.v1.CaseService`: translates between `regie.v1` messages and the case use cases
//! (`app::cases`): creating, reading, changing and moving cases, their history and the live
//! change feed.

use std::pin::Pin;
use std::sync::Arc;

use regie_proto::v1::{self, case_service_server::CaseService};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt as _};
use tonic::{Request, Response, Status};

use super::convert;
use crate::api::access::caller;
use crate::app::App;
use crate::app::cases::Watched;
use crate::domain::Result;
use crate::domain::cases::audit::EventFilter;
use crate::domain::cases::draft::{
    FrameworkPatch, RecommendationDraft, RecommendationPatch, RiskAnalysisDraft, RiskAnalysisPatch,
};
use crate::domain::cases::framework::FrameworkDraft;
use crate::domain::cases::{Case, CaseDraft, CaseId, CasePatch};
use crate::domain::directory::DepartmentCode;
use crate::domain::error::Error;
use crate::domain::mask;
use crate::rpc::status::{missing, name_error, reply, to_status};

pub struct CaseApi {
    app: Arc<App>,
}

impl CaseApi {
    pub fn new(app: Arc<App>) -> Self {
        Self { app }
    }
}

/// The case a request names; also recorded on the RPC's span (`regie.case`).
pub(super) fn case_id(field: &str, name: &str) -> Result<CaseId> {
    let id = CaseId::from_name(field, name).map_err(name_error)?;
    tracing::Span::current().record("regie.case", name);
    Ok(id)
}

/// `case` as the API shows it, with its effective due time at `at` (micros; `None`: now).
pub(super) async fn case_message(app: &App, case: Case, at: Option<i64>) -> Result<v1::Case> {
    let effective = app.effective_due_time(&case, at).await?;
    Ok(convert::case(case, effective))
}

/// Each of `cases` as the API shows it now.
pub(super) async fn case_messages(app: &App, cases: Vec<Case>) -> Result<Vec<v1::Case>> {
    let mut messages = Vec::with_capacity(cases.len());
    for case in cases {
        messages.push(case_message(app, case, None).await?);
    }
    Ok(messages)
}

fn due_time(field: &str, t: Option<&prost_types::Timestamp>) -> Result<Option<i64>> {
    match t {
        None => Ok(None),
        Some(t) => convert::micros(t)
            .map(Some)
            .ok_or_else(|| Error::invalid_field(field, "is out of range")),
    }
}

/// The framework details as sent; an unknown purpose is refused.
fn framework_draft(f: &v1::FrameworkDetails) -> Result<FrameworkDraft> {
    let purposes = convert::purposes(&f.purposes)
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| {
            Error::invalid_field(
                "case.framework.purposes",
                "each purpose is UNITY, QUALITY or EFFICIENCY",
            )
        })?;
    Ok(FrameworkDraft {
        purposes,
        scope: f.scope.clone(),
        effective_date: f.effective_date.clone(),
        evaluation_interval_months: f.evaluation_interval_months,
    })
}

type WatchStream = Pin<Box<dyn Stream<Item = Result<v1::WatchEventsResponse, Status>> + Send>>;

#[tonic::async_trait]
impl CaseService for CaseApi {
    async fn create_case(
        &self,
        request: Request<v1::CreateCaseRequest>,
    ) -> Result<Response<v1::Case>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let request = request.into_inner();
        let request_key = super::request_key(&request, &request.request_id);
        let c = request.case.ok_or_else(|| missing("case"))?;
        reply(
            async {
                let request_key = request_key?;
                let recommendation = match c.details.clone() {
                    Some(v1::case::Details::Recommendation(r)) => {
                        let report = r.source_report.unwrap_or_default();
                        Some(RecommendationDraft {
                            report_title: report.title,
                            report_reference: report.reference,
                            addressee: r.addressee,
                            theme: convert::theme(r.theme),
                            response: r.response,
                        })
                    }
                    _ => None,
                };
                let (framework, risk_analysis) = match &c.details {
                    Some(v1::case::Details::Framework(f)) => (Some(framework_draft(f)?), None),
                    Some(v1::case::Details::RiskAnalysis(r)) => (
                        None,
                        Some(RiskAnalysisDraft {
                            organisation: r.organisation.clone(),
                            high_risk_threshold: r.high_risk_threshold,
                        }),
                    ),
                    _ => (None, None),
                };
                let draft = CaseDraft {
                    kind: c.kind,
                    title: c.title,
                    description: c.description,
                    department: c.department.clone(),
                    working_group: c.working_group.clone(),
                    assignee: c.assignee,
                    labels: c.labels,
                    due_time: due_time("case.due_time", c.due_time.as_ref())?,
                    parent: c.parent.clone(),
                    recommendation,
                    framework,
                    risk_analysis,
                };
                let case = self.app.create_case(&caller, draft, request_key).await?;
                case_message(&self.app, case, None).await
            }
            .await,
        )
    }

    async fn get_case(
        &self,
        request: Request<v1::GetCaseRequest>,
    ) -> Result<Response<v1::Case>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let id = case_id("name", &r.name)?;
                let as_of = due_time("as_of", r.as_of.as_ref())?;
                let case = self.app.get_case(&caller, id, as_of, r.revision).await?;
                // A case as it was has its effective due time as it stood then.
                let at = as_of.or((r.revision > 0).then_some(case.update_time));
                case_message(&self.app, case, at).await
            }
            .await,
        )
    }

    async fn list_cases(
        &self,
        request: Request<v1::ListCasesRequest>,
    ) -> Result<Response<v1::ListCasesResponse>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let page = self.app.list_cases(&caller, list_params!(r)).await?;
                Ok(v1::ListCasesResponse {
                    cases: case_messages(&self.app, page.items).await?,
                    next_page_token: page.next_page_token,
                })
            }
            .await,
        )
    }

    async fn update_case(
        &self,
        request: Request<v1::UpdateCaseRequest>,
    ) -> Result<Response<v1::Case>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let request = request.into_inner();
        let request_key = super::request_key(&request, &request.request_id);
        let c = request.case.ok_or_else(|| missing("case"))?;
        let paths = request.update_mask.map(|m| m.paths).unwrap_or_default();
        reply(
            async {
                let request_key = request_key?;
                let id = case_id("case.name", &c.name)?;
                let fields = mask::parse(&paths, CasePatch::UPDATABLE)?;
                let has = |f: &str| fields.contains(&f);
                let recommendation = match &c.details {
                    Some(v1::case::Details::Recommendation(r)) => Some(r.clone()),
                    _ => None,
                };
                let rec_patch = if fields.iter().any(|f| f.starts_with("recommendation")) {
                    let r = recommendation.unwrap_or_default();
                    let all = has("recommendation");
                    let report = r.source_report.unwrap_or_default();
                    Some(RecommendationPatch {
                        report: (all || has("recommendation.source_report"))
                            .then_some((report.title, report.reference)),
                        addressee: (all || has("recommendation.addressee")).then_some(r.addressee),
                        theme: (all || has("recommendation.theme"))
                            .then_some(convert::theme(r.theme)),
                        response: (all || has("recommendation.response")).then_some(r.response),
                    })
                } else {
                    None
                };
                let framework = match (
                    &c.details,
                    fields.iter().any(|f| f.starts_with("framework")),
                ) {
                    (_, false) => None,
                    (Some(v1::case::Details::Framework(f)), true) => Some(f.clone()),
                    (_, true) => Some(v1::FrameworkDetails::default()),
                };
                let framework_patch = match framework {
                    None => None,
                    Some(f) => {
                        let all = has("framework");
                        let draft = framework_draft(&f)?;
                        let scope = (all || has("framework.scope")).then_some(draft.scope);
                        Some(FrameworkPatch {
                            purposes: (all || has("framework.purposes")).then_some(draft.purposes),
                            scope,
                            effective_date: (all || has("framework.effective_date"))
                                .then_some(draft.effective_date),
                            evaluation_interval_months: (all
                                || has("framework.evaluation_interval_months"))
                            .then_some(draft.evaluation_interval_months),
                        })
                    }
                };
                let risk_patch = if fields.iter().any(|f| f.starts_with("risk_analysis")) {
                    let r = match &c.details {
                        Some(v1::case::Details::RiskAnalysis(r)) => r.clone(),
                        _ => v1::RiskAnalysisDetails::default(),
                    };
                    let all = has("risk_analysis");
                    Some(RiskAnalysisPatch {
                        organisation: (all || has("risk_analysis.organisation"))
                            .then_some(r.organisation),
                        high_risk_threshold: (all || has("risk_analysis.high_risk_threshold"))
                            .then_some(r.high_risk_threshold),
                    })
                } else {
                    None
                };
                let patch = CasePatch {
                    title: has("title").then_some(c.title),
                    description: has("description").then_some(c.description),
                    department: has("department").then_some(c.department.clone()),
                    working_group: has("working_group").then_some(c.working_group.clone()),
                    assignee: has("assignee").then_some(c.assignee),
                    labels: has("labels").then_some(c.labels),
                    due_time: if has("due_time") {
                        Some(due_time("case.due_time", c.due_time.as_ref())?)
                    } else {
                        None
                    },
                    parent: has("parent").then_some(c.parent.clone()),
                    recommendation: rec_patch,
                    framework: framework_patch,
                    risk_analysis: risk_patch,
                };
                let case = self
                    .app
                    .update_case(&caller, id, c.etag, patch, request_key)
                    .await?;
                case_message(&self.app, case, None).await
            }
            .await,
        )
    }

    async fn transition_case(
        &self,
        request: Request<v1::TransitionCaseRequest>,
    ) -> Result<Response<v1::Case>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let request_key = super::request_key(&r, &r.request_id)?;
                let id = case_id("name", &r.name)?;
                let case = self
                    .app
                    .transition_case(&caller, id, r.transition, r.etag, r.comment, request_key)
                    .await?;
                case_message(&self.app, case, None).await
            }
            .await,
        )
    }

    async fn list_available_transitions(
        &self,
        request: Request<v1::ListAvailableTransitionsRequest>,
    ) -> Result<Response<v1::ListAvailableTransitionsResponse>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let id = case_id("name", &r.name)?;
                let available = self.app.available_transitions(&caller, id).await?;
                let transitions = available
                    .into_iter()
                    .map(|a| v1::AvailableTransition {
                        open: a.is_open(),
                        permitted: a.permitted,
                        roles: a.roles,
                        transition: a.transition.id,
                        to_state: a.transition.to,
                        label_nl: a.transition.label_nl,
                        label_en: a.transition.label_en,
                        comment_required: a.transition.comment_required,
                        permission: a.transition.permission,
                        blocked_by: a
                            .failed
                            .into_iter()
                            .map(|f| v1::RuleViolation {
                                rule: f.rule_id,
                                sentence_nl: f.sentence_nl,
                                sentence_en: f.sentence_en,
                                detail: f.detail,
                            })
                            .collect(),
                    })
                    .collect();
                Ok(v1::ListAvailableTransitionsResponse { transitions })
            }
            .await,
        )
    }

    async fn add_comment(
        &self,
        request: Request<v1::AddCommentRequest>,
    ) -> Result<Response<v1::CaseEvent>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let request_key = super::request_key(&r, &r.request_id)?;
                let id = case_id("name", &r.name)?;
                let event = self
                    .app
                    .add_comment(&caller, id, r.text, request_key)
                    .await?;
                Ok(convert::event(event))
            }
            .await,
        )
    }

    async fn list_case_events(
        &self,
        request: Request<v1::ListCaseEventsRequest>,
    ) -> Result<Response<v1::ListCaseEventsResponse>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let id = case_id("name", &r.name)?;
                let page = self
                    .app
                    .list_case_events(&caller, id, r.page_size, &r.page_token)
                    .await?;
                Ok(v1::ListCaseEventsResponse {
                    events: page.items.into_iter().map(convert::event).collect(),
                    next_page_token: page.next_page_token,
                })
            }
            .await,
        )
    }

    type WatchEventsStream = WatchStream;

    async fn watch_events(
        &self,
        request: Request<v1::WatchEventsRequest>,
    ) -> Result<Response<WatchStream>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        let filter = watch_filter(&r).map_err(to_status)?;
        let feed = self
            .app
            .watch(caller, filter, r.after_sequence)
            .map_err(to_status)?;
        let stream = ReceiverStream::new(feed).map(|watched| {
            let item = match watched.map_err(to_status)? {
                Watched::Event(event) => {
                    v1::watch_events_response::Item::Event(convert::event(*event))
                }
                Watched::Heartbeat {
                    last_sequence,
                    time,
                } => v1::watch_events_response::Item::Heartbeat(v1::Heartbeat {
                    last_sequence,
                    time: Some(convert::timestamp(time)),
                }),
            };
            Ok(v1::WatchEventsResponse { item: Some(item) })
        });
        Ok(Response::new(Box::pin(stream)))
    }
}

fn watch_filter(r: &v1::WatchEventsRequest) -> Result<EventFilter> {
    let department = if r.department.is_empty() {
        None
    } else {
        Some(
            DepartmentCode::from_name("department", &r.department)
                .map_err(name_error)?
                .as_str()
                .to_owned(),
        )
    };
    let case_id = if r.case.is_empty() {
        None
    } else {
        Some(case_id("case", &r.case)?.as_str().to_owned())
    };
    Ok(EventFilter {
        kind: Some(r.kind.clone()).filter(|k| !k.is_empty()),
        department,
        case_id,
    })
}
