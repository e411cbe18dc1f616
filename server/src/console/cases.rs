//! The console's case pages (docs/architecture.md, "Console"): "Mijn werk", the case list, the
//! case page and the forms that change a case. Each handler turns the session into a
//! [`Caller`] and calls the use case the gRPC API calls; a refusal is shown on the page it came
//! from, with the rule's sentence and id.

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Console, case_pages, csrf_ok, pages, signed_in, time};
use crate::app::App;
use crate::app::audit::ChainReport;
use crate::app::cases::Available;
use crate::authz::Caller;
use crate::domain::Error;
use crate::domain::cases::audit::StoredEvent;
use crate::domain::cases::{Case, CaseId};
use crate::domain::listing::ListParams;
use crate::domain::request::RequestKey;
use crate::domain::session::Session;
use crate::domain::workflow::WorkflowDefinition;

#[derive(Deserialize, Default)]
pub struct WorkFilters {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub page_token: String,
}

/// "Mijn werk", the landing page: what awaits the signed-in user (`App::my_work`, the use case
/// of `WorkService.ListMyWork` and `regie my-work`).
pub(super) async fn my_work(
    State(console): State<Console>,
    headers: HeaderMap,
    Query(filters): Query<WorkFilters>,
) -> Response {
    let (session, caller) = match signed_in(&console, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let query = crate::app::work::MyWorkQuery {
        page_size: 50,
        page_token: &filters.page_token,
        kind: filters.kind.trim(),
        due_soon_days: 0,
    };
    match console.app.my_work(&caller, query).await {
        Ok(work) => {
            let workflows = console.app.workflows.snapshot();
            case_pages::my_work(&session, &workflows, &filters, &work).into_response()
        }
        Err(e) => pages::error(session.language, Some(&session), &e),
    }
}

/// The case list's filters, as form controls send them.
#[derive(Deserialize, Default)]
pub struct ListFilters {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub page_token: String,
}

impl ListFilters {
    /// The API's filter expression (AIP-160), from the values chosen. A value is quoted; one
    /// with a quote or backslash is refused rather than escaped.
    fn expression(&self) -> Result<String, Error> {
        let mut parts = Vec::new();
        for (field, value) in [
            ("kind", self.kind.trim()),
            ("state", self.state.trim()),
            ("department", self.department.trim()),
        ] {
            if value.is_empty() {
                continue;
            }
            if value.contains(['"', '\\']) {
                return Err(Error::invalid_field(field, "must not contain quotes"));
            }
            let value = if field == "department" {
                format!("departments/{value}")
            } else {
                value.to_owned()
            };
            parts.push(format!("{field} = \"{value}\""));
        }
        Ok(parts.join(" AND "))
    }
}

pub(super) async fn case_list(
    State(console): State<Console>,
    headers: HeaderMap,
    Query(filters): Query<ListFilters>,
) -> Response {
    let (session, caller) = match signed_in(&console, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let filter = match filters.expression() {
        Ok(filter) => filter,
        Err(e) => return pages::error(session.language, Some(&session), &e),
    };
    let params = ListParams {
        page_size: 50,
        page_token: &filters.page_token,
        filter: &filter,
        order_by: "update_time desc",
    };
    match console.app.list_cases(&caller, params).await {
        Ok(page) => {
            let workflows = console.app.workflows.snapshot();
            case_pages::case_list(&session, &workflows, &filters, &page).into_response()
        }
        Err(e) => pages::error(session.language, Some(&session), &e),
    }
}

pub(super) fn case_id(id: &str) -> Result<CaseId, Error> {
    CaseId::parse("case", id).map_err(|v| Error::invalid_field("case", v.description.as_str()))
}

/// The case page's query: `as_of`, a date, shows the case as it was at the end of that day;
/// `revision` as it was after its event of that number (the history's links).
#[derive(Deserialize, Default)]
pub(super) struct CaseQuery {
    #[serde(default)]
    as_of: String,
    #[serde(default)]
    revision: String,
}

impl CaseQuery {
    fn past(&self) -> Result<Option<AsOf>, Error> {
        if let Ok(revision) = self.revision.trim().parse::<i64>()
            && revision > 0
        {
            return Ok(Some(AsOf {
                date: String::new(),
                at: None,
                revision,
            }));
        }
        if !self.revision.trim().is_empty() {
            return Err(Error::invalid_field("revision", "is a positive number"));
        }
        match self.as_of.trim() {
            "" => Ok(None),
            date => match time::end_of_day(date) {
                Some(at) => Ok(Some(AsOf {
                    date: date.to_owned(),
                    at: Some(at),
                    revision: 0,
                })),
                None => Err(Error::invalid_field(
                    "as_of",
                    "is a date such as 2026-12-01",
                )),
            },
        }
    }
}

pub(super) async fn case_page(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<CaseQuery>,
) -> Response {
    let (session, caller) = match signed_in(&console, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let as_of = match q.past() {
        Ok(as_of) => as_of,
        Err(e) => return pages::error(session.language, Some(&session), &e),
    };
    let shown = Shown {
        as_of,
        ..Shown::default()
    };
    render_case(&console, &session, &caller, &id, shown).await
}

/// A moment in the past the case page shows the case at: the end of a day, or a revision.
pub(super) struct AsOf {
    /// As the user gave it (`2026-12-01`); empty for a revision.
    pub date: String,
    /// The end of that day in Amsterdam, in micros.
    pub at: Option<i64>,
    /// The case's version after its event of this number (0: by date).
    pub revision: i64,
}

/// How the case page is shown: now or `as_of`, with `refusal` above it when a form was refused.
#[derive(Default)]
pub(super) struct Shown<'a> {
    pub refusal: Option<&'a Error>,
    pub as_of: Option<AsOf>,
    pub status: StatusCode,
}

/// Everything the case page shows, each part from its use case.
pub(super) struct CaseView<'a> {
    pub case: Case,
    pub definition: Option<&'a WorkflowDefinition>,
    pub available: Vec<Available>,
    pub events: Vec<StoredEvent>,
    pub children: Vec<Case>,
    pub chain: ChainReport,
}

pub(super) async fn render_case(
    console: &Console,
    session: &Session,
    caller: &Caller,
    id: &str,
    shown: Shown<'_>,
) -> Response {
    let language = session.language;
    let id = match case_id(id) {
        Ok(id) => id,
        Err(e) => return pages::error(language, Some(session), &e),
    };
    let app = &console.app;
    let at = shown.as_of.as_ref().and_then(|a| a.at);
    let revision = shown.as_of.as_ref().map_or(0, |a| a.revision);
    let past = shown.as_of.is_some();
    let case = match app.get_case(caller, id.clone(), at, revision).await {
        Ok(case) => case,
        Err(e) => return pages::error(language, Some(session), &e),
    };
    // In the past nothing can be done: no transitions, and the history up to that day.
    let available = if past {
        Vec::new()
    } else {
        match app.available_transitions(caller, id.clone()).await {
            Ok(available) => available,
            Err(e) => return pages::error(language, Some(session), &e),
        }
    };
    let mut events = match app.list_case_events(caller, id.clone(), 200, "").await {
        Ok(page) => page.items,
        Err(e) => return pages::error(language, Some(session), &e),
    };
    if let Some(at) = at {
        events.retain(|e| e.time <= at);
    }
    if revision > 0 {
        events.retain(|e| e.case_sequence <= revision);
    }
    let parent_filter = format!("parent = \"{}\"", id.name());
    let params = ListParams {
        page_size: 100,
        page_token: "",
        filter: &parent_filter,
        order_by: "create_time",
    };
    let children = match app.list_cases(caller, params).await {
        Ok(page) => page.items,
        Err(e) => return pages::error(language, Some(session), &e),
    };
    let chain = match app.verify_case_chain(caller, &id).await {
        Ok(chain) => chain,
        Err(e) => return pages::error(language, Some(session), &e),
    };
    let workflows = app.workflows.snapshot();
    let view = CaseView {
        definition: workflows.get(&case.kind, case.workflow_version),
        case,
        available,
        events,
        children,
        chain,
    };
    (
        shown.status,
        case_pages::case_page(session, &view, shown.refusal, shown.as_of.as_ref()),
    )
        .into_response()
}

#[derive(Deserialize)]
pub(super) struct TransitionForm {
    #[serde(default)]
    csrf: String,
    transition: String,
    #[serde(default)]
    etag: String,
    #[serde(default)]
    comment: String,
}

pub(super) async fn transition(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<TransitionForm>,
) -> Response {
    let TransitionForm {
        csrf,
        transition,
        etag,
        comment,
    } = form;
    case_write(&console, &headers, &id, &csrf, async |app, caller, case| {
        app.transition_case(caller, case, transition, etag, comment, RequestKey::none())
            .await
            .map(|_| ())
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct CommentForm {
    #[serde(default)]
    csrf: String,
    text: String,
}

pub(super) async fn comment(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CommentForm>,
) -> Response {
    let CommentForm { csrf, text } = form;
    case_write(&console, &headers, &id, &csrf, async |app, caller, case| {
        app.add_comment(caller, case, text, RequestKey::none())
            .await
            .map(|_| ())
    })
    .await
}

/// A form that changes the case `id`: the session and its CSRF token checked, then `write`
/// (a use case); back to the case page, or the page again with the refusal.
pub(super) async fn case_write(
    console: &Console,
    headers: &HeaderMap,
    id: &str,
    csrf: &str,
    write: impl AsyncFnOnce(&App, &Caller, CaseId) -> crate::domain::Result<()>,
) -> Response {
    let (session, caller) = match signed_in(console, headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if !csrf_ok(&session, csrf) {
        return pages::bad_request(session.language);
    }
    let case = match case_id(id) {
        Ok(case) => case,
        Err(e) => return pages::error(session.language, Some(&session), &e),
    };
    match write(&console.app, &caller, case).await {
        Ok(()) => Redirect::to(&format!("/cases/{id}")).into_response(),
        Err(e) => {
            let shown = Shown {
                refusal: Some(&e),
                status: pages::status_of(&e),
                ..Shown::default()
            };
            render_case(console, &session, &caller, id, shown).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_the_apis_expression_and_quotes_are_refused() {
        let f = ListFilters {
            kind: "work_item".into(),
            department: "JenV".into(),
            ..ListFilters::default()
        };
        assert_eq!(
            f.expression().expect("valid"),
            "kind = \"work_item\" AND department = \"departments/JenV\""
        );
        let bad = ListFilters {
            state: "x\" OR kind = \"y".into(),
            ..ListFilters::default()
        };
        assert!(bad.expression().is_err());
    }
}
