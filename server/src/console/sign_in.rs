//! Signing in and out of the console (docs/architecture.md, "Console"): the token form, the
//! one-time sign-in link an admin issues (`regie console invite`), sign-out and the language
//! switch. Each proof goes to `App::sign_in_with_token` or `App::sign_in_with_link`, which open
//! the same kind of session; before sign-in the forms carry a double-submit CSRF token.

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{
    Console, LANGUAGE_COOKIE, PRE_COOKIE, SESSION_COOKIE, cookie, cookie_language, csrf_ok, pages,
    same_secret, set_cookie, signed_in,
};
use crate::app::sessions::Opened;
use crate::domain::Error;
use crate::domain::access::Secret;
use crate::domain::session::Language;

#[derive(Deserialize)]
pub(super) struct Ended {
    ended: Option<String>,
}

pub(super) async fn page(
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
pub(super) struct SignInForm {
    token: String,
    #[serde(default)]
    csrf: String,
}

pub(super) async fn sign_in(
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
        Ok(opened) => signed_in_response(&console, opened),
        Err(Error::Unauthenticated { .. }) => (
            StatusCode::UNAUTHORIZED,
            pages::sign_in(language, pre, false, Some(())),
        )
            .into_response(),
        Err(e) => pages::error(language, None, &e),
    }
}

/// A sign-in link's page: it does not sign in by itself (a link checker or a mail scanner
/// following it would use it up), it shows a button that does, with the link's secret in the
/// form's body.
pub(super) async fn link_page(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Response {
    let language = cookie_language(&headers);
    let csrf = Secret::generate();
    (
        [(
            header::SET_COOKIE,
            set_cookie(&console, PRE_COOKIE, csrf.expose(), None),
        )],
        pages::link_sign_in(language, csrf.expose(), &secret, false),
    )
        .into_response()
}

#[derive(Deserialize)]
pub(super) struct LinkForm {
    #[serde(default)]
    link: String,
    #[serde(default)]
    csrf: String,
}

pub(super) async fn sign_in_with_link(
    State(console): State<Console>,
    headers: HeaderMap,
    Form(form): Form<LinkForm>,
) -> Response {
    let language = cookie_language(&headers);
    let pre = cookie(&headers, PRE_COOKIE).unwrap_or_default();
    if pre.is_empty() || !same_secret(pre, &form.csrf) {
        return pages::bad_request(language);
    }
    match console
        .app
        .sign_in_with_link(&form.link, language, console.timeouts)
        .await
    {
        Ok(opened) => signed_in_response(&console, opened),
        Err(Error::Unauthenticated { .. }) => (
            StatusCode::UNAUTHORIZED,
            pages::link_sign_in(language, pre, "", true),
        )
            .into_response(),
        Err(e) => pages::error(language, None, &e),
    }
}

/// The answer to a successful sign-in: the session cookie, the pre-session cookie dropped,
/// and on to "Mijn werk" (so that no secret stays in the address bar).
fn signed_in_response(console: &Console, Opened { id, session }: Opened) -> Response {
    tracing::info!(principal = %session.principal, proof = session.proof.kind(), "console sign-in");
    let mut response = Redirect::to("/").into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(console, SESSION_COOKIE, id.expose(), None),
    );
    headers.append(
        header::SET_COOKIE,
        set_cookie(console, PRE_COOKIE, "", Some(0)),
    );
    response
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub(super) async fn sign_out(
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
pub(super) struct LanguageForm {
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

pub(super) async fn switch_language(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_gone_back_to() {
        assert_eq!(local_path("/cases/abc"), "/cases/abc");
        assert_eq!(local_path("//evil.example"), "/cases");
        assert_eq!(local_path("https://evil.example"), "/cases");
    }
}
