//! The tower layer in front of every service: health and reflection pass; every other call
//! must carry a valid bearer token (UNAUTHENTICATED otherwise) and come from a principal with a
//! role (PERMISSION_DENIED otherwise) — both decided before the request body is read, as is
//! everything the method table decides alone (`rpc/methods.rs`). The authenticated [`Caller`]
//! goes into the request's extensions for the handler, which makes the exact decision once it
//! knows the target resource; a call on a case that no role of the caller could allow arrives
//! marked, and is refused there with the real object, action and domain.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tower::{Layer, Service};
use tracing::Instrument as _;

use super::{Access, Caller, Need};
use crate::domain::Error;
use crate::domain::access::{ANY_DOMAIN, RIJK};
use crate::rpc::methods::{self, Rule, Scope};
use crate::rpc::status::to_status;

#[derive(Clone)]
pub struct AuthLayer {
    access: Arc<Access>,
}

impl AuthLayer {
    pub fn new(access: Arc<Access>) -> Self {
        Self { access }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            access: self.access.clone(),
        }
    }
}

#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    access: Arc<Access>,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, B> Service<http::Request<B>> for AuthService<S>
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

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let path = request.uri().path().to_owned();
        if methods::is_open(&path) {
            return Box::pin(self.inner.call(request));
        }
        // The clone is ready-checked by the caller of poll_ready; keep that one for this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let access = self.access.clone();
        Box::pin(async move {
            let authorization = request
                .headers()
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let span = crate::telemetry::span!(
                "authenticate",
                rpc.method = path.as_str(),
                enduser.id = tracing::field::Empty,
            );
            let admitted = admit(&access, &path, authorization.as_deref())
                .instrument(span.clone())
                .await;
            match admitted {
                Ok(caller) => {
                    // The principal, never the token, on the RPC's span and this one.
                    span.record("enduser.id", caller.subject());
                    tracing::Span::current().record("enduser.id", caller.subject());
                    request.extensions_mut().insert(caller);
                    inner.call(request).await
                }
                Err(error) => Ok(to_status(error).into_http()),
            }
        })
    }
}

/// Authenticates the caller and decides what can be decided without the request body: what
/// the method table names completely (scopes Rijk and Anywhere, and lists: a caller none of
/// whose roles could allow them anywhere), and a caller without any role. A call on one case
/// that no role of the caller could allow goes on marked ([`Caller::refused_by_table`]), so that
/// the use case refuses it naming the case's kind, the action and its domain; the denial is
/// recorded there. Every refusal here records the need as the table names it, a family standing
/// for all its members in any domain where the layer looked in every domain.
async fn admit(access: &Access, path: &str, authorization: Option<&str>) -> Result<Caller, Error> {
    if access.disabled() {
        return Ok(Caller::unchecked());
    }
    let caller = match access.authenticate(authorization).await {
        Ok(caller) => caller,
        Err(error) => {
            access
                .denials
                .record("", path, &Need::new("", "", ""), error.reason());
            return Err(error);
        }
    };
    let subject = caller.subject();
    let refused = match methods::rule(path) {
        Some(Rule::Authenticated) => return Ok(caller),
        Some(Rule::Needs {
            object,
            action,
            scope: Scope::Rijk,
        }) => {
            let need = Need::new(object, action, RIJK);
            (!access.allowed(subject, &need).await).then_some(need)
        }
        Some(Rule::Needs {
            object,
            action,
            scope: Scope::Anywhere,
        }) => {
            let need = Need::new(object, action, RIJK);
            let allowed = access.allowed_anywhere(subject, &need).await;
            (!allowed).then(|| Need::everywhere(object, action))
        }
        Some(Rule::Needs {
            object,
            action,
            scope: Scope::Listed,
        }) => (!access.could_allow(subject, object, action).await)
            .then(|| Need::everywhere(object, action)),
        Some(Rule::Needs {
            object,
            action,
            scope: Scope::Resource,
        }) => {
            if access.could_allow(subject, object, action).await {
                None
            } else if access.holds_a_role(subject) {
                return Ok(caller.refused());
            } else {
                Some(Need::everywhere(object, action))
            }
        }
        // Not a method of the table: nothing is known that it could need.
        None => Some(Need::new("method", "call", ANY_DOMAIN)),
    };
    match refused {
        None => Ok(caller),
        Some(need) => Err(access.deny(subject, path, &need)),
    }
}
