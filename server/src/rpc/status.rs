//! Domain errors to gRPC statuses, in one place (docs/architecture.md, "Errors"): each status carries a
//! `google.rpc.ErrorInfo` with an UPPER_SNAKE reason and domain `regie`, plus `BadRequest` field
//! violations or `PreconditionFailure` violations where they apply.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::domain::Error;

/// The `ErrorInfo.domain` of every error Regie reports.
pub const ERROR_DOMAIN: &str = "regie";

/// The most an error's message, metadata values and violations may take, in bytes. A message
/// may echo what the client sent (a name, a filter), which can be a megabyte; trailers are
/// kept to a few KiB in all (gRPC's soft limit for metadata is 8 KiB), so that no client drops
/// them or sees the stream reset instead of the error.
const MAX_MESSAGE: usize = 512;
const MAX_METADATA_VALUE: usize = 128;
const MAX_FIELD: usize = 128;
const MAX_DESCRIPTION: usize = 256;
const MAX_VIOLATIONS: usize = 8;

/// `text`, cut at a character boundary to at most `max` bytes, with `…` where it was cut.
fn fit(text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

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
        Error::Aborted { .. } => Code::Aborted,
        Error::ResourceExhausted { .. } => Code::ResourceExhausted,
        Error::Internal { .. } => Code::Internal,
    };
    let message = match &error {
        Error::Internal { message } => {
            tracing::error!(error = %message, "internal error");
            "internal error; the server log has the details".to_owned()
        }
        Error::Unavailable { message, .. } | Error::Aborted { message, .. } => {
            tracing::warn!(error = %message, "dependency unavailable");
            error.to_string()
        }
        _ => error.to_string(),
    };
    let message = fit(message, MAX_MESSAGE);
    let metadata: HashMap<String, String> = metadata
        .into_iter()
        .map(|(k, v)| (k, fit(v, MAX_METADATA_VALUE)))
        .collect();
    let mut details = ErrorDetails::with_error_info(reason, ERROR_DOMAIN, metadata);
    let more = |n: usize| format!("and {} more", n - MAX_VIOLATIONS + 1);
    match error {
        Error::InvalidArgument { violations, .. } => {
            let n = violations.len();
            for (i, v) in violations.into_iter().enumerate() {
                if i + 1 == MAX_VIOLATIONS && n > MAX_VIOLATIONS {
                    details.add_bad_request_violation("", more(n));
                    break;
                }
                details.add_bad_request_violation(
                    fit(v.field, MAX_FIELD),
                    fit(v.description, MAX_DESCRIPTION),
                );
            }
        }
        Error::FailedPrecondition { violations, .. } => {
            let n = violations.len();
            for (i, v) in violations.into_iter().enumerate() {
                if i + 1 == MAX_VIOLATIONS && n > MAX_VIOLATIONS {
                    details.add_precondition_failure_violation("", "", more(n));
                    break;
                }
                details.add_precondition_failure_violation(
                    fit(v.kind, MAX_FIELD),
                    fit(v.subject, MAX_FIELD),
                    fit(v.description, MAX_DESCRIPTION),
                );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::FieldViolation;

    #[test]
    fn an_error_that_echoes_a_huge_value_stays_a_few_kib() {
        let huge = "é".repeat(1 << 20);
        let violations = (0..50)
            .map(|i| FieldViolation::new(format!("field{i}.{huge}"), huge.clone()))
            .collect();
        for error in [
            Error::invalid_fields(violations),
            Error::not_found(huge.clone()),
            Error::PermissionDenied {
                message: huge.clone(),
            },
        ] {
            let status = to_status(error);
            let size = status.message().len() + status.details().len() * 4 / 3;
            // Under 6 KiB in all, well inside the 8 KiB gRPC clients accept.
            assert!(size < 6 * 1024, "{size} bytes of trailers");
            assert!(status.message().ends_with('…'), "{}", status.message());
            let bad = status.get_error_details().bad_request().cloned();
            if let Some(bad) = bad {
                assert_eq!(bad.field_violations.len(), MAX_VIOLATIONS);
                assert_eq!(
                    bad.field_violations.last().map(|v| v.description.as_str()),
                    Some("and 43 more")
                );
            }
        }
        assert_eq!(fit("kort".into(), 10), "kort");
        assert_eq!(fit("ééé".into(), 5), "é…");
    }
}
