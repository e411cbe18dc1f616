//! Background work on a timer: marks cases overdue (once, as an event) when they pass their due
//! time or their state's SLA, and forgets request ids older than the retention window.
//!
//! It calls the use cases like any other entry point (`App::mark_overdue`). Several replicas
//! may run it at once: marking is a normal command under the case's row lock, and one that
//! finds the case already overdue changes nothing.

use std::sync::Arc;
use std::time::Duration;

use crate::app::App;
use crate::domain::cases::model::now;

/// How long a request id is remembered: a retry within this window returns the first answer.
pub const REQUEST_ID_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

pub async fn run(app: Arc<App>, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = app.shutdown.cancelled() => return,
        }
        match app.mark_overdue().await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "marked cases overdue"),
            Err(e) => {
                tracing::warn!(error = %e, "the deadline check failed; it runs again at the next tick")
            }
        }
        if crate::telemetry::instruments().is_some() {
            match app.store.count_overdue().await {
                Ok(count) => crate::telemetry::set_overdue(count),
                Err(e) => tracing::warn!(error = %e, "counting overdue cases failed"),
            }
        }
        let cutoff = now() - REQUEST_ID_RETENTION.as_micros() as i64;
        if let Err(e) = app.store.purge_requests(cutoff).await {
            tracing::warn!(error = %e, "forgetting old request ids failed");
        }
    }
}
