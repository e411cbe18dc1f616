//! `regie-bench --callgrind N`: instructions per call, counted by valgrind's callgrind in the
//! real server, for the calls whose cost matters (issue #16). Seconds on these shared 2-core
//! machines move with whatever else runs; instruction counts of the same binary, inputs and
//! environment do not, so two builds compare exactly.
//!
//! The server runs under `valgrind --tool=callgrind` (`TestServer::start_under`), set up as the throughput bench sets it up (a coordinator of JenV, work items of its own and of
//! another department). For each call: the counters are zeroed (`callgrind_control -z`), one
//! client on one connection makes `N` calls in turn, the counts are dumped
//! (`callgrind_control -d`), and the dump's total divided by `N` is the row. The server's
//! background work in that window (the change feed's once-a-second look at the log) counts too;
//! with a few hundred calls it is well under 1 % of a row. Everything the server does for a call counts: HTTP/2, authentication, the
//! policy, the database driver and SQLite or the PostgreSQL client, telemetry. PostgreSQL's own
//! work runs in its own processes and is not counted.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use regie_tests::{Backend, Bearer, TestServer};
use tonic::service::interceptor::InterceptedService;

use super::cases::{self, CreateClient, GetClient, ListClient, TransitionClient};
use super::echo::EchoClient;
use super::load::{self, Client, Connections};
use super::measure::{Plan, bench_principal};

/// One row: instructions per call of one kind, on one backend.
pub struct Count {
    pub backend: &'static str,
    pub call: &'static str,
    pub per_call: u64,
}

/// The wrapper the harness starts the server under, writing its dumps into `dir`.
pub fn wrapper(dir: &Path) -> String {
    format!(
        "valgrind --tool=callgrind --callgrind-out-file={}/callgrind.%p",
        dir.display()
    )
}

/// Counts instructions per call on a fresh server of `backend` under callgrind, its dumps in
/// `dir`.
pub async fn count(
    backend: Backend,
    label: &'static str,
    plan: &Plan,
    calls: usize,
    dir: &Path,
) -> anyhow::Result<Vec<Count>> {
    let args = plan.server_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let wrapper = wrapper(dir).split_whitespace().map(str::to_owned).collect();
    let server = TestServer::start_under(backend, &args, wrapper)
        .await
        .context("the harness skipped the backend (is REGIE_TEST_POSTGRES_URL set?)")?;
    let pid = server.pid();
    let token = bench_principal(&server).await?;
    let plain = load::channels(&server.endpoint(), 1, Connections::PerClient).await?;
    let channel = InterceptedService::new(plain[0].clone(), Bearer::new(Some(&token)));

    // The coordinator's own cases to read and list, and the admin's of another department.
    let mut transitions = TransitionClient::set_up(channel.clone(), 0).await?;
    let mut names = vec![transitions.name().to_owned()];
    for i in 1..20 {
        names.push(
            TransitionClient::set_up(channel.clone(), i)
                .await?
                .name()
                .to_owned(),
        );
    }
    // A page's worth of proposed items for the list, and the admin's of another department.
    let mut create = CreateClient::new(channel.clone(), 0);
    for _ in 0..60 {
        create.call().await.map_err(anyhow::Error::msg)?;
    }
    cases::create_elsewhere(server.authed().await, 300, 4).await?;
    let mut get = GetClient::new(channel.clone(), 0, Arc::new(names));
    let mut list = ListClient::new(channel.clone());
    let mut health = EchoClient::new(plain[0].clone());

    let mut counts = Vec::new();
    counts.push(Count {
        backend: label,
        call: "Health/Check (the floor: HTTP/2 and tonic)",
        per_call: measure(pid, dir, calls, &mut health).await?,
    });
    counts.push(Count {
        backend: label,
        call: "GetCase",
        per_call: measure(pid, dir, calls, &mut get).await?,
    });
    counts.push(Count {
        backend: label,
        call: "TransitionCase",
        per_call: measure(pid, dir, calls, &mut transitions).await?,
    });
    counts.push(Count {
        backend: label,
        call: "ListCases, filtered page of 50",
        per_call: measure(pid, dir, calls, &mut list).await?,
    });
    drop(server);
    Ok(counts)
}

/// Warms `client` up with a few uncounted calls, then counts `calls` of them.
async fn measure(
    pid: u32,
    dir: &Path,
    calls: usize,
    client: &mut impl Client,
) -> anyhow::Result<u64> {
    for _ in 0..5 {
        client.call().await.map_err(anyhow::Error::msg)?;
    }
    let before = dumps(dir, pid)?;
    control(pid, &["-z"]).await?;
    for _ in 0..calls {
        client.call().await.map_err(anyhow::Error::msg)?;
    }
    control(pid, &["-d"]).await?;
    // The dump is written by the server's own threads; wait for the new file.
    let mut dump = None;
    for _ in 0..100 {
        dump = dumps(dir, pid)?.into_iter().find(|d| !before.contains(d));
        if dump.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let dump = dump.context("callgrind wrote no dump")?;
    let total = total(&dump)?;
    Ok(total / calls as u64)
}

async fn control(pid: u32, args: &[&str]) -> anyhow::Result<()> {
    let status = tokio::process::Command::new("callgrind_control")
        .args(args)
        .arg(pid.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .await
        .context("running callgrind_control (is valgrind installed?)")?;
    if !status.success() {
        bail!(
            "callgrind_control {} {pid} failed: {status}",
            args.join(" ")
        );
    }
    Ok(())
}

/// The dump files of `pid` in `dir`.
fn dumps(dir: &Path, pid: u32) -> anyhow::Result<Vec<PathBuf>> {
    let prefix = format!("callgrind.{pid}.");
    Ok(std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix))
        })
        .collect())
}

/// The instructions a dump counted (its `totals:` or `summary:` line).
fn total(dump: &Path) -> anyhow::Result<u64> {
    let text = std::fs::read_to_string(dump)?;
    text.lines()
        .find_map(|line| {
            line.strip_prefix("totals:")
                .or_else(|| line.strip_prefix("summary:"))
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no total in {}", dump.display()))
}

/// The table, one row per call, with a column per backend.
pub fn print(counts: &[Count], calls: usize) {
    println!("== Instructions per call (callgrind, {calls} calls each, one client) ==");
    let mut backends: Vec<&str> = Vec::new();
    for count in counts {
        if !backends.contains(&count.backend) {
            backends.push(count.backend);
        }
    }
    let mut header = format!("{:<46}", "call");
    for backend in &backends {
        header.push_str(&format!("{backend:>14}"));
    }
    println!("{header}");
    let mut rows: Vec<&str> = Vec::new();
    for count in counts {
        if !rows.contains(&count.call) {
            rows.push(count.call);
        }
    }
    for call in rows {
        let mut line = format!("{call:<46}");
        for backend in &backends {
            match counts
                .iter()
                .find(|c| c.call == call && c.backend == *backend)
            {
                Some(c) => line.push_str(&format!("{:>14}", c.per_call)),
                None => line.push_str(&format!("{:>14}", "-")),
            }
        }
        println!("{line}");
    }
}
