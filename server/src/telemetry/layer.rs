//! The tower layer in front of every RPC (outside authentication, so that refusals are traced
//! too): a server span following the OpenTelemetry RPC conventions, whose parent is the caller's
//! `traceparent` when it sends one; the duration histogram; and, at DEBUG on target
//! `regie_server::rpc`, one "served" log line per call inside the span.
//!
//! The span carries `rpc.system`, `rpc.service`, `rpc.method` and `rpc.grpc.status_code`; the
//! authentication layer adds `enduser.id` (the principal, never a token) and the case services
//! `regie.case`. With nothing exported and the DEBUG line off, the layer only passes the call on.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use opentelemetry::KeyValue;
use opentelemetry::trace::TraceContextExt as _;
use std::sync::Arc;
use tower::{Layer, Service};
use tracing::Instrument as _;

use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use super::{instruments, propagation, tracing_enabled};
use crate::rpc::methods;

/// Whether a request comes from a caller whose `traceparent` may decide the sampling: one this
/// server has authenticated already. From anyone else a `traceparent` is ignored and the
/// server's own sampler decides, so that unauthenticated calls cannot force every span to be
/// recorded and exported. Given by the server (`authz` knows the callers, which this layer may
/// not import).
pub type TrustsParent = Arc<dyn Fn(&http::HeaderMap) -> bool + Send + Sync>;

#[derive(Clone)]
pub struct TelemetryLayer {
    trusts_parent: TrustsParent,
}

impl TelemetryLayer {
    pub fn new(trusts_parent: TrustsParent) -> Self {
        Self { trusts_parent }
    }
}

impl<S> Layer<S> for TelemetryLayer {
    type Service = TelemetryService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TelemetryService {
            inner,
            trusts_parent: self.trusts_parent.clone(),
        }
    }
}

#[derive(Clone)]
pub struct TelemetryService<S> {
    inner: S,
    trusts_parent: TrustsParent,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

/// `(service, method)` of a gRPC path such as `/regie.v1.CaseService/GetCase`: borrowed from
/// the method table for Regie's own methods, so that recording costs no allocation.
fn split(path: &str) -> (Cow<'static, str>, Cow<'static, str>) {
    if let Some((known, _)) = methods::METHODS.iter().find(|(p, _)| *p == path)
        && let Some((service, method)) = known.trim_start_matches('/').split_once('/')
    {
        return (Cow::Borrowed(service), Cow::Borrowed(method));
    }
    let trimmed = path.trim_start_matches('/');
    match trimmed.split_once('/') {
        Some((service, method)) => (service.to_owned().into(), method.to_owned().into()),
        None => (trimmed.to_owned().into(), Cow::Borrowed("")),
    }
}

/// The gRPC status of a response whose status is in its headers (every refusal and every unary
/// error is trailers-only); a response without one has started successfully.
fn status_code(headers: &http::HeaderMap) -> i64 {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The codes that mean the server failed, which mark a server span as an error (the RPC
/// conventions: a client's mistake is not the server's error).
fn is_server_error(code: i64) -> bool {
    matches!(code, 2 | 4 | 12 | 13 | 14 | 15)
}

impl<S, B> Service<http::Request<B>> for TelemetryService<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let instruments = instruments();
        let log = tracing::enabled!(target: "regie_server::rpc", tracing::Level::DEBUG);
        if !tracing_enabled() && instruments.is_none() && !log {
            return Box::pin(self.inner.call(request));
        }
        let (service, method) = split(request.uri().path());
        // The root of the server's work for this call, the caller's span its parent. Its
        // attributes but the name are recorded only once the sampler has kept it, so that an
        // unsampled call pays for little more than the decision.
        let span = if tracing_enabled() {
            let span = tracing::info_span!(
                target: "regie_server::trace",
                "rpc",
                // The name cannot change once the span has started (at the sampling decision).
                otel.name = %format!("{service}/{method}"),
                otel.kind = "server",
                otel.status_code = Empty,
                rpc.system = Empty,
                rpc.service = Empty,
                rpc.method = Empty,
                rpc.grpc.status_code = Empty,
                enduser.id = Empty,
                regie.case = Empty,
            );
            // A malformed or missing traceparent leaves the span a root, as the spec says; so
            // does one from a caller not yet authenticated (`TrustsParent`).
            if (self.trusts_parent)(request.headers()) {
                let _ = span.set_parent(propagation::extract(request.headers()));
            }
            if span.context().span().span_context().is_sampled() {
                span.record("rpc.system", "grpc");
                span.record("rpc.service", service.as_ref());
                span.record("rpc.method", method.as_ref());
                span
            } else {
                tracing::Span::none()
            }
        } else {
            tracing::Span::none()
        };
        // The clone is ready-checked by the caller of poll_ready; keep that one for this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let start = Instant::now();
        Box::pin(async move {
            let result = inner.call(request).instrument(span.clone()).await;
            let code = match &result {
                Ok(response) => status_code(response.headers()),
                Err(_) => 2,
            };
            span.record("rpc.grpc.status_code", code);
            if is_server_error(code) {
                span.record("otel.status_code", "ERROR");
            }
            let elapsed = start.elapsed();
            if let Some(i) = instruments {
                i.rpc_duration.record(
                    elapsed.as_secs_f64(),
                    &[
                        KeyValue::new("rpc.system", "grpc"),
                        KeyValue::new("rpc.service", service),
                        KeyValue::new("rpc.method", method),
                        KeyValue::new("rpc.grpc.status_code", code),
                    ],
                );
            }
            span.in_scope(|| {
                tracing::debug!(
                    target: "regie_server::rpc",
                    code,
                    elapsed_ms = elapsed.as_secs_f64() * 1000.0,
                    "served"
                );
            });
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_service_and_method() {
        let (service, method) = split("/regie.v1.CaseService/TransitionCase");
        assert!(matches!(service, Cow::Borrowed("regie.v1.CaseService")));
        assert!(matches!(method, Cow::Borrowed("TransitionCase")));
        let (service, method) = split("/grpc.health.v1.Health/Check");
        assert_eq!(
            (service.as_ref(), method.as_ref()),
            ("grpc.health.v1.Health", "Check")
        );
        assert_eq!(split("/odd").0, "odd");
    }

    #[test]
    fn only_server_failures_mark_the_span_as_an_error() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(status_code(&headers), 0);
        headers.insert("grpc-status", http::HeaderValue::from_static("9"));
        assert_eq!(status_code(&headers), 9);
        assert!(!is_server_error(9) && !is_server_error(7) && is_server_error(13));
    }
}
