//! The engine: decides whether a case may take a transition, and which transitions it could
//! take now.
//!
//! Both are pure functions of a definition, the case's current state and the [`Facts`] the
//! store gathered. A decision names the new state and the effects to carry out; the store
//! writes them, with their events, in one transaction. A refusal says why in terms a client can
//! act on, and — being a value — changes nothing.

use super::definition::{EffectKind, Transition, WorkflowDefinition};
use super::rules::{self, Facts};

/// An accepted transition: what the store is to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub transition: String,
    pub from: String,
    pub to: String,
    /// The effects of the transition, in the order of the definition.
    pub effects: Vec<EffectKind>,
}

/// One guard that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRule {
    pub rule_id: String,
    pub sentence_en: String,
    pub sentence_nl: String,
    /// What is missing for this case, e.g. the open sub-items.
    pub detail: String,
}

/// Why a transition was refused. Checked in this order: the transition exists, it is declared
/// from the current state, a required comment is given, the guards hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("`{transition}` is not a transition of this workflow; known: {}", known.join(", "))]
    UnknownTransition {
        transition: String,
        known: Vec<String>,
    },

    #[error(
        "`{transition}` cannot be taken from state `{state}`; it is allowed from: {}",
        allowed_from.join(", ")
    )]
    NotAllowedFrom {
        transition: String,
        state: String,
        allowed_from: Vec<String>,
    },

    #[error("`{transition}` requires a comment")]
    CommentRequired { transition: String },

    #[error("{}", guards_message(.0))]
    GuardsFailed(Vec<FailedRule>),
}

fn guards_message(failed: &[FailedRule]) -> String {
    let reasons: Vec<String> = failed
        .iter()
        .map(|rule| format!("{} ({})", rule.rule_id, rule.detail))
        .collect();
    format!("rules not met: {}", reasons.join("; "))
}

/// Whether a transition declared from the current state can be taken now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Availability<'a> {
    pub transition: &'a Transition,
    /// The guards that do not hold now; empty when the transition is open.
    pub failed: Vec<FailedRule>,
}

impl Availability<'_> {
    /// Open now, provided the caller gives a comment where one is required.
    pub fn is_open(&self) -> bool {
        self.failed.is_empty()
    }
}

/// Decides whether a case in `current_state` may take `transition_id`.
pub fn decide(
    definition: &WorkflowDefinition,
    current_state: &str,
    transition_id: &str,
    comment: Option<&str>,
    facts: &Facts,
) -> Result<Decision, Refusal> {
    let Some(transition) = definition.transition(transition_id) else {
        return Err(Refusal::UnknownTransition {
            transition: transition_id.to_owned(),
            known: definition
                .transitions()
                .iter()
                .map(|t| t.id.clone())
                .collect(),
        });
    };
    if !transition.allows_from(current_state) {
        return Err(Refusal::NotAllowedFrom {
            transition: transition.id.clone(),
            state: current_state.to_owned(),
            allowed_from: transition.from.clone(),
        });
    }
    if transition.comment_required && comment.is_none_or(|comment| comment.trim().is_empty()) {
        return Err(Refusal::CommentRequired {
            transition: transition.id.clone(),
        });
    }
    let failed = failed_guards(transition, facts);
    if !failed.is_empty() {
        return Err(Refusal::GuardsFailed(failed));
    }
    Ok(Decision {
        transition: transition.id.clone(),
        from: current_state.to_owned(),
        to: transition.to.clone(),
        effects: definition.effects_of(&transition.id),
    })
}

/// The transitions declared from `state`, in the order of the definition, each with the guards
/// that do not hold now.
pub fn available<'a>(
    definition: &'a WorkflowDefinition,
    state: &str,
    facts: &Facts,
) -> Vec<Availability<'a>> {
    definition
        .transitions()
        .iter()
        .filter(|transition| transition.allows_from(state))
        .map(|transition| Availability {
            transition,
            failed: failed_guards(transition, facts),
        })
        .collect()
}

/// Every guard of `transition` that does not hold, not just the first, so that a person can
/// fix them all at once.
fn failed_guards(transition: &Transition, facts: &Facts) -> Vec<FailedRule> {
    transition
        .guards
        .iter()
        .filter_map(|id| match rules::find(id) {
            Some(rule) => rule.evaluate(facts).err().map(|detail| FailedRule {
                rule_id: rule.id.to_owned(),
                sentence_en: rule.sentence_en.to_owned(),
                sentence_nl: rule.sentence_nl.to_owned(),
                detail,
            }),
            // Loading refuses unknown guards; should one slip through, it fails, never passes.
            None => Some(FailedRule {
                rule_id: id.clone(),
                sentence_en: String::new(),
                sentence_nl: String::new(),
                detail: format!("rule {id} is not in the rule registry"),
            }),
        })
        .collect()
}
