//! The effects of transitions: the new cases a transition asks for. The store creates them in
//! the same transaction as the transition, through the same write path as any new case, so they
//! carry their own `case.created` events and either all exist or none does.

use crate::domain::limits::MAX_NAME_CHARS;
use crate::domain::names::DepartmentCode;
use crate::domain::workflow::EffectKind;

use super::draft::NewCase;
use super::model::{Case, Details};

/// Label of the follow-up items of an assessment cycle's agreements.
pub const FOLLOW_UP_LABEL: &str = "follow-up";
/// Label of the work items that ask a department to observe a framework.
pub const OBSERVANCE_LABEL: &str = "observance";
/// The state of the work-item workflow an observance item reaches when its department records
/// its observance (`command::close_observance_item`). Like the record states of the kinds, it
/// is fixed here: a workflow version that renames it needs it changed here too.
pub const OBSERVANCE_DONE: &str = "done";

/// The observance items of `department` among `children`: sub-items of `framework`, work items
/// labelled [`OBSERVANCE_LABEL`] in that department.
pub fn observance_items<'a>(
    framework: &'a Case,
    department: &'a str,
    children: &'a [Case],
) -> impl Iterator<Item = &'a Case> + 'a {
    children.iter().filter(move |c| {
        c.parent.as_ref() == Some(&framework.id)
            && c.kind == "work_item"
            && c.department.as_deref() == Some(department)
            && c.labels.iter().any(|l| l == OBSERVANCE_LABEL)
    })
}

/// The work items `effect` creates for `case` (just moved by its transition): one per agreement
/// of a closed cycle's dialogue, one per department in a framework's scope. Each is a
/// sub-item of `case`, in the department it concerns.
pub fn new_cases(effect: EffectKind, case: &Case) -> Vec<NewCase> {
    match (effect, &case.details) {
        (EffectKind::CreateFollowUpItems, Details::AssessmentCycle(cycle)) => {
            let Some(dialogue) = &cycle.dialogue else {
                return Vec::new();
            };
            dialogue
                .agreements
                .iter()
                .map(|agreement| NewCase {
                    // Its owner carries it, by the date agreed.
                    assignee: agreement.owner.clone(),
                    due_time: agreement.due_time,
                    ..work_item(
                        case,
                        title(&agreement.text),
                        format!(
                            "{}\n\nAfspraak uit het jaarlijks gesprek van {} ({}, {}).",
                            agreement.text,
                            dialogue.date,
                            case.title,
                            case.name()
                        ),
                        case.department.as_deref(),
                        FOLLOW_UP_LABEL,
                    )
                })
                .collect()
        }
        (EffectKind::CreateObservanceItems, Details::Framework(framework)) => framework
            .scope
            .iter()
            .map(|department| {
                work_item(
                    case,
                    title(&format!("Kader naleven en vertalen: {}", case.title)),
                    format!(
                        "Het kader {} ({}) is van kracht. Leg vast hoe {department} het naleeft en \
                         naar de eigen organisatie vertaalt (regie frameworks observe {} \
                         --department {department} --summary … --date JJJJ-MM-DD); daarmee is \
                         dit item afgerond.",
                        case.title,
                        case.name(),
                        case.name()
                    ),
                    Some(department),
                    OBSERVANCE_LABEL,
                )
            })
            .collect(),
        // A definition may attach an effect to a kind it does not apply to; it creates nothing.
        _ => Vec::new(),
    }
}

fn work_item(
    parent: &Case,
    title: String,
    description: String,
    department: Option<&str>,
    label: &str,
) -> NewCase {
    NewCase {
        kind: "work_item".to_owned(),
        title,
        description,
        department: department.and_then(|d| DepartmentCode::parse("department", d).ok()),
        working_group: None,
        assignee: String::new(),
        labels: vec![label.to_owned()],
        due_time: None,
        parent: Some(parent.id.clone()),
        details: Details::WorkItem,
    }
}

/// The first line of `text`, cut to fit a title.
fn title(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    if line.chars().count() <= MAX_NAME_CHARS {
        line.to_owned()
    } else {
        let mut cut: String = line.chars().take(MAX_NAME_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cases::cycle::{Agreement, Cycle, Dialogue};
    use crate::domain::cases::framework::Framework;
    use crate::domain::cases::model::CaseId;

    fn case(details: Details) -> Case {
        Case {
            id: CaseId::parse("id", "c1").unwrap(),
            kind: "x".into(),
            workflow_version: 1,
            state: "closed".into(),
            title: "Toetsing 2026 JenV".into(),
            description: String::new(),
            department: Some("JenV".into()),
            working_group: None,
            assignee: String::new(),
            labels: Vec::new(),
            due_time: None,
            parent: None,
            overdue: false,
            revision: 1,
            create_time: 0,
            update_time: 0,
            state_enter_time: 0,
            paused_micros: 0,
            details,
        }
    }

    #[test]
    fn one_follow_up_per_agreement_in_the_cycle_department_carried_by_its_owner() {
        let long = "x".repeat(500);
        let cycle = Cycle {
            dialogue: Some(Dialogue {
                date: "2026-10-01".into(),
                agreements: vec![
                    Agreement {
                        text: "Vertrouwenspersonen bekendmaken".into(),
                        owner: "Karim El Idrissi".into(),
                        due_time: Some(1_814_565_599_000_000),
                    },
                    Agreement {
                        text: long,
                        ..Agreement::default()
                    },
                ],
                ..Dialogue::default()
            }),
            ..Cycle::default()
        };
        let items = new_cases(
            EffectKind::CreateFollowUpItems,
            &case(Details::AssessmentCycle(cycle)),
        );
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].title, "Vertrouwenspersonen bekendmaken");
        assert_eq!(items[1].title.chars().count(), MAX_NAME_CHARS);
        assert_eq!(items[0].assignee, "Karim El Idrissi");
        assert_eq!(items[0].due_time, Some(1_814_565_599_000_000));
        assert_eq!(items[1].assignee, "");
        assert_eq!(items[1].due_time, None);
        assert!(
            items
                .iter()
                .all(|i| i.parent.as_ref().map(CaseId::as_str) == Some("c1"))
        );
        assert!(
            items
                .iter()
                .all(|i| i.department.as_ref().map(DepartmentCode::as_str) == Some("JenV"))
        );
    }

    #[test]
    fn one_observance_item_per_department_in_scope() {
        let framework = Framework {
            scope: vec!["AZ".into(), "BZK".into(), "JenV".into()],
            ..Framework::default()
        };
        let items = new_cases(
            EffectKind::CreateObservanceItems,
            &case(Details::Framework(framework)),
        );
        let departments: Vec<&str> = items
            .iter()
            .filter_map(|i| i.department.as_ref().map(DepartmentCode::as_str))
            .collect();
        assert_eq!(departments, ["AZ", "BZK", "JenV"]);
        assert!(items.iter().all(|i| i.labels == [OBSERVANCE_LABEL]));
        assert!(new_cases(EffectKind::CreateObservanceItems, &case(Details::WorkItem)).is_empty());
    }

    #[test]
    fn an_observance_item_says_what_the_department_does_not_which_api_method() {
        let framework = Framework {
            scope: vec!["JenV".into()],
            ..Framework::default()
        };
        let items = new_cases(
            EffectKind::CreateObservanceItems,
            &case(Details::Framework(framework)),
        );
        let description = &items[0].description;
        assert!(
            description.contains("Leg vast hoe JenV het naleeft")
                && description.contains("regie frameworks observe cases/c1 --department JenV"),
            "{description}"
        );
        assert!(!description.contains("Service."), "{description}");
    }
}
