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
mod case_forms;
mod case_pages;
mod cases;
mod pages;
mod sign_in;
mod text;
mod time;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::authz::Caller;
use crate::domain::Error;
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
    public_url: Option<String>,
    timeouts: Timeouts,
    shutdown: CancellationToken,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| anyhow::anyhow!("the console cannot listen on {address}: {e}"))?;
    let bound = listener.local_addr()?;
    let url = public_url.unwrap_or_else(|| format!("http://{bound}/"));
    let _ = app.console_url.set(url.clone());
    let router = router(Console {
        app,
        timeouts,
        secure: false,
    });
    tracing::info!(address = %bound, url = %url, "console listening");
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
        .route("/", get(cases::my_work))
        .route("/sign-in", get(sign_in::page).post(sign_in::sign_in))
        .route("/sign-in/link/{secret}", get(sign_in::link_page))
        .route("/sign-in/link", post(sign_in::sign_in_with_link))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/language", post(sign_in::switch_language))
        .route("/cases", get(cases::case_list))
        .route(
            "/cases/new",
            get(case_forms::new_case_page).post(case_forms::create),
        )
        .route("/cases/{id}", get(cases::case_page))
        .route(
            "/cases/{id}/edit",
            get(case_forms::edit_page).post(case_forms::edit),
        )
        .route("/cases/{id}/assign", post(case_forms::assign))
        .route("/cases/{id}/transition", post(cases::transition))
        .route("/cases/{id}/comment", post(cases::comment))
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
