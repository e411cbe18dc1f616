//! `regie-bench`: how fast the real `regie-server` answers, next to what this machine can do at
//! all, measured side by side in one run and printed as one table.
//!
//! ```text
//! pg_ctlcluster 15 main start        # optional: without it, PostgreSQL is skipped with a note
//! REGIE_TEST_POSTGRES_URL=postgres://postgres:regie-ci@127.0.0.1:5432/postgres \
//!     cargo run --release -p regie-tests --bin regie-bench
//! ```
//!
//! Every measurement runs `--clients` concurrent clients (tasks of this process, each calling
//! in a loop on its own HTTP/2 connection, as separate client processes would;
//! `--shared-connection` multiplexes them over one) for a warm-up and then `--seconds`, and
//! reports calls per second, the median and 99th-percentile latency, the errors, and where the
//! processor time went (this process, the server process, everything else):
//!
//! 1. echo baseline: a bare tonic health check, served by this executable started again in a
//!    separate process (`--serve-echo`), so that it pays what the real server pays for being
//!    another process;
//! 2. commit baseline, per backend: `BEGIN; INSERT one row; COMMIT` through sqlx with the
//!    server's database settings and pool shape;
//! 3. CreateCase, 4. TransitionCase (block/unblock on each client's own work item) and
//!    5. GetCase (random cases among those created) on the real server, per backend. Between
//!    these the database is settled (`VACUUM ANALYZE` + `CHECKPOINT`, or a WAL checkpoint and
//!    `ANALYZE`), so that one measurement's leftovers are not billed to the next. The clients
//!    call as a principal with a department role (integrity_coordinator of JenV), so every
//!    call is authenticated and authorized; then ListCases, a filtered page of 50 as that
//!    coordinator after the admin made 3,000 work items of another department it may not read
//!    (the caller's scope is part of the query); then
//! 6. GetCase again on the same database, the server restarted with access control switched
//!    off (`--insecure-no-access-control`, loopback only);
//! 7. the telemetry pair, on the same database: TransitionCase and GetCase with the server
//!    restarted without telemetry, then again restarted exporting traces (every call sampled)
//!    and metrics over OTLP to a receiver in this process.
//!
//! 8. the replica rows, on PostgreSQL (`bench/replicas.rs`): three replicas on one database,
//!    feed delivery from a write on A to a watcher on B, revocation on A to refusal on B
//!    (p50/p99 against their targets), and TransitionCase with 1, 2 and 3 replicas
//!    (`--replicas-only` runs just these).
//!
//! The ratios that matter are then printed against their targets: transitions / commit
//! baseline (≥ 50 %), GetCase / echo (≥ 40 %), GetCase / GetCase without access control
//! (≥ 90 %), and each call with export on / off (≥ 90 %). The bench first builds `regie-server` in its
//! own profile (skip with `--no-build`) and runs itself again with `REGIE_SERVER_BIN` pointing
//! at it; it talks only to 127.0.0.1, and every loop ends with its measurement window.
//!
//! `--callgrind N` prints instead the instructions the server spends per call, counted by
//! valgrind's callgrind (`bench/callgrind.rs`): repeatable where seconds are not.

#[path = "../bench/mod.rs"]
mod bench;

use std::process::ExitCode;
use std::str::FromStr as _;
use std::time::Duration;

use bench::load::{Connections, Window};
use bench::measure::{self, Plan, announce, backend_label, row};
use bench::report::{self, Measurement};
use bench::server_binary;
use clap::{Parser, ValueEnum};
use regie_tests::Backend;

/// Benchmarks regie-server against a bare gRPC echo and a bare database commit.
#[derive(Debug, Parser)]
#[command(name = "regie-bench")]
struct Args {
    /// Which database backends to measure; PostgreSQL needs REGIE_TEST_POSTGRES_URL.
    #[arg(long, value_enum, default_value_t = BackendChoice::Both)]
    backend: BackendChoice,

    /// Concurrent clients in every measurement.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024))]
    clients: u16,

    /// Measured seconds per measurement (after the warm-up).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    seconds: u64,

    /// Warm-up seconds before each measurement, not counted.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=600))]
    warmup: u64,

    /// A smoke run: 3 measured seconds and at most 1 s of warm-up per measurement.
    #[arg(long)]
    quick: bool,

    /// All clients share one HTTP/2 connection instead of one connection each.
    #[arg(long)]
    shared_connection: bool,

    /// The server's --max-connections; also the size of the PostgreSQL baseline pool.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1000))]
    max_connections: u32,

    /// The server's --sqlite-synchronous; also the SQLite baseline's setting.
    #[arg(long, value_enum, default_value_t = Synchronous::Full)]
    sqlite_synchronous: Synchronous,

    /// Do not run `cargo build -p regie-server` first; the server binary next to this one (or
    /// REGIE_SERVER_BIN) is used as it is.
    #[arg(long)]
    no_build: bool,

    /// Instead of the throughput table: instructions per call (GetCase, TransitionCase, a
    /// ListCases page, and Health as the floor), counted by valgrind's callgrind in the server,
    /// CALLS calls of each by one client. Repeatable where seconds are not.
    #[arg(long, value_name = "CALLS", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    callgrind: Option<u32>,

    /// With --callgrind: keep the dumps in this directory (one per call kind, in the order of
    /// the table), for `callgrind_annotate`; without it they go with a temporary directory.
    #[arg(long, value_name = "DIR", requires = "callgrind")]
    callgrind_dir: Option<std::path::PathBuf>,

    /// Only the replica rows (three replicas on one PostgreSQL database: feed delivery and
    /// revocation across replicas, TransitionCase with 1, 2 and 3 replicas).
    #[arg(long)]
    replicas_only: bool,

    /// Internal: serve the echo baseline on 127.0.0.1:PORT (0: any) until stdin closes.
    #[arg(long, hide = true, value_name = "PORT")]
    serve_echo: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendChoice {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Synchronous {
    Full,
    Normal,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(port) = args.serve_echo {
        return match bench::echo::serve(port).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("regie-bench --serve-echo: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let result = match args.callgrind {
        Some(calls) => run_callgrind(args, calls as usize).await,
        None => run(args).await,
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("regie-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `--callgrind`: instructions per call on each backend, one table.
async fn run_callgrind(args: Args, calls: usize) -> anyhow::Result<bool> {
    let (plan, backends, notes) = plan(&args);
    let temporary = tempfile::tempdir()?;
    let dir = match &args.callgrind_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            std::fs::canonicalize(dir)?
        }
        None => temporary.path().to_owned(),
    };
    let dir = dir.as_path();
    if !args.no_build {
        server_binary::build().await?;
    }
    print_setup(&plan, &backends);
    println!(
        "callgrind: the server runs under `{}`; {calls} calls of each kind, one client, one \
         connection, after 5 uncounted",
        bench::callgrind::wrapper(dir)
    );
    let mut counts = Vec::new();
    let mut failures = Vec::new();
    for backend in &backends {
        let label = backend_label(*backend);
        println!("counting {label} …");
        match bench::callgrind::count(*backend, label, &plan, calls, dir).await {
            Ok(rows) => counts.extend(rows),
            Err(e) => failures.push(format!("{label}: {e:#}")),
        }
    }
    println!();
    bench::callgrind::print(&counts, calls);
    for failure in &failures {
        println!("FAILED {failure}");
    }
    for note in &notes {
        println!("note: {note}");
    }
    Ok(failures.is_empty())
}

/// What the arguments ask for: the plan, the backends, and notes on what is skipped.
fn plan(args: &Args) -> (Plan, Vec<Backend>, Vec<String>) {
    let (measure, warmup) = if args.quick {
        (3, args.warmup.min(1))
    } else {
        (args.seconds, args.warmup)
    };
    let plan = Plan {
        clients: usize::from(args.clients),
        window: Window {
            warmup: Duration::from_secs(warmup),
            measure: Duration::from_secs(measure),
        },
        connections: if args.shared_connection {
            Connections::Shared
        } else {
            Connections::PerClient
        },
        max_connections: args.max_connections,
        synchronous_full: args.sqlite_synchronous == Synchronous::Full,
        postgres_url: std::env::var("REGIE_TEST_POSTGRES_URL").ok(),
    };
    let mut notes = Vec::new();
    let mut backends = Vec::new();
    if matches!(args.backend, BackendChoice::Sqlite | BackendChoice::Both) {
        backends.push(Backend::Sqlite);
    }
    if matches!(args.backend, BackendChoice::Postgres | BackendChoice::Both) {
        if plan.postgres_url.is_some() {
            backends.push(Backend::Postgres);
        } else {
            notes.push(
                "PostgreSQL skipped: REGIE_TEST_POSTGRES_URL is not set (e.g. \
                 postgres://postgres:regie-ci@127.0.0.1:5432/postgres, after \
                 `pg_ctlcluster 15 main start`)"
                    .to_owned(),
            );
        }
    }

    (plan, backends, notes)
}

/// Runs every measurement and prints the report; `Ok(false)` when a measurement failed or a
/// call returned an error.
async fn run(args: Args) -> anyhow::Result<bool> {
    let (plan, backends, notes) = plan(&args);
    let measure = plan.window.measure.as_secs();
    if !args.no_build {
        server_binary::build().await?;
    }
    print_setup(&plan, &backends);
    for note in &notes {
        println!("note: {note}");
    }

    let mut rows = Vec::new();
    let mut failures = Vec::new();
    if !args.replicas_only {
        announce("-", Measurement::Echo);
        match measure::echo(&plan).await {
            Ok(sample) => rows.push(row("-", Measurement::Echo, sample)),
            Err(e) => failures.push(format!("echo baseline: {e:#}")),
        }
    }
    for backend in backends.iter().filter(|_| !args.replicas_only) {
        let label = backend_label(*backend);
        announce(label, Measurement::Commit);
        match measure::commit(*backend, &plan).await {
            Ok((sample, facts)) => {
                println!("  {facts}");
                rows.push(row(label, Measurement::Commit, sample));
            }
            Err(e) => failures.push(format!("{label} commit baseline: {e:#}")),
        }
        if let Err(e) = measure::regie_server(*backend, &plan, &mut rows).await {
            failures.push(format!("{label} regie-server: {e:#}"));
        }
    }

    if backends.contains(&Backend::Postgres)
        && let Err(e) = bench::replicas::measure(&plan, &mut rows).await
    {
        failures.push(format!("replicas: {e:#}"));
    }

    println!();
    println!(
        "== Results ({} clients, {} s measured per row) ==",
        plan.clients, measure
    );
    report::print_table(&rows);
    println!();
    println!("== Ratios ==");
    let labels: Vec<&'static str> = backends.iter().map(|b| backend_label(*b)).collect();
    report::print_ratios(&rows, &labels);
    println!();
    println!("== Replicas ==");
    bench::replicas::print_verdicts(&rows);
    println!();
    println!("== Errors ==");
    report::print_errors(&rows);
    for failure in &failures {
        println!("FAILED {failure}");
    }
    for note in &notes {
        println!("note: {note}");
    }
    println!("{}", report::load_average("at the end"));
    let calls_failed = rows.iter().any(|r| r.sample.error_count() > 0);
    Ok(failures.is_empty() && !calls_failed)
}

fn print_setup(plan: &Plan, backends: &[Backend]) {
    println!("== Machine ==");
    for fact in report::machine_facts() {
        println!("{fact}");
    }
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "note: {cores} cores, shared with whatever else runs (on the 2-core development \
         machine: builds). The clients, the server and the database compete for the same \
         cores, and other work takes from them (see the load average and the `rest` column), \
         so absolute numbers move from run to run; the ratios, measured side by side in one \
         run, are what to compare"
    );
    println!();
    println!("== Settings ==");
    println!(
        "clients: {} concurrent tasks in this process, {}; warm-up {} s, measured {} s",
        plan.clients,
        plan.connections.describe(),
        plan.window.warmup.as_secs(),
        plan.window.measure.as_secs()
    );
    println!(
        "regie-server: --listen 127.0.0.1:0 --data-dir <fresh temp dir> --database-url <fresh \
         database> --log-format json {} (everything else default: scheduler every 60 s, \
         tokio multi-threaded, one worker per core)",
        plan.server_args().join(" ")
    );
    for backend in backends {
        match backend {
            Backend::Sqlite => println!(
                "sqlite: fresh file in the temp dir; server and baseline: WAL, synchronous={}, \
                 foreign_keys=ON, busy_timeout=10 s, ONE writer connection; server readers: \
                 pool of {}",
                if plan.synchronous_full {
                    "FULL"
                } else {
                    "NORMAL"
                },
                plan.max_connections
            ),
            Backend::Postgres => println!(
                "postgres: fresh database per run on {}; server and baseline pool: {} \
                 connections",
                postgres_address(plan.postgres_url.as_deref()),
                plan.max_connections.max(2)
            ),
        }
    }
    println!();
}

/// `host:port` of the PostgreSQL server, without the credentials.
fn postgres_address(url: Option<&str>) -> String {
    url.and_then(|url| sqlx::postgres::PgConnectOptions::from_str(url).ok())
        .map_or_else(
            || "?".to_owned(),
            |options| format!("{}:{}", options.get_host(), options.get_port()),
        )
}
