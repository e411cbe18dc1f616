//! The console's frame, as maud templates: the layout (header, navigation, skip link,
//! language switch, sign-out), the sign-in pages and the error pages; the case pages are in
//! `case_pages.rs`.
//! Every value is escaped by maud; no page has inline script or style. Texts come from
//! `text.rs`, labels from the workflow definitions, refusals from the rule registry.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::assets;
use super::text::{T, pick, t};
use crate::domain::Error;
use crate::domain::session::{Language, Session};

/// The page around `content`; `session` is `None` before sign-in.
pub(super) fn layout(
    language: Language,
    session: Option<&Session>,
    title: &str,
    content: Markup,
) -> Markup {
    let other = match language {
        Language::Nl => Language::En,
        Language::En => Language::Nl,
    };
    html! {
        (DOCTYPE)
        html lang=(language.code()) class="rhc-theme" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (t(language, T::AppName)) }
                @for sheet in assets::style_sheets() {
                    link rel="stylesheet" href=(sheet);
                }
            }
            body class="rhc-theme utrecht-page-body" {
                a class="regie-skip utrecht-link" href="#inhoud" { (t(language, T::SkipLink)) }
                header class="regie-header" {
                    span class="regie-brand" { (t(language, T::AppName)) }
                    @if session.is_some() {
                        nav class="regie-nav" aria-label=(t(language, T::Nav)) {
                            ul {
                                li { a class="utrecht-link" href="/" { (t(language, T::MyWork)) } }
                                li { a class="utrecht-link" href="/cases" { (t(language, T::Cases)) } }
                            }
                        }
                    }
                    div {
                        @if let Some(s) = session {
                            span { (t(language, T::SignedInAs)) " " (s.principal.as_str()) " " }
                        }
                        @if let Some(s) = session {
                            form method="post" action="/language" {
                                input type="hidden" name="csrf" value=(s.csrf_token);
                                input type="hidden" name="language" value=(other.code());
                                button type="submit" lang=(other.code()) { (t(language, T::Switch)) }
                            }
                            " "
                            form method="post" action="/sign-out" {
                                input type="hidden" name="csrf" value=(s.csrf_token);
                                button type="submit" { (t(language, T::SignOut)) }
                            }
                        }
                    }
                }
                main id="inhoud" tabindex="-1" { (content) }
            }
        }
    }
}

pub fn sign_in(language: Language, csrf: &str, ended: bool, refused: Option<()>) -> Markup {
    let title = t(language, T::SignIn);
    let other = match language {
        Language::Nl => Language::En,
        Language::En => Language::Nl,
    };
    layout(
        language,
        None,
        title,
        html! {
            h1 class="utrecht-heading-1" { (title) }
            @if ended {
                p class="regie-notice" role="status" { (t(language, T::SessionEnded)) }
            }
            p class="utrecht-paragraph" { (t(language, T::SignInIntro)) }
            form method="post" action="/sign-in" {
                input type="hidden" name="csrf" value=(csrf);
                div class="utrecht-form-field" {
                    label class="utrecht-form-label" for="token" { (t(language, T::Token)) }
                    p class="utrecht-form-field-description" id="token-hint" { (t(language, T::TokenHint)) }
                    @if refused.is_some() {
                        p class="utrecht-form-field-error-message regie-alert" id="token-error" {
                            (pick(language, "Dit token is onbekend, ingetrokken of verlopen.",
                                "This token is unknown, revoked or expired."))
                        }
                        input type="password" id="token" name="token" required autocomplete="off"
                            aria-invalid="true" aria-describedby="token-hint token-error";
                    } @else {
                        input type="password" id="token" name="token" required autocomplete="off"
                            aria-describedby="token-hint";
                    }
                }
                p { button class="utrecht-button utrecht-button--primary-action" type="submit" { (title) } }
            }
            form method="post" action="/language" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="language" value=(other.code());
                input type="hidden" name="back" value="/sign-in";
                button class="utrecht-button utrecht-button--secondary-action" type="submit" lang=(other.code()) {
                    (t(language, T::Switch))
                }
            }
        },
    )
}

/// The page a sign-in link opens: one button that signs in (`secret` in the form's body), or,
/// when the link did not work, why and what to do.
pub fn link_sign_in(language: Language, csrf: &str, secret: &str, refused: bool) -> Markup {
    let title = t(language, T::SignIn);
    layout(
        language,
        None,
        title,
        html! {
            h1 class="utrecht-heading-1" { (title) }
            @if refused {
                div class="regie-alert" role="alert" {
                    p class="utrecht-paragraph" { (t(language, T::LinkRefused)) }
                }
                p { a class="utrecht-link" href="/sign-in" { (t(language, T::SignInWithToken)) } }
            } @else {
                p class="utrecht-paragraph" { (t(language, T::LinkIntro)) }
                form method="post" action="/sign-in/link" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="link" value=(secret);
                    p { button class="utrecht-button utrecht-button--primary-action" type="submit" { (title) } }
                }
            }
        },
    )
}

/// `a=b&c=d`, each value percent-encoded (only what a query needs).
pub(super) fn query_string(pairs: &[(&str, &String)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", percent(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub(super) fn percent(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The HTTP status of a use case's error.
pub fn status_of(error: &Error) -> StatusCode {
    match error {
        Error::InvalidArgument { .. } => StatusCode::BAD_REQUEST,
        Error::NotFound { .. } => StatusCode::NOT_FOUND,
        Error::PermissionDenied { .. } => StatusCode::FORBIDDEN,
        Error::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
        Error::FailedPrecondition { .. } | Error::EtagMismatch { .. } => StatusCode::CONFLICT,
        Error::AlreadyExists { .. } => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// An error page: a refusal says what the use case said (for a case the user may not read,
/// the AIP-211 message, which tells nothing about the case).
pub fn error(language: Language, session: Option<&Session>, error: &Error) -> Response {
    let status = status_of(error);
    let title = if status == StatusCode::FORBIDDEN {
        t(language, T::NotAllowed)
    } else {
        t(language, T::Refused)
    };
    let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %error, "console request failed");
        pick(
            language,
            "Er ging iets mis. Probeer het later opnieuw.",
            "Something went wrong. Try again later.",
        )
        .to_owned()
    } else {
        error.to_string()
    };
    let page = layout(
        language,
        session,
        title,
        html! {
            h1 class="utrecht-heading-1" { (title) }
            div class="regie-alert" role="alert" { p class="utrecht-paragraph" { (message) } }
            @if session.is_some() {
                p { a class="utrecht-link" href="/cases" { (t(language, T::Cases)) } }
            }
        },
    );
    (status, page).into_response()
}

/// A form without a valid CSRF token.
pub fn bad_request(language: Language) -> Response {
    let title = t(language, T::BadRequest);
    let page = layout(
        language,
        None,
        title,
        html! {
            h1 class="utrecht-heading-1" { (title) }
            p class="utrecht-paragraph" {
                (pick(language, "Het formulier is verlopen of niet van deze site. Laad de pagina opnieuw.",
                    "The form has expired or is not from this site. Reload the page."))
            }
        },
    );
    (StatusCode::FORBIDDEN, page).into_response()
}
