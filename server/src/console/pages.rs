//! The console's pages, as maud templates: the layout (header, navigation, skip link,
//! language switch, sign-out), sign-in, the case list, the case page and the error pages.
//! Every value is escaped by maud; no page has inline script or style. Texts come from
//! `text.rs`, labels from the workflow definitions, refusals from the rule registry.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::ListFilters;
use super::assets;
use super::text::{T, kind, pick, t};
use super::time::{date_time, iso};
use crate::app::cases::Available;
use crate::domain::Error;
use crate::domain::cases::Case;
use crate::domain::cases::audit::StoredEvent;
use crate::domain::listing::Page;
use crate::domain::session::{Language, Session};
use crate::domain::workflow::{WorkflowDefinition, Workflows, rules};

/// The page around `content`; `session` is `None` before sign-in.
fn layout(language: Language, session: Option<&Session>, title: &str, content: Markup) -> Markup {
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
                            ul { li { a class="utrecht-link" href="/cases" { (t(language, T::Cases)) } } }
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

/// The label of `state` of a case of `kind`, from its workflow's definition.
fn state_label(language: Language, def: Option<&WorkflowDefinition>, state: &str) -> String {
    def.and_then(|d| d.state(state))
        .map(|s| pick(language, &s.label_nl, &s.label_en).to_owned())
        .unwrap_or_else(|| state.to_owned())
}

pub fn case_list(
    session: &Session,
    workflows: &Workflows,
    filters: &ListFilters,
    page: &Page<Case>,
) -> Markup {
    let language = session.language;
    let title = t(language, T::Cases);
    let mut states: Vec<(String, String)> = Vec::new();
    for k in workflows.kinds() {
        if !filters.kind.is_empty() && filters.kind != k {
            continue;
        }
        if let Some(def) = workflows.latest(k) {
            for s in def.states() {
                if !states.iter().any(|(name, _)| *name == s.name) {
                    states.push((
                        s.name.clone(),
                        pick(language, &s.label_nl, &s.label_en).to_owned(),
                    ));
                }
            }
        }
    }
    let next = (!page.next_page_token.is_empty()).then(|| {
        let q = serde_urlencoded_pairs(&[
            ("kind", &filters.kind),
            ("state", &filters.state),
            ("department", &filters.department),
            ("page_token", &page.next_page_token),
        ]);
        format!("/cases?{q}")
    });
    layout(
        language,
        Some(session),
        title,
        html! {
            h1 class="utrecht-heading-1" { (title) }
            form method="get" action="/cases" class="regie-filters" {
                div class="utrecht-form-field" {
                    label class="utrecht-form-label" for="f-kind" { (t(language, T::Kind)) }
                    select id="f-kind" name="kind" class="utrecht-select" {
                        option value="" { (t(language, T::Any)) }
                        @for k in workflows.kinds() {
                            option value=(k) selected[filters.kind == k] { (kind(language, k)) }
                        }
                    }
                }
                div class="utrecht-form-field" {
                    label class="utrecht-form-label" for="f-state" { (t(language, T::State)) }
                    select id="f-state" name="state" class="utrecht-select" {
                        option value="" { (t(language, T::Any)) }
                        @for (name, label) in &states {
                            option value=(name) selected[filters.state == *name] { (label) }
                        }
                    }
                }
                div class="utrecht-form-field" {
                    label class="utrecht-form-label" for="f-department" { (t(language, T::Department)) }
                    input type="text" id="f-department" name="department" value=(filters.department)
                        class="utrecht-textbox" aria-describedby="f-department-hint" size="8";
                    p class="utrecht-form-field-description" id="f-department-hint" { (t(language, T::DepartmentHint)) }
                }
                div { button class="utrecht-button utrecht-button--secondary-action" type="submit" { (t(language, T::Filter)) } }
            }
            @if page.items.is_empty() {
                p class="utrecht-paragraph" { (t(language, T::NoCases)) }
            } @else {
                table class="utrecht-table" {
                    thead { tr {
                        th scope="col" { (t(language, T::Title)) }
                        th scope="col" { (t(language, T::Id)) }
                        th scope="col" { (t(language, T::Kind)) }
                        th scope="col" { (t(language, T::State)) }
                        th scope="col" { (t(language, T::Department)) }
                        th scope="col" { (t(language, T::Updated)) }
                    } }
                    tbody {
                        @for case in &page.items {
                            tr {
                                td { a class="utrecht-link" href=(format!("/cases/{}", case.id.as_str())) { (case.title) } }
                                td class="regie-id" { (case.id.as_str()) }
                                td { (kind(language, &case.kind)) }
                                td { (state_label(language, workflows.get(&case.kind, case.workflow_version), &case.state)) }
                                td { (case.department.as_deref().unwrap_or("Rijk")) }
                                td { time datetime=(iso(case.update_time)) { (date_time(language, case.update_time)) } }
                            }
                        }
                    }
                }
            }
            @if let Some(href) = next {
                p { a class="utrecht-link" rel="next" href=(href) { (t(language, T::NextPage)) } }
            }
        },
    )
}

/// `a=b&c=d`, each value percent-encoded (only what a query needs).
fn serde_urlencoded_pairs(pairs: &[(&str, &String)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", percent(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent(text: &str) -> String {
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

/// What a refusal says: for each failed rule its sentence and id; otherwise the message.
fn refusal(language: Language, error: &Error) -> Markup {
    let violations = match error {
        Error::FailedPrecondition { violations, .. } => violations.as_slice(),
        _ => &[],
    };
    let named: Vec<_> = violations
        .iter()
        .map(|v| (v, rules::find(&v.kind)))
        .collect();
    html! {
        div class="regie-alert" role="alert" {
            h2 class="utrecht-heading-2" { (t(language, T::Refused)) }
            @if named.iter().any(|(_, rule)| rule.is_some()) {
                ul {
                    @for (v, rule) in &named {
                        li {
                            @if let Some(rule) = rule {
                                (pick(language, rule.sentence_nl, rule.sentence_en))
                                @if !v.description.is_empty() { " (" (v.description) ")" }
                                " — " (t(language, T::RuleId)) " " code { (rule.id) }
                            } @else {
                                (v.description)
                            }
                        }
                    }
                }
            } @else {
                p class="utrecht-paragraph" { (error.to_string()) }
            }
        }
    }
}

pub fn case_page(
    session: &Session,
    case: &Case,
    def: Option<&WorkflowDefinition>,
    available: &[Available],
    events: &[StoredEvent],
    refused: Option<&Error>,
) -> Markup {
    let language = session.language;
    let (open, closed): (Vec<&Available>, Vec<&Available>) =
        available.iter().partition(|a| a.is_open());
    layout(
        language,
        Some(session),
        &case.title,
        html! {
            p class="utrecht-pre-heading" { (kind(language, &case.kind)) " · " span class="regie-id" { (case.id.as_str()) } }
            h1 class="utrecht-heading-1" { (case.title) }
            @if let Some(e) = refused { (refusal(language, e)) }
            h2 class="utrecht-heading-2" { (t(language, T::Details)) }
            dl class="regie-details" {
                dt { (t(language, T::State)) }
                dd { strong { (state_label(language, def, &case.state)) } }
                dt { (t(language, T::Department)) }
                dd { (case.department.as_deref().unwrap_or("Rijk")) }
                dt { (t(language, T::Assignee)) }
                dd { @if case.assignee.is_empty() { (t(language, T::None)) } @else { (case.assignee) } }
                @if let Some(due) = case.due_time {
                    dt { (t(language, T::Due)) }
                    dd { time datetime=(iso(due)) { (date_time(language, due)) } }
                }
                dt { (t(language, T::Updated)) }
                dd { time datetime=(iso(case.update_time)) { (date_time(language, case.update_time)) } }
            }
            @if !case.description.is_empty() {
                h2 class="utrecht-heading-2" { (t(language, T::Description)) }
                p class="utrecht-paragraph" { (case.description) }
            }
            section class="regie-transitions" aria-labelledby="stappen" {
                h2 class="utrecht-heading-2" id="stappen" { (t(language, T::Transitions)) }
                @if available.is_empty() { p { (t(language, T::NoTransitions)) } }
                @if !open.is_empty() {
                    h3 class="utrecht-heading-3" { (t(language, T::OpenTransitions)) }
                    @for a in &open {
                        @let label = pick(language, &a.transition.label_nl, &a.transition.label_en);
                        form method="post" action=(format!("/cases/{}/transition", case.id.as_str())) {
                            input type="hidden" name="csrf" value=(session.csrf_token);
                            input type="hidden" name="etag" value=(case.etag());
                            input type="hidden" name="transition" value=(a.transition.id);
                            @if a.transition.comment_required {
                                @let field = format!("c-{}", a.transition.id);
                                label class="utrecht-form-label" for=(field) { (t(language, T::CommentOptional)) }
                                " "
                                input type="text" id=(field) name="comment" required class="utrecht-textbox";
                                " "
                            }
                            button class="utrecht-button utrecht-button--primary-action" type="submit" { (label) }
                        }
                    }
                }
                @if !closed.is_empty() {
                    h3 class="utrecht-heading-3" { (t(language, T::ClosedTransitions)) }
                    ul class="regie-closed" {
                        @for a in &closed {
                            li {
                                strong { (pick(language, &a.transition.label_nl, &a.transition.label_en)) } ": "
                                @if !a.permitted {
                                    (t(language, T::OnlyRoles)) " " (a.roles.join(", ")) ". "
                                }
                                @for f in &a.failed {
                                    (pick(language, &f.sentence_nl, &f.sentence_en))
                                    @if !f.detail.is_empty() { " (" (f.detail) ")" }
                                    " — " (t(language, T::RuleId)) " " code { (f.rule_id) } ". "
                                }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="opmerking" {
                h2 class="utrecht-heading-2" id="opmerking" { (t(language, T::Comment)) }
                form method="post" action=(format!("/cases/{}/comment", case.id.as_str())) {
                    input type="hidden" name="csrf" value=(session.csrf_token);
                    div class="utrecht-form-field" {
                        label class="utrecht-form-label" for="comment-text" { (t(language, T::Comment)) }
                        textarea id="comment-text" name="text" rows="3" cols="60" required class="utrecht-textarea" {}
                    }
                    p { button class="utrecht-button utrecht-button--secondary-action" type="submit" { (t(language, T::AddComment)) } }
                }
            }
            section aria-labelledby="geschiedenis" {
                h2 class="utrecht-heading-2" id="geschiedenis" { (t(language, T::History)) }
                ol {
                    @for e in events.iter().rev() {
                        li {
                            time datetime=(iso(e.time)) { (date_time(language, e.time)) } " — "
                            (e.event_type)
                            @if !e.transition.is_empty() {
                                " "
                                (def.and_then(|d| d.transition(&e.transition))
                                    .map(|tr| pick(language, &tr.label_nl, &tr.label_en).to_owned())
                                    .unwrap_or_else(|| e.transition.clone()))
                            }
                            " · " (t(language, T::Changed)) " " (e.actor)
                            @if !e.comment.is_empty() { ": “" (e.comment) "”" }
                        }
                    }
                }
            }
        },
    )
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
