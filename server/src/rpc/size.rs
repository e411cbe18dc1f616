//! The message-size refusal in the gRPC convention. tonic refuses a request over the size limit
//! (`domain::limits`, `MAX_MESSAGE_BYTES`) with OUT_OF_RANGE before any handler runs; gRPC's
//! convention, and what README.md and `domain/limits.rs` promise, is RESOURCE_EXHAUSTED. This
//! layer, next to the services, turns exactly that refusal into RESOURCE_EXHAUSTED with a reason
//! (`MESSAGE_TOO_LARGE`), so that every layer outside it (telemetry included) sees the real code.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower::{Layer, Service};

use crate::domain::Error;
use crate::domain::error::reason;

/// What tonic's decoder says when a message is over the limit.
const TONIC_TOO_LARGE: &str = "Error, decoded message length too large";

#[derive(Clone, Copy, Default)]
pub struct SizeLayer;

impl<S> Layer<S> for SizeLayer {
    type Service = SizeService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SizeService { inner }
    }
}

#[derive(Clone)]
pub struct SizeService<S> {
    inner: S,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, B> Service<http::Request<B>> for SizeService<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let call = self.inner.call(request);
        Box::pin(async move {
            let response = call.await?;
            Ok(resource_exhausted(response))
        })
    }
}

/// The response, or, when it is tonic's trailers-only OUT_OF_RANGE for a message over the
/// limit, the same refusal as RESOURCE_EXHAUSTED.
fn resource_exhausted(
    response: http::Response<tonic::body::Body>,
) -> http::Response<tonic::body::Body> {
    let Some(status) = tonic::Status::from_header_map(response.headers()) else {
        return response;
    };
    if status.code() != tonic::Code::OutOfRange || !status.message().starts_with(TONIC_TOO_LARGE) {
        return response;
    }
    let limit = status
        .message()
        .rsplit("the limit is: ")
        .next()
        .unwrap_or_default()
        .to_owned();
    super::status::to_status(Error::ResourceExhausted {
        reason: reason::MESSAGE_TOO_LARGE,
        message: format!("the request is larger than the server accepts ({limit})"),
    })
    .into_http()
}
