//! Several `regie-server` replicas on one PostgreSQL database, for the replica tests
//! (`tests/replicas.rs`) and the replica rows of `regie-bench`: a shared database on the server
//! `REGIE_TEST_POSTGRES_URL` names, or a private PostgreSQL cluster that a test may stop and
//! restart without disturbing the other tests that share the CI's one cluster.
//!
//! The private cluster is PostgreSQL 15's own `initdb` and `pg_ctl` (from
//! `/usr/lib/postgresql/15/bin`, or `REGIE_TEST_PG_BIN`) in a temporary directory, on a free
//! port, trusting local connections. PostgreSQL refuses to run as root, so when the tests run
//! as root (as in CI) the cluster runs as the `postgres` user (`runuser`). Like every
//! PostgreSQL test, one that needs it is skipped when PostgreSQL is not there, and fails instead
//! with `REGIE_TEST_REQUIRE_POSTGRES=1`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::{PgDatabase, TestServer, say_skipped};

/// Where PostgreSQL 15's programs are.
fn pg_bin() -> PathBuf {
    std::env::var_os("REGIE_TEST_PG_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"))
}

fn require_postgres() -> bool {
    std::env::var("REGIE_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A PostgreSQL cluster of this test's own, stopped (immediately) and removed when dropped.
pub struct PrivatePostgres {
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

impl PrivatePostgres {
    /// Creates and starts a cluster, or returns `None` after saying the test is skipped when
    /// PostgreSQL's programs are missing (and panics instead with
    /// `REGIE_TEST_REQUIRE_POSTGRES=1`).
    pub fn start() -> Option<Self> {
        if !pg_bin().join("initdb").exists() {
            let reason = format!(
                "no PostgreSQL programs in {} (set REGIE_TEST_PG_BIN)",
                pg_bin().display()
            );
            assert!(
                !require_postgres(),
                "REGIE_TEST_REQUIRE_POSTGRES=1 but {reason}"
            );
            say_skipped(&reason);
            return None;
        }
        let dir = tempfile::tempdir().expect("temporary directory for the cluster");
        let as_postgres = is_root();
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("run chown");
            assert!(
                status.success(),
                "chown the cluster's directory to postgres"
            );
        }
        let port = free_port();
        let cluster = Self {
            dir,
            port,
            as_postgres,
        };
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data().display().to_string(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        cluster.start_again();
        Some(cluster)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The URL of database `postgres` on this cluster.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs one of PostgreSQL's programs (as `postgres` when we are root); panics on failure.
    fn run(&self, program: &str, args: &[&str]) {
        let binary = pg_bin().join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&binary);
            c
        } else {
            Command::new(&binary)
        };
        let output = command
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("run {program}: {e}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn pg_ctl(&self, args: &[&str]) {
        let data = self.data().display().to_string();
        let log = self.dir.path().join("postgres.log").display().to_string();
        let mut all = vec!["-D", &data, "-l", &log, "-w", "-t", "60"];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all);
    }

    /// Starts the (stopped) cluster and waits until it takes connections.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        self.pg_ctl(&["-o", &options, "start"]);
    }

    /// Stops the cluster (fast: sessions are ended, as for an administrator's restart).
    pub fn stop(&self) {
        self.pg_ctl(&["-m", "fast", "stop"]);
    }

    /// Restarts the cluster (fast) and waits until it takes connections again.
    pub fn restart(&self) {
        self.stop();
        self.start_again();
    }

    /// The cluster's own log, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.data().display().to_string();
        let binary = pg_bin().join("pg_ctl");
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&binary);
            c
        } else {
            Command::new(&binary)
        };
        let _ = command
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Where the replicas' database lives: a database of its own on the shared server, or a
/// private cluster.
pub enum Database {
    Shared(PgDatabase),
    Private(PrivatePostgres),
}

impl Database {
    /// A fresh database on the shared server (`REGIE_TEST_POSTGRES_URL`), or `None` when the
    /// test is skipped.
    pub async fn shared() -> Option<Self> {
        PgDatabase::create().await.map(Self::Shared)
    }

    /// A private cluster, or `None` when the test is skipped.
    pub fn private() -> Option<Self> {
        PrivatePostgres::start().map(Self::Private)
    }

    pub fn url(&self) -> String {
        match self {
            Self::Shared(db) => db.url().to_owned(),
            Self::Private(cluster) => cluster.url(),
        }
    }

    pub fn cluster(&self) -> &PrivatePostgres {
        match self {
            Self::Private(cluster) => cluster,
            Self::Shared(_) => panic!("this test needs a private cluster"),
        }
    }
}

/// `url` with `application_name` set to `name` (so `pg_stat_activity` tells the replicas apart).
pub fn named(url: &str, name: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}application_name={name}")
}

/// Starts `count` replicas on `database` at once (as a load balancer's deployment would), each
/// with `args`; replica `i` connects as application `replica-i`. Each has the first admin's
/// token, whichever of them made the first admin.
pub async fn start(database: &Database, count: usize, args: &[&str]) -> Vec<TestServer> {
    let url = database.url();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let starts = (0..count).map(|i| {
        let url = named(&url, &format!("replica-{i}"));
        let args = args.clone();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            TestServer::start_on(&url, &args, &[]).await
        }
    });
    let mut replicas = join_all(starts).await;
    let token = replicas
        .iter()
        .map(|r| r.admin_token.clone())
        .find(|t| !t.is_empty())
        .expect("one replica made the first admin");
    for replica in &mut replicas {
        replica.admin_token = token.clone();
    }
    replicas
}

/// Runs the futures at once and collects their outputs in order.
pub async fn join_all<F: std::future::Future + Send + 'static>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(handles.len());
    for handle in handles {
        outputs.push(handle.await.expect("task"));
    }
    outputs
}

/// Waits until `check` holds, polling every 20 ms; panics with `what` after `limit`.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
