//! The connection to the server: the address, the channel, the token, and the per-call timeout.
//!
//! `http://` is plaintext HTTP/2; `https://` is TLS (rustls), the server's certificate checked
//! against `--ca-cert` when given, else against the system's trust store.
//!
//! The channel is opened before the first call so that a server that is not running shows up as
//! one clear error naming the address (exit 8) rather than as a failed call. Every client handed
//! out goes through the [`Bearer`] interceptor, which adds `authorization: Bearer <token>` to
//! each call when a token is known; the server requires it on every `regie.v1` call.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use regie_proto::v1::{
    access_service_client::AccessServiceClient, assessment_service_client::AssessmentServiceClient,
    audit_service_client::AuditServiceClient, case_service_client::CaseServiceClient,
    directory_service_client::DirectoryServiceClient,
    framework_service_client::FrameworkServiceClient, risk_service_client::RiskServiceClient,
    work_service_client::WorkServiceClient, workflow_service_client::WorkflowServiceClient,
};
use std::error::Error as _;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::{Interceptor, interceptor::InterceptedService};

use crate::trace::TraceParent;
use std::path::Path;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

use tonic::{Code, Request, Response, Status, TimeoutExpired};
use tonic_health::pb::health_client::HealthClient;

use crate::error::CliError;

/// Turns `--server` into a URL: `host:port` gets `http://` in front; `https://` means TLS.
pub fn normalise_server(arg: &str) -> Result<String, String> {
    let arg = arg.trim();
    let url = if arg.contains("://") {
        arg.to_owned()
    } else {
        format!("http://{arg}")
    };
    if !url.starts_with("http://") && !url.starts_with("https://") {
        return Err(format!(
            "`{arg}`: use an http:// (plaintext) or https:// (TLS) server address"
        ));
    }
    Endpoint::from_shared(url.clone())
        .map_err(|e| format!("`{arg}` is not a server address: {e}"))?;
    Ok(url)
}

/// Adds `authorization: Bearer <token>` to every call, when there is a token, and the run's
/// `traceparent`, when it traces (see `trace.rs`).
#[derive(Clone, Default)]
pub struct Bearer(Option<MetadataValue<Ascii>>, Option<MetadataValue<Ascii>>);

impl Bearer {
    /// The interceptor for `token`; an error when the token cannot be sent in a header (only
    /// visible ASCII can).
    pub fn new(token: Option<&str>) -> Result<Self, String> {
        let Some(token) = token else {
            return Ok(Self(None, None));
        };
        let mut value = MetadataValue::try_from(format!("Bearer {token}"))
            .ok()
            .filter(|_| token.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| {
                "the token has characters that cannot be sent (only visible ASCII can)".to_owned()
            })?;
        // Keeps the secret out of debug output and lets HTTP/2 header compression skip it.
        value.set_sensitive(true);
        Ok(Self(Some(value), None))
    }

    /// Also sends `traceparent` on every call.
    pub fn with_trace(mut self, trace: Option<&TraceParent>) -> Self {
        self.1 = trace.and_then(|t| MetadataValue::try_from(t.to_string()).ok());
        self
    }
}

/// Never prints the secret.
impl fmt::Debug for Bearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let token = if self.0.is_some() { "<token>" } else { "none" };
        f.debug_tuple("Bearer").field(&token).finish()
    }
}

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        if let Some(value) = &self.1 {
            request.metadata_mut().insert("traceparent", value.clone());
        }
        Ok(request)
    }
}

/// The transport of every client: the channel, with the token added to each call.
pub type Authorized = InterceptedService<Channel, Bearer>;

/// An open channel to the server, the token to send, and how long each call may take.
#[derive(Debug, Clone)]
pub struct Connection {
    server: String,
    timeout: Duration,
    channel: Channel,
    bearer: Bearer,
}

impl Connection {
    /// Connects to `server` (already normalised), waiting at most `timeout`; every call will
    /// carry `token` if there is one. A token that cannot be sent is a usage error, found before
    /// connecting.
    pub async fn open(
        server: &str,
        timeout: Duration,
        token: Option<&str>,
        trace: Option<&TraceParent>,
        ca_cert: Option<&Path>,
    ) -> Result<Self, CliError> {
        let bearer = Bearer::new(token)
            .map_err(CliError::Usage)?
            .with_trace(trace);
        let tls = server.starts_with("https://");
        let unreachable = |detail: String| {
            // A plaintext client at a TLS server sees its connection closed.
            let detail = if !tls && !detail.contains("refused") {
                format!("{detail} (if the server speaks TLS, use an https:// address)")
            } else {
                detail
            };
            CliError::Connect {
                server: server.to_owned(),
                detail,
            }
        };
        let mut endpoint = Endpoint::from_shared(server.to_owned())
            .map_err(|e| unreachable(root_cause(&e)))?
            .connect_timeout(timeout);
        match (tls, ca_cert) {
            (true, ca_cert) => {
                endpoint = endpoint
                    .tls_config(tls_config(ca_cert)?)
                    .map_err(|e| CliError::Usage(format!("TLS: {}", root_cause(&e))))?;
            }
            (false, Some(_)) => {
                return Err(CliError::Usage(format!(
                    "--ca-cert is for https:// servers; {server} is plaintext"
                )));
            }
            (false, None) => {}
        }
        let channel = match tokio::time::timeout(timeout, endpoint.connect()).await {
            Err(_) => return Err(unreachable(format!("no connection within {timeout:?}"))),
            Ok(Err(e)) => return Err(unreachable(root_cause(&e))),
            Ok(Ok(channel)) => channel,
        };
        Ok(Self {
            server: server.to_owned(),
            timeout,
            channel,
            bearer,
        })
    }

    pub fn directory(&self) -> DirectoryServiceClient<Authorized> {
        DirectoryServiceClient::with_interceptor(self.channel.clone(), self.bearer.clone())
    }

    pub fn cases(&self) -> CaseServiceClient<Authorized> {
        CaseServiceClient::with_interceptor(self.channel.clone(), self.bearer.clone())
    }

    pub fn workflows(&self) -> WorkflowServiceClient<Authorized> {
        WorkflowServiceClient::with_interceptor(self.channel.clone(), self.bearer.clone())
    }

    pub fn audit(&self) -> AuditServiceClient<Authorized> {
        AuditServiceClient::with_interceptor(self.channel.clone(), self.bearer.clone())
    }

    pub fn access(&self) -> AccessServiceClient<Authorized> {
        AccessServiceClient::with_interceptor(self.channel.clone(), self.bearer.clone())
    }

    pub fn assessments(&self) -> AssessmentServiceClient<Authorized> {
        AssessmentServiceClient::with_interceptor(self.channel.clone(), self.bearer.clone())
    }

    pub fn frameworks(&self) -> FrameworkServiceClient<Authorized> {
        FrameworkServiceClient::with_interceptor(self.channel.clone(), self.bearer.clone())
    }

    pub fn risks(&self) -> RiskServiceClient<Authorized> {
        RiskServiceClient::with_interceptor(self.channel.clone(), self.bearer.clone())
    }

    pub fn work(&self) -> WorkServiceClient<Authorized> {
        WorkServiceClient::with_interceptor(self.channel.clone(), self.bearer.clone())
    }

    /// The health service is open, but gets the token too: one rule for every client.
    pub fn health(&self) -> HealthClient<Authorized> {
        HealthClient::with_interceptor(self.channel.clone(), self.bearer.clone())
    }

    /// Wraps a request message, telling the server the deadline (`grpc-timeout`).
    pub fn request<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        request.set_timeout(self.timeout);
        request
    }

    /// Wraps the request of a stream that may run for as long as the user likes (`watch`): no
    /// deadline. Opening the stream is still bounded by [`Connection::call`].
    pub fn stream_request<T>(&self, message: T) -> Request<T> {
        Request::new(message)
    }

    /// Awaits a call, giving up with DEADLINE_EXCEEDED when the timeout passes.
    pub async fn call<T>(
        &self,
        call: impl Future<Output = Result<Response<T>, Status>>,
    ) -> Result<T, CliError> {
        let deadline_exceeded = || {
            CliError::Rpc(Status::deadline_exceeded(format!(
                "no answer from {} within {:?}",
                self.server, self.timeout
            )))
        };
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(response)) => Ok(response.into_inner()),
            // tonic enforces `grpc-timeout` on the client side too, reporting CANCELLED.
            Ok(Err(status)) if is_local_timeout(&status) => Err(deadline_exceeded()),
            // The connection itself failed (UNKNOWN "transport error"): the server is not
            // reachable as addressed, e.g. a plaintext client at a TLS server.
            Ok(Err(status)) if is_transport_error(&status) => Err(CliError::Connect {
                server: self.server.clone(),
                detail: transport_detail(&self.server, &status),
            }),
            Ok(Err(status)) => Err(CliError::Rpc(status)),
            Err(_) => Err(deadline_exceeded()),
        }
    }
}

/// The TLS settings of an `https://` server: its certificate checked against the CA in
/// `ca_cert` (PEM), or against the system's trust store.
fn tls_config(ca_cert: Option<&Path>) -> Result<ClientTlsConfig, CliError> {
    let Some(path) = ca_cert else {
        return Ok(ClientTlsConfig::new().with_native_roots());
    };
    let pem = std::fs::read(path)
        .map_err(|e| CliError::Usage(format!("cannot read --ca-cert {}: {e}", path.display())))?;
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(CliError::Usage(format!(
            "--ca-cert {} holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)",
            path.display()
        )));
    }
    Ok(ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem)))
}

/// Whether tonic gave up on the call because our own timeout expired.
fn is_local_timeout(status: &Status) -> bool {
    if status.code() != Code::Cancelled {
        return false;
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = status.source();
    while let Some(error) = cause {
        if error.is::<TimeoutExpired>() {
            return true;
        }
        cause = error.source();
    }
    false
}

/// Whether the call failed in the transport (the connection), not at the server: a status the
/// client made itself from an error (one from the server carries no source), UNKNOWN for a
/// transport error or INTERNAL for an HTTP/2 protocol error, as a plaintext client at a TLS
/// server gets either.
fn is_transport_error(status: &Status) -> bool {
    matches!(status.code(), Code::Unknown | Code::Internal) && status.source().is_some()
}

/// What went wrong with the connection, with a hint for a plaintext address.
fn transport_detail(server: &str, status: &Status) -> String {
    let detail = status
        .source()
        .map_or_else(|| status.message().to_owned(), root_cause);
    if server.starts_with("http://") {
        format!("{detail} (if the server speaks TLS, use an https:// address)")
    } else {
        detail
    }
}

/// The innermost cause of an error, which is the one that says what went wrong (e.g.
/// "Connection refused (os error 111)" under "transport error").
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses() {
        assert_eq!(
            normalise_server("127.0.0.1:50051").as_deref(),
            Ok("http://127.0.0.1:50051")
        );
        assert_eq!(
            normalise_server("http://regie.local:8080").as_deref(),
            Ok("http://regie.local:8080")
        );
        assert_eq!(
            normalise_server("https://regie.local").as_deref(),
            Ok("https://regie.local")
        );
        assert!(normalise_server("ftp://regie.local").is_err());
        assert!(normalise_server("not a host").is_err());
    }

    #[test]
    fn tonics_own_timeout_is_recognised() {
        let status = Status::from_error(Box::new(TimeoutExpired(())));
        assert_eq!(status.code(), Code::Cancelled);
        assert!(is_local_timeout(&status));
        assert!(!is_local_timeout(&Status::cancelled("the user gave up")));
    }

    #[test]
    fn only_a_status_the_client_made_is_a_transport_error() {
        assert!(!is_transport_error(&Status::internal("from the server")));
        assert!(!is_transport_error(&Status::unknown("from the server")));
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        let mut local = Status::from_error(Box::new(io));
        assert_eq!(local.code(), Code::Unknown);
        assert!(is_transport_error(&local));
        local = Status::from_error(Box::new(TimeoutExpired(())));
        assert!(!is_transport_error(&local), "a timeout is not");
    }

    fn authorization(bearer: &mut Bearer) -> Option<String> {
        let request = bearer.call(Request::new(())).expect("never refuses");
        request
            .metadata()
            .get("authorization")
            .map(|v| v.to_str().expect("ASCII").to_owned())
    }

    #[test]
    fn a_known_token_goes_with_every_call() {
        let mut bearer = Bearer::new(Some("s3cr3t-token")).expect("a valid token");
        assert_eq!(
            authorization(&mut bearer).as_deref(),
            Some("Bearer s3cr3t-token")
        );
        assert_eq!(
            authorization(&mut bearer).as_deref(),
            Some("Bearer s3cr3t-token"),
            "and again on the next call"
        );
        assert!(!format!("{bearer:?}").contains("s3cr3t"), "{bearer:?}");
        let mut none = Bearer::new(None).expect("no token is fine");
        assert_eq!(authorization(&mut none), None);
    }

    #[test]
    fn tokens_that_cannot_be_sent_are_refused() {
        assert!(Bearer::new(Some("geheim€")).is_err());
        assert!(Bearer::new(Some("two words")).is_err());
        assert!(Bearer::new(Some("line\nbreak")).is_err());
    }

    #[tokio::test]
    async fn unreachable_server_is_a_connect_error() {
        // Port 1 on localhost is closed on any sane test machine.
        let err = Connection::open(
            "http://127.0.0.1:1",
            Duration::from_secs(5),
            None,
            None,
            None,
        )
        .await
        .expect_err("nothing listens on port 1");
        assert!(
            matches!(&err, CliError::Connect { server, .. } if server == "http://127.0.0.1:1"),
            "{err:?}"
        );
        assert_eq!(err.exit_code(), crate::error::exit::UNAVAILABLE);
    }
}
