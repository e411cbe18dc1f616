//! The console's case pages (docs/architecture.md, "Console"): "Mijn werk", the case list, the
//! case page and the forms that change a case. Each handler turns the session into a
//! [`Caller`] and calls the use case the gRPC API calls; a refusal is shown on the page it came
//! from, with the rule's sentence and id.

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Console, case_pages, csrf_ok, pages, signed_in};
use crate::app::App;
use crate::authz::Caller;
use crate::domain::Error;
use crate::domain::cases::CaseId;
use crate::domain::listing::ListParams;
use crate::domain::request::RequestKey;
use crate::domain::session::Session;

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

fn case_id(id: &str) -> Result<CaseId, Error> {
    CaseId::parse("case", id).map_err(|v| Error::invalid_field("case", v.description.as_str()))
}

pub(super) async fn case_page(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (session, caller) = match signed_in(&console, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    render_case(&console, &session, &caller, &id, None, StatusCode::OK).await
}

/// The case page, with `refusal` shown above it when a form was refused.
pub(super) async fn render_case(
    console: &Console,
    session: &Session,
    caller: &Caller,
    id: &str,
    refusal: Option<&Error>,
    status: StatusCode,
) -> Response {
    let id = match case_id(id) {
        Ok(id) => id,
        Err(e) => return pages::error(session.language, Some(session), &e),
    };
    let app = &console.app;
    let case = match app.get_case(caller, id.clone(), None, 0).await {
        Ok(case) => case,
        Err(e) => return pages::error(session.language, Some(session), &e),
    };
    let available = match app.available_transitions(caller, id.clone()).await {
        Ok(available) => available,
        Err(e) => return pages::error(session.language, Some(session), &e),
    };
    let events = match app.list_case_events(caller, id, 200, "").await {
        Ok(page) => page.items,
        Err(e) => return pages::error(session.language, Some(session), &e),
    };
    let workflows = app.workflows.snapshot();
    let definition = workflows.get(&case.kind, case.workflow_version);
    (
        status,
        case_pages::case_page(session, &case, definition, &available, &events, refusal),
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
            let status = pages::status_of(&e);
            render_case(console, &session, &caller, id, Some(&e), status).await
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
