//! The web console (issue #15; docs/architecture.md, "Console"): server-rendered pages for
//! policy officers, served by `regie-server` itself on `--console-listen` beside gRPC, in the
//! same process and over the same [`App`].
//!
//! Like `api/`, this layer only translates: a request's session cookie becomes a
//! [`Caller`](crate::authz::Caller) (`App::resume_session`), and every page and form calls the
//! same use cases as the gRPC API (`App::list_cases`, `App::get_case`,
//! `App::available_transitions`, `App::transition_case`, `App::add_comment`). There is no
//! second authorization path: a refusal comes from the use case and is shown with the rule's
//! sentence and id from the rule registry; no rule is written again in a template.
//!
//! Crates: axum 0.8, which tonic already builds on (no new HTTP stack), and maud for the
//! templates: its `html!` macro is checked and compiled with the code, escapes every value by
//! default, and needs no template files or build step (askama would, and its templates are
//! a second language to keep in step with the Rust they render).
//!
//! Browser safety: every form carries a CSRF token (the session's, or before sign-in a
//! double-submit cookie), checked on every POST; every response has a Content-Security-Policy
//! without inline script (`script-src 'self'`, `frame-ancestors 'none'`); the session cookie
//! is HttpOnly and SameSite=Strict; the pasted token is only ever in a POST body, never in a
//! URL, a page or a log.

mod assets;
mod pages;
mod text;
mod time;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::app::sessions::Opened;
use crate::authz::Caller;
use crate::domain::Error;
use crate::domain::access::Secret;
use crate::domain::cases::CaseId;
use crate::domain::listing::ListParams;
use crate::domain::request::RequestKey;
use crate::domain::session::{Language, Session, Timeouts};

const SESSION_COOKIE: &str = "regie_session";
/// Before sign-in: the double-submit CSRF token of the sign-in form.
const PRE_COOKIE: &str = "regie_presession";
/// Before sign-in: the language chosen.
const LANGUAGE_COOKIE: &str = "regie_lang";

/// The Content-Security-Policy of every response: nothing inline, nothing from elsewhere.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What every handler shares.
#[derive(Clone)]
struct Console {
    app: Arc<App>,
    timeouts: Timeouts,
    /// Cookies carry `Secure`: the console is reached over TLS (not yet served by Regie
    /// itself; kept so that a TLS front end can be configured later).
    secure: bool,
}

/// Binds `address`, logs the console's URL and serves until `shutdown` is cancelled.
pub async fn spawn(
    app: Arc<App>,
    address: SocketAddr,
    timeouts: Timeouts,
    shutdown: CancellationToken,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| anyhow::anyhow!("the console cannot listen on {address}: {e}"))?;
    let bound = listener.local_addr()?;
    let router = router(Console {
        app,
        timeouts,
        secure: false,
    });
    tracing::info!(address = %bound, url = %format!("http://{bound}/"), "console listening");
    Ok(tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "the console failed");
        }
    }))
}

fn router(console: Console) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/cases") }))
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/language", post(switch_language))
        .route("/cases", get(case_list))
        .route("/cases/{id}", get(case_page))
        .route("/cases/{id}/transition", post(transition))
        .route("/cases/{id}/comment", post(comment))
        .route("/assets/{version}/{name}", get(assets::serve))
        .layer(middleware::from_fn(security_headers))
        .with_state(console)
}

/// The headers of every response: the CSP, no framing, no sniffing, no referrer; pages are
/// not cached (so that after sign-out the back button shows nothing).
async fn security_headers(request: Request, next: Next) -> Response {
    let is_asset = request.uri().path().starts_with("/assets/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !is_asset {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The value of cookie `name`.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value with the console's flags.
fn set_cookie(console: &Console, name: &str, value: &str, max_age: Option<u64>) -> HeaderValue {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if console.secure {
        text.push_str("; Secure");
    }
    if let Some(age) = max_age {
        text.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// Compares two secrets in time that does not depend on where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The language of a request without a session.
fn cookie_language(headers: &HeaderMap) -> Language {
    cookie(headers, LANGUAGE_COOKIE)
        .map(Language::from_code)
        .unwrap_or_default()
}

/// The signed-in user of this request, or the redirect to the sign-in page.
async fn signed_in(console: &Console, headers: &HeaderMap) -> Result<(Session, Caller), Response> {
    let Some(id) = cookie(headers, SESSION_COOKIE) else {
        return Err(Redirect::to("/sign-in").into_response());
    };
    match console.app.resume_session(id, console.timeouts).await {
        Ok(found) => Ok(found),
        Err(Error::Unauthenticated { .. }) => Err((
            [(
                header::SET_COOKIE,
                set_cookie(console, SESSION_COOKIE, "", Some(0)),
            )],
            Redirect::to("/sign-in?ended=1"),
        )
            .into_response()),
        Err(e) => Err(pages::error(cookie_language(headers), None, &e)),
    }
}

/// Whether a POST carries the session's CSRF token (refused with `pages::bad_request` if not).
fn csrf_ok(session: &Session, given: &str) -> bool {
    same_secret(&session.csrf_token, given)
}

#[derive(Deserialize)]
struct Ended {
    ended: Option<String>,
}

async fn sign_in_page(
    State(console): State<Console>,
    headers: HeaderMap,
    Query(q): Query<Ended>,
) -> Response {
    let language = cookie_language(&headers);
    let csrf = Secret::generate();
    (
        [(
            header::SET_COOKIE,
            set_cookie(&console, PRE_COOKIE, csrf.expose(), None),
        )],
        pages::sign_in(language, csrf.expose(), q.ended.is_some(), None),
    )
        .into_response()
}

#[derive(Deserialize)]
struct SignInForm {
    token: String,
    #[serde(default)]
    csrf: String,
}

async fn sign_in(
    State(console): State<Console>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let language = cookie_language(&headers);
    let pre = cookie(&headers, PRE_COOKIE).unwrap_or_default();
    if pre.is_empty() || !same_secret(pre, &form.csrf) {
        return pages::bad_request(language);
    }
    match console
        .app
        .sign_in_with_token(&form.token, language, console.timeouts)
        .await
    {
        Ok(Opened { id, session }) => {
            tracing::info!(principal = %session.principal, "console sign-in");
            let mut response = Redirect::to("/cases").into_response();
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                set_cookie(&console, SESSION_COOKIE, id.expose(), None),
            );
            headers.append(
                header::SET_COOKIE,
                set_cookie(&console, PRE_COOKIE, "", Some(0)),
            );
            response
        }
        Err(Error::Unauthenticated { .. }) => (
            StatusCode::UNAUTHORIZED,
            pages::sign_in(language, pre, false, Some(())),
        )
            .into_response(),
        Err(e) => pages::error(language, None, &e),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn sign_out(
    State(console): State<Console>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let (session, _) = match signed_in(&console, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if !csrf_ok(&session, &form.csrf) {
        return pages::bad_request(session.language);
    }
    if let Err(e) = console.app.sign_out(&session).await {
        return pages::error(session.language, None, &e);
    }
    (
        [(
            header::SET_COOKIE,
            set_cookie(&console, SESSION_COOKIE, "", Some(0)),
        )],
        Redirect::to("/sign-in"),
    )
        .into_response()
}

#[derive(Deserialize)]
struct LanguageForm {
    #[serde(default)]
    csrf: String,
    language: String,
    #[serde(default)]
    back: String,
}

/// Only a path of this site to go back to (no open redirect).
fn local_path(back: &str) -> &str {
    if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
        back
    } else {
        "/cases"
    }
}

async fn switch_language(
    State(console): State<Console>,
    headers: HeaderMap,
    Form(form): Form<LanguageForm>,
) -> Response {
    let language = Language::from_code(&form.language);
    let back = local_path(&form.back).to_owned();
    if cookie(&headers, SESSION_COOKIE).is_some() {
        let (session, _) = match signed_in(&console, &headers).await {
            Ok(found) => found,
            Err(response) => return response,
        };
        if !csrf_ok(&session, &form.csrf) {
            return pages::bad_request(session.language);
        }
        if let Err(e) = console.app.set_session_language(&session, language).await {
            return pages::error(session.language, None, &e);
        }
    } else {
        let pre = cookie(&headers, PRE_COOKIE).unwrap_or_default();
        if pre.is_empty() || !same_secret(pre, &form.csrf) {
            return pages::bad_request(language);
        }
    }
    (
        [(
            header::SET_COOKIE,
            set_cookie(&console, LANGUAGE_COOKIE, language.code(), Some(31_536_000)),
        )],
        Redirect::to(&back),
    )
        .into_response()
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

async fn case_list(
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
            pages::case_list(&session, &workflows, &filters, &page).into_response()
        }
        Err(e) => pages::error(session.language, Some(&session), &e),
    }
}

fn case_id(id: &str) -> Result<CaseId, Error> {
    CaseId::parse("case", id).map_err(|v| Error::invalid_field("case", v.description.as_str()))
}

async fn case_page(
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
async fn render_case(
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
        pages::case_page(session, &case, definition, &available, &events, refusal),
    )
        .into_response()
}

#[derive(Deserialize)]
struct TransitionForm {
    #[serde(default)]
    csrf: String,
    transition: String,
    #[serde(default)]
    etag: String,
    #[serde(default)]
    comment: String,
}

async fn transition(
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
struct CommentForm {
    #[serde(default)]
    csrf: String,
    text: String,
}

async fn comment(
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
async fn case_write(
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

    #[test]
    fn only_local_paths_are_gone_back_to() {
        assert_eq!(local_path("/cases/abc"), "/cases/abc");
        assert_eq!(local_path("//evil.example"), "/cases");
        assert_eq!(local_path("https://evil.example"), "/cases");
    }
}
