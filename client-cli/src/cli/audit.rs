//! Flags and arguments of `regie audit …`.

use clap::{Args, Subcommand};

use super::PageArgs;
use crate::{names, values};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Lists events of the audit log, oldest first.
    List(AuditList),
    /// Checks the hash chain of every case, or of one, and the holes in the log (exit 1 when
    /// anything is broken or missing); with --against, also that the log still extends each
    /// signed checkpoint saved by `regie audit checkpoints --file`.
    Verify {
        /// Only this case: an id or `cases/ID`.
        #[arg(long, value_name = "CASE", value_parser = names::case_name)]
        case: Option<String>,
        /// A checkpoints file kept by `regie audit checkpoints --file`: each checkpoint's
        /// signature is checked here against the file's public key, and the server recomputes
        /// the log's head at each from the live log.
        #[arg(long, value_name = "FILE")]
        against: Option<std::path::PathBuf>,
    },
    /// Lists the signed checkpoints of the audit log; with --file, adds the new ones to the
    /// checkpoints file an auditor keeps (created on first use, holding the server's public key).
    Checkpoints {
        /// The checkpoints file to create or extend (JSON). Refused, changing nothing, when the
        /// server signs with another key than the file holds, or a checkpoint differs from the
        /// one the file holds at its sequence.
        #[arg(long, value_name = "FILE")]
        file: Option<std::path::PathBuf>,
    },
    /// Lists the newest denied calls (unauthenticated or not allowed), newest first.
    Denials {
        /// How many (at most 1000).
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i32).range(1..=1000))]
        limit: i32,
    },
}

#[derive(Debug, Args)]
pub struct AuditList {
    /// AIP-160 filter over `case`, `actor`, `type`, `time`, `kind`, `department`.
    #[arg(long, default_value = "")]
    pub filter: String,
    /// Only events of this case: an id or `cases/ID`.
    #[arg(
        long,
        value_name = "CASE",
        value_parser = names::case_name,
        help_heading = "Filters (ANDed with --filter)"
    )]
    pub case: Option<String>,
    /// Only events caused by this actor.
    #[arg(long, help_heading = "Filters (ANDed with --filter)")]
    pub actor: Option<String>,
    /// Only events of this type, e.g. `case.transitioned`.
    #[arg(
        long = "type",
        value_name = "TYPE",
        help_heading = "Filters (ANDed with --filter)"
    )]
    pub event_type: Option<String>,
    /// Only events at or after this time: RFC 3339, or a date YYYY-MM-DD for the start of that
    /// day (00:00) in Europe/Amsterdam.
    #[arg(
        long,
        value_name = "TIME",
        value_parser = values::rfc3339_utc,
        help_heading = "Filters (ANDed with --filter)"
    )]
    pub since: Option<String>,
    #[command(flatten)]
    pub page: PageArgs,
}
