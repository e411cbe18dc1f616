//! The two default workflows, transition by transition, and the engine's refusals.

use super::default_definition;
use crate::domain::workflow::{
    Decision, EffectKind, Facts, Refusal, WorkflowDefinition, available, decide,
};

fn assigned() -> Facts {
    Facts {
        assignee: Some("principals/anna".into()),
        ..Facts::default()
    }
}

fn responded() -> Facts {
    Facts {
        response_recorded: true,
        ..Facts::default()
    }
}

/// Takes `transition` from `from` and returns the new state.
fn take(
    definition: &WorkflowDefinition,
    from: &str,
    transition: &str,
    comment: Option<&str>,
    facts: &Facts,
) -> String {
    match decide(definition, from, transition, comment, facts) {
        Ok(decision) => {
            assert_eq!(decision.from, from);
            assert_eq!(decision.transition, transition);
            decision.to
        }
        Err(refusal) => panic!("{transition} from {from} refused: {refusal}"),
    }
}

#[test]
fn every_work_item_transition_leads_where_the_design_says() {
    let wf = default_definition("work_item");
    let facts = assigned();
    let steps = [
        ("proposed", "accept", "accepted"),
        ("accepted", "start", "in_progress"),
        ("in_progress", "block", "blocked"),
        ("blocked", "unblock", "in_progress"),
        ("in_progress", "submit_for_review", "in_review"),
        ("in_review", "request_changes", "in_progress"),
        ("in_review", "complete", "done"),
    ];
    for (from, transition, to) in steps {
        assert_eq!(take(&wf, from, transition, None, &facts), to);
    }
    assert_eq!(
        take(&wf, "done", "reopen", Some("follow-up found"), &facts),
        "in_progress"
    );
    for open in [
        "proposed",
        "accepted",
        "in_progress",
        "blocked",
        "in_review",
    ] {
        assert_eq!(take(&wf, open, "cancel", None, &facts), "cancelled");
    }
}

#[test]
fn work_item_states_and_permissions() {
    let wf = default_definition("work_item");
    assert_eq!(wf.initial(), "proposed");
    assert!(wf.is_final("done") && wf.is_final("cancelled"));
    assert!(!wf.is_final("in_review") && !wf.is_final("no_such_state"));
    assert!(wf.pauses_clock("blocked"));
    assert!(!wf.pauses_clock("in_progress"));
    assert_eq!(wf.sla_days("in_progress"), None);
    assert_eq!(wf.permission("start"), Some("transition:start"));
    assert_eq!(wf.permission("fly"), None);
    assert_eq!(wf.state("in_review").unwrap().label_nl, "Ter beoordeling");
}

#[test]
fn a_cancelled_item_cannot_be_cancelled_or_reopened() {
    let wf = default_definition("work_item");
    for transition in ["cancel", "reopen", "start"] {
        assert!(matches!(
            decide(&wf, "cancelled", transition, Some("why"), &assigned()),
            Err(Refusal::NotAllowedFrom { .. })
        ));
    }
}

#[test]
fn every_recommendation_transition_leads_where_the_design_says() {
    let wf = default_definition("recommendation");
    let facts = responded();
    let steps = [
        ("received", "accept", "accepted"),
        ("received", "accept_partially", "partially_accepted"),
        ("received", "reject", "rejected"),
        ("accepted", "start_implementation", "in_implementation"),
        (
            "partially_accepted",
            "start_implementation",
            "in_implementation",
        ),
        ("in_implementation", "mark_implemented", "implemented"),
        ("implemented", "verify", "verified"),
    ];
    for (from, transition, to) in steps {
        assert_eq!(take(&wf, from, transition, None, &facts), to);
    }
    assert!(wf.is_final("rejected") && wf.is_final("verified"));
    assert_eq!(
        wf.state("partially_accepted").unwrap().label_nl,
        "Deels overgenomen"
    );
}

#[test]
fn a_recommendation_leaves_received_only_with_a_recorded_response() {
    let wf = default_definition("recommendation");
    for transition in ["accept", "accept_partially", "reject"] {
        let Err(Refusal::GuardsFailed(failed)) =
            decide(&wf, "received", transition, None, &Facts::default())
        else {
            panic!("{transition} was not refused by its guard");
        };
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].rule_id, "recommendation.response_recorded");
        assert!(failed[0].sentence_nl.contains("bestuurlijke reactie"));
    }
}

#[test]
fn work_cannot_start_without_an_assignee() {
    let wf = default_definition("work_item");
    let refusal = decide(&wf, "accepted", "start", None, &Facts::default()).unwrap_err();
    let Refusal::GuardsFailed(failed) = &refusal else {
        panic!("{refusal:?}");
    };
    assert_eq!(failed[0].rule_id, "work_item.assignee_required");
    assert_eq!(failed[0].detail, "the item has no assignee");
    assert_eq!(
        refusal.to_string(),
        "rules not met: work_item.assignee_required (the item has no assignee)"
    );
}

#[test]
fn an_item_is_done_only_when_its_sub_items_are_closed() {
    let wf = default_definition("work_item");
    let facts = Facts {
        open_children: vec!["cases/41".into(), "cases/42".into()],
        ..assigned()
    };
    let Err(Refusal::GuardsFailed(failed)) = decide(&wf, "in_review", "complete", None, &facts)
    else {
        panic!("complete was not refused");
    };
    assert_eq!(failed[0].rule_id, "work_item.children_closed");
    assert!(
        failed[0].detail.contains("cases/41, cases/42"),
        "{}",
        failed[0].detail
    );
}

#[test]
fn reopening_needs_a_comment_that_is_not_blank() {
    let wf = default_definition("work_item");
    for comment in [None, Some(""), Some("  \n ")] {
        assert_eq!(
            decide(&wf, "done", "reopen", comment, &assigned()),
            Err(Refusal::CommentRequired {
                transition: "reopen".into()
            })
        );
    }
}

#[test]
fn an_unknown_transition_lists_the_known_ones() {
    let wf = default_definition("recommendation");
    assert_eq!(
        decide(&wf, "received", "approve", None, &responded()),
        Err(Refusal::UnknownTransition {
            transition: "approve".into(),
            known: [
                "accept",
                "accept_partially",
                "reject",
                "start_implementation",
                "mark_implemented",
                "verify"
            ]
            .map(String::from)
            .to_vec(),
        })
    );
}

#[test]
fn a_transition_not_declared_from_the_state_lists_where_it_is_allowed() {
    let wf = default_definition("recommendation");
    let refusal = decide(&wf, "received", "start_implementation", None, &responded()).unwrap_err();
    assert_eq!(
        refusal,
        Refusal::NotAllowedFrom {
            transition: "start_implementation".into(),
            state: "received".into(),
            allowed_from: vec!["accepted".into(), "partially_accepted".into()],
        }
    );
    assert_eq!(
        refusal.to_string(),
        "`start_implementation` cannot be taken from state `received`; it is allowed from: \
         accepted, partially_accepted"
    );
}

/// A transition with three guards and a required comment, to see every refusal and its order.
fn strict() -> WorkflowDefinition {
    let text = r#"
kind = "strict"
version = 1
initial = "open"

[[state]]
name = "open"
label_nl = "Open"
label_en = "Open"

[[state]]
name = "closed"
label_nl = "Gesloten"
label_en = "Closed"
final = true

[[transition]]
id = "close"
from = ["open"]
to = "closed"
guards = ["work_item.assignee_required", "decree.purpose_stated", "work_item.children_closed"]
comment_required = true
label_nl = "Sluiten"
label_en = "Close"

[[effect]]
on = "close"
effect = "create_follow_up_items"
"#;
    WorkflowDefinition::parse("strict.toml", text).unwrap()
}

#[test]
fn every_failed_guard_is_reported_not_just_the_first() {
    let facts = Facts {
        open_children: vec!["cases/3".into()],
        ..Facts::default()
    };
    let Err(Refusal::GuardsFailed(failed)) = decide(&strict(), "open", "close", Some("ok"), &facts)
    else {
        panic!("close was not refused by its guards");
    };
    let ids: Vec<&str> = failed.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "work_item.assignee_required",
            "decree.purpose_stated",
            "work_item.children_closed"
        ]
    );
    assert_eq!(
        failed[1].detail,
        "no purpose (unity, quality, efficiency) is named"
    );
}

#[test]
fn refusals_are_checked_in_order_unknown_state_comment_guards() {
    let wf = strict();
    let nothing = Facts::default();
    assert!(matches!(
        decide(&wf, "closed", "open_up", None, &nothing),
        Err(Refusal::UnknownTransition { .. })
    ));
    assert!(matches!(
        decide(&wf, "closed", "close", None, &nothing),
        Err(Refusal::NotAllowedFrom { .. })
    ));
    assert!(matches!(
        decide(&wf, "open", "close", None, &nothing),
        Err(Refusal::CommentRequired { .. })
    ));
    assert!(matches!(
        decide(&wf, "open", "close", Some("done"), &nothing),
        Err(Refusal::GuardsFailed(_))
    ));
}

#[test]
fn a_decision_carries_the_effects_of_its_transition() {
    let wf = WorkflowDefinition::parse(
        "strict.toml",
        &strict().source().replace(
            r#"guards = ["work_item.assignee_required", "decree.purpose_stated", "work_item.children_closed"]"#,
            r#"guards = ["work_item.assignee_required"]"#,
        ),
    )
    .unwrap();
    assert_eq!(
        decide(&wf, "open", "close", Some("all agreed"), &assigned()),
        Ok(Decision {
            transition: "close".into(),
            from: "open".into(),
            to: "closed".into(),
            effects: vec![EffectKind::CreateFollowUpItems],
        })
    );
}

#[test]
fn available_lists_the_transitions_from_a_state_with_their_blocking_rules() {
    let wf = default_definition("work_item");
    let listed = available(&wf, "accepted", &Facts::default());
    let summary: Vec<(&str, bool)> = listed
        .iter()
        .map(|a| (a.transition.id.as_str(), a.is_open()))
        .collect();
    assert_eq!(summary, [("start", false), ("cancel", true)]);
    assert_eq!(listed[0].failed[0].rule_id, "work_item.assignee_required");

    let listed = available(&wf, "accepted", &assigned());
    assert!(listed.iter().all(|a| a.is_open()));

    let ids: Vec<&str> = available(&wf, "in_review", &assigned())
        .iter()
        .map(|a| a.transition.id.as_str())
        .collect();
    assert_eq!(ids, ["request_changes", "complete", "cancel"]);
    assert!(available(&wf, "cancelled", &assigned()).is_empty());
    assert!(available(&wf, "nowhere", &assigned()).is_empty());
}
