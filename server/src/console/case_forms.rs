//! The console's forms that create and change a case (docs/architecture.md, "Console"): a new
//! case (a work item's sub-item among them), the edit form and assignment. Each calls the
//! use case the gRPC API calls (`App::create_case`, `App::update_case`); the values are
//! checked there, and a refusal comes back on the form, each error beside its field.
//!
//! An edit carries the etag of the version it was opened on. When someone else changed the
//! case in between, `update_case` refuses it (ABORTED): the form comes back with the user's
//! values kept, the new etag, and what the other change did, field by field (the version the
//! form was opened on against the current one, both from `App::get_case`).

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::cases::{Shown, case_id, render_case};
use super::pages::{self, layout};
use super::text::{T, kind, t};
use super::time::{date_time, date_value, end_of_day};
use super::{Console, csrf_ok, signed_in};
use crate::domain::Error;
use crate::domain::cases::{Case, CaseDraft, CasePatch};
use crate::domain::error::FieldViolation;
use crate::domain::request::RequestKey;
use crate::domain::session::{Language, Session};

/// The kinds a policy officer creates here; the others have their own flows (a cycle is
/// opened for a year, a risk analysis belongs to an organisation).
const CREATABLE: [&str; 3] = ["work_item", "recommendation", "framework"];

/// The fields of the new-case and edit forms, as sent (and sent back on a refusal).
#[derive(Deserialize, Default, Clone)]
pub(super) struct CaseFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    working_group: String,
    /// A date (`2026-12-31`): due at the end of that day in Amsterdam.
    #[serde(default)]
    due: String,
    /// Comma-separated.
    #[serde(default)]
    labels: String,
    /// A case id (the parent's, for a sub-item).
    #[serde(default)]
    parent: String,
    /// The etag the edit form was opened on.
    #[serde(default)]
    etag: String,
}

impl CaseFields {
    fn of(case: &Case) -> Self {
        Self {
            kind: case.kind.clone(),
            title: case.title.clone(),
            description: case.description.clone(),
            department: case.department.clone().unwrap_or_default(),
            working_group: case.working_group.clone().unwrap_or_default(),
            due: case.due_time.map(date_value).unwrap_or_default(),
            labels: case.labels.join(", "),
            parent: case
                .parent
                .as_ref()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            etag: case.etag(),
            csrf: String::new(),
        }
    }

    fn due_time(&self) -> Result<Option<i64>, Error> {
        match self.due.trim() {
            "" => Ok(None),
            date => end_of_day(date).map(Some).ok_or_else(|| {
                Error::invalid_field("case.due_time", "is a date such as 2026-12-31")
            }),
        }
    }

    fn labels(&self) -> Vec<String> {
        self.labels
            .split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// A reference as the API names it (`departments/JenV`), or empty.
fn name(collection: &str, id: &str) -> String {
    match id.trim() {
        "" => String::new(),
        id => format!("{collection}/{id}"),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct NewQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    parent: String,
}

pub(super) async fn new_case_page(
    State(console): State<Console>,
    headers: HeaderMap,
    Query(q): Query<NewQuery>,
) -> Response {
    let (session, caller) = match signed_in(&console, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let mut fields = CaseFields {
        kind: q.kind,
        parent: q.parent,
        ..CaseFields::default()
    };
    // A sub-item starts in its parent's department and working group.
    if !fields.parent.is_empty() {
        let parent = match case_id(&fields.parent) {
            Ok(id) => id,
            Err(e) => return pages::error(session.language, Some(&session), &e),
        };
        match console.app.get_case(&caller, parent, None, 0).await {
            Ok(parent) => {
                fields.kind = "work_item".into();
                fields.department = parent.department.unwrap_or_default();
                fields.working_group = parent.working_group.unwrap_or_default();
            }
            Err(e) => return pages::error(session.language, Some(&session), &e),
        }
    }
    case_form(&session, Mode::New, &fields, None, &[], None).into_response()
}

pub(super) async fn create(
    State(console): State<Console>,
    headers: HeaderMap,
    Form(fields): Form<CaseFields>,
) -> Response {
    let (session, caller) = match signed_in(&console, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if !csrf_ok(&session, &fields.csrf) {
        return pages::bad_request(session.language);
    }
    let created = async {
        let draft = CaseDraft {
            kind: fields.kind.trim().to_owned(),
            title: fields.title.clone(),
            description: fields.description.clone(),
            department: name("departments", &fields.department),
            working_group: name("workingGroups", &fields.working_group),
            labels: fields.labels(),
            due_time: fields.due_time()?,
            parent: name("cases", &fields.parent),
            ..CaseDraft::default()
        };
        console
            .app
            .create_case(&caller, draft, RequestKey::none())
            .await
    }
    .await;
    match created {
        Ok(case) => Redirect::to(&format!("/cases/{}", case.id.as_str())).into_response(),
        Err(e) => refused_form(&session, Mode::New, &fields, &e),
    }
}

pub(super) async fn edit_page(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (session, caller) = match signed_in(&console, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let case = match case_id(&id) {
        Ok(id) => console.app.get_case(&caller, id, None, 0).await,
        Err(e) => Err(e),
    };
    match case {
        Ok(case) => {
            let fields = CaseFields::of(&case);
            case_form(&session, Mode::Edit(&id), &fields, None, &[], None).into_response()
        }
        Err(e) => pages::error(session.language, Some(&session), &e),
    }
}

pub(super) async fn edit(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<CaseFields>,
) -> Response {
    let (session, caller) = match signed_in(&console, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if !csrf_ok(&session, &fields.csrf) {
        return pages::bad_request(session.language);
    }
    let case = match case_id(&id) {
        Ok(case) => case,
        Err(e) => return pages::error(session.language, Some(&session), &e),
    };
    let app = &console.app;
    let updated = async {
        let patch = CasePatch {
            title: Some(fields.title.clone()),
            description: Some(fields.description.clone()),
            working_group: Some(name("workingGroups", &fields.working_group)),
            labels: Some(fields.labels()),
            due_time: Some(fields.due_time()?),
            ..CasePatch::default()
        };
        app.update_case(
            &caller,
            case.clone(),
            fields.etag.clone(),
            patch,
            RequestKey::none(),
        )
        .await
    }
    .await;
    match updated {
        Ok(_) => Redirect::to(&format!("/cases/{id}")).into_response(),
        Err(Error::EtagMismatch { .. }) => {
            // What the other change did: the version the form was opened on against now.
            let opened_on = fields.etag.trim().parse::<i64>().unwrap_or(0).max(1);
            let before = app.get_case(&caller, case.clone(), None, opened_on).await;
            let now = app.get_case(&caller, case, None, 0).await;
            match (before, now) {
                (Ok(before), Ok(now)) => {
                    let stale = Stale {
                        changes: differences(session.language, &before, &now),
                        by_time: now.update_time,
                    };
                    let mut kept = fields.clone();
                    kept.etag = now.etag();
                    (
                        StatusCode::CONFLICT,
                        case_form(&session, Mode::Edit(&id), &kept, Some(&stale), &[], None),
                    )
                        .into_response()
                }
                (Err(e), _) | (_, Err(e)) => pages::error(session.language, Some(&session), &e),
            }
        }
        Err(e) => refused_form(&session, Mode::Edit(&id), &fields, &e),
    }
}

#[derive(Deserialize)]
pub(super) struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    etag: String,
    #[serde(default)]
    assignee: String,
}

/// Assigns the case (an empty assignee takes the assignment away).
pub(super) async fn assign(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<AssignForm>,
) -> Response {
    let (session, caller) = match signed_in(&console, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if !csrf_ok(&session, &form.csrf) {
        return pages::bad_request(session.language);
    }
    let case = match case_id(&id) {
        Ok(case) => case,
        Err(e) => return pages::error(session.language, Some(&session), &e),
    };
    let patch = CasePatch {
        assignee: Some(form.assignee.trim().to_owned()),
        ..CasePatch::default()
    };
    match console
        .app
        .update_case(&caller, case, form.etag, patch, RequestKey::none())
        .await
    {
        Ok(_) => Redirect::to(&format!("/cases/{id}")).into_response(),
        Err(e) => {
            let shown = Shown {
                refusal: Some(&e),
                status: pages::status_of(&e),
                ..Shown::default()
            };
            render_case(&console, &session, &caller, &id, shown).await
        }
    }
}

/// Which form: a new case, or the edit of case `id`.
#[derive(Clone, Copy)]
enum Mode<'a> {
    New,
    Edit(&'a str),
}

/// What someone else changed since the edit form was opened.
struct Stale {
    changes: Vec<(String, String, String)>,
    by_time: i64,
}

/// The form again with the refusal: each field's error beside it, the rest above the form.
fn refused_form(session: &Session, mode: Mode<'_>, fields: &CaseFields, error: &Error) -> Response {
    let violations: &[FieldViolation] = match error {
        Error::InvalidArgument { violations, .. } => violations,
        _ => &[],
    };
    let status = pages::status_of(error);
    if status == StatusCode::INTERNAL_SERVER_ERROR || status == StatusCode::FORBIDDEN {
        return pages::error(session.language, Some(session), error);
    }
    let general = violations.is_empty().then_some(error);
    (
        status,
        case_form(session, mode, fields, None, violations, general),
    )
        .into_response()
}

/// The fields a reader compares, as the page shows them: (label, before, now).
fn differences(language: Language, before: &Case, now: &Case) -> Vec<(String, String, String)> {
    let due = |c: &Case| {
        c.due_time
            .map(|d| date_time(language, d))
            .unwrap_or_default()
    };
    let rows = [
        (T::Title, before.title.clone(), now.title.clone()),
        (
            T::Description,
            before.description.clone(),
            now.description.clone(),
        ),
        (T::State, before.state.clone(), now.state.clone()),
        (T::Assignee, before.assignee.clone(), now.assignee.clone()),
        (T::Due, due(before), due(now)),
        (T::Labels, before.labels.join(", "), now.labels.join(", ")),
        (
            T::WorkingGroup,
            before.working_group.clone().unwrap_or_default(),
            now.working_group.clone().unwrap_or_default(),
        ),
    ];
    rows.into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(label, a, b)| (t(language, label).to_owned(), a, b))
        .collect()
}

/// The new-case or edit form with `fields`; above it what a stale edit missed, a refusal that
/// names no field (`general`), or that fields need fixing, each error then beside its field.
fn case_form(
    session: &Session,
    mode: Mode<'_>,
    fields: &CaseFields,
    stale: Option<&Stale>,
    violations: &[FieldViolation],
    general: Option<&Error>,
) -> Markup {
    let language = session.language;
    let (title, action, back) = match mode {
        Mode::New => (
            t(language, T::NewCase),
            "/cases/new".to_owned(),
            "/cases".to_owned(),
        ),
        Mode::Edit(id) => (
            t(language, T::EditCase),
            format!("/cases/{id}/edit"),
            format!("/cases/{id}"),
        ),
    };
    let editing = matches!(mode, Mode::Edit(_));
    let error_of = |field: &str| {
        violations
            .iter()
            .find(|v| v.field == field || v.field.ends_with(&format!(".{field}")))
            .map(|v| v.description.clone())
    };
    layout(
        language,
        Some(session),
        title,
        html! {
            h1 class="utrecht-heading-1" { (title) }
            @if let Some(Stale { changes, by_time }) = stale {
                div class="regie-alert" role="alert" {
                    h2 class="utrecht-heading-2" { (t(language, T::StaleEdit)) }
                    p class="utrecht-paragraph" {
                        (t(language, T::StaleIntro)) " (" (date_time(language, *by_time)) ")"
                    }
                    table class="utrecht-table regie-diff" {
                        caption class="regie-caption" { (t(language, T::WhatChanged)) }
                        thead { tr {
                            th scope="col" { (t(language, T::Field)) }
                            th scope="col" { (t(language, T::WhenOpened)) }
                            th scope="col" { (t(language, T::Now)) }
                        } }
                        tbody {
                            @for (label, was, now) in changes {
                                tr { th scope="row" { (label) } td { del { (was) } } td { ins { (now) } } }
                            }
                        }
                    }
                    p class="utrecht-paragraph" { (t(language, T::StaleAdvice)) }
                }
            }
            @if let Some(e) = general {
                div class="regie-alert" role="alert" { p class="utrecht-paragraph" { (e.to_string()) } }
            }
            @if !violations.is_empty() {
                div class="regie-alert" role="alert" {
                    p class="utrecht-paragraph" { (t(language, T::FixFields)) }
                }
            }
            form method="post" action=(action) {
                input type="hidden" name="csrf" value=(session.csrf_token);
                @if editing {
                    input type="hidden" name="etag" value=(fields.etag);
                    input type="hidden" name="kind" value=(fields.kind);
                } @else if !fields.parent.is_empty() {
                    input type="hidden" name="kind" value="work_item";
                    input type="hidden" name="parent" value=(fields.parent);
                    p class="utrecht-paragraph" {
                        (t(language, T::SubItemOf)) " "
                        a class="utrecht-link" href=(format!("/cases/{}", fields.parent)) { (fields.parent) }
                    }
                } @else {
                    (field(language, "kind", T::Kind, None, error_of("kind"), html! {
                        select id="f-kind" name="kind" class="utrecht-select" required {
                            @for k in CREATABLE {
                                option value=(k) selected[fields.kind == k] { (kind(language, k)) }
                            }
                        }
                    }))
                }
                (text_field(language, "title", T::Title, &fields.title, None, error_of("title"), true))
                @let description_error = error_of("description");
                (field(language, "description", T::Description, None, description_error.clone(), html! {
                    @if description_error.is_some() {
                        textarea id="f-description" name="description" rows="5" cols="60" class="utrecht-textarea"
                            aria-invalid="true" aria-describedby="f-description-error" { (fields.description) }
                    } @else {
                        textarea id="f-description" name="description" rows="5" cols="60" class="utrecht-textarea" { (fields.description) }
                    }
                }))
                @if !editing && fields.parent.is_empty() {
                    (text_field(language, "department", T::Department, &fields.department,
                        Some(T::DepartmentOrRijk), error_of("department"), false))
                }
                (text_field(language, "working_group", T::WorkingGroup, &fields.working_group,
                    Some(T::WorkingGroupHint), error_of("working_group"), false))
                (date_field(language, &fields.due, error_of("due_time")))
                (text_field(language, "labels", T::Labels, &fields.labels,
                    Some(T::LabelsHint), error_of("labels"), false))
                p {
                    button class="utrecht-button utrecht-button--primary-action" type="submit" {
                        (t(language, if editing { T::Save } else { T::Create }))
                    }
                    " "
                    a class="utrecht-link" href=(back) { (t(language, T::Cancel)) }
                }
            }
        },
    )
}

/// A labelled field around `control`, with its hint and error tied to it (`f-{name}-hint`,
/// `f-{name}-error`; the control must name them in `aria-describedby`).
fn field(
    language: Language,
    name: &str,
    label: T,
    hint: Option<T>,
    error: Option<String>,
    control: Markup,
) -> Markup {
    html! {
        div class="utrecht-form-field" {
            label class="utrecht-form-label" for=(format!("f-{name}")) { (t(language, label)) }
            @if let Some(hint) = hint {
                p class="utrecht-form-field-description" id=(format!("f-{name}-hint")) { (t(language, hint)) }
            }
            @if let Some(error) = error {
                p class="utrecht-form-field-error-message regie-field-error" id=(format!("f-{name}-error")) { (error) }
            }
            (control)
        }
    }
}

fn described_by(name: &str, hint: bool, error: bool) -> Option<String> {
    let mut ids = Vec::new();
    if hint {
        ids.push(format!("f-{name}-hint"));
    }
    if error {
        ids.push(format!("f-{name}-error"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

fn text_field(
    language: Language,
    name: &str,
    label: T,
    value: &str,
    hint: Option<T>,
    error: Option<String>,
    required: bool,
) -> Markup {
    let described = described_by(name, hint.is_some(), error.is_some());
    let invalid = error.is_some().then_some("true");
    field(
        language,
        name,
        label,
        hint,
        error,
        html! {
            input type="text" id=(format!("f-{name}")) name=(name) value=(value) class="utrecht-textbox"
                required[required] aria-invalid=[invalid] aria-describedby=[described];
        },
    )
}

fn date_field(language: Language, value: &str, error: Option<String>) -> Markup {
    let described = described_by("due", true, error.is_some());
    let invalid = error.is_some().then_some("true");
    field(
        language,
        "due",
        T::Due,
        Some(T::DueHint),
        error,
        html! {
            input type="date" id="f-due" name="due" value=(value) class="utrecht-textbox"
                aria-invalid=[invalid] aria-describedby=[described];
        },
    )
}
