//! The echo baseline: the cheapest unary gRPC call this machine can serve — tonic's
//! `grpc.health.v1.Health/Check`, which answers from memory — in a process of its own, just as
//! the real server runs in its own process. What GetCase adds on top of it is Regie's work
//! (routing, decoding, the database read, encoding); what the echo costs is the floor.
//!
//! The bench starts itself again with the hidden `--serve-echo PORT` flag to get that process.
//! It prints its address on stdout, and ends when its stdin closes, so it cannot outlive the
//! bench.

use std::io::{Read as _, Write as _};
use std::process::Stdio;

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use super::load::{self, Client};

/// The `--serve-echo PORT` mode: serves health checks on 127.0.0.1:PORT (0: any free port) until
/// stdin closes.
pub async fn serve(port: u16) -> anyhow::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    let address = listener.local_addr()?;
    let (_reporter, health) = tonic_health::server::health_reporter();

    // The parent holds our stdin open; EOF means it has finished or died. The standard
    // library's blocking read is used because tokio's stdin needs a feature the workspace does
    // not enable, and one thread is cheap.
    let (gone_tx, gone_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut buffer = [0_u8; 64];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut buffer), Ok(n) if n > 0) {}
        let _ = gone_tx.send(());
    });

    let mut stdout = std::io::stdout();
    writeln!(stdout, "{address}")?;
    stdout.flush()?;

    tonic::transport::Server::builder()
        .add_service(health)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async {
            let _ = gone_rx.await;
        })
        .await
        .context("the echo server failed")
}

/// The echo server process, killed when dropped.
pub struct EchoServer {
    pub endpoint: String,
    child: Child,
}

impl EchoServer {
    /// Starts this executable in `--serve-echo` mode and waits for its address.
    pub async fn start() -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find the bench executable")?;
        let mut child = Command::new(&exe)
            .arg("--serve-echo")
            .arg("0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {} --serve-echo", exe.display()))?;
        let stdout = child.stdout.take().context("echo server stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
            .await
            .context("the echo server did not say where it listens within 30 s")??
            .context("the echo server ended before it listened")?;
        Ok(Self {
            endpoint: format!("http://{}", line.trim()),
            child,
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

/// A client that calls `Health/Check` in a loop.
pub struct EchoClient {
    health: HealthClient<Channel>,
}

impl EchoClient {
    pub fn new(channel: Channel) -> Self {
        Self {
            health: HealthClient::new(channel),
        }
    }
}

impl Client for EchoClient {
    async fn call(&mut self) -> Result<(), String> {
        let response = self
            .health
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .map_err(|status| load::describe(&status))?;
        if response.get_ref().status == ServingStatus::Serving as i32 {
            Ok(())
        } else {
            Err(format!("status {}", response.get_ref().status))
        }
    }
}
