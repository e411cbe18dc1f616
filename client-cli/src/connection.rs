//! The connection to the server: the address, the channel, and the per-call timeout.
//!
//! The channel is opened before the first call so that a server that is not running shows up as
//! one clear error naming the address (exit 8) rather than as a failed call.

use std::future::Future;
use std::time::Duration;

use regie_proto::v1::{
    audit_service_client::AuditServiceClient, case_service_client::CaseServiceClient,
    directory_service_client::DirectoryServiceClient,
    workflow_service_client::WorkflowServiceClient,
};
use std::error::Error as _;
use tonic::transport::{Channel, Endpoint};

use tonic::{Code, Request, Response, Status, TimeoutExpired};
use tonic_health::pb::health_client::HealthClient;

use crate::error::CliError;

/// Turns `--server` into a URL: `host:port` gets `http://` in front. Only plain HTTP/2 is
/// supported, as the client is built without TLS.
pub fn normalise_server(arg: &str) -> Result<String, String> {
    let arg = arg.trim();
    let url = if arg.contains("://") {
        arg.to_owned()
    } else {
        format!("http://{arg}")
    };
    if !url.starts_with("http://") {
        return Err(format!(
            "`{arg}`: only http:// servers are supported (this client has no TLS)"
        ));
    }
    Endpoint::from_shared(url.clone())
        .map_err(|e| format!("`{arg}` is not a server address: {e}"))?;
    Ok(url)
}

/// An open channel to the server, and how long each call may take.
#[derive(Debug, Clone)]
pub struct Connection {
    server: String,
    timeout: Duration,
    channel: Channel,
}

impl Connection {
    /// Connects to `server` (already normalised), waiting at most `timeout`.
    pub async fn open(server: &str, timeout: Duration) -> Result<Self, CliError> {
        let unreachable = |detail: String| CliError::Connect {
            server: server.to_owned(),
            detail,
        };
        let endpoint = Endpoint::from_shared(server.to_owned())
            .map_err(|e| unreachable(root_cause(&e)))?
            .connect_timeout(timeout);
        let channel = match tokio::time::timeout(timeout, endpoint.connect()).await {
            Err(_) => return Err(unreachable(format!("no connection within {timeout:?}"))),
            Ok(Err(e)) => return Err(unreachable(root_cause(&e))),
            Ok(Ok(channel)) => channel,
        };
        Ok(Self {
            server: server.to_owned(),
            timeout,
            channel,
        })
    }

    pub fn directory(&self) -> DirectoryServiceClient<Channel> {
        DirectoryServiceClient::new(self.channel.clone())
    }

    pub fn cases(&self) -> CaseServiceClient<Channel> {
        CaseServiceClient::new(self.channel.clone())
    }

    pub fn workflows(&self) -> WorkflowServiceClient<Channel> {
        WorkflowServiceClient::new(self.channel.clone())
    }

    pub fn audit(&self) -> AuditServiceClient<Channel> {
        AuditServiceClient::new(self.channel.clone())
    }

    pub fn health(&self) -> HealthClient<Channel> {
        HealthClient::new(self.channel.clone())
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
            Ok(Err(status)) => Err(CliError::Rpc(status)),
            Err(_) => Err(deadline_exceeded()),
        }
    }
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
        assert!(normalise_server("https://regie.local").is_err());
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

    #[tokio::test]
    async fn unreachable_server_is_a_connect_error() {
        // Port 1 on localhost is closed on any sane test machine.
        let err = Connection::open("http://127.0.0.1:1", Duration::from_secs(5))
            .await
            .expect_err("nothing listens on port 1");
        assert!(
            matches!(&err, CliError::Connect { server, .. } if server == "http://127.0.0.1:1"),
            "{err:?}"
        );
        assert_eq!(err.exit_code(), crate::error::exit::UNAVAILABLE);
    }
}
