//! The measurements themselves: each sets up its clients outside any timing, runs them through
//! the load generator, and hands back the sample. The real server is started through the test
//! harness (`regie_tests::TestServer`) on a fresh database, once per backend, and serves
//! CreateCase, then TransitionCase, then GetCase, as a principal with a department role; then
//! it is restarted on the same database with access control off and serves GetCase again, for
//! the price of authentication and authorization; and finally restarted without telemetry and
//! with OTLP export, for the price of telemetry.

use std::sync::Arc;

use anyhow::Context as _;
use regie_tests::otlp::Receiver;
use regie_tests::{Authed, Backend, Bearer, TestServer};
use tonic::service::interceptor::InterceptedService;

use super::cases::{CreateClient, GetClient, ListClient, TransitionClient};
use super::commit::CommitDatabase;
use super::echo::{EchoClient, EchoServer};
use super::load::{self, Connections, Sample, Window};
use super::report::{Measurement, Row};

/// What every measurement of the run shares.
pub struct Plan {
    pub clients: usize,
    pub window: Window,
    pub connections: Connections,
    pub max_connections: u32,
    pub synchronous_full: bool,
    pub postgres_url: Option<String>,
}

impl Plan {
    /// The server's command-line arguments beyond those the harness always passes.
    pub fn server_args(&self) -> Vec<String> {
        vec![
            // Quiet, but the harness needs the "listening" line of the server module.
            "--log".into(),
            "warn,regie_server::server=info".into(),
            "--max-connections".into(),
            self.max_connections.to_string(),
            "--sqlite-synchronous".into(),
            if self.synchronous_full {
                "full"
            } else {
                "normal"
            }
            .into(),
        ]
    }
}

pub fn row(backend: &'static str, measurement: Measurement, sample: Sample) -> Row {
    Row {
        backend,
        measurement,
        sample,
    }
}

pub fn backend_label(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

pub fn announce(backend: &str, measurement: Measurement) {
    println!("measuring {backend} {} …", measurement.label());
}

/// The echo baseline, on a fresh echo process.
pub async fn echo(plan: &Plan) -> anyhow::Result<Sample> {
    let server = EchoServer::start().await?;
    let channels = load::channels(&server.endpoint, plan.clients, plan.connections).await?;
    let clients = channels.into_iter().map(EchoClient::new).collect();
    let (sample, _) = load::run(clients, plan.window, server.pid()).await?;
    Ok(sample)
}

/// The commit baseline and the database's account of its settings.
pub async fn commit(backend: Backend, plan: &Plan) -> anyhow::Result<(Sample, String)> {
    let database = match backend {
        Backend::Sqlite => CommitDatabase::sqlite(plan.synchronous_full).await?,
        Backend::Postgres => {
            let url = plan
                .postgres_url
                .as_deref()
                .context("REGIE_TEST_POSTGRES_URL is not set")?;
            CommitDatabase::postgres(url, plan.max_connections).await?
        }
    };
    let facts = database.facts().await;
    let clients = (0..plan.clients).map(|i| database.client(i)).collect();
    let result = load::run(clients, plan.window, None).await;
    database.close().await;
    let (sample, _) = result?;
    Ok((
        sample,
        facts.unwrap_or_else(|e| format!("(settings unknown: {e})")),
    ))
}

/// CreateCase, TransitionCase and GetCase on one fresh server of `backend`.
pub async fn regie_server(
    backend: Backend,
    plan: &Plan,
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    let label = backend_label(backend);
    let mut server = start_server(backend, plan.server_args()).await?;
    // The clients act as an integrity coordinator of the department the cases belong to: a
    // principal whose every call is authenticated and decided by the policy.
    let token = bench_principal(&server).await?;
    let plain = load::channels(&server.endpoint(), plan.clients, plan.connections).await?;
    let channels: Vec<Authed> = plain
        .iter()
        .map(|c| InterceptedService::new(c.clone(), Bearer::new(Some(&token))))
        .collect();

    announce(label, Measurement::CreateCase);
    let clients = channels
        .iter()
        .enumerate()
        .map(|(i, channel)| CreateClient::new(channel.clone(), i))
        .collect();
    let (sample, clients) = load::run(clients, plan.window, Some(server.pid())).await?;
    rows.push(row(label, Measurement::CreateCase, sample));
    let mut names: Vec<String> = clients.into_iter().flat_map(|c| c.created).collect();

    settle(&server).await;
    announce(label, Measurement::TransitionCase);
    let clients = load::set_up(plan.clients, |i| {
        TransitionClient::set_up(channels[i].clone(), i)
    })
    .await?;
    let (sample, clients) = load::run(clients, plan.window, Some(server.pid())).await?;
    rows.push(row(label, Measurement::TransitionCase, sample));
    names.extend(clients.iter().map(|c| c.name().to_owned()));

    settle(&server).await;
    announce(label, Measurement::GetCase);
    println!("  reading among {} cases", names.len());
    let names = Arc::new(names);
    let clients = channels
        .iter()
        .enumerate()
        .map(|(i, channel)| GetClient::new(channel.clone(), i, names.clone()))
        .collect();
    let (sample, _) = load::run(clients, plan.window, Some(server.pid())).await?;
    rows.push(row(label, Measurement::GetCase, sample));

    // A filtered list as the coordinator, with thousands of another department's cases (made
    // by the admin) in the table: the caller's scope is part of the query.
    super::cases::create_elsewhere(server.authed().await, 3_000, 8).await?;
    settle(&server).await;
    announce(label, Measurement::ListCases);
    let clients = channels
        .iter()
        .map(|channel| ListClient::new(channel.clone()))
        .collect();
    let (sample, _) = load::run(clients, plan.window, Some(server.pid())).await?;
    rows.push(row(label, Measurement::ListCases, sample));

    // The same reads from the same database, with access control switched off.
    let mut args = plan.server_args();
    args.push("--insecure-no-access-control".to_owned());
    server.restart_with(args).await;
    settle(&server).await;
    announce(label, Measurement::GetCaseNoAccessControl);
    let plain = load::channels(&server.endpoint(), plan.clients, plan.connections).await?;
    let clients = plain
        .iter()
        .enumerate()
        .map(|(i, channel)| {
            GetClient::new(
                InterceptedService::new(channel.clone(), Bearer::new(None)),
                i,
                names.clone(),
            )
        })
        .collect();
    let (sample, _) = load::run(clients, plan.window, Some(server.pid())).await?;
    rows.push(row(label, Measurement::GetCaseNoAccessControl, sample));

    telemetry_pair(&mut server, plan, &token, &names, rows).await?;

    // Dropping the server kills it and removes its database.
    drop(server);
    Ok(())
}

/// TransitionCase and GetCase on the same database, first with the server restarted without
/// telemetry, then restarted exporting traces and metrics to an OTLP receiver in this process,
/// once with the default sampler (every call traced: the worst case, and the receiver's work
/// shares this machine's cores with the server and the clients) and once keeping one trace in
/// ten.
async fn telemetry_pair(
    server: &mut TestServer,
    plan: &Plan,
    token: &str,
    names: &Arc<Vec<String>>,
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    let label = backend_label(server.backend);
    let receiver = Receiver::start().await;
    let exporting = |sampler: &[(&str, &str)]| {
        let mut env = vec![
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT".to_owned(),
                receiver.endpoint(),
            ),
            // The defaults (spans every 5 s, metrics every 60 s) would leave a 10 s window
            // without a metrics export; export both within it.
            ("OTEL_METRIC_EXPORT_INTERVAL".to_owned(), "2000".to_owned()),
        ];
        env.extend(
            sampler
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        env
    };
    for (env, transitions, gets) in [
        (
            Vec::new(),
            Measurement::TransitionExportOff,
            Measurement::GetExportOff,
        ),
        // The SDK's default sampler: every call traced.
        (
            exporting(&[]),
            Measurement::TransitionExportOn,
            Measurement::GetExportOn,
        ),
        // What a busy production service would run: one trace in ten, kept or dropped as the
        // caller's trace is.
        (
            exporting(&[
                ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
                ("OTEL_TRACES_SAMPLER_ARG", "0.1"),
            ]),
            Measurement::TransitionExportSampled,
            Measurement::GetExportSampled,
        ),
    ] {
        server.restart_with_env(plan.server_args(), env).await;
        settle(server).await;
        let plain = load::channels(&server.endpoint(), plan.clients, plan.connections).await?;
        let channels: Vec<Authed> = plain
            .iter()
            .map(|c| InterceptedService::new(c.clone(), Bearer::new(Some(token))))
            .collect();
        announce(label, transitions);
        let clients = load::set_up(plan.clients, |i| {
            TransitionClient::set_up(channels[i].clone(), i)
        })
        .await?;
        let (sample, _) = load::run(clients, plan.window, Some(server.pid())).await?;
        rows.push(row(label, transitions, sample));
        settle(server).await;
        announce(label, gets);
        let clients = channels
            .iter()
            .enumerate()
            .map(|(i, channel)| GetClient::new(channel.clone(), i, names.clone()))
            .collect();
        let (sample, _) = load::run(clients, plan.window, Some(server.pid())).await?;
        rows.push(row(label, gets, sample));
    }
    println!(
        "  the receiver took {} exports ({} spans) while exporting",
        receiver.exports(),
        receiver.spans().len()
    );
    Ok(())
}

/// A principal holding `integrity_coordinator` in the bench's department, with a token.
pub(super) async fn bench_principal(server: &TestServer) -> anyhow::Result<String> {
    use regie_proto::v1;
    let mut access = server.access().await;
    access
        .create_principal(v1::CreatePrincipalRequest {
            principal_id: "bench".into(),
            principal: Some(v1::Principal {
                display_name: "regie-bench".into(),
                kind: v1::principal::Kind::ServiceAccount as i32,
                ..Default::default()
            }),
        })
        .await
        .context("creating the bench principal")?;
    access
        .grant_role(v1::GrantRoleRequest {
            principal: "principals/bench".into(),
            role: "integrity_coordinator".into(),
            domain: "JenV".into(),
        })
        .await
        .context("granting the bench principal its role")?;
    let issued = access
        .issue_token(v1::IssueTokenRequest {
            principal: "principals/bench".into(),
            display_name: "bench".into(),
            expire_time: None,
        })
        .await
        .context("issuing the bench token")?;
    Ok(issued.into_inner().secret)
}

/// Lets the database catch up on the maintenance the previous measurement left behind, so that
/// it is not billed to the next one: on PostgreSQL `VACUUM ANALYZE` and `CHECKPOINT` (pgbench
/// also vacuums before every run), on SQLite a WAL checkpoint and `ANALYZE`.
async fn settle(server: &TestServer) {
    let statements: &[&str] = match server.backend {
        Backend::Postgres => &["VACUUM ANALYZE", "CHECKPOINT"],
        Backend::Sqlite => &["PRAGMA wal_checkpoint(TRUNCATE)", "ANALYZE"],
    };
    for sql in statements {
        server.tamper(sql).await;
    }
}

/// Starts the real server through the test harness. The harness panics when the server does
/// not come up (after printing its log); here that becomes an error for this backend only.
async fn start_server(backend: Backend, args: Vec<String>) -> anyhow::Result<TestServer> {
    tokio::spawn(async move {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        TestServer::start_with(backend, &args).await
    })
    .await
    .map_err(|_| anyhow::anyhow!("regie-server did not start (see the message above)"))?
    .context("the harness skipped the backend (is REGIE_TEST_POSTGRES_URL set?)")
}
