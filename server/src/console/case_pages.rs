//! The templates of the case pages (docs/architecture.md, "Console"): "Mijn werk", the case
//! list and the case page. Every value is escaped by maud; texts come from `text.rs`, labels
//! of states and transitions from the workflow definitions, refusals from the rule registry.

use maud::{Markup, html};

use super::cases::{AsOf, CaseView, ListFilters, WorkFilters};
use super::pages::{layout, percent, query_string};
use super::text::{T, kind, pick, t};
use super::time::{date_time, iso};
use crate::app::cases::Available;
use crate::app::work::MyWork;
use crate::domain::Error;
use crate::domain::access::PrincipalId;
use crate::domain::cases::audit::StoredEvent;
use crate::domain::cases::{Case, history};
use crate::domain::listing::Page;
use crate::domain::session::{Language, Session};
use crate::domain::work::Urgency;
use crate::domain::workflow::{WorkflowDefinition, Workflows, rules};

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
        let q = query_string(&[
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
            p class="regie-actions" { a class="utrecht-link" href="/cases/new" { (t(language, T::NewCase)) } }
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

/// The words for an urgency, with the class that marks it.
fn urgency(language: Language, urgency: Urgency) -> Option<(&'static str, &'static str)> {
    match urgency {
        Urgency::Overdue => Some((t(language, T::Overdue), "regie-overdue")),
        Urgency::DueSoon => Some((t(language, T::DueSoon), "regie-due-soon")),
        Urgency::Later => None,
    }
}

pub fn my_work(
    session: &Session,
    workflows: &Workflows,
    filters: &WorkFilters,
    work: &MyWork,
) -> Markup {
    let language = session.language;
    let title = t(language, T::MyWork);
    let c = &work.counts;
    let next = (!work.next_page_token.is_empty()).then(|| {
        let q = query_string(&[
            ("kind", &filters.kind),
            ("page_token", &work.next_page_token),
        ]);
        format!("/?{q}")
    });
    layout(
        language,
        Some(session),
        title,
        html! {
            h1 class="utrecht-heading-1" { (title) }
            p class="utrecht-paragraph" { (t(language, T::MyWorkIntro)) }
            section aria-labelledby="tellingen" {
                h2 class="utrecht-heading-2" id="tellingen" { (t(language, T::Counts)) }
                ul class="regie-counts" {
                    li { strong { (c.total) } " " (t(language, T::InTotal)) }
                    li class="regie-overdue" { strong { (c.overdue) } " " (t(language, T::Overdue)) }
                    li class="regie-due-soon" { strong { (c.due_soon) } " " (t(language, T::DueSoon)) }
                    li { strong { (c.assigned) } " " (t(language, T::AssignedToYou)) }
                    li { strong { (c.awaiting_action) } " " (t(language, T::AwaitingAction)) }
                }
                @if !c.by_kind.is_empty() {
                    ul class="regie-counts" aria-label=(t(language, T::PerKind)) {
                        @for (k, n) in &c.by_kind {
                            li { a class="utrecht-link" href=(format!("/?kind={}", percent(k))) { (kind(language, k)) } ": " (n) }
                        }
                    }
                }
            }
            form method="get" action="/" class="regie-filters" {
                div class="utrecht-form-field" {
                    label class="utrecht-form-label" for="w-kind" { (t(language, T::Kind)) }
                    select id="w-kind" name="kind" class="utrecht-select" {
                        option value="" { (t(language, T::Any)) }
                        @for k in workflows.kinds() {
                            option value=(k) selected[filters.kind == k] { (kind(language, k)) }
                        }
                    }
                }
                div { button class="utrecht-button utrecht-button--secondary-action" type="submit" { (t(language, T::Filter)) } }
            }
            @if work.items.is_empty() {
                p class="utrecht-paragraph" { (t(language, T::NothingAwaits)) }
            } @else {
                table class="utrecht-table" {
                    caption class="regie-caption" { (t(language, T::MyWorkCaption)) }
                    thead { tr {
                        th scope="col" { (t(language, T::Title)) }
                        th scope="col" { (t(language, T::Kind)) }
                        th scope="col" { (t(language, T::State)) }
                        th scope="col" { (t(language, T::Due)) }
                        th scope="col" { (t(language, T::Why)) }
                        th scope="col" { (t(language, T::Department)) }
                    } }
                    tbody {
                        @for item in &work.items {
                            @let case = &item.case;
                            @let def = workflows.get(&case.kind, case.workflow_version);
                            tr {
                                td {
                                    a class="utrecht-link" href=(format!("/cases/{}", case.id.as_str())) { (case.title) }
                                    br;
                                    span class="regie-id" { (case.id.as_str()) }
                                }
                                td { (kind(language, &case.kind)) }
                                td { (state_label(language, def, &case.state)) }
                                td {
                                    @if let Some((words, class)) = urgency(language, item.urgency) {
                                        strong class=(class) { (words) } br;
                                    }
                                    @if let Some(due) = case.due_time {
                                        time datetime=(iso(due)) { (date_time(language, due)) }
                                    } @else { (t(language, T::NoDueDate)) }
                                }
                                td {
                                    @if item.assigned { (t(language, T::AssignedToYou)) br; }
                                    @if !item.transitions.is_empty() {
                                        (t(language, T::YouCan)) " "
                                        (item.transitions.iter()
                                            .map(|id| def.and_then(|d| d.transition(id))
                                                .map(|tr| pick(language, &tr.label_nl, &tr.label_en).to_owned())
                                                .unwrap_or_else(|| id.clone()))
                                            .collect::<Vec<_>>().join(", "))
                                    }
                                }
                                td { (case.department.as_deref().unwrap_or("Rijk")) }
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
    view: &CaseView<'_>,
    refused: Option<&Error>,
    as_of: Option<&AsOf>,
) -> Markup {
    let language = session.language;
    let case = &view.case;
    let def = view.definition;
    let base = format!("/cases/{}", case.id.as_str());
    let (open, closed): (Vec<&Available>, Vec<&Available>) =
        view.available.iter().partition(|a| a.is_open());
    layout(
        language,
        Some(session),
        &case.title,
        html! {
            p class="utrecht-pre-heading" { (kind(language, &case.kind)) " · " span class="regie-id" { (case.id.as_str()) } }
            h1 class="utrecht-heading-1" { (case.title) }
            @if let Some(e) = refused { (refusal(language, e)) }
            @if let Some(a) = as_of {
                div class="regie-notice" role="status" {
                    p class="utrecht-paragraph" {
                        @if let Some(at) = a.at {
                            (t(language, T::AsOfShown)) " " strong { (date_time(language, at)) } ". "
                        } @else {
                            (t(language, T::RevisionShown)) " " strong { (a.revision) } ". "
                        }
                        a class="utrecht-link" href=(base) { (t(language, T::AsOfBack)) }
                    }
                }
            } @else {
                p class="regie-actions" {
                    a class="utrecht-link" href=(format!("{base}/edit")) { (t(language, T::Edit)) }
                    @if case.kind == "work_item" {
                        " · "
                        a class="utrecht-link" href=(format!("/cases/new?kind=work_item&parent={}", case.id.as_str())) { (t(language, T::NewSubItem)) }
                    }
                }
            }
            h2 class="utrecht-heading-2" { (t(language, T::Details)) }
            dl class="regie-details" {
                dt { (t(language, T::State)) }
                dd { strong { (state_label(language, def, &case.state)) } }
                dt { (t(language, T::Department)) }
                dd { (case.department.as_deref().unwrap_or("Rijk")) }
                @if let Some(group) = &case.working_group {
                    dt { (t(language, T::WorkingGroup)) }
                    dd { (group) }
                }
                dt { (t(language, T::Assignee)) }
                dd { (assignee(language, &case.assignee)) }
                @if let Some(due) = case.due_time {
                    dt { (t(language, T::Due)) }
                    dd { time datetime=(iso(due)) { (date_time(language, due)) } }
                }
                @if !case.labels.is_empty() {
                    dt { (t(language, T::Labels)) }
                    dd { (case.labels.join(", ")) }
                }
                @if let Some(parent) = &case.parent {
                    dt { (t(language, T::Parent)) }
                    dd { a class="utrecht-link" href=(format!("/cases/{}", parent.as_str())) { (parent.as_str()) } }
                }
                dt { (t(language, T::Updated)) }
                dd { time datetime=(iso(case.update_time)) { (date_time(language, case.update_time)) } }
            }
            @if !case.description.is_empty() {
                h2 class="utrecht-heading-2" { (t(language, T::Description)) }
                p class="utrecht-paragraph regie-prose" { (case.description) }
            }
            @if !view.children.is_empty() || case.kind == "work_item" {
                section aria-labelledby="subitems" {
                    h2 class="utrecht-heading-2" id="subitems" { (t(language, T::SubItems)) }
                    @if view.children.is_empty() {
                        p class="utrecht-paragraph" { (t(language, T::NoSubItems)) }
                    } @else {
                        ul {
                            @for child in &view.children {
                                li {
                                    a class="utrecht-link" href=(format!("/cases/{}", child.id.as_str())) { (child.title) }
                                    " — " (state_label(language, None, &child.state))
                                }
                            }
                        }
                    }
                }
            }
            @if as_of.is_none() {
                (transitions(session, case, &open, &closed, view.available.is_empty()))
                (assign_forms(session, case))
                section aria-labelledby="opmerking" {
                    h2 class="utrecht-heading-2" id="opmerking" { (t(language, T::Comment)) }
                    form method="post" action=(format!("{base}/comment")) {
                        input type="hidden" name="csrf" value=(session.csrf_token);
                        div class="utrecht-form-field" {
                            label class="utrecht-form-label" for="comment-text" { (t(language, T::Comment)) }
                            textarea id="comment-text" name="text" rows="3" cols="60" required class="utrecht-textarea" {}
                        }
                        p { button class="utrecht-button utrecht-button--secondary-action" type="submit" { (t(language, T::AddComment)) } }
                    }
                }
            }
            (history(language, def, &view.events))
            section aria-labelledby="controle" {
                h2 class="utrecht-heading-2" id="controle" { (t(language, T::AuditChain)) }
                @if view.chain.is_valid() {
                    p class="utrecht-paragraph" role="status" {
                        strong { (t(language, T::ChainIntact)) } " "
                        (view.chain.events) " " (t(language, T::EventsChecked))
                    }
                } @else {
                    div class="regie-alert" role="alert" {
                        p class="utrecht-paragraph" { strong { (t(language, T::ChainBroken)) } }
                        ul {
                            @for b in &view.chain.broken { li { (format!("{b:?}")) } }
                        }
                    }
                }
            }
            section aria-labelledby="tijdreis" {
                h2 class="utrecht-heading-2" id="tijdreis" { (t(language, T::AsOf)) }
                form method="get" action=(base) class="regie-filters" {
                    div class="utrecht-form-field" {
                        label class="utrecht-form-label" for="as-of" { (t(language, T::AsOfDate)) }
                        input type="date" id="as-of" name="as_of" required class="utrecht-textbox"
                            value=(as_of.map(|a| a.date.clone()).unwrap_or_default());
                    }
                    div { button class="utrecht-button utrecht-button--secondary-action" type="submit" { (t(language, T::Show)) } }
                }
            }
        },
    )
}

/// The assignee as the page shows it: a principal's id, or an assignee from before assignees
/// were principals, marked unknown.
fn assignee(language: Language, assignee: &str) -> Markup {
    html! {
        @if assignee.is_empty() {
            (t(language, T::None))
        } @else if PrincipalId::parse("assignee", assignee).is_ok() {
            (assignee)
        } @else {
            (assignee) " " em { "(" (t(language, T::UnknownPrincipal)) ")" }
        }
    }
}

/// The transitions open to the user as buttons, and the closed ones with why.
fn transitions(
    session: &Session,
    case: &Case,
    open: &[&Available],
    closed: &[&Available],
    none: bool,
) -> Markup {
    let language = session.language;
    html! {
        section class="regie-transitions" aria-labelledby="stappen" {
            h2 class="utrecht-heading-2" id="stappen" { (t(language, T::Transitions)) }
            @if none { p { (t(language, T::NoTransitions)) } }
            @if !open.is_empty() {
                h3 class="utrecht-heading-3" { (t(language, T::OpenTransitions)) }
                @for a in open {
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
                    @for a in closed {
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
    }
}

/// Assign the case to a principal, or to oneself.
fn assign_forms(session: &Session, case: &Case) -> Markup {
    let language = session.language;
    let action = format!("/cases/{}/assign", case.id.as_str());
    html! {
        section aria-labelledby="toewijzen" {
            h2 class="utrecht-heading-2" id="toewijzen" { (t(language, T::Assign)) }
            form method="post" action=(action) class="regie-filters" {
                input type="hidden" name="csrf" value=(session.csrf_token);
                input type="hidden" name="etag" value=(case.etag());
                div class="utrecht-form-field" {
                    label class="utrecht-form-label" for="assignee" { (t(language, T::Assignee)) }
                    input type="text" id="assignee" name="assignee" value=(case.assignee)
                        class="utrecht-textbox" aria-describedby="assignee-hint" autocomplete="off";
                    p class="utrecht-form-field-description" id="assignee-hint" { (t(language, T::AssigneeHint)) }
                }
                div { button class="utrecht-button utrecht-button--secondary-action" type="submit" { (t(language, T::Assign)) } }
            }
            @if case.assignee != session.principal.as_str() {
                form method="post" action=(action) {
                    input type="hidden" name="csrf" value=(session.csrf_token);
                    input type="hidden" name="etag" value=(case.etag());
                    input type="hidden" name="assignee" value=(session.principal.as_str());
                    p { button class="utrecht-button utrecht-button--secondary-action" type="submit" { (t(language, T::AssignToMe)) } }
                }
            }
        }
    }
}

/// The history as a timeline, each event with what it changed.
fn history(language: Language, def: Option<&WorkflowDefinition>, events: &[StoredEvent]) -> Markup {
    html! {
        section aria-labelledby="geschiedenis" {
            h2 class="utrecht-heading-2" id="geschiedenis" { (t(language, T::History)) }
            ol class="regie-timeline" {
                @for e in events.iter().rev() {
                    li {
                        p {
                            time datetime=(iso(e.time)) { (date_time(language, e.time)) } " — "
                            strong { (event_label(language, &e.event_type)) }
                            @if !e.transition.is_empty() {
                                ": "
                                (def.and_then(|d| d.transition(&e.transition))
                                    .map(|tr| pick(language, &tr.label_nl, &tr.label_en).to_owned())
                                    .unwrap_or_else(|| e.transition.clone()))
                            }
                            " · " (t(language, T::Changed)) " " (e.actor)
                            " · "
                            a class="utrecht-link" href=(format!("/cases/{}?revision={}", e.case_id, e.case_sequence)) {
                                (t(language, T::AsItWasThen))
                            }
                        }
                        @if !e.comment.is_empty() { p class="regie-prose" { "“" (e.comment) "”" } }
                        @let changes = history::changes(&e.patch);
                        @if !changes.is_empty() {
                            table class="utrecht-table regie-diff" {
                                caption class="regie-caption" { (t(language, T::WhatChanged)) }
                                thead { tr {
                                    th scope="col" { (t(language, T::Field)) }
                                    th scope="col" { (t(language, T::Was)) }
                                    th scope="col" { (t(language, T::Became)) }
                                } }
                                tbody {
                                    @for c in &changes {
                                        tr {
                                            th scope="row" { (field_label(language, &c.field)) }
                                            td { del { (shown_value(language, &c.field, c.old.as_ref(), def)) } }
                                            td { ins { (shown_value(language, &c.field, c.new.as_ref(), def)) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The name of an event's type for a reader.
fn event_label(language: Language, event_type: &str) -> String {
    let (nl, en) = match event_type {
        "case.created" => ("Aangemaakt", "Created"),
        "case.updated" => ("Gewijzigd", "Changed"),
        "case.transitioned" => ("Stap gezet", "Moved on"),
        "case.commented" => ("Opmerking", "Comment"),
        "case.overdue" => ("Termijn verstreken", "Overdue"),
        "cycle.rated" => ("Beoordeling vastgelegd", "Rating recorded"),
        "cycle.dialogue_recorded" => ("Gesprek vastgelegd", "Dialogue recorded"),
        "framework.consulted" => ("Consultatie vastgelegd", "Consultation recorded"),
        "framework.observed" => ("Naleving vastgelegd", "Observance recorded"),
        "framework.evaluated" => ("Evaluatie vastgelegd", "Evaluation recorded"),
        "risk.added" => ("Risico toegevoegd", "Risk added"),
        "risk.updated" => ("Risico gewijzigd", "Risk changed"),
        other => return other.to_owned(),
    };
    pick(language, nl, en).to_owned()
}

/// The label of a changed field (`title`, `labels/1`, `details/response`).
fn field_label(language: Language, field: &str) -> String {
    let top = field.split('/').next().unwrap_or(field);
    let label = match top {
        "title" => t(language, T::Title),
        "description" => t(language, T::Description),
        "state" => t(language, T::State),
        "assignee" => t(language, T::Assignee),
        "department" => t(language, T::Department),
        "working_group" => t(language, T::WorkingGroup),
        "due_time" => t(language, T::Due),
        "labels" => t(language, T::Labels),
        "parent" => t(language, T::Parent),
        "overdue" => t(language, T::Overdue),
        _ => return field.replace('/', " › ").replace('_', " "),
    };
    label.to_owned()
}

/// A changed value for a reader: a state by its label, a time in Amsterdam, text as it is.
fn shown_value(
    language: Language,
    field: &str,
    value: Option<&serde_json::Value>,
    def: Option<&WorkflowDefinition>,
) -> String {
    use serde_json::Value;
    match value {
        None | Some(Value::Null) => "—".to_owned(),
        Some(Value::String(s)) if field == "state" => state_label(language, def, s),
        Some(Value::Number(n)) if field == "due_time" => n
            .as_i64()
            .map(|m| date_time(language, m))
            .unwrap_or_default(),
        Some(Value::String(s)) if s.is_empty() => "—".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => pick(
            language,
            if *b { "ja" } else { "nee" },
            if *b { "yes" } else { "no" },
        )
        .to_owned(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}
