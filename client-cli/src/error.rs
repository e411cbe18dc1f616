//! What can go wrong, how it is printed on stderr, and which exit code it becomes.
//!
//! A failed call prints `error: <CODE>: <message>`, then the server's google.rpc details: the
//! `ErrorInfo` reason, `BadRequest` field violations and `PreconditionFailure` violations. A
//! transition refused by its rules prints each failed rule once instead, as one readable line
//! (`  ✗ <rule>: <sentence> (<what is missing>)`) under `error: <CODE>: <case>: N rules not met`, and
//! UNAUTHENTICATED and PERMISSION_DENIED end with a hint on what to do (`regie login`,
//! `regie whoami`). The exit code depends only on the class of error; the table is in the
//! top-level `--help` and in README.md.

use std::io::Write as _;

use tonic::{Code, Status};
use tonic_types::{PreconditionViolation, StatusExt};

use crate::output::in_cli_words;

/// The exit codes of `regie`.
pub mod exit {
    pub const SUCCESS: u8 = 0;
    /// Any other error, or `health` reporting anything but SERVING.
    pub const FAILURE: u8 = 1;
    /// Bad flags or arguments (clap uses 2 as well).
    pub const USAGE: u8 = 2;
    pub const INVALID_ARGUMENT: u8 = 3;
    pub const NOT_FOUND: u8 = 4;
    /// ALREADY_EXISTS or ABORTED: re-read and retry.
    pub const CONFLICT: u8 = 5;
    pub const FAILED_PRECONDITION: u8 = 6;
    /// UNAUTHENTICATED or PERMISSION_DENIED, or `access check` answering DENIED.
    pub const DENIED: u8 = 7;
    /// UNAVAILABLE, DEADLINE_EXCEEDED, or the server cannot be reached.
    pub const UNAVAILABLE: u8 = 8;
}

#[derive(Debug)]
pub enum CliError {
    /// The server could not be reached at all.
    Connect { server: String, detail: String },
    /// A call failed with a gRPC status.
    Rpc(Status),
    /// A transition was refused with FAILED_PRECONDITION: printed as [`CliError::Rpc`], then one
    /// line per failed rule (each violation's type is the rule id, its description the rule's
    /// sentence).
    RulesFailed(Status),
    /// A problem with what the user gave that clap could not see: an unknown `--profile`, no
    /// token for `login`, a token that cannot be sent. Exit 2, like clap's own usage errors.
    Usage(String),
    /// A file the user gave (a CSV import, a criteria file) does not pass the checks made before
    /// any change: one line per problem, e.g. `line 7: title: is required`, printed as they are.
    /// Exit 3, as for INVALID_ARGUMENT.
    InvalidInput(Vec<String>),
    /// Anything else, such as failing to write the output or the profiles file.
    Other(anyhow::Error),
}

impl From<Status> for CliError {
    fn from(status: Status) -> Self {
        Self::Rpc(status)
    }
}

impl From<anyhow::Error> for CliError {
    fn from(error: anyhow::Error) -> Self {
        Self::Other(error)
    }
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Connect { .. } => exit::UNAVAILABLE,
            CliError::Rpc(status) | CliError::RulesFailed(status) => exit_code_for(status.code()),
            CliError::Usage(_) => exit::USAGE,
            CliError::InvalidInput(_) => exit::INVALID_ARGUMENT,
            CliError::Other(_) => exit::FAILURE,
        }
    }

    /// The lines to print on stderr.
    pub fn lines(&self) -> Vec<String> {
        match self {
            CliError::Connect { server, detail } => {
                vec![format!(
                    "error: cannot connect to server {server}: {detail}"
                )]
            }
            CliError::Rpc(status) => status_lines(status),
            CliError::RulesFailed(status) => rules_failed_lines(status),
            CliError::Usage(message) => vec![format!("error: {message}")],
            CliError::InvalidInput(lines) => lines.clone(),
            CliError::Other(error) => vec![format!("error: {error:#}")],
        }
    }

    /// For `cases transition`: a FAILED_PRECONDITION becomes [`CliError::RulesFailed`], so the
    /// failed rules are listed readably; anything else stays as it is.
    pub fn explaining_rules(self) -> Self {
        match self {
            CliError::Rpc(status) if status.code() == Code::FailedPrecondition => {
                CliError::RulesFailed(status)
            }
            other => other,
        }
    }

    /// Prints the error on stderr.
    pub fn report(&self) {
        let mut stderr = std::io::stderr().lock();
        for line in self.lines() {
            // Nothing sensible is left to do if stderr itself is gone.
            let _ = writeln!(stderr, "{line}");
        }
    }
}

/// The exit code for a gRPC status code.
pub fn exit_code_for(code: Code) -> u8 {
    match code {
        Code::Ok => exit::SUCCESS,
        Code::InvalidArgument | Code::OutOfRange => exit::INVALID_ARGUMENT,
        Code::NotFound => exit::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => exit::CONFLICT,
        Code::FailedPrecondition => exit::FAILED_PRECONDITION,
        Code::Unauthenticated | Code::PermissionDenied => exit::DENIED,
        Code::Unavailable | Code::DeadlineExceeded => exit::UNAVAILABLE,
        Code::Cancelled
        | Code::Unknown
        | Code::ResourceExhausted
        | Code::Unimplemented
        | Code::Internal
        | Code::DataLoss => exit::FAILURE,
    }
}

/// The canonical upper-case name of a gRPC status code, as in `google.rpc.Code`.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

fn status_lines(status: &Status) -> Vec<String> {
    let mut lines = vec![head_line(status.code(), &in_cli_words(status.message()))];
    lines.extend(detail_lines(status, true));
    lines
}

/// `error: CODE: message`.
fn head_line(code: Code, message: &str) -> String {
    let code = code_name(code);
    if message.is_empty() {
        format!("error: {code}")
    } else {
        format!("error: {code}: {message}")
    }
}

/// A refused transition: each failed rule once, as `  ✗ <rule>: <sentence> (<what is
/// missing>)`. The server's message and its `precondition` lines say the same again, so the
/// first line only counts the rules and neither is repeated. Without violations (a transition
/// not allowed from this state) it is printed as any other error.
fn rules_failed_lines(status: &Status) -> Vec<String> {
    let violations = precondition_violations(status);
    let Some(first) = violations.first() else {
        return status_lines(status);
    };
    let rules = match violations.len() {
        1 => "1 rule not met".to_owned(),
        n => format!("{n} rules not met"),
    };
    let message = if first.subject.is_empty() {
        rules
    } else {
        format!("{}: {rules}", first.subject)
    };
    let mut lines = vec![head_line(status.code(), &message)];
    lines.extend(detail_lines(status, false));
    lines.extend(
        violations
            .iter()
            .map(|v| format!("  ✗ {}: {}", v.r#type, in_cli_words(&v.description))),
    );
    lines
}

/// The reason, the field violations, the precondition violations (unless `preconditions` is
/// false) and the hint, one line each.
fn detail_lines(status: &Status, preconditions: bool) -> Vec<String> {
    let mut lines = Vec::new();
    // Details that do not decode are left out: the code and message already say what happened.
    let details = status.get_error_details();
    if let Some(info) = details.error_info()
        && !info.reason.is_empty()
    {
        lines.push(format!("  reason: {}", info.reason));
    }
    if let Some(bad_request) = details.bad_request() {
        for v in &bad_request.field_violations {
            lines.push(format!(
                "  field {}: {}",
                v.field,
                in_cli_words(&v.description)
            ));
        }
    }
    if preconditions {
        for v in precondition_violations(status) {
            lines.push(format!(
                "  precondition {} {}: {}",
                v.r#type,
                v.subject,
                in_cli_words(&v.description)
            ));
        }
    }
    if let Some(hint) = hint(status.code()) {
        lines.push(format!("  hint: {hint}"));
    }
    lines
}

/// What to do about an authentication or authorisation failure.
fn hint(code: Code) -> Option<&'static str> {
    match code {
        Code::Unauthenticated => Some(
            "no valid token was sent: run `regie login` to store one for this server \
             (or pass --token / set REGIE_TOKEN)",
        ),
        Code::PermissionDenied => Some("`regie whoami` shows the roles you hold"),
        _ => None,
    }
}

/// The `PreconditionFailure` violations among the status details (none if they do not decode).
fn precondition_violations(status: &Status) -> Vec<PreconditionViolation> {
    status
        .get_details_precondition_failure()
        .map(|failure| failure.violations)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tonic_types::ErrorDetails;

    use super::*;

    #[test]
    fn exit_codes_by_class() {
        assert_eq!(exit_code_for(Code::Ok), 0);
        assert_eq!(exit_code_for(Code::Internal), 1);
        assert_eq!(exit_code_for(Code::Unknown), 1);
        assert_eq!(exit_code_for(Code::InvalidArgument), 3);
        assert_eq!(exit_code_for(Code::OutOfRange), 3);
        assert_eq!(exit_code_for(Code::NotFound), 4);
        assert_eq!(exit_code_for(Code::AlreadyExists), 5);
        assert_eq!(exit_code_for(Code::Aborted), 5);
        assert_eq!(exit_code_for(Code::FailedPrecondition), 6);
        assert_eq!(exit_code_for(Code::Unauthenticated), 7);
        assert_eq!(exit_code_for(Code::PermissionDenied), 7);
        assert_eq!(exit_code_for(Code::Unavailable), 8);
        assert_eq!(exit_code_for(Code::DeadlineExceeded), 8);
        let refused = CliError::Connect {
            server: "http://127.0.0.1:1".into(),
            detail: "Connection refused".into(),
        };
        assert_eq!(refused.exit_code(), 8);
        assert_eq!(CliError::Other(anyhow::anyhow!("disk full")).exit_code(), 1);
        assert_eq!(CliError::Usage("no token".into()).exit_code(), 2);
        let invalid = CliError::InvalidInput(vec!["line 2: title: is required".into()]);
        assert_eq!(invalid.exit_code(), 3);
        assert_eq!(invalid.lines(), vec!["line 2: title: is required"]);
    }

    #[test]
    fn unauthenticated_tells_the_user_to_log_in() {
        let err = CliError::Rpc(Status::unauthenticated("missing bearer token"));
        assert_eq!(err.exit_code(), exit::DENIED);
        let lines = err.lines();
        assert_eq!(lines[0], "error: UNAUTHENTICATED: missing bearer token");
        assert!(lines[1].contains("run `regie login`"), "{lines:?}");
        let err = CliError::Rpc(Status::permission_denied("may not rate cases"));
        assert_eq!(err.exit_code(), exit::DENIED);
        assert_eq!(
            err.lines(),
            vec![
                "error: PERMISSION_DENIED: may not rate cases",
                "  hint: `regie whoami` shows the roles you hold",
            ]
        );
    }

    #[test]
    fn rich_errors_print_their_details() {
        let mut details = ErrorDetails::with_error_info("INVALID_FIELDS", "regie", HashMap::new());
        details.add_bad_request_violation("department.code", "is not a department code");
        details.add_precondition_failure_violation("ACTIVE", "departments/BZK", "is inactive");
        let status = Status::with_error_details(Code::InvalidArgument, "bad department", details);
        assert_eq!(
            CliError::Rpc(status).lines(),
            vec![
                "error: INVALID_ARGUMENT: bad department",
                "  reason: INVALID_FIELDS",
                "  field department.code: is not a department code",
                "  precondition ACTIVE departments/BZK: is inactive",
            ]
        );
    }

    #[test]
    fn a_refused_transition_prints_each_rules_sentence_once() {
        let mut details = ErrorDetails::with_error_info("RULES_NOT_MET", "regie", HashMap::new());
        details.add_precondition_failure_violation(
            "work_item.assignee_required",
            "cases/abc",
            "A work item needs an assignee before work starts.",
        );
        details.add_precondition_failure_violation(
            "work_item.children_closed",
            "cases/abc",
            "An item is done only when its sub-items are closed. (open: cases/x)",
        );
        // The server's message names the rules and what is missing, as the violations do.
        let status = Status::with_error_details(
            Code::FailedPrecondition,
            "cases/abc: rules not met: work_item.assignee_required (); \
             work_item.children_closed (open: cases/x)",
            details,
        );
        let err = CliError::Rpc(status).explaining_rules();
        assert_eq!(err.exit_code(), exit::FAILED_PRECONDITION);
        let lines = err.lines();
        assert_eq!(
            lines,
            vec![
                "error: FAILED_PRECONDITION: cases/abc: 2 rules not met",
                "  reason: RULES_NOT_MET",
                "  ✗ work_item.assignee_required: A work item needs an assignee before work starts.",
                "  ✗ work_item.children_closed: An item is done only when its sub-items are closed. (open: cases/x)",
            ]
        );
        let text = lines.join("\n");
        assert_eq!(text.matches("needs an assignee").count(), 1, "{text}");
        assert_eq!(text.matches("open: cases/x").count(), 1, "{text}");

        // Refused for another reason (no violations): printed as any error.
        let status = Status::failed_precondition("`start` cannot be taken from state `done`");
        assert_eq!(
            CliError::Rpc(status).explaining_rules().lines(),
            vec!["error: FAILED_PRECONDITION: `start` cannot be taken from state `done`"]
        );
        let other = CliError::Rpc(Status::aborted("stale etag")).explaining_rules();
        assert!(matches!(other, CliError::Rpc(_)), "{other:?}");
    }

    #[test]
    fn error_hints_name_the_cli_command_not_the_api_method() {
        let mut details = ErrorDetails::new();
        details.add_precondition_failure_violation(
            "cycle.dialogue_recorded",
            "cases/c1",
            "A cycle closes only after the dialogue. (no dialogue has been recorded \
             (AssessmentService.RecordDialogue))",
        );
        let status = Status::with_error_details(Code::FailedPrecondition, "refused", details);
        let lines = CliError::Rpc(status).explaining_rules().lines().join("\n");
        assert!(lines.contains("(`regie cycles dialogue`)"), "{lines}");
        assert!(!lines.contains("AssessmentService"), "{lines}");
        let status = Status::invalid_argument(
            "case.kind: assessment cycles are opened with AssessmentService.OpenCycles",
        );
        assert_eq!(
            CliError::Rpc(status).lines(),
            vec![
                "error: INVALID_ARGUMENT: case.kind: assessment cycles are opened with `regie cycles open`"
            ]
        );
    }

    #[test]
    fn plain_errors_print_one_line() {
        let err = CliError::Rpc(Status::not_found("no such thing"));
        assert_eq!(err.lines(), vec!["error: NOT_FOUND: no such thing"]);
        let err = CliError::Connect {
            server: "http://127.0.0.1:1".into(),
            detail: "Connection refused (os error 111)".into(),
        };
        assert_eq!(
            err.lines(),
            vec![
                "error: cannot connect to server http://127.0.0.1:1: Connection refused (os error 111)"
            ]
        );
    }
}
