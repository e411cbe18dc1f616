//! Tests of the workflow engine, read as its specification: how a definition file is validated
//! (`validation`), how the two default workflows behave (`transitions`), the catalogue of
//! versions (`catalogue`), and properties that hold for any sequence of requests
//! (`properties`).

mod catalogue;
mod properties;
mod transitions;
mod validation;

use super::{WorkflowDefinition, default_definitions};

/// The embedded default definition of `kind`.
pub(super) fn default_definition(kind: &str) -> WorkflowDefinition {
    default_definitions()
        .unwrap()
        .into_iter()
        .find(|definition| definition.kind() == kind)
        .unwrap_or_else(|| panic!("no default definition of {kind}"))
}
