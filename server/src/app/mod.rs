//! The application layer: one home for each use case (docs/architecture.md, "Layers").
//!
//! Every entry point — the gRPC handlers in `api/`, the deadline scheduler, the demo loader, and
//! the console and notifiers to come — calls the use cases here, so each gets the same
//! validation, authorization, idempotency, events and metrics. A use case takes a
//! [`Caller`](crate::authz::Caller) and a typed input, and does, in order: the authorization
//! decision (asked of `authz`), the domain decision, one unit of work in the
//! store, publishing to watchers, and metrics. Writes to a case decide their permission inside
//! the store's transaction, against the case it sees: the use case hands the write a
//! [`Permit`](crate::domain::access::Permit), and the domain says what the command needs.
//!
//! One module per family: [`cases`], [`assessment`], [`frameworks`], [`risks`] for the cases;
//! [`directory`] (departments, working groups), [`access`] (principals, tokens, roles, the
//! policy), [`audit`] (the event log, its hash chains, the denials) and [`workflows`] (the
//! workflow catalogue and the rule registry) for what the cases rest on, whose authorization
//! the authentication layer decides from the method table alone (`rpc/methods.rs`), so that
//! they take no caller; [`references`] checks what requests refer to. [`App`] holds what they
//! share.

pub mod access;
pub mod assessment;
pub mod audit;
pub mod cases;
mod catalogue;
pub mod checkpoint_key;
pub mod directory;
pub mod feed;
pub mod frameworks;
pub mod references;
pub mod risks;
pub mod sessions;
pub mod work;
pub mod workflows;

use std::sync::Arc;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::authz::{Access, Caller};
use crate::domain::Result;
use crate::domain::cases::{CaseId, Command};
use crate::domain::error::reason;
use crate::domain::listing::PageKey;
use crate::domain::request::RequestKey;
use crate::store::{CaseCommand, Executed, Store};

pub use catalogue::Catalogue;
pub use checkpoint_key::CheckpointKey;

/// How the audit log's checkpoints are made: the key, and every how many events or how long.
#[derive(Debug)]
pub struct Checkpointing {
    pub key: CheckpointKey,
    pub every_events: i64,
    pub every: std::time::Duration,
}

/// What the use cases share: the store, access control, the workflow catalogue, the
/// change-feed signal and the shutdown token.
pub struct App {
    pub store: Arc<dyn Store>,
    pub access: Arc<Access>,
    pub workflows: Catalogue,
    /// Seals list page tokens; the same for every replica (`server_keys`).
    pub page_key: PageKey,
    /// The newest committed event sequence this process knows of; watchers wake on changes.
    pub events: watch::Sender<i64>,
    /// Cancelled when the server shuts down: streams end.
    pub shutdown: CancellationToken,
    /// The change-feed streams open on this replica, within their caps.
    pub streams: Arc<feed::Streams>,
    /// The signing of the audit log's checkpoints.
    pub checkpoints: Checkpointing,
    /// The web console's address as users reach it (`--console-url`, or the address it
    /// listens on), for the sign-in links it issues; unset while the console is off.
    pub console_url: std::sync::OnceLock<String>,
}

/// One write to a case, as a use case asks for it.
pub(crate) struct Write {
    pub case_id: CaseId,
    pub command: Command,
    /// The client's idempotency key (empty: none), checked where it was made
    /// (`RequestKey::new`).
    pub request_id: RequestKey,
    /// The operation, as its RPC's full path (`/regie.v1.CaseService/TransitionCase`): named in
    /// denials, and (its last part) recorded with the request id.
    pub operation: &'static str,
    /// Whether the write decides the caller's permission (`false` when the use case already
    /// did, before looking up what the request refers to).
    pub check: bool,
}

impl App {
    pub async fn new(
        store: Arc<dyn Store>,
        access: Arc<Access>,
        shutdown: CancellationToken,
        limits: feed::StreamLimits,
        checkpoints: Checkpointing,
    ) -> anyhow::Result<Arc<Self>> {
        let workflows = Catalogue::load(store.as_ref()).await?;
        let last = store
            .last_sequence()
            .await
            .map_err(|e| anyhow::anyhow!("reading the event log: {e}"))?;
        let page_key = page_key(store.as_ref()).await?;
        let app = Arc::new(Self {
            store,
            access,
            workflows,
            page_key,
            events: watch::Sender::new(last),
            shutdown,
            streams: feed::Streams::new(limits),
            checkpoints,
            console_url: std::sync::OnceLock::new(),
        });
        tokio::spawn(feed::follow_log(app.clone(), feed::FOLLOW_INTERVAL));
        if let Some(changes) = app.store.changes() {
            tokio::spawn(feed::follow_changes(app.clone(), changes));
        }
        Ok(app)
    }

    /// Tells watchers that events up to `sequence` are committed.
    pub fn published(&self, sequence: i64) {
        self.events.send_if_modified(|last| {
            if sequence > *last {
                *last = sequence;
                true
            } else {
                false
            }
        });
    }

    /// A write on behalf of `caller`, in the order every use case follows: its permission
    /// decided (for a new case from the request, otherwise inside the write against the case
    /// it finds, before a repeated request id is answered); the domain's decision and the unit
    /// of work in the store; the events published to watchers. The actor's roles go along for the guards that
    /// need them.
    pub(crate) async fn write(&self, caller: &Caller, write: Write) -> Result<Executed> {
        let mut permit = None;
        if let Command::Create { .. } = &write.command {
            // A new case follows the newest version of its workflow, wherever it was published.
            self.workflows.current(self.store.as_ref()).await?;
        }
        if write.check {
            if let Command::Create { case, .. } = &write.command {
                let need = crate::domain::cases::needs::to_create(case);
                self.access.require(caller, write.operation, &need).await?;
            } else {
                if caller.refused_by_table() {
                    self.refuse_before_writing(
                        caller,
                        &write.case_id,
                        write.operation,
                        &write.command,
                    )
                    .await?;
                }
                permit = Some(self.access.permit(caller, write.operation));
            }
        }
        self.execute(CaseCommand {
            case_id: write.case_id,
            command: write.command,
            actor: caller.subject().to_owned(),
            request_id: write.request_id.id,
            request_hash: write.request_id.hash,
            method: rpc_name(write.operation),
            permit,
            actor_roles: self.access.roles_of(caller.subject()),
            now: crate::domain::cases::model::now(),
            new_id: CaseId::generate,
        })
        .await
    }

    /// A write that the method table already refuses (no role of the caller could allow its
    /// method on any case): refused here with what the command needs on the case as it is now
    /// (`cases::needs`), so that the denial names the real object, action and domain and the
    /// write never reaches the writer. Should the policy allow it meanwhile, the write goes on
    /// and decides inside its transaction as any other.
    async fn refuse_before_writing(
        &self,
        caller: &Caller,
        id: &CaseId,
        operation: &str,
        command: &Command,
    ) -> Result<()> {
        // As every refusal of a case (docs/architecture.md, "Authorization"): one the caller
        // may not read is only named, and one that is not there is refused alike.
        let case = match self.store.get_case(id).await {
            Ok(case) => case,
            Err(crate::domain::Error::NotFound { .. }) => {
                return Err(self.access.missing(caller, operation, &id.name()).await);
            }
            Err(e) => return Err(e),
        };
        let resource = crate::domain::cases::needs::resource(&case);
        let workflows = self.workflows.snapshot();
        for need in crate::domain::cases::needs::of(&workflows, Some(&case), command) {
            self.access
                .require_on(caller, operation, &need, &resource)
                .await?;
        }
        Ok(())
    }

    /// The server's own write (the scheduler's), as `actor`: no caller, so no permission check
    /// and no roles.
    pub(crate) async fn write_as_server(
        &self,
        actor: &str,
        operation: &'static str,
        case_id: CaseId,
        command: Command,
    ) -> Result<Executed> {
        self.execute(CaseCommand {
            case_id,
            command,
            actor: actor.to_owned(),
            request_id: String::new(),
            request_hash: String::new(),
            method: operation,
            permit: None,
            actor_roles: None,
            now: crate::domain::cases::model::now(),
            new_id: CaseId::generate,
        })
        .await
    }

    /// Runs a command through the store's unit of work and tells watchers about its events.
    /// The one place that reloads the workflow catalogue and retries, when the case follows a
    /// version another replica published.
    async fn execute(&self, command: CaseCommand) -> Result<Executed> {
        let store = self.store.as_ref();
        let executed = match store
            .execute(self.workflows.snapshot(), command.clone())
            .await
        {
            Err(e) if e.reason() == reason::WORKFLOW_NOT_LOADED => {
                let workflows = self.workflows.reload(store).await?;
                store.execute(workflows, command).await?
            }
            other => other?,
        };
        self.published(executed.last_sequence);
        Ok(executed)
    }
}

/// The page-token key the replicas share: the stored one, or a new one stored by this server
/// when it is the first.
async fn page_key(store: &dyn Store) -> anyhow::Result<PageKey> {
    let hex = store
        .server_key(
            PageKey::NAME,
            &PageKey::generate_hex(),
            crate::domain::cases::model::now(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("reading the page-token key: {e}"))?;
    PageKey::from_hex(&hex)
        .ok_or_else(|| anyhow::anyhow!("the stored page-token key is not 64 hex digits"))
}

/// The last part of an RPC's full path: `TransitionCase`.
fn rpc_name(operation: &'static str) -> &'static str {
    operation.rsplit('/').next().unwrap_or(operation)
}
