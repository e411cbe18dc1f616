//! What a case is. Cases are stored as rows for querying and as JSON snapshots in their events
//! (`before`/`after`), which is how `GetCase` rebuilds a case as it was at an earlier time.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::error::{Error, FieldViolation, Result, reason};
use crate::domain::filter::{Field, FieldType, Value};
use crate::domain::listing::{ListSpec, Listed, SortKey};
use crate::domain::time::Timestamp;

use super::cycle::Cycle;
use super::framework::Framework;
use super::risk::RiskAnalysis;

/// The id in `cases/{id}`: 12 lower-case hexadecimal characters chosen by the server.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CaseId(String);

impl CaseId {
    pub const COLLECTION: &'static str = "cases";

    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string()[..12].to_owned())
    }

    pub fn parse(field: &str, text: &str) -> Result<Self, FieldViolation> {
        let valid = (1..=64).contains(&text.len())
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(FieldViolation::new(
                field,
                format!("{text:?} is not a case id"),
            ))
        }
    }

    /// Parses `cases/{id}`.
    pub fn from_name(field: &str, name: &str) -> Result<Self, FieldViolation> {
        match name.strip_prefix("cases/") {
            Some(id) => Self::parse(field, id),
            None => Err(FieldViolation::new(
                field,
                format!("{name:?} is not a case name of the form `cases/{{id}}`"),
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn name(&self) -> String {
        format!("{}/{}", Self::COLLECTION, self.0)
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A case as stored. Times are microseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub id: CaseId,
    pub kind: String,
    pub workflow_version: u32,
    pub state: String,
    pub title: String,
    pub description: String,
    /// A department code; `None` for government-wide work (domain `rijk`).
    pub department: Option<String>,
    /// A working group id.
    pub working_group: Option<String>,
    pub assignee: String,
    pub labels: Vec<String>,
    pub due_time: Option<i64>,
    pub parent: Option<CaseId>,
    pub overdue: bool,
    /// Counts the case's events; the etag.
    pub revision: i64,
    pub create_time: i64,
    pub update_time: i64,
    /// When the case entered its current state.
    pub state_enter_time: i64,
    /// Time spent in clock-pausing states (such as `blocked`) before the current state.
    pub paused_micros: i64,
    pub details: Details,
}

/// What only one kind of case has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Details {
    WorkItem,
    Recommendation(Recommendation),
    Framework(Framework),
    AssessmentCycle(Cycle),
    RiskAnalysis(RiskAnalysis),
}

/// A recommendation (aanbeveling) and the response to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    pub report_title: String,
    pub report_reference: String,
    /// `coordinating_minister` or `departments/{code}`.
    pub addressee: String,
    pub theme: Theme,
    /// The administrative response (bestuurlijke reactie); empty until recorded.
    pub response: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    #[default]
    Unspecified,
    Coordination,
    Culture,
    Structure,
}

impl Case {
    pub fn name(&self) -> String {
        self.id.name()
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    /// The case as JSON, for the `before`/`after` of its events.
    pub fn snapshot(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_snapshot(json: &str) -> Option<Self> {
        serde_json::from_str(json).ok()
    }

    pub const LIST: ListSpec = ListSpec {
        resource: "cases",
        filter_fields: &[
            Field::new("kind", FieldType::Text),
            Field::new("state", FieldType::Text),
            Field::new("department", FieldType::Name("departments")),
            Field::new("working_group", FieldType::Name("workingGroups")),
            Field::new("assignee", FieldType::Text),
            Field::new("labels", FieldType::TextList),
            Field::new("due_time", FieldType::Time),
            Field::new("overdue", FieldType::Bool),
            Field::new("parent", FieldType::Name("cases")),
            Field::new("title", FieldType::Text),
            Field::new("create_time", FieldType::Time),
            Field::new("update_time", FieldType::Time),
        ],
        order_fields: &[
            Field::new("create_time", FieldType::Time),
            Field::new("update_time", FieldType::Time),
            Field::new("due_time", FieldType::Time),
            Field::new("title", FieldType::Text),
            Field::new("state", FieldType::Text),
            Field::new("kind", FieldType::Text),
            Field::new("overdue", FieldType::Bool),
        ],
        key: Field::new("id", FieldType::Text),
        default_order: &[SortKey::asc("create_time")],
    };
}

#[cfg(test)]
impl Case {
    /// A work item of JenV at revision 1, for unit tests.
    pub fn sample() -> Self {
        Self {
            id: CaseId::parse("id", "abc123").expect("an id"),
            kind: "work_item".into(),
            workflow_version: 1,
            state: "open".into(),
            title: "T".into(),
            description: String::new(),
            department: Some("JenV".into()),
            working_group: None,
            assignee: String::new(),
            labels: vec!["a".into(), "b".into(), "c".into()],
            due_time: None,
            parent: None,
            overdue: false,
            revision: 1,
            create_time: 1,
            update_time: 1,
            state_enter_time: 1,
            paused_micros: 0,
            details: Details::WorkItem,
        }
    }
}

impl Listed for Case {
    fn sort_value(&self, field: &str) -> Value {
        match field {
            "create_time" => Value::Time(self.create_time),
            "update_time" => Value::Time(self.update_time),
            // Cases without a due time sort last (as the store's COALESCE does).
            "due_time" => Value::Time(self.due_time.unwrap_or(i64::MAX)),
            "title" => Value::Text(self.title.clone()),
            "state" => Value::Text(self.state.clone()),
            "kind" => Value::Text(self.kind.clone()),
            "overdue" => Value::Bool(self.overdue),
            _ => Value::Text(self.id.as_str().to_owned()),
        }
    }
}

/// Refuses a record (a rating, a consultation, a risk, …) in a state of the case that does not
/// allow it; each kind names its states.
pub(super) fn allowed_in(state: &str, states: &[&str], name: &str, what: &str) -> Result<()> {
    if states.contains(&state) {
        Ok(())
    } else {
        Err(Error::failed_precondition(
            reason::STATE_FORBIDS_CHANGE,
            format!(
                "{name} is in state `{state}`; {what} only in state {}",
                states
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        ))
    }
}

/// Now, as the store stamps changes.
pub fn now() -> i64 {
    Timestamp::now().micros()
}
