//! The audit of denied calls, with a cap, so that a flood of denials (a misconfigured
//! integration, a scan) cannot fill the disk or slow the server: each principal gets at most
//! [`PER_PRINCIPAL_PER_MINUTE`] rows a minute, and the server at most [`PER_MINUTE`]; what is
//! over the cap is counted, and the count is written with that principal's next row. Rows are
//! queued in memory and written in batches by the access task, never on the caller's path.
//!
//! The cap is per process: each replica counts its own denials, so N replicas write up to N
//! times the rows (README.md says so). Holding it across replicas would cost a database round
//! trip per denial, on exactly the path a flood of denials takes; the point of the cap, a
//! bounded write rate per replica, holds as it is.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::domain::time::Timestamp;
use crate::store::{Denial, Store};

use super::Need;

pub const PER_PRINCIPAL_PER_MINUTE: u32 = 60;
pub const PER_MINUTE: u32 = 1_000;

#[derive(Default)]
struct Window {
    started: Option<Instant>,
    total: u32,
    per_principal: HashMap<String, u32>,
    /// Denials not written, per principal, since its last written row.
    suppressed: HashMap<String, i64>,
    queue: Vec<Denial>,
}

pub struct Denials {
    store: Arc<dyn Store>,
    window: Mutex<Window>,
}

impl Denials {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            window: Mutex::default(),
        }
    }

    /// Queues a denial, or counts it when over the cap.
    pub fn record(&self, principal: &str, method: &str, need: &Need, reason: &str) {
        tracing::info!(principal, method, object = %need.object, action = %need.action, domain = %need.domain, reason, "denied");
        let Ok(mut w) = self.window.lock() else {
            return;
        };
        if w.started.is_none_or(|s| s.elapsed().as_secs() >= 60) {
            w.started = Some(Instant::now());
            w.total = 0;
            w.per_principal.clear();
        }
        let count = w.per_principal.entry(principal.to_owned()).or_default();
        *count += 1;
        let over = *count > PER_PRINCIPAL_PER_MINUTE || w.total >= PER_MINUTE;
        if over {
            *w.suppressed.entry(principal.to_owned()).or_default() += 1;
            return;
        }
        w.total += 1;
        let suppressed = w.suppressed.remove(principal).unwrap_or(0);
        w.queue.push(Denial {
            time: Timestamp::now(),
            principal: principal.to_owned(),
            method: method.to_owned(),
            object: need.object.clone(),
            action: need.action.clone(),
            domain: need.domain.clone(),
            reason: reason.to_owned(),
            suppressed,
        });
    }

    /// Writes the queued rows.
    pub async fn flush(&self) {
        let queue = match self.window.lock() {
            Ok(mut w) => std::mem::take(&mut w.queue),
            Err(_) => return,
        };
        if let Err(e) = self.store.record_denials(queue).await {
            tracing::warn!(error = %e, "writing denied calls to the audit failed");
        }
    }
}
