//! Cases: the tracked things of every kind, what they hold, and how commands change them.
//!
//! A case's state changes only through a transition of its kind's workflow. Every change is
//! computed here as a pure function from a command to the case after it and the events that
//! record it (`command.rs`); the store writes both in one transaction. `model.rs` says what a
//! case is, `draft.rs` checks what clients send, `audit.rs` chains the events by hash,
//! and `history.rs` says what an event stores of its case and rebuilds past versions.
//! The coordination kinds keep their own details and records in `cycle.rs` (assessment cycles),
//! `framework.rs` and `risk.rs`; `effects.rs` makes the cases a transition's effects create, and `needs.rs` says what
//! each command needs the caller to be allowed.

pub mod audit;
pub mod command;
pub mod cycle;
pub mod draft;
pub mod effects;
pub mod framework;
pub mod history;
pub mod model;
pub mod needs;
pub mod risk;

pub use command::{Change, Command, Context, Decision, EventDraft, EventType, decide, execute};
pub use draft::{CaseDraft, CasePatch};
pub use model::{Case, CaseId, Details, Recommendation, Theme};
