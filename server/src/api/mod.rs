//! The gRPC surface: one file per service, translating between `regie.v1` messages and the
//! domain. Nothing here decides anything; errors become a `Status` in [`status`] alone.

/// The `ListParams` of a generated List request with `page_size`, `page_token`, `filter` and
/// `order_by`.
macro_rules! list_params {
    ($request:expr) => {
        crate::domain::listing::ListParams {
            page_size: $request.page_size,
            page_token: &$request.page_token,
            filter: &$request.filter,
            order_by: &$request.order_by,
        }
    };
}

/// The idempotency key of a write: its request id with a hash of the request as decoded, so
/// that a retry (the same message) is told from a reuse of the id (docs/architecture.md,
/// "Request ids").
fn request_key<M: prost::Message>(
    message: &M,
    request_id: &str,
) -> crate::domain::Result<crate::domain::request::RequestKey> {
    crate::domain::request::RequestKey::new(request_id.to_owned(), &message.encode_to_vec())
}

pub mod access;
pub mod assessment;
pub mod audit;
pub mod cases;
pub mod convert;
pub mod directory;
pub mod framework;
pub mod risk;
pub mod work;
pub mod workflows;
