//! `regie cases transition` and `regie cases transitions`: move a case along its workflow, and
//! see every transition from its state: whether it is open to you now, which roles may take it,
//! and which rules block it.

use regie_proto::v1::{
    AvailableTransition, ListAvailableTransitionsRequest, ListAvailableTransitionsResponse,
    RuleViolation, TransitionCaseRequest,
};

use super::Context;
use super::render::{self, Listing};
use crate::cli::CaseTransition;
use crate::error::CliError;
use crate::output::{in_cli_words, or_dash, yes_no};

/// Takes the transition and prints the resulting case. When the server refuses it with
/// FAILED_PRECONDITION, the error lists each failed rule with its sentence.
pub async fn transition(ctx: &Context, args: CaseTransition) -> Result<(), CliError> {
    let conn = &ctx.conn;
    let request = TransitionCaseRequest {
        name: args.case,
        transition: args.transition,
        etag: args.etag,
        request_id: args.request_id,
        comment: args.comment,
    };
    let mut client = conn.cases();
    let case = conn
        .call(client.transition_case(conn.request(request)))
        .await
        .map_err(CliError::explaining_rules)?;
    render::show(ctx.output, &case)
}

/// Lists the transitions declared from the case's state.
pub async fn available(ctx: &Context, case: String) -> Result<(), CliError> {
    let conn = &ctx.conn;
    let request = ListAvailableTransitionsRequest { name: case };
    let mut client = conn.cases();
    let response = conn
        .call(client.list_available_transitions(conn.request(request)))
        .await?;
    render::print(ctx.output, &response)
}

/// Marks, in WHO MAY, a transition the caller's roles do not allow.
const NOT_YOU: &str = "(not you)";

impl Listing for ListAvailableTransitionsResponse {
    type Item = AvailableTransition;
    const HEADER: &'static [&'static str] = &[
        "TRANSITION",
        "TO",
        "OPEN",
        "WHO MAY",
        "NEEDS COMMENT",
        "BLOCKED BY",
    ];
    const EMPTY: &'static str = "no transitions from this state (it is final)";
    fn items(&self) -> &[AvailableTransition] {
        &self.transitions
    }
    fn row(t: &AvailableTransition) -> Vec<String> {
        vec![
            t.transition.clone(),
            t.to_state.clone(),
            yes_no(t.open).to_owned(),
            who_may(t),
            yes_no(t.comment_required).to_owned(),
            or_dash(&blocked_by(&t.blocked_by)),
        ]
    }
    fn footer(&self) -> Option<String> {
        self.transitions.iter().any(|t| !t.permitted).then(|| {
            format!(
                "{NOT_YOU}: none of your roles allows it on this case; `regie whoami` shows the roles you hold"
            )
        })
    }
}

/// The roles that may take the transition, and `(not you)` when the caller's may not.
fn who_may(t: &AvailableTransition) -> String {
    let roles = if t.roles.is_empty() {
        "no role".to_owned()
    } else {
        t.roles.join(", ")
    };
    if t.permitted {
        roles
    } else {
        format!("{roles} {NOT_YOU}")
    }
}

/// Each failed rule: its id, and below it the rule's sentence and what exactly is missing.
fn blocked_by(rules: &[RuleViolation]) -> String {
    rules
        .iter()
        .map(|r| {
            let mut explanation = r.sentence_en.clone();
            if !r.detail.is_empty() {
                if !explanation.is_empty() {
                    explanation.push_str(" — ");
                }
                explanation.push_str(&in_cli_words(&r.detail));
            }
            if explanation.is_empty() {
                r.rule.clone()
            } else {
                format!("{}\n  {explanation}", r.rule)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocking_rules_come_with_their_sentence_and_detail() {
        let rules = [
            RuleViolation {
                rule: "work_item.assignee_required".into(),
                sentence_nl: "Een item heeft een uitvoerder nodig.".into(),
                sentence_en: "A work item needs an assignee.".into(),
                detail: String::new(),
            },
            RuleViolation {
                rule: "work_item.sub_items_closed".into(),
                sentence_nl: String::new(),
                sentence_en: "Every sub-item is closed.".into(),
                detail: "open: cases/a, cases/b".into(),
            },
            RuleViolation {
                rule: "bare".into(),
                ..RuleViolation::default()
            },
        ];
        assert_eq!(
            blocked_by(&rules),
            "work_item.assignee_required\n  A work item needs an assignee.\n\
             work_item.sub_items_closed\n  Every sub-item is closed. — open: cases/a, cases/b\n\
             bare"
        );
        assert_eq!(blocked_by(&[]), "");
    }

    #[test]
    fn who_may_names_the_roles_and_marks_what_is_not_yours() {
        let mine = AvailableTransition {
            permitted: true,
            roles: vec!["admin".into(), "integrity_coordinator".into()],
            ..AvailableTransition::default()
        };
        assert_eq!(who_may(&mine), "admin, integrity_coordinator");
        let theirs = AvailableTransition {
            permitted: false,
            roles: vec!["admin".into(), "coordinator".into()],
            ..AvailableTransition::default()
        };
        assert_eq!(who_may(&theirs), "admin, coordinator (not you)");
        assert_eq!(
            who_may(&AvailableTransition::default()),
            "no role (not you)"
        );
        let listed = ListAvailableTransitionsResponse {
            transitions: vec![mine.clone()],
        };
        assert_eq!(listed.footer(), None);
        let listed = ListAvailableTransitionsResponse {
            transitions: vec![mine, theirs],
        };
        assert!(
            listed
                .footer()
                .is_some_and(|f| f.starts_with("(not you): "))
        );
    }

    #[test]
    fn the_table_shows_open_and_blocked_transitions() {
        let table = render::table::<ListAvailableTransitionsResponse>(&[AvailableTransition {
            transition: "start".into(),
            to_state: "in_progress".into(),
            open: false,
            blocked_by: vec![RuleViolation {
                rule: "work_item.assignee_required".into(),
                ..RuleViolation::default()
            }],
            ..AvailableTransition::default()
        }])
        .to_string();
        assert!(table.contains("in_progress"), "{table}");
        assert!(table.contains("work_item.assignee_required"), "{table}");
    }
}
