//! Flags and arguments of `regie departments …` and `regie groups …`.

use clap::{ArgAction, Args, Subcommand};

use super::ListArgs;
use crate::names::{self, MemberSpec};

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
