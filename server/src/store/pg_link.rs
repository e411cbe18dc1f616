//! What a PostgreSQL store knows of its database beyond its queries (docs/architecture.md,
//! "Several replicas"): whether it can be reached now, and the changes other replicas announce.
//!
//! Two tasks per store. The *probe* keeps a connection of its own (so a busy pool never makes
//! the database look down) and runs `SELECT 1` on it every check interval, or at once when the
//! listener lost its connection. While a probe fails the database is *unreachable*: every call
//! fails at once with UNAVAILABLE instead of waiting out the pool's acquire timeout, and the
//! server's health says NOT_SERVING. The *listener* LISTENs on [`CHANNEL`] and hands each
//! notification on as a [`Change`]; after every (re)connect it sends [`Change::Resync`], since
//! notifications sent while it was away are lost. The notifications are hints: what they
//! announce is read from the database, and the slow polls of `app/feed.rs` and `authz` stay as
//! the safety net.
//!
//! After a failure, every pooled connection older than it is pinged before its next use, so
//! connections that died with a database restart are replaced rather than failing a call each.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgListener, PgPool};
use sqlx::{Connection as _, PgConnection};
use tokio::sync::{Notify, broadcast, watch};

use super::Change;
use super::pg_hosts::{self, Hosts};
use crate::domain::error::reason;
use crate::domain::{Error, Result};

/// The notification channel every replica listens on and writes to.
pub const CHANNEL: &str = "regie_changes";

/// A notification's payload for each change.
pub fn payload(change: &Change) -> String {
    match change {
        Change::Events(sequence) => format!("events {sequence}"),
        Change::Access => "access".to_owned(),
        Change::Workflows => "workflows".to_owned(),
        Change::Resync => "resync".to_owned(),
    }
}

/// The change a payload names; `None` for one this version does not know (a newer replica's).
pub fn parse(payload: &str) -> Option<Change> {
    match payload.split_once(' ') {
        Some(("events", sequence)) => sequence.parse().ok().map(Change::Events),
        None if payload == "access" => Some(Change::Access),
        None if payload == "workflows" => Some(Change::Workflows),
        None if payload == "resync" => Some(Change::Resync),
        _ => None,
    }
}

/// The store's view of its database, shared by the store, its pool's hooks and the two tasks.
pub struct Link {
    reachable: watch::Sender<bool>,
    changes: broadcast::Sender<Change>,
    /// Milliseconds from `started` to the last failure seen (0: none).
    last_failure: AtomicU64,
    /// Milliseconds from `started` to the last switch to another host (0: none): connections
    /// made before it are to the old host, and are dropped.
    switched: AtomicU64,
    started: Instant,
    /// Wakes the probe when the listener lost its connection.
    look_now: Notify,
    /// Wakes the listener when the probe found the database gone (its connection may hang).
    reconnect: Notify,
}

impl Link {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            reachable: watch::Sender::new(true),
            changes: broadcast::Sender::new(1024),
            last_failure: AtomicU64::new(0),
            switched: AtomicU64::new(0),
            started: Instant::now(),
            look_now: Notify::new(),
            reconnect: Notify::new(),
        })
    }

    /// Fails at once while the database is known to be unreachable.
    pub fn check(&self) -> Result<()> {
        if *self.reachable.borrow() {
            Ok(())
        } else {
            Err(Error::Unavailable {
                reason: reason::DATABASE_UNAVAILABLE,
                message:
                    "the database cannot be reached now; try again shortly (or another replica)"
                        .to_owned(),
            })
        }
    }

    pub fn reachable(&self) -> watch::Receiver<bool> {
        self.reachable.subscribe()
    }

    pub fn changes(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// Whether a connection made `age` ago predates the last failure, so must be pinged first.
    pub fn predates_failure(&self, age: Duration) -> bool {
        self.predates(&self.last_failure, age)
    }

    /// Whether a connection made `age` ago is to a host the store has since left.
    pub fn predates_switch(&self, age: Duration) -> bool {
        self.predates(&self.switched, age)
    }

    fn predates(&self, moment: &AtomicU64, age: Duration) -> bool {
        let at = moment.load(Ordering::Relaxed);
        if at == 0 {
            return false;
        }
        let now = self.started.elapsed().as_millis() as u64;
        now.saturating_sub(age.as_millis() as u64) <= at
    }

    fn now(&self) -> u64 {
        (self.started.elapsed().as_millis() as u64).max(1)
    }

    fn failed(&self) {
        self.last_failure.store(self.now(), Ordering::Relaxed);
    }

    fn set_reachable(&self, reachable: bool) {
        self.reachable.send_if_modified(|current| {
            let changed = *current != reachable;
            *current = reachable;
            changed
        });
    }
}

/// Starts the probe and the listener; both end when the pool is closed. `current` is the host
/// of `hosts` the pool connects to.
pub fn start(pool: PgPool, hosts: Arc<Hosts>, current: usize, link: Arc<Link>, every: Duration) {
    tokio::spawn(probe(pool.clone(), hosts, current, link.clone(), every));
    tokio::spawn(listen(pool, link, every));
}

/// Checks the database every `every` on a connection of its own; when the host is gone or no
/// longer acceptable and the URL names others, picks again (`pg_hosts.rs`) and moves the pool.
async fn probe(
    pool: PgPool,
    hosts: Arc<Hosts>,
    mut current: usize,
    link: Arc<Link>,
    every: Duration,
) {
    let bound = every.max(Duration::from_millis(500));
    let mut connection: Option<PgConnection> = None;
    loop {
        let alive = async {
            if connection.is_none() {
                connection = Some(PgConnection::connect_with(&hosts.candidates[current]).await?);
            }
            match connection.as_mut() {
                Some(c) => {
                    c.ping().await?;
                    hosts.acceptable(c).await
                }
                None => Ok(()),
            }
        };
        let mut alive = matches!(tokio::time::timeout(bound, alive).await, Ok(Ok(())));
        if !alive && hosts.candidates.len() > 1 {
            connection = None;
            if let Ok((chosen, found)) = hosts.choose(bound, |c| c).await {
                connection = Some(found);
                alive = true;
                if chosen != current {
                    tracing::warn!(
                        from = pg_hosts::describe(&hosts.candidates[current]),
                        to = pg_hosts::describe(&hosts.candidates[chosen]),
                        "the database moved to another host: connecting there from now on"
                    );
                    current = chosen;
                    pool.set_connect_options(hosts.candidates[chosen].clone());
                    link.failed();
                    link.switched.store(link.now(), Ordering::Relaxed);
                    link.reconnect.notify_one();
                }
            }
        }
        if !alive {
            connection = None;
            link.failed();
            if *link.reachable.borrow() {
                tracing::warn!(
                    "the database cannot be reached: calls fail at once with UNAVAILABLE until it is back"
                );
                link.reconnect.notify_one();
            }
        } else if !*link.reachable.borrow() {
            tracing::info!("the database is reachable again");
        }
        link.set_reachable(alive);
        // While the database is away, look five times as often, so that calls resume soon
        // after it is back.
        let wait = if alive { every } else { every / 5 };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = link.look_now.notified() => {}
            () = pool.close_event() => return,
        }
    }
}

/// Listens for the changes other replicas announce, reconnecting whenever the connection is lost.
async fn listen(pool: PgPool, link: Arc<Link>, every: Duration) {
    loop {
        if pool.is_closed() {
            return;
        }
        let connected = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = match connected.await {
            Ok(listener) => listener,
            Err(sqlx::Error::PoolClosed) => return,
            Err(error) => {
                tracing::debug!(%error, "cannot listen for changes; trying again");
                tokio::select! {
                    () = tokio::time::sleep(every) => continue,
                    () = pool.close_event() => return,
                }
            }
        };
        // Whatever was announced while no one listened is read now.
        let _ = link.changes.send(Change::Resync);
        loop {
            tokio::select! {
                received = listener.try_recv() => match received {
                    Ok(Some(notification)) => {
                        if let Some(change) = parse(notification.payload()) {
                            let _ = link.changes.send(change);
                        }
                    }
                    Ok(None) | Err(_) => {
                        if pool.is_closed() {
                            return;
                        }
                        link.failed();
                        link.look_now.notify_one();
                        break;
                    }
                },
                () = link.reconnect.notified() => break,
            }
        }
    }
}

/// Announces `change` to every replica (this one included). Inside a transaction, it is
/// delivered at the commit, and a failure aborts the transaction: the caller must not commit.
pub async fn announce(
    executor: impl sqlx::PgExecutor<'_>,
    change: &Change,
) -> std::result::Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload(change))
        .execute(executor)
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_read_back_as_their_change() {
        for change in [
            Change::Events(42),
            Change::Access,
            Change::Workflows,
            Change::Resync,
        ] {
            assert_eq!(parse(&payload(&change)), Some(change));
        }
        assert_eq!(parse("events x"), None);
        assert_eq!(parse("something new"), None);
    }

    #[test]
    fn only_connections_older_than_the_last_failure_are_pinged() {
        let link = Link::new();
        assert!(!link.predates_failure(Duration::from_secs(3600)));
        std::thread::sleep(Duration::from_millis(20));
        link.failed();
        assert!(link.predates_failure(Duration::from_millis(100)));
        std::thread::sleep(Duration::from_millis(20));
        assert!(!link.predates_failure(Duration::from_millis(5)));
    }
}
