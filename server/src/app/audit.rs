//! Use cases of the audit: reading the event log, verifying its hash chains, and the denied
//! calls.
//!
//! Who may call these (`audit` `read` in `rijk`) is decided before the use case runs, from the
//! method table alone (`rpc/methods.rs`), so they take no caller. The report of a verification
//! and a denial as kept are the store's types, re-exported here for the entry points.

use super::App;
use crate::domain::Result;
use crate::domain::cases::CaseId;
use crate::domain::cases::audit::StoredEvent;
use crate::domain::error::Error;
use crate::domain::listing::{ListParams, ListQuery, Page};

pub use crate::store::{ChainReport, Denial};

/// How many denials a list returns when the request names no page size.
const DEFAULT_DENIALS: i64 = 100;

impl App {
    /// Events of every case, in the log's order, filtered as `params` says.
    pub async fn list_audit_events(&self, params: ListParams<'_>) -> Result<Page<StoredEvent>> {
        let query = ListQuery::parse(&StoredEvent::LIST, params)?;
        self.store.list_events(&query).await
    }

    /// Walks the hash chain of `case`, or of every case (then also the global sequence); a
    /// broken chain or a hole is logged.
    pub async fn verify_audit_chain(&self, case: Option<&CaseId>) -> Result<ChainReport> {
        let report = self.store.verify_chains(case).await?;
        if !report.is_valid() {
            tracing::warn!(
                broken = report.broken.len(),
                gaps = report.gaps.len(),
                "the audit chain does not verify"
            );
        }
        Ok(report)
    }

    /// The newest denials, newest first: `page_size` of them (0: 100, at most 1000). What is
    /// still queued in memory is written first, so the answer is complete.
    pub async fn list_access_denials(&self, page_size: i32) -> Result<Vec<Denial>> {
        if !(0..=1000).contains(&page_size) {
            return Err(Error::invalid_field(
                "page_size",
                "must be between 0 and 1000",
            ));
        }
        let limit = if page_size == 0 {
            DEFAULT_DENIALS
        } else {
            i64::from(page_size)
        };
        self.access.denials.flush().await;
        self.store.list_denials(limit).await
    }
}
