//! Properties that hold for any sequence of requests: random transition ids (declared ones and
//! made-up ones), random comments and random facts, applied from the initial state.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use super::default_definition;
use crate::domain::workflow::{
    DEFAULT_FILES, Facts, Refusal, WorkflowDefinition, available, decide, rules,
};

fn facts() -> impl Strategy<Value = Facts> {
    (
        option::of(prop_oneof![Just(String::new()), "[a-z/]{1,12}"]),
        vec("cases/[0-9]{1,3}", 0..3),
        any::<bool>(),
    )
        .prop_map(|(assignee, open_children, response_recorded)| Facts {
            assignee,
            open_children,
            response_recorded,
            ..Facts::default()
        })
}

fn comment() -> impl Strategy<Value = Option<String>> {
    option::of(prop_oneof![
        Just(String::new()),
        Just("  ".to_owned()),
        "[a-z ]{1,20}"
    ])
}

/// Transition ids of both default kinds, so each kind also sees the other's ids, plus random
/// ones.
fn transition_id() -> impl Strategy<Value = String> {
    let declared: Vec<String> = ["work_item", "recommendation"]
        .iter()
        .flat_map(|kind| default_definition(kind).transitions().to_vec())
        .map(|transition| transition.id)
        .collect();
    prop_oneof![
        4 => proptest::sample::select(declared),
        1 => "[a-z_]{1,12}",
    ]
}

type Step = (String, Option<String>, Facts);

fn steps() -> impl Strategy<Value = Vec<Step>> {
    vec((transition_id(), comment(), facts()), 0..60)
}

/// Runs `steps` from the initial state, checking every invariant after each step.
fn run(definition: &WorkflowDefinition, steps: &[Step]) -> Result<(), TestCaseError> {
    let mut state = definition.initial().to_owned();
    for (id, comment, facts) in steps {
        let before = state.clone();
        let result = decide(definition, &state, id, comment.as_deref(), facts);

        // Pure: asking again gives the same answer.
        prop_assert_eq!(
            &result,
            &decide(definition, &state, id, comment.as_deref(), facts)
        );

        // `available` agrees with `decide` on which transitions are open.
        let comment_given = comment.as_deref().is_some_and(|c| !c.trim().is_empty());
        let open_by_listing = available(definition, &state, facts).iter().any(|a| {
            a.transition.id == *id
                && a.is_open()
                && (comment_given || !a.transition.comment_required)
        });
        prop_assert_eq!(result.is_ok(), open_by_listing);

        match result {
            Ok(decision) => {
                // Every accepted step follows a declared (from, to) edge, with its guards and
                // comment satisfied; so a final state is left only through a transition
                // declared from it.
                let transition = definition.transition(id);
                prop_assert!(transition.is_some());
                let Some(transition) = transition else {
                    continue;
                };
                prop_assert_eq!(&decision.from, &before);
                prop_assert!(transition.allows_from(&before));
                prop_assert_eq!(&decision.to, &transition.to);
                prop_assert!(comment_given || !transition.comment_required);
                for guard in &transition.guards {
                    let rule = rules::find(guard);
                    prop_assert!(rule.is_some_and(|rule| rule.evaluate(facts).is_ok()));
                }
                state = decision.to;
            }
            Err(refusal) => {
                // A refusal is justified by the definition and the facts.
                match &refusal {
                    Refusal::UnknownTransition { .. } => {
                        prop_assert!(definition.transition(id).is_none());
                    }
                    Refusal::NotAllowedFrom { state: at, .. } => {
                        prop_assert_eq!(at, &state);
                        prop_assert!(
                            definition
                                .transition(id)
                                .is_some_and(|t| !t.allows_from(&state))
                        );
                    }
                    Refusal::CommentRequired { .. } => {
                        prop_assert!(!comment_given);
                        prop_assert!(
                            definition
                                .transition(id)
                                .is_some_and(|t| t.comment_required)
                        );
                    }
                    Refusal::GuardsFailed(failed) => {
                        prop_assert!(!failed.is_empty());
                        let transition = definition.transition(id);
                        for rule in failed {
                            prop_assert!(
                                transition.is_some_and(|t| t.guards.contains(&rule.rule_id))
                            );
                        }
                    }
                }
            }
        }
        // The state is always one the definition declares.
        prop_assert!(
            definition.state(&state).is_some(),
            "undeclared state {state}"
        );
    }
    Ok(())
}

proptest! {
    #[test]
    fn work_items_only_move_along_declared_edges(steps in steps()) {
        run(&default_definition("work_item"), &steps)?;
    }

    #[test]
    fn recommendations_only_move_along_declared_edges(steps in steps()) {
        run(&default_definition("recommendation"), &steps)?;
    }

    /// Loading never panics on a damaged file, and an error points at a line of it.
    #[test]
    fn a_truncated_definition_is_refused_with_a_line_in_the_file(
        file in 0..DEFAULT_FILES.len(),
        cut in 0usize..10_000,
    ) {
        let (name, text) = DEFAULT_FILES[file];
        let mut cut = cut % (text.len() + 1);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        if let Err(error) = WorkflowDefinition::parse(name, &text[..cut]) {
            prop_assert!(error.line >= 1 && error.line <= text[..cut].lines().count() + 1, "{}", error);
            prop_assert_eq!(error.file, name);
        }
    }

    #[test]
    fn loading_arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = WorkflowDefinition::parse("random.toml", &text);
    }
}
