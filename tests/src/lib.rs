//! The end-to-end harness: starts the real `regie-server` binary on a free port with a fresh
//! database, waits until it reports SERVING, and hands the test typed gRPC clients and a way to
//! run the real `regie` CLI against it.
//!
//! Backends: every test can run on SQLite (a file in a temporary directory) and on PostgreSQL (a
//! new database per test, dropped afterwards) when `REGIE_TEST_POSTGRES_URL` names a server the
//! tests may create databases on. Without it, PostgreSQL tests say on the terminal that they were
//! skipped — they never pass silently — and with `REGIE_TEST_REQUIRE_POSTGRES=1` (as in CI) a
//! missing PostgreSQL fails them instead.
//!
//! The binaries are found next to the test executable (`target/<profile>/`); `cargo test
//! --workspace` builds them because the server and CLI crates have integration tests of their
//! own. A binary older than the sources is refused with a clear message rather than tested, as
//! happens after `cargo test -p regie-tests` alone. `REGIE_SERVER_BIN` and `REGIE_CLI_BIN`
//! override the paths.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use regie_proto::v1::directory_service_client::DirectoryServiceClient;
use sqlx::Connection as _;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

pub mod browser;
pub mod fixtures;
pub mod otlp;
pub mod raw;
pub mod replicas;

/// The database a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each listed `async fn name(backend: Backend)` as two tests, `sqlite::name` and
/// `postgres::name`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Postgres).await
                }
            )*
        }
    };
}

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Clone)]
pub struct Bearer(Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>);

impl Bearer {
    pub fn new(token: Option<&str>) -> Self {
        Self(token.map(|t| {
            format!("Bearer {t}")
                .parse()
                .expect("a token fits in a header")
        }))
    }
}

impl Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// A channel whose calls carry a bearer token.
pub type Authed = InterceptedService<Channel, Bearer>;

/// A running `regie-server` process and what the test needs to reach it.
pub struct TestServer {
    pub backend: Backend,
    pub address: SocketAddr,
    /// Where the web console listens (`--console-listen 127.0.0.1:0` unless the test gave its
    /// own `--console-listen`); `None` when it is off.
    pub console_address: Option<SocketAddr>,
    pub database_url: String,
    /// The bootstrap admin's token, from `admin.token` in the data directory.
    pub admin_token: String,
    child: Option<Child>,
    log: Arc<Mutex<Vec<String>>>,
    extra_args: Vec<String>,
    /// Extra environment variables for the server process (telemetry settings).
    env: Vec<(String, String)>,
    data_dir: tempfile::TempDir,
    postgres: Option<PgDatabase>,
    /// For a server that speaks TLS: the CA file (PEM) its clients trust.
    tls_ca: Option<PathBuf>,
    /// A program (and its arguments) the server runs under, e.g. valgrind; empty: none.
    wrapper: Vec<String>,
}

/// `REGIE_SERVER_WRAPPER`, split at spaces: a program the server is to run under.
fn wrapper_from_env() -> Vec<String> {
    std::env::var("REGIE_SERVER_WRAPPER")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

impl TestServer {
    /// Starts a server on a fresh database of `backend`, or returns `None` (after saying so on
    /// the terminal) when PostgreSQL was asked for and is not configured.
    pub async fn start(backend: Backend) -> Option<Self> {
        Self::start_with(backend, &[]).await
    }

    /// As [`start`](Self::start), with extra command-line arguments for the server.
    pub async fn start_with(backend: Backend, args: &[&str]) -> Option<Self> {
        Self::start_with_env(backend, args, &[]).await
    }

    /// As [`start_with`](Self::start_with), with environment variables for the server (on top
    /// of an environment without any `OTEL_*` or `TRACEPARENT` of the test's own).
    pub async fn start_with_env(
        backend: Backend,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Option<Self> {
        let env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Self::launched(backend, args, env, None, wrapper_from_env()).await
    }

    /// As [`start_with`](Self::start_with), with the server run under `wrapper` (a program
    /// and its arguments, e.g. valgrind's), as `REGIE_SERVER_WRAPPER` does for the others.
    pub async fn start_under(
        backend: Backend,
        args: &[&str],
        wrapper: Vec<String>,
    ) -> Option<Self> {
        Self::launched(backend, args, Vec::new(), None, wrapper).await
    }

    /// A server on an existing database (another replica's, say), with extra arguments and
    /// environment variables. Its `admin_token` is empty unless this server made the first
    /// admin (a replica that started second finds one made).
    pub async fn start_on(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let backend = if database_url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let mut server = Self {
            backend,
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            console_address: None,
            database_url: database_url.to_owned(),
            admin_token: String::new(),
            child: None,
            log: Arc::default(),
            extra_args: args.iter().map(|a| (*a).to_owned()).collect(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            data_dir: tempfile::tempdir().expect("temporary data directory"),
            postgres: None,
            tls_ca: None,
            wrapper: wrapper_from_env(),
        };
        server.launch().await;
        server
    }

    /// Whether the process is still running (it has not exited, crashed or been killed).
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// Sends `signal` (`-STOP`, `-CONT`, `-KILL`) to the process.
    pub fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .arg(signal)
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal} failed");
    }

    /// As [`start_with`](Self::start_with), for a server that speaks TLS (`args` name its
    /// `--tls-cert` and `--tls-key`): the harness's clients, and the CLI, trust the CA in
    /// `ca_file` and reach the server as `https://localhost:PORT`.
    pub async fn start_tls(backend: Backend, args: &[&str], ca_file: &Path) -> Option<Self> {
        Self::launched(
            backend,
            args,
            Vec::new(),
            Some(ca_file.to_owned()),
            wrapper_from_env(),
        )
        .await
    }

    async fn launched(
        backend: Backend,
        args: &[&str],
        env: Vec<(String, String)>,
        tls_ca: Option<PathBuf>,
        wrapper: Vec<String>,
    ) -> Option<Self> {
        let data_dir = tempfile::tempdir().expect("temporary data directory");
        let (database_url, postgres) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}", data_dir.path().join("regie.db").display()),
                None,
            ),
            Backend::Postgres => {
                let db = PgDatabase::create().await?;
                (db.url.clone(), Some(db))
            }
        };
        let mut server = Self {
            backend,
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            console_address: None,
            database_url,
            admin_token: String::new(),
            child: None,
            log: Arc::default(),
            extra_args: args.iter().map(|a| (*a).to_owned()).collect(),
            env,
            wrapper,
            data_dir,
            postgres,
            tls_ca,
        };
        server.launch().await;
        Some(server)
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// The server's URL: `http://127.0.0.1:PORT`, or `https://localhost:PORT` when it speaks
    /// TLS (the test certificates name `localhost`).
    pub fn endpoint(&self) -> String {
        match self.tls_ca {
            Some(_) => format!("https://localhost:{}", self.address.port()),
            None => format!("http://{}", self.address),
        }
    }

    /// The CA file the clients of a TLS server trust.
    pub fn tls_ca(&self) -> Option<&Path> {
        self.tls_ca.as_deref()
    }

    /// The endpoint of [`endpoint`](Self::endpoint), trusting the test CA when there is one.
    fn connector(&self) -> tonic::transport::Endpoint {
        let endpoint = Channel::from_shared(self.endpoint()).expect("endpoint");
        match &self.tls_ca {
            Some(ca) => {
                let pem = std::fs::read(ca).expect("the test CA");
                endpoint
                    .tls_config(
                        tonic::transport::ClientTlsConfig::new()
                            .ca_certificate(tonic::transport::Certificate::from_pem(pem)),
                    )
                    .expect("TLS settings")
            }
            None => endpoint,
        }
    }

    /// The server's log so far, one JSON object per line.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .and_then(Child::id)
            .expect("server is running")
    }

    async fn launch(&mut self) {
        let server = binary("regie-server", "REGIE_SERVER_BIN");
        let mut command = match self.wrapper.split_first() {
            Some((program, args)) => {
                let mut command = Command::new(program);
                command.args(args).arg(&server);
                command
            }
            None => Command::new(&server),
        };
        command
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(self.data_dir.path())
            .arg("--database-url")
            .arg(&self.database_url)
            .arg("--log-format")
            .arg("json")
            .args(
                (!self.extra_args.iter().any(|a| a == "--console-listen"))
                    .then_some(["--console-listen", "127.0.0.1:0"])
                    .into_iter()
                    .flatten(),
            )
            .args(&self.extra_args)
            .env_remove("REGIE_CONFIG")
            .env_remove("TRACEPARENT");
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("OTEL_")) {
            command.env_remove(name);
        }
        command
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("start regie-server");
        let stderr = child.stderr.take().expect("piped stderr");
        let (address_tx, address_rx) = tokio::sync::oneshot::channel();
        let log = self.log.clone();
        let console = Arc::new(Mutex::new(None));
        let console_seen = console.clone();
        tokio::spawn(async move {
            let mut address_tx = Some(address_tx);
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(address) = logged_address(&line, "console listening")
                    && let Ok(mut console) = console_seen.lock()
                {
                    *console = Some(address);
                }
                if let Some(address) = listening_address(&line)
                    && let Some(tx) = address_tx.take()
                {
                    let _ = tx.send(address);
                }
                if let Ok(mut log) = log.lock() {
                    log.push(line);
                }
            }
        });
        self.child = Some(child);
        match tokio::time::timeout(Duration::from_secs(60), address_rx).await {
            Ok(Ok(address)) => self.address = address,
            _ => panic!(
                "regie-server did not start listening; its log:\n{}",
                self.log().join("\n")
            ),
        }
        self.wait_until_serving().await;
        // The console is bound before gRPC serves, so its line is logged by now.
        self.console_address = console.lock().ok().and_then(|c| *c);
        if self.admin_token.is_empty() {
            let path = self.data_dir.path().join("admin.token");
            // Absent when the server runs with access control off (benchmarks).
            if let Ok(text) = std::fs::read_to_string(&path) {
                self.admin_token = text.trim().to_owned();
            }
        }
    }

    async fn wait_until_serving(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(channel) = self.connector().connect().await {
                let response = HealthClient::new(channel)
                    .check(HealthCheckRequest {
                        service: String::new(),
                    })
                    .await;
                if response.is_ok_and(|r| r.get_ref().status == ServingStatus::Serving as i32) {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "regie-server never became SERVING; log:\n{}",
                self.log().join("\n")
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn channel(&self) -> Channel {
        self.connector()
            .connect()
            .await
            .expect("connect to regie-server")
    }

    /// A channel whose calls carry `token`.
    pub async fn authed_with(&self, token: &str) -> Authed {
        InterceptedService::new(self.channel().await, Bearer::new(Some(token)))
    }

    /// A channel whose calls carry the admin's token.
    pub async fn authed(&self) -> Authed {
        self.authed_with(&self.admin_token).await
    }

    pub async fn directory(&self) -> DirectoryServiceClient<Authed> {
        DirectoryServiceClient::new(self.authed().await)
    }

    pub async fn health(&self) -> HealthClient<Channel> {
        HealthClient::new(self.channel().await)
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit code and how long it took.
    pub async fn terminate(&mut self) -> (Option<i32>, Duration) {
        let started = Instant::now();
        let status = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        let mut child = self.child.take().expect("server is running");
        let exit = tokio::time::timeout(Duration::from_secs(120), child.wait())
            .await
            .expect("regie-server exits after SIGTERM")
            .expect("wait for regie-server");
        (exit.code(), started.elapsed())
    }

    /// Stops the server (SIGTERM) and starts it again on the same database with other extra
    /// arguments.
    pub async fn restart_with(&mut self, args: Vec<String>) {
        self.extra_args = args;
        self.restart().await;
    }

    /// Restarts the server with these arguments and environment variables.
    pub async fn restart_with_env(&mut self, args: Vec<String>, env: Vec<(String, String)>) {
        self.env = env;
        self.restart_with(args).await;
    }

    /// Stops the server (SIGTERM) and starts it again on the same database.
    pub async fn restart(&mut self) {
        if self.child.is_some() {
            let (code, _) = self.terminate().await;
            assert_eq!(code, Some(0), "clean exit before restart");
        }
        self.launch().await;
    }

    /// Runs the real `regie` CLI against this server, as the admin.
    pub async fn cli(&self, args: &[&str]) -> CliOutput {
        self.cli_as(Some(&self.admin_token), args).await
    }

    /// Runs the real `regie` CLI with `token` in `REGIE_TOKEN`, or with none (then the CLI uses
    /// its profile file, which lives in this server's data directory).
    pub async fn cli_as(&self, token: Option<&str>, args: &[&str]) -> CliOutput {
        self.cli_with_env(token, args, &[]).await
    }

    /// As [`cli_as`](Self::cli_as), with extra environment variables (and no `TRACEPARENT` of
    /// the test's own).
    pub async fn cli_with_env(
        &self,
        token: Option<&str>,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> CliOutput {
        let mut server = vec!["--server".to_owned(), self.endpoint()];
        if let Some(ca) = &self.tls_ca {
            server.extend(["--ca-cert".to_owned(), ca.display().to_string()]);
        }
        self.run_cli(token, &server, args, env).await
    }

    /// As [`cli_as`](Self::cli_as), without `--server`: the CLI finds the server in its profile
    /// (or uses its built-in default).
    pub async fn cli_without_server(&self, token: Option<&str>, args: &[&str]) -> CliOutput {
        self.run_cli(token, &[], args, &[]).await
    }

    async fn run_cli(
        &self,
        token: Option<&str>,
        first: &[String],
        args: &[&str],
        env: &[(&str, &str)],
    ) -> CliOutput {
        let mut command = Command::new(binary("regie", "REGIE_CLI_BIN"));
        command.env_remove("TRACEPARENT");
        command.envs(env.iter().copied());
        match token {
            Some(token) => command.env("REGIE_TOKEN", token),
            None => command.env_remove("REGIE_TOKEN"),
        };
        let output = command
            .args(first)
            .args(args)
            .env_remove("REGIE_SERVER")
            .env_remove("REGIE_OUTPUT")
            .env_remove("REGIE_PROFILE")
            .env_remove("REGIE_CA_CERT")
            .env("REGIE_CONFIG_DIR", self.data_dir.path().join("cli-config"))
            .stdin(Stdio::null())
            .output()
            .await
            .expect("run regie");
        CliOutput {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        // After the server is told to stop; the database goes with it.
        drop(self.postgres.take());
    }
}

/// What a `regie` invocation printed and returned.
#[derive(Debug)]
pub struct CliOutput {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl CliOutput {
    /// Asserts success and returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code,
            Some(0),
            "regie failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        &self.stdout
    }
}

fn listening_address(line: &str) -> Option<SocketAddr> {
    logged_address(line, "listening")
}

/// The `address` of a JSON log line whose message is `message`.
fn logged_address(line: &str, message: &str) -> Option<SocketAddr> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    if value.get("message")?.as_str()? != message {
        return None;
    }
    value.get("address")?.as_str()?.parse().ok()
}

/// The path of a workspace binary: `$env_var`, or next to the test executable.
pub fn binary(name: &str, env_var: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(env_var) {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable path");
    // A test runs as target/<profile>/deps/<test>, a binary (the bench) as target/<profile>/<bin>;
    // either way the server is in target/<profile>/.
    let dir = exe.parent().expect("target directory");
    let dir = if dir.file_name().is_some_and(|d| d == "deps") {
        dir.parent().expect("profile directory")
    } else {
        dir
    };
    let path = dir.join(name);
    let built = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| {
            panic!(
                "{} is missing: run `cargo test --workspace`, which builds it, or set {env_var}",
                path.display()
            )
        });
    let sources: &[&str] = match name {
        "regie" => &["proto", "client-cli/src"],
        _ => &[
            "proto",
            "server/src",
            "server/migrations",
            "server/data",
            "server/workflows",
            "deploy/policies",
        ],
    };
    if let Some(newer) = newest_source(sources).filter(|(time, _)| *time > built) {
        panic!(
            "{} is older than {}: run `cargo test --workspace` (or `cargo build --workspace --bins` first), \
             so that the tests do not run against a stale binary",
            path.display(),
            newer.1.display()
        );
    }
    path
}

/// The most recently changed file in the given source directories of the workspace.
fn newest_source(sources: &[&str]) -> Option<(std::time::SystemTime, PathBuf)> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    let mut pending: Vec<PathBuf> = sources.iter().map(|d| workspace.join(d)).collect();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(modified) = entry.metadata().and_then(|m| m.modified())
                && newest.as_ref().is_none_or(|(time, _)| modified > *time)
            {
                newest = Some((modified, path));
            }
        }
    }
    newest
}

/// Tells the person at the terminal that a test did not run. libtest captures `eprintln!`, so
/// this writes to the process's stderr directly.
pub fn say_skipped(reason: &str) {
    let name = std::thread::current().name().unwrap_or("a test").to_owned();
    let _ = writeln!(std::io::stderr(), "SKIPPED {name}: {reason}");
}

/// A database of its own for one test, on the PostgreSQL server `REGIE_TEST_POSTGRES_URL` names;
/// dropped (with any connections still open to it) when this value is.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    /// Creates a fresh database, or returns `None` after saying on the terminal that the test is
    /// skipped when `REGIE_TEST_POSTGRES_URL` is not set (and panics instead when
    /// `REGIE_TEST_REQUIRE_POSTGRES=1`).
    pub async fn create() -> Option<Self> {
        let Ok(admin_url) = std::env::var("REGIE_TEST_POSTGRES_URL") else {
            if std::env::var("REGIE_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("REGIE_TEST_REQUIRE_POSTGRES=1 but REGIE_TEST_POSTGRES_URL is not set");
            }
            say_skipped("REGIE_TEST_POSTGRES_URL is not set");
            return None;
        };
        let name = format!("regie_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to REGIE_TEST_POSTGRES_URL: {e}"));
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create test database");
        let _ = admin.close().await;
        let url = with_database(&admin_url, &name);
        Some(Self {
            admin_url,
            name,
            url,
        })
    }

    /// The URL of this database.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = std::mem::take(&mut self.admin_url);
        let name = std::mem::take(&mut self.name);
        // Drop runs outside any runtime we may block on, so use a thread with its own.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut admin)
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

/// `url` with its database (the path) replaced by `database`; query parameters are kept.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_get_the_test_database() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres", "t1"),
            "postgres://u:p@h:5432/t1"
        );
        assert_eq!(with_database("postgres://u@h", "t1"), "postgres://u@h/t1");
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
    }
}

/// Reading the rich error details of a `Status`, as a client would.
pub mod errors {
    use tonic_types::StatusExt as _;

    /// `ErrorInfo.reason`, or an empty string when the status has no `ErrorInfo`.
    pub fn reason(status: &tonic::Status) -> String {
        status
            .get_error_details()
            .error_info()
            .map(|info| info.reason.clone())
            .unwrap_or_default()
    }

    /// `ErrorInfo.domain`.
    pub fn domain(status: &tonic::Status) -> String {
        status
            .get_error_details()
            .error_info()
            .map(|info| info.domain.clone())
            .unwrap_or_default()
    }

    /// The fields named by `BadRequest` violations.
    pub fn bad_fields(status: &tonic::Status) -> Vec<String> {
        status
            .get_error_details()
            .bad_request()
            .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
            .unwrap_or_default()
    }

    /// Asserts the code, the `regie` error domain and the reason.
    pub fn assert_error(status: &tonic::Status, code: tonic::Code, expected_reason: &str) {
        assert_eq!(status.code(), code, "unexpected status: {status:?}");
        assert_eq!(domain(status), "regie", "ErrorInfo.domain of {status:?}");
        assert_eq!(
            reason(status),
            expected_reason,
            "ErrorInfo.reason of {status:?}"
        );
    }
}

impl TestServer {
    /// Runs SQL directly on the server's database, behind the server's back — for tests that
    /// tamper with stored data the way an intruder with database access would.
    pub async fn tamper(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self.backend {
            Backend::Sqlite => {
                let mut db = sqlx::SqliteConnection::connect(&self.database_url)
                    .await
                    .expect("open SQLite");
                sqlx::raw_sql(sql).execute(&mut db).await.expect("tamper");
                let _ = db.close().await;
            }
            Backend::Postgres => {
                let mut db = sqlx::PgConnection::connect(&self.database_url)
                    .await
                    .expect("open PostgreSQL");
                sqlx::raw_sql(sql).execute(&mut db).await.expect("tamper");
                let _ = db.close().await;
            }
        }
    }

    pub async fn cases(&self) -> regie_proto::v1::case_service_client::CaseServiceClient<Authed> {
        regie_proto::v1::case_service_client::CaseServiceClient::new(self.authed().await)
    }

    /// A case client acting with `token`.
    pub async fn cases_as(
        &self,
        token: &str,
    ) -> regie_proto::v1::case_service_client::CaseServiceClient<Authed> {
        regie_proto::v1::case_service_client::CaseServiceClient::new(self.authed_with(token).await)
    }

    pub async fn audit(&self) -> regie_proto::v1::audit_service_client::AuditServiceClient<Authed> {
        regie_proto::v1::audit_service_client::AuditServiceClient::new(self.authed().await)
    }

    pub async fn workflows(
        &self,
    ) -> regie_proto::v1::workflow_service_client::WorkflowServiceClient<Authed> {
        regie_proto::v1::workflow_service_client::WorkflowServiceClient::new(self.authed().await)
    }

    pub async fn access(
        &self,
    ) -> regie_proto::v1::access_service_client::AccessServiceClient<Authed> {
        regie_proto::v1::access_service_client::AccessServiceClient::new(self.authed().await)
    }

    /// An access client acting with `token`.
    pub async fn access_as(
        &self,
        token: &str,
    ) -> regie_proto::v1::access_service_client::AccessServiceClient<Authed> {
        regie_proto::v1::access_service_client::AccessServiceClient::new(
            self.authed_with(token).await,
        )
    }

    pub async fn assessment(
        &self,
    ) -> regie_proto::v1::assessment_service_client::AssessmentServiceClient<Authed> {
        regie_proto::v1::assessment_service_client::AssessmentServiceClient::new(
            self.authed().await,
        )
    }

    pub async fn frameworks(
        &self,
    ) -> regie_proto::v1::framework_service_client::FrameworkServiceClient<Authed> {
        regie_proto::v1::framework_service_client::FrameworkServiceClient::new(self.authed().await)
    }

    pub async fn risks(&self) -> regie_proto::v1::risk_service_client::RiskServiceClient<Authed> {
        regie_proto::v1::risk_service_client::RiskServiceClient::new(self.authed().await)
    }

    /// Creates a person principal `id` with the given (role, domain) bindings and returns the
    /// secret of a new token of theirs.
    pub async fn principal(&self, id: &str, roles: &[(&str, &str)]) -> String {
        use regie_proto::v1;
        let mut access = self.access().await;
        access
            .create_principal(v1::CreatePrincipalRequest {
                principal_id: id.into(),
                principal: Some(v1::Principal {
                    display_name: format!("Test {id}"),
                    kind: v1::principal::Kind::Person as i32,
                    ..Default::default()
                }),
            })
            .await
            .expect("create principal");
        for (role, domain) in roles {
            access
                .grant_role(v1::GrantRoleRequest {
                    principal: format!("principals/{id}"),
                    role: (*role).into(),
                    domain: (*domain).into(),
                })
                .await
                .expect("grant role");
        }
        access
            .issue_token(v1::IssueTokenRequest {
                principal: format!("principals/{id}"),
                display_name: "test".into(),
                expire_time: None,
            })
            .await
            .expect("issue token")
            .into_inner()
            .secret
    }
}
