//! Conversions between domain values and `regie.v1` messages that more than one service uses.

use regie_proto::v1;

use crate::domain::directory::{Department, Member, MemberDraft, MemberRef, WorkingGroup};
use crate::domain::time::Timestamp;

pub fn timestamp(t: Timestamp) -> prost_types::Timestamp {
    let (seconds, nanos) = t.to_seconds_nanos();
    prost_types::Timestamp { seconds, nanos }
}

pub fn department(d: Department) -> v1::Department {
    v1::Department {
        name: d.name(),
        etag: d.etag(),
        code: d.code.as_str().to_owned(),
        name_nl: d.name_nl,
        name_en: d.name_en,
        in_sector_rijk: d.in_sector_rijk,
        active: d.active,
        create_time: Some(timestamp(d.create_time)),
        update_time: Some(timestamp(d.update_time)),
    }
}

pub fn working_group(g: WorkingGroup) -> v1::WorkingGroup {
    v1::WorkingGroup {
        name: g.name(),
        etag: g.etag(),
        display_name: g.display_name,
        mandate: g.mandate,
        chair_department: g.chair_department.name(),
        members: g.members.into_iter().map(member).collect(),
        active: g.active,
        create_time: Some(timestamp(g.create_time)),
        update_time: Some(timestamp(g.update_time)),
    }
}

fn member(m: Member) -> v1::WorkingGroupMember {
    let who = match m.who {
        MemberRef::Department(code) => v1::working_group_member::Member::Department(code.name()),
        MemberRef::Person(person) => v1::working_group_member::Member::Person(person),
    };
    v1::WorkingGroupMember {
        member: Some(who),
        role: m.role,
    }
}

pub fn member_draft(m: v1::WorkingGroupMember) -> MemberDraft {
    use v1::working_group_member::Member as Who;
    let (department, person) = match m.member {
        Some(Who::Department(d)) => (Some(d), None),
        Some(Who::Person(p)) => (None, Some(p)),
        None => (None, None),
    };
    MemberDraft {
        department,
        person,
        role: m.role,
    }
}

pub fn micros(t: &prost_types::Timestamp) -> Option<i64> {
    Timestamp::from_seconds_nanos(t.seconds, t.nanos).map(Timestamp::micros)
}

pub fn timestamp_micros(micros: i64) -> prost_types::Timestamp {
    timestamp(Timestamp::from_micros(micros))
}

/// A case as the API shows it; `effective_due` is its due time with the pauses of its clock
/// counted (`App::effective_due_time`).
pub fn case(c: crate::domain::cases::Case, effective_due: Option<i64>) -> v1::Case {
    use crate::domain::cases::{Details, Theme};
    let details = match c.details {
        Details::WorkItem => v1::case::Details::WorkItem(v1::WorkItemDetails {}),
        Details::Recommendation(r) => {
            v1::case::Details::Recommendation(v1::RecommendationDetails {
                source_report: Some(v1::SourceReport {
                    title: r.report_title,
                    reference: r.report_reference,
                }),
                addressee: r.addressee,
                theme: match r.theme {
                    Theme::Unspecified => v1::RecommendationTheme::Unspecified,
                    Theme::Coordination => v1::RecommendationTheme::Coordination,
                    Theme::Culture => v1::RecommendationTheme::Culture,
                    Theme::Structure => v1::RecommendationTheme::Structure,
                } as i32,
                response: r.response,
            })
        }
        Details::Framework(f) => v1::case::Details::Framework(framework(&f)),
        Details::AssessmentCycle(c) => v1::case::Details::AssessmentCycle(cycle(&c)),
        Details::RiskAnalysis(r) => v1::case::Details::RiskAnalysis(v1::RiskAnalysisDetails {
            organisation: r.organisation.clone(),
            high_risk_threshold: r.threshold() as i32,
            risk_count: r.risks.len() as i32,
        }),
    };
    v1::Case {
        name: c.id.name(),
        etag: c.revision.to_string(),
        kind: c.kind,
        state: c.state,
        title: c.title,
        description: c.description,
        department: c
            .department
            .map(|d| format!("departments/{d}"))
            .unwrap_or_default(),
        working_group: c
            .working_group
            .map(|g| format!("workingGroups/{g}"))
            .unwrap_or_default(),
        assignee: c.assignee,
        labels: c.labels,
        due_time: c.due_time.map(timestamp_micros),
        effective_due_time: effective_due.map(timestamp_micros),
        parent: c.parent.map(|p| p.name()).unwrap_or_default(),
        create_time: Some(timestamp_micros(c.create_time)),
        update_time: Some(timestamp_micros(c.update_time)),
        revision: c.revision,
        workflow_version: c.workflow_version,
        overdue: c.overdue,
        state_enter_time: Some(timestamp_micros(c.state_enter_time)),
        details: Some(details),
    }
}

pub fn theme(value: i32) -> crate::domain::cases::Theme {
    use crate::domain::cases::Theme;
    match v1::RecommendationTheme::try_from(value) {
        Ok(v1::RecommendationTheme::Coordination) => Theme::Coordination,
        Ok(v1::RecommendationTheme::Culture) => Theme::Culture,
        Ok(v1::RecommendationTheme::Structure) => Theme::Structure,
        _ => Theme::Unspecified,
    }
}

pub fn event(e: crate::domain::cases::audit::StoredEvent) -> v1::CaseEvent {
    v1::CaseEvent {
        case: e.case_name(),
        sequence: e.sequence,
        case_sequence: e.case_sequence,
        r#type: e.event_type,
        actor: e.actor,
        time: Some(timestamp_micros(e.time)),
        request_id: e.request_id,
        before: e.before,
        after: e.after,
        patch: e.patch,
        transition: e.transition,
        comment: e.comment,
        kind: e.kind,
        department: if e.department.is_empty() {
            String::new()
        } else {
            format!("departments/{}", e.department)
        },
        previous_hash: e.previous_hash,
        hash: e.hash,
    }
}

// The coordination kinds: frameworks, assessment cycles, risk analyses.

use crate::domain::cases::cycle::{
    self as cycles, CriterionRating, Cycle, Delta, Dialogue, Evidence, Maturity, Rating,
};
use crate::domain::cases::framework::{
    Consultation, Evaluation, Framework, Observance, Outcome, Purpose, Verdict,
};
use crate::domain::cases::risk::{Category, Process, Risk, RiskAnalysis, Status};
use crate::domain::criteria::{CriteriaSet, Criterion, SetState};

/// `departments/{code}` for each code.
pub fn department_names(codes: &[String]) -> Vec<String> {
    codes.iter().map(|c| format!("departments/{c}")).collect()
}

pub fn framework(f: &Framework) -> v1::FrameworkDetails {
    v1::FrameworkDetails {
        purposes: f
            .purposes
            .iter()
            .map(|p| match p {
                Purpose::Unity => v1::FrameworkPurpose::Unity as i32,
                Purpose::Quality => v1::FrameworkPurpose::Quality as i32,
                Purpose::Efficiency => v1::FrameworkPurpose::Efficiency as i32,
            })
            .collect(),
        scope: department_names(&f.scope),
        effective_date: f.effective_date.clone(),
        evaluation_interval_months: f.evaluation_interval_months as i32,
        not_consulted: department_names(&f.not_consulted()),
        not_observed: department_names(&f.not_observed()),
    }
}

/// Purposes as sent; an unknown or unspecified value is `None`, for the caller to refuse.
pub fn purposes(values: &[i32]) -> Vec<Option<Purpose>> {
    values
        .iter()
        .map(|&v| match v1::FrameworkPurpose::try_from(v) {
            Ok(v1::FrameworkPurpose::Unity) => Some(Purpose::Unity),
            Ok(v1::FrameworkPurpose::Quality) => Some(Purpose::Quality),
            Ok(v1::FrameworkPurpose::Efficiency) => Some(Purpose::Efficiency),
            _ => None,
        })
        .collect()
}

pub fn cycle(c: &Cycle) -> v1::AssessmentCycleDetails {
    v1::AssessmentCycleDetails {
        year: c.year,
        criteria_set: format!("criteriaSets/{}", c.criteria_set),
        criteria_total: c.criteria.len() as i32,
        criteria_rated: (c.criteria.len() - c.unrated().len()) as i32,
        reviewer: c.reviewer.clone(),
        dialogue: c.dialogue.as_ref().map(dialogue),
    }
}

pub fn dialogue(d: &Dialogue) -> v1::Dialogue {
    v1::Dialogue {
        date: d.date.clone(),
        participants: d.participants.clone(),
        summary: d.summary.clone(),
        agreements: d.agreements.iter().map(|a| a.text.clone()).collect(),
        agreement_items: d
            .agreements
            .iter()
            .map(|a| v1::Agreement {
                text: a.text.clone(),
                owner: a.owner.clone(),
                due_time: a.due_time.map(timestamp_micros),
            })
            .collect(),
        recorded_by: d.recorded_by.clone(),
        record_time: Some(timestamp_micros(d.record_time)),
    }
}

pub fn rating_value(r: Option<Rating>) -> i32 {
    (match r {
        None => v1::Rating::Unspecified,
        Some(Rating::Met) => v1::Rating::Met,
        Some(Rating::PartiallyMet) => v1::Rating::PartiallyMet,
        Some(Rating::NotMet) => v1::Rating::NotMet,
        Some(Rating::NotApplicable) => v1::Rating::NotApplicable,
    }) as i32
}

pub fn rating_from(value: i32) -> Option<Rating> {
    match v1::Rating::try_from(value) {
        Ok(v1::Rating::Met) => Some(Rating::Met),
        Ok(v1::Rating::PartiallyMet) => Some(Rating::PartiallyMet),
        Ok(v1::Rating::NotMet) => Some(Rating::NotMet),
        Ok(v1::Rating::NotApplicable) => Some(Rating::NotApplicable),
        _ => None,
    }
}

pub fn maturity_from(value: i32) -> Maturity {
    match v1::MaturityStage::try_from(value) {
        Ok(v1::MaturityStage::Starting) => Maturity::Starting,
        Ok(v1::MaturityStage::Awareness) => Maturity::Awareness,
        Ok(v1::MaturityStage::Implementation) => Maturity::Implementation,
        Ok(v1::MaturityStage::EmbeddedAndEvaluated) => Maturity::EmbeddedAndEvaluated,
        _ => Maturity::Unspecified,
    }
}

fn maturity(m: Maturity) -> i32 {
    (match m {
        Maturity::Unspecified => v1::MaturityStage::Unspecified,
        Maturity::Starting => v1::MaturityStage::Starting,
        Maturity::Awareness => v1::MaturityStage::Awareness,
        Maturity::Implementation => v1::MaturityStage::Implementation,
        Maturity::EmbeddedAndEvaluated => v1::MaturityStage::EmbeddedAndEvaluated,
    }) as i32
}

pub fn evidence_from(e: v1::Evidence) -> Evidence {
    Evidence {
        title: e.title,
        url: e.url,
        owner: e.owner,
        valid_until: e.valid_until,
    }
}

pub fn criterion_rating(r: &CriterionRating) -> v1::CriterionRating {
    v1::CriterionRating {
        criterion: r.criterion.clone(),
        rating: rating_value(Some(r.rating)),
        justification: r.justification.clone(),
        evidence: r
            .evidence
            .iter()
            .map(|e| v1::Evidence {
                title: e.title.clone(),
                url: e.url.clone(),
                owner: e.owner.clone(),
                valid_until: e.valid_until.clone(),
            })
            .collect(),
        maturity: maturity(r.maturity),
        carried_over: r.carried_over,
        rated_by: r.rated_by.clone(),
        rate_time: Some(timestamp_micros(r.rate_time)),
    }
}

pub fn delta(d: Delta) -> i32 {
    (match d {
        Delta::Improved => v1::RatingDelta::Improved,
        Delta::Declined => v1::RatingDelta::Declined,
        Delta::Unchanged => v1::RatingDelta::Unchanged,
        Delta::Changed => v1::RatingDelta::Changed,
        Delta::Added => v1::RatingDelta::Added,
        Delta::Removed => v1::RatingDelta::Removed,
    }) as i32
}

pub fn rollup(year: i32, r: cycles::Rollup) -> v1::Rollup {
    v1::Rollup {
        year,
        criteria: r
            .columns
            .into_iter()
            .map(|c| v1::RollupCriterion {
                completion: cycles::completion(c.rated, c.total),
                code: c.code,
                title_nl: c.title_nl,
                title_en: c.title_en,
                rated: c.rated as i32,
                total: c.total as i32,
            })
            .collect(),
        rows: r
            .rows
            .into_iter()
            .map(|row| v1::RollupRow {
                completion: cycles::completion(row.rated, row.total),
                department: format!("departments/{}", row.department),
                cycle: row.cycle,
                state: row.state,
                criteria_set: format!("criteriaSets/{}", row.criteria_set),
                cells: row
                    .cells
                    .into_iter()
                    .map(|cell| v1::RollupCell {
                        criterion: cell.criterion,
                        rating: rating_value(cell.rating),
                        carried_over: cell.carried_over,
                    })
                    .collect(),
                rated: row.rated as i32,
                total: row.total as i32,
            })
            .collect(),
    }
}

pub fn criteria_set(s: CriteriaSet) -> v1::CriteriaSet {
    v1::CriteriaSet {
        name: s.name(),
        etag: s.etag(),
        title: s.title,
        description: s.description,
        state: (match s.state {
            SetState::Draft => v1::CriteriaSetState::Draft,
            SetState::Published => v1::CriteriaSetState::Published,
            SetState::Retired => v1::CriteriaSetState::Retired,
        }) as i32,
        template: s.template,
        criteria: s
            .criteria
            .into_iter()
            .map(|c| v1::Criterion {
                code: c.code,
                title_nl: c.title_nl,
                title_en: c.title_en,
                description: c.description,
                guidance: c.guidance,
                group: c.group,
            })
            .collect(),
        create_time: Some(timestamp_micros(s.create_time)),
        update_time: Some(timestamp_micros(s.update_time)),
        publish_time: s.publish_time.map(timestamp_micros),
    }
}

pub fn criterion_from(c: v1::Criterion) -> Criterion {
    Criterion {
        code: c.code,
        title_nl: c.title_nl,
        title_en: c.title_en,
        description: c.description,
        guidance: c.guidance,
        group: c.group,
    }
}

pub fn consultation(c: &Consultation) -> v1::Consultation {
    v1::Consultation {
        department: format!("departments/{}", c.department),
        body: c.body.clone(),
        date: c.date.clone(),
        outcome: (match c.outcome {
            Outcome::Agrees => v1::ConsultationOutcome::Agrees,
            Outcome::Concerns => v1::ConsultationOutcome::Concerns,
            Outcome::Objects => v1::ConsultationOutcome::Objects,
        }) as i32,
        note: c.note.clone(),
        recorded_by: c.recorded_by.clone(),
        record_time: Some(timestamp_micros(c.record_time)),
    }
}

pub fn outcome_from(value: i32) -> Option<Outcome> {
    match v1::ConsultationOutcome::try_from(value) {
        Ok(v1::ConsultationOutcome::Agrees) => Some(Outcome::Agrees),
        Ok(v1::ConsultationOutcome::Concerns) => Some(Outcome::Concerns),
        Ok(v1::ConsultationOutcome::Objects) => Some(Outcome::Objects),
        _ => None,
    }
}

pub fn observance(o: &Observance) -> v1::Observance {
    v1::Observance {
        department: format!("departments/{}", o.department),
        summary: o.summary.clone(),
        date: o.date.clone(),
        link: o.link.clone(),
        recorded_by: o.recorded_by.clone(),
        record_time: Some(timestamp_micros(o.record_time)),
    }
}

pub fn evaluation(e: &Evaluation) -> v1::Evaluation {
    v1::Evaluation {
        date: e.date.clone(),
        verdict: (match e.verdict {
            Verdict::Continue => v1::EvaluationVerdict::Continue,
            Verdict::Revise => v1::EvaluationVerdict::Revise,
            Verdict::Withdraw => v1::EvaluationVerdict::Withdraw,
        }) as i32,
        summary: e.summary.clone(),
        link: e.link.clone(),
        recorded_by: e.recorded_by.clone(),
        record_time: Some(timestamp_micros(e.record_time)),
    }
}

pub fn verdict_from(value: i32) -> Option<Verdict> {
    match v1::EvaluationVerdict::try_from(value) {
        Ok(v1::EvaluationVerdict::Continue) => Some(Verdict::Continue),
        Ok(v1::EvaluationVerdict::Revise) => Some(Verdict::Revise),
        Ok(v1::EvaluationVerdict::Withdraw) => Some(Verdict::Withdraw),
        _ => None,
    }
}

pub fn risk(case_name: &str, analysis: &RiskAnalysis, r: &Risk) -> v1::Risk {
    v1::Risk {
        name: format!("{case_name}/risks/{}", r.id),
        title: r.title.clone(),
        category: (match r.category {
            Category::Corruption => v1::RiskCategory::Corruption,
            Category::Undermining => v1::RiskCategory::Undermining,
            Category::ConflictOfInterest => v1::RiskCategory::ConflictOfInterest,
            Category::InformationLeak => v1::RiskCategory::InformationLeak,
            Category::Other => v1::RiskCategory::Other,
        }) as i32,
        process: (match r.process {
            Process::Procurement => v1::VulnerableProcess::Procurement,
            Process::Subsidies => v1::VulnerableProcess::Subsidies,
            Process::Permits => v1::VulnerableProcess::Permits,
            Process::FinancialTransactions => v1::VulnerableProcess::FinancialTransactions,
            Process::PersonalData => v1::VulnerableProcess::PersonalData,
            Process::SupervisionAndEnforcement => v1::VulnerableProcess::SupervisionAndEnforcement,
            Process::Other => v1::VulnerableProcess::Other,
        }) as i32,
        likelihood: i32::from(r.likelihood),
        impact: i32::from(r.impact),
        mitigation: r.mitigation.clone(),
        owner: r.owner.clone(),
        status: status(r.status),
        score: r.score() as i32,
        high: analysis.is_high(r),
        create_time: Some(timestamp_micros(r.create_time)),
        update_time: Some(timestamp_micros(r.update_time)),
    }
}

fn status(s: Status) -> i32 {
    (match s {
        Status::Open => v1::RiskStatus::RiskOpen,
        Status::Mitigating => v1::RiskStatus::Mitigating,
        Status::Accepted => v1::RiskStatus::Accepted,
        Status::Closed => v1::RiskStatus::RiskClosed,
    }) as i32
}

pub fn category_from(value: i32) -> Option<Category> {
    match v1::RiskCategory::try_from(value) {
        Ok(v1::RiskCategory::Corruption) => Some(Category::Corruption),
        Ok(v1::RiskCategory::Undermining) => Some(Category::Undermining),
        Ok(v1::RiskCategory::ConflictOfInterest) => Some(Category::ConflictOfInterest),
        Ok(v1::RiskCategory::InformationLeak) => Some(Category::InformationLeak),
        Ok(v1::RiskCategory::Other) => Some(Category::Other),
        _ => None,
    }
}

pub fn process_from(value: i32) -> Option<Process> {
    match v1::VulnerableProcess::try_from(value) {
        Ok(v1::VulnerableProcess::Procurement) => Some(Process::Procurement),
        Ok(v1::VulnerableProcess::Subsidies) => Some(Process::Subsidies),
        Ok(v1::VulnerableProcess::Permits) => Some(Process::Permits),
        Ok(v1::VulnerableProcess::FinancialTransactions) => Some(Process::FinancialTransactions),
        Ok(v1::VulnerableProcess::PersonalData) => Some(Process::PersonalData),
        Ok(v1::VulnerableProcess::SupervisionAndEnforcement) => {
            Some(Process::SupervisionAndEnforcement)
        }
        Ok(v1::VulnerableProcess::Other) => Some(Process::Other),
        _ => None,
    }
}

/// A risk status as sent; UNSPECIFIED means "open" on a new risk, and is refused on an update
/// that names the field.
pub fn status_from(value: i32) -> Option<Status> {
    match v1::RiskStatus::try_from(value) {
        Ok(v1::RiskStatus::RiskOpen) => Some(Status::Open),
        Ok(v1::RiskStatus::Mitigating) => Some(Status::Mitigating),
        Ok(v1::RiskStatus::Accepted) => Some(Status::Accepted),
        Ok(v1::RiskStatus::RiskClosed) => Some(Status::Closed),
        _ => None,
    }
}
