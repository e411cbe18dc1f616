//! Assessment cycles (toetsingscycli): a department's yearly self-assessment against a published
//! criteria set, its ratings, the yearly dialogue, and the reports over them (the rollup of a
//! year and the comparison of two years).
//!
//! A cycle keeps the criterion codes of its set (published sets never change), so the guards of
//! its workflow are decided from the cycle alone.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::domain::criteria::CriteriaSet;
use crate::domain::error::{Error, FieldViolation, Result, Violations, reason};
use crate::domain::limits::{MAX_NAME_CHARS, MAX_TEXT_CHARS};
use crate::domain::text;

use super::model::{Case, CaseId, allowed_in};

/// Evidence links per rating, participants and agreements per dialogue.
pub const MAX_EVIDENCE: usize = 20;
pub const MAX_PARTICIPANTS: usize = 50;
pub const MAX_AGREEMENTS: usize = 50;

/// The states in which a cycle's ratings may change, and its dialogue be recorded.
const RATING_STATES: &[&str] = &["self_assessment"];
const DIALOGUE_STATES: &[&str] = &["in_review", "reviewed", "dialogue_held"];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cycle {
    pub year: i32,
    /// The id in `criteriaSets/{id}`.
    pub criteria_set: String,
    /// The codes of the set's criteria, in the set's order.
    pub criteria: Vec<String>,
    /// At most one per criterion, in the order of `criteria`.
    pub ratings: Vec<CriterionRating>,
    /// Who started the review.
    pub reviewer: String,
    pub dialogue: Option<Dialogue>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Met,
    PartiallyMet,
    NotMet,
    NotApplicable,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::PartiallyMet => "partially_met",
            Self::NotMet => "not_met",
            Self::NotApplicable => "not_applicable",
        }
    }

    /// Position on the Court of Audit's scale; `None` for not applicable.
    fn rank(self) -> Option<u8> {
        match self {
            Self::NotMet => Some(0),
            Self::PartiallyMet => Some(1),
            Self::Met => Some(2),
            Self::NotApplicable => None,
        }
    }

    /// Whether the rating needs a justification before the cycle is submitted.
    fn needs_justification(self) -> bool {
        matches!(self, Self::NotMet | Self::NotApplicable)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Maturity {
    #[default]
    Unspecified,
    Starting,
    Awareness,
    Implementation,
    EmbeddedAndEvaluated,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub title: String,
    pub url: String,
    pub owner: String,
    pub valid_until: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionRating {
    pub criterion: String,
    pub rating: Rating,
    pub justification: String,
    pub evidence: Vec<Evidence>,
    pub maturity: Maturity,
    /// Taken over from last year's cycle and not yet confirmed.
    pub carried_over: bool,
    pub rated_by: String,
    pub rate_time: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dialogue {
    pub date: String,
    pub participants: Vec<String>,
    pub summary: String,
    pub agreements: Vec<Agreement>,
    pub recorded_by: String,
    pub record_time: i64,
}

/// An agreement made in the yearly dialogue; when the cycle closes it becomes a follow-up work
/// item, which its owner carries (the item's assignee) by its due time (`effects::new_cases`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredAgreement")]
pub struct Agreement {
    pub text: String,
    /// Who carries it out; empty: not named yet.
    pub owner: String,
    /// When it is due (micros); `None`: no date agreed.
    pub due_time: Option<i64>,
}

/// An agreement as stored: dialogues recorded before agreements had an owner and a due time
/// hold only the text.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredAgreement {
    Text(String),
    Full {
        text: String,
        #[serde(default)]
        owner: String,
        #[serde(default)]
        due_time: Option<i64>,
    },
}

impl From<StoredAgreement> for Agreement {
    fn from(stored: StoredAgreement) -> Self {
        match stored {
            StoredAgreement::Text(text) => Self {
                text,
                ..Self::default()
            },
            StoredAgreement::Full {
                text,
                owner,
                due_time,
            } => Self {
                text,
                owner,
                due_time,
            },
        }
    }
}

/// An agreement as a client sends it.
#[derive(Debug, Clone, Default)]
pub struct AgreementDraft {
    pub text: String,
    pub owner: String,
    pub due_time: Option<i64>,
}

/// A rating as a client sends it, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct RatingDraft {
    pub criterion: String,
    pub rating: Option<Rating>,
    pub justification: String,
    pub evidence: Vec<Evidence>,
    pub maturity: Maturity,
}

impl RatingDraft {
    /// A valid rating, not yet stamped with who rated it and when.
    pub fn validate(self) -> Result<CriterionRating> {
        let mut v = Violations::new();
        let criterion = self.criterion.trim().to_owned();
        if criterion.is_empty() {
            v.add("rating.criterion", "is required");
        }
        if self.rating.is_none() {
            v.add(
                "rating.rating",
                "is required: MET, PARTIALLY_MET, NOT_MET or NOT_APPLICABLE",
            );
        }
        let justification = v.take(text::body(
            "rating.justification",
            &self.justification,
            MAX_TEXT_CHARS,
        ));
        if self.evidence.len() > MAX_EVIDENCE {
            v.add(
                "rating.evidence",
                format!("at most {MAX_EVIDENCE} evidence links"),
            );
        }
        let mut evidence = Vec::with_capacity(self.evidence.len());
        for (i, e) in self.evidence.iter().enumerate() {
            let at = |f: &str| format!("rating.evidence[{i}].{f}");
            let title = v.take(text::name(&at("title"), &e.title, MAX_NAME_CHARS));
            let url = v.take(text::optional_url(&at("url"), &e.url));
            let owner = v.take(text::body(&at("owner"), &e.owner, MAX_NAME_CHARS));
            let valid_until = v.take(text::optional_date(&at("valid_until"), &e.valid_until));
            if let (Some(title), Some(url), Some(owner), Some(valid_until)) =
                (title, url, owner, valid_until)
            {
                evidence.push(Evidence {
                    title,
                    url,
                    owner,
                    valid_until,
                });
            }
        }
        v.finish()?;
        let rating = self
            .rating
            .ok_or_else(|| Error::internal("rating validation lost a violation"))?;
        Ok(CriterionRating {
            criterion,
            rating,
            justification: justification.unwrap_or_default(),
            evidence,
            maturity: self.maturity,
            carried_over: false,
            rated_by: String::new(),
            rate_time: 0,
        })
    }
}

/// The dialogue as a client sends it. Its agreements come as `agreement_items` (text, owner,
/// due time), or, from a client written before those, as `agreements`: texts alone. A client
/// that sends a dialogue back as it read it sends both, the texts matching.
#[derive(Debug, Clone, Default)]
pub struct DialogueDraft {
    pub date: String,
    pub participants: Vec<String>,
    pub summary: String,
    pub agreements: Vec<String>,
    pub agreement_items: Vec<AgreementDraft>,
}

impl DialogueDraft {
    pub fn validate(self) -> Result<Dialogue> {
        let mut v = Violations::new();
        let date = v.take(text::date("dialogue.date", &self.date));
        let summary = v.take(text::body(
            "dialogue.summary",
            &self.summary,
            MAX_TEXT_CHARS,
        ));
        if summary.as_deref().is_some_and(str::is_empty) {
            v.add("dialogue.summary", "is required");
        }
        let participants = list(
            &mut v,
            "dialogue.participants",
            self.participants,
            MAX_PARTICIPANTS,
            MAX_NAME_CHARS,
        );
        if participants.is_empty() {
            v.add("dialogue.participants", "name at least one participant");
        }
        let agreements = agreements(&mut v, self.agreements, self.agreement_items);
        v.finish()?;
        Ok(Dialogue {
            date: date.unwrap_or_default(),
            participants,
            summary: summary.unwrap_or_default(),
            agreements,
            recorded_by: String::new(),
            record_time: 0,
        })
    }
}

/// The agreements of a dialogue: `items` when given (`texts`, if also given, must be their
/// texts, as a dialogue read back has them), otherwise `texts`, each without owner or due time.
fn agreements(
    v: &mut Violations,
    texts: Vec<String>,
    items: Vec<AgreementDraft>,
) -> Vec<Agreement> {
    const ITEMS: &str = "dialogue.agreement_items";
    const TEXTS: &str = "dialogue.agreements";
    if items.is_empty() {
        return list(v, TEXTS, texts, MAX_AGREEMENTS, MAX_TEXT_CHARS)
            .into_iter()
            .map(|text| Agreement {
                text,
                ..Agreement::default()
            })
            .collect();
    }
    if items.len() > MAX_AGREEMENTS {
        v.add(ITEMS, format!("at most {MAX_AGREEMENTS} entries"));
        return Vec::new();
    }
    let same_texts = texts.len() == items.len()
        && texts
            .iter()
            .zip(&items)
            .all(|(text, item)| text.trim() == item.text.trim());
    if !texts.is_empty() && !same_texts {
        v.add(
            TEXTS,
            "differs from the texts of dialogue.agreement_items: send the agreements once, \
             as agreement_items (agreements is the older form, texts only)",
        );
    }
    items
        .into_iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let at = |field: &str| format!("{ITEMS}[{i}].{field}");
            let text = v.take(text::name(&at("text"), &item.text, MAX_TEXT_CHARS));
            // The owner becomes the follow-up item's assignee: a name on one line, or none.
            let owner = if item.owner.trim().is_empty() {
                Some(String::new())
            } else {
                v.take(text::name(&at("owner"), &item.owner, MAX_NAME_CHARS))
            };
            Some(Agreement {
                text: text?,
                owner: owner?,
                due_time: item.due_time,
            })
        })
        .collect()
}

/// Non-empty lines of a repeated text field, each checked.
fn list(
    v: &mut Violations,
    field: &str,
    items: Vec<String>,
    max: usize,
    chars: usize,
) -> Vec<String> {
    if items.len() > max {
        v.add(field, format!("at most {max} entries"));
        return Vec::new();
    }
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| v.take(text::name(&format!("{field}[{i}]"), item, chars)))
        .collect()
}

impl Cycle {
    /// A new cycle of `year` against `set`, with `carried` (last year's ratings) taken over for
    /// the criteria the set still has, each marked carried-over.
    pub fn open(year: i32, set: &CriteriaSet, carried: Option<&Cycle>) -> Self {
        let criteria = set.codes();
        let ratings = carried
            .map(|last| {
                criteria
                    .iter()
                    .filter_map(|code| last.rating(code))
                    .map(|r| CriterionRating {
                        carried_over: true,
                        ..r.clone()
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            year,
            criteria_set: set.id.as_str().to_owned(),
            criteria,
            ratings,
            reviewer: String::new(),
            dialogue: None,
        }
    }

    pub fn rating(&self, criterion: &str) -> Option<&CriterionRating> {
        self.ratings.iter().find(|r| r.criterion == criterion)
    }

    /// Criteria without a confirmed rating (none, or carried over and not confirmed).
    pub fn unrated(&self) -> Vec<String> {
        self.criteria
            .iter()
            .filter(|code| self.rating(code).is_none_or(|r| r.carried_over))
            .cloned()
            .collect()
    }

    /// Criteria rated not met or not applicable without a justification.
    pub fn unjustified(&self) -> Vec<String> {
        self.ratings
            .iter()
            .filter(|r| r.rating.needs_justification() && r.justification.trim().is_empty())
            .map(|r| r.criterion.clone())
            .collect()
    }

    /// Sets (or confirms) the rating of one criterion of a cycle in `state`.
    pub fn rate(&mut self, state: &str, name: &str, rating: CriterionRating) -> Result<()> {
        allowed_in(state, RATING_STATES, name, "ratings change")?;
        if !self.criteria.contains(&rating.criterion) {
            return Err(Error::invalid(
                reason::UNKNOWN_CRITERION,
                "rating.criterion",
                format!(
                    "{:?} is not a criterion of criteriaSets/{}; its criteria are {}",
                    rating.criterion,
                    self.criteria_set,
                    self.criteria.join(", ")
                ),
            ));
        }
        self.ratings.retain(|r| r.criterion != rating.criterion);
        self.ratings.push(rating);
        let order: HashMap<&str, usize> = self
            .criteria
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        self.ratings.sort_by_key(|r| {
            order
                .get(r.criterion.as_str())
                .copied()
                .unwrap_or(usize::MAX)
        });
        Ok(())
    }

    /// Records (or corrects) the yearly dialogue of a cycle in `state`.
    pub fn record_dialogue(&mut self, state: &str, name: &str, dialogue: Dialogue) -> Result<()> {
        allowed_in(state, DIALOGUE_STATES, name, "the dialogue is recorded")?;
        self.dialogue = Some(dialogue);
        Ok(())
    }
}

/// A field violation for a cycle that does not exist or is of another kind.
pub fn not_a_cycle(field: &str, name: &str) -> FieldViolation {
    FieldViolation::new(field, format!("{name} is not an assessment cycle"))
}

/// The id of the one cycle of `department` in `year` against a set: the key that makes
/// `cycle.one_per_department_and_year` hold in the database (a second create is refused as
/// already existing), and OpenCycles idempotent.
pub fn cycle_id(year: i32, department: &str, set_id: &str) -> Result<CaseId> {
    CaseId::parse(
        "cycle",
        &format!("{year}-{}-{set_id}", department.to_ascii_lowercase()),
    )
    .map_err(|v| Error::invalid_fields(vec![v]))
}

/// One cell of the rollup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub criterion: String,
    pub rating: Option<Rating>,
    pub carried_over: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RollupRow {
    pub department: String,
    pub cycle: String,
    pub state: String,
    pub criteria_set: String,
    pub cells: Vec<Cell>,
    pub rated: u32,
    pub total: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RollupColumn {
    pub code: String,
    pub title_nl: String,
    pub title_en: String,
    pub rated: u32,
    pub total: u32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rollup {
    pub columns: Vec<RollupColumn>,
    pub rows: Vec<RollupRow>,
}

/// `rated / total`, 0 when there is nothing to rate.
pub fn completion(rated: u32, total: u32) -> f64 {
    if total == 0 {
        0.0
    } else {
        f64::from(rated) / f64::from(total)
    }
}

/// The department × criterion matrix of `cycles` (all of one year), with the titles of `sets`.
/// Columns are every criterion of the cycles' sets, in set order; a carried-over rating shows
/// but does not count as rated.
pub fn rollup(cycles: &[(Case, Cycle)], sets: &[CriteriaSet]) -> Rollup {
    let mut columns: Vec<RollupColumn> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut ordered: Vec<&(Case, Cycle)> = cycles.iter().collect();
    ordered.sort_by(|a, b| {
        (a.0.department.as_deref(), a.1.criteria_set.as_str())
            .cmp(&(b.0.department.as_deref(), b.1.criteria_set.as_str()))
    });
    for (_, cycle) in &ordered {
        let set = sets.iter().find(|s| s.id.as_str() == cycle.criteria_set);
        for code in &cycle.criteria {
            if !index.contains_key(code) {
                let criterion = set.and_then(|s| s.criteria.iter().find(|c| &c.code == code));
                index.insert(code.clone(), columns.len());
                columns.push(RollupColumn {
                    code: code.clone(),
                    title_nl: criterion.map(|c| c.title_nl.clone()).unwrap_or_default(),
                    title_en: criterion.map(|c| c.title_en.clone()).unwrap_or_default(),
                    rated: 0,
                    total: 0,
                });
            }
        }
    }
    let mut rows = Vec::with_capacity(ordered.len());
    for (case, cycle) in ordered {
        let mut cells = Vec::with_capacity(cycle.criteria.len());
        let mut rated = 0;
        for code in &cycle.criteria {
            let rating = cycle.rating(code);
            let confirmed = rating.is_some_and(|r| !r.carried_over);
            if let Some(column) = index.get(code).and_then(|&i| columns.get_mut(i)) {
                column.total += 1;
                column.rated += u32::from(confirmed);
            }
            rated += u32::from(confirmed);
            cells.push(Cell {
                criterion: code.clone(),
                rating: rating.map(|r| r.rating),
                carried_over: rating.is_some_and(|r| r.carried_over),
            });
        }
        rows.push(RollupRow {
            department: case.department.clone().unwrap_or_default(),
            cycle: case.name(),
            state: case.state.clone(),
            criteria_set: cycle.criteria_set.clone(),
            total: u32::try_from(cycle.criteria.len()).unwrap_or(u32::MAX),
            rated,
            cells,
        });
    }
    Rollup { columns, rows }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delta {
    Improved,
    Declined,
    Unchanged,
    Changed,
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub criterion: String,
    pub from: Option<Rating>,
    pub to: Option<Rating>,
    pub delta: Delta,
}

/// What changed from `from` to `to`, per criterion: the newer cycle's criteria in order, then
/// those only the older one has.
pub fn compare(from: &Cycle, to: &Cycle) -> Vec<Change> {
    let rating = |cycle: &Cycle, code: &str| cycle.rating(code).map(|r| r.rating);
    let mut changes: Vec<Change> = to
        .criteria
        .iter()
        .map(|code| {
            let (a, b) = (rating(from, code), rating(to, code));
            let delta = if !from.criteria.contains(code) {
                Delta::Added
            } else {
                match (a.and_then(Rating::rank), b.and_then(Rating::rank)) {
                    (Some(x), Some(y)) if y > x => Delta::Improved,
                    (Some(x), Some(y)) if y < x => Delta::Declined,
                    _ if a == b => Delta::Unchanged,
                    _ => Delta::Changed,
                }
            };
            Change {
                criterion: code.clone(),
                from: a,
                to: b,
                delta,
            }
        })
        .collect();
    changes.extend(
        from.criteria
            .iter()
            .filter(|code| !to.criteria.contains(code))
            .map(|code| Change {
                criterion: code.clone(),
                from: rating(from, code),
                to: None,
                delta: Delta::Removed,
            }),
    );
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agreement_stored_as_text_alone_reads_back_without_owner_or_due_time() {
        let old: Dialogue = serde_json::from_str(
            r#"{"date":"2025-11-12","participants":["SG"],"summary":"s",
                "agreements":["Vertrouwenspersonen bekendmaken"],"recorded_by":"x","record_time":1}"#,
        )
        .expect("an old dialogue");
        assert_eq!(
            old.agreements,
            [Agreement {
                text: "Vertrouwenspersonen bekendmaken".into(),
                owner: String::new(),
                due_time: None,
            }]
        );
        let new = Dialogue {
            agreements: vec![Agreement {
                text: "Risicoanalyse herhalen".into(),
                owner: "Karim El Idrissi".into(),
                due_time: Some(1_814_565_599_000_000),
            }],
            ..old
        };
        let back: Dialogue =
            serde_json::from_str(&serde_json::to_string(&new).expect("JSON")).expect("read back");
        assert_eq!(back, new);
    }

    #[test]
    fn agreements_come_with_owner_and_due_time_or_as_texts_alone() {
        let draft = |texts: &[&str], items: Vec<AgreementDraft>| DialogueDraft {
            date: "2026-11-12".into(),
            participants: vec!["SG".into()],
            summary: "Gesprek".into(),
            agreements: texts.iter().map(|t| (*t).to_owned()).collect(),
            agreement_items: items,
        };
        let item = |text: &str, owner: &str| AgreementDraft {
            text: text.into(),
            owner: owner.into(),
            due_time: Some(7),
        };
        let full = draft(&[], vec![item("A", "Karim"), item("B", "")])
            .validate()
            .expect("valid");
        assert_eq!(full.agreements[0].owner, "Karim");
        assert_eq!(full.agreements[0].due_time, Some(7));
        assert_eq!(full.agreements[1].owner, "");
        let texts = draft(&["A", "B"], Vec::new()).validate().expect("valid");
        assert_eq!(texts.agreements.len(), 2);
        assert!(
            texts
                .agreements
                .iter()
                .all(|a| a.owner.is_empty() && a.due_time.is_none())
        );
        // Read back and sent again: both, the texts matching.
        let echoed = draft(&["A"], vec![item("A", "Karim")])
            .validate()
            .expect("valid");
        assert_eq!(echoed.agreements.len(), 1);
        let fields = |e: Error| match e {
            Error::InvalidArgument { violations, .. } => {
                violations.into_iter().map(|v| v.field).collect::<Vec<_>>()
            }
            other => panic!("{other:?}"),
        };
        let differing = draft(&["X"], vec![item("A", "Karim")])
            .validate()
            .expect_err("the texts differ");
        assert_eq!(fields(differing), ["dialogue.agreements"]);
        let bad = draft(&[], vec![item("", "Karim"), item("B", "two\nlines")])
            .validate()
            .expect_err("no text, an owner on two lines");
        assert_eq!(
            fields(bad),
            [
                "dialogue.agreement_items[0].text",
                "dialogue.agreement_items[1].owner"
            ]
        );
    }

    fn rated(code: &str, rating: Rating) -> CriterionRating {
        CriterionRating {
            criterion: code.into(),
            rating,
            justification: String::new(),
            evidence: Vec::new(),
            maturity: Maturity::Unspecified,
            carried_over: false,
            rated_by: "anna".into(),
            rate_time: 1,
        }
    }

    fn cycle(criteria: &[&str], ratings: Vec<CriterionRating>) -> Cycle {
        Cycle {
            year: 2026,
            criteria_set: "s".into(),
            criteria: criteria.iter().map(|c| (*c).to_owned()).collect(),
            ratings,
            ..Cycle::default()
        }
    }

    #[test]
    fn ratings_change_only_in_self_assessment_and_only_for_known_criteria() {
        let mut c = cycle(&["A", "B"], Vec::new());
        assert_eq!(
            c.rate("submitted", "cases/x", rated("A", Rating::Met))
                .unwrap_err()
                .reason(),
            reason::STATE_FORBIDS_CHANGE
        );
        assert_eq!(
            c.rate("self_assessment", "cases/x", rated("Z", Rating::Met))
                .unwrap_err()
                .reason(),
            reason::UNKNOWN_CRITERION
        );
        c.rate("self_assessment", "cases/x", rated("B", Rating::NotMet))
            .unwrap();
        c.rate("self_assessment", "cases/x", rated("A", Rating::Met))
            .unwrap();
        assert_eq!(c.ratings[0].criterion, "A", "kept in criteria order");
        assert_eq!(c.unrated(), Vec::<String>::new());
        assert_eq!(c.unjustified(), vec!["B".to_owned()]);
    }

    #[test]
    fn carried_over_ratings_count_as_unrated_until_confirmed() {
        let last = cycle(
            &["A", "B", "OLD"],
            vec![rated("A", Rating::Met), rated("OLD", Rating::Met)],
        );
        let set = crate::domain::criteria::SetDraft {
            title: "t".into(),
            criteria: ["A", "B"]
                .iter()
                .map(|c| crate::domain::criteria::Criterion {
                    code: (*c).into(),
                    title_nl: "x".into(),
                    title_en: "x".into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
        .validate(0)
        .unwrap();
        let mut next = Cycle::open(2027, &set, Some(&last));
        assert_eq!(next.ratings.len(), 1, "only criteria the new set has");
        assert!(next.ratings[0].carried_over);
        assert_eq!(next.unrated(), vec!["A".to_owned(), "B".to_owned()]);
        next.rate("self_assessment", "c", rated("A", Rating::Met))
            .unwrap();
        assert_eq!(next.unrated(), vec!["B".to_owned()]);
    }

    #[test]
    fn compare_orders_the_scale_and_sets_not_applicable_apart() {
        let a = cycle(
            &["A", "B", "C", "D", "GONE"],
            vec![
                rated("A", Rating::NotMet),
                rated("B", Rating::Met),
                rated("C", Rating::PartiallyMet),
                rated("D", Rating::Met),
            ],
        );
        let b = cycle(
            &["A", "B", "C", "D", "NEW"],
            vec![
                rated("A", Rating::PartiallyMet),
                rated("B", Rating::PartiallyMet),
                rated("C", Rating::PartiallyMet),
                rated("D", Rating::NotApplicable),
            ],
        );
        let deltas: Vec<(String, Delta)> = compare(&a, &b)
            .into_iter()
            .map(|c| (c.criterion, c.delta))
            .collect();
        assert_eq!(
            deltas,
            vec![
                ("A".into(), Delta::Improved),
                ("B".into(), Delta::Declined),
                ("C".into(), Delta::Unchanged),
                ("D".into(), Delta::Changed),
                ("NEW".into(), Delta::Added),
                ("GONE".into(), Delta::Removed),
            ]
        );
    }

    #[test]
    fn a_dialogue_needs_a_date_a_participant_and_a_summary() {
        let Err(Error::InvalidArgument { violations, .. }) = DialogueDraft::default().validate()
        else {
            panic!("expected invalid");
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["dialogue.date", "dialogue.summary", "dialogue.participants"]
        );
    }
}
