//! "Mijn werk": what awaits one principal's action, decided from the workflows and the policy
//! (docs/architecture.md, "My work").
//!
//! An open case awaits a principal when it is assigned to them, or when it is in a domain
//! where they hold a role themselves (their department, or government-wide work for a role
//! held in `rijk`) and in a state from which a transition is open to them: one the policy lets
//! them take there. Whether the transition's guards hold does not matter: a self-assessment
//! that still misses ratings awaits its coordinator all the same. The cases come most urgent
//! first: overdue, then due within the "soon" window, then by due date (none last).
//!
//! This module builds the filter the store runs and says, per case, which transitions await
//! and how urgent it is; `app::work` gathers the inputs and asks the store.

use std::collections::{BTreeMap, BTreeSet};

use super::access::{Domains, RIJK, in_domain};
use super::cases::Case;
use super::filter::{Expr, Op, Value};

/// How urgent a case of one's work is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    /// Marked overdue (past its due time or its state's time limit).
    Overdue,
    /// Due within the window, not overdue yet.
    DueSoon,
    /// Due later, or no due time.
    Later,
}

/// One open state of one kind, and its transitions as (id, action the policy must allow).
#[derive(Debug, Clone)]
pub struct OpenState {
    pub kind: String,
    pub state: String,
    pub transitions: Vec<(String, String)>,
}

/// What awaits one principal, worked out from the open states of every workflow.
#[derive(Debug, Clone, Default)]
pub struct Awaiting {
    /// (kind, state) → domain → the transitions open there, in the workflow's order.
    open: BTreeMap<(String, String), BTreeMap<String, Vec<String>>>,
    /// Kind → its open states (for the cases assigned to one).
    open_states: BTreeMap<String, BTreeSet<String>>,
    subject_id: String,
}

impl Awaiting {
    /// `states`: every open state of every kind; `home`: the domains where the principal holds
    /// a role; `may`: where the policy lets them do an action on an object (`None`: nowhere).
    pub fn new(
        principal_id: &str,
        states: &[OpenState],
        home: &BTreeSet<String>,
        may: impl Fn(&str, &str) -> Option<Domains>,
    ) -> Self {
        let mut awaiting = Self {
            subject_id: principal_id.to_owned(),
            ..Self::default()
        };
        for open in states {
            awaiting
                .open_states
                .entry(open.kind.clone())
                .or_default()
                .insert(open.state.clone());
            let object = format!("case:{}", open.kind);
            for (id, action) in &open.transitions {
                let domains: Vec<String> = match may(&object, action) {
                    Some(Domains::All) => home.iter().cloned().collect(),
                    Some(Domains::Only(only)) => home.intersection(&only).cloned().collect(),
                    None => continue,
                };
                for domain in domains {
                    let ids = awaiting
                        .open
                        .entry((open.kind.clone(), open.state.clone()))
                        .or_default()
                        .entry(domain)
                        .or_default();
                    if !ids.contains(id) {
                        ids.push(id.clone());
                    }
                }
            }
        }
        awaiting
    }

    /// The filter of the cases that await an action (`None`: there are none).
    pub fn awaits_action(&self) -> Option<Expr> {
        // States that await in the same domains share one term.
        let mut by_domains: BTreeMap<Vec<&String>, Vec<(&String, &String)>> = BTreeMap::new();
        for ((kind, state), domains) in &self.open {
            by_domains
                .entry(domains.keys().collect())
                .or_default()
                .push((kind, state));
        }
        let terms: Vec<Expr> = by_domains
            .into_iter()
            .map(|(domains, states)| {
                Expr::And(vec![
                    Expr::Or(domains.iter().map(|d| in_domain(d)).collect()),
                    Expr::Or(
                        states
                            .iter()
                            .map(|(kind, state)| kind_state(kind, state))
                            .collect(),
                    ),
                ])
            })
            .collect();
        (!terms.is_empty()).then_some(Expr::Or(terms))
    }

    /// The filter of the open cases assigned to the principal.
    pub fn assigned(&self) -> Option<Expr> {
        let states: Vec<Expr> = self
            .open_states
            .iter()
            .flat_map(|(kind, states)| states.iter().map(move |state| kind_state(kind, state)))
            .collect();
        (!states.is_empty())
            .then(|| Expr::And(vec![text("assignee", &self.subject_id), Expr::Or(states)]))
    }

    /// Either: the whole of one's work.
    pub fn filter(&self) -> Option<Expr> {
        let parts: Vec<Expr> = [self.awaits_action(), self.assigned()]
            .into_iter()
            .flatten()
            .collect();
        (!parts.is_empty()).then_some(Expr::Or(parts))
    }

    /// The transitions of `case`'s state that await the principal in the case's domain.
    pub fn transitions_of(&self, case: &Case) -> Vec<String> {
        let domain = case.department.as_deref().unwrap_or(RIJK);
        self.open
            .get(&(case.kind.clone(), case.state.clone()))
            .and_then(|domains| domains.get(domain))
            .cloned()
            .unwrap_or_default()
    }

    /// Whether `case` is assigned to the principal.
    pub fn is_assigned(&self, case: &Case) -> bool {
        case.assignee == self.subject_id
    }
}

fn text(field: &'static str, value: &str) -> Expr {
    Expr::Compare {
        field,
        op: Op::Eq,
        value: Value::Text(value.to_owned()),
    }
}

fn kind_state(kind: &str, state: &str) -> Expr {
    Expr::And(vec![text("kind", kind), text("state", state)])
}

/// The filter of the cases due soon: not overdue, with a due time before `until` (micros).
pub fn due_soon(until: i64) -> Expr {
    Expr::And(vec![
        Expr::Compare {
            field: "overdue",
            op: Op::Eq,
            value: Value::Bool(false),
        },
        Expr::Compare {
            field: "due_time",
            op: Op::Le,
            value: Value::Time(until),
        },
    ])
}

/// The filter of the overdue cases.
pub fn overdue() -> Expr {
    Expr::Compare {
        field: "overdue",
        op: Op::Eq,
        value: Value::Bool(true),
    }
}

/// How urgent `case` is, with "soon" meaning a due time before `until` (micros). The same
/// columns as [`due_soon`] and [`overdue`], so that an item and the counts agree.
pub fn urgency(case: &Case, until: i64) -> Urgency {
    if case.overdue {
        Urgency::Overdue
    } else if case.due_time.is_some_and(|due| due <= until) {
        Urgency::DueSoon
    } else {
        Urgency::Later
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn states() -> Vec<OpenState> {
        vec![
            OpenState {
                kind: "work_item".into(),
                state: "proposed".into(),
                transitions: vec![
                    ("accept".into(), "transition:accept".into()),
                    ("cancel".into(), "transition:cancel".into()),
                ],
            },
            OpenState {
                kind: "assessment_cycle".into(),
                state: "submitted".into(),
                transitions: vec![("start_review".into(), "transition:start_review".into())],
            },
        ]
    }

    fn may(object: &str, action: &str) -> Option<Domains> {
        match (object, action) {
            ("case:work_item", _) => Some(Domains::Only(["JenV".to_owned()].into())),
            ("case:assessment_cycle", "transition:start_review") => Some(Domains::All),
            _ => None,
        }
    }

    #[test]
    fn only_the_domains_where_one_holds_a_role_count_and_the_transitions_are_named() {
        let home: BTreeSet<String> = ["JenV".to_owned()].into();
        let awaiting = Awaiting::new("anna", &states(), &home, may);
        let mut case: Case = Case::sample();
        case.kind = "work_item".into();
        case.state = "proposed".into();
        case.department = Some("JenV".into());
        assert_eq!(awaiting.transitions_of(&case), ["accept", "cancel"]);
        case.department = Some("Fin".into());
        assert!(
            awaiting.transitions_of(&case).is_empty(),
            "not a home domain"
        );
        case.kind = "assessment_cycle".into();
        case.state = "submitted".into();
        case.department = Some("JenV".into());
        assert_eq!(awaiting.transitions_of(&case), ["start_review"]);
        assert!(awaiting.filter().is_some());
    }

    #[test]
    fn nothing_awaits_a_principal_without_roles_but_what_is_assigned_to_them() {
        let awaiting = Awaiting::new("piet", &states(), &BTreeSet::new(), may);
        assert!(awaiting.awaits_action().is_none());
        assert!(awaiting.assigned().is_some());
    }

    #[test]
    fn overdue_comes_before_due_soon_before_later() {
        let mut case = Case::sample();
        case.due_time = Some(100);
        assert_eq!(urgency(&case, 200), Urgency::DueSoon);
        assert_eq!(urgency(&case, 50), Urgency::Later);
        case.overdue = true;
        assert_eq!(urgency(&case, 50), Urgency::Overdue);
        assert!(Urgency::Overdue < Urgency::DueSoon && Urgency::DueSoon < Urgency::Later);
    }
}
