//! The templates of the case pages (docs/architecture.md, "Console"): "Mijn werk", the case
//! list and the case page. Every value is escaped by maud; texts come from `text.rs`, labels
//! of states and transitions from the workflow definitions, refusals from the rule registry.

use maud::{Markup, html};

use super::cases::{ListFilters, WorkFilters};
use super::pages::{layout, percent, query_string};
use super::text::{T, kind, pick, t};
use super::time::{date_time, iso};
use crate::app::cases::Available;
use crate::app::work::MyWork;
use crate::domain::Error;
use crate::domain::cases::Case;
use crate::domain::cases::audit::StoredEvent;
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
