//! The rule registry: every rule of the coordination decree (docs/architecture.md, "Rules") as a named rule with an
//! id, a Dutch and an English sentence, and its source.
//!
//! Workflow definitions name rules as guards by id; loading a definition checks each id against
//! this registry, and `WorkflowService.ListRules` returns it as it is, so that a person can read
//! why a transition is blocked without reading code. A rule is checked against [`Facts`] the
//! caller gathered about the case: the domain reads nothing itself.
//!
//! Most rules are guards, checked against the facts of a case when a transition is asked for.
//! Two are checked where a request is decided instead (`decree.scope_sector_rijk` when cycles
//! open or a framework's scope is set, `cycle.one_per_department_and_year` by the cycle's key);
//! used as a guard, such a rule fails with a clear detail: a guard never passes by default.

use crate::domain::error::{Error, PreconditionViolation, reason};

/// What the store knows about a case when a transition is asked for. Only the facts a guard of
/// the case's kind needs have to be filled in; the defaults are the cautious values (no
/// assignee, no recorded response), so a fact that was not gathered fails its guard. New kinds
/// add fields here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The case's assignee, if any, as a principal name.
    pub assignee: Option<String>,
    /// Names of the sub-items (child cases) that are not in a final state.
    pub open_children: Vec<String>,
    /// Recommendation: whether the administrative response (bestuurlijke reactie) is recorded.
    pub response_recorded: bool,
    /// Assessment cycle: criteria without a confirmed rating, and `not_met`/`not_applicable`
    /// ratings without a justification (`None`: not a cycle).
    pub unrated_criteria: Option<Vec<String>>,
    pub unjustified_criteria: Option<Vec<String>>,
    /// The roles the acting principal holds in the case's department (`None`: unknown).
    pub actor_roles_in_department: Option<Vec<String>>,
    /// Assessment cycle: the yearly dialogue is recorded.
    pub dialogue_recorded: bool,
    /// The acting principal holds the coordinating role (`coordinator` in domain `rijk`).
    pub actor_is_coordinator: bool,
    /// Framework: departments in scope without a consultation, or without an observance.
    pub not_consulted: Option<Vec<String>>,
    pub not_observed: Option<Vec<String>>,
    /// Framework: at least one purpose is named.
    pub purpose_stated: bool,
    /// Risk analysis: how many risks, those without likelihood or impact, and the high ones
    /// without a mitigation or an owner.
    pub risk_count: usize,
    pub unrated_risks: Option<Vec<String>>,
    pub unmitigated_high_risks: Option<Vec<String>>,
}

/// A check: `Ok(())` when the rule holds, otherwise a detail saying what is missing.
type Check = fn(&Facts) -> Result<(), String>;

/// One rule of the coordination decree or of the product.
#[derive(Debug)]
pub struct Rule {
    /// Stable id, e.g. `work_item.assignee_required`; reported when the rule fails.
    pub id: &'static str,
    pub sentence_nl: &'static str,
    pub sentence_en: &'static str,
    /// Where the rule comes from (decree article, letter, instrument); `None` for rules the
    /// product adds for its own consistency.
    pub source: Option<&'static str>,
    /// `None` for a rule checked where a request is decided, not as a guard.
    check: Option<Check>,
}

impl Rule {
    /// Checks the rule against `facts`: `Ok(())` when it holds, otherwise a detail for the
    /// person who asked. A rule that is not a guard always fails as one.
    pub fn evaluate(&self, facts: &Facts) -> Result<(), String> {
        match self.check {
            Some(check) => check(facts),
            None => Err(format!(
                "rule {} is checked when a request is decided; it cannot be a guard",
                self.id
            )),
        }
    }

    /// Whether the rule is a guard, which a workflow's transition may name.
    pub fn is_guard(&self) -> bool {
        self.check.is_some()
    }

    /// The error for a request this rule refuses outright (not a transition): FAILED_PRECONDITION
    /// with one violation of this rule, about `subject`.
    pub fn refuse(&self, subject: impl Into<String>, detail: impl Into<String>) -> Error {
        let detail = detail.into();
        Error::FailedPrecondition {
            reason: reason::RULE_VIOLATED,
            message: format!("{}: {detail}", self.id),
            violations: vec![PreconditionViolation {
                kind: self.id.to_owned(),
                subject: subject.into(),
                description: format!("{} ({detail})", self.sentence_en),
            }],
        }
    }

    /// Whether checking the rule needs [`Facts::open_children`], so that the store reads a
    /// case's sub-items only for the transitions that need them.
    pub fn reads_children(&self) -> bool {
        self.id == CHILDREN_CLOSED
    }
}

const CHILDREN_CLOSED: &str = "work_item.children_closed";

/// Every rule, in the order docs/architecture.md ("Rules") lists them.
pub fn all() -> &'static [Rule] {
    RULES
}

/// The rule with this id.
pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id == id)
}

const DECREE_2_1: &str = "Coördinatiebesluit, art. 2.1";

static RULES: &[Rule] = &[
    Rule {
        id: "decree.adopted_by_coordinating_minister",
        sentence_nl: "Alleen de coördinerend minister (BZK, domein rijk) kan een kader vaststellen.",
        sentence_en: "Only the coordinating minister (BZK, domain rijk) can adopt a framework.",
        source: Some(DECREE_2_1),
        check: Some(adopted_by_coordinating_minister),
    },
    Rule {
        id: "decree.consulted_before_adoption",
        sentence_nl: "Een kader wordt pas vastgesteld nadat met elk betrokken departement overleg \
                      is gevoerd en dat overleg is vastgelegd.",
        sentence_en: "A framework is adopted only after a consultation with every department \
                      concerned has been recorded.",
        source: Some("Coördinatiebesluit, art. 2.1 (\u{201c}na overleg\u{201d})"),
        check: Some(consulted_before_adoption),
    },
    Rule {
        id: "decree.purpose_stated",
        sentence_nl: "Een kader noemt ten minste één doel: de eenheid, de kwaliteit of de \
                      doelmatigheid van de bedrijfsvoering.",
        sentence_en: "A framework states at least one purpose: the unity, the quality or the \
                      efficiency of the operations.",
        source: Some(DECREE_2_1),
        check: Some(purpose_stated),
    },
    Rule {
        id: "decree.scope_sector_rijk",
        sentence_nl: "Gecoördineerd werk (de reikwijdte van een kader, toetsingscycli) omvat \
                      alleen departementen binnen de sector Rijk.",
        sentence_en: "Coordinated work (the scope of a framework, assessment cycles) covers only \
                      departments in the sector Rijk.",
        source: Some("Kamerbrief, voetnoot 3"),
        check: None,
    },
    Rule {
        id: "decree.observed_by_departments",
        sentence_nl: "Zodra een kader van kracht is, legt elk departement binnen de reikwijdte \
                      vast hoe het het kader naleeft en naar de eigen organisatie vertaalt, \
                      voordat de evaluatie van het kader kan worden afgesloten.",
        sentence_en: "Once a framework is in force, each department in scope records how it \
                      observes and translates the framework before the framework's evaluation \
                      can close.",
        source: Some(
            "Coördinatiebesluit, art. 2.2; Kamerbrief (\u{201c}ruimte om \u{2026} te vertalen\u{201d})",
        ),
        check: Some(observed_by_departments),
    },
    Rule {
        id: "cycle.all_criteria_rated",
        sentence_nl: "Een toetsingscyclus wordt pas ingediend als elk criterium een beoordeling \
                      heeft; bij \u{2018}niet\u{2019} en \u{2018}niet van toepassing\u{2019} \
                      hoort een toelichting.",
        sentence_en: "A cycle is submitted only when every criterion has a rating; `not_met` and \
                      `not_applicable` need a justification.",
        source: Some("toetsingskader"),
        check: Some(all_criteria_rated),
    },
    Rule {
        id: "cycle.reviewer_independent",
        sentence_nl: "De beoordelaar heeft geen rol in het getoetste departement.",
        sentence_en: "The reviewer holds no role in the assessed department.",
        source: Some("goed gebruik (good practice)"),
        check: Some(reviewer_independent),
    },
    Rule {
        id: "cycle.dialogue_recorded",
        sentence_nl: "Een toetsingscyclus wordt pas afgesloten nadat het jaarlijkse gesprek is \
                      vastgelegd (datum, deelnemers, samenvatting).",
        sentence_en: "A cycle closes only after the yearly dialogue has been recorded (date, \
                      participants, summary).",
        source: Some("Kamerbrief (\u{201c}jaarlijks \u{2026} gesprekken\u{201d})"),
        check: Some(dialogue_recorded),
    },
    Rule {
        id: "cycle.one_per_department_and_year",
        sentence_nl: "Per departement, jaar en set kwaliteitscriteria bestaat ten hoogste één \
                      toetsingscyclus.",
        sentence_en: "There is at most one cycle per department, year and criteria set.",
        source: Some("Kamerbrief"),
        check: None,
    },
    Rule {
        id: "recommendation.response_recorded",
        sentence_nl: "Een aanbeveling verlaat de status \u{2018}ontvangen\u{2019} pas als de \
                      bestuurlijke reactie is vastgelegd.",
        sentence_en: "A recommendation leaves `received` only once the administrative response \
                      has been recorded.",
        source: Some("Kamerbrief"),
        check: Some(response_recorded),
    },
    Rule {
        id: "work_item.assignee_required",
        sentence_nl: "Aan een werkgroep-item wordt pas gewerkt als er een behandelaar is \
                      toegewezen.",
        sentence_en: "Work on an item starts only once it has an assignee.",
        source: None,
        check: Some(assignee_required),
    },
    Rule {
        id: CHILDREN_CLOSED,
        sentence_nl: "Een werkgroep-item is pas gereed als al zijn subitems zijn afgesloten.",
        sentence_en: "An item is done only when all its sub-items are closed.",
        source: None,
        check: Some(children_closed),
    },
    Rule {
        id: "risk.all_risks_rated",
        sentence_nl: "Een risicoanalyse is pas beoordeeld als van elk risico de kans en de \
                      impact zijn vastgesteld.",
        sentence_en: "A risk analysis is assessed only when every risk has a likelihood and an \
                      impact.",
        source: Some("risico-instrument"),
        check: Some(all_risks_rated),
    },
    Rule {
        id: "risk.high_risks_mitigated",
        sentence_nl: "Elk risico op of boven de drempelwaarde heeft een beheersmaatregel en een \
                      eigenaar voordat de monitoring begint.",
        sentence_en: "Every risk at or above the threshold has a mitigation and an owner before \
                      monitoring starts.",
        source: Some("risico-instrument"),
        check: Some(high_risks_mitigated),
    },
];

/// Ids of the rules checked where requests are decided.
pub const SCOPE_SECTOR_RIJK: &str = "decree.scope_sector_rijk";
pub const ONE_CYCLE_PER_YEAR: &str = "cycle.one_per_department_and_year";

/// `Ok` for an empty list, otherwise `what` and the list.
fn none_left(list: &Option<Vec<String>>, what: &str) -> Result<(), String> {
    match list.as_deref() {
        None => Err("this case is not of a kind the rule applies to".to_owned()),
        Some([]) => Ok(()),
        Some(items) => Err(format!("{what}: {}", items.join(", "))),
    }
}

fn adopted_by_coordinating_minister(facts: &Facts) -> Result<(), String> {
    if facts.actor_is_coordinator {
        Ok(())
    } else {
        Err("the caller does not hold the role coordinator in domain rijk".to_owned())
    }
}

fn consulted_before_adoption(facts: &Facts) -> Result<(), String> {
    none_left(&facts.not_consulted, "not yet consulted")
}

fn purpose_stated(facts: &Facts) -> Result<(), String> {
    if facts.purpose_stated {
        Ok(())
    } else {
        Err("no purpose (unity, quality, efficiency) is named".to_owned())
    }
}

fn observed_by_departments(facts: &Facts) -> Result<(), String> {
    none_left(&facts.not_observed, "no observance recorded by")
}

fn all_criteria_rated(facts: &Facts) -> Result<(), String> {
    let unrated = none_left(
        &facts.unrated_criteria,
        "not rated (or carried over, unconfirmed)",
    );
    let unjustified = none_left(
        &facts.unjustified_criteria,
        "not_met or not_applicable without a justification",
    );
    match (unrated, unjustified) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(a), Ok(())) | (Ok(()), Err(a)) => Err(a),
        (Err(a), Err(b)) => Err(format!("{a}; {b}")),
    }
}

fn reviewer_independent(facts: &Facts) -> Result<(), String> {
    match facts.actor_roles_in_department.as_deref() {
        None => Err("the reviewer's roles are not known".to_owned()),
        Some([]) => Ok(()),
        Some(roles) => Err(format!(
            "the reviewer holds {} in the assessed department",
            roles.join(", ")
        )),
    }
}

fn dialogue_recorded(facts: &Facts) -> Result<(), String> {
    if facts.dialogue_recorded {
        Ok(())
    } else {
        Err("no dialogue has been recorded (AssessmentService.RecordDialogue)".to_owned())
    }
}

fn all_risks_rated(facts: &Facts) -> Result<(), String> {
    if facts.unrated_risks.is_some() && facts.risk_count == 0 {
        return Err("the register holds no risks".to_owned());
    }
    none_left(&facts.unrated_risks, "without likelihood or impact")
}

fn high_risks_mitigated(facts: &Facts) -> Result<(), String> {
    none_left(
        &facts.unmitigated_high_risks,
        "high risks without a mitigation or an owner",
    )
}

fn response_recorded(facts: &Facts) -> Result<(), String> {
    if facts.response_recorded {
        Ok(())
    } else {
        Err("no administrative response has been recorded".to_owned())
    }
}

fn assignee_required(facts: &Facts) -> Result<(), String> {
    match facts.assignee.as_deref().map(str::trim) {
        Some(assignee) if !assignee.is_empty() => Ok(()),
        _ => Err("the item has no assignee".to_owned()),
    }
}

fn children_closed(facts: &Facts) -> Result<(), String> {
    match facts.open_children.as_slice() {
        [] => Ok(()),
        open => Err(format!(
            "{} sub-item(s) still open: {}",
            open.len(),
            open.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_of_the_decree_table_is_registered_once() {
        let ids: Vec<&str> = all().iter().map(|rule| rule.id).collect();
        assert_eq!(ids.len(), 14);
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "duplicate rule id in {ids:?}");
        for rule in all() {
            assert!(!rule.sentence_nl.is_empty() && !rule.sentence_en.is_empty());
            assert!(
                rule.sentence_nl.ends_with('.') && rule.sentence_en.ends_with('.'),
                "{}",
                rule.id
            );
            assert_eq!(find(rule.id).map(|r| r.id), Some(rule.id));
        }
        assert!(find("work_item.nonexistent").is_none());
    }

    #[test]
    fn assignee_required_holds_only_with_a_non_blank_assignee() {
        let rule = find("work_item.assignee_required").unwrap();
        assert!(rule.evaluate(&Facts::default()).is_err());
        let blank = Facts {
            assignee: Some("  ".into()),
            ..Facts::default()
        };
        assert!(rule.evaluate(&blank).is_err());
        let assigned = Facts {
            assignee: Some("principals/jan".into()),
            ..Facts::default()
        };
        assert_eq!(rule.evaluate(&assigned), Ok(()));
    }

    #[test]
    fn children_closed_lists_the_open_children() {
        let rule = find("work_item.children_closed").unwrap();
        assert_eq!(rule.evaluate(&Facts::default()), Ok(()));
        let facts = Facts {
            open_children: vec!["cases/7".into(), "cases/9".into()],
            ..Facts::default()
        };
        let detail = rule.evaluate(&facts).unwrap_err();
        assert!(detail.contains("cases/7, cases/9"), "{detail}");
    }

    #[test]
    fn response_recorded_needs_the_recorded_response() {
        let rule = find("recommendation.response_recorded").unwrap();
        assert!(rule.evaluate(&Facts::default()).is_err());
        let facts = Facts {
            response_recorded: true,
            ..Facts::default()
        };
        assert_eq!(rule.evaluate(&facts), Ok(()));
    }

    #[test]
    fn a_rule_that_is_not_a_guard_never_passes_as_one() {
        let rule = find(SCOPE_SECTOR_RIJK).unwrap();
        assert!(!rule.is_guard());
        let detail = rule.evaluate(&Facts::default()).unwrap_err();
        assert!(detail.contains("cannot be a guard"), "{detail}");
        let error = rule.refuse(
            "departments/Defensie",
            "Defensie is outside the sector Rijk",
        );
        assert_eq!(error.reason(), reason::RULE_VIOLATED);
    }

    #[test]
    fn facts_that_were_not_gathered_fail_their_guards() {
        for id in [
            "decree.consulted_before_adoption",
            "decree.observed_by_departments",
            "decree.purpose_stated",
            "decree.adopted_by_coordinating_minister",
            "cycle.all_criteria_rated",
            "cycle.reviewer_independent",
            "cycle.dialogue_recorded",
            "risk.all_risks_rated",
            "risk.high_risks_mitigated",
        ] {
            let rule = find(id).unwrap();
            assert!(rule.is_guard(), "{id}");
            assert!(rule.evaluate(&Facts::default()).is_err(), "{id}");
        }
    }

    #[test]
    fn the_coordination_guards_name_what_is_missing() {
        let facts = Facts {
            not_consulted: Some(vec!["AZ".into(), "EZK".into()]),
            unrated_criteria: Some(vec!["BN-01".into()]),
            unjustified_criteria: Some(vec!["BN-02".into()]),
            actor_roles_in_department: Some(vec!["integrity_coordinator".into()]),
            unrated_risks: Some(Vec::new()),
            risk_count: 0,
            ..Facts::default()
        };
        let detail = |id: &str| find(id).unwrap().evaluate(&facts).unwrap_err();
        assert_eq!(
            detail("decree.consulted_before_adoption"),
            "not yet consulted: AZ, EZK"
        );
        let rated = detail("cycle.all_criteria_rated");
        assert!(
            rated.contains("BN-01") && rated.contains("BN-02"),
            "{rated}"
        );
        assert!(detail("cycle.reviewer_independent").contains("integrity_coordinator"));
        assert_eq!(
            detail("risk.all_risks_rated"),
            "the register holds no risks"
        );
    }
}
