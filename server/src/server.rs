//! The running server: opens the store, seeds it, serves the gRPC services with health and
//! reflection, and shuts down gracefully.
//!
//! Connections: plaintext gRPC, or TLS only when `--tls-cert` and `--tls-key` are given
//! (`tls.rs`); either way every accepted socket has TCP_NODELAY set (tonic ignores its own
//! `tcp_nodelay` for a listener it is handed).
//!
//! Shutdown, on SIGTERM or SIGINT: health turns NOT_SERVING (so load balancers stop sending),
//! the listener closes, in-flight calls drain and server streams are told to end — all bounded by
//! the shutdown timeout — then the database is closed. The process exits 0.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use regie_proto::v1::access_service_server::AccessServiceServer;
use regie_proto::v1::assessment_service_server::AssessmentServiceServer;
use regie_proto::v1::audit_service_server::AuditServiceServer;
use regie_proto::v1::case_service_server::CaseServiceServer;
use regie_proto::v1::directory_service_server::DirectoryServiceServer;
use regie_proto::v1::framework_service_server::FrameworkServiceServer;
use regie_proto::v1::risk_service_server::RiskServiceServer;
use regie_proto::v1::work_service_server::WorkServiceServer;
use regie_proto::v1::workflow_service_server::WorkflowServiceServer;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::TcpIncoming;
use tonic_health::pb::health_check_response::ServingStatus;

use crate::api::access::AccessApi;
use crate::api::assessment::AssessmentApi;
use crate::api::audit::AuditApi;
use crate::api::cases::CaseApi;
use crate::api::directory::DirectoryApi;
use crate::api::framework::FrameworkApi;
use crate::api::risk::RiskApi;
use crate::api::work::WorkApi;
use crate::api::workflows::WorkflowApi;
use crate::app::{App, CheckpointKey, Checkpointing};
use crate::authz::Access;
use crate::authz::layer::AuthLayer;
use crate::config::Settings;
use crate::domain::limits::MAX_MESSAGE_BYTES;
use crate::health::HealthState;
use crate::store::{self, StartLock, Store};
use crate::telemetry::layer::TelemetryLayer;
use crate::{scheduler, seed};

/// Every gRPC service name Regie serves, for health reporting.
const SERVICES: &[&str] = &[
    "regie.v1.AccessService",
    "regie.v1.AssessmentService",
    "regie.v1.FrameworkService",
    "regie.v1.RiskService",
    "regie.v1.DirectoryService",
    "regie.v1.CaseService",
    "regie.v1.WorkflowService",
    "regie.v1.AuditService",
    "regie.v1.WorkService",
];

/// Applies the message size limit, in both directions, to a generated service.
macro_rules! limits {
    ($service:expr) => {
        $service
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES)
    };
}

/// Opens the store (applying migrations), seeds it on first start, and serves until a signal.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    // Bad TLS files are found before anything else starts.
    tls_certificates(&settings)?;
    let (store, start) = open_store(&settings).await?;
    let listener = TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    serve(listener, store, Some(start), shutdown_signal(), &settings).await
}

/// Opens the database, applies migrations and seeds it; used by `serve` and `migrate`. The
/// first-start lock comes back held: the caller releases it when the rest of its first start
/// (the first admin, the built-in workflows, the shared keys) is done, so that replicas started
/// together on an empty database take turns and each later one finds the work done.
pub async fn open_store(settings: &Settings) -> anyhow::Result<(Arc<dyn Store>, StartLock)> {
    // The data directory holds the database and the first admin's token: the owner's alone.
    regie_support::create_private_dir(&settings.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            settings.data_dir.display()
        )
    })?;
    let (store, start) = store::open_for_start(&settings.store_options()).await?;
    let departments = seed::departments(settings.departments_file.as_deref())?;
    let seeded = store
        .seed_departments(departments)
        .await
        .context("seeding the departments")?;
    if store
        .seed_criteria_template(crate::domain::criteria::template(
            crate::domain::cases::model::now(),
        ))
        .await
        .context("seeding the criteria-set template")?
    {
        tracing::info!("first start: stored the criteria-set template (criteriaSets/template)");
    }
    if seeded > 0 {
        tracing::info!(count = seeded, "first start: seeded the departments");
    }
    tracing::info!(
        backend = store.backend(),
        database = %store::redact_url(&settings.database_url),
        "database ready"
    );
    Ok((store, start))
}

/// `regie-server admin issue-token`: a new token for `principal`, its secret printed on
/// standard output and nowhere else. Works against the database with or without a running
/// server; replicas pick the new token up on its first use.
pub async fn issue_token(
    settings: &Settings,
    principal: &str,
    display_name: String,
) -> anyhow::Result<()> {
    let (store, start) = open_store(settings).await?;
    let access = Access::start(
        store.clone(),
        &settings.data_dir,
        settings.bootstrap_token(),
        false,
    )
    .await?;
    start.release().await;
    let id = crate::domain::access::PrincipalId::parse("--principal", principal)
        .map_err(|e| anyhow::anyhow!("{}", e.description))?;
    let (token, secret) = access
        .issue_token(&id, display_name, None)
        .await
        .map_err(|e| anyhow::anyhow!("issuing a token for {}: {e}", id.name()))?;
    tracing::info!(token = %token.id.name(), principal = %id.name(), "issued a token");
    println!("{}", secret.expose());
    store.close().await;
    Ok(())
}

/// Serves on `listener` until `shutdown` completes, then drains within the shutdown timeout.
/// `start`, when given, is released once the first start is done (before serving).
pub async fn serve(
    listener: TcpListener,
    store: Arc<dyn Store>,
    start: Option<StartLock>,
    shutdown: impl Future<Output = ()>,
    settings: &Settings,
) -> anyhow::Result<()> {
    let drain_timeout = settings.shutdown_timeout;
    let address: SocketAddr = listener.local_addr()?;
    // Server streams (health watches, the change feed) and background work end when this is
    // cancelled.
    let streams = CancellationToken::new();
    let health = HealthState::new(SERVICES, streams.clone());
    if !settings.access_control {
        anyhow::ensure!(
            address.ip().is_loopback(),
            "--insecure-no-access-control is for benchmarks on this machine: listen on a loopback address"
        );
        tracing::warn!(
            "ACCESS CONTROL IS OFF: every call is served as admin, unauthenticated (benchmarks only)"
        );
    }
    let access = Access::start(
        store.clone(),
        &settings.data_dir,
        settings.bootstrap_token(),
        !settings.access_control,
    )
    .await?;
    let access_task = tokio::spawn(
        access
            .clone()
            .run(settings.access_poll_interval, streams.clone()),
    );
    let limits = crate::app::feed::StreamLimits {
        total: settings.max_watchers,
        per_principal: settings.max_watchers_per_principal,
    };
    let app = App::new(
        store.clone(),
        access.clone(),
        streams.clone(),
        limits,
        checkpointing(settings)?,
    )
    .await?;
    let pools = store.clone();
    crate::telemetry::observe_pools(move || pools.pools_in_use());
    if settings.demo {
        crate::demo::load(&app)
            .await
            .context("loading the demo scenario")?;
    }
    if let Some(start) = start {
        start.release().await;
    }
    let scheduler = tokio::spawn(scheduler::run(
        app.clone(),
        settings.scheduler_interval,
        scheduler::Lease::new(settings.lease_duration),
    ));
    let checkpoints = tokio::spawn(crate::checkpoints::run(app.clone()));
    let console = match settings.console_listen {
        crate::config::ConsoleListen::On(address) => Some(
            crate::console::spawn(
                app.clone(),
                address,
                settings.console_url.clone(),
                crate::domain::session::Timeouts {
                    idle: settings.console_idle_timeout,
                    absolute: settings.console_absolute_timeout,
                },
                streams.clone(),
            )
            .await?,
        ),
        crate::config::ConsoleListen::Off => None,
    };

    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let directory = limits!(DirectoryServiceServer::new(DirectoryApi::new(app.clone())));
    let cases = limits!(CaseServiceServer::new(CaseApi::new(app.clone())));
    let workflows = limits!(WorkflowServiceServer::new(WorkflowApi::new(app.clone())));
    let audit = limits!(AuditServiceServer::new(AuditApi::new(app.clone())));
    let access_api = limits!(AccessServiceServer::new(AccessApi::new(app.clone())));
    let assessment = limits!(AssessmentServiceServer::new(AssessmentApi::new(
        app.clone()
    )));
    let framework = limits!(FrameworkServiceServer::new(FrameworkApi::new(app.clone())));
    let risk = limits!(RiskServiceServer::new(RiskApi::new(app.clone())));
    let work = limits!(WorkServiceServer::new(WorkApi::new(app.clone())));

    let tls = match tls_certificates(settings)? {
        Some(certificates) => {
            let acceptor = certificates.acceptor()?;
            tokio::spawn(
                certificates
                    .clone()
                    .watch(settings.tls_reload_interval, streams.clone()),
            );
            Some(acceptor)
        }
        None => None,
    };

    health.set_all(ServingStatus::Serving);
    tokio::spawn(health.clone().follow(store.reachable()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = tonic::transport::Server::builder()
        .layer(TelemetryLayer::new({
            let access = access.clone();
            Arc::new(move |headers: &http::HeaderMap| {
                access.knows(headers.get(http::header::AUTHORIZATION))
            })
        }))
        .layer(AuthLayer::new(access.clone()))
        .layer(crate::rpc::size::SizeLayer)
        .add_service(health.service())
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(directory)
        .add_service(cases)
        .add_service(workflows)
        .add_service(audit)
        .add_service(access_api)
        .add_service(assessment)
        .add_service(framework)
        .add_service(risk)
        .add_service(work);
    let stopped = async {
        let _ = stopped.await;
    };
    let server: std::pin::Pin<Box<dyn Future<Output = Result<(), tonic::transport::Error>>>> =
        match tls {
            Some(acceptor) => {
                Box::pin(router.serve_with_incoming_shutdown(
                    crate::tls::incoming(listener, acceptor),
                    stopped,
                ))
            }
            None => Box::pin(router.serve_with_incoming_shutdown(
                TcpIncoming::from(listener).with_nodelay(Some(true)),
                stopped,
            )),
        };
    let scheme = if settings.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(%address, scheme, "listening");

    tokio::pin!(server);
    tokio::select! {
        result = &mut server => {
            store.close().await;
            return result.context("the gRPC server failed");
        }
        () = shutdown => {}
    }

    tracing::info!(
        timeout_seconds = drain_timeout.as_secs(),
        "shutting down: draining in-flight calls"
    );
    health.set_all(ServingStatus::NotServing);
    streams.cancel();
    // Again, after the database follower (`HealthState::follow`) has seen the cancellation.
    health.set_all(ServingStatus::NotServing);
    let _ = stop.send(());
    let _ = scheduler.await;
    let _ = checkpoints.await;
    if let Some(console) = console {
        let _ = tokio::time::timeout(drain_timeout, console).await;
    }
    let _ = access_task.await;
    match tokio::time::timeout(drain_timeout, &mut server).await {
        Ok(result) => result.context("the gRPC server failed while draining")?,
        Err(_) => {
            tracing::warn!("calls still in flight after the shutdown timeout; closing anyway")
        }
    }
    if tokio::time::timeout(drain_timeout, store.close())
        .await
        .is_err()
    {
        tracing::warn!("the database did not close within the shutdown timeout");
    }
    tracing::info!("stopped");
    Ok(())
}

/// The TLS certificate and key, read and checked, when both are configured; an error when only
/// one is, or a file is bad.
fn tls_certificates(
    settings: &Settings,
) -> anyhow::Result<Option<std::sync::Arc<crate::tls::Certificates>>> {
    match (&settings.tls_cert, &settings.tls_key) {
        (Some(cert), Some(key)) => Ok(Some(crate::tls::Certificates::load(cert, key)?)),
        (None, None) => Ok(None),
        _ => anyhow::bail!("--tls-cert and --tls-key go together: give both, or neither"),
    }
}

/// The checkpoint key (read, or created on first start) and how often to sign; the public key
/// is logged, for the operator to hand to auditors.
fn checkpointing(settings: &Settings) -> anyhow::Result<Checkpointing> {
    let (key, created) = CheckpointKey::load_or_create(&settings.checkpoint_key)?;
    if created {
        tracing::info!(
            path = %key.path().display(),
            public_key = key.public_key(),
            "first start: created the audit checkpoint key (keep it out of the database's reach; \
             give every replica the same file)"
        );
    } else {
        tracing::info!(
            path = %key.path().display(),
            public_key = key.public_key(),
            "audit checkpoints are signed with this key"
        );
    }
    Ok(Checkpointing {
        key,
        every_events: i64::try_from(settings.checkpoint_events).unwrap_or(i64::MAX),
        every: settings.checkpoint_interval,
    })
}

/// Reflection over every descriptor the server uses: the API, its imports (well-known types
/// included) and health; each build adds the reflection service's own descriptors. A generic
/// client needs nothing but the address.
fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(regie_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("received SIGINT"),
        () = terminate => tracing::info!("received SIGTERM"),
    }
}
