//! What a case command needs the caller to be allowed, as data: each [`Need`] is an action on
//! `case:<kind>` in a domain, worked out from the case as the write transaction sees it. The
//! application layer hands the write a [`Permit`](crate::domain::access::Permit) from `authz`,
//! and the write asks it for each need before the domain decides (docs/architecture.md,
//! "Authorization"). This is the one place that says which action a command is.

use crate::domain::access::{Need, Resource};
use crate::domain::names::DepartmentCode;
use crate::domain::workflow::Workflows;

use super::command::{Command, Record};
use super::draft::NewCase;
use super::model::{Case, Details};

/// What running `command` on `current` needs (`current` is `None` for a new case). The
/// server's own work (`MarkOverdue`) needs nothing: no caller asks for it.
pub fn of(workflows: &Workflows, current: Option<&Case>, command: &Command) -> Vec<Need> {
    let on =
        |case: &Case, action: &str| Need::on_case(&case.kind, case.department.as_deref(), action);
    match (current, command) {
        (_, Command::Create { case, .. }) => vec![to_create(case)],
        (None, _) | (_, Command::MarkOverdue) => Vec::new(),
        (Some(case), Command::Update { patch, .. }) => {
            let mut needs = vec![on(case, "update")];
            // Moving a case needs the right to change it where it goes, too.
            if let Some(target) = &patch.department {
                let target = DepartmentCode::from_name("case.department", target)
                    .ok()
                    .map(|code| code.as_str().to_owned());
                if target != case.department {
                    needs.push(Need::on_case(&case.kind, target.as_deref(), "update"));
                }
            }
            needs
        }
        (Some(case), Command::Transition { transition, .. }) => {
            vec![on(case, &transition_action(workflows, case, transition))]
        }
        (Some(case), Command::Comment { .. }) => vec![on(case, "comment")],
        (Some(case), Command::Record { record, .. }) => match record {
            Record::Rating(_) => vec![on(case, "rate")],
            // A department records its own observance, whatever the framework's own domain.
            // Closing its observance item with it needs nothing more: the item asked for
            // exactly this record.
            // A department outside the framework's scope has no observance to record: it
            // needs to be able to read the framework even to be told so (AIP-211), for what
            // the refusal would say is the framework's.
            Record::Observance(o) => match &case.details {
                Details::Framework(f) if f.scope.iter().any(|d| d == &o.department) => {
                    vec![Need::on_case(&case.kind, Some(&o.department), "observe")]
                }
                _ => vec![
                    on(case, "read"),
                    Need::on_case(&case.kind, Some(&o.department), "observe"),
                ],
            },
            // Recording consultations, one or several, is changing the framework: each needs
            // `update` on it, the same need, asked once.
            Record::Dialogue(_)
            | Record::Consultation(_)
            | Record::Consultations(_)
            | Record::Evaluation(_)
            | Record::AddRisk(_)
            | Record::UpdateRisk { .. } => vec![on(case, "update")],
        },
    }
}

/// The case as a refusal may speak of it (`Permit::check`).
pub fn resource(case: &Case) -> Resource {
    Resource {
        name: case.name(),
        read: Need::on_case(&case.kind, case.department.as_deref(), "read"),
    }
}

/// What a caller must be allowed to know that a case does not exist: reading every kind of
/// case government-wide. Anyone else is told only that it may not read it (AIP-211).
pub fn to_know_any_case() -> Need {
    Need::new("case:*", "read", crate::domain::access::RIJK)
}

/// What creating `new` needs: `create` on its kind in its department.
pub fn to_create(new: &NewCase) -> Need {
    Need::on_case(
        &new.kind,
        new.department.as_ref().map(DepartmentCode::as_str),
        "create",
    )
}

/// The action a transition's `permission` names, or `transition:<id>` when it names none.
pub fn action_of(permission: &str, transition: &str) -> String {
    if permission.is_empty() {
        format!("transition:{transition}")
    } else {
        permission.to_owned()
    }
}

/// The action `transition` needs on `case`, as its workflow version says. An unknown
/// transition needs `transition:<id>`; the domain then refuses it with its own error.
fn transition_action(workflows: &Workflows, case: &Case, transition: &str) -> String {
    let permission = workflows
        .get(&case.kind, case.workflow_version)
        .and_then(|def| def.transition(transition))
        .map(|t| t.permission.as_str())
        .unwrap_or_default();
    action_of(permission, transition)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cases::draft::{CaseDraft, CasePatch};
    use crate::domain::cases::framework::Observance;
    use crate::domain::cases::model::CaseId;
    use crate::domain::cases::{Context, execute};

    fn workflows() -> Workflows {
        Workflows::with_defaults().expect("built-in workflows")
    }

    fn item(workflows: &Workflows, department: &str) -> Case {
        let draft = CaseDraft {
            kind: "work_item".into(),
            title: "Item".into(),
            department: format!("departments/{department}"),
            ..Default::default()
        };
        let command = Command::Create {
            id: CaseId::generate(),
            case: draft.validate().expect("valid"),
        };
        let new_id = CaseId::generate;
        let ctx = Context {
            workflows,
            actor: "anna",
            now: 0,
            children: &[],
            actor_roles: None,
            new_id: &new_id,
        };
        execute(None, command, &ctx).expect("created").case
    }

    #[test]
    fn a_transition_needs_the_permission_its_workflow_names() {
        let w = workflows();
        let case = item(&w, "JenV");
        let accept = Command::Transition {
            transition: "accept".into(),
            etag: String::new(),
            comment: String::new(),
        };
        let needs = of(&w, Some(&case), &accept);
        let permission = w
            .get(&case.kind, case.workflow_version)
            .and_then(|d| d.transition("accept"))
            .map(|t| t.permission.clone())
            .expect("accept exists");
        assert_eq!(
            needs,
            [Need::new(
                "case:work_item",
                action_of(&permission, "accept"),
                "JenV"
            )]
        );
        let unknown = Command::Transition {
            transition: "fly".into(),
            etag: String::new(),
            comment: String::new(),
        };
        assert_eq!(of(&w, Some(&case), &unknown)[0].action, "transition:fly");
    }

    #[test]
    fn a_move_needs_update_in_both_departments() {
        let w = workflows();
        let case = item(&w, "JenV");
        let patch = |department: &str| Command::Update {
            etag: String::new(),
            patch: CasePatch {
                department: Some(department.to_owned()),
                ..CasePatch::default()
            },
        };
        let domains = |command: &Command| -> Vec<String> {
            of(&w, Some(&case), command)
                .into_iter()
                .map(|n| n.domain)
                .collect()
        };
        assert_eq!(domains(&patch("departments/Fin")), ["JenV", "Fin"]);
        assert_eq!(domains(&patch("departments/JenV")), ["JenV"]);
        // Taking the department away makes it government-wide.
        assert_eq!(domains(&patch("")), ["JenV", "rijk"]);
    }

    #[test]
    fn an_observance_needs_observe_in_the_observing_department() {
        let w = workflows();
        let mut case = item(&w, "BZK");
        case.kind = "framework".into();
        case.department = None;
        case.details = Details::Framework(crate::domain::cases::framework::Framework {
            scope: vec!["Fin".into()],
            ..Default::default()
        });
        let record = Command::Record {
            etag: String::new(),
            record: Record::Observance(Observance {
                department: "Fin".into(),
                summary: String::new(),
                date: String::new(),
                link: String::new(),
                recorded_by: String::new(),
                record_time: 0,
            }),
        };
        assert_eq!(
            of(&w, Some(&case), &record),
            [Need::new("case:framework", "observe", "Fin")]
        );
        // Outside the framework's scope (or on what is no framework), the department must be
        // able to read the case to be told even that.
        case.details = Details::Framework(crate::domain::cases::framework::Framework {
            scope: vec!["JenV".into()],
            ..Default::default()
        });
        assert_eq!(
            of(&w, Some(&case), &record),
            [
                Need::new("case:framework", "read", "rijk"),
                Need::new("case:framework", "observe", "Fin")
            ]
        );
        assert!(of(&w, Some(&case), &Command::MarkOverdue).is_empty());
        assert!(of(&w, None, &Command::Comment { text: "x".into() }).is_empty());
    }
}
