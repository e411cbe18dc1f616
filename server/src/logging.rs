//! Logs through `tracing`, as text for people or JSON for collectors, on stderr; and, when
//! traces are exported, the bridge that turns the same spans into OpenTelemetry spans.
//!
//! `--log` is one filter for both. (Per-layer filters would be neater, but tracing-subscriber
//! 0.3 loses events and spans behind them when a library asks `enabled!` on its own, as sqlx
//! does after every query: tokio-rs/tracing#2519.) The spans that exist only for the exporter
//! are made only while exporting (`telemetry::span!`), so with nothing exported the log reads as
//! before. Each JSON line written inside an exported span carries its `trace_id` and `span_id`.
//!
//! Never log a secret: database URLs pass through `store::redact_url`, and request bodies are
//! not logged.

use std::fmt;
use std::io::IsTerminal as _;

use opentelemetry::trace::TraceContextExt as _;
use tracing::{Event, Subscriber};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::filter::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer as _, Registry};

use crate::config::LogFormat;

pub fn init(
    format: LogFormat,
    filter: &str,
    tracer: Option<opentelemetry_sdk::trace::Tracer>,
) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(filter)
        .map_err(|e| anyhow::anyhow!("invalid log filter {filter:?}: {e}"))?;
    // Colours only for a person at a terminal, never into a file or a log collector.
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let logs = match format {
        LogFormat::Text => fmt.boxed(),
        LogFormat::Json => {
            let json = tracing_subscriber::fmt::format()
                .json()
                .flatten_event(true)
                .with_current_span(true);
            fmt.json().event_format(WithTraceIds(json)).boxed()
        }
    };
    let spans = tracer.map(|tracer| tracing_opentelemetry::layer().with_tracer(tracer));
    Registry::default()
        .with(filter)
        .with(logs)
        .with(spans)
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot install the logger: {e}"))
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
