//! The write path of cases as one pure function: a command and the current case go in; the case
//! after it and the events that record the change come out (or an error, and nothing changes).
//! The store runs this inside its transaction and writes the case row and the events together,
//! which is what lets commits be batched later without touching the rules.

use crate::domain::directory::check_etag;
use crate::domain::error::{Error, PreconditionViolation, Result, reason};
use crate::domain::limits::MAX_TEXT_CHARS;
use crate::domain::text;
use crate::domain::workflow::{self, EffectKind, Facts, Refusal, WorkflowDefinition, Workflows};

use super::cycle::{CriterionRating, Dialogue};
use super::draft::{CasePatch, NewCase};
use super::framework::{Consultation, Evaluation, Observance};
use super::model::{Case, CaseId, Details};
use super::risk::RiskFields;

/// A request to change a case.
#[derive(Debug, Clone)]
pub enum Command {
    Create {
        id: CaseId,
        case: NewCase,
    },
    Update {
        etag: String,
        patch: CasePatch,
    },
    Transition {
        transition: String,
        etag: String,
        comment: String,
    },
    Comment {
        text: String,
    },
    /// Records something in the case's details: a rating, a dialogue, a consultation, an
    /// observance, a risk. Each kind and state allows its own records.
    Record {
        etag: String,
        record: Record,
    },
    /// From the deadline scheduler: the case passed its due time or its state's SLA.
    MarkOverdue,
}

/// What a [`Command::Record`] records; drafts are checked before they get here.
#[derive(Debug, Clone)]
pub enum Record {
    Rating(CriterionRating),
    Dialogue(Dialogue),
    Consultation(Consultation),
    /// Several consultations in one command (one meeting, several departments): one event each,
    /// in order, all or nothing.
    Consultations(Vec<Consultation>),
    Observance(Observance),
    Evaluation(Evaluation),
    AddRisk(RiskFields),
    UpdateRisk {
        id: u32,
        fields: RiskFields,
    },
}

impl Record {
    fn event_type(&self) -> EventType {
        match self {
            Self::Rating(_) => EventType::Rated,
            Self::Dialogue(_) => EventType::DialogueRecorded,
            Self::Consultation(_) | Self::Consultations(_) => EventType::Consulted,
            Self::Observance(_) => EventType::Observed,
            Self::Evaluation(_) => EventType::Evaluated,
            Self::AddRisk(_) => EventType::RiskAdded,
            Self::UpdateRisk { .. } => EventType::RiskUpdated,
        }
    }

    /// The kind of case the record belongs to.
    fn kind(&self) -> &'static str {
        match self {
            Self::Rating(_) | Self::Dialogue(_) => "assessment_cycle",
            Self::Consultation(_)
            | Self::Consultations(_)
            | Self::Observance(_)
            | Self::Evaluation(_) => "framework",
            Self::AddRisk(_) | Self::UpdateRisk { .. } => "risk_analysis",
        }
    }
}

/// What the command is decided against, besides the case itself.
pub struct Context<'a> {
    pub workflows: &'a Workflows,
    /// Who asks, as recorded in the events.
    pub actor: &'a str,
    pub now: i64,
    /// The case's sub-items (cases whose parent it is), for `work_item.children_closed`; for
    /// an observance also the sub-items of the department's observance items, which it closes
    /// (each child names its parent, and the guards count only the case's own).
    pub children: &'a [Case],
    /// The roles the actor holds, as (role, domain); `None` when unknown (the server's own
    /// work), which fails the guards that need them.
    pub actor_roles: Option<&'a [(String, String)]>,
    /// Makes the id of each case a transition's effects create; passed in, so that a decision
    /// is a pure function of what it is given.
    pub new_id: &'a (dyn Fn() -> CaseId + Sync),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Created,
    Updated,
    Transitioned,
    Commented,
    Overdue,
    Rated,
    DialogueRecorded,
    Consulted,
    Observed,
    Evaluated,
    RiskAdded,
    RiskUpdated,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "case.created",
            Self::Updated => "case.updated",
            Self::Transitioned => "case.transitioned",
            Self::Commented => "case.commented",
            Self::Overdue => "case.overdue",
            Self::Rated => "cycle.rated",
            Self::DialogueRecorded => "cycle.dialogue_recorded",
            Self::Consulted => "framework.consulted",
            Self::Observed => "framework.observed",
            Self::Evaluated => "framework.evaluated",
            Self::RiskAdded => "risk.added",
            Self::RiskUpdated => "risk.updated",
        }
    }
}

/// An event to append to the case's chain; the store adds sequence numbers, time and hashes.
#[derive(Debug, Clone)]
pub struct EventDraft {
    pub event_type: EventType,
    /// The case before this event (`None`: it is created by it).
    pub before: Option<Case>,
    /// The case after this event; what the event stores of the two is `history::record`'s.
    pub after: Option<Case>,
    pub transition: String,
    pub comment: String,
}

/// The outcome of a command: the case after it, its new events, and the workflow effects the
/// store is to carry out.
#[derive(Debug, Clone)]
pub struct Change {
    pub case: Case,
    pub events: Vec<EventDraft>,
    pub effects: Vec<EffectKind>,
}

impl Change {
    /// Nothing changed: no event, no new revision.
    fn none(case: Case) -> Self {
        Self {
            case,
            events: Vec::new(),
            effects: Vec::new(),
        }
    }

    /// `before` became `after`, recorded as one event of `event_type` with both snapshots.
    fn snapshot(event_type: EventType, before: Case, after: Case) -> Self {
        let event = EventDraft {
            event_type,
            before: Some(before),
            after: Some(after.clone()),
            transition: String::new(),
            comment: String::new(),
        };
        Self {
            case: after,
            events: vec![event],
            effects: Vec::new(),
        }
    }
}

/// A command decided: the change to its case, the new cases its transition's effects create
/// (decided too, so that a refusal of one of them refuses the whole command), and the existing
/// cases it moves on (an observance closes its department's observance items).
#[derive(Debug, Clone)]
pub struct Decision {
    pub change: Change,
    pub created: Vec<Change>,
    /// Cases other than the command's own, among `Context::children`, changed with it.
    pub changed: Vec<Change>,
}

/// Decides `command` on `current` and expands the effects of the transition it makes
/// (`close` of a cycle → follow-up items, `put_in_force` of a framework → observance items),
/// each created with an id from `ctx.new_id` at `ctx.now`; and of the record it makes: a
/// department's observance closes its observance items among `ctx.children`
/// ([`close_observance_item`]).
pub fn decide(current: Option<Case>, command: Command, ctx: &Context<'_>) -> Result<Decision> {
    let observed = observance_of(&command).map(str::to_owned);
    let change = execute(current, command, ctx)?;
    if !change.events.is_empty() {
        within_limits(&change.case)?;
    }
    let mut created = Vec::new();
    for effect in &change.effects {
        for case in super::effects::new_cases(*effect, &change.case) {
            let id = (ctx.new_id)();
            created.push(execute(None, Command::Create { id, case }, ctx)?);
        }
    }
    let mut changed = Vec::new();
    if let Some(department) = observed
        && !change.events.is_empty()
    {
        for item in super::effects::observance_items(&change.case, &department, ctx.children) {
            if let Some(closed) = close_observance_item(item, &change.case, ctx)? {
                changed.push(closed);
            }
        }
    }
    Ok(Decision {
        change,
        created,
        changed,
    })
}

/// A case stays within its limits (`domain::limits`): so many changes, so many risks, so many
/// bytes stored. Past one, the change is refused with RESOURCE_EXHAUSTED (`CASE_TOO_LARGE`) and
/// the case stays as it was.
pub fn within_limits(case: &Case) -> Result<()> {
    use crate::domain::limits::{MAX_CASE_BYTES, MAX_CASE_CHANGES, MAX_RISKS};
    let refuse = |what: String| {
        Err(Error::ResourceExhausted {
            reason: reason::CASE_TOO_LARGE,
            message: format!("{} {what}; start a new case for further work", case.name()),
        })
    };
    if case.revision > MAX_CASE_CHANGES {
        return refuse(format!("has had its most changes ({MAX_CASE_CHANGES})"));
    }
    if let Details::RiskAnalysis(analysis) = &case.details
        && analysis.risks.len() > MAX_RISKS
    {
        return refuse(format!("has its most risks ({MAX_RISKS})"));
    }
    let bytes = case.snapshot().len();
    if bytes > MAX_CASE_BYTES {
        return refuse(format!(
            "would take {bytes} bytes, more than a case may ({MAX_CASE_BYTES})"
        ));
    }
    Ok(())
}

/// The department whose observance `command` records, if it records one.
pub fn observance_of(command: &Command) -> Option<&str> {
    match command {
        Command::Record {
            record: Record::Observance(o),
            ..
        } => Some(o.department.as_str()),
        _ => None,
    }
}

/// The observance item `item` of `framework`, moved on to
/// [`OBSERVANCE_DONE`](super::effects::OBSERVANCE_DONE) through its own workflow now that its
/// department has recorded its observance: the shortest way there, one event per transition,
/// each checked by the workflow as if the actor took it (after giving the item to the actor
/// when it has no assignee, as `work_item.assignee_required` asks). `None` when the item is
/// already final, has no way there, or a rule of its own holds it back (an open sub-item): it
/// is then left as it is, and the observance is recorded all the same.
pub fn close_observance_item(
    item: &Case,
    framework: &Case,
    ctx: &Context<'_>,
) -> Result<Option<Change>> {
    let def = definition(ctx, item)?;
    if def.is_final(&item.state) {
        return Ok(None);
    }
    let Some(path) = path_to(def, &item.state, super::effects::OBSERVANCE_DONE) else {
        return Ok(None);
    };
    let comment = format!(
        "Naleving van {} vastgelegd ({}).",
        framework.title,
        framework.name()
    );
    let mut events = Vec::new();
    let mut current = item.clone();
    if current.assignee.trim().is_empty() {
        let mut after = next(&current, ctx);
        after.assignee = ctx.actor.to_owned();
        events.push(EventDraft {
            event_type: EventType::Updated,
            before: Some(current),
            after: Some(after.clone()),
            transition: String::new(),
            comment: String::new(),
        });
        current = after;
    }
    for transition in path {
        let step = Command::Transition {
            transition,
            etag: String::new(),
            comment: comment.clone(),
        };
        match execute(Some(current), step, ctx) {
            Ok(change) => {
                events.extend(change.events);
                current = change.case;
            }
            Err(Error::FailedPrecondition { .. }) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    Ok(Some(Change {
        case: current,
        events,
        effects: Vec::new(),
    }))
}

/// The transitions of the shortest way from `from` to `to` in `def` (breadth first, in the
/// order of the file), or `None` when there is none.
fn path_to(def: &WorkflowDefinition, from: &str, to: &str) -> Option<Vec<String>> {
    let mut came_from: std::collections::HashMap<String, (String, String)> =
        std::collections::HashMap::new();
    let mut queue = std::collections::VecDeque::from([from.to_owned()]);
    while let Some(state) = queue.pop_front() {
        if state == to {
            let mut path = Vec::new();
            let mut at = state;
            while let Some((previous, transition)) = came_from.get(&at) {
                path.push(transition.clone());
                at = previous.clone();
            }
            path.reverse();
            return Some(path);
        }
        for t in def.transitions_from(&state) {
            if t.to == from {
                continue;
            }
            if let std::collections::hash_map::Entry::Vacant(entry) = came_from.entry(t.to.clone())
            {
                entry.insert((state.clone(), t.id.clone()));
                queue.push_back(t.to.clone());
            }
        }
    }
    None
}

/// Decides `command` on `current`, without its effects ([`decide`] expands them).
pub fn execute(current: Option<Case>, command: Command, ctx: &Context<'_>) -> Result<Change> {
    match (current, command) {
        (None, Command::Create { id, case }) => create(id, case, ctx),
        (Some(case), Command::Create { .. }) => Err(Error::already_exists(case.name())),
        (None, _) => Err(Error::internal("a command on a case that was not loaded")),
        (Some(case), Command::Update { etag, patch }) => update(case, &etag, patch, ctx),
        (
            Some(case),
            Command::Transition {
                transition,
                etag,
                comment,
            },
        ) => transition_case(case, &transition, &etag, &comment, ctx),
        (Some(case), Command::Comment { text }) => comment(case, &text, ctx),
        (Some(case), Command::Record { etag, record }) => record_in(case, &etag, record, ctx),
        (Some(case), Command::MarkOverdue) => mark_overdue(case, ctx),
    }
}

fn definition<'a>(ctx: &'a Context<'_>, case: &Case) -> Result<&'a WorkflowDefinition> {
    ctx.workflows
        .get(&case.kind, case.workflow_version)
        .ok_or_else(|| {
            Error::failed_precondition(
                reason::WORKFLOW_NOT_LOADED,
                format!(
                    "{} follows {} version {}, which this server has not loaded",
                    case.name(),
                    case.kind,
                    case.workflow_version
                ),
            )
        })
}

fn create(id: CaseId, new: NewCase, ctx: &Context<'_>) -> Result<Change> {
    let def = ctx.workflows.latest(&new.kind).ok_or_else(|| {
        let known: Vec<&str> = ctx.workflows.kinds().collect();
        Error::invalid_field(
            "case.kind",
            format!("unknown kind {:?}; known: {}", new.kind, known.join(", ")),
        )
    })?;
    let case = Case {
        id,
        kind: new.kind,
        workflow_version: def.version(),
        state: def.initial().to_owned(),
        title: new.title,
        description: new.description,
        department: new.department.map(|d| d.as_str().to_owned()),
        working_group: new.working_group.map(|g| g.as_str().to_owned()),
        assignee: new.assignee,
        labels: new.labels,
        due_time: new.due_time,
        parent: new.parent,
        overdue: false,
        revision: 1,
        create_time: ctx.now,
        update_time: ctx.now,
        state_enter_time: ctx.now,
        paused_micros: 0,
        details: new.details,
    };
    let event = EventDraft {
        event_type: EventType::Created,
        before: None,
        after: Some(case.clone()),
        transition: String::new(),
        comment: String::new(),
    };
    Ok(Change {
        case,
        events: vec![event],
        effects: Vec::new(),
    })
}

/// The next revision of `before`, stamped now.
fn next(before: &Case, ctx: &Context<'_>) -> Case {
    let mut after = before.clone();
    after.revision += 1;
    after.update_time = ctx.now;
    after
}

fn update(before: Case, etag: &str, patch: CasePatch, ctx: &Context<'_>) -> Result<Change> {
    check_etag(&before.name(), etag, before.revision)?;
    let mut after = before.clone();
    patch.apply(&mut after)?;
    if after == before {
        return Ok(Change::none(before));
    }
    after.revision += 1;
    after.update_time = ctx.now;
    Ok(Change::snapshot(EventType::Updated, before, after))
}

/// Whether deciding `command` on `case` needs the case's sub-items (a guard of the transition
/// reads them); the store skips reading them otherwise.
pub fn needs_children(workflows: &Workflows, case: &Case, command: &Command) -> bool {
    if observance_of(command).is_some() {
        // An observance closes the department's observance items, sub-items of the framework.
        return true;
    }
    let Command::Transition { transition, .. } = command else {
        return false;
    };
    workflows
        .get(&case.kind, case.workflow_version)
        .and_then(|def| def.transition(transition))
        .is_some_and(|t| {
            t.guards
                .iter()
                .any(|g| workflow::rules::find(g).is_some_and(|r| r.reads_children()))
        })
}

/// The facts the guards of `case` are checked against.
pub fn facts(case: &Case, ctx: &Context<'_>) -> Facts {
    let open_children = ctx
        .children
        .iter()
        .filter(|child| child.parent.as_ref() == Some(&case.id))
        .filter(|child| {
            ctx.workflows
                .get(&child.kind, child.workflow_version)
                .is_none_or(|def| !def.is_final(&child.state))
        })
        .map(Case::name)
        .collect();
    let domain = case
        .department
        .as_deref()
        .unwrap_or(crate::domain::access::RIJK);
    let mut facts = Facts {
        assignee: Some(case.assignee.clone()).filter(|a| !a.trim().is_empty()),
        open_children,
        actor_roles_in_department: ctx.actor_roles.map(|roles| {
            roles
                .iter()
                .filter(|(_, d)| d == domain)
                .map(|(role, _)| role.clone())
                .collect()
        }),
        actor_is_coordinator: ctx.actor_roles.is_some_and(|roles| {
            roles
                .iter()
                .any(|(role, d)| role == "coordinator" && d == crate::domain::access::RIJK)
        }),
        ..Facts::default()
    };
    match &case.details {
        Details::Recommendation(r) => facts.response_recorded = !r.response.trim().is_empty(),
        Details::AssessmentCycle(c) => {
            facts.unrated_criteria = Some(c.unrated());
            facts.unjustified_criteria = Some(c.unjustified());
            facts.dialogue_recorded = c.dialogue.is_some();
        }
        Details::Framework(f) => {
            facts.not_consulted = Some(f.not_consulted());
            facts.not_observed = Some(f.not_observed());
            facts.purpose_stated = !f.purposes.is_empty();
        }
        Details::RiskAnalysis(r) => {
            facts.risk_count = r.risks.len();
            facts.unrated_risks = Some(r.unrated());
            facts.unmitigated_high_risks = Some(r.unmitigated_high());
        }
        Details::WorkItem => {}
    }
    facts
}

fn transition_case(
    before: Case,
    transition: &str,
    etag: &str,
    comment: &str,
    ctx: &Context<'_>,
) -> Result<Change> {
    check_etag(&before.name(), etag, before.revision)?;
    let comment = text::body("comment", comment, MAX_TEXT_CHARS)
        .map_err(|v| Error::invalid_fields(vec![v]))?;
    let def = definition(ctx, &before)?;
    let decision = workflow::decide(
        def,
        &before.state,
        transition,
        Some(comment.as_str()),
        &facts(&before, ctx),
    )
    .map_err(|refusal| refusal_error(&before, refusal))?;
    let mut after = next(&before, ctx);
    if def.pauses_clock(&before.state) {
        after.paused_micros += ctx.now - before.state_enter_time;
    }
    after.state = decision.to.clone();
    after.state_enter_time = ctx.now;
    if let Details::AssessmentCycle(cycle) = &mut after.details
        && after.state == "in_review"
    {
        // Whoever starts the review is its reviewer (`cycle.reviewer_independent`).
        cycle.reviewer = ctx.actor.to_owned();
    }
    if let Details::Framework(framework) = &after.details
        && after.state == super::framework::IN_FORCE
        && before.state != after.state
        && let Some(due) = framework.next_evaluation(&before.state, ctx.now)
    {
        // In force (again): the next evaluation is due one evaluation interval on.
        after.due_time = Some(due);
        after.overdue = false;
    }
    if def.is_final(&after.state) {
        after.overdue = false;
    }
    let event = EventDraft {
        event_type: EventType::Transitioned,
        before: Some(before),
        after: Some(after.clone()),
        transition: decision.transition,
        comment,
    };
    Ok(Change {
        case: after,
        events: vec![event],
        effects: decision.effects,
    })
}

fn comment(before: Case, text_in: &str, ctx: &Context<'_>) -> Result<Change> {
    let comment =
        text::body("text", text_in, MAX_TEXT_CHARS).map_err(|v| Error::invalid_fields(vec![v]))?;
    if comment.is_empty() {
        return Err(Error::invalid_field("text", "is required"));
    }
    let after = next(&before, ctx);
    let event = EventDraft {
        event_type: EventType::Commented,
        before: Some(before),
        after: Some(after.clone()),
        transition: String::new(),
        comment,
    };
    Ok(Change {
        case: after,
        events: vec![event],
        effects: Vec::new(),
    })
}

/// Records a rating, dialogue, consultation, observance or risk in the case's details, stamped
/// with the actor and the time.
fn record_in(before: Case, etag: &str, record: Record, ctx: &Context<'_>) -> Result<Change> {
    check_etag(&before.name(), etag, before.revision)?;
    if let Record::Consultations(consultations) = record {
        return consult_each(before, consultations, ctx);
    }
    let event_type = record.event_type();
    let mut after = next(&before, ctx);
    let name = before.name();
    let state = before.state.as_str();
    let (actor, now) = (ctx.actor.to_owned(), ctx.now);
    match (record, &mut after.details) {
        (Record::Rating(rating), Details::AssessmentCycle(cycle)) => cycle.rate(
            state,
            &name,
            CriterionRating {
                carried_over: false,
                rated_by: actor,
                rate_time: now,
                ..rating
            },
        )?,
        (Record::Dialogue(dialogue), Details::AssessmentCycle(cycle)) => cycle.record_dialogue(
            state,
            &name,
            Dialogue {
                recorded_by: actor,
                record_time: now,
                ..dialogue
            },
        )?,
        (Record::Consultation(c), Details::Framework(f)) => f.consult(
            state,
            &name,
            Consultation {
                recorded_by: actor,
                record_time: now,
                ..c
            },
            "consultation.department",
        )?,
        (Record::Observance(o), Details::Framework(f)) => f.observe(
            state,
            &name,
            Observance {
                recorded_by: actor,
                record_time: now,
                ..o
            },
        )?,
        (Record::Evaluation(e), Details::Framework(f)) => f.evaluate(
            state,
            &name,
            Evaluation {
                recorded_by: actor,
                record_time: now,
                ..e
            },
        )?,
        (Record::AddRisk(fields), Details::RiskAnalysis(r)) => {
            r.add(state, &name, fields, now)?;
        }
        (Record::UpdateRisk { id, fields }, Details::RiskAnalysis(r)) => {
            r.update(state, &name, id, fields, now)?;
        }
        (record, _) => {
            return Err(Error::invalid(
                reason::WRONG_CASE_KIND,
                "name",
                format!("{name} is a {}, not a {}", before.kind, record.kind()),
            ));
        }
    }
    if after.details == before.details {
        // An update to the values it had: nothing to record.
        return Ok(Change::none(before));
    }
    Ok(Change::snapshot(event_type, before, after))
}

/// When `case` is due, at `now`, with the time its clock stood still added: its due time plus
/// the time spent in clock-pausing states (such as `blocked`) before its current state, and,
/// while it is in such a state, the time since it entered it (so that it moves on with `now`
/// until the clock runs again). `None` without a due time. The one rule of how a pause moves a
/// deadline: [`is_overdue`] compares this with `now`.
pub fn effective_due_time(case: &Case, def: &WorkflowDefinition, now: i64) -> Option<i64> {
    let due = case.due_time?;
    let pausing_now = if def.pauses_clock(&case.state) {
        now.saturating_sub(case.state_enter_time).max(0)
    } else {
        0
    };
    Some(
        due.saturating_add(case.paused_micros)
            .saturating_add(pausing_now),
    )
}

/// Records each of `consultations` in the framework `before`, in order, as one event each (a
/// revision each), stamped with the actor and the time; the first that the framework refuses
/// refuses them all.
fn consult_each(
    before: Case,
    consultations: Vec<Consultation>,
    ctx: &Context<'_>,
) -> Result<Change> {
    let name = before.name();
    let mut current = before;
    let mut events = Vec::with_capacity(consultations.len());
    for (i, consultation) in consultations.into_iter().enumerate() {
        let mut after = next(&current, ctx);
        let Details::Framework(f) = &mut after.details else {
            return Err(Error::invalid(
                reason::WRONG_CASE_KIND,
                "framework",
                format!("{name} is a {}, not a framework", current.kind),
            ));
        };
        f.consult(
            &current.state,
            &name,
            Consultation {
                recorded_by: ctx.actor.to_owned(),
                record_time: ctx.now,
                ..consultation
            },
            &format!("consultations[{i}].department"),
        )?;
        events.push(EventDraft {
            event_type: EventType::Consulted,
            before: Some(current),
            after: Some(after.clone()),
            transition: String::new(),
            comment: String::new(),
        });
        current = after;
    }
    Ok(Change {
        case: current,
        events,
        effects: Vec::new(),
    })
}

/// Whether `case` is past its [effective due time](effective_due_time) or past its state's
/// SLA, at `now`. Final states and paused clocks are never overdue.
pub fn is_overdue(case: &Case, def: &WorkflowDefinition, now: i64) -> bool {
    if def.is_final(&case.state) || def.pauses_clock(&case.state) {
        return false;
    }
    let past_due = effective_due_time(case, def, now).is_some_and(|due| due < now);
    let past_sla = def
        .sla_days(&case.state)
        .is_some_and(|days| now - case.state_enter_time > i64::from(days) * 86_400 * 1_000_000);
    past_due || past_sla
}

/// The first moment a case that is not overdue at `now` becomes so, if nothing about it changes
/// meanwhile: just past the earlier of its effective due time and its state's SLA running out;
/// `None` when it never does as it is (a final state, one that pauses the clock, no deadline).
/// The deadline scheduler sleeps until then, or until the log moves; [`is_overdue`] is the rule.
pub fn overdue_from(case: &Case, def: &WorkflowDefinition, now: i64) -> Option<i64> {
    if def.is_final(&case.state) || def.pauses_clock(&case.state) {
        return None;
    }
    let due = effective_due_time(case, def, now);
    let sla = def.sla_days(&case.state).map(|days| {
        case.state_enter_time
            .saturating_add(i64::from(days) * 86_400 * 1_000_000)
    });
    [due, sla]
        .into_iter()
        .flatten()
        .min()
        .map(|at| at.saturating_add(1))
}

fn mark_overdue(before: Case, ctx: &Context<'_>) -> Result<Change> {
    let def = definition(ctx, &before)?;
    if before.overdue || !is_overdue(&before, def, ctx.now) {
        return Err(Error::failed_precondition(
            reason::NOT_OVERDUE,
            format!("{} is not overdue", before.name()),
        ));
    }
    let mut after = next(&before, ctx);
    after.overdue = true;
    Ok(Change::snapshot(EventType::Overdue, before, after))
}

/// A refused transition as the API reports it: FAILED_PRECONDITION with one violation per failed
/// rule (type = rule id) when guards fail; the state's refusal otherwise.
pub fn refusal_error(case: &Case, refusal: Refusal) -> Error {
    let message = format!("{}: {refusal}", case.name());
    match refusal {
        Refusal::UnknownTransition { .. } => {
            Error::invalid(reason::UNKNOWN_TRANSITION, "transition", message)
        }
        Refusal::CommentRequired { .. } => {
            Error::invalid(reason::COMMENT_REQUIRED, "comment", message)
        }
        Refusal::NotAllowedFrom { .. } => {
            Error::failed_precondition(reason::TRANSITION_NOT_ALLOWED, message)
        }
        Refusal::GuardsFailed(failed) => Error::FailedPrecondition {
            reason: reason::RULES_NOT_MET,
            message,
            violations: failed
                .into_iter()
                .map(|rule| PreconditionViolation {
                    kind: rule.rule_id,
                    subject: case.name(),
                    description: if rule.detail.is_empty() {
                        rule.sentence_en
                    } else {
                        format!("{} ({})", rule.sentence_en, rule.detail)
                    },
                })
                .collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cases::draft::CaseDraft;

    const DAY: i64 = 86_400 * 1_000_000;

    fn workflows() -> Workflows {
        Workflows::with_defaults().expect("built-in workflows")
    }

    fn run(
        workflows: &Workflows,
        case: Option<Case>,
        command: Command,
        now: i64,
    ) -> Result<Change> {
        execute(
            case,
            command,
            &Context {
                workflows,
                actor: "anna",
                now,
                children: &[],
                actor_roles: None,
                new_id: &CaseId::generate,
            },
        )
    }

    fn new_item(workflows: &Workflows, due: Option<i64>) -> Case {
        let draft = CaseDraft {
            kind: "work_item".into(),
            title: "Item".into(),
            assignee: "anna".into(),
            due_time: due,
            ..Default::default()
        };
        let command = Command::Create {
            id: CaseId::generate(),
            case: draft.validate().expect("valid"),
        };
        run(workflows, None, command, 0).expect("created").case
    }

    fn step(workflows: &Workflows, case: Case, transition: &str, now: i64) -> Case {
        let command = Command::Transition {
            transition: transition.into(),
            etag: String::new(),
            comment: String::new(),
        };
        run(workflows, Some(case), command, now)
            .expect(transition)
            .case
    }

    /// A framework in force with scope BZK and JenV, and its two observance items (proposed),
    /// as `put_in_force` creates them.
    fn framework_in_force(workflows: &Workflows) -> (Case, Vec<Case>) {
        use crate::domain::cases::effects;
        use crate::domain::cases::framework::Framework;
        let new = NewCase {
            kind: "framework".into(),
            title: "Kader".into(),
            description: String::new(),
            department: None,
            working_group: None,
            assignee: String::new(),
            labels: Vec::new(),
            due_time: None,
            parent: None,
            details: Details::Framework(Framework {
                scope: vec!["BZK".into(), "JenV".into()],
                ..Framework::default()
            }),
        };
        let command = Command::Create {
            id: CaseId::generate(),
            case: new,
        };
        let mut framework = run(workflows, None, command, 0).expect("created").case;
        framework.state = "in_force".into();
        let items = effects::new_cases(EffectKind::CreateObservanceItems, &framework)
            .into_iter()
            .map(|case| {
                let command = Command::Create {
                    id: CaseId::generate(),
                    case,
                };
                run(workflows, None, command, 0).expect("item").case
            })
            .collect();
        (framework, items)
    }

    fn observance(department: &str) -> Command {
        Command::Record {
            etag: String::new(),
            record: Record::Observance(Observance {
                department: department.into(),
                summary: "Opgenomen in de gedragscode".into(),
                date: "2027-02-01".into(),
                link: String::new(),
                recorded_by: String::new(),
                record_time: 0,
            }),
        }
    }

    fn observe_with(
        workflows: &Workflows,
        framework: Case,
        department: &str,
        children: &[Case],
    ) -> Decision {
        let ctx = Context {
            workflows,
            actor: "principals/ic-jenv",
            now: 5,
            children,
            actor_roles: None,
            new_id: &CaseId::generate,
        };
        decide(Some(framework), observance(department), &ctx).expect("observed")
    }

    #[test]
    fn an_observance_closes_its_departments_observance_item_and_no_other() {
        let w = workflows();
        let (framework, items) = framework_in_force(&w);
        let decision = observe_with(&w, framework, "JenV", &items);
        assert_eq!(decision.change.events[0].event_type, EventType::Observed);
        assert!(decision.created.is_empty());
        assert_eq!(decision.changed.len(), 1, "{:?}", decision.changed);
        let closed = &decision.changed[0];
        let jenv = items
            .iter()
            .find(|i| i.department.as_deref() == Some("JenV"))
            .expect("JenV's item");
        assert_eq!(closed.case.id, jenv.id);
        assert_eq!(closed.case.state, "done");
        assert_eq!(closed.case.assignee, "principals/ic-jenv");
        // Walked through its workflow, one event per step, as revisions of the item.
        let steps: Vec<(EventType, &str)> = closed
            .events
            .iter()
            .map(|e| (e.event_type, e.transition.as_str()))
            .collect();
        assert_eq!(
            steps,
            [
                (EventType::Updated, ""),
                (EventType::Transitioned, "accept"),
                (EventType::Transitioned, "start"),
                (EventType::Transitioned, "submit_for_review"),
                (EventType::Transitioned, "complete"),
            ]
        );
        assert_eq!(closed.case.revision, jenv.revision + 5);
        assert!(
            closed
                .events
                .iter()
                .skip(1)
                .all(|e| e.comment.contains("Kader"))
        );
    }

    #[test]
    fn an_observance_leaves_an_item_with_open_sub_items_as_it_is() {
        let w = workflows();
        let (framework, mut items) = framework_in_force(&w);
        let jenv = items
            .iter()
            .find(|i| i.department.as_deref() == Some("JenV"))
            .expect("JenV's item")
            .clone();
        let mut sub = new_item(&w, None);
        sub.parent = Some(jenv.id.clone());
        items.push(sub);
        let decision = observe_with(&w, framework.clone(), "JenV", &items);
        assert!(decision.changed.is_empty(), "{:?}", decision.changed);
        let Details::Framework(f) = &decision.change.case.details else {
            panic!("a framework");
        };
        assert_eq!(
            f.observances.len(),
            1,
            "the observance is recorded all the same"
        );
        // Only the observing department's items are looked at: none loaded, none changed.
        let decision = observe_with(&w, framework, "BZK", &[]);
        assert!(decision.changed.is_empty());
    }

    #[test]
    fn time_in_blocked_does_not_count_towards_the_due_time() {
        let w = workflows();
        let def = w.latest("work_item").expect("work_item");
        let case = new_item(&w, Some(10 * DAY));
        let case = step(&w, step(&w, case, "accept", DAY), "start", DAY);
        let blocked = step(&w, case, "block", 2 * DAY);
        assert!(
            !is_overdue(&blocked, def, 30 * DAY),
            "the clock is paused while blocked"
        );
        let resumed = step(&w, blocked, "unblock", 7 * DAY);
        assert_eq!(resumed.paused_micros, 5 * DAY);
        assert!(
            !is_overdue(&resumed, def, 14 * DAY),
            "due moved to day 15 by the pause"
        );
        assert!(is_overdue(&resumed, def, 16 * DAY));
    }

    #[test]
    fn consultations_in_one_command_are_one_event_each_or_none() {
        use crate::domain::cases::framework::Outcome;
        let w = workflows();
        let (mut framework, _) = framework_in_force(&w);
        framework.state = "in_consultation".into();
        let consultation = |department: &str| Consultation {
            department: department.into(),
            body: "IPIM".into(),
            date: "2026-10-08".into(),
            outcome: Outcome::Agrees,
            note: String::new(),
            recorded_by: String::new(),
            record_time: 0,
        };
        let etag = framework.etag();
        let record = |consultations: Vec<Consultation>| Command::Record {
            etag: etag.clone(),
            record: Record::Consultations(consultations),
        };
        let change = run(
            &w,
            Some(framework.clone()),
            record(vec![consultation("BZK"), consultation("JenV")]),
            DAY,
        )
        .expect("recorded");
        assert_eq!(change.events.len(), 2);
        assert_eq!(change.case.revision, framework.revision + 2);
        let revisions: Vec<i64> = change
            .events
            .iter()
            .map(|e| e.after.as_ref().expect("after").revision)
            .collect();
        assert_eq!(revisions, [framework.revision + 1, framework.revision + 2]);
        let Details::Framework(f) = &change.case.details else {
            panic!("a framework");
        };
        assert!(f.not_consulted().is_empty());
        assert!(f.consultations.iter().all(|c| c.recorded_by == "anna"));
        // A department outside the scope refuses the lot, naming its place.
        let refused = run(
            &w,
            Some(framework),
            record(vec![consultation("BZK"), consultation("Fin")]),
            DAY,
        )
        .expect_err("Fin is not in scope");
        assert!(
            refused.to_string().contains("consultations[1].department"),
            "{refused}"
        );
    }

    #[test]
    fn the_effective_due_time_adds_the_time_the_clock_stood_still() {
        let w = workflows();
        let def = w.latest("work_item").expect("work_item");
        assert_eq!(effective_due_time(&new_item(&w, None), def, DAY), None);
        let case = new_item(&w, Some(10 * DAY));
        assert_eq!(effective_due_time(&case, def, DAY), Some(10 * DAY));
        let case = step(&w, step(&w, case, "accept", DAY), "start", DAY);
        let blocked = step(&w, case, "block", 2 * DAY);
        // While blocked it moves on with the clock that stands still…
        assert_eq!(effective_due_time(&blocked, def, 2 * DAY), Some(10 * DAY));
        assert_eq!(effective_due_time(&blocked, def, 5 * DAY), Some(13 * DAY));
        // …and once the clock runs again it stays where the pause left it.
        let resumed = step(&w, blocked, "unblock", 7 * DAY);
        assert_eq!(effective_due_time(&resumed, def, 7 * DAY), Some(15 * DAY));
        assert_eq!(effective_due_time(&resumed, def, 20 * DAY), Some(15 * DAY));
        // The overdue rule is this time, compared with now.
        assert!(!is_overdue(&resumed, def, 15 * DAY));
        assert!(is_overdue(&resumed, def, 15 * DAY + 1));
        let from = overdue_from(&resumed, def, 14 * DAY).expect("a deadline");
        assert!(!is_overdue(&resumed, def, from - 1) && is_overdue(&resumed, def, from));
    }

    #[test]
    fn a_closed_case_is_never_overdue_and_marking_happens_once() {
        let w = workflows();
        let def = w.latest("work_item").expect("work_item");
        let case = new_item(&w, Some(DAY));
        let marked = run(&w, Some(case.clone()), Command::MarkOverdue, 2 * DAY)
            .expect("marked")
            .case;
        assert!(marked.overdue);
        assert!(
            run(&w, Some(marked), Command::MarkOverdue, 3 * DAY).is_err(),
            "only once"
        );
        let cancelled = step(&w, case, "cancel", 2 * DAY);
        assert!(!is_overdue(&cancelled, def, 100 * DAY));
    }

    #[test]
    fn an_update_that_changes_nothing_writes_no_event() {
        let w = workflows();
        let case = new_item(&w, None);
        let patch = CasePatch {
            title: Some("Item".into()),
            ..Default::default()
        };
        let change = run(
            &w,
            Some(case.clone()),
            Command::Update {
                etag: case.etag(),
                patch,
            },
            1,
        )
        .expect("ok");
        assert!(change.events.is_empty());
        assert_eq!(change.case.revision, case.revision);
        let comment = run(
            &w,
            Some(case),
            Command::Comment {
                text: "Besproken in het IPIM".into(),
            },
            2,
        )
        .expect("ok");
        assert_eq!(
            comment.case.revision, 2,
            "a comment is a revision of the history"
        );
    }
}
