//! A workflow definition: the states of one case kind, the transitions between them and the
//! effects a transition triggers, as loaded and validated from a TOML file (see `load.rs`).
//!
//! A `WorkflowDefinition` can only be obtained through [`WorkflowDefinition::parse`], so every
//! value of it is valid: every state is reachable from the initial state, a final state is
//! reachable from every state, and every guard and effect is known. The engine and the
//! renderings rely on that and do not check it again.

use std::fmt;

use super::load;

/// A validated workflow definition of one case kind, at one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowDefinition {
    pub(super) kind: String,
    pub(super) version: u32,
    pub(super) initial: String,
    pub(super) states: Vec<State>,
    pub(super) transitions: Vec<Transition>,
    pub(super) effects: Vec<Effect>,
    pub(super) file: String,
    pub(super) source: String,
}

/// One state a case of the kind can be in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub name: String,
    pub label_nl: String,
    pub label_en: String,
    /// The case is closed. It leaves this state only through a transition declared from it
    /// (`done → in_progress`, reopen).
    pub is_final: bool,
    /// The number of days a case may stay in this state before it is overdue.
    pub sla_days: Option<u32>,
    /// Time spent in this state does not count towards a due time or SLA (`blocked`).
    pub pauses_clock: bool,
}

/// One declared transition: the only way a case changes state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub id: String,
    /// The states it may be taken from, with `*open` already expanded to every non-final state.
    pub from: Vec<String>,
    pub to: String,
    /// The action the caller must be allowed, e.g. `transition:start`.
    pub permission: String,
    /// Rule ids (see `rules`) that must all hold.
    pub guards: Vec<String>,
    /// The caller must say why, e.g. when a closed item is reopened.
    pub comment_required: bool,
    pub label_nl: String,
    pub label_en: String,
}

impl Transition {
    pub fn allows_from(&self, state: &str) -> bool {
        self.from.iter().any(|from| from == state)
    }
}

/// A named side effect of a transition, carried out by the store in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    /// The id of the transition that triggers it.
    pub on: String,
    pub effect: EffectKind,
}

/// The effects Regie knows how to carry out. The list is closed on purpose: a definition cannot
/// ask for something the store cannot do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EffectKind {
    /// One follow-up work item per agreement (e.g. when an assessment cycle closes).
    CreateFollowUpItems,
    /// One translation work item per department in scope (e.g. when a framework comes into
    /// force).
    CreateObservanceItems,
}

impl EffectKind {
    pub const ALL: [EffectKind; 2] = [Self::CreateFollowUpItems, Self::CreateObservanceItems];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreateFollowUpItems => "create_follow_up_items",
            Self::CreateObservanceItems => "create_observance_items",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|effect| effect.as_str() == name)
    }
}

impl fmt::Display for EffectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a definition file was refused, pointing at the offending line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub struct DefinitionError {
    pub file: String,
    /// 1-based line of the offending item.
    pub line: usize,
    pub reason: String,
}

impl WorkflowDefinition {
    /// Parses and validates the TOML text of a definition. `file_name` is only used to say
    /// where an error is.
    pub fn parse(file_name: &str, text: &str) -> Result<Self, DefinitionError> {
        load::parse(file_name, text)
    }

    /// The case kind, e.g. `work_item`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    /// The state a new case starts in.
    pub fn initial(&self) -> &str {
        &self.initial
    }

    /// The states, in the order of the file.
    pub fn states(&self) -> &[State] {
        &self.states
    }

    /// The transitions, in the order of the file.
    pub fn transitions(&self) -> &[Transition] {
        &self.transitions
    }

    /// The file name the definition was loaded from.
    pub fn file_name(&self) -> &str {
        &self.file
    }

    /// The TOML text the definition was parsed from, so that it can be stored and served as
    /// written.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn state(&self, name: &str) -> Option<&State> {
        self.states.iter().find(|state| state.name == name)
    }

    pub fn transition(&self, id: &str) -> Option<&Transition> {
        self.transitions
            .iter()
            .find(|transition| transition.id == id)
    }

    /// Whether `state` is a final state; `false` for a state the definition does not declare.
    pub fn is_final(&self, state: &str) -> bool {
        self.state(state).is_some_and(|state| state.is_final)
    }

    /// Whether time in `state` does not count towards a due time or SLA.
    pub fn pauses_clock(&self, state: &str) -> bool {
        self.state(state).is_some_and(|state| state.pauses_clock)
    }

    /// The SLA of `state` in days, if it has one.
    pub fn sla_days(&self, state: &str) -> Option<u32> {
        self.state(state).and_then(|state| state.sla_days)
    }

    /// The action a caller must be allowed to take the transition, e.g. `transition:start`.
    pub fn permission(&self, transition_id: &str) -> Option<&str> {
        self.transition(transition_id)
            .map(|transition| transition.permission.as_str())
    }

    /// The transitions declared from `state`, in the order of the file.
    pub fn transitions_from<'a>(
        &'a self,
        state: &'a str,
    ) -> impl Iterator<Item = &'a Transition> + 'a {
        self.transitions
            .iter()
            .filter(move |transition| transition.allows_from(state))
    }

    /// The effects of a transition, in the order of the file.
    pub fn effects_of(&self, transition_id: &str) -> Vec<EffectKind> {
        self.effects
            .iter()
            .filter(|effect| effect.on == transition_id)
            .map(|effect| effect.effect)
            .collect()
    }

    /// Every declared effect, in the order of the file.
    pub fn effects(&self) -> &[Effect] {
        &self.effects
    }
}
