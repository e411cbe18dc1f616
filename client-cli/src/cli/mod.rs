//! The command line: every flag, argument and subcommand of `regie`, as clap derive definitions.
//!
//! Values are checked and normalised here (resource names, `CODE[:ROLE]` members, times, the
//! server address), and [`Cli::checked`] adds the few checks clap cannot express, so a bad
//! argument is a usage error (exit 2) before any call is made. One submodule per subject.
//!
//! `--server` and `--token` have no clap default: when neither the flag nor its environment
//! variable is given, the value comes from the profile, and only then from a built-in default
//! (see `settings`).

mod access;
mod assessment;
mod audit;
mod cases;
mod directory;
mod frameworks;
mod import;
mod risks;
mod workflows;

use clap::{Args, CommandFactory as _, Parser, Subcommand, ValueEnum, error::ErrorKind};

pub use self::access::*;
pub use self::assessment::*;
pub use self::audit::*;
pub use self::cases::*;
pub use self::directory::*;
pub use self::frameworks::*;
pub use self::import::*;
pub use self::risks::*;
pub use self::workflows::*;
use crate::connection::normalise_server;

/// The exit codes, shown after the top-level help and repeated in README.md.
const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  other error (INTERNAL, UNKNOWN, ...), `health` reports anything but SERVING,
     or `audit verify` finds a broken hash chain
  2  usage error (bad flags or arguments, an unknown --profile, no token for `login`)
  3  INVALID_ARGUMENT or OUT_OF_RANGE, or a file given (`import`, --criteria-file) is invalid
  4  NOT_FOUND
  5  ALREADY_EXISTS or ABORTED (conflict: re-read and retry)
  6  FAILED_PRECONDITION
  7  UNAUTHENTICATED or PERMISSION_DENIED, or `access check` answers DENIED
  8  UNAVAILABLE or DEADLINE_EXCEEDED, or the server cannot be reached";

/// Command-line client for the Regie server: departments, working groups, cases and their
/// workflows, assessments, frameworks, risk analyses, the audit log, and access control.
///
/// Every call carries an API token. `regie login` stores one (with the server address) in a
/// profile; --token or REGIE_TOKEN beats the profile.
#[derive(Debug, Parser)]
#[command(name = "regie", version, after_long_help = EXIT_CODES, after_help = EXIT_CODES)]
pub struct Cli {
    /// Server address: a URL, `http://` (plaintext) or `https://` (TLS), or `host:port` (then
    /// `http://` is assumed). Without it: the profile's server, else http://127.0.0.1:50051.
    #[arg(
        long,
        env = "REGIE_SERVER",
        value_name = "URL",
        value_parser = normalise_server,
        global = true
    )]
    pub server: Option<String>,

    /// For an https:// server: the CA certificate (PEM) its certificate must be signed by,
    /// instead of the system's trust store. Without it: the profile's (`login` saves it).
    #[arg(long, env = "REGIE_CA_CERT", value_name = "FILE", global = true)]
    pub ca_cert: Option<std::path::PathBuf>,

    /// API token sent as `authorization: Bearer <SECRET>` on every call. Without it: the
    /// profile's token.
    #[arg(
        long,
        env = "REGIE_TOKEN",
        value_name = "SECRET",
        hide_env_values = true,
        global = true
    )]
    pub token: Option<String>,

    /// The profile (in the profiles file) that supplies the server and token not given as flags
    /// [default: default].
    #[arg(long, env = "REGIE_PROFILE", value_name = "NAME", global = true)]
    pub profile: Option<String>,

    /// How to print results: a table, or the protobuf JSON mapping of the response.
    #[arg(
        short = 'o',
        long,
        env = "REGIE_OUTPUT",
        value_enum,
        default_value_t = OutputFormat::Table,
        global = true
    )]
    pub output: OutputFormat,

    /// Send a W3C `traceparent` of this run's own with every call, so that the server's work for
    /// it forms one trace, and print the trace id on stderr. With `TRACEPARENT` set in the
    /// environment, calls join that trace instead (flag or not).
    #[arg(long, global = true)]
    pub trace: bool,

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

// Made once per run, so the size of the largest variant (`cases create` with the details of
// every kind) costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Checks an API token with the server (WhoAmI), then saves it and the server address in the
    /// profile. The token comes from --token or REGIE_TOKEN, else from stdin (one line).
    Login,
    /// Removes the token from the profile (the token stays valid on the server until revoked).
    Logout,
    /// Shows who the server takes you for: your principal and your roles per domain.
    Whoami,
    /// Asks the server's gRPC health service whether it is serving (exit 0 only when SERVING).
    Health {
        /// The service to ask about; empty means the server as a whole.
        #[arg(long, default_value = "")]
        service: String,
    },
    /// What awaits you ("Mijn werk"): the open cases assigned to you, and those of your own
    /// department (or government-wide, for a role held in rijk) in a state with a transition
    /// open to you. Overdue first, then due soon, then by due date; counts at the end.
    MyWork {
        /// Only cases of this kind (work_item, recommendation, framework, assessment_cycle,
        /// risk_analysis).
        #[arg(long)]
        kind: Option<String>,
        /// "Due soon" means due within this many days (0: the server's default, 14).
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(i32).range(0..=365))]
        due_soon_days: i32,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Departments (ministries).
    #[command(subcommand)]
    Departments(DepartmentCommand),
    /// Working groups and their members.
    #[command(subcommand)]
    Groups(GroupCommand),
    /// Cases of all five kinds (working-group items, recommendations, frameworks, assessment
    /// cycles, risk analyses): create, change, move through their workflow, watch.
    #[command(subcommand)]
    Cases(CaseCommand),
    /// Criteria sets (toetsingskaders) that departments are assessed against.
    #[command(subcommand)]
    CriteriaSets(CriteriaSetCommand),
    /// Yearly assessment cycles: open them, rate criteria, record the dialogue, compare years.
    #[command(subcommand)]
    Cycles(CycleCommand),
    /// Frameworks (kaders): consultations before adoption, observances once in force.
    #[command(subcommand)]
    Frameworks(FrameworkCommand),
    /// The risks of an integrity risk analysis, and its heat map.
    #[command(subcommand)]
    Risks(RiskCommand),
    /// Reports over the assessment cycles of a year.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Creates cases in bulk from a file, checking every row first.
    #[command(subcommand)]
    Import(ImportCommand),
    /// The workflows of the case kinds, and the rules their guards name.
    #[command(subcommand)]
    Workflows(WorkflowCommand),
    /// The audit log of every change to every case, and its hash chains.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Principals: the people and service accounts that call the API.
    #[command(subcommand)]
    Principals(PrincipalCommand),
    /// API tokens: issue (the secret is shown once), list, revoke.
    #[command(subcommand)]
    Tokens(TokenCommand),
    /// The web console: one-time sign-in links.
    #[command(subcommand)]
    Console(ConsoleCommand),
    /// Role bindings: which principal holds which role in which domain.
    #[command(subcommand)]
    Roles(RoleCommand),
    /// Policy lines: what each role may do, on what, where.
    #[command(subcommand)]
    Policies(PolicyCommand),
    /// Asks the server whether an action would be allowed, and why.
    #[command(subcommand)]
    Access(AccessCommand),
    /// Prints the shell completion script for bash, zsh or fish (no server needed), e.g.
    /// `regie completions bash > ~/.local/share/bash-completion/completions/regie`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: CompletionShell,
    },
}

/// The shells `regie completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

impl From<CompletionShell> for clap_complete::Shell {
    fn from(shell: CompletionShell) -> Self {
        match shell {
            CompletionShell::Bash => clap_complete::Shell::Bash,
            CompletionShell::Zsh => clap_complete::Shell::Zsh,
            CompletionShell::Fish => clap_complete::Shell::Fish,
        }
    }
}

/// Writes the completion script for `shell` of the whole command line, as `regie`.
pub fn write_completions(shell: CompletionShell, out: &mut dyn std::io::Write) {
    let mut command = Cli::command();
    clap_complete::generate(
        clap_complete::Shell::from(shell),
        &mut command,
        "regie",
        out,
    );
}

impl Cli {
    /// The checks that clap cannot express, as usage errors in clap's own format (exit 2).
    pub fn checked(self) -> Result<Self, clap::Error> {
        let (path, outcome) = match &self.command {
            Command::Cases(CaseCommand::Create(create)) => (["cases", "create"], create.check()),
            Command::Cases(CaseCommand::Update(update)) => (["cases", "update"], update.check()),
            Command::Workflows(WorkflowCommand::Show(workflow)) => {
                (["workflows", "show"], workflow.name().map(drop))
            }
            Command::Workflows(WorkflowCommand::Diagram { workflow, .. }) => {
                (["workflows", "diagram"], workflow.name().map(drop))
            }
            _ => return Ok(self),
        };
        match outcome {
            Ok(()) => Ok(self),
            Err(message) => Err(usage_error(&path, message)),
        }
    }
}

/// A usage error showing the usage of the subcommand at `path` (e.g. `cases create`).
fn usage_error(path: &[&str], message: String) -> clap::Error {
    let mut command = Cli::command();
    // Building names the subcommands `regie cases create` etc. for their usage lines.
    command.build();
    for name in path {
        let Some(subcommand) = command.find_subcommand(name).cloned() else {
            break;
        };
        command = subcommand;
    }
    command.error(ErrorKind::ArgumentConflict, message)
}

/// Selection and paging flags shared by the list commands.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// AIP-160 filter, e.g. `active = true`.
    #[arg(long, default_value = "")]
    pub filter: String,
    /// Comma-separated fields, each optionally followed by `desc`.
    #[arg(long, default_value = "")]
    pub order_by: String,
    #[command(flatten)]
    pub page: PageArgs,
}

/// Paging flags shared by the commands that list.
#[derive(Debug, Args)]
pub struct PageArgs {
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

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser, error::ErrorKind};

    use super::*;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    /// Every subcommand says what it does and every flag and argument what it is for.
    #[test]
    fn every_command_and_flag_has_help() {
        fn walk(
            command: &clap::Command,
            path: &str,
            seen: &mut Vec<String>,
            missing: &mut Vec<String>,
        ) {
            for sub in command.get_subcommands() {
                let path = format!("{path} {}", sub.get_name());
                if sub.get_about().is_none() && sub.get_name() != "help" {
                    missing.push(format!("`{path}` has no about"));
                }
                for arg in sub.get_arguments() {
                    let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                    if !builtin && !arg.is_global_set() && arg.get_help().is_none() {
                        missing.push(format!("`{path}` argument `{}` has no help", arg.get_id()));
                    }
                    seen.push(format!("{path} {}", arg.get_id()));
                }
                walk(sub, &path, seen, missing);
            }
        }
        let (mut seen, mut missing) = (Vec::new(), Vec::new());
        walk(&Cli::command(), "regie", &mut seen, &mut missing);
        assert!(missing.is_empty(), "{missing:#?}");
        for arg in [
            "regie cycles rate evidence",
            "regie cases create purposes",
            "regie import work-items file",
        ] {
            assert!(seen.iter().any(|s| s == arg), "{arg} not checked");
        }
    }

    #[test]
    fn the_help_says_cases_covers_all_five_kinds() {
        let command = Cli::command();
        let cases = command.find_subcommand("cases").expect("a cases command");
        let about = cases
            .get_about()
            .map(ToString::to_string)
            .unwrap_or_default();
        for kind in [
            "working-group items",
            "recommendations",
            "frameworks",
            "assessment cycles",
            "risk analyses",
        ] {
            assert!(about.contains(kind), "{about}");
        }
    }

    #[test]
    fn o_is_short_for_output() {
        let cli = Cli::try_parse_from(["regie", "-o", "json", "whoami"]).expect("valid");
        assert_eq!(cli.output, OutputFormat::Json);
        let cli = Cli::try_parse_from(["regie", "departments", "list", "-o", "json"])
            .expect("global, after the subcommand too");
        assert_eq!(cli.output, OutputFormat::Json);
    }

    #[test]
    fn completions_are_written_for_bash_zsh_and_fish() {
        for (shell, marker) in [
            (CompletionShell::Bash, "complete -F"),
            (CompletionShell::Zsh, "#compdef regie"),
            (CompletionShell::Fish, "complete -c regie"),
        ] {
            let mut script = Vec::new();
            write_completions(shell, &mut script);
            let script = String::from_utf8(script).expect("UTF-8");
            assert!(script.contains(marker), "{shell:?} lacks {marker:?}");
            for word in ["criteria-sets", "transition", "--output"] {
                assert!(script.contains(word), "{shell:?} lacks {word}");
            }
        }
        let cli = Cli::try_parse_from(["regie", "completions", "zsh"]).expect("valid");
        assert!(matches!(
            cli.command,
            Command::Completions {
                shell: CompletionShell::Zsh
            }
        ));
        assert!(Cli::try_parse_from(["regie", "completions", "tcsh"]).is_err());
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
    fn a_case_is_seen_at_a_time_or_a_revision_not_both() {
        let cli = Cli::try_parse_from(["regie", "cases", "get", "abc", "--revision", "2"])
            .expect("valid command line");
        let Command::Cases(CaseCommand::Get(get)) = cli.command else {
            panic!("parsed as the wrong command");
        };
        assert_eq!((get.case.as_str(), get.revision), ("cases/abc", Some(2)));
        let both = ["regie", "cases", "get", "abc", "--revision", "2"];
        let both = both.into_iter().chain(["--as-of", "2026-01-01T00:00:00Z"]);
        assert_eq!(
            Cli::try_parse_from(both)
                .map(drop)
                .map_err(|e| e.exit_code()),
            Err(2)
        );
        let zero = ["regie", "cases", "get", "abc", "--revision", "0"];
        assert!(Cli::try_parse_from(zero).is_err());
    }

    #[test]
    fn as_of_accepts_a_date_for_the_end_of_that_day_in_amsterdam() {
        let cli = Cli::try_parse_from(["regie", "cases", "get", "abc", "--as-of", "2026-12-01"])
            .expect("a date is accepted");
        let Command::Cases(CaseCommand::Get(get)) = cli.command else {
            panic!("parsed as the wrong command");
        };
        // 2026-12-01T23:59:59+01:00 (CET).
        assert_eq!(get.as_of.map(|t| t.seconds), Some(1_796_165_999));
        let help = Cli::command()
            .find_subcommand_mut("cases")
            .and_then(|c| c.find_subcommand_mut("get"))
            .map(|c| c.render_long_help().to_string())
            .unwrap_or_default();
        assert!(help.contains("Europe/Amsterdam"), "{help}");
        let bad = ["regie", "cases", "get", "abc", "--as-of", "2026-13-01"];
        assert!(Cli::try_parse_from(bad).is_err());
    }

    #[test]
    fn conflicting_workflow_versions_are_a_usage_error() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(["regie", "workflows"].iter().chain(args)).and_then(Cli::checked)
        };
        let err = parse(&["show", "workflows/work_item/versions/1", "--version", "2"])
            .expect_err("two versions");
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("regie workflows show"), "{err}");
        let ok = parse(&[
            "diagram",
            "workflows/work_item/versions/2",
            "--version",
            "2",
        ]);
        assert!(ok.is_ok(), "the same version twice is fine");
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
        assert_eq!(cli.server.as_deref(), Some("http://localhost:9"));
        let Command::Departments(DepartmentCommand::Update(update)) = cli.command else {
            panic!("parsed as the wrong command");
        };
        assert_eq!(update.department, "departments/JenV");
        assert_eq!(update.active, Some(false));
        assert_eq!(update.in_sector_rijk, None);
    }

    #[test]
    fn server_token_and_profile_have_no_clap_default() {
        // Set in the environment of the test run, they would make this test meaningless.
        if ["REGIE_SERVER", "REGIE_TOKEN", "REGIE_PROFILE"]
            .iter()
            .any(|var| std::env::var_os(var).is_some())
        {
            return;
        }
        let cli = Cli::try_parse_from(["regie", "whoami"]).expect("valid command line");
        assert_eq!((cli.server, cli.token, cli.profile), (None, None, None));
        let cli = Cli::try_parse_from([
            "regie",
            "login",
            "--server",
            "regie.example:8080",
            "--token",
            "s3cret",
            "--profile",
            "prod",
        ])
        .expect("global flags after the subcommand");
        assert!(matches!(cli.command, Command::Login));
        assert_eq!(cli.server.as_deref(), Some("http://regie.example:8080"));
        assert_eq!(cli.token.as_deref(), Some("s3cret"));
        assert_eq!(cli.profile.as_deref(), Some("prod"));
    }

    #[test]
    fn principal_updates_need_a_change_and_one_of_disable_and_enable() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(["regie", "principals", "update"].iter().chain(args))
        };
        let err = parse(&["anna", "--etag", "1"]).expect_err("no change");
        assert_eq!(err.kind(), ErrorKind::MissingRequiredArgument);
        assert!(parse(&["anna", "--disable", "--enable"]).is_err());
        let cli = parse(&["principals/anna", "--disable"]).expect("valid command line");
        let Command::Principals(PrincipalCommand::Update(update)) = cli.command else {
            panic!("parsed as the wrong command");
        };
        assert_eq!(update.principal, "principals/anna");
        assert_eq!(update.disabled(), Some(true));
        let cli = parse(&["anna", "--home-department", ""]).expect("clearing is a change");
        let Command::Principals(PrincipalCommand::Update(update)) = cli.command else {
            panic!("parsed as the wrong command");
        };
        assert_eq!(update.home_department.as_deref(), Some(""));
        assert_eq!(update.disabled(), None);
    }

    #[test]
    fn an_access_check_is_about_a_principal_or_a_role() {
        let check = ["regie", "access", "check", "--domain", "departments/JenV"];
        let check = check
            .into_iter()
            .chain(["--object", "case:*", "--action", "rate"]);
        assert!(Cli::try_parse_from(check.clone()).is_err(), "neither");
        let both = check
            .clone()
            .chain(["--principal", "anna", "--role", "auditor"]);
        assert!(Cli::try_parse_from(both).is_err(), "both");
        let cli = Cli::try_parse_from(check.chain(["--principal", "anna"])).expect("valid");
        let Command::Access(AccessCommand::Check(args)) = cli.command else {
            panic!("parsed as the wrong command");
        };
        assert_eq!(args.subject.principal.as_deref(), Some("principals/anna"));
        assert_eq!(args.domain, "JenV");
    }

    #[test]
    fn token_lifetimes_are_durations() {
        let cli = Cli::try_parse_from([
            "regie",
            "tokens",
            "issue",
            "--principal",
            "ci-bot",
            "--expires-in",
            "90d",
        ])
        .expect("valid command line");
        let Command::Tokens(TokenCommand::Issue(issue)) = cli.command else {
            panic!("parsed as the wrong command");
        };
        assert_eq!(issue.principal, "principals/ci-bot");
        assert_eq!(issue.expires_in.map(|d| d.as_secs()), Some(90 * 86_400));
        let bad = [
            "regie",
            "tokens",
            "issue",
            "--principal",
            "x",
            "--expires-in",
        ];
        assert!(Cli::try_parse_from(bad.into_iter().chain(["soon"])).is_err());
    }
}
