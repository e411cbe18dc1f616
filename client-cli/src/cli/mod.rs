//! The command line: every flag, argument and subcommand of `regie`, as clap derive definitions.
//!
//! Values are checked and normalised here (resource names, `CODE[:ROLE]` members, the server
//! address), so a bad argument is a usage error (exit 2) before any call is made.

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use crate::connection::normalise_server;
use crate::names::{self, MemberSpec};

/// The exit codes, shown after the top-level help and repeated in README.md.
const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  other error (INTERNAL, UNKNOWN, ...), or `health` reports anything but SERVING
  2  usage error (bad flags or arguments)
  3  INVALID_ARGUMENT or OUT_OF_RANGE
  4  NOT_FOUND
  5  ALREADY_EXISTS or ABORTED (conflict: re-read and retry)
  6  FAILED_PRECONDITION
  7  UNAUTHENTICATED or PERMISSION_DENIED
  8  UNAVAILABLE or DEADLINE_EXCEEDED, or the server cannot be reached";

/// Command-line client for the Regie server: departments and working groups.
#[derive(Debug, Parser)]
#[command(name = "regie", version, after_long_help = EXIT_CODES, after_help = EXIT_CODES)]
pub struct Cli {
    /// Server address: a URL, or `host:port` (then `http://` is assumed).
    #[arg(
        long,
        env = "REGIE_SERVER",
        default_value = "http://127.0.0.1:50051",
        value_parser = normalise_server,
        global = true
    )]
    pub server: String,

    /// How to print results: a table, or the protobuf JSON mapping of the response.
    #[arg(
        long,
        env = "REGIE_OUTPUT",
        value_enum,
        default_value_t = OutputFormat::Table,
        global = true
    )]
    pub output: OutputFormat,

    /// Give up on each call after this many seconds.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true
    )]
    pub timeout: u64,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Asks the server's gRPC health service whether it is serving (exit 0 only when SERVING).
    Health {
        /// The service to ask about; empty means the server as a whole.
        #[arg(long, default_value = "")]
        service: String,
    },
    /// Departments (ministries).
    #[command(subcommand)]
    Departments(DepartmentCommand),
    /// Working groups and their members.
    #[command(subcommand)]
    Groups(GroupCommand),
}

/// Paging and selection flags shared by the list commands.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// AIP-160 filter, e.g. `active = true`.
    #[arg(long, default_value = "")]
    pub filter: String,
    /// Comma-separated fields, each optionally followed by `desc`.
    #[arg(long, default_value = "")]
    pub order_by: String,
    /// Results per page (0: the server's default).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(i32).range(0..))]
    pub page_size: i32,
    /// Start at this page (the token printed after the previous page).
    #[arg(long, default_value = "")]
    pub page_token: String,
    /// Follow page tokens to the end and print every result.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Subcommand)]
pub enum DepartmentCommand {
    /// Lists departments, one page at a time unless --all is given.
    List(ListArgs),
    /// Shows one department.
    Get {
        /// A department code (`JenV`) or resource name (`departments/JenV`).
        #[arg(value_name = "CODE_OR_NAME", value_parser = names::department_name)]
        department: String,
    },
    /// Adds a department.
    Create(DepartmentCreate),
    /// Changes the fields given as flags (at least one).
    Update(DepartmentUpdate),
}

#[derive(Debug, Args)]
pub struct DepartmentCreate {
    /// Short code: a letter, then up to 15 letters or digits (e.g. `BZK`).
    #[arg(long)]
    pub code: String,
    /// Full name in Dutch.
    #[arg(long)]
    pub name_nl: String,
    /// Full name in English.
    #[arg(long)]
    pub name_en: String,
    /// The department falls outside the coordinating role of the Minister of BZK.
    #[arg(long)]
    pub outside_sector_rijk: bool,
    /// Create the department inactive.
    #[arg(long)]
    pub inactive: bool,
}

#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("changes")
        .required(true)
        .multiple(true)
        .args(["name_nl", "name_en", "in_sector_rijk", "active"])
))]
pub struct DepartmentUpdate {
    /// A department code (`JenV`) or resource name (`departments/JenV`).
    #[arg(value_name = "CODE_OR_NAME", value_parser = names::department_name)]
    pub department: String,
    /// New Dutch name.
    #[arg(long)]
    pub name_nl: Option<String>,
    /// New English name.
    #[arg(long)]
    pub name_en: Option<String>,
    /// Whether the department falls under the coordinating role of the Minister of BZK.
    #[arg(long, value_name = "true|false", action = ArgAction::Set)]
    pub in_sector_rijk: Option<bool>,
    /// Whether the department is active.
    #[arg(long, value_name = "true|false", action = ArgAction::Set)]
    pub active: Option<bool>,
    /// Only apply the change if the department still has this etag.
    #[arg(long, default_value = "")]
    pub etag: String,
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Lists working groups, one page at a time unless --all is given.
    List(ListArgs),
    /// Shows one working group and its members.
    Get {
        /// A working group id or resource name (`workingGroups/ID`).
        #[arg(value_name = "ID_OR_NAME", value_parser = names::group_name)]
        group: String,
    },
    /// Creates a working group.
    Create(GroupCreate),
    /// Changes the fields given as flags (at least one).
    Update(GroupUpdate),
    /// Adds a department or a person to a working group.
    AddMember(GroupAddMember),
    /// Removes a department or a person from a working group.
    RemoveMember(GroupRemoveMember),
}

#[derive(Debug, Args)]
pub struct GroupCreate {
    /// Display name, e.g. "IPIM werkgroep kwaliteitscriteria".
    #[arg(long)]
    pub name: String,
    /// The chairing department: a code or `departments/CODE`.
    #[arg(long, value_parser = names::department_name)]
    pub chair: String,
    /// What the group is asked to do.
    #[arg(long, default_value = "")]
    pub mandate: String,
    /// The id to use (lower-case letters, digits, hyphens); the server chooses one if omitted.
    #[arg(long, value_parser = names::group_id)]
    pub id: Option<String>,
    /// A member department, optionally with a role (`JenV:secretary`). Repeatable.
    #[arg(long, value_name = "CODE[:ROLE]", value_parser = names::department_member)]
    pub member_department: Vec<MemberSpec>,
    /// A member person, optionally with a role (`"Jan Jansen:secretary"`). Repeatable.
    #[arg(long, value_name = "NAME[:ROLE]", value_parser = names::person_member)]
    pub member_person: Vec<MemberSpec>,
}

#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("changes")
        .required(true)
        .multiple(true)
        .args(["name", "mandate", "chair", "active"])
))]
pub struct GroupUpdate {
    /// A working group id or resource name (`workingGroups/ID`).
    #[arg(value_name = "ID_OR_NAME", value_parser = names::group_name)]
    pub group: String,
    /// New display name.
    #[arg(long)]
    pub name: Option<String>,
    /// New mandate.
    #[arg(long)]
    pub mandate: Option<String>,
    /// New chairing department: a code or `departments/CODE`.
    #[arg(long, value_parser = names::department_name)]
    pub chair: Option<String>,
    /// Whether the group is active.
    #[arg(long, value_name = "true|false", action = ArgAction::Set)]
    pub active: Option<bool>,
    /// Only apply the change if the group still has this etag.
    #[arg(long, default_value = "")]
    pub etag: String,
}

/// Which member a command is about: exactly one of a department and a person.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct MemberWho {
    /// A department: a code or `departments/CODE`.
    #[arg(long, value_parser = names::department_name)]
    pub department: Option<String>,
    /// A person, by name.
    #[arg(long, value_parser = names::person_name)]
    pub person: Option<String>,
}

#[derive(Debug, Args)]
pub struct GroupAddMember {
    /// A working group id or resource name (`workingGroups/ID`).
    #[arg(value_name = "ID_OR_NAME", value_parser = names::group_name)]
    pub group: String,
    #[command(flatten)]
    pub who: MemberWho,
    /// The member's role, e.g. `secretary` (the server's default is `member`).
    #[arg(long, default_value = "")]
    pub role: String,
    /// Only apply the change if the group still has this etag.
    #[arg(long, default_value = "")]
    pub etag: String,
}

#[derive(Debug, Args)]
pub struct GroupRemoveMember {
    /// A working group id or resource name (`workingGroups/ID`).
    #[arg(value_name = "ID_OR_NAME", value_parser = names::group_name)]
    pub group: String,
    #[command(flatten)]
    pub who: MemberWho,
    /// Only apply the change if the group still has this etag.
    #[arg(long, default_value = "")]
    pub etag: String,
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser, error::ErrorKind};

    use super::*;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn update_without_changes_is_a_usage_error() {
        let err = Cli::try_parse_from(["regie", "departments", "update", "BZK"])
            .expect_err("no changes given");
        assert_eq!(err.kind(), ErrorKind::MissingRequiredArgument);
        assert_eq!(err.exit_code(), 2);
        let err = Cli::try_parse_from(["regie", "groups", "update", "g1", "--etag", "x"])
            .expect_err("an etag alone changes nothing");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn member_needs_exactly_one_of_department_and_person() {
        let both = ["regie", "groups", "add-member", "g1", "--department", "BZK"];
        let both = both.into_iter().chain(["--person", "Jan"]);
        assert!(Cli::try_parse_from(both).is_err());
        assert!(Cli::try_parse_from(["regie", "groups", "remove-member", "g1"]).is_err());
    }

    #[test]
    fn arguments_are_normalised() {
        let cli = Cli::try_parse_from([
            "regie",
            "--server",
            "localhost:9",
            "departments",
            "update",
            "JenV",
            "--active",
            "false",
        ])
        .expect("valid command line");
        assert_eq!(cli.server, "http://localhost:9");
        let Command::Departments(DepartmentCommand::Update(update)) = cli.command else {
            panic!("parsed as the wrong command");
        };
        assert_eq!(update.department, "departments/JenV");
        assert_eq!(update.active, Some(false));
        assert_eq!(update.in_sector_rijk, None);
    }
}
