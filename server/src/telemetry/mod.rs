//! Telemetry: traces and metrics over OTLP/gRPC, configured by the standard OpenTelemetry
//! environment variables, and the instruments the server records into.
//!
//! With no endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`, or the `_TRACES_`/`_METRICS_` variants) or
//! with `OTEL_SDK_DISABLED=true`, nothing is installed: the spans of `layer.rs`, authorization
//! and the store are made with [`span!`], which makes none then, and the instruments are
//! absent, so recording is a branch on `None`. With an endpoint, spans go through a batch processor and
//! metrics through a periodic reader, both on their own threads: a slow or absent collector
//! costs dropped telemetry, never a slower or failed request. [`Telemetry::shutdown`] flushes
//! both within a bound.
//!
//! The exporter, sampler, resource and intervals read their own variables
//! (`OTEL_EXPORTER_OTLP_*`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,
//! `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`, `OTEL_BSP_*`,
//! `OTEL_METRIC_EXPORT_INTERVAL`); this module only decides whether to export at all and names
//! the service `regie-server` unless told otherwise.

pub mod layer;
pub mod propagation;

/// A child span on the target [`SPAN_TARGET`], under `parent` or the current span: made only
/// when that parent is a live span, that is, while exporting and inside a call whose trace is
/// sampled (see `layer.rs`). Otherwise `Span::none()`, which costs next to nothing, so that a
/// sampler that keeps one trace in ten makes the other nine nearly free. The target has a
/// directive of its own in the log filter while exporting, so `--log warn` does not switch the
/// traces off.
macro_rules! span {
    (parent: $parent:expr, $($rest:tt)*) => {{
        let parent: &::tracing::Span = $parent;
        if $crate::telemetry::tracing_enabled() && !parent.is_none() {
            ::tracing::info_span!(target: "regie_server::trace", parent: parent, $($rest)*)
        } else {
            ::tracing::Span::none()
        }
    }};
    ($($rest:tt)*) => {
        if $crate::telemetry::tracing_enabled() && !::tracing::Span::current().is_none() {
            ::tracing::info_span!(target: "regie_server::trace", $($rest)*)
        } else {
            ::tracing::Span::none()
        }
    };
}
pub(crate) use span;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram, Meter, UpDownCounter};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::resource::{EnvResourceDetector, SdkProvidedResourceDetector};
use opentelemetry_sdk::trace::{BatchSpanProcessor, SdkTracerProvider, Tracer};

/// The `tracing` target of every span made for the exporter.
pub const SPAN_TARGET: &str = "regie_server::trace";

/// The instrumentation scope of everything the server records.
pub const SCOPE: &str = "regie-server";

/// The installed providers; `None` parts when telemetry is off.
pub struct Telemetry {
    tracer_provider: Option<SdkTracerProvider>,
    meter_provider: Option<SdkMeterProvider>,
}

/// The server's instruments, present only while metrics are exported.
pub struct Instruments {
    /// `rpc.server.call.duration`, seconds, by `rpc.service`, `rpc.method`,
    /// `rpc.grpc.status_code`.
    pub rpc_duration: Histogram<f64>,
    /// `regie.case.transitions`, by `regie.case.kind`, `regie.transition`, `regie.outcome`.
    pub transitions: Counter<u64>,
    /// `regie.authz.decisions`, by `regie.decision` (`allowed`, `denied`).
    pub authz_decisions: Counter<u64>,
    /// `regie.watchers.active`: open change-feed streams.
    pub watchers: UpDownCounter<i64>,
}

static INSTRUMENTS: OnceLock<Instruments> = OnceLock::new();

/// Overdue open cases as the scheduler last counted them (`regie.cases.overdue`).
static OVERDUE: AtomicI64 = AtomicI64::new(0);

/// The instruments, when metrics are exported.
pub fn instruments() -> Option<&'static Instruments> {
    INSTRUMENTS.get()
}

/// Whether spans are exported (the RPC layer and the store create their spans only then).
pub fn tracing_enabled() -> bool {
    TRACING.get().copied().unwrap_or(false)
}

static TRACING: OnceLock<bool> = OnceLock::new();

/// Records the scheduler's latest count of overdue open cases.
pub fn set_overdue(count: i64) {
    OVERDUE.store(count, Ordering::Relaxed);
}

fn env_set(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.trim().is_empty())
}

fn resource() -> Resource {
    let mut builder = Resource::builder_empty()
        .with_service_name(SCOPE)
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        // `OTEL_RESOURCE_ATTRIBUTES` may name the service, the deployment, the replica, …
        .with_detector(Box::new(EnvResourceDetector::new()));
    if env_set("OTEL_SERVICE_NAME") {
        builder = builder.with_detector(Box::new(SdkProvidedResourceDetector));
    }
    builder.build()
}

impl Telemetry {
    /// Installs the exporters the environment asks for. Call from inside the Tokio runtime
    /// (the exporters' channels start there). Errors only for a configuration that cannot work
    /// (such as an endpoint that is not a URI); a collector that is down is not an error.
    pub fn init() -> anyhow::Result<Self> {
        let disabled =
            std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.eq_ignore_ascii_case("true"));
        let any = env_set("OTEL_EXPORTER_OTLP_ENDPOINT");
        let traces = !disabled && (any || env_set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
        let metrics = !disabled && (any || env_set("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"));
        let _ = TRACING.set(traces);
        let resource = resource();

        let tracer_provider = if traces {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .build()
                .map_err(|e| anyhow::anyhow!("OTLP trace exporter: {e}"))?;
            Some(
                SdkTracerProvider::builder()
                    .with_span_processor(BatchSpanProcessor::builder(exporter).build())
                    .with_resource(resource.clone())
                    .build(),
            )
        } else {
            None
        };
        if let Some(provider) = &tracer_provider {
            opentelemetry::global::set_tracer_provider(provider.clone());
            opentelemetry::global::set_text_map_propagator(
                opentelemetry_sdk::propagation::TraceContextPropagator::new(),
            );
        }

        let meter_provider = if metrics {
            let exporter = opentelemetry_otlp::MetricExporter::builder()
                .with_tonic()
                .build()
                .map_err(|e| anyhow::anyhow!("OTLP metric exporter: {e}"))?;
            let provider = SdkMeterProvider::builder()
                .with_reader(PeriodicReader::builder(exporter).build())
                .with_resource(resource)
                .build();
            opentelemetry::global::set_meter_provider(provider.clone());
            let _ = INSTRUMENTS.set(Instruments::new(&opentelemetry::global::meter(SCOPE)));
            Some(provider)
        } else {
            None
        };
        Ok(Self {
            tracer_provider,
            meter_provider,
        })
    }

    /// The tracer for the `tracing` bridge, when spans are exported.
    pub fn tracer(&self) -> Option<Tracer> {
        self.tracer_provider.as_ref().map(|p| p.tracer(SCOPE))
    }

    /// What is exported, for the start-up log.
    pub fn describe(&self) -> &'static str {
        match (&self.tracer_provider, &self.meter_provider) {
            (Some(_), Some(_)) => "traces and metrics",
            (Some(_), None) => "traces",
            (None, Some(_)) => "metrics",
            (None, None) => "nothing",
        }
    }

    /// Flushes and stops the exporters, waiting at most `bound` in all; what cannot be sent by
    /// then (a collector that is down) is dropped.
    pub async fn shutdown(self, bound: Duration) {
        if self.tracer_provider.is_none() && self.meter_provider.is_none() {
            return;
        }
        let flush = tokio::task::spawn_blocking(move || {
            if let Some(provider) = self.tracer_provider
                && let Err(e) = provider.shutdown_with_timeout(bound)
            {
                tracing::warn!(error = %e, "traces not flushed at shutdown");
            }
            if let Some(provider) = self.meter_provider
                && let Err(e) = provider.shutdown_with_timeout(bound)
            {
                tracing::warn!(error = %e, "metrics not flushed at shutdown");
            }
        });
        if tokio::time::timeout(bound, flush).await.is_err() {
            tracing::warn!(
                seconds = bound.as_secs_f64(),
                "telemetry not flushed within the shutdown bound; dropped"
            );
        }
    }
}

impl Instruments {
    fn new(meter: &Meter) -> Self {
        meter
            .i64_observable_gauge("regie.cases.overdue")
            .with_description("Open cases past their due time or their state's SLA")
            .with_unit("{case}")
            .with_callback(|gauge| gauge.observe(OVERDUE.load(Ordering::Relaxed), &[]))
            .build();
        Self {
            rpc_duration: meter
                .f64_histogram("rpc.server.call.duration")
                .with_description("Duration of RPCs handled by the server")
                .with_unit("s")
                .with_boundaries(vec![
                    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                    5.0, 10.0,
                ])
                .build(),
            transitions: meter
                .u64_counter("regie.case.transitions")
                .with_description("Transitions asked for, by kind, transition and outcome")
                .with_unit("{transition}")
                .build(),
            authz_decisions: meter
                .u64_counter("regie.authz.decisions")
                .with_description("Access decisions, by outcome")
                .with_unit("{decision}")
                .build(),
            watchers: meter
                .i64_up_down_counter("regie.watchers.active")
                .with_description("Open WatchEvents streams")
                .with_unit("{stream}")
                .build(),
        }
    }
}

/// Registers the store's pool gauge (`regie.store.pool.in_use`, by `regie.pool`): `in_use`
/// reports (pool name, connections in use) for each pool.
pub fn observe_pools(in_use: impl Fn() -> Vec<(&'static str, i64)> + Send + Sync + 'static) {
    if INSTRUMENTS.get().is_none() {
        return;
    }
    opentelemetry::global::meter(SCOPE)
        .i64_observable_gauge("regie.store.pool.in_use")
        .with_description("Database connections in use, per pool")
        .with_unit("{connection}")
        .with_callback(move |gauge| {
            for (pool, count) in in_use() {
                gauge.observe(count, &[KeyValue::new("regie.pool", pool)]);
            }
        })
        .build();
}

/// Counts an access decision.
pub fn count_decision(allowed: bool) {
    if let Some(i) = instruments() {
        let outcome = if allowed { "allowed" } else { "denied" };
        i.authz_decisions
            .add(1, &[KeyValue::new("regie.decision", outcome)]);
    }
}

/// Counts a transition asked for: `outcome` is `applied` or the reason it was refused.
pub fn count_transition(kind: &str, transition: &str, outcome: &str) {
    if let Some(i) = instruments() {
        i.transitions.add(
            1,
            &[
                KeyValue::new("regie.case.kind", kind.to_owned()),
                KeyValue::new("regie.transition", transition.to_owned()),
                KeyValue::new("regie.outcome", outcome.to_owned()),
            ],
        );
    }
}

/// Counts an open change-feed stream while it lives.
pub struct WatcherGuard(());

impl WatcherGuard {
    pub fn open() -> Self {
        if let Some(i) = instruments() {
            i.watchers.add(1, &[]);
        }
        Self(())
    }
}

impl Drop for WatcherGuard {
    fn drop(&mut self) {
        if let Some(i) = instruments() {
            i.watchers.add(-1, &[]);
        }
    }
}
