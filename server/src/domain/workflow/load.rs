//! Loading a workflow definition: TOML text → raw structs that remember where each value was
//! written → a validated [`WorkflowDefinition`].
//!
//! Every refusal is a [`DefinitionError`] naming the file, the 1-based line of the offending
//! value and the reason, so whoever writes a definition (the defaults in `server/workflows/`, an
//! admin publishing a new version) can fix it without guessing. The first problem found is
//! reported; checks run in the order of the file: states, initial, transitions, effects, and
//! last the graph as a whole (reachability, `graph.rs`).

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::definition::{
    DefinitionError, Effect, EffectKind, State, Transition, WorkflowDefinition,
};
use super::graph::Graph;
use super::rules;
use super::values;

/// Written in `from`, it stands for every state that is not final (other than the transition's
/// own target, since a transition changes the state).
pub const OPEN_STATES: &str = "*open";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefinition {
    kind: Spanned<String>,
    version: Spanned<i64>,
    initial: Spanned<String>,
    #[serde(default, rename = "state")]
    states: Vec<RawState>,
    #[serde(default, rename = "transition")]
    transitions: Vec<RawTransition>,
    #[serde(default, rename = "effect")]
    effects: Vec<RawEffect>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    name: Spanned<String>,
    label_nl: Spanned<String>,
    label_en: Spanned<String>,
    #[serde(default, rename = "final")]
    is_final: bool,
    sla_days: Option<Spanned<i64>>,
    pauses_clock: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransition {
    id: Spanned<String>,
    from: Spanned<Vec<Spanned<String>>>,
    to: Spanned<String>,
    permission: Option<Spanned<String>>,
    #[serde(default)]
    guards: Vec<Spanned<String>>,
    #[serde(default)]
    comment_required: bool,
    label_nl: Spanned<String>,
    label_en: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEffect {
    on: Spanned<String>,
    effect: Spanned<String>,
}

/// The text being loaded, to turn byte offsets into line numbers.
struct Source<'a> {
    file: &'a str,
    text: &'a str,
}

impl Source<'_> {
    fn error(&self, span: Range<usize>, reason: impl Into<String>) -> DefinitionError {
        DefinitionError {
            file: self.file.to_owned(),
            line: self.line(span.start),
            reason: reason.into(),
        }
    }

    /// The 1-based line of a byte offset. Counting bytes, not characters, is right here: a
    /// newline is one byte in UTF-8 and never part of another character.
    fn line(&self, offset: usize) -> usize {
        let bytes = self.text.as_bytes();
        let before = bytes.get(..offset).unwrap_or(bytes);
        1 + before.iter().filter(|&&b| b == b'\n').count()
    }
}

type Loaded<T> = Result<T, DefinitionError>;

pub(super) fn parse(file: &str, text: &str) -> Loaded<WorkflowDefinition> {
    let src = Source { file, text };
    let raw: RawDefinition = toml::from_str(text).map_err(|e| DefinitionError {
        file: file.to_owned(),
        line: e.span().map_or(1, |span| src.line(span.start)),
        reason: e.message().trim().to_owned(),
    })?;

    let kind = identifier(&src, "kind", &raw.kind)?;
    let version = positive(&src, "version", &raw.version)?;
    let states = states(&src, &raw.states)?;
    let initial = initial(&src, &raw.initial, &states)?;
    let transitions = transitions(&src, &raw.transitions, &states)?;
    let effects = effects(&src, &raw.effects, &transitions)?;
    check_graph(&src, &raw.states, &states, &initial, &transitions)?;

    Ok(WorkflowDefinition {
        kind,
        version,
        initial,
        states,
        transitions,
        effects,
        file: file.to_owned(),
        source: text.to_owned(),
    })
}

/// A version or a number of days: a whole number from 1 up.
fn positive(src: &Source, what: &str, raw: &Spanned<i64>) -> Loaded<u32> {
    u32::try_from(*raw.get_ref())
        .ok()
        .filter(|&number| number >= 1)
        .ok_or_else(|| {
            src.error(
                raw.span(),
                format!(
                    "{what} must be a whole number of at least 1, not {}",
                    raw.get_ref()
                ),
            )
        })
}

fn states(src: &Source, raw: &[RawState]) -> Loaded<Vec<State>> {
    let mut states: Vec<State> = Vec::with_capacity(raw.len());
    for state in raw {
        let name = identifier(src, "state name", &state.name)?;
        if states.iter().any(|seen| seen.name == name) {
            return Err(src.error(
                state.name.span(),
                format!("state `{name}` is declared more than once"),
            ));
        }
        let sla_days = match &state.sla_days {
            None => None,
            Some(days) if state.is_final => {
                return Err(src.error(
                    days.span(),
                    format!("final state `{name}` cannot have an SLA: its clock has stopped"),
                ));
            }
            Some(days) => Some(positive(src, &format!("sla_days of state `{name}`"), days)?),
        };
        let pauses_clock = match &state.pauses_clock {
            Some(pauses) if state.is_final && *pauses.get_ref() => {
                return Err(src.error(
                    pauses.span(),
                    format!("final state `{name}` cannot pause the clock: it has stopped"),
                ));
            }
            Some(pauses) => *pauses.get_ref(),
            None => false,
        };
        states.push(State {
            label_nl: label(src, &format!("label_nl of state `{name}`"), &state.label_nl)?,
            label_en: label(src, &format!("label_en of state `{name}`"), &state.label_en)?,
            name,
            is_final: state.is_final,
            sla_days,
            pauses_clock,
        });
    }
    Ok(states)
}

fn initial(src: &Source, raw: &Spanned<String>, states: &[State]) -> Loaded<String> {
    known_state(src, "initial", raw, states)
}

fn transitions(src: &Source, raw: &[RawTransition], states: &[State]) -> Loaded<Vec<Transition>> {
    let mut transitions: Vec<Transition> = Vec::with_capacity(raw.len());
    for transition in raw {
        let id = identifier(src, "transition id", &transition.id)?;
        if transitions.iter().any(|seen| seen.id == id) {
            return Err(src.error(
                transition.id.span(),
                format!("transition id `{id}` is declared more than once"),
            ));
        }
        let to = known_state(
            src,
            &format!("`to` of transition `{id}`"),
            &transition.to,
            states,
        )?;
        let from = from_states(src, &id, &to, &transition.from, states)?;
        let permission = match &transition.permission {
            None => format!("transition:{id}"),
            Some(permission) => action(src, &id, permission)?,
        };
        let mut guards: Vec<String> = Vec::with_capacity(transition.guards.len());
        for guard in &transition.guards {
            let rule_id = guard.get_ref();
            match rules::find(rule_id) {
                None => {
                    return Err(src.error(
                        guard.span(),
                        format!("guard `{rule_id}` of transition `{id}` is not a known rule id"),
                    ));
                }
                Some(rule) if !rule.is_guard() => {
                    return Err(src.error(
                        guard.span(),
                        format!(
                            "rule `{rule_id}` of transition `{id}` is checked where requests are decided and cannot be a guard"
                        ),
                    ));
                }
                Some(_) => {}
            }
            if guards.contains(rule_id) {
                return Err(src.error(
                    guard.span(),
                    format!("guard `{rule_id}` is listed twice on transition `{id}`"),
                ));
            }
            guards.push(rule_id.clone());
        }
        transitions.push(Transition {
            label_nl: label(
                src,
                &format!("label_nl of transition `{id}`"),
                &transition.label_nl,
            )?,
            label_en: label(
                src,
                &format!("label_en of transition `{id}`"),
                &transition.label_en,
            )?,
            id,
            from,
            to,
            permission,
            guards,
            comment_required: transition.comment_required,
        });
    }
    Ok(transitions)
}

/// The states a transition may be taken from, with `*open` expanded. Each state appears once,
/// and never the target itself: a transition changes the state.
fn from_states(
    src: &Source,
    id: &str,
    to: &str,
    raw: &Spanned<Vec<Spanned<String>>>,
    states: &[State],
) -> Loaded<Vec<String>> {
    if raw.get_ref().is_empty() {
        return Err(src.error(
            raw.span(),
            format!("`from` of transition `{id}` names no state"),
        ));
    }
    let mut from: Vec<String> = Vec::new();
    for entry in raw.get_ref() {
        let expanded: Vec<String> = if entry.get_ref() == OPEN_STATES {
            states
                .iter()
                .filter(|state| !state.is_final && state.name != to)
                .map(|state| state.name.clone())
                .collect()
        } else {
            let name = known_state(src, &format!("`from` of transition `{id}`"), entry, states)?;
            if name == to {
                return Err(src.error(
                    entry.span(),
                    format!("transition `{id}` goes from `{name}` to `{name}` itself"),
                ));
            }
            vec![name]
        };
        for name in expanded {
            if from.contains(&name) {
                return Err(src.error(
                    entry.span(),
                    format!(
                        "`from` of transition `{id}` names `{name}` more than once \
                         (`{OPEN_STATES}` includes every non-final state)"
                    ),
                ));
            }
            from.push(name);
        }
    }
    if from.is_empty() {
        return Err(src.error(
            raw.span(),
            format!("`from` of transition `{id}` names no state other than its target"),
        ));
    }
    Ok(from)
}

fn effects(src: &Source, raw: &[RawEffect], transitions: &[Transition]) -> Loaded<Vec<Effect>> {
    let mut effects: Vec<Effect> = Vec::with_capacity(raw.len());
    for effect in raw {
        let on = effect.on.get_ref();
        if !transitions.iter().any(|transition| &transition.id == on) {
            return Err(src.error(
                effect.on.span(),
                format!("effect `on` names `{on}`, which is not a declared transition id"),
            ));
        }
        let Some(kind) = EffectKind::parse(effect.effect.get_ref()) else {
            let known: Vec<&str> = EffectKind::ALL.iter().map(|e| e.as_str()).collect();
            return Err(src.error(
                effect.effect.span(),
                format!(
                    "`{}` is not a known effect; known effects: {}",
                    effect.effect.get_ref(),
                    known.join(", ")
                ),
            ));
        };
        if effects
            .iter()
            .any(|seen| &seen.on == on && seen.effect == kind)
        {
            return Err(src.error(
                effect.effect.span(),
                format!("effect `{kind}` on transition `{on}` is declared more than once"),
            ));
        }
        effects.push(Effect {
            on: on.clone(),
            effect: kind,
        });
    }
    Ok(effects)
}

/// Every state can be reached from the initial state, and from every state a final state can be
/// reached (see `graph.rs`).
fn check_graph(
    src: &Source,
    raw: &[RawState],
    states: &[State],
    initial: &str,
    transitions: &[Transition],
) -> Loaded<()> {
    let graph = Graph::new(states, transitions);
    let at_state = |i: usize| raw.get(i).map_or(0..0, |state| state.name.span());

    let start = states.iter().position(|state| state.name == initial);
    if let Some(i) = start.and_then(|start| graph.first_unreachable_from(start)) {
        return Err(src.error(
            at_state(i),
            format!(
                "state `{}` cannot be reached from the initial state `{initial}`",
                states[i].name
            ),
        ));
    }

    let finals: Vec<usize> = (0..states.len()).filter(|&i| states[i].is_final).collect();
    if finals.is_empty() {
        return Err(src.error(
            at_state(0),
            "no state is final (`final = true`): a case could never be closed",
        ));
    }
    if let Some(i) = graph.first_cut_off_from(finals) {
        return Err(src.error(
            at_state(i),
            format!(
                "no final state can be reached from state `{}`",
                states[i].name
            ),
        ));
    }
    Ok(())
}

fn known_state(
    src: &Source,
    what: &str,
    raw: &Spanned<String>,
    states: &[State],
) -> Loaded<String> {
    let name = raw.get_ref();
    if states.iter().any(|state| &state.name == name) {
        Ok(name.clone())
    } else {
        let declared: Vec<&str> = states.iter().map(|state| state.name.as_str()).collect();
        let declared = if declared.is_empty() {
            "none".to_owned()
        } else {
            declared.join(", ")
        };
        Err(src.error(
            raw.span(),
            format!("{what} names `{name}`, which is not a declared state (declared: {declared})"),
        ))
    }
}

/// A kind, state name or transition id (see `values::identifier`).
fn identifier(src: &Source, what: &str, raw: &Spanned<String>) -> Loaded<String> {
    values::identifier(what, raw.get_ref()).map_err(|reason| src.error(raw.span(), reason))
}

/// A permission (Casbin action), e.g. `transition:start`.
fn action(src: &Source, id: &str, raw: &Spanned<String>) -> Loaded<String> {
    values::permission(id, raw.get_ref()).map_err(|reason| src.error(raw.span(), reason))
}

/// A display label (see `values::label`).
fn label(src: &Source, what: &str, raw: &Spanned<String>) -> Loaded<String> {
    values::label(what, raw.get_ref()).map_err(|reason| src.error(raw.span(), reason))
}
