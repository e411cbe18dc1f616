//! What clients send to create or change a case, and the checks it must pass. Every bad field
//! is reported at once, with its path in the request.

use crate::domain::error::{Error, FieldViolation, Result, Violations, reason};
use crate::domain::limits::{MAX_NAME_CHARS, MAX_TEXT_CHARS};
use crate::domain::names::{DepartmentCode, GroupId};
use crate::domain::text;

use super::framework::{Framework, FrameworkDraft, Purpose};
use super::model::{Case, CaseId, Details, Recommendation, Theme};
use super::risk::RiskAnalysis;

/// Labels per case, and characters per label.
pub const MAX_LABELS: usize = 20;
pub const MAX_LABEL_CHARS: usize = 64;

/// The recommendation details as sent.
#[derive(Debug, Clone, Default)]
pub struct RecommendationDraft {
    pub report_title: String,
    pub report_reference: String,
    pub addressee: String,
    pub theme: Theme,
    pub response: String,
}

/// A new case as a client describes it. Resource references are names (`departments/JenV`);
/// empty means none.
#[derive(Debug, Clone, Default)]
pub struct CaseDraft {
    pub kind: String,
    pub title: String,
    pub description: String,
    pub department: String,
    pub working_group: String,
    pub assignee: String,
    pub labels: Vec<String>,
    pub due_time: Option<i64>,
    pub parent: String,
    pub recommendation: Option<RecommendationDraft>,
    pub framework: Option<FrameworkDraft>,
    pub risk_analysis: Option<RiskAnalysisDraft>,
}

/// The risk-analysis details as sent.
#[derive(Debug, Clone, Default)]
pub struct RiskAnalysisDraft {
    pub organisation: String,
    /// 0: the default.
    pub high_risk_threshold: i32,
}

/// A validated new case: everything but what the workflow decides (state, version).
#[derive(Debug, Clone)]
pub struct NewCase {
    pub kind: String,
    pub title: String,
    pub description: String,
    pub department: Option<DepartmentCode>,
    pub working_group: Option<GroupId>,
    pub assignee: String,
    pub labels: Vec<String>,
    pub due_time: Option<i64>,
    pub parent: Option<CaseId>,
    pub details: Details,
}

impl CaseDraft {
    /// The kind's details: those of the kind, checked; details of another kind are refused.
    fn details(&self, v: &mut Violations) -> Option<Details> {
        let given = [
            ("recommendation", self.recommendation.is_some()),
            ("framework", self.framework.is_some()),
            ("risk_analysis", self.risk_analysis.is_some()),
        ];
        for (kind, present) in given {
            if present && kind != self.kind {
                v.add(
                    format!("case.{kind}"),
                    format!("a {} case has no {kind} details", self.kind),
                );
            }
        }
        match self.kind.as_str() {
            "recommendation" => match self.recommendation.clone() {
                Some(r) => recommendation("case.recommendation", r, v).map(Details::Recommendation),
                None => {
                    v.add(
                        "case.recommendation",
                        "a recommendation needs its details (source report, addressee)",
                    );
                    None
                }
            },
            "framework" => Some(Details::Framework(
                self.framework
                    .clone()
                    .unwrap_or_default()
                    .validate("case.framework", v),
            )),
            "risk_analysis" => {
                let draft = self.risk_analysis.clone().unwrap_or_default();
                Some(Details::RiskAnalysis(RiskAnalysis {
                    organisation: v
                        .take(text::body(
                            "case.risk_analysis.organisation",
                            &draft.organisation,
                            MAX_NAME_CHARS,
                        ))
                        .unwrap_or_default(),
                    high_risk_threshold: v
                        .take(threshold(draft.high_risk_threshold))
                        .unwrap_or_default(),
                    risks: Vec::new(),
                    next_risk: 1,
                }))
            }
            "assessment_cycle" => {
                v.add(
                    "case.kind",
                    "assessment cycles are opened with AssessmentService.OpenCycles",
                );
                None
            }
            _ => Some(Details::WorkItem),
        }
    }

    pub fn validate(self) -> Result<NewCase> {
        let mut v = Violations::new();
        let details = self.details(&mut v);
        let title = v.take(text::name("case.title", &self.title, MAX_NAME_CHARS));
        let description = v.take(text::body(
            "case.description",
            &self.description,
            MAX_TEXT_CHARS,
        ));
        let department = v.take(optional(&self.department, |s| {
            DepartmentCode::from_name("case.department", s)
        }));
        let working_group = v.take(optional(&self.working_group, |s| {
            GroupId::from_name("case.working_group", s)
        }));
        let assignee = v.take(assignee("case.assignee", &self.assignee));
        let labels = v.take(labels("case.labels", self.labels));
        let parent = v.take(optional(&self.parent, |s| {
            CaseId::from_name("case.parent", s)
        }));
        if self.kind.trim().is_empty() {
            v.add("case.kind", "is required");
        }
        v.finish()?;
        match (
            title,
            description,
            department,
            working_group,
            assignee,
            labels,
            parent,
            details,
        ) {
            (
                Some(title),
                Some(description),
                Some(department),
                Some(working_group),
                Some(assignee),
                Some(labels),
                Some(parent),
                Some(details),
            ) => Ok(NewCase {
                kind: self.kind,
                title,
                description,
                department,
                working_group,
                assignee,
                labels,
                due_time: self.due_time,
                parent,
                details,
            }),
            _ => Err(Error::internal("case validation lost a violation")),
        }
    }
}

/// The updatable fields of a case, each `Some` when the update mask names it. For the optional
/// references, `Some("")` clears them.
#[derive(Debug, Clone, Default)]
pub struct CasePatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub department: Option<String>,
    pub working_group: Option<String>,
    pub assignee: Option<String>,
    pub labels: Option<Vec<String>>,
    pub due_time: Option<Option<i64>>,
    pub parent: Option<String>,
    pub recommendation: Option<RecommendationPatch>,
    pub framework: Option<FrameworkPatch>,
    pub risk_analysis: Option<RiskAnalysisPatch>,
}

/// Framework fields to change (departments as names).
#[derive(Debug, Clone, Default)]
pub struct FrameworkPatch {
    pub purposes: Option<Vec<Purpose>>,
    pub scope: Option<Vec<String>>,
    pub effective_date: Option<String>,
    pub evaluation_interval_months: Option<i32>,
}

/// Risk-analysis fields to change.
#[derive(Debug, Clone, Default)]
pub struct RiskAnalysisPatch {
    pub organisation: Option<String>,
    pub high_risk_threshold: Option<i32>,
}

/// The states in which a framework's purposes, scope and dates may change: before adoption.
const FRAMEWORK_EDITABLE: &[&str] = &["drafting", "in_consultation"];

/// Recommendation fields to change.
#[derive(Debug, Clone, Default)]
pub struct RecommendationPatch {
    pub report: Option<(String, String)>,
    pub addressee: Option<String>,
    pub theme: Option<Theme>,
    pub response: Option<String>,
}

impl CasePatch {
    pub const UPDATABLE: &'static [&'static str] = &[
        "title",
        "description",
        "department",
        "working_group",
        "assignee",
        "labels",
        "due_time",
        "parent",
        "recommendation",
        "recommendation.source_report",
        "recommendation.addressee",
        "recommendation.theme",
        "recommendation.response",
        "framework",
        "framework.purposes",
        "framework.scope",
        "framework.effective_date",
        "framework.evaluation_interval_months",
        "risk_analysis",
        "risk_analysis.organisation",
        "risk_analysis.high_risk_threshold",
    ];

    /// The department the patch sets, parsed, for the caller to check it exists.
    pub fn department_code(&self) -> Result<Option<DepartmentCode>> {
        match self.department.as_deref() {
            Some(name) if !name.is_empty() => DepartmentCode::from_name("case.department", name)
                .map(Some)
                .map_err(|e| Error::invalid_fields(vec![e])),
            _ => Ok(None),
        }
    }

    /// Applies the patch to `case` (fields only; never the state).
    pub fn apply(self, case: &mut super::model::Case) -> Result<()> {
        let mut v = Violations::new();
        if let Some(title) = self
            .title
            .and_then(|t| v.take(text::name("case.title", &t, MAX_NAME_CHARS)))
        {
            case.title = title;
        }
        if let Some(d) = self
            .description
            .and_then(|d| v.take(text::body("case.description", &d, MAX_TEXT_CHARS)))
        {
            case.description = d;
        }
        if case.kind == "assessment_cycle" && (self.department.is_some() || self.parent.is_some()) {
            // A cycle's department and year are its key (`cycle.one_per_department_and_year`).
            v.add(
                "update_mask",
                "an assessment cycle's department and parent are fixed when it is opened",
            );
        }
        if let Some(d) = self.department.and_then(|d| {
            v.take(optional(&d, |s| {
                DepartmentCode::from_name("case.department", s)
            }))
        }) {
            case.department = d.map(|c| c.as_str().to_owned());
        }
        if let Some(g) = self.working_group.and_then(|g| {
            v.take(optional(&g, |s| {
                GroupId::from_name("case.working_group", s)
            }))
        }) {
            case.working_group = g.map(|g| g.as_str().to_owned());
        }
        if let Some(a) = self
            .assignee
            .and_then(|a| v.take(assignee("case.assignee", &a)))
        {
            case.assignee = a;
        }
        if let Some(l) = self.labels.and_then(|l| v.take(labels("case.labels", l))) {
            case.labels = l;
        }
        if let Some(due) = self.due_time {
            case.due_time = due;
        }
        if let Some(p) = self
            .parent
            .and_then(|p| v.take(optional(&p, |s| CaseId::from_name("case.parent", s))))
        {
            if p.as_ref() == Some(&case.id) {
                v.add("case.parent", "a case cannot be its own parent");
            } else {
                case.parent = p;
            }
        }
        if let Some(patch) = self.recommendation {
            match &mut case.details {
                Details::Recommendation(r) => {
                    if let Some((title, reference)) = patch.report {
                        let title = v.take(text::name(
                            "case.recommendation.source_report.title",
                            &title,
                            MAX_NAME_CHARS,
                        ));
                        let reference = v.take(reference_text(&reference));
                        if let (Some(title), Some(reference)) = (title, reference) {
                            r.report_title = title;
                            r.report_reference = reference;
                        }
                    }
                    if let Some(a) = patch.addressee.and_then(|a| v.take(addressee(&a))) {
                        r.addressee = a;
                    }
                    if let Some(theme) = patch.theme {
                        r.theme = theme;
                    }
                    if let Some(resp) = patch.response.and_then(|t| {
                        v.take(text::body(
                            "case.recommendation.response",
                            &t,
                            MAX_TEXT_CHARS,
                        ))
                    }) {
                        r.response = resp;
                    }
                }
                _ => v.add(
                    "update_mask",
                    format!("a {} case has no recommendation details", case.kind),
                ),
            }
        }
        if let Some(patch) = self.framework {
            let editable = FRAMEWORK_EDITABLE.contains(&case.state.as_str());
            match &mut case.details {
                Details::Framework(_) if !editable => v.add(
                    "update_mask",
                    format!(
                        "the framework is {}; its purposes, scope and dates change only while drafting or in consultation",
                        case.state
                    ),
                ),
                Details::Framework(f) => {
                    let draft = FrameworkDraft {
                        purposes: patch.purposes.clone().unwrap_or_default(),
                        scope: patch.scope.clone().unwrap_or_default(),
                        effective_date: patch.effective_date.clone().unwrap_or_default(),
                        evaluation_interval_months: patch
                            .evaluation_interval_months
                            .unwrap_or_default(),
                    };
                    let checked: Framework = draft.validate("case.framework", &mut v);
                    if patch.purposes.is_some() {
                        f.purposes = checked.purposes;
                    }
                    if patch.scope.is_some() {
                        if checked.scope.is_empty() {
                            v.add("case.framework.scope", "names at least one department");
                        }
                        f.scope = checked.scope;
                    }
                    if patch.effective_date.is_some() {
                        f.effective_date = checked.effective_date;
                    }
                    if patch.evaluation_interval_months.is_some() {
                        f.evaluation_interval_months = checked.evaluation_interval_months;
                    }
                }
                _ => v.add(
                    "update_mask",
                    format!("a {} case has no framework details", case.kind),
                ),
            }
        }
        if let Some(patch) = self.risk_analysis {
            match &mut case.details {
                Details::RiskAnalysis(r) => {
                    if let Some(o) = patch.organisation.and_then(|o| {
                        v.take(text::body(
                            "case.risk_analysis.organisation",
                            &o,
                            MAX_NAME_CHARS,
                        ))
                    }) {
                        r.organisation = o;
                    }
                    if let Some(t) = patch.high_risk_threshold.and_then(|t| v.take(threshold(t))) {
                        r.high_risk_threshold = t;
                    }
                }
                _ => v.add(
                    "update_mask",
                    format!("a {} case has no risk_analysis details", case.kind),
                ),
            }
        }
        v.finish()
    }
}

/// Rule: a sub-item is in its parent's department, or its parent is government-wide. Otherwise
/// one department could hang work under another's case that the owner can neither read nor
/// close (and that blocks `work_item.children_closed` there).
pub fn check_parent(department: Option<&str>, parent: &Case) -> Result<()> {
    match parent.department.as_deref() {
        None => Ok(()),
        Some(theirs) if Some(theirs) == department => Ok(()),
        Some(theirs) => Err(Error::invalid(
            reason::PARENT_IN_OTHER_DEPARTMENT,
            "case.parent",
            format!(
                "{} is a case of departments/{theirs}; a sub-item is in its parent's department, or its parent is government-wide",
                parent.name()
            ),
        )),
    }
}

/// The same rule seen from a parent that moves to `department`: each of its sub-items must
/// then be in that department, unless it becomes government-wide.
pub fn check_children(department: Option<&str>, children: &[Case]) -> Result<()> {
    let Some(department) = department else {
        return Ok(());
    };
    let elsewhere: Vec<String> = children
        .iter()
        .filter(|c| c.department.as_deref() != Some(department))
        .map(Case::name)
        .collect();
    if elsewhere.is_empty() {
        return Ok(());
    }
    Err(Error::invalid(
        reason::PARENT_IN_OTHER_DEPARTMENT,
        "case.department",
        format!(
            "its sub-items {} are not in departments/{department}; move them first, or keep the case government-wide",
            elsewhere.join(", ")
        ),
    ))
}

fn optional<T>(
    text: &str,
    parse: impl Fn(&str) -> Result<T, FieldViolation>,
) -> Result<Option<T>, FieldViolation> {
    if text.is_empty() {
        Ok(None)
    } else {
        parse(text).map(Some)
    }
}

fn assignee(field: &str, value: &str) -> Result<String, FieldViolation> {
    if value.trim().is_empty() {
        Ok(String::new())
    } else {
        text::name(field, value, MAX_NAME_CHARS)
    }
}

fn labels(field: &str, labels: Vec<String>) -> Result<Vec<String>, FieldViolation> {
    if labels.len() > MAX_LABELS {
        return Err(FieldViolation::new(
            field,
            format!("has {} labels; the maximum is {MAX_LABELS}", labels.len()),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(labels.len());
    for label in labels {
        let ok = (1..=MAX_LABEL_CHARS).contains(&label.len())
            && label.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | ':')
            });
        if !ok {
            return Err(FieldViolation::new(
                field,
                format!(
                    "{label:?} is not a label: 1 to {MAX_LABEL_CHARS} lower-case letters, digits, `-`, `_` or `:`"
                ),
            ));
        }
        if !out.contains(&label) {
            out.push(label);
        }
    }
    Ok(out)
}

/// A high-risk threshold: 0 (the default) or a score from 1 to 25.
fn threshold(value: i32) -> Result<u32, FieldViolation> {
    match u32::try_from(value) {
        Ok(t) if t <= 25 => Ok(t),
        _ => Err(FieldViolation::new(
            "case.risk_analysis.high_risk_threshold",
            format!("{value} is not a score from 1 to 25 (0: the default)"),
        )),
    }
}

fn reference_text(value: &str) -> Result<String, FieldViolation> {
    let value = value.trim();
    if value.chars().count() > 100 || value.chars().any(char::is_control) {
        return Err(FieldViolation::new(
            "case.recommendation.source_report.reference",
            "at most 100 characters on one line",
        ));
    }
    Ok(value.to_owned())
}

fn addressee(value: &str) -> Result<String, FieldViolation> {
    const FIELD: &str = "case.recommendation.addressee";
    if value == "coordinating_minister" {
        return Ok(value.to_owned());
    }
    DepartmentCode::from_name(FIELD, value)
        .map(|code| code.name())
        .map_err(|_| {
            FieldViolation::new(
                FIELD,
                format!("{value:?} is neither `coordinating_minister` nor `departments/{{code}}`"),
            )
        })
}

/// Checks every recommendation field, recording each bad one.
fn recommendation(
    prefix: &str,
    r: RecommendationDraft,
    v: &mut Violations,
) -> Option<Recommendation> {
    let report_title = v.take(text::name(
        &format!("{prefix}.source_report.title"),
        &r.report_title,
        MAX_NAME_CHARS,
    ));
    let report_reference = v.take(reference_text(&r.report_reference));
    let addressee = v.take(addressee(&r.addressee));
    let response = v.take(text::body(
        &format!("{prefix}.response"),
        &r.response,
        MAX_TEXT_CHARS,
    ));
    Some(Recommendation {
        report_title: report_title?,
        report_reference: report_reference?,
        addressee: addressee?,
        theme: r.theme,
        response: response?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_reports_every_bad_field() {
        let err = CaseDraft {
            kind: "work_item".into(),
            title: String::new(),
            department: "departments/j-v".into(),
            labels: vec!["Urgent".into()],
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        let Error::InvalidArgument { violations, .. } = err else {
            panic!("expected InvalidArgument")
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["case.title", "case.department", "case.labels"]);
    }

    #[test]
    fn recommendations_need_their_details_and_work_items_refuse_them() {
        let base = CaseDraft {
            title: "Aanbeveling 1".into(),
            ..Default::default()
        };
        let err = CaseDraft {
            kind: "recommendation".into(),
            ..base.clone()
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().contains("case.recommendation"), "{err}");
        let ok = CaseDraft {
            kind: "recommendation".into(),
            recommendation: Some(RecommendationDraft {
                report_title: "Integriteit als basis".into(),
                report_reference: "2024D32310".into(),
                addressee: "coordinating_minister".into(),
                ..Default::default()
            }),
            ..base.clone()
        };
        assert!(ok.validate().is_ok());
        let empty = CaseDraft {
            kind: "recommendation".into(),
            recommendation: Some(RecommendationDraft::default()),
            ..base.clone()
        };
        let Error::InvalidArgument { violations, .. } = empty.validate().unwrap_err() else {
            panic!("invalid")
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "case.recommendation.source_report.title",
                "case.recommendation.addressee"
            ]
        );
        let err = CaseDraft {
            kind: "work_item".into(),
            recommendation: Some(RecommendationDraft::default()),
            ..base
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().contains("case.recommendation"), "{err}");
    }
}
