//! The workflow catalogue: every workflow version the server knows, kept in memory and reloaded
//! when another replica published one: on its announcement (`app/feed.rs`), on the slow poll
//! there, and when a case names a version not loaded yet (docs/architecture.md, "Several
//! replicas").

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use crate::domain::cases::model::now;
use crate::domain::workflow::{WorkflowDefinition, Workflows, default_definitions};
use crate::domain::{Error, Result};
use crate::store::Store;

/// Every workflow version the server knows: the stored ones, and the built-in defaults, which are
/// stored on first start so that a case's version never changes under it after an upgrade.
pub struct Catalogue {
    current: RwLock<Arc<Workflows>>,
    /// How many stored versions `current` was read from.
    loaded: AtomicI64,
    /// When each (kind, version) was published, micros.
    published: RwLock<HashMap<(String, u32), i64>>,
}

impl Catalogue {
    pub(super) async fn load(store: &dyn Store) -> anyhow::Result<Self> {
        let (stored, _) = Self::read(store)
            .await
            .map_err(|e| anyhow::anyhow!("reading workflows: {e}"))?;
        let defaults =
            default_definitions().map_err(|e| anyhow::anyhow!("built-in workflow: {e}"))?;
        for definition in defaults
            .iter()
            .filter(|d| stored.get(d.kind(), d.version()).is_none())
        {
            match store.save_workflow(definition, now()).await {
                // Another replica stored it first: fine.
                Ok(()) | Err(Error::AlreadyExists { .. }) => {}
                Err(e) => anyhow::bail!("storing the built-in workflow {}: {e}", definition.kind()),
            }
        }
        let catalogue = Self {
            current: RwLock::default(),
            loaded: AtomicI64::new(0),
            published: RwLock::default(),
        };
        catalogue
            .reload(store)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(catalogue)
    }

    /// Every stored version, and when each was published. A store failure keeps its own error
    /// (UNAVAILABLE while the database is down); a stored version that no longer loads is a bug.
    async fn read(store: &dyn Store) -> Result<(Workflows, HashMap<(String, u32), i64>)> {
        let mut workflows = Workflows::new();
        let mut published = HashMap::new();
        let stored = store.stored_workflows().await?;
        for version in stored {
            let definition = WorkflowDefinition::parse(&version.file_name, &version.source)
                .map_err(|e| {
                    Error::internal(format!(
                        "stored workflow {} no longer loads: {e}",
                        version.file_name
                    ))
                })?;
            published.insert(
                (definition.kind().to_owned(), definition.version()),
                version.publish_time,
            );
            workflows.insert(definition);
        }
        Ok((workflows, published))
    }

    /// The catalogue as it is now; cheap to clone and safe to hold across awaits.
    pub fn snapshot(&self) -> Arc<Workflows> {
        self.current.read().map(|w| w.clone()).unwrap_or_default()
    }

    /// When a version was published (micros).
    pub fn publish_time(&self, kind: &str, version: u32) -> Option<i64> {
        self.published
            .read()
            .ok()?
            .get(&(kind.to_owned(), version))
            .copied()
    }

    /// The catalogue, read again first when the store holds versions it has not loaded (another
    /// replica published one a moment ago and its announcement is still on its way): one
    /// `COUNT(*)`, so that a case created after a publication returned anywhere follows it.
    pub async fn current(&self, store: &dyn Store) -> Result<Arc<Workflows>> {
        if store.workflow_count().await? == self.loaded.load(Ordering::SeqCst) {
            return Ok(self.snapshot());
        }
        self.reload(store).await
    }

    /// Re-reads the stored versions (another replica may have published one).
    pub async fn reload(&self, store: &dyn Store) -> Result<Arc<Workflows>> {
        let (workflows, published) = Self::read(store).await?;
        self.loaded.store(published.len() as i64, Ordering::SeqCst);
        let workflows = Arc::new(workflows);
        if let Ok(mut current) = self.current.write() {
            *current = workflows.clone();
        }
        if let Ok(mut times) = self.published.write() {
            *times = published;
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
