//! Flags and arguments of the assessments: `regie criteria-sets …` (the toetsingskaders),
//! `regie cycles …` (the yearly assessment cycles) and `regie report …` (the roll-up).

use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use regie_proto::v1::{Agreement, Evidence, MaturityStage, Rating};

use super::ListArgs;
use crate::{names, values};

#[derive(Debug, Subcommand)]
pub enum CriteriaSetCommand {
    /// Creates a draft criteria set: empty, with the criteria of a file, or copied from another
    /// set (such as the template the server ships).
    Create(CriteriaSetCreate),
    /// Shows one criteria set and its criteria.
    Get {
        /// A criteria set id or resource name (`criteriaSets/ID`).
        #[arg(value_name = "NAME", value_parser = names::criteria_set_name)]
        criteria_set: String,
    },
    /// Lists criteria sets, one page at a time unless --all is given.
    List(ListArgs),
    /// Changes a draft set: the fields given as flags (at least one).
    Update(CriteriaSetUpdate),
    /// Publishes a draft set, so cycles can open against it; from then on it never changes.
    Publish(CriteriaSetRef),
    /// Retires a set: no new cycles open against it (existing cycles keep it).
    Retire(CriteriaSetRef),
}

#[derive(Debug, Args)]
pub struct CriteriaSetCreate {
    /// The set's title, e.g. "Toetsingskader integriteit 2026".
    #[arg(long)]
    pub title: String,
    /// What the set is for.
    #[arg(long, default_value = "")]
    pub description: String,
    /// Take the criteria from this set: an id or `criteriaSets/ID` (e.g. the template).
    #[arg(
        long,
        value_name = "criteriaSets/ID",
        value_parser = names::criteria_set_name,
        conflicts_with = "criteria_file"
    )]
    pub copy_from: Option<String>,
    /// Take the criteria from this file: TOML (`.toml`) or JSON (`.json`), with a `criteria`
    /// list (see README.md).
    #[arg(long, value_name = "FILE")]
    pub criteria_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("changes")
        .required(true)
        .multiple(true)
        .args(["title", "description", "criteria_file"])
))]
pub struct CriteriaSetUpdate {
    /// A criteria set id or resource name (`criteriaSets/ID`).
    #[arg(value_name = "NAME", value_parser = names::criteria_set_name)]
    pub criteria_set: String,
    /// New title.
    #[arg(long)]
    pub title: Option<String>,
    /// New description.
    #[arg(long)]
    pub description: Option<String>,
    /// Replaces every criterion with those of this file (TOML or JSON, see README.md).
    #[arg(long, value_name = "FILE")]
    pub criteria_file: Option<PathBuf>,
    /// Only apply the change if the set still has this etag.
    #[arg(long, default_value = "")]
    pub etag: String,
}

/// A criteria set to publish or retire.
#[derive(Debug, Args)]
pub struct CriteriaSetRef {
    /// A criteria set id or resource name (`criteriaSets/ID`).
    #[arg(value_name = "NAME", value_parser = names::criteria_set_name)]
    pub criteria_set: String,
    /// Only apply the change if the set still has this etag.
    #[arg(long, default_value = "")]
    pub etag: String,
}

#[derive(Debug, Subcommand)]
pub enum CycleCommand {
    /// Opens a year's assessment cycles against a published criteria set: one per active
    /// department in the sector Rijk (or per --department). Running it again opens nothing new.
    Open(CycleOpen),
    /// Rates one criterion of a cycle in self-assessment (rating a carried-over criterion again
    /// confirms it).
    Rate(CycleRate),
    /// Lists a cycle's ratings in the order of its criteria set, and the criteria not rated yet.
    Ratings {
        /// A cycle: a case id or `cases/ID`.
        #[arg(value_name = "CYCLE", value_parser = names::case_name)]
        cycle: String,
    },
    /// Records (or corrects) the yearly dialogue of a cycle in review or reviewed.
    Dialogue(CycleDialogue),
    /// Shows what changed in a department's ratings between two years.
    Compare(CycleCompare),
}

#[derive(Debug, Args)]
pub struct CycleOpen {
    /// The year assessed, e.g. 2026.
    #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=2200))]
    pub year: i32,
    /// The published criteria set: an id or `criteriaSets/ID`.
    #[arg(long, value_name = "NAME", value_parser = names::criteria_set_name)]
    pub criteria_set: String,
    /// Start from each department's ratings of the year before (marked carried over until
    /// rated again).
    #[arg(long)]
    pub carry_over: bool,
    /// Only this department: a code or `departments/CODE`. Repeatable; none: every active
    /// department in the sector Rijk.
    #[arg(long = "department", value_name = "CODE", value_parser = names::department_name)]
    pub departments: Vec<String>,
}

/// How well a criterion is met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RatingValue {
    /// wel: met.
    Met,
    /// ten dele: partially met.
    PartiallyMet,
    /// niet: not met (needs a justification before the cycle is submitted).
    NotMet,
    /// Not applicable to the department (needs a justification before submitting).
    NotApplicable,
}

/// Parses `--rating` in every reasonable spelling: as the flag spells it (`partially-met`), as
/// the roll-up and the API do (`partially_met`, `PARTIALLY_MET`), or in words ("partially
/// met"). Help and completions offer the flag's spelling.
#[derive(Debug, Clone, Copy)]
pub struct RatingParser;

impl RatingParser {
    /// `PARTIALLY_MET`, `partially_met` and "Partially  met" all become `partially-met`.
    pub fn normalise(text: &str) -> String {
        text.to_lowercase()
            .replace(['_', '-'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-")
    }
}

impl clap::builder::TypedValueParser for RatingParser {
    type Value = RatingValue;

    fn parse_ref(
        &self,
        command: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<RatingValue, clap::Error> {
        let parser = clap::builder::EnumValueParser::<RatingValue>::new();
        let normalised = value.to_str().map(Self::normalise);
        match normalised {
            Some(text) => parser
                .parse_ref(command, arg, std::ffi::OsStr::new(&text))
                // The error names the value as the user wrote it.
                .or_else(|_| parser.parse_ref(command, arg, value)),
            None => parser.parse_ref(command, arg, value),
        }
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            RatingValue::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

impl From<RatingValue> for Rating {
    fn from(rating: RatingValue) -> Self {
        match rating {
            RatingValue::Met => Rating::Met,
            RatingValue::PartiallyMet => Rating::PartiallyMet,
            RatingValue::NotMet => Rating::NotMet,
            RatingValue::NotApplicable => Rating::NotApplicable,
        }
    }
}

/// How far the department has come with a criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Maturity {
    Starting,
    Awareness,
    Implementation,
    EmbeddedAndEvaluated,
}

impl From<Maturity> for MaturityStage {
    fn from(maturity: Maturity) -> Self {
        match maturity {
            Maturity::Starting => MaturityStage::Starting,
            Maturity::Awareness => MaturityStage::Awareness,
            Maturity::Implementation => MaturityStage::Implementation,
            Maturity::EmbeddedAndEvaluated => MaturityStage::EmbeddedAndEvaluated,
        }
    }
}

#[derive(Debug, Args)]
pub struct CycleRate {
    /// A cycle: a case id or `cases/ID`.
    #[arg(value_name = "CYCLE", value_parser = names::case_name)]
    pub cycle: String,
    /// The criterion's code, e.g. `BN-05`.
    #[arg(value_name = "CRITERION")]
    pub criterion: String,
    /// The rating. Also spelt with `_` or a space, in any case (`partially_met`,
    /// `PARTIALLY_MET`, "partially met").
    #[arg(long, value_parser = RatingParser)]
    pub rating: RatingValue,
    /// Why: required for not-met and not-applicable before the cycle is submitted.
    #[arg(long, default_value = "")]
    pub justification: String,
    /// A piece of evidence, `TITLE|URL|OWNER|VALID_UNTIL` (only TITLE is required; URL
    /// http(s), VALID_UNTIL YYYY-MM-DD). Repeatable.
    #[arg(
        long,
        value_name = "TITLE|URL|OWNER|VALID_UNTIL",
        value_parser = values::evidence
    )]
    pub evidence: Vec<Evidence>,
    /// The maturity stage reached.
    #[arg(long, value_enum)]
    pub maturity: Option<Maturity>,
    /// Only rate if the cycle still has this etag.
    #[arg(long, default_value = "")]
    pub etag: String,
    /// Idempotency key: a retry with the same key rates nothing again.
    #[arg(long, default_value = "")]
    pub request_id: String,
}

#[derive(Debug, Args)]
pub struct CycleDialogue {
    /// A cycle: a case id or `cases/ID`.
    #[arg(value_name = "CYCLE", value_parser = names::case_name)]
    pub cycle: String,
    /// When the dialogue took place, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = values::date)]
    pub date: String,
    /// Someone who took part, e.g. "Jan Jansen (BZK)". Repeatable; at least one.
    #[arg(long = "participant", value_name = "NAME", required = true)]
    pub participants: Vec<String>,
    /// What was discussed.
    #[arg(long)]
    pub summary: String,
    /// An agreement made, `TEXT|OWNER|DUE`: what was agreed, who carries it out and by when
    /// (a date YYYY-MM-DD, the end of that day in Europe/Amsterdam, or an RFC 3339 time); OWNER
    /// and DUE may be left out (`"TEXT"`, `"TEXT|OWNER"`, `"TEXT||2027-06-30"`). Each becomes a
    /// follow-up work item of the department when the cycle closes, assigned to OWNER and due
    /// at DUE. Repeatable, e.g. --agreement "Vertrouwenspersonen zichtbaarder maken|Karim El
    /// Idrissi|2027-03-31".
    #[arg(long = "agreement", value_name = "TEXT|OWNER|DUE", value_parser = values::agreement)]
    pub agreements: Vec<Agreement>,
    /// Only record if the cycle still has this etag.
    #[arg(long, default_value = "")]
    pub etag: String,
    /// Idempotency key: a retry with the same key records nothing again.
    #[arg(long, default_value = "")]
    pub request_id: String,
}

#[derive(Debug, Args)]
pub struct CycleCompare {
    /// The department: a code or `departments/CODE`.
    #[arg(long, value_name = "CODE", value_parser = names::department_name)]
    pub department: String,
    /// The earlier year.
    #[arg(long, value_name = "YEAR", value_parser = clap::value_parser!(i32).range(1900..=2200))]
    pub from: i32,
    /// The later year.
    #[arg(long, value_name = "YEAR", value_parser = clap::value_parser!(i32).range(1900..=2200))]
    pub to: i32,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// A year's cycles as a department x criterion matrix, with completion per department and
    /// per criterion: a table, CSV, or one self-contained HTML page to mail around.
    Rollup(ReportRollup),
}

/// How `report rollup` renders the roll-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// A table for the terminal (with --output json: the Rollup message instead).
    Table,
    /// CSV with a header row, and a last row with the completion per criterion.
    Csv,
    /// One self-contained HTML page (inline CSS, no scripts or external resources).
    Html,
}

#[derive(Debug, Args)]
pub struct ReportRollup {
    /// The year of the cycles.
    #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=2200))]
    pub year: i32,
    /// Only cycles against this criteria set: an id or `criteriaSets/ID` (none: every set).
    #[arg(long, value_name = "NAME", value_parser = names::criteria_set_name)]
    pub criteria_set: Option<String>,
    /// How to render it.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Write the report to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// The language of headings, labels, legends and criterion titles.
    #[arg(long, value_enum, default_value_t = crate::report::Lang::Nl)]
    pub lang: crate::report::Lang,
}
