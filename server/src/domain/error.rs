//! The one error type of Regie's core. Every layer below the API returns it; `rpc::status` turns
//! it into a gRPC `Status` in exactly one place, so a reason code and its gRPC code never drift
//! apart.
//!
//! Each variant names the gRPC code it becomes; `reason` is the UPPER_SNAKE `ErrorInfo.reason`
//! clients can branch on.

use std::fmt;

/// One bad field of a request, reported as a `BadRequest` field violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// The field's path in the request, e.g. `department.name_nl`.
    pub field: String,
    pub description: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// One failed precondition, reported as a `PreconditionFailure` violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreconditionViolation {
    /// What kind of check failed, e.g. a rule id such as `work_item.assignee_required`.
    pub kind: String,
    /// What it failed on, e.g. a resource name.
    pub subject: String,
    pub description: String,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// INVALID_ARGUMENT: the request itself is wrong and retrying it unchanged cannot succeed.
    #[error("{message}")]
    InvalidArgument {
        reason: &'static str,
        message: String,
        violations: Vec<FieldViolation>,
    },

    /// NOT_FOUND: the named resource does not exist.
    #[error("{resource} not found")]
    NotFound { resource: String },

    /// ALREADY_EXISTS: a resource with that name or key exists.
    #[error("{resource} already exists")]
    AlreadyExists { resource: String },

    /// ABORTED: the caller's etag is stale; re-read and retry.
    #[error(
        "{resource} was changed by someone else (etag {given:?}, current {current:?}); read it again and retry"
    )]
    EtagMismatch {
        resource: String,
        given: String,
        current: String,
    },

    /// FAILED_PRECONDITION: the request is valid but the system is not in a state that allows it.
    #[error("{message}")]
    FailedPrecondition {
        reason: &'static str,
        message: String,
        violations: Vec<PreconditionViolation>,
    },

    /// RESOURCE_EXHAUSTED: over a limit of size or number (a message too large, too many
    /// open streams); the reason says which.
    #[error("{message}")]
    ResourceExhausted {
        reason: &'static str,
        message: String,
    },

    /// UNAUTHENTICATED: no valid credentials (missing, unknown, expired or revoked token, or a
    /// disabled principal).
    #[error("{message}")]
    Unauthenticated {
        reason: &'static str,
        message: String,
    },

    /// PERMISSION_DENIED: the caller is known but not allowed to do this.
    #[error("{message}")]
    PermissionDenied { message: String },

    /// UNAVAILABLE: a dependency (the database) cannot be reached, or did not answer in time;
    /// the same call may be retried as it is. The reason says which (`DATABASE_UNAVAILABLE`,
    /// `DATABASE_LOCK_TIMEOUT`, `DATABASE_STATEMENT_TIMEOUT`, `UNAVAILABLE`).
    #[error("{message}")]
    Unavailable {
        reason: &'static str,
        message: String,
    },

    /// ABORTED: the database gave up the transaction because of a concurrent one (serialization
    /// failure, deadlock); nothing was applied and the whole call may be retried.
    #[error("{message}")]
    Aborted {
        reason: &'static str,
        message: String,
    },

    /// INTERNAL: a bug or a broken invariant. The message is logged; clients see a generic text.
    #[error("{message}")]
    Internal { message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A single bad field.
    pub fn invalid_field(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::invalid_fields(vec![FieldViolation::new(field, description)])
    }

    /// Several bad fields at once, so a client can fix them all in one go.
    pub fn invalid_fields(violations: Vec<FieldViolation>) -> Self {
        let message = match violations.as_slice() {
            [one] => format!("invalid {}: {}", one.field, one.description),
            many => format!(
                "{} invalid fields: {}",
                many.len(),
                many.iter()
                    .map(|v| v.field.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Self::InvalidArgument {
            reason: reason::INVALID_FIELD,
            message,
            violations,
        }
    }

    /// A bad request field with a more specific reason than `INVALID_FIELD`.
    pub fn invalid(reason: &'static str, field: &str, description: impl Into<String>) -> Self {
        let description = description.into();
        Self::InvalidArgument {
            reason,
            message: format!("invalid {field}: {description}"),
            violations: vec![FieldViolation::new(field, description)],
        }
    }

    pub fn not_found(resource: impl fmt::Display) -> Self {
        Self::NotFound {
            resource: resource.to_string(),
        }
    }

    pub fn already_exists(resource: impl fmt::Display) -> Self {
        Self::AlreadyExists {
            resource: resource.to_string(),
        }
    }

    pub fn failed_precondition(reason: &'static str, message: impl Into<String>) -> Self {
        Self::FailedPrecondition {
            reason,
            message: message.into(),
            violations: Vec::new(),
        }
    }

    /// UNAVAILABLE with the generic reason: retry later.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::Unavailable {
            reason: reason::UNAVAILABLE,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal {
            message: message.into(),
        }
    }

    /// The `ErrorInfo.reason` of this error.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::InvalidArgument { reason, .. } | Self::FailedPrecondition { reason, .. } => {
                reason
            }
            Self::NotFound { .. } => reason::NOT_FOUND,
            Self::AlreadyExists { .. } => reason::ALREADY_EXISTS,
            Self::EtagMismatch { .. } => reason::ETAG_MISMATCH,
            Self::Unauthenticated { reason, .. }
            | Self::ResourceExhausted { reason, .. }
            | Self::Unavailable { reason, .. }
            | Self::Aborted { reason, .. } => reason,
            Self::PermissionDenied { .. } => reason::PERMISSION_DENIED,
            Self::Internal { .. } => reason::INTERNAL,
        }
    }
}

/// Collects field violations while a request is checked, so that all of them are reported at
/// once instead of one per round trip.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    /// Keeps the value of a successful check and records the violation of a failed one.
    pub fn take<T>(&mut self, result: std::result::Result<T, FieldViolation>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(violation) => {
                self.0.push(violation);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was wrong, else one INVALID_ARGUMENT with every violation.
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::invalid_fields(self.0))
        }
    }
}

/// The `ErrorInfo.reason` codes. Clients may branch on these; they are part of the API.
pub mod reason {
    pub const INVALID_FIELD: &str = "INVALID_FIELD";
    pub const INVALID_PAGE_SIZE: &str = "INVALID_PAGE_SIZE";
    pub const INVALID_PAGE_TOKEN: &str = "INVALID_PAGE_TOKEN";
    pub const INVALID_FILTER: &str = "INVALID_FILTER";
    pub const INVALID_ORDER_BY: &str = "INVALID_ORDER_BY";
    pub const INVALID_UPDATE_MASK: &str = "INVALID_UPDATE_MASK";
    pub const INVALID_NAME: &str = "INVALID_NAME";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const ALREADY_EXISTS: &str = "ALREADY_EXISTS";
    pub const ETAG_MISMATCH: &str = "ETAG_MISMATCH";
    pub const DEPARTMENT_INACTIVE: &str = "DEPARTMENT_INACTIVE";
    pub const REFERENCED_RESOURCE_MISSING: &str = "REFERENCED_RESOURCE_MISSING";
    pub const PARENT_IN_OTHER_DEPARTMENT: &str = "PARENT_IN_OTHER_DEPARTMENT";
    pub const UNKNOWN_TRANSITION: &str = "UNKNOWN_TRANSITION";
    pub const COMMENT_REQUIRED: &str = "COMMENT_REQUIRED";
    pub const TRANSITION_NOT_ALLOWED: &str = "TRANSITION_NOT_ALLOWED";
    pub const RULES_NOT_MET: &str = "RULES_NOT_MET";
    pub const NOT_OVERDUE: &str = "NOT_OVERDUE";
    pub const INVALID_REQUEST_ID: &str = "INVALID_REQUEST_ID";
    pub const REQUEST_ID_REUSED: &str = "REQUEST_ID_REUSED";
    pub const MESSAGE_TOO_LARGE: &str = "MESSAGE_TOO_LARGE";
    pub const TOO_MANY_STREAMS: &str = "TOO_MANY_STREAMS";
    pub const CASE_TOO_LARGE: &str = "CASE_TOO_LARGE";
    pub const INVALID_WORKFLOW: &str = "INVALID_WORKFLOW";
    pub const WORKFLOW_NOT_LOADED: &str = "WORKFLOW_NOT_LOADED";
    pub const WORKFLOW_VERSION_NOT_NEWER: &str = "WORKFLOW_VERSION_NOT_NEWER";
    pub const TOKEN_MISSING: &str = "TOKEN_MISSING";
    pub const TOKEN_INVALID: &str = "TOKEN_INVALID";
    pub const TOKEN_EXPIRED: &str = "TOKEN_EXPIRED";
    pub const TOKEN_REVOKED: &str = "TOKEN_REVOKED";
    pub const PRINCIPAL_DISABLED: &str = "PRINCIPAL_DISABLED";
    /// A sign-in link was asked for while this server's web console is off.
    pub const CONSOLE_OFF: &str = "CONSOLE_OFF";
    pub const PERMISSION_DENIED: &str = "PERMISSION_DENIED";
    pub const UNAVAILABLE: &str = "UNAVAILABLE";
    /// The database cannot be reached now (connection lost or refused, shut down, restarting,
    /// out of connections); retry the call.
    pub const DATABASE_UNAVAILABLE: &str = "DATABASE_UNAVAILABLE";
    /// A lock the call needed was held longer than the lock timeout (`--database-lock-timeout`),
    /// e.g. by a stalled replica; nothing was applied; retry the call.
    pub const DATABASE_LOCK_TIMEOUT: &str = "DATABASE_LOCK_TIMEOUT";
    /// A statement ran longer than the statement timeout (`--database-statement-timeout`).
    pub const DATABASE_STATEMENT_TIMEOUT: &str = "DATABASE_STATEMENT_TIMEOUT";
    /// The database aborted the transaction for a concurrent one (serialization failure or
    /// deadlock); nothing was applied; retry the whole call.
    pub const DATABASE_CONFLICT: &str = "DATABASE_CONFLICT";
    pub const INTERNAL: &str = "INTERNAL";
    pub const CRITERIA_SET_NOT_PUBLISHED: &str = "CRITERIA_SET_NOT_PUBLISHED";
    pub const CRITERIA_SET_IMMUTABLE: &str = "CRITERIA_SET_IMMUTABLE";
    pub const CRITERIA_SET_EMPTY: &str = "CRITERIA_SET_EMPTY";
    /// A record (rating, dialogue, consultation, observance, risk) the case's state does not
    /// allow, or on a case of another kind.
    pub const STATE_FORBIDS_CHANGE: &str = "STATE_FORBIDS_CHANGE";
    pub const WRONG_CASE_KIND: &str = "WRONG_CASE_KIND";
    pub const UNKNOWN_CRITERION: &str = "UNKNOWN_CRITERION";
    pub const OUTSIDE_SCOPE: &str = "OUTSIDE_SCOPE";
    /// A rule of the decree refused the request itself (not a transition), e.g.
    /// `decree.scope_sector_rijk` when opening cycles.
    pub const RULE_VIOLATED: &str = "RULE_VIOLATED";
}

/// A resource name that does not parse, as the field's INVALID_NAME error.
pub fn name_error(violation: FieldViolation) -> Error {
    Error::invalid(
        reason::INVALID_NAME,
        &violation.field,
        violation.description,
    )
}
