//! Frameworks (kaders) under the coordination decree, art. 2: their purposes and scope, the
//! consultations with the departments concerned before adoption (2.1), and each department's
//! record of how it observes the framework once in force (2.2).

use serde::{Deserialize, Serialize};

use crate::domain::error::{Error, Result, Violations, reason};
use crate::domain::limits::{MAX_NAME_CHARS, MAX_TEXT_CHARS};
use crate::domain::names::DepartmentCode;
use crate::domain::text;

use super::model::allowed_in;

/// Consultations and observances per framework.
pub const MAX_RECORDS: usize = 500;
/// Consultations recorded in one call (one per department, so in practice the scope's size).
pub const MAX_BATCH: usize = 100;

const CONSULTATION_STATES: &[&str] = &["in_consultation"];
const OBSERVANCE_STATES: &[&str] = &["in_force", "under_evaluation"];
const EVALUATION_STATES: &[&str] = &["under_evaluation"];
/// The state in which a framework is in force, and the evaluation interval runs.
pub const IN_FORCE: &str = "in_force";
/// The state a framework comes from when it goes into force for the first time.
const ADOPTED: &str = "adopted";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Framework {
    pub purposes: Vec<Purpose>,
    /// Department codes, all in the sector Rijk.
    pub scope: Vec<String>,
    /// `YYYY-MM-DD`, or empty.
    pub effective_date: String,
    pub evaluation_interval_months: u32,
    pub consultations: Vec<Consultation>,
    pub observances: Vec<Observance>,
    /// The evaluations held, oldest first (frameworks stored before they existed have none).
    #[serde(default)]
    pub evaluations: Vec<Evaluation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Unity,
    Quality,
    Efficiency,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Agrees,
    Concerns,
    Objects,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    pub department: String,
    pub body: String,
    pub date: String,
    pub outcome: Outcome,
    pub note: String,
    pub recorded_by: String,
    pub record_time: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observance {
    pub department: String,
    pub summary: String,
    pub date: String,
    pub link: String,
    pub recorded_by: String,
    pub record_time: i64,
}

/// What an evaluation concluded about the framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// It works as intended: it stays in force as it is.
    Continue,
    /// It stays in force, and is to be revised.
    Revise,
    /// It has had its day: to be withdrawn.
    Withdraw,
}

/// The outcome of an evaluation of the framework (decree art. 2: the evaluation interval).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub verdict: Verdict,
    /// The findings, and what is to change.
    pub summary: String,
    /// Where the evaluation report is, http(s); optional.
    pub link: String,
    pub recorded_by: String,
    pub record_time: i64,
}

/// An evaluation as a client sends it.
#[derive(Debug, Clone, Default)]
pub struct EvaluationDraft {
    pub date: String,
    pub verdict: Option<Verdict>,
    pub summary: String,
    pub link: String,
}

impl EvaluationDraft {
    pub fn validate(self) -> Result<Evaluation> {
        let mut v = Violations::new();
        let date = v.take(text::date("evaluation.date", &self.date));
        if self.verdict.is_none() {
            v.add(
                "evaluation.verdict",
                "is required: CONTINUE, REVISE or WITHDRAW",
            );
        }
        let summary = v.take(text::body(
            "evaluation.summary",
            &self.summary,
            MAX_TEXT_CHARS,
        ));
        if summary.as_deref().is_some_and(str::is_empty) {
            v.add("evaluation.summary", "is required");
        }
        let link = v.take(text::optional_url("evaluation.link", &self.link));
        v.finish()?;
        match (date, self.verdict, summary, link) {
            (Some(date), Some(verdict), Some(summary), Some(link)) => Ok(Evaluation {
                date,
                verdict,
                summary,
                link,
                recorded_by: String::new(),
                record_time: 0,
            }),
            _ => Err(Error::internal("evaluation validation lost a violation")),
        }
    }
}

/// The framework details as a client sends them (departments as names).
#[derive(Debug, Clone, Default)]
pub struct FrameworkDraft {
    pub purposes: Vec<Purpose>,
    pub scope: Vec<String>,
    pub effective_date: String,
    pub evaluation_interval_months: i32,
}

impl FrameworkDraft {
    /// Checks the fields; `scope` comes back as department codes, still to be checked against
    /// the sector Rijk by the caller, who knows the directory. An empty scope stays empty (the
    /// caller fills in every department in the sector Rijk).
    pub fn validate(self, prefix: &str, v: &mut Violations) -> Framework {
        let mut purposes = self.purposes;
        purposes.sort_unstable();
        purposes.dedup();
        let mut scope = Vec::with_capacity(self.scope.len());
        for (i, name) in self.scope.iter().enumerate() {
            if let Some(code) = v.take(DepartmentCode::from_name(
                &format!("{prefix}.scope[{i}]"),
                name,
            )) && !scope.contains(&code.as_str().to_owned())
            {
                scope.push(code.as_str().to_owned());
            }
        }
        let effective_date = v
            .take(text::optional_date(
                &format!("{prefix}.effective_date"),
                &self.effective_date,
            ))
            .unwrap_or_default();
        let interval = match u32::try_from(self.evaluation_interval_months) {
            Ok(months) if months <= 120 => months,
            _ => {
                v.add(
                    format!("{prefix}.evaluation_interval_months"),
                    "must be between 0 and 120",
                );
                0
            }
        };
        Framework {
            purposes,
            scope,
            effective_date,
            evaluation_interval_months: interval,
            consultations: Vec::new(),
            observances: Vec::new(),
            evaluations: Vec::new(),
        }
    }
}

/// A consultation as a client sends it.
#[derive(Debug, Clone, Default)]
pub struct ConsultationDraft {
    pub department: String,
    pub body: String,
    pub date: String,
    pub outcome: Option<Outcome>,
    pub note: String,
}

impl ConsultationDraft {
    pub fn validate(self) -> Result<Consultation> {
        let mut v = Violations::new();
        let consultation = self.check("consultation", &mut v);
        v.finish()?;
        consultation.ok_or_else(|| Error::internal("consultation validation lost a violation"))
    }

    /// Several consultations recorded in one call: 1 to [`MAX_BATCH`], each checked as one is
    /// (fields named `consultations[i].…`), and at most one per department.
    pub fn validate_each(drafts: Vec<Self>) -> Result<Vec<Consultation>> {
        if drafts.is_empty() {
            return Err(Error::invalid_field(
                "consultations",
                "name at least one consultation",
            ));
        }
        if drafts.len() > MAX_BATCH {
            return Err(Error::invalid_field(
                "consultations",
                format!("at most {MAX_BATCH} consultations in one call"),
            ));
        }
        let mut v = Violations::new();
        let mut checked: Vec<Consultation> = Vec::with_capacity(drafts.len());
        for (i, draft) in drafts.into_iter().enumerate() {
            let prefix = format!("consultations[{i}]");
            let Some(consultation) = draft.check(&prefix, &mut v) else {
                continue;
            };
            if let Some(first) = checked
                .iter()
                .position(|c| c.department == consultation.department)
            {
                v.add(
                    format!("{prefix}.department"),
                    format!(
                        "departments/{} is named twice (also in consultations[{first}]): one \
                         consultation per department in one call",
                        consultation.department
                    ),
                );
            }
            checked.push(consultation);
        }
        v.finish()?;
        Ok(checked)
    }

    /// The consultation, or `None` with its violations added to `v` (fields under `prefix`).
    fn check(self, prefix: &str, v: &mut Violations) -> Option<Consultation> {
        let at = |field: &str| format!("{prefix}.{field}");
        let department = v.take(DepartmentCode::from_name(
            &at("department"),
            &self.department,
        ));
        let body = v.take(text::name(&at("body"), &self.body, MAX_NAME_CHARS));
        let date = v.take(text::date(&at("date"), &self.date));
        if self.outcome.is_none() {
            v.add(at("outcome"), "is required: AGREES, CONCERNS or OBJECTS");
        }
        let note = v.take(text::body(&at("note"), &self.note, MAX_TEXT_CHARS));
        Some(Consultation {
            department: department?.as_str().to_owned(),
            body: body?,
            date: date?,
            outcome: self.outcome?,
            note: note?,
            recorded_by: String::new(),
            record_time: 0,
        })
    }
}

/// An observance as a client sends it.
#[derive(Debug, Clone, Default)]
pub struct ObservanceDraft {
    pub department: String,
    pub summary: String,
    pub date: String,
    pub link: String,
}

impl ObservanceDraft {
    pub fn validate(self) -> Result<Observance> {
        let mut v = Violations::new();
        let department = v.take(DepartmentCode::from_name(
            "observance.department",
            &self.department,
        ));
        let summary = v.take(text::body(
            "observance.summary",
            &self.summary,
            MAX_TEXT_CHARS,
        ));
        if summary.as_deref().is_some_and(str::is_empty) {
            v.add("observance.summary", "is required");
        }
        let date = v.take(text::date("observance.date", &self.date));
        let link = v.take(text::optional_url("observance.link", &self.link));
        v.finish()?;
        match (department, summary, date, link) {
            (Some(department), Some(summary), Some(date), Some(link)) => Ok(Observance {
                department: department.as_str().to_owned(),
                summary,
                date,
                link,
                recorded_by: String::new(),
                record_time: 0,
            }),
            _ => Err(Error::internal("observance validation lost a violation")),
        }
    }
}

impl Framework {
    /// Departments in scope without a recorded consultation, in scope order.
    pub fn not_consulted(&self) -> Vec<String> {
        self.scope
            .iter()
            .filter(|d| !self.consultations.iter().any(|c| &c.department == *d))
            .cloned()
            .collect()
    }

    /// Departments in scope that have not recorded how they observe the framework.
    pub fn not_observed(&self) -> Vec<String> {
        self.scope
            .iter()
            .filter(|d| !self.observances.iter().any(|o| &o.department == *d))
            .cloned()
            .collect()
    }

    fn in_scope(&self, department: &str, field: &str) -> Result<()> {
        if self.scope.iter().any(|d| d == department) {
            Ok(())
        } else {
            Err(Error::invalid(
                reason::OUTSIDE_SCOPE,
                field,
                format!(
                    "departments/{department} is not in the framework's scope ({})",
                    self.scope.join(", ")
                ),
            ))
        }
    }

    fn room(&self, count: usize) -> Result<()> {
        if count >= MAX_RECORDS {
            Err(Error::failed_precondition(
                reason::STATE_FORBIDS_CHANGE,
                format!("a framework holds at most {MAX_RECORDS} records of each kind"),
            ))
        } else {
            Ok(())
        }
    }

    /// Records `consultation`; `field` names its department in an error
    /// (`consultation.department`, or `consultations[i].department` in a batch).
    pub fn consult(
        &mut self,
        state: &str,
        name: &str,
        consultation: Consultation,
        field: &str,
    ) -> Result<()> {
        allowed_in(
            state,
            CONSULTATION_STATES,
            name,
            "consultations are recorded",
        )?;
        self.in_scope(&consultation.department, field)?;
        self.room(self.consultations.len())?;
        self.consultations.push(consultation);
        Ok(())
    }

    pub fn observe(&mut self, state: &str, name: &str, observance: Observance) -> Result<()> {
        allowed_in(state, OBSERVANCE_STATES, name, "observances are recorded")?;
        self.in_scope(&observance.department, "observance.department")?;
        self.room(self.observances.len())?;
        self.observances.push(observance);
        Ok(())
    }

    pub fn evaluate(&mut self, state: &str, name: &str, evaluation: Evaluation) -> Result<()> {
        allowed_in(state, EVALUATION_STATES, name, "evaluations are recorded")?;
        self.room(self.evaluations.len())?;
        self.evaluations.push(evaluation);
        Ok(())
    }

    /// When the next evaluation is due, for a framework going into force at `now` from
    /// `from_state`: its evaluation interval after it took effect (the effective date, when it
    /// is later than now, at 00:00 UTC) the first time; after an evaluation (from
    /// `under_evaluation`), the interval after now. `None` without an interval.
    pub fn next_evaluation(&self, from_state: &str, now: i64) -> Option<i64> {
        if self.evaluation_interval_months == 0 {
            return None;
        }
        let now_time =
            time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now) * 1_000).ok()?;
        let effective = time::Date::parse(
            &self.effective_date,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .ok()
        .map(|date| date.midnight().assume_utc())
        .filter(|start| *start > now_time);
        let start = match effective {
            Some(start) if from_state == ADOPTED => start,
            _ => now_time,
        };
        let due = add_months(start, self.evaluation_interval_months)?;
        i64::try_from(due.unix_timestamp_nanos() / 1_000).ok()
    }
}

/// `at` plus `months` calendar months, on the same day of the month (or the month's last day,
/// when it is shorter) and at the same time.
fn add_months(at: time::OffsetDateTime, months: u32) -> Option<time::OffsetDateTime> {
    let index = i64::from(at.year()) * 12 + i64::from(u8::from(at.month())) - 1 + i64::from(months);
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = time::Month::try_from(u8::try_from(index.rem_euclid(12) + 1).ok()?).ok()?;
    let day = at.day().min(month.length(year));
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    Some(at.replace_date(date))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framework() -> Framework {
        Framework {
            purposes: vec![Purpose::Quality],
            scope: vec!["BZK".into(), "JenV".into()],
            ..Framework::default()
        }
    }

    fn consultation(department: &str) -> Consultation {
        ConsultationDraft {
            department: format!("departments/{department}"),
            body: "IPIM".into(),
            date: "2026-03-01".into(),
            outcome: Some(Outcome::Concerns),
            note: String::new(),
        }
        .validate()
        .unwrap()
    }

    const DAY: i64 = 86_400 * 1_000_000;

    /// Microseconds at 00:00 UTC of `date` (`YYYY-MM-DD`).
    fn midnight(date: &str) -> i64 {
        let date = time::Date::parse(
            date,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .unwrap();
        i64::try_from(date.midnight().assume_utc().unix_timestamp_nanos() / 1_000).unwrap()
    }

    #[test]
    fn several_consultations_are_checked_each_and_once_per_department() {
        let draft = |code: &str| ConsultationDraft {
            department: format!("departments/{code}"),
            body: "IPIM".into(),
            date: "2026-10-08".into(),
            outcome: Some(Outcome::Agrees),
            note: String::new(),
        };
        let checked =
            ConsultationDraft::validate_each(vec![draft("JenV"), draft("BZK")]).expect("valid");
        assert_eq!(checked.len(), 2);
        assert_eq!(checked[0].department, "JenV");
        let fields = |e: Error| match e {
            Error::InvalidArgument { violations, .. } => {
                violations.into_iter().map(|v| v.field).collect::<Vec<_>>()
            }
            other => panic!("{other:?}"),
        };
        let twice =
            ConsultationDraft::validate_each(vec![draft("JenV"), draft("BZK"), draft("JenV")])
                .expect_err("JenV twice");
        assert_eq!(fields(twice), ["consultations[2].department"]);
        let bad = ConsultationDraft::validate_each(vec![
            draft("JenV"),
            ConsultationDraft {
                outcome: None,
                ..draft("1x")
            },
        ])
        .expect_err("bad code and no outcome");
        assert_eq!(
            fields(bad),
            ["consultations[1].department", "consultations[1].outcome"]
        );
        assert!(ConsultationDraft::validate_each(Vec::new()).is_err());
    }

    #[test]
    fn the_evaluation_interval_sets_when_the_next_evaluation_is_due() {
        let mut f = Framework {
            effective_date: "2027-01-01".into(),
            evaluation_interval_months: 24,
            ..framework()
        };
        let now = midnight("2026-11-20") + 3_600 * 1_000_000;
        // Into force before its effective date: two years after it takes effect.
        assert_eq!(
            f.next_evaluation("adopted", now),
            Some(midnight("2029-01-01"))
        );
        // After an evaluation, or in force after the effective date: two years from now.
        assert_eq!(
            f.next_evaluation("under_evaluation", now),
            Some(midnight("2028-11-20") + 3_600 * 1_000_000)
        );
        let later = midnight("2027-03-31");
        assert_eq!(
            f.next_evaluation("adopted", later),
            Some(midnight("2029-03-31"))
        );
        // A month shorter than the day: its last day.
        f.evaluation_interval_months = 11;
        assert_eq!(
            f.next_evaluation("under_evaluation", midnight("2027-03-31")),
            Some(midnight("2028-02-29"))
        );
        assert!(f.next_evaluation("adopted", later).unwrap() - later > 300 * DAY);
        f.evaluation_interval_months = 0;
        assert_eq!(f.next_evaluation("adopted", now), None);
    }

    #[test]
    fn an_evaluation_records_its_verdict_only_under_evaluation() {
        let draft = || EvaluationDraft {
            date: "2029-01-15".into(),
            verdict: Some(Verdict::Revise),
            summary: "Werkt, maar de meldroutes verschillen te veel".into(),
            link: String::new(),
        };
        let missing = EvaluationDraft {
            verdict: None,
            ..draft()
        }
        .validate()
        .unwrap_err();
        assert!(
            matches!(missing, Error::InvalidArgument { .. }),
            "{missing:?}"
        );
        let mut f = framework();
        let evaluation = draft().validate().unwrap();
        assert_eq!(
            f.evaluate("in_force", "cases/f", evaluation.clone())
                .unwrap_err()
                .reason(),
            reason::STATE_FORBIDS_CHANGE
        );
        f.evaluate("under_evaluation", "cases/f", evaluation)
            .unwrap();
        assert_eq!(f.evaluations.len(), 1);
        assert_eq!(f.evaluations[0].verdict, Verdict::Revise);
        // Stored before evaluations existed: none.
        let old: Framework = serde_json::from_str(
            r#"{"purposes":[],"scope":[],"effective_date":"","evaluation_interval_months":0,"consultations":[],"observances":[]}"#,
        )
        .unwrap();
        assert!(old.evaluations.is_empty());
    }

    #[test]
    fn consultations_are_recorded_in_consultation_for_departments_in_scope() {
        let mut f = framework();
        assert_eq!(f.not_consulted(), vec!["BZK".to_owned(), "JenV".to_owned()]);
        assert_eq!(
            f.consult(
                "drafting",
                "cases/f",
                consultation("BZK"),
                "consultation.department"
            )
            .unwrap_err()
            .reason(),
            reason::STATE_FORBIDS_CHANGE
        );
        assert_eq!(
            f.consult(
                "in_consultation",
                "cases/f",
                consultation("EZ"),
                "consultation.department"
            )
            .unwrap_err()
            .reason(),
            reason::OUTSIDE_SCOPE
        );
        f.consult(
            "in_consultation",
            "cases/f",
            consultation("JenV"),
            "consultation.department",
        )
        .unwrap();
        assert_eq!(f.not_consulted(), vec!["BZK".to_owned()]);
    }

    #[test]
    fn a_draft_reports_bad_scope_dates_and_intervals() {
        let mut v = Violations::new();
        let f = FrameworkDraft {
            purposes: vec![Purpose::Unity, Purpose::Unity],
            scope: vec![
                "departments/BZK".into(),
                "BZK".into(),
                "departments/BZK".into(),
            ],
            effective_date: "2026-13-01".into(),
            evaluation_interval_months: -1,
        }
        .validate("case.framework", &mut v);
        assert_eq!(f.purposes, vec![Purpose::Unity]);
        assert_eq!(f.scope, vec!["BZK".to_owned()]);
        let Err(Error::InvalidArgument { violations, .. }) = v.finish() else {
            panic!("expected invalid");
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "case.framework.scope[1]",
                "case.framework.effective_date",
                "case.framework.evaluation_interval_months"
            ]
        );
    }
}
