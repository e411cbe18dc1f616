//! Flags and arguments of `regie frameworks …`: the consultations before a framework is adopted
//! and the observances once it is in force. (Frameworks themselves are cases: `regie cases
//! create --kind framework`.)

use clap::{Args, Subcommand, ValueEnum};
use regie_proto::v1::ConsultationOutcome;

use crate::{names, values};

#[derive(Debug, Subcommand)]
pub enum FrameworkCommand {
    /// Records a consultation with a department in scope, while the framework is in
    /// consultation (coordination decree, art. 2.1: "na overleg"). Repeat --department for a
    /// meeting that consulted several: one call, one consultation each, all or none.
    Consult(FrameworkConsult),
    /// Lists a framework's consultations, oldest first, and the departments not consulted yet.
    Consultations {
        /// A framework: a case id or `cases/ID`.
        #[arg(value_name = "FRAMEWORK", value_parser = names::case_name)]
        framework: String,
    },
    /// Records how a department in scope observes the framework and translates it into its own
    /// organisation, once it is in force (art. 2.2).
    Observe(FrameworkObserve),
    /// Lists the observances recorded for a framework, and the departments that have not
    /// recorded one.
    Observances {
        /// A framework: a case id or `cases/ID`.
        #[arg(value_name = "FRAMEWORK", value_parser = names::case_name)]
        framework: String,
    },
}

/// What a department said in a consultation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Outcome {
    Agrees,
    Concerns,
    Objects,
}

impl From<Outcome> for ConsultationOutcome {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Agrees => ConsultationOutcome::Agrees,
            Outcome::Concerns => ConsultationOutcome::Concerns,
            Outcome::Objects => ConsultationOutcome::Objects,
        }
    }
}

#[derive(Debug, Args)]
pub struct FrameworkConsult {
    /// A framework: a case id or `cases/ID`.
    #[arg(value_name = "FRAMEWORK", value_parser = names::case_name)]
    pub framework: String,
    /// A department consulted: a code or `departments/CODE`. Repeatable: `--department JenV
    /// --department Fin` records the same consultation (body, date, outcome, note) for each, in
    /// one call; if one cannot be recorded (not in scope, named twice), none is.
    #[arg(long, value_name = "CODE", value_parser = names::department_name, required = true)]
    pub department: Vec<String>,
    /// Where the consultation took place, e.g. `IPIM` or `SG-overleg`.
    #[arg(long)]
    pub body: String,
    /// When, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = values::date)]
    pub date: String,
    /// What the department said.
    #[arg(long, value_enum)]
    pub outcome: Outcome,
    /// A note, e.g. the concerns raised.
    #[arg(long, default_value = "")]
    pub note: String,
    /// Only record if the framework still has this etag.
    #[arg(long, default_value = "")]
    pub etag: String,
    /// Idempotency key: a retry with the same key records nothing again.
    #[arg(long, default_value = "")]
    pub request_id: String,
}

#[derive(Debug, Args)]
pub struct FrameworkObserve {
    /// A framework: a case id or `cases/ID`.
    #[arg(value_name = "FRAMEWORK", value_parser = names::case_name)]
    pub framework: String,
    /// The department: a code or `departments/CODE`.
    #[arg(long, value_name = "CODE", value_parser = names::department_name)]
    pub department: String,
    /// How the department observes the framework and translates it into its own rules.
    #[arg(long)]
    pub summary: String,
    /// Since when, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = values::date)]
    pub date: String,
    /// Where the department's own rules are (http or https).
    #[arg(long, value_name = "URL", default_value = "")]
    pub link: String,
    /// Only record if the framework still has this etag.
    #[arg(long, default_value = "")]
    pub etag: String,
    /// Idempotency key: a retry with the same key records nothing again.
    #[arg(long, default_value = "")]
    pub request_id: String,
}
