//! Background work on a timer: marks cases overdue (once, as an event) when they pass their due
//! time or their state's SLA, and forgets request ids older than the retention window.
//!
//! Several replicas may run it at once: marking is a normal command under the case's row lock,
//! and one that finds the case already overdue changes nothing.

use std::sync::Arc;
use std::time::Duration;

use crate::app::App;
use crate::domain::cases::Command;
use crate::domain::cases::command::is_overdue;
use crate::domain::cases::model::now;
use crate::domain::{Error, Result};
use crate::store::CaseCommand;

/// How long a request id is remembered: a retry within this window returns the first answer.
pub const REQUEST_ID_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// The actor recorded on the scheduler's events.
pub const ACTOR: &str = "system:scheduler";

pub async fn run(app: Arc<App>, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = app.shutdown.cancelled() => return,
        }
        match mark_overdue(&app).await {
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

/// Marks every open case that is now overdue; returns how many.
pub async fn mark_overdue(app: &App) -> Result<usize> {
    let workflows = app.workflows.snapshot();
    let now = now();
    let mut marked = 0;
    for case in app.store.open_cases_not_overdue().await? {
        let Some(definition) = workflows.get(&case.kind, case.workflow_version) else {
            continue;
        };
        if !is_overdue(&case, definition, now) {
            continue;
        }
        let command = CaseCommand {
            case_id: case.id.clone(),
            command: Command::MarkOverdue,
            actor: ACTOR.to_owned(),
            request_id: String::new(),
            method: "MarkOverdue",
            authorize: None,
            actor_roles: None,
        };
        match app.store.execute(workflows.clone(), command).await {
            Ok(executed) => {
                marked += 1;
                app.published(executed.last_sequence);
            }
            // Changed in the meantime (moved on, or marked by another replica).
            Err(Error::FailedPrecondition { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(marked)
}
