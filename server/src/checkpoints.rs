//! Background work that signs the audit log's checkpoints (docs/architecture.md, "Tamper
//! evidence"): every `--checkpoint-events` events, or every `--checkpoint-interval` when the log
//! moved at all, a checkpoint of its newest sequence (`App::checkpoint_if_due`).
//!
//! It wakes when this replica commits events and on a timer (for the events of other replicas
//! and the interval). Several replicas may run it on one database: one checkpoint per sequence
//! is kept, whichever replica stored it first.

use std::sync::Arc;
use std::time::Duration;

use crate::app::App;
use crate::domain::cases::model::now;

/// The longest the timer waits between looks at the log.
const MAX_TICK: Duration = Duration::from_secs(10);

pub async fn run(app: Arc<App>) {
    let started = now();
    let every_events = app.checkpoints.every_events.max(1);
    let mut tick = tokio::time::interval(app.checkpoints.every.min(MAX_TICK));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut events = app.events.subscribe();
    // The newest checkpoint's sequence as far as this task knows: a commit of this replica's
    // looks at the database only once enough events have passed it.
    let mut known = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            changed = events.changed() => {
                if changed.is_err() {
                    return;
                }
                if *events.borrow_and_update() - known < every_events {
                    continue;
                }
            }
            () = app.shutdown.cancelled() => return,
        }
        match app.checkpoint_if_due(started).await {
            Ok(Some(checkpoint)) => {
                known = checkpoint.sequence;
                tracing::info!(
                    sequence = checkpoint.sequence,
                    cases = checkpoint.cases,
                    heads = %checkpoint.heads_digest,
                    "signed an audit checkpoint"
                );
            }
            Ok(None) => {
                if let Ok(Some(latest)) = app.store.latest_checkpoint().await {
                    known = latest.sequence;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "signing an audit checkpoint failed; it is tried again later")
            }
        }
    }
}
