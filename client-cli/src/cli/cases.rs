//! Flags and arguments of `regie cases …`.

use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use prost_types::Timestamp;
use regie_proto::v1::{FrameworkPurpose, RecommendationTheme};

use super::{ListArgs, PageArgs};
use crate::names;
use crate::values::{self, OptionalTime};

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Creates a case in its workflow's initial state.
    Create(CaseCreate),
    /// Shows one case, now or as it was at a time or revision.
    Get(CaseGet),
    /// Lists cases, one page at a time unless --all is given.
    List(CaseList),
    /// Changes the fields given as flags (at least one); the state changes only by `transition`.
    Update(CaseUpdate),
    /// Moves a case along one transition of its workflow, e.g. `start`.
    Transition(CaseTransition),
    /// Lists the transitions from the case's state: open ones, and blocked ones with the rules
    /// that block them.
    Transitions {
        /// A case id or resource name (`cases/ID`).
        #[arg(value_name = "CASE", value_parser = names::case_name)]
        case: String,
    },
    /// Adds a comment to a case's history.
    Comment(CaseComment),
    /// Shows a case's history (its events), oldest first.
    History(CaseHistory),
    /// Prints events as they happen (after replaying those after --after), until the server
    /// ends the stream or Ctrl-C.
    Watch(CaseWatch),
}

/// The case kinds that `cases create` can create. (Assessment cycles are opened with
/// `regie cycles open`; the server refuses to create them as plain cases.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CaseKind {
    /// A working-group item (werkgroep-item, actiepunt).
    #[value(name = "work_item")]
    WorkItem,
    /// A recommendation (aanbeveling), e.g. of the Court of Audit.
    #[value(name = "recommendation")]
    Recommendation,
    /// A framework (kader) under the coordination decree, art. 2.
    #[value(name = "framework")]
    Framework,
    /// An integrity risk analysis of a department or an implementing organisation.
    #[value(name = "risk_analysis")]
    RiskAnalysis,
}

impl CaseKind {
    /// The kind as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::WorkItem => "work_item",
            CaseKind::Recommendation => "recommendation",
            CaseKind::Framework => "framework",
            CaseKind::RiskAnalysis => "risk_analysis",
        }
    }
}

/// What a framework promotes (coordination decree, art. 2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Purpose {
    /// eenheid: the unity of the operations.
    Unity,
    /// kwaliteit: their quality.
    Quality,
    /// doelmatigheid: their efficiency.
    Efficiency,
}

impl From<Purpose> for FrameworkPurpose {
    fn from(purpose: Purpose) -> Self {
        match purpose {
            Purpose::Unity => FrameworkPurpose::Unity,
            Purpose::Quality => FrameworkPurpose::Quality,
            Purpose::Efficiency => FrameworkPurpose::Efficiency,
        }
    }
}

/// The theme of a recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Theme {
    Coordination,
    Culture,
    Structure,
}

impl From<Theme> for RecommendationTheme {
    fn from(theme: Theme) -> Self {
        match theme {
            Theme::Coordination => RecommendationTheme::Coordination,
            Theme::Culture => RecommendationTheme::Culture,
            Theme::Structure => RecommendationTheme::Structure,
        }
    }
}

#[derive(Debug, Args)]
pub struct CaseCreate {
    /// The kind of case, which decides its workflow.
    #[arg(long, value_enum)]
    pub kind: CaseKind,
    /// A short title.
    #[arg(long)]
    pub title: String,
    /// A longer description.
    #[arg(long, default_value = "")]
    pub description: String,
    /// The responsible department: a code or `departments/CODE` (none: government-wide).
    #[arg(long, value_name = "CODE", value_parser = names::department_name)]
    pub department: Option<String>,
    /// The working group: an id or `workingGroups/ID`.
    #[arg(long, value_name = "ID", value_parser = names::group_name)]
    pub working_group: Option<String>,
    /// Who carries the case.
    #[arg(long, default_value = "")]
    pub assignee: String,
    /// A label (lower-case letters, digits, `-`, `_`, `:`). Repeatable.
    #[arg(long = "label", value_name = "LABEL")]
    pub labels: Vec<String>,
    /// Due time: RFC 3339 (e.g. 2026-03-01T17:00:00+01:00), or a date YYYY-MM-DD for the end
    /// of that day (23:59:59) in Europe/Amsterdam.
    #[arg(long, value_name = "TIME", value_parser = values::timestamp)]
    pub due: Option<Timestamp>,
    /// The parent case, for a sub-item: an id or `cases/ID`.
    #[arg(long, value_name = "CASE", value_parser = names::case_name)]
    pub parent: Option<String>,
    /// Idempotency key: a retry with the same key returns the first case and creates nothing.
    #[arg(long, default_value = "")]
    pub request_id: String,
    #[command(flatten)]
    pub recommendation: RecommendationArgs,
    #[command(flatten)]
    pub framework: FrameworkArgs,
    #[command(flatten)]
    pub risk_analysis: RiskAnalysisArgs,
}

impl CaseCreate {
    /// The details of a kind only go with that `--kind`.
    pub fn check(&self) -> Result<(), String> {
        let details = [
            (
                CaseKind::Recommendation,
                "recommendation details",
                self.recommendation.flags_given(),
            ),
            (
                CaseKind::Framework,
                "framework details",
                self.framework.flags_given(),
            ),
            (
                CaseKind::RiskAnalysis,
                "risk analysis details",
                self.risk_analysis.flags_given(),
            ),
        ];
        for (kind, what, given) in details {
            if self.kind != kind && !given.is_empty() {
                return Err(format!(
                    "{what} ({}) only go with --kind {}, not --kind {}",
                    given.join(", "),
                    kind.as_str(),
                    self.kind.as_str()
                ));
            }
        }
        Ok(())
    }
}

/// The details of a recommendation, for `cases create --kind recommendation`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Recommendation details (only with --kind recommendation)")]
pub struct RecommendationArgs {
    /// Title of the report the recommendation comes from, e.g. "Integriteit als basis".
    #[arg(long, value_name = "TITLE")]
    pub report_title: Option<String>,
    /// Reference of the report, e.g. the parliamentary reference `2024D32310`.
    #[arg(long, value_name = "REF")]
    pub report_reference: Option<String>,
    /// Whom it is addressed to: `coordinating_minister`, or a department code.
    #[arg(long, value_name = "coordinating_minister|CODE", value_parser = names::addressee)]
    pub addressee: Option<String>,
    /// The theme of the recommendation.
    #[arg(long, value_enum)]
    pub theme: Option<Theme>,
    /// The recorded administrative response (bestuurlijke reactie).
    #[arg(long, value_name = "TEXT")]
    pub response: Option<String>,
}

impl RecommendationArgs {
    /// The flags that were given, as the user wrote them.
    pub fn flags_given(&self) -> Vec<&'static str> {
        [
            ("--report-title", self.report_title.is_some()),
            ("--report-reference", self.report_reference.is_some()),
            ("--addressee", self.addressee.is_some()),
            ("--theme", self.theme.is_some()),
            ("--response", self.response.is_some()),
        ]
        .into_iter()
        .filter_map(|(flag, given)| given.then_some(flag))
        .collect()
    }
}

/// The details of a framework, for `cases create --kind framework` and `cases update`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Framework details (framework cases only)")]
pub struct FrameworkArgs {
    /// What the framework promotes. Repeatable; at least one is needed before adoption. On
    /// update, replaces the purposes.
    #[arg(long = "purpose", value_enum, value_name = "PURPOSE")]
    pub purposes: Vec<Purpose>,
    /// A department concerned: a code or `departments/CODE`. Repeatable; none on create: every
    /// active department in the sector Rijk. On update, replaces the scope.
    #[arg(long = "scope", value_name = "CODE", value_parser = names::department_name)]
    pub scope: Vec<String>,
    /// When the framework takes effect, YYYY-MM-DD ("" for none).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = values::date_or_empty)]
    pub effective_date: Option<String>,
    /// Months between evaluations (0: none).
    #[arg(
        long,
        value_name = "MONTHS",
        value_parser = clap::value_parser!(i32).range(0..=1200)
    )]
    pub evaluation_interval_months: Option<i32>,
}

/// A group of detail flags (one kind's details on `cases create`/`update`): which were given,
/// as written and as the fields of the details message they set (for an update mask).
pub trait DetailFlags {
    /// The flags that were given, each with the field it sets.
    fn given(&self) -> Vec<(&'static str, &'static str)>;

    /// The flags that were given, as the user wrote them.
    fn flags_given(&self) -> Vec<&'static str> {
        self.given().into_iter().map(|(flag, _)| flag).collect()
    }

    /// The fields that the given flags set, for an update mask.
    fn fields_given(&self) -> Vec<&'static str> {
        self.given().into_iter().map(|(_, field)| field).collect()
    }
}

impl DetailFlags for FrameworkArgs {
    /// The flags that were given, with the fields of `FrameworkDetails` they set.
    fn given(&self) -> Vec<(&'static str, &'static str)> {
        [
            ("--purpose", "purposes", !self.purposes.is_empty()),
            ("--scope", "scope", !self.scope.is_empty()),
            (
                "--effective-date",
                "effective_date",
                self.effective_date.is_some(),
            ),
            (
                "--evaluation-interval-months",
                "evaluation_interval_months",
                self.evaluation_interval_months.is_some(),
            ),
        ]
        .into_iter()
        .filter_map(|(flag, field, given)| given.then_some((flag, field)))
        .collect()
    }
}

/// The details of a risk analysis, for `cases create --kind risk_analysis` and `cases update`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Risk analysis details (risk analyses only)")]
pub struct RiskAnalysisArgs {
    /// The implementing organisation analysed, e.g. "Dienst Toeslagen" (none: the department
    /// itself).
    #[arg(long, value_name = "NAME")]
    pub organisation: Option<String>,
    /// A risk whose score (likelihood x impact) is at or above this is high (default 15).
    #[arg(
        long,
        value_name = "1-25",
        value_parser = clap::value_parser!(i32).range(1..=25)
    )]
    pub high_risk_threshold: Option<i32>,
}

impl DetailFlags for RiskAnalysisArgs {
    /// The flags that were given, with the fields of `RiskAnalysisDetails` they set.
    fn given(&self) -> Vec<(&'static str, &'static str)> {
        [
            (
                "--organisation",
                "organisation",
                self.organisation.is_some(),
            ),
            (
                "--high-risk-threshold",
                "high_risk_threshold",
                self.high_risk_threshold.is_some(),
            ),
        ]
        .into_iter()
        .filter_map(|(flag, field, given)| given.then_some((flag, field)))
        .collect()
    }
}

#[derive(Debug, Args)]
pub struct CaseGet {
    /// A case id or resource name (`cases/ID`).
    #[arg(value_name = "CASE", value_parser = names::case_name)]
    pub case: String,
    /// Show the case as it was at this time: RFC 3339 (e.g. 2026-12-01T17:00:00+01:00), or a
    /// date YYYY-MM-DD for the end of that day (23:59:59) in Europe/Amsterdam.
    #[arg(long, value_name = "TIME", value_parser = values::timestamp)]
    pub as_of: Option<Timestamp>,
    /// Show the case as it was at this revision (1 is as created).
    #[arg(
        long,
        value_name = "N",
        conflicts_with = "as_of",
        value_parser = clap::value_parser!(i64).range(1..)
    )]
    pub revision: Option<i64>,
}

#[derive(Debug, Args)]
pub struct CaseList {
    #[command(flatten)]
    pub list: ListArgs,
    /// Only cases of this kind (`work_item`, `recommendation`, `framework`, `assessment_cycle`,
    /// `risk_analysis`).
    #[arg(long, help_heading = "Filters (ANDed with --filter)")]
    pub kind: Option<String>,
    /// Only cases in this state.
    #[arg(long, help_heading = "Filters (ANDed with --filter)")]
    pub state: Option<String>,
    /// Only cases of this department: a code or `departments/CODE`.
    #[arg(
        long,
        value_name = "CODE",
        value_parser = names::department_name,
        help_heading = "Filters (ANDed with --filter)"
    )]
    pub department: Option<String>,
    /// Only cases of this working group: an id or `workingGroups/ID`.
    #[arg(
        long,
        value_name = "ID",
        value_parser = names::group_name,
        help_heading = "Filters (ANDed with --filter)"
    )]
    pub working_group: Option<String>,
    /// Only cases carried by this assignee.
    #[arg(long, help_heading = "Filters (ANDed with --filter)")]
    pub assignee: Option<String>,
    /// Only cases with this label. Repeatable: every label must be there.
    #[arg(
        long = "label",
        value_name = "LABEL",
        help_heading = "Filters (ANDed with --filter)"
    )]
    pub labels: Vec<String>,
    /// Only overdue cases.
    #[arg(long, help_heading = "Filters (ANDed with --filter)")]
    pub overdue: bool,
}

#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("changes")
        .required(true)
        .multiple(true)
        .args([
            "title", "description", "department", "working_group", "assignee", "labels",
            "clear_labels", "due", "parent", "response", "purposes", "scope", "effective_date",
            "evaluation_interval_months", "organisation", "high_risk_threshold",
        ])
))]
pub struct CaseUpdate {
    /// A case id or resource name (`cases/ID`).
    #[arg(value_name = "CASE", value_parser = names::case_name)]
    pub case: String,
    /// New title.
    #[arg(long)]
    pub title: Option<String>,
    /// New description.
    #[arg(long)]
    pub description: Option<String>,
    /// New department: a code or `departments/CODE`; "" for none (government-wide).
    #[arg(long, value_name = "CODE", value_parser = names::department_name_or_empty)]
    pub department: Option<String>,
    /// New working group: an id or `workingGroups/ID`; "" for none.
    #[arg(long, value_name = "ID", value_parser = names::group_name_or_empty)]
    pub working_group: Option<String>,
    /// New assignee; "" for none.
    #[arg(long)]
    pub assignee: Option<String>,
    /// Replaces the labels with those given. Repeatable.
    #[arg(long = "label", value_name = "LABEL", conflicts_with = "clear_labels")]
    pub labels: Vec<String>,
    /// Removes every label.
    #[arg(long)]
    pub clear_labels: bool,
    /// New due time: RFC 3339, or a date YYYY-MM-DD for the end of that day (23:59:59) in
    /// Europe/Amsterdam; "" for none.
    #[arg(long, value_name = "TIME", value_parser = values::optional_timestamp)]
    pub due: Option<OptionalTime>,
    /// New parent case: an id or `cases/ID`; "" for none.
    #[arg(long, value_name = "CASE", value_parser = names::case_name_or_empty)]
    pub parent: Option<String>,
    /// A recommendation's administrative response (bestuurlijke reactie).
    #[arg(long, value_name = "TEXT")]
    pub response: Option<String>,
    /// Only apply the change if the case still has this etag.
    #[arg(long, default_value = "")]
    pub etag: String,
    /// Idempotency key: a retry with the same key applies nothing again.
    #[arg(long, default_value = "")]
    pub request_id: String,
    #[command(flatten)]
    pub framework: FrameworkArgs,
    #[command(flatten)]
    pub risk_analysis: RiskAnalysisArgs,
}

impl CaseUpdate {
    /// A case has the details of one kind: an update changes those of one kind only.
    pub fn check(&self) -> Result<(), String> {
        let response = if self.response.is_some() {
            vec!["--response"]
        } else {
            Vec::new()
        };
        let given: Vec<String> = [
            ("recommendation", response),
            ("framework", self.framework.flags_given()),
            ("risk analysis", self.risk_analysis.flags_given()),
        ]
        .into_iter()
        .filter(|(_, flags)| !flags.is_empty())
        .map(|(kind, flags)| format!("{} ({kind})", flags.join(", ")))
        .collect();
        if given.len() > 1 {
            return Err(format!(
                "a case has the details of one kind only; {} cannot be changed together",
                given.join(" and ")
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Args)]
pub struct CaseTransition {
    /// A case id or resource name (`cases/ID`).
    #[arg(value_name = "CASE", value_parser = names::case_name)]
    pub case: String,
    /// A transition id of the case's workflow, e.g. `start` (see `regie cases transitions`).
    pub transition: String,
    /// Recorded with the event; some transitions (e.g. `reopen`) require one.
    #[arg(long, default_value = "")]
    pub comment: String,
    /// Only apply the transition if the case still has this etag.
    #[arg(long, default_value = "")]
    pub etag: String,
    /// Idempotency key: a retry with the same key applies nothing again.
    #[arg(long, default_value = "")]
    pub request_id: String,
}

#[derive(Debug, Args)]
pub struct CaseComment {
    /// A case id or resource name (`cases/ID`).
    #[arg(value_name = "CASE", value_parser = names::case_name)]
    pub case: String,
    /// The comment.
    pub text: String,
    /// Idempotency key: a retry with the same key adds nothing again.
    #[arg(long, default_value = "")]
    pub request_id: String,
}

#[derive(Debug, Args)]
pub struct CaseHistory {
    /// A case id or resource name (`cases/ID`).
    #[arg(value_name = "CASE", value_parser = names::case_name)]
    pub case: String,
    #[command(flatten)]
    pub page: PageArgs,
}

#[derive(Debug, Args)]
pub struct CaseWatch {
    /// Start after this global sequence number (0: replay the whole log first).
    #[arg(long, value_name = "SEQ", default_value_t = 0, value_parser = clap::value_parser!(i64).range(0..))]
    pub after: i64,
    /// Only events of cases of this kind.
    #[arg(long)]
    pub kind: Option<String>,
    /// Only events of cases of this department: a code or `departments/CODE`.
    #[arg(long, value_name = "CODE", value_parser = names::department_name)]
    pub department: Option<String>,
    /// Only events of this case: an id or `cases/ID`.
    #[arg(long, value_name = "CASE", value_parser = names::case_name)]
    pub case: Option<String>,
    /// With --output json, print the server's heartbeats too.
    #[arg(long)]
    pub heartbeats: bool,
}
