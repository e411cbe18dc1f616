//! Background work on a timer: marks cases overdue (once, as an event) when they pass their due
//! time or their state's SLA, and forgets request ids older than the retention window.
//!
//! It calls the use cases like any other entry point (`App::mark_overdue`). With several
//! replicas on one database, one of them does it: the one holding the `scheduler` lease in the
//! database (docs/architecture.md, "Several replicas"). The holder renews its lease every third
//! of its duration and works only while it is sure to hold it; when it dies, another replica
//! takes the lease over once it expires, within the lease's duration and a third. Even the
//! holder scans the open cases only when it may find something: when the log moved since its
//! last scan (a case was created or changed, here or on another replica), when the earliest
//! deadline that scan saw has come, or at least once an hour. Should two
//! ever work at once (a clock far off), nothing breaks: marking is a normal command under the
//! case's row lock, and one that finds the case already overdue changes nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::app::App;
use crate::domain::cases::model::now;

/// How long a request id is remembered: a retry within this window returns the first answer.
pub const REQUEST_ID_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// The longest the holder goes without scanning the open cases, whatever it expects.
const FULL_SCAN_EVERY: Duration = Duration::from_secs(3600);

/// What the last scan of the open cases saw, to tell whether the next may find anything.
struct Scanned {
    /// The newest event sequence this replica knew when it scanned.
    sequence: i64,
    /// The first moment a case it saw becomes overdue (micros), if any does.
    next_due: Option<i64>,
    at: Instant,
}

impl Scanned {
    /// Whether a scan now could mark nothing new: the log stood still and no deadline came.
    fn still_current(&self, sequence: i64, now: i64) -> bool {
        self.sequence == sequence
            && self.next_due.is_none_or(|due| now < due)
            && self.at.elapsed() < FULL_SCAN_EVERY
    }
}

/// The name of the scheduler's lease.
pub const LEASE: &str = "scheduler";

/// This replica's claim on a background job: who it is, and how long a lease lasts.
#[derive(Debug, Clone)]
pub struct Lease {
    /// `HOSTNAME:pid:random`, unique per process; what `leases.holder` shows.
    pub holder: String,
    pub duration: Duration,
}

impl Lease {
    pub fn new(duration: Duration) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "regie".to_owned());
        let random = uuid::Uuid::new_v4().simple().to_string();
        Self {
            holder: format!("{host}:{}:{}", std::process::id(), &random[..8]),
            duration,
        }
    }
}

pub async fn run(app: Arc<App>, interval: Duration, lease: Lease) {
    let mut renew = tokio::time::interval((lease.duration / 3).max(Duration::from_millis(100)));
    renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Until when this replica surely holds the lease (by its own clock, taken before asking).
    let mut held_until: Option<Instant> = None;
    let mut scanned: Option<Scanned> = None;
    loop {
        tokio::select! {
            _ = renew.tick() => {
                held_until = take(&app, &lease, held_until).await;
                continue;
            }
            _ = tick.tick() => {}
            () = app.shutdown.cancelled() => break,
        }
        if held_until.is_some_and(|until| Instant::now() < until) {
            work(&app, &mut scanned).await;
        } else {
            // Whoever holds the lease next starts with a full scan.
            scanned = None;
        }
    }
    if held_until.is_some()
        && let Err(e) = app.store.give_up_lease(LEASE, &lease.holder).await
    {
        tracing::debug!(error = %e, "giving up the scheduler lease failed; it expires");
    }
}

/// Takes or renews the lease; returns until when it is held (`held`: as it was).
async fn take(app: &App, lease: &Lease, held: Option<Instant>) -> Option<Instant> {
    let held = held.filter(|until| Instant::now() < *until);
    let asked = Instant::now();
    let at = now();
    let expire = at + lease.duration.as_micros() as i64;
    match app.store.take_lease(LEASE, &lease.holder, at, expire).await {
        Ok(true) => {
            if held.is_none() {
                tracing::info!(
                    holder = lease.holder,
                    "took the scheduler lease: this replica runs the deadline checks"
                );
            }
            Some(asked + lease.duration)
        }
        Ok(false) => {
            if held.is_some() {
                tracing::warn!(
                    holder = lease.holder,
                    "lost the scheduler lease to another replica"
                );
            }
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "renewing the scheduler lease failed");
            // Still held until the last renewal expires, if it was.
            held
        }
    }
}

async fn work(app: &App, scanned: &mut Option<Scanned>) {
    // Read before the scan: a write during it moves the log, so the next tick scans again.
    let sequence = *app.events.borrow();
    if !scanned
        .as_ref()
        .is_some_and(|s| s.still_current(sequence, now()))
    {
        match app.mark_overdue().await {
            Ok((count, next_due)) => {
                if count > 0 {
                    tracing::info!(count, "marked cases overdue");
                }
                // Its own marks moved the log: the next tick looks once more, then rests.
                *scanned = Some(Scanned {
                    sequence,
                    next_due,
                    at: Instant::now(),
                });
            }
            Err(e) => {
                *scanned = None;
                tracing::warn!(error = %e, "the deadline check failed; it runs again at the next tick")
            }
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
