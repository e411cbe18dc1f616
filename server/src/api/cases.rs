//! `regie.v1.CaseService`: creating, reading, changing and moving cases, their history and the
//! live change feed.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use regie_proto::v1::{self, case_service_server::CaseService};
use tokio::sync::mpsc;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::convert;
use super::references::{check_case, check_departments, check_group, sector_rijk_scope};
use super::status::{missing, name_error, reply, to_status};
use crate::api::access::caller;
use crate::app::App;
use crate::authz::{Caller, Need};
use crate::domain::cases::Details;
use crate::domain::cases::command::Record;
use crate::domain::cases::draft::{
    FrameworkPatch, RecommendationDraft, RecommendationPatch, RiskAnalysisDraft, RiskAnalysisPatch,
};
use crate::domain::cases::framework::FrameworkDraft;
use crate::domain::cases::{Case, CaseDraft, CaseId, CasePatch, Command, command};
use crate::domain::directory::{DepartmentCode, GroupId};
use crate::domain::error::{Error, reason};
use crate::domain::listing::{ListParams, ListQuery};
use crate::domain::workflow;
use crate::domain::{Result, mask};
use crate::store::{Authorize, CaseCommand, EventFilter, Executed};

/// How often a quiet change feed sends a heartbeat.
const HEARTBEAT: Duration = Duration::from_secs(10);
/// How often a watcher looks for events written by other replicas (PostgreSQL); events of this
/// process wake it at once.
const POLL: Duration = Duration::from_secs(1);
/// Events read from the store per round while a watcher catches up.
const WATCH_BATCH: i64 = 256;

pub struct CaseApi {
    app: Arc<App>,
}

impl CaseApi {
    pub fn new(app: Arc<App>) -> Self {
        Self { app }
    }

    /// Runs a command through the store's write path and tells watchers about its events.
    /// `authorize` is the permission check the write runs against the case it finds (`None`
    /// for a new case, whose department was checked from the request).
    pub(super) async fn execute(
        &self,
        caller: &Caller,
        case_id: CaseId,
        command: Command,
        request_id: String,
        method: &'static str,
        authorize: Option<Authorize>,
    ) -> Result<Executed> {
        let request_id = request_id_checked(request_id)?;
        let store = self.app.store.as_ref();
        let actor_roles = self.app.access.roles_of(caller.subject());
        let run = |workflows: Arc<workflow::Workflows>| {
            let command = CaseCommand {
                case_id: case_id.clone(),
                command: command.clone(),
                actor: caller.subject().to_owned(),
                request_id: request_id.clone(),
                method,
                authorize: authorize.clone(),
                actor_roles: actor_roles.clone(),
            };
            async move { store.execute(workflows, command).await }
        };
        let executed = match run(self.app.workflows.snapshot()).await {
            // The case follows a version another replica published: load it and try once more.
            Err(e) if e.reason() == reason::WORKFLOW_NOT_LOADED => {
                run(self.app.workflows.reload(store).await?).await?
            }
            other => other?,
        };
        self.app.published(executed.last_sequence);
        Ok(executed)
    }
}

impl CaseApi {
    /// Records a rating, dialogue, consultation, observance or risk in a case through the write
    /// path, with `authorize` checked inside the write against the case it finds.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn record(
        &self,
        caller: &Caller,
        rpc: &'static str,
        id: CaseId,
        etag: String,
        request_id: String,
        record: Record,
        authorize: Authorize,
    ) -> Result<Case> {
        let command = Command::Record { etag, record };
        let executed = self
            .execute(caller, id, command, request_id, rpc, Some(authorize))
            .await?;
        Ok(executed.case)
    }
}

/// The full method path of a CaseService RPC, as access decisions and denials name it.
fn method(name: &str) -> String {
    format!("/regie.v1.CaseService/{name}")
}

/// What acting on a case needs: `action` on `case:<kind>` in the case's domain.
pub(super) fn need(kind: &str, department: Option<&str>, action: &str) -> Need {
    Need::new(format!("case:{kind}"), action, Need::domain_of(department))
}

impl CaseApi {
    /// Reads the case and checks that the caller may do `action` on it.
    pub(super) async fn authorized(
        &self,
        caller: &Caller,
        method: &str,
        id: &CaseId,
        action: &str,
    ) -> Result<Case> {
        let case = self.app.store.get_case(id).await?;
        self.app
            .access
            .require(
                caller,
                method,
                &need(&case.kind, case.department.as_deref(), action),
            )
            .await?;
        Ok(case)
    }

    /// The check a write runs against the case it finds: `action` on it (for a transition, the
    /// permission its workflow version names) and, for a move, the same in the department it
    /// moves to.
    pub(super) fn authorize(
        &self,
        caller: &Caller,
        method: String,
        action: Action,
        target: Option<Option<String>>,
    ) -> Authorize {
        let app = self.app.clone();
        let caller = caller.clone();
        Authorize(Arc::new(move |case: &Case| {
            let action = match &action {
                Action::Fixed(action) => (*action).to_owned(),
                Action::Transition(id) => {
                    transition_permission(&app.workflows.snapshot(), case, id)
                }
            };
            let (app, caller, target) = (app.clone(), caller.clone(), target.clone());
            let (kind, department) = (case.kind.clone(), case.department.clone());
            let method = method.clone();
            Box::pin(async move {
                app.access
                    .require(
                        &caller,
                        &method,
                        &need(&kind, department.as_deref(), &action),
                    )
                    .await?;
                if let Some(target) = target.filter(|t| *t != department) {
                    app.access
                        .require(&caller, &method, &need(&kind, target.as_deref(), &action))
                        .await?;
                }
                Ok(())
            })
        }))
    }

    /// Counts a transition asked for (`regie.case.transitions`), when metrics are exported. A
    /// refusal names no kind, so the case is read for it.
    async fn count_transition(&self, id: &CaseId, transition: &str, outcome: &Result<Executed>) {
        if crate::telemetry::instruments().is_none() {
            return;
        }
        match outcome {
            Ok(executed) => {
                crate::telemetry::count_transition(&executed.case.kind, transition, "applied")
            }
            Err(error) => {
                let kind = match self.app.store.get_case(id).await {
                    Ok(case) => case.kind,
                    Err(_) => "unknown".to_owned(),
                };
                crate::telemetry::count_transition(&kind, transition, error.reason());
            }
        }
    }

    async fn may_read(&self, caller: &Caller, kind: &str, department: Option<&str>) -> bool {
        self.app
            .access
            .allowed(caller.subject(), &need(kind, department, "read"))
            .await
    }
}

/// What a write needs, decided against the case it finds.
pub(super) enum Action {
    Fixed(&'static str),
    /// The permission of this transition in the case's workflow version.
    Transition(String),
}

/// The action a transition needs: its workflow's `permission`, or `transition:<id>`.
fn transition_action(permission: &str, id: &str) -> String {
    if permission.is_empty() {
        format!("transition:{id}")
    } else {
        permission.to_owned()
    }
}

/// The action `transition` needs on this case, as its workflow version says; an unknown
/// transition is left to the domain to refuse with its own error.
fn transition_permission(workflows: &workflow::Workflows, case: &Case, transition: &str) -> String {
    let permission = workflows
        .get(&case.kind, case.workflow_version)
        .and_then(|def| def.transitions().iter().find(|t| t.id == transition))
        .map(|t| t.permission.clone())
        .unwrap_or_default();
    transition_action(&permission, transition)
}

pub(super) fn request_id_checked(request_id: String) -> Result<String> {
    if request_id.chars().count() > 100
        || request_id
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(Error::invalid(
            reason::INVALID_REQUEST_ID,
            "request_id",
            "must be at most 100 characters without spaces (a UUID is a good choice)",
        ));
    }
    Ok(request_id)
}

/// The case a request names; also recorded on the RPC's span (`regie.case`).
pub(super) fn case_id(field: &str, name: &str) -> Result<CaseId> {
    let id = CaseId::from_name(field, name).map_err(name_error)?;
    tracing::Span::current().record("regie.case", name);
    Ok(id)
}

fn due_time(field: &str, t: Option<&prost_types::Timestamp>) -> Result<Option<i64>> {
    match t {
        None => Ok(None),
        Some(t) => convert::micros(t)
            .map(Some)
            .ok_or_else(|| Error::invalid_field(field, "is out of range")),
    }
}

/// The references of a new or changed case must exist.
async fn check_references(app: &App, department: &str, group: &str, parent: &str) -> Result<()> {
    let store = app.store.as_ref();
    if !department.is_empty()
        && let Ok(code) = DepartmentCode::from_name("case.department", department)
    {
        check_departments(store, vec![("case.department".to_owned(), code)]).await?;
    }
    if !group.is_empty()
        && let Ok(id) = GroupId::from_name("case.working_group", group)
    {
        check_group(store, "case.working_group", &id).await?;
    }
    if !parent.is_empty()
        && let Ok(id) = CaseId::from_name("case.parent", parent)
    {
        check_case(store, "case.parent", &id).await?;
    }
    Ok(())
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

/// A framework's scope: the departments named (in the sector Rijk), or all of the sector Rijk.
async fn framework_scope(app: &App, codes: &[String]) -> Result<Vec<String>> {
    let codes = codes
        .iter()
        .map(|c| DepartmentCode::parse("case.framework.scope", c))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|v| Error::invalid_fields(vec![v]))?;
    sector_rijk_scope(
        app.store.as_ref(),
        "case.framework.scope",
        "case.framework.scope",
        &codes,
    )
    .await
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
        let c = request.case.ok_or_else(|| missing("case"))?;
        reply(
            async {
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
                let mut new = draft.validate()?;
                self.app
                    .access
                    .require(
                        &caller,
                        &method("CreateCase"),
                        &need(
                            &new.kind,
                            new.department.as_ref().map(DepartmentCode::as_str),
                            "create",
                        ),
                    )
                    .await?;
                check_references(&self.app, &c.department, &c.working_group, &c.parent).await?;
                if let Details::Framework(f) = &mut new.details {
                    f.scope = framework_scope(&self.app, &f.scope).await?;
                }
                let id = CaseId::generate();
                let command = Command::Create {
                    id: id.clone(),
                    case: new,
                };
                let executed = self
                    .execute(&caller, id, command, request.request_id, "CreateCase", None)
                    .await?;
                Ok(convert::case(executed.case))
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
                if r.revision < 0 {
                    return Err(Error::invalid_field("revision", "must not be negative"));
                }
                let revision = (r.revision > 0).then_some(r.revision);
                let current = self
                    .authorized(&caller, &method("GetCase"), &id, "read")
                    .await?;
                let case = if as_of.is_some() || revision.is_some() {
                    self.app.store.case_as_of(&id, as_of, revision).await?
                } else {
                    current
                };
                Ok(convert::case(case))
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
                let params = list_params!(r);
                let query = ListQuery::parse(&Case::LIST, params)?;
                let page = self.app.store.list_cases(&query).await?;
                // Only what the caller may read; a page can therefore hold fewer than asked for,
                // and its token still continues after the last case looked at.
                let mut cases = Vec::with_capacity(page.items.len());
                for case in page.items {
                    if self
                        .may_read(&caller, &case.kind, case.department.as_deref())
                        .await
                    {
                        cases.push(convert::case(case));
                    }
                }
                Ok(v1::ListCasesResponse {
                    cases,
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
        let c = request.case.ok_or_else(|| missing("case"))?;
        let paths = request.update_mask.map(|m| m.paths).unwrap_or_default();
        reply(
            async {
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
                        let scope = if all || has("framework.scope") {
                            let checked = FrameworkDraft {
                                scope: draft.scope.clone(),
                                ..FrameworkDraft::default()
                            };
                            let mut v = crate::domain::error::Violations::new();
                            let codes = checked.validate("case.framework", &mut v).scope;
                            v.finish()?;
                            if codes.is_empty() {
                                return Err(Error::invalid_field(
                                    "case.framework.scope",
                                    "names at least one department",
                                ));
                            }
                            framework_scope(&self.app, &codes).await?;
                            Some(draft.scope)
                        } else {
                            None
                        };
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
                let (department, group, parent) = (
                    if has("department") {
                        c.department.as_str()
                    } else {
                        ""
                    },
                    if has("working_group") {
                        c.working_group.as_str()
                    } else {
                        ""
                    },
                    if has("parent") { c.parent.as_str() } else { "" },
                );
                // Moving a case needs the right to change it where it goes, too.
                let target = has("department").then(|| {
                    DepartmentCode::from_name("case.department", department)
                        .ok()
                        .map(|code| code.as_str().to_owned())
                });
                let authorize = self.authorize(
                    &caller,
                    method("UpdateCase"),
                    Action::Fixed("update"),
                    target,
                );
                check_references(&self.app, department, group, parent).await?;
                let executed = self
                    .execute(
                        &caller,
                        id,
                        Command::Update {
                            etag: c.etag,
                            patch,
                        },
                        request.request_id,
                        "UpdateCase",
                        Some(authorize),
                    )
                    .await?;
                Ok(convert::case(executed.case))
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
                let id = case_id("name", &r.name)?;
                if r.transition.trim().is_empty() {
                    return Err(Error::invalid_field("transition", "is required"));
                }
                let authorize = self.authorize(
                    &caller,
                    method("TransitionCase"),
                    Action::Transition(r.transition.clone()),
                    None,
                );
                let transition = r.transition.clone();
                let command = Command::Transition {
                    transition: r.transition,
                    etag: r.etag,
                    comment: r.comment,
                };
                let executed = self
                    .execute(
                        &caller,
                        id.clone(),
                        command,
                        r.request_id,
                        "TransitionCase",
                        Some(authorize),
                    )
                    .await;
                self.count_transition(&id, &transition, &executed).await;
                Ok(convert::case(executed?.case))
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
                let case = self
                    .authorized(&caller, &method("ListAvailableTransitions"), &id, "read")
                    .await?;
                let children = self.app.store.children(&id).await?;
                let mut workflows = self.app.workflows.snapshot();
                if workflows.get(&case.kind, case.workflow_version).is_none() {
                    workflows = self.app.workflows.reload(self.app.store.as_ref()).await?;
                }
                let def = workflows
                    .get(&case.kind, case.workflow_version)
                    .ok_or_else(|| {
                        Error::internal(format!(
                            "{} version {} is not loaded",
                            case.kind, case.workflow_version
                        ))
                    })?;
                let roles = self.app.access.roles_of(caller.subject());
                let context = crate::domain::cases::Context {
                    workflows: &workflows,
                    actor: "",
                    now: 0,
                    children: &children,
                    actor_roles: roles.as_deref().map(Vec::as_slice),
                };
                let facts = command::facts(&case, &context);
                // Only the transitions this caller may perform.
                let mut permitted = Vec::new();
                for a in workflow::available(def, &case.state, &facts) {
                    let action = transition_action(&a.transition.permission, &a.transition.id);
                    let need = need(&case.kind, case.department.as_deref(), &action);
                    if self.app.access.allowed(caller.subject(), &need).await {
                        permitted.push(a);
                    }
                }
                let transitions = permitted
                    .into_iter()
                    .map(|a| v1::AvailableTransition {
                        open: a.is_open(),
                        transition: a.transition.id.clone(),
                        to_state: a.transition.to.clone(),
                        label_nl: a.transition.label_nl.clone(),
                        label_en: a.transition.label_en.clone(),
                        comment_required: a.transition.comment_required,
                        permission: a.transition.permission.clone(),
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
                let id = case_id("name", &r.name)?;
                let authorize = self.authorize(
                    &caller,
                    method("AddComment"),
                    Action::Fixed("comment"),
                    None,
                );
                let executed = self
                    .execute(
                        &caller,
                        id,
                        Command::Comment { text: r.text },
                        r.request_id,
                        "AddComment",
                        Some(authorize),
                    )
                    .await?;
                let event = executed
                    .events
                    .into_iter()
                    .next()
                    .ok_or_else(|| Error::internal("a comment without an event"))?;
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
                self.authorized(&caller, &method("ListCaseEvents"), &id, "read")
                    .await?;
                let filter = format!("case = \"{}\"", id.name());
                let params = ListParams {
                    page_size: r.page_size,
                    page_token: &r.page_token,
                    filter: &filter,
                    order_by: "",
                };
                let query =
                    ListQuery::parse(&crate::domain::cases::audit::StoredEvent::LIST, params)?;
                let page = self.app.store.list_events(&query).await?;
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
        if r.after_sequence < 0 {
            return Err(to_status(Error::invalid_field(
                "after_sequence",
                "must not be negative",
            )));
        }
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(watch(
            self.app.clone(),
            caller,
            filter,
            r.after_sequence,
            tx,
        ));
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
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

/// One watcher: replays the log after `after` from the store, then waits for new events. It
/// always reads from the store, so a watcher that falls behind (its buffer full) simply catches
/// up on its next read: no gap, no duplicate. Ends when the client goes away or the server stops.
async fn watch(
    app: Arc<App>,
    caller: Caller,
    filter: EventFilter,
    mut after: i64,
    tx: mpsc::Sender<Result<v1::WatchEventsResponse, Status>>,
) {
    let _counted = crate::telemetry::WatcherGuard::open();
    let mut committed = app.events.subscribe();
    let mut poll = tokio::time::interval(POLL);
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.reset();
    loop {
        loop {
            let batch = match app.store.events_after(after, WATCH_BATCH, &filter).await {
                Ok(batch) => batch,
                Err(e) => {
                    let _ = tx.send(Err(to_status(e))).await;
                    return;
                }
            };
            if batch.is_empty() {
                break;
            }
            for event in batch {
                after = event.sequence;
                // Only events of cases the caller may read (decided per event: a case can
                // move between departments).
                let department = Some(event.department.as_str()).filter(|d| !d.is_empty());
                if !app
                    .access
                    .allowed(caller.subject(), &need(&event.kind, department, "read"))
                    .await
                {
                    continue;
                }
                let item = v1::watch_events_response::Item::Event(convert::event(event));
                if tx
                    .send(Ok(v1::WatchEventsResponse { item: Some(item) }))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            heartbeat.reset();
        }
        tokio::select! {
            changed = committed.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            _ = poll.tick() => {}
            _ = heartbeat.tick() => {
                let beat = v1::Heartbeat {
                    last_sequence: *app.events.borrow(),
                    time: Some(convert::timestamp(crate::domain::time::Timestamp::now())),
                };
                let item = v1::watch_events_response::Item::Heartbeat(beat);
                if tx.send(Ok(v1::WatchEventsResponse { item: Some(item) })).await.is_err() {
                    return;
                }
            }
            () = app.shutdown.cancelled() => return,
            () = tx.closed() => return,
        }
    }
}
