//! Group commit for the case write path.
//!
//! Every [`CaseStore::execute`](super::CaseStore::execute) call becomes a [`Job`] on a queue that
//! one writer task drains: whatever has queued up while the previous transaction was committing
//! goes into the next transaction together, so a burst of N writes costs one commit (one fsync
//! on SQLite, one WAL flush and one advisory lock on PostgreSQL) instead of N. A lone write
//! waits for nobody: the writer takes what is there, never a timer.
//!
//! Each job still gets its own answer; how a batch is run is the unit of work (`unit.rs`) over
//! the backend's [`Backend`]. This module only queues and dispatches.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tracing::Instrument as _;

use super::unit::{self, Backend};
use super::{CaseCommand, Executed};
use crate::domain::workflow::Workflows;
use crate::domain::{Error, Result};

/// The most jobs one transaction takes. Larger batches stop paying off well before this, and
/// it bounds how long the write lock is held.
pub const MAX_BATCH: usize = 128;
/// Jobs waiting for the writer before callers themselves wait to enqueue.
const QUEUE: usize = 4096;

/// One write waiting for its transaction.
pub struct Job {
    pub workflows: Arc<Workflows>,
    pub command: CaseCommand,
    pub reply: oneshot::Sender<Result<Executed>>,
    /// `store.write`, a child of the caller's span: from the queue to the commit. The writer
    /// decides the job inside a child of it, so a trace shows each write's wait, decision and
    /// transaction under its RPC although one transaction serves many.
    pub span: tracing::Span,
}

impl Job {
    /// Sends the answer; a caller that has gone away (its RPC was cancelled) no longer needs it.
    pub fn answer(self, result: Result<Executed>) {
        let _ = self.reply.send(result);
    }
}

/// The queue in front of the writer task.
pub struct Writes {
    sender: mpsc::Sender<Job>,
}

impl Writes {
    /// Starts the writer task. It ends when the `Writes` is dropped and the queue is empty.
    pub fn start<B: Backend>(backend: B) -> Self {
        let (sender, mut receiver) = mpsc::channel::<Job>(QUEUE);
        tokio::spawn(async move {
            let mut jobs = Vec::with_capacity(MAX_BATCH);
            while receiver.recv_many(&mut jobs, MAX_BATCH).await > 0 {
                let batch = std::mem::replace(&mut jobs, Vec::with_capacity(MAX_BATCH));
                // In a task of its own, so that a panic in one batch answers its callers with an
                // error (their reply senders are dropped) and the writer goes on with the next.
                let backend = backend.clone();
                let written = tokio::spawn(async move { unit::write(&backend, batch).await });
                if let Err(e) = written.await {
                    tracing::error!(error = %e, "a write batch failed");
                }
            }
        });
        Self { sender }
    }

    /// Queues a command and waits for its transaction to commit (or for the refusal).
    pub async fn submit(
        &self,
        workflows: Arc<Workflows>,
        command: CaseCommand,
    ) -> Result<Executed> {
        let (reply, answer) = oneshot::channel();
        let span = crate::telemetry::span!(
            "store.write",
            db.operation = "write",
            regie.batch.size = tracing::field::Empty,
        );
        async {
            self.sender
                .send(Job {
                    workflows,
                    command,
                    reply,
                    span: span.clone(),
                })
                .await
                .map_err(|_| Error::unavailable("the server is shutting down; try again"))?;
            answer.await.map_err(|_| {
                Error::internal("the write failed before it was answered; nothing was applied")
            })?
        }
        .instrument(span.clone())
        .await
    }
}
