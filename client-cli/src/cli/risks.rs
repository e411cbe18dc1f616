//! Flags and arguments of `regie risks …`: the register of an integrity risk analysis and its
//! heat map. (Analyses themselves are cases: `regie cases create --kind risk_analysis`.)

use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use regie_proto::v1::{RiskCategory, RiskStatus, VulnerableProcess};

use crate::names;

#[derive(Debug, Subcommand)]
pub enum RiskCommand {
    /// Adds a risk to an analysis that is not closed.
    Add(RiskAdd),
    /// Changes the fields of a risk given as flags (at least one).
    Update(RiskUpdate),
    /// Lists an analysis's risks in the order they were added.
    List {
        /// A risk analysis: a case id or `cases/ID`.
        #[arg(value_name = "ANALYSIS", value_parser = names::case_name)]
        analysis: String,
    },
    /// Prints the likelihood x impact heat map of an analysis's rated risks.
    Heatmap {
        /// A risk analysis: a case id or `cases/ID`.
        #[arg(value_name = "ANALYSIS", value_parser = names::case_name)]
        analysis: String,
    },
}

/// The kind of integrity risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Category {
    Corruption,
    /// ondermijning
    Undermining,
    ConflictOfInterest,
    InformationLeak,
    Other,
}

impl From<Category> for RiskCategory {
    fn from(category: Category) -> Self {
        match category {
            Category::Corruption => RiskCategory::Corruption,
            Category::Undermining => RiskCategory::Undermining,
            Category::ConflictOfInterest => RiskCategory::ConflictOfInterest,
            Category::InformationLeak => RiskCategory::InformationLeak,
            Category::Other => RiskCategory::Other,
        }
    }
}

/// The vulnerable process the risk is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Process {
    Procurement,
    Subsidies,
    Permits,
    FinancialTransactions,
    PersonalData,
    SupervisionAndEnforcement,
    Other,
}

impl From<Process> for VulnerableProcess {
    fn from(process: Process) -> Self {
        match process {
            Process::Procurement => VulnerableProcess::Procurement,
            Process::Subsidies => VulnerableProcess::Subsidies,
            Process::Permits => VulnerableProcess::Permits,
            Process::FinancialTransactions => VulnerableProcess::FinancialTransactions,
            Process::PersonalData => VulnerableProcess::PersonalData,
            Process::SupervisionAndEnforcement => VulnerableProcess::SupervisionAndEnforcement,
            Process::Other => VulnerableProcess::Other,
        }
    }
}

/// Where a risk stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Status {
    /// The default for a new risk.
    Open,
    Mitigating,
    Accepted,
    Closed,
}

impl From<Status> for RiskStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Open => RiskStatus::RiskOpen,
            Status::Mitigating => RiskStatus::Mitigating,
            Status::Accepted => RiskStatus::Accepted,
            Status::Closed => RiskStatus::RiskClosed,
        }
    }
}

#[derive(Debug, Args)]
pub struct RiskAdd {
    /// A risk analysis: a case id or `cases/ID`.
    #[arg(value_name = "ANALYSIS", value_parser = names::case_name)]
    pub analysis: String,
    /// A short description of the risk.
    #[arg(long)]
    pub title: String,
    /// The kind of integrity risk.
    #[arg(long, value_enum)]
    pub category: Category,
    /// The vulnerable process it is in.
    #[arg(long, value_enum)]
    pub process: Process,
    #[command(flatten)]
    pub fields: RiskFields,
    /// Only add if the analysis still has this etag.
    #[arg(long, default_value = "")]
    pub etag: String,
    /// Idempotency key: a retry with the same key adds nothing again.
    #[arg(long, default_value = "")]
    pub request_id: String,
}

/// The optional fields of a risk, shared by `risks add` and `risks update`.
#[derive(Debug, Args)]
pub struct RiskFields {
    /// How likely it is, 1 (rare) to 5 (almost certain).
    #[arg(long, value_name = "1-5", value_parser = clap::value_parser!(i32).range(1..=5))]
    pub likelihood: Option<i32>,
    /// How bad it would be, 1 (minor) to 5 (severe).
    #[arg(long, value_name = "1-5", value_parser = clap::value_parser!(i32).range(1..=5))]
    pub impact: Option<i32>,
    /// The measures that control the risk.
    #[arg(long, value_name = "TEXT")]
    pub mitigation: Option<String>,
    /// Who owns the risk and its mitigation.
    #[arg(long)]
    pub owner: Option<String>,
    /// Where the risk stands (a new risk is open).
    #[arg(long, value_enum)]
    pub status: Option<Status>,
}

#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("changes")
        .required(true)
        .multiple(true)
        .args([
            "title", "category", "process", "likelihood", "impact", "mitigation", "owner",
            "status",
        ])
))]
pub struct RiskUpdate {
    /// The risk: `cases/ID/risks/N` (as `risks list` shows it).
    #[arg(value_name = "RISK_NAME", value_parser = names::risk_name)]
    pub risk: String,
    /// New title.
    #[arg(long)]
    pub title: Option<String>,
    /// New category.
    #[arg(long, value_enum)]
    pub category: Option<Category>,
    /// New vulnerable process.
    #[arg(long, value_enum)]
    pub process: Option<Process>,
    #[command(flatten)]
    pub fields: RiskFields,
    /// Only apply the change if the analysis still has this etag.
    #[arg(long, default_value = "")]
    pub etag: String,
    /// Idempotency key: a retry with the same key applies nothing again.
    #[arg(long, default_value = "")]
    pub request_id: String,
}
