//! Flags and arguments of access control: `regie principals …`, `tokens …`, `roles …`,
//! `policies …` and `access check`. (`login`, `logout` and `whoami` take only the global flags.)

use std::time::Duration;

use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use regie_proto::v1::principal::Kind;

use super::{ListArgs, PageArgs};
use crate::{names, values};

#[derive(Debug, Subcommand)]
pub enum PrincipalCommand {
    /// Lists principals, one page at a time unless --all is given.
    List(ListArgs),
    /// Shows one principal.
    Get {
        /// A principal id (`anna`) or resource name (`principals/anna`).
        #[arg(value_name = "ID_OR_NAME", value_parser = names::principal_name)]
        principal: String,
    },
    /// Adds a person or a service account.
    Create(PrincipalCreate),
    /// Changes the fields given as flags (at least one).
    Update(PrincipalUpdate),
}

/// What a principal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrincipalKind {
    /// A person, who logs in with a token issued to them.
    Person,
    /// A program, such as a nightly import.
    ServiceAccount,
}

impl From<PrincipalKind> for Kind {
    fn from(kind: PrincipalKind) -> Self {
        match kind {
            PrincipalKind::Person => Kind::Person,
            PrincipalKind::ServiceAccount => Kind::ServiceAccount,
        }
    }
}

#[derive(Debug, Args)]
pub struct PrincipalCreate {
    /// The new principal's id: lower-case letters, digits, `.`, `_` or `-` (`principals/ID` is
    /// accepted too).
    #[arg(value_name = "ID", value_parser = names::principal_id)]
    pub id: String,
    /// The name shown for the principal, e.g. "Anna de Vries".
    #[arg(long)]
    pub display_name: String,
    /// A person or a service account.
    #[arg(long, value_enum, default_value_t = PrincipalKind::Person)]
    pub kind: PrincipalKind,
    /// The department the principal belongs to: a code or `departments/CODE`.
    #[arg(long, value_name = "CODE", value_parser = names::department_name)]
    pub home_department: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("changes")
        .required(true)
        .multiple(true)
        .args(["display_name", "home_department", "disable", "enable"])
))]
pub struct PrincipalUpdate {
    /// A principal id (`anna`) or resource name (`principals/anna`).
    #[arg(value_name = "ID_OR_NAME", value_parser = names::principal_name)]
    pub principal: String,
    /// New display name.
    #[arg(long)]
    pub display_name: Option<String>,
    /// New home department: a code or `departments/CODE`; `""` for none.
    #[arg(long, value_name = "CODE", value_parser = names::department_name_or_empty)]
    pub home_department: Option<String>,
    /// Disable the principal: its tokens are refused from the next call on.
    #[arg(long, conflicts_with = "enable")]
    pub disable: bool,
    /// Enable a disabled principal again.
    #[arg(long)]
    pub enable: bool,
    /// Only apply the change if the principal still has this etag.
    #[arg(long, default_value = "")]
    pub etag: String,
}

impl PrincipalUpdate {
    /// The new value of `disabled`, if --disable or --enable was given.
    pub fn disabled(&self) -> Option<bool> {
        match (self.disable, self.enable) {
            (true, _) => Some(true),
            (false, true) => Some(false),
            (false, false) => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issues a token for a principal and prints its secret: the only time it is shown.
    Issue(TokenIssue),
    /// Lists tokens, of every principal or of one.
    List(TokenList),
    /// Revokes a token: it is refused from the next call on. Revoking twice is not an error.
    Revoke {
        /// A token id or resource name (`tokens/ID`).
        // Not called `token`: clap would take it for the global --token.
        #[arg(value_name = "ID_OR_NAME", value_parser = names::token_name)]
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct TokenIssue {
    /// The principal the token authenticates: an id or `principals/ID`.
    #[arg(long, value_name = "ID", value_parser = names::principal_name)]
    pub principal: String,
    /// What the token is for, e.g. "laptop" or "nightly import".
    #[arg(long, default_value = "")]
    pub display_name: String,
    /// How long the token is valid: a number and a unit, s, m, h, d or w (`90d`, `12h`,
    /// `30m`). Without it the token does not expire.
    #[arg(long, value_name = "DURATION", value_parser = values::duration)]
    pub expires_in: Option<Duration>,
}

#[derive(Debug, Subcommand)]
pub enum ConsoleCommand {
    /// Issues a one-time sign-in link to the web console for a principal and prints it: it
    /// works once, within 15 minutes. Send it to the person; opening it and pressing "Aanmelden"
    /// signs them in. Disabling the principal ends the sessions opened with it.
    Invite {
        /// The principal to sign in: an id or `principals/ID`.
        #[arg(long, value_name = "ID", value_parser = names::principal_name)]
        principal: String,
    },
}

#[derive(Debug, Args)]
pub struct TokenList {
    /// Only this principal's tokens: an id or `principals/ID`.
    #[arg(long, value_name = "ID", value_parser = names::principal_name)]
    pub principal: Option<String>,
    #[command(flatten)]
    pub page: PageArgs,
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Gives a principal a role in a domain (ALREADY_EXISTS, exit 5, if it holds it there).
    Grant(RoleBindingArgs),
    /// Takes a role in a domain away (NOT_FOUND, exit 4, if it is not held there).
    Revoke(RoleBindingArgs),
    /// Lists role bindings, narrowed by the flags given.
    List(RoleList),
}

#[derive(Debug, Args)]
pub struct RoleBindingArgs {
    /// The principal: an id or `principals/ID`.
    #[arg(long, value_name = "ID", value_parser = names::principal_name)]
    pub principal: String,
    /// The role, e.g. `integrity_coordinator`.
    #[arg(long, value_parser = names::role)]
    pub role: String,
    /// Where the role is held: `rijk` (every department) or a department code.
    #[arg(long, value_parser = names::domain)]
    pub domain: String,
}

#[derive(Debug, Args)]
pub struct RoleList {
    /// Only this principal's roles: an id or `principals/ID`.
    #[arg(long, value_name = "ID", value_parser = names::principal_name)]
    pub principal: Option<String>,
    /// Only this role.
    #[arg(long, value_parser = names::role)]
    pub role: Option<String>,
    /// Only roles held in this domain: `rijk` or a department code.
    #[arg(long, value_parser = names::domain)]
    pub domain: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Lists the policy lines: what each role may do.
    List {
        /// Only this role's lines.
        #[arg(long, value_parser = names::role)]
        role: Option<String>,
    },
    /// Adds a policy line, which applies from the next call on (ALREADY_EXISTS, exit 5, if
    /// present).
    Add(PolicyLine),
    /// Removes a policy line (NOT_FOUND, exit 4, if absent).
    Remove(PolicyLine),
}

/// One policy line: ROLE may do ACTION on OBJECT in DOMAIN.
#[derive(Debug, Args)]
pub struct PolicyLine {
    /// The role the line is about.
    #[arg(value_parser = names::role)]
    pub role: String,
    /// `rijk`, a department code, or `*` for "in the domain where the role is held".
    #[arg(value_parser = names::domain)]
    pub domain: String,
    /// What is acted on, e.g. `case:assessment_cycle`; may end in `*` (`case:*`).
    pub object: String,
    /// The action, e.g. `rate`; may end in `*` (`transition:*`).
    pub action: String,
}

#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Asks whether a principal (or a role) may do an action on an object in a domain. Prints
    /// ALLOWED (exit 0) or DENIED (exit 7), the reason, and the policy lines and role bindings
    /// that decided it.
    Check(AccessCheck),
}

/// Whose access is checked: a principal with its roles, or one role as if held in the domain.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct CheckSubject {
    /// A principal: an id or `principals/ID`; its roles are taken into account.
    #[arg(long, value_name = "ID", value_parser = names::principal_name)]
    pub principal: Option<String>,
    /// A role, as if held in --domain.
    #[arg(long, value_parser = names::role)]
    pub role: Option<String>,
}

#[derive(Debug, Args)]
pub struct AccessCheck {
    #[command(flatten)]
    pub subject: CheckSubject,
    /// `rijk` or a department code.
    #[arg(long, value_parser = names::domain)]
    pub domain: String,
    /// What is acted on, e.g. `case:assessment_cycle`.
    #[arg(long)]
    pub object: String,
    /// The action, e.g. `rate`.
    #[arg(long)]
    pub action: String,
}
