//! Use cases of the audit: reading the event log, verifying its hash chains (and that it still
//! extends the signed checkpoints an auditor holds), making and listing those checkpoints, and
//! the denied calls.
//!
//! Who may call these (`audit` `read` in `rijk`) is decided before the use case runs, from the
//! method table alone (`rpc/methods.rs`), so they take no caller. The report of a verification
//! and a denial as kept are the store's types, re-exported here for the entry points. One
//! exception: the chain of a single case may be checked by whoever may read that case
//! ([`App::verify_case_chain`], the console's audit-chain status), since its events are theirs
//! to read already.

use super::App;
use super::cases::op;
use crate::authz::Caller;
use crate::domain::Result;
use crate::domain::cases::CaseId;
use crate::domain::cases::audit::StoredEvent;
use crate::domain::cases::audit::checkpoint::{self, Checkpoint};
use crate::domain::error::Error;
use crate::domain::listing::{ListParams, ListQuery, Page};

pub use crate::store::{ChainReport, Denial};

/// How many denials a list returns when the request names no page size.
const DEFAULT_DENIALS: i64 = 100;
/// How many checkpoints a list returns when the request names no page size.
const DEFAULT_CHECKPOINTS: i64 = 100;

/// The verdict on the log: its chains and holes, and each checkpoint it no longer extends.
#[derive(Debug, Clone, Default)]
pub struct Verification {
    pub chains: ChainReport,
    pub checkpoints_checked: i64,
    pub checkpoint_failures: Vec<CheckpointFailure>,
}

impl Verification {
    pub fn is_valid(&self) -> bool {
        self.chains.is_valid() && self.checkpoint_failures.is_empty()
    }
}

/// A checkpoint the log does not extend, or whose signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointFailure {
    pub sequence: i64,
    pub reason: String,
}

impl App {
    /// Events of every case, in the log's order, filtered as `params` says.
    pub async fn list_audit_events(&self, params: ListParams<'_>) -> Result<Page<StoredEvent>> {
        let query = ListQuery::parse(&StoredEvent::LIST, params, &self.page_key)?;
        self.store.list_events(&query).await
    }

    /// Walks the hash chain of `case`, or of every case (then also the global sequence), and
    /// checks that the log still extends each of `against` (checkpoints an auditor kept): its
    /// signature verifies with its public key, and the chains' heads at its sequence,
    /// recomputed from the events, are the ones it signed. Anything wrong is logged.
    pub async fn verify_audit_chain(
        &self,
        case: Option<&CaseId>,
        against: &[Checkpoint],
    ) -> Result<Verification> {
        let chains = self.store.verify_chains(case).await?;
        let sequences: Vec<i64> = against.iter().map(|c| c.sequence).collect();
        let heads = self.store.heads_at(&sequences).await?;
        let mut failures = Vec::new();
        for checkpoint in against {
            let now = heads.iter().find(|h| h.sequence == checkpoint.sequence);
            let reason = checkpoint.signature_error().or_else(|| {
                now.and_then(|now| checkpoint.extension_error(chains.last_sequence, now))
            });
            if let Some(reason) = reason {
                failures.push(CheckpointFailure {
                    sequence: checkpoint.sequence,
                    reason,
                });
            }
        }
        let verification = Verification {
            chains,
            checkpoints_checked: against.len() as i64,
            checkpoint_failures: failures,
        };
        if !verification.is_valid() {
            tracing::warn!(
                broken = verification.chains.broken.len(),
                gaps = verification.chains.gaps.len(),
                checkpoints_failed = verification.checkpoint_failures.len(),
                "the audit chain does not verify"
            );
        }
        Ok(verification)
    }

    /// Whether the hash chain of case `id` verifies, for a caller who may read the case.
    pub async fn verify_case_chain(&self, caller: &Caller, id: &CaseId) -> Result<ChainReport> {
        self.read_case(caller, op::GET, id).await?;
        self.store.verify_chains(Some(id)).await
    }

    /// The public key checkpoints are signed with now, and up to `page_size` checkpoints after
    /// sequence `after`, oldest first (0: 100, at most 1000).
    pub async fn list_checkpoints(
        &self,
        after: i64,
        page_size: i32,
    ) -> Result<(String, Vec<Checkpoint>)> {
        if !(0..=1000).contains(&page_size) {
            return Err(Error::invalid_field(
                "page_size",
                "must be between 0 and 1000",
            ));
        }
        let limit = if page_size == 0 {
            DEFAULT_CHECKPOINTS
        } else {
            i64::from(page_size)
        };
        let checkpoints = self.store.list_checkpoints(after.max(0), limit).await?;
        Ok((self.checkpoints.key.public_key().to_owned(), checkpoints))
    }

    /// Signs and stores a checkpoint at the log's newest sequence when one is due
    /// (`checkpoint::due`); `since` is when to count time from while there is none yet. Several
    /// replicas may do this at once: one checkpoint per sequence is kept.
    pub async fn checkpoint_if_due(&self, since: i64) -> Result<Option<Checkpoint>> {
        let last = self.store.last_sequence().await?;
        let latest = self.store.latest_checkpoint().await?;
        let (at, since) = latest.map_or((0, since), |c| (c.sequence, c.time));
        let now = crate::domain::cases::model::now();
        let policy = &self.checkpoints;
        let every = i64::try_from(policy.every.as_micros()).unwrap_or(i64::MAX);
        if !checkpoint::due(last, at, since, now, policy.every_events, every) {
            return Ok(None);
        }
        let Some(heads) = self.store.heads_at(&[last]).await?.pop() else {
            return Ok(None);
        };
        let mut made = Checkpoint {
            sequence: last,
            time: now,
            cases: heads.cases,
            heads_digest: heads.heads_digest,
            public_key: policy.key.public_key().to_owned(),
            signature: String::new(),
        };
        made.signature = policy.key.sign(&made.message());
        self.store.insert_checkpoint(&made).await.map(Some)
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
