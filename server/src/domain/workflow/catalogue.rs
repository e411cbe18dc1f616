//! The catalogue of workflow definitions: every version of every kind, starting with the
//! defaults embedded from `server/workflows/`.
//!
//! A case keeps the definition version it was created with, so old versions stay available
//! after a new one is published; new cases use the latest. Adding a kind is a new TOML file
//! here (and the rules its guards need), nothing else.

use std::collections::BTreeMap;

use super::definition::{DefinitionError, WorkflowDefinition};

/// The default definitions, as (file name, TOML text), embedded at build time.
pub const DEFAULT_FILES: &[(&str, &str)] = &[
    (
        "work_item.toml",
        include_str!("../../../workflows/work_item.toml"),
    ),
    (
        "recommendation.toml",
        include_str!("../../../workflows/recommendation.toml"),
    ),
    (
        "framework.toml",
        include_str!("../../../workflows/framework.toml"),
    ),
    (
        "assessment_cycle.toml",
        include_str!("../../../workflows/assessment_cycle.toml"),
    ),
    (
        "risk_analysis.toml",
        include_str!("../../../workflows/risk_analysis.toml"),
    ),
];

/// Parses the embedded default definitions. They are checked by a unit test, so an error here
/// means a broken build; it is returned rather than panicked on so that startup can report it.
pub fn default_definitions() -> Result<Vec<WorkflowDefinition>, DefinitionError> {
    DEFAULT_FILES
        .iter()
        .map(|(file, text)| WorkflowDefinition::parse(file, text))
        .collect()
}

/// Why a definition could not be published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    #[error(
        "{kind} version {version} is not newer than the latest published version, {latest}; \
         publish version {} or higher",
        latest + 1
    )]
    NotNewer {
        kind: String,
        version: u32,
        latest: u32,
    },
}

/// Every version of every kind.
#[derive(Debug, Clone, Default)]
pub struct Workflows {
    kinds: BTreeMap<String, BTreeMap<u32, WorkflowDefinition>>,
}

impl Workflows {
    /// An empty catalogue.
    pub fn new() -> Self {
        Self::default()
    }

    /// A catalogue holding the embedded defaults.
    pub fn with_defaults() -> Result<Self, DefinitionError> {
        let mut workflows = Self::new();
        for definition in default_definitions()? {
            workflows.insert(definition);
        }
        Ok(workflows)
    }

    /// Adds a definition whose version is newer than every version of its kind. Versions only
    /// go up, so "the latest" never changes its meaning for a case already created.
    pub fn publish(&mut self, definition: WorkflowDefinition) -> Result<(), PublishError> {
        if let Some(latest) = self.latest(definition.kind())
            && definition.version() <= latest.version()
        {
            return Err(PublishError::NotNewer {
                kind: definition.kind().to_owned(),
                version: definition.version(),
                latest: latest.version(),
            });
        }
        self.insert(definition);
        Ok(())
    }

    /// Adds a definition as it was stored earlier (any order of versions), replacing one of the
    /// same kind and version. For loading the catalogue back from the store, not for publishing.
    pub fn insert(&mut self, definition: WorkflowDefinition) {
        self.kinds
            .entry(definition.kind().to_owned())
            .or_default()
            .insert(definition.version(), definition);
    }

    pub fn get(&self, kind: &str, version: u32) -> Option<&WorkflowDefinition> {
        self.kinds.get(kind)?.get(&version)
    }

    /// The newest version of `kind`, the one new cases are created with.
    pub fn latest(&self, kind: &str) -> Option<&WorkflowDefinition> {
        self.kinds
            .get(kind)?
            .last_key_value()
            .map(|(_, definition)| definition)
    }

    /// The kinds that have a definition, in name order.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }

    /// Every version of `kind`, oldest first.
    pub fn versions(&self, kind: &str) -> impl Iterator<Item = &WorkflowDefinition> {
        self.kinds.get(kind).into_iter().flat_map(BTreeMap::values)
    }
}
