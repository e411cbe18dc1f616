//! Use cases of the workflow catalogue: the published workflow versions, publishing a new one,
//! and the rule registry their guards name.
//!
//! Who may call these is decided before the use case runs, from the method table alone
//! (`rpc/methods.rs`: reading them in any domain, publishing `workflow` `admin` in `rijk`), so
//! they take no caller. Reads reload the catalogue first, so that a version another replica
//! published is seen at once.

use super::App;
use crate::domain::Result;
use crate::domain::error::{Error, reason};
use crate::domain::workflow::{WorkflowDefinition, rules};

/// The largest workflow definition a publish accepts, in bytes.
pub const MAX_DEFINITION_BYTES: usize = 256 * 1024;

/// A workflow version with when it was published (micros; none for a version not stored).
#[derive(Debug, Clone)]
pub struct Published {
    pub definition: WorkflowDefinition,
    pub publish_time: Option<i64>,
}

impl App {
    /// The newest version of every kind, by kind.
    pub async fn list_workflows(&self) -> Result<Vec<Published>> {
        let workflows = self.workflows.reload(self.store.as_ref()).await?;
        let mut kinds: Vec<&str> = workflows.kinds().collect();
        kinds.sort_unstable();
        Ok(kinds
            .into_iter()
            .filter_map(|k| workflows.latest(k))
            .map(|d| self.published_version(d))
            .collect())
    }

    /// Version `version` of `kind`, or its newest when none is named.
    pub async fn get_workflow(&self, kind: &str, version: Option<u32>) -> Result<Published> {
        let workflows = self.workflows.reload(self.store.as_ref()).await?;
        let found = match version {
            Some(v) => workflows.get(kind, v),
            None => workflows.latest(kind),
        };
        let name = match version {
            Some(v) => format!("workflows/{kind}/versions/{v}"),
            None => format!("workflows/{kind}"),
        };
        found
            .map(|d| self.published_version(d))
            .ok_or_else(|| Error::not_found(name))
    }

    /// Publishes `text`, a workflow definition (TOML), as a new version of its kind: it must
    /// be newer than the published version. Stored first, then visible.
    pub async fn publish_workflow(&self, text: &str) -> Result<Published> {
        if text.len() > MAX_DEFINITION_BYTES {
            return Err(Error::invalid_field("definition", "is larger than 256 KiB"));
        }
        let definition = WorkflowDefinition::parse("definition", text)
            .map_err(|e| Error::invalid(reason::INVALID_WORKFLOW, "definition", e.to_string()))?;
        let (kind, version) = (definition.kind().to_owned(), definition.version());
        let workflows = self
            .workflows
            .publish(self.store.as_ref(), definition)
            .await?;
        tracing::info!(kind, version, "published a workflow version");
        let published = workflows
            .get(&kind, version)
            .ok_or_else(|| Error::internal("published version vanished"))?;
        Ok(self.published_version(published))
    }

    /// The rule registry, in its order.
    pub fn rules(&self) -> &'static [rules::Rule] {
        rules::all()
    }

    fn published_version(&self, definition: &WorkflowDefinition) -> Published {
        Published {
            publish_time: self
                .workflows
                .publish_time(definition.kind(), definition.version()),
            definition: definition.clone(),
        }
    }
}
