//! Flags and arguments of `regie import …`: bulk creation from files.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Creates a work item per row of a CSV file. Every row is checked first (and every
    /// department and working group it names); if any row is bad, every problem is listed with
    /// its line number and nothing is created (exit 3). Rows imported before are skipped, so
    /// running it again is safe.
    WorkItems(ImportWorkItems),
}

#[derive(Debug, Args)]
pub struct ImportWorkItems {
    /// The CSV file, with a header row. Columns: title (required), description, department,
    /// working_group, assignee, labels (`;`-separated), due_time (RFC 3339, or YYYY-MM-DD for
    /// the end of that day in UTC), parent (`cases/ID`).
    #[arg(value_name = "FILE.csv")]
    pub file: PathBuf,
    /// Only check the file and say what would be created; create nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// How many work items to create at the same time.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 8,
        value_parser = clap::value_parser!(u16).range(1..=32)
    )]
    pub parallel: u16,
}
