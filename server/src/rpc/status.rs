//! Domain errors to gRPC statuses, in one place (docs/architecture.md, "Errors"): each status carries a
//! `google.rpc.ErrorInfo` with an UPPER_SNAKE reason and domain `regie`, plus `BadRequest` field
//! violations or `PreconditionFailure` violations where they apply.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::domain::Error;

/// The `ErrorInfo.domain` of every error Regie reports.
pub const ERROR_DOMAIN: &str = "regie";

pub fn to_status(error: Error) -> Status {
    let reason = error.reason();
    let mut metadata = HashMap::new();
    let code = match &error {
        Error::InvalidArgument { .. } => Code::InvalidArgument,
        Error::NotFound { resource } => {
            metadata.insert("resource".to_owned(), resource.clone());
            Code::NotFound
        }
        Error::AlreadyExists { resource } => {
            metadata.insert("resource".to_owned(), resource.clone());
            Code::AlreadyExists
        }
        Error::EtagMismatch {
            resource, current, ..
        } => {
            metadata.insert("resource".to_owned(), resource.clone());
            metadata.insert("current_etag".to_owned(), current.clone());
            Code::Aborted
        }
        Error::FailedPrecondition { .. } => Code::FailedPrecondition,
        Error::Unauthenticated { .. } => Code::Unauthenticated,
        Error::PermissionDenied { .. } => Code::PermissionDenied,
        Error::Unavailable { .. } => Code::Unavailable,
        Error::Internal { .. } => Code::Internal,
    };
    let message = match &error {
        Error::Internal { message } => {
            tracing::error!(error = %message, "internal error");
            "internal error; the server log has the details".to_owned()
        }
        Error::Unavailable { message } => {
            tracing::warn!(error = %message, "dependency unavailable");
            error.to_string()
        }
        _ => error.to_string(),
    };
    let mut details = ErrorDetails::with_error_info(reason, ERROR_DOMAIN, metadata);
    match error {
        Error::InvalidArgument { violations, .. } => {
            for v in violations {
                details.add_bad_request_violation(v.field, v.description);
            }
        }
        Error::FailedPrecondition { violations, .. } => {
            for v in violations {
                details.add_precondition_failure_violation(v.kind, v.subject, v.description);
            }
        }
        _ => {}
    }
    Status::with_error_details(code, message, details)
}

/// A required message field that the request left out.
pub fn missing(field: &str) -> Status {
    to_status(Error::invalid_field(field, "is required"))
}

pub use crate::domain::error::name_error;

/// A handler's domain result as a gRPC response.
pub fn reply<T>(result: Result<T, Error>) -> Result<tonic::Response<T>, Status> {
    result.map(tonic::Response::new).map_err(to_status)
}
