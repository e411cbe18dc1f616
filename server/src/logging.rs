//! Logs through `tracing`, as text for people or JSON for collectors, on stderr; and, when
//! traces are exported, the bridge that turns the same spans into OpenTelemetry spans.
//!
//! `--log` is one filter for both, plus, while exporting, the target of the exported spans
//! (`regie_server::trace`), which no event uses. (Per-layer filters would be neater, but
//! tracing-subscriber 0.3 loses events and spans behind them when a library asks `enabled!` on
//! its own, as sqlx does after every query: tokio-rs/tracing#2519.) Those spans are made only
//! while exporting (`telemetry::span!`), so with nothing exported the log reads as before. Each JSON line written inside an exported span carries its `trace_id` and `span_id`.
//!
//! Never log a secret: database URLs pass through `store::redact_url`, and request bodies are
//! not logged.

use std::fmt;
use std::io::IsTerminal as _;

use opentelemetry::trace::TraceContextExt as _;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::filter::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer as _, Registry};

use crate::config::LogFormat;

pub fn init(
    format: LogFormat,
    filter: &str,
    tracer: Option<opentelemetry_sdk::trace::Tracer>,
) -> anyhow::Result<()> {
    let mut filter = EnvFilter::try_new(filter)
        .map_err(|e| anyhow::anyhow!("invalid log filter {filter:?}: {e}"))?;
    if tracer.is_some() {
        // The exported spans, whatever the log level.
        let spans = format!("{}=info", crate::telemetry::SPAN_TARGET);
        filter = filter.add_directive(spans.parse()?);
    }
    // Colours only for a person at a terminal, never into a file or a log collector.
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let logs = match format {
        LogFormat::Text => fmt.boxed(),
        LogFormat::Json => {
            // Span fields are not written (the exported spans are not seen by this layer, see
            // `LogsWithoutTraceSpans`); the trace and span ids are.
            let json = tracing_subscriber::fmt::format()
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .with_span_list(false);
            fmt.json().event_format(WithTraceIds(json)).boxed()
        }
    };
    let logs = LogsWithoutTraceSpans(logs);
    // Every span costs the call it traces: leave out what nobody reads (source locations,
    // thread ids, busy/idle times, level and target attributes) and do not swap the
    // OpenTelemetry context at every poll (parents come from `tracing`'s own tree).
    let spans = tracer.map(|tracer| {
        tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_location(false)
            .with_threads(false)
            .with_tracked_inactivity(false)
            .with_level(false)
            .with_target(false)
            .with_context_activation(false)
    });
    Registry::default()
        .with(filter)
        .with(logs)
        .with(spans)
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot install the logger: {e}"))
}

/// The log layer, minus the spans made for the exporter: formatting their fields for a log
/// that never prints them would cost every call as much again as making them. Events, and
/// every other span, pass through.
struct LogsWithoutTraceSpans<L>(L);

fn is_trace_span<S: Subscriber + for<'a> LookupSpan<'a>>(id: &Id, ctx: &Context<'_, S>) -> bool {
    ctx.metadata(id)
        .is_some_and(|m| m.target() == crate::telemetry::SPAN_TARGET)
}

impl<S, L> tracing_subscriber::Layer<S> for LogsWithoutTraceSpans<L>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    L: tracing_subscriber::Layer<S>,
{
    fn on_register_dispatch(&self, subscriber: &tracing::Dispatch) {
        self.0.on_register_dispatch(subscriber);
    }

    fn on_layer(&mut self, subscriber: &mut S) {
        self.0.on_layer(subscriber);
    }

    fn register_callsite(
        &self,
        metadata: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        self.0.register_callsite(metadata)
    }

    fn enabled(&self, metadata: &tracing::Metadata<'_>, ctx: Context<'_, S>) -> bool {
        self.0.enabled(metadata, ctx)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().target() != crate::telemetry::SPAN_TARGET {
            self.0.on_new_span(attrs, id, ctx);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if !is_trace_span(id, &ctx) {
            self.0.on_record(id, values, ctx);
        }
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, ctx: Context<'_, S>) {
        if !is_trace_span(id, &ctx) {
            self.0.on_follows_from(id, follows, ctx);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        self.0.on_event(event, ctx);
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if !is_trace_span(id, &ctx) {
            self.0.on_enter(id, ctx);
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        if !is_trace_span(id, &ctx) {
            self.0.on_exit(id, ctx);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if !is_trace_span(&id, &ctx) {
            self.0.on_close(id, ctx);
        }
    }

    fn on_id_change(&self, old: &Id, new: &Id, ctx: Context<'_, S>) {
        self.0.on_id_change(old, new, ctx);
    }
}

/// A JSON event format that adds the OpenTelemetry `trace_id` and `span_id` of the span the
/// event happens in, when there is one, so logs and traces can be joined.
struct WithTraceIds<F>(F);

impl<S, N, F> FormatEvent<S, N> for WithTraceIds<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        // The exported span, if any: the registry's current span, not only the ones the log
        // filter lets through.
        let context = tracing::Span::current().context();
        let span = context.span();
        let ids = span.span_context();
        if ids.is_valid()
            && let Some(end) = line.trim_end().strip_suffix('}')
        {
            let rest = &line[end.len() + 1..];
            return write!(
                writer,
                "{end},\"trace_id\":\"{}\",\"span_id\":\"{}\"}}{rest}",
                ids.trace_id(),
                ids.span_id()
            );
        }
        writer.write_str(&line)
    }
}
