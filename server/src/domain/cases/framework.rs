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

const CONSULTATION_STATES: &[&str] = &["in_consultation"];
const OBSERVANCE_STATES: &[&str] = &["in_force", "under_evaluation"];

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
        let department = v.take(DepartmentCode::from_name(
            "consultation.department",
            &self.department,
        ));
        let body = v.take(text::name("consultation.body", &self.body, MAX_NAME_CHARS));
        let date = v.take(text::date("consultation.date", &self.date));
        if self.outcome.is_none() {
            v.add(
                "consultation.outcome",
                "is required: AGREES, CONCERNS or OBJECTS",
            );
        }
        let note = v.take(text::body("consultation.note", &self.note, MAX_TEXT_CHARS));
        v.finish()?;
        match (department, body, date, self.outcome, note) {
            (Some(department), Some(body), Some(date), Some(outcome), Some(note)) => {
                Ok(Consultation {
                    department: department.as_str().to_owned(),
                    body,
                    date,
                    outcome,
                    note,
                    recorded_by: String::new(),
                    record_time: 0,
                })
            }
            _ => Err(Error::internal("consultation validation lost a violation")),
        }
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

    pub fn consult(&mut self, state: &str, name: &str, consultation: Consultation) -> Result<()> {
        allowed_in(
            state,
            CONSULTATION_STATES,
            name,
            "consultations are recorded",
        )?;
        self.in_scope(&consultation.department, "consultation.department")?;
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

    #[test]
    fn consultations_are_recorded_in_consultation_for_departments_in_scope() {
        let mut f = framework();
        assert_eq!(f.not_consulted(), vec!["BZK".to_owned(), "JenV".to_owned()]);
        assert_eq!(
            f.consult("drafting", "cases/f", consultation("BZK"))
                .unwrap_err()
                .reason(),
            reason::STATE_FORBIDS_CHANGE
        );
        assert_eq!(
            f.consult("in_consultation", "cases/f", consultation("EZ"))
                .unwrap_err()
                .reason(),
            reason::OUTSIDE_SCOPE
        );
        f.consult("in_consultation", "cases/f", consultation("JenV"))
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
