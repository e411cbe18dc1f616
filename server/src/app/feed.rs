//! What the change feed's watchers share on one replica (docs/architecture.md, "Change feed"):
//! the one source of "the log has grown" that wakes them, and the caps on how many may be open.
//!
//! A watcher reads the store only when the log has grown. Writes of this process announce their
//! last sequence at once (`App::published`); other replicas' writes arrive as the store's
//! announcements ([`follow_changes`], PostgreSQL's LISTEN/NOTIFY), which also say when access
//! or the workflow catalogue changed; and [`follow_log`] asks the store for its newest
//! sequence once per interval, the safety net for an announcement lost while the listener
//! reconnected. So idle watchers cost nothing, however many there are, and heartbeats carry the
//! newest sequence in the log.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use super::App;
use crate::domain::Result;
use crate::domain::error::{Error, reason};
use crate::store::Change;

/// How often this replica asks the store for the newest sequence, for the writes of other
/// replicas: the delay with which they reach its watchers, at most.
pub const FOLLOW_INTERVAL: Duration = Duration::from_secs(1);

/// How many change-feed streams may be open on this replica, in all and per principal.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    pub total: usize,
    pub per_principal: usize,
}

impl Default for StreamLimits {
    fn default() -> Self {
        Self {
            total: 1_000,
            per_principal: 50,
        }
    }
}

/// The open streams, counted.
#[derive(Debug, Default)]
pub struct Streams {
    limits: StreamLimits,
    open: Mutex<(usize, HashMap<String, usize>)>,
}

impl Streams {
    pub fn new(limits: StreamLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            open: Mutex::default(),
        })
    }

    /// A place for one more stream of `subject`, held until the slot is dropped; over a cap,
    /// RESOURCE_EXHAUSTED saying which.
    pub fn open(self: &Arc<Self>, subject: &str) -> Result<Slot> {
        let mut open = self
            .open
            .lock()
            .map_err(|_| Error::internal("the stream count is poisoned"))?;
        let (total, per) = &mut *open;
        if *total >= self.limits.total {
            return Err(Error::ResourceExhausted {
                reason: reason::TOO_MANY_STREAMS,
                message: format!(
                    "this server has {} change-feed streams open, its most (--max-watchers); try again later or another replica",
                    self.limits.total
                ),
            });
        }
        let mine = per.entry(subject.to_owned()).or_default();
        if *mine >= self.limits.per_principal {
            return Err(Error::ResourceExhausted {
                reason: reason::TOO_MANY_STREAMS,
                message: format!(
                    "{subject} has {} change-feed streams open on this server, its most (--max-watchers-per-principal); close one first",
                    self.limits.per_principal
                ),
            });
        }
        *mine += 1;
        *total += 1;
        Ok(Slot {
            streams: self.clone(),
            subject: subject.to_owned(),
        })
    }
}

/// One open stream's place; given back when dropped.
#[derive(Debug)]
pub struct Slot {
    streams: Arc<Streams>,
    subject: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.streams.open.lock() {
            let (total, per) = &mut *open;
            *total = total.saturating_sub(1);
            if let Some(mine) = per.get_mut(&self.subject) {
                *mine = mine.saturating_sub(1);
                if *mine == 0 {
                    per.remove(&self.subject);
                }
            }
        }
    }
}

/// Every how many [`follow_log`] intervals the catalogue is compared with the store (one
/// `COUNT(*)`), the safety net for a lost announcement of a publication.
const CATALOGUE_EVERY: u32 = 5;

/// Announces the newest sequence in the log every `interval`, for what other replicas wrote,
/// until the server stops. One query per interval for the whole replica; and every
/// [`CATALOGUE_EVERY`] intervals the catalogue is read again if the store holds more versions.
pub async fn follow_log(app: Arc<App>, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks = 0u32;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = app.shutdown.cancelled() => return,
        }
        match app.store.last_sequence().await {
            Ok(sequence) => app.published(sequence),
            Err(error) => tracing::debug!(%error, "reading the newest event sequence"),
        }
        ticks = ticks.wrapping_add(1);
        if ticks.is_multiple_of(CATALOGUE_EVERY)
            && let Err(error) = app.workflows.current(app.store.as_ref()).await
        {
            tracing::debug!(%error, "comparing the workflow catalogue with the store");
        }
    }
}

/// Applies what other replicas announce through the store (docs/architecture.md, "Several
/// replicas"), until the server stops: new events wake this replica's watchers, an access change
/// reloads the access caches, a publication the workflow catalogue; after a reconnect, or when
/// this task fell behind, everything is read again.
pub async fn follow_changes(app: Arc<App>, mut changes: tokio::sync::broadcast::Receiver<Change>) {
    loop {
        let change = tokio::select! {
            change = changes.recv() => change,
            () = app.shutdown.cancelled() => return,
        };
        match change {
            Ok(Change::Events(sequence)) => app.published(sequence),
            Ok(Change::Access) => refresh_access(&app).await,
            Ok(Change::Workflows) => reload_catalogue(&app).await,
            Ok(Change::Resync) | Err(RecvError::Lagged(_)) => {
                refresh_access(&app).await;
                reload_catalogue(&app).await;
                match app.store.last_sequence().await {
                    Ok(sequence) => app.published(sequence),
                    Err(error) => tracing::debug!(%error, "reading the newest event sequence"),
                }
            }
            Err(RecvError::Closed) => return,
        }
    }
}

async fn refresh_access(app: &App) {
    if let Err(error) = app.access.refresh().await {
        tracing::warn!(%error, "reloading access after another replica changed it failed");
    }
}

async fn reload_catalogue(app: &App) {
    if let Err(error) = app.workflows.reload(app.store.as_ref()).await {
        tracing::warn!(%error, "reloading the workflow catalogue failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_capped_in_all_and_per_principal_and_given_back() {
        let streams = Streams::new(StreamLimits {
            total: 3,
            per_principal: 2,
        });
        let a1 = streams.open("a").expect("first");
        let _a2 = streams.open("a").expect("second");
        let refused = streams.open("a").unwrap_err();
        assert_eq!(refused.reason(), reason::TOO_MANY_STREAMS);
        let _b1 = streams.open("b").expect("another principal");
        let refused = streams.open("c").unwrap_err();
        assert!(refused.to_string().contains("this server"), "{refused}");
        drop(a1);
        let _a3 = streams.open("a").expect("a place was given back");
    }
}
