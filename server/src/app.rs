//! What the services share: the store, the workflow catalogue, the change-feed signal and the
//! shutdown token.

use std::sync::{Arc, RwLock};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::domain::cases::model::now;
use crate::domain::workflow::{WorkflowDefinition, Workflows, default_definitions};
use crate::domain::{Error, Result};
use crate::store::Store;

pub struct App {
    pub store: Arc<dyn Store>,
    pub workflows: Catalogue,
    /// The newest committed event sequence this process knows of; watchers wake on changes.
    pub events: watch::Sender<i64>,
    /// Cancelled when the server shuts down: streams end.
    pub shutdown: CancellationToken,
}

impl App {
    pub async fn new(
        store: Arc<dyn Store>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Arc<Self>> {
        let workflows = Catalogue::load(store.as_ref()).await?;
        let last = store
            .last_sequence()
            .await
            .map_err(|e| anyhow::anyhow!("reading the event log: {e}"))?;
        Ok(Arc::new(Self {
            store,
            workflows,
            events: watch::Sender::new(last),
            shutdown,
        }))
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
}

/// Every workflow version the server knows: the stored ones, and the built-in defaults, which are
/// stored on first start so that a case's version never changes under it after an upgrade.
pub struct Catalogue {
    current: RwLock<Arc<Workflows>>,
}

impl Catalogue {
    async fn load(store: &dyn Store) -> anyhow::Result<Self> {
        let workflows = Self::read(store).await?;
        let mut missing = Vec::new();
        for default in
            default_definitions().map_err(|e| anyhow::anyhow!("built-in workflow: {e}"))?
        {
            if workflows.get(default.kind(), default.version()).is_none() {
                missing.push(default);
            }
        }
        for definition in &missing {
            match store.save_workflow(definition, now()).await {
                // Another replica stored it first: fine.
                Ok(()) | Err(Error::AlreadyExists { .. }) => {}
                Err(e) => anyhow::bail!("storing the built-in workflow {}: {e}", definition.kind()),
            }
        }
        let workflows = Self::read(store).await?;
        Ok(Self {
            current: RwLock::new(Arc::new(workflows)),
        })
    }

    async fn read(store: &dyn Store) -> anyhow::Result<Workflows> {
        let mut workflows = Workflows::new();
        for (file_name, source) in store
            .stored_workflows()
            .await
            .map_err(|e| anyhow::anyhow!("reading workflows: {e}"))?
        {
            let definition = WorkflowDefinition::parse(&file_name, &source)
                .map_err(|e| anyhow::anyhow!("stored workflow {file_name} no longer loads: {e}"))?;
            workflows.insert(definition);
        }
        Ok(workflows)
    }

    /// The catalogue as it is now; cheap to clone and safe to hold across awaits.
    pub fn snapshot(&self) -> Arc<Workflows> {
        self.current.read().map(|w| w.clone()).unwrap_or_default()
    }

    /// Re-reads the stored versions (another replica may have published one).
    pub async fn reload(&self, store: &dyn Store) -> Result<Arc<Workflows>> {
        let workflows = Arc::new(
            Self::read(store)
                .await
                .map_err(|e| Error::internal(e.to_string()))?,
        );
        if let Ok(mut current) = self.current.write() {
            *current = workflows.clone();
        }
        Ok(workflows)
    }

    /// Publishes a new version: stored first, then visible.
    pub async fn publish(
        &self,
        store: &dyn Store,
        definition: WorkflowDefinition,
    ) -> Result<Arc<Workflows>> {
        let latest = self.reload(store).await?;
        if let Some(current) = latest.latest(definition.kind())
            && current.version() >= definition.version()
        {
            return Err(Error::failed_precondition(
                crate::domain::error::reason::WORKFLOW_VERSION_NOT_NEWER,
                format!(
                    "{} version {} is not newer than the published version {}",
                    definition.kind(),
                    definition.version(),
                    current.version()
                ),
            ));
        }
        store.save_workflow(&definition, now()).await?;
        self.reload(store).await
    }
}
