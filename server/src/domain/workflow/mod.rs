//! The workflow engine: how a case moves from state to state.
//!
//! A kind's workflow is data — a TOML file per kind (`server/workflows/`), loaded and validated
//! into a [`WorkflowDefinition`] (`definition.rs`; `load.rs`, with `values.rs` for single values
//! and `graph.rs` for reachability) and kept per version in the [`Workflows`] catalogue
//! (`catalogue.rs`). Its guards are rules of the coordination decree from the registry in
//! `rules.rs`, checked against [`Facts`] the store gathers. The engine (`engine.rs`) decides a
//! transition or lists the open ones; `render.rs` draws a definition.
//!
//! Everything here is pure: no I/O, no clock. The store carries out a [`Decision`] (new state,
//! effects, events) in one transaction; the API turns a [`Refusal`] into FAILED_PRECONDITION.

mod catalogue;
mod definition;
mod engine;
mod graph;
mod load;
pub mod render;
pub mod rules;
mod values;

pub use catalogue::{DEFAULT_FILES, PublishError, Workflows, default_definitions};
pub use definition::{DefinitionError, Effect, EffectKind, State, Transition, WorkflowDefinition};
pub use engine::{Availability, Decision, FailedRule, Refusal, available, decide};
pub use load::OPEN_STATES;
pub use rules::{Facts, Rule};

#[cfg(test)]
mod tests;
