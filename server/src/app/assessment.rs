//! Use cases of the yearly assessment: criteria sets (toetsingskader), opening a year's cycles,
//! ratings, the dialogue, and the reports over cycles (rollup, year-on-year).
//!
//! Ratings and dialogues are case records: they go through the case write path, so each is an
//! event in the cycle's hash chain, checked inside the write against the cycle as it is then.

use std::collections::{BTreeMap, HashMap};

use super::App;
use super::references::{all_cases, sector_rijk_scope};
use crate::authz::Caller;
use crate::domain::Result;
use crate::domain::access::Need;
use crate::domain::cases::command::Record;
use crate::domain::cases::cycle::{self, CriterionRating, Cycle, DialogueDraft, RatingDraft};
use crate::domain::cases::draft::NewCase;
use crate::domain::cases::model::now;
use crate::domain::cases::{Case, CaseId, Command, Details};
use crate::domain::criteria::{CriteriaSet, CriteriaSetId, SetDraft, SetPatch};
use crate::domain::directory::DepartmentCode;
use crate::domain::error::Error;
use crate::domain::limits::MAX_NAME_CHARS;
use crate::domain::listing::{ListParams, ListQuery, Page};
use crate::domain::request::RequestKey;

/// The operations of this family, as their RPCs' full paths (named in denials).
pub mod op {
    pub const OPEN_CYCLES: &str = "/regie.v1.AssessmentService/OpenCycles";
    pub const RATE: &str = "/regie.v1.AssessmentService/RateCriterion";
    pub const RATINGS: &str = "/regie.v1.AssessmentService/ListRatings";
    pub const DIALOGUE: &str = "/regie.v1.AssessmentService/RecordDialogue";
    pub const COMPARE: &str = "/regie.v1.AssessmentService/CompareYears";
}

/// What opening a year's cycles did: the cycles opened now, and those that existed already.
#[derive(Debug, Default)]
pub struct Opened {
    pub opened: Vec<Case>,
    pub existing: Vec<Case>,
}

/// Two years of one department side by side.
#[derive(Debug)]
pub struct Comparison {
    pub department: DepartmentCode,
    pub from_cycle: Case,
    pub to_cycle: Case,
    pub changes: Vec<cycle::Change>,
}

impl App {
    /// A new criteria set, with the criteria given or copied from the set `copy_from` names.
    pub async fn create_criteria_set(
        &self,
        mut draft: SetDraft,
        copy_from: &str,
    ) -> Result<CriteriaSet> {
        if !copy_from.is_empty() {
            if !draft.criteria.is_empty() {
                return Err(Error::invalid_field(
                    "copy_from",
                    "give either criteria or a set to copy them from, not both",
                ));
            }
            draft.criteria = self.criteria_set("copy_from", copy_from).await?.criteria;
        }
        let set = draft.validate(now())?;
        self.store.create_criteria_set(set).await
    }

    /// The set `name` names (`field` is the request field, for the error).
    pub async fn criteria_set(&self, field: &str, name: &str) -> Result<CriteriaSet> {
        let id = CriteriaSetId::from_name(field, name).map_err(crate::domain::error::name_error)?;
        self.store.get_criteria_set(&id).await
    }

    pub async fn list_criteria_sets(&self, params: ListParams<'_>) -> Result<Page<CriteriaSet>> {
        let query = ListQuery::parse(&CriteriaSet::LIST, params, &self.page_key)?;
        self.store.list_criteria_sets(&query).await
    }

    /// Changes a draft set's fields, if `etag` (when given) is current.
    pub async fn update_criteria_set(
        &self,
        id: CriteriaSetId,
        etag: String,
        patch: SetPatch,
    ) -> Result<CriteriaSet> {
        self.store
            .update_criteria_set(&id, Box::new(move |set| set.update(&etag, patch, now())))
            .await
    }

    /// Publishes a draft set: from now on it is immutable and cycles may use it.
    pub async fn publish_criteria_set(&self, name: &str, etag: String) -> Result<CriteriaSet> {
        let id =
            CriteriaSetId::from_name("name", name).map_err(crate::domain::error::name_error)?;
        self.store
            .update_criteria_set(&id, Box::new(move |set| set.publish(&etag, now())))
            .await
    }

    /// Retires a published set: no new cycles use it.
    pub async fn retire_criteria_set(&self, name: &str, etag: String) -> Result<CriteriaSet> {
        let id =
            CriteriaSetId::from_name("name", name).map_err(crate::domain::error::name_error)?;
        self.store
            .update_criteria_set(&id, Box::new(move |set| set.retire(&etag, now())))
            .await
    }

    /// Opens `year`'s cycle against `set` for each department requested (each in the sector
    /// Rijk), or for every active department in the sector Rijk; one per department and year
    /// (the cycle's id holds the rule). With `carry_over`, last year's ratings come along.
    pub async fn open_cycles(
        &self,
        caller: &Caller,
        year: i32,
        set_name: &str,
        requested: &[DepartmentCode],
        carry_over: bool,
    ) -> Result<Opened> {
        let year = checked_year("year", year)?;
        let set = self.criteria_set("criteria_set", set_name).await?;
        set.require_published()?;
        let store = self.store.as_ref();
        let departments = sector_rijk_scope(store, "departments", "departments", requested).await?;
        // Last year's cycles, by department (the newest if there are several).
        let mut last_year: HashMap<String, (i64, Cycle)> = HashMap::new();
        if carry_over {
            for case in all_cases(store, "kind = \"assessment_cycle\"").await? {
                if let (Details::AssessmentCycle(c), Some(d)) = (&case.details, &case.department)
                    && c.year == year - 1
                    && last_year.get(d).is_none_or(|(t, _)| *t < case.create_time)
                {
                    last_year.insert(d.clone(), (case.create_time, c.clone()));
                }
            }
        }
        let mut result = Opened::default();
        for department in departments {
            let id = cycle::cycle_id(year, &department, set.id.as_str())?;
            if let Ok(existing) = store.get_case(&id).await {
                result.existing.push(existing);
                continue;
            }
            let carried = last_year.get(&department).map(|(_, c)| c);
            let new = NewCase {
                kind: "assessment_cycle".to_owned(),
                title: fit(format!("Toetsing {year} {department}: {}", set.title)),
                description: String::new(),
                department: DepartmentCode::parse("department", &department).ok(),
                working_group: None,
                assignee: String::new(),
                labels: Vec::new(),
                due_time: None,
                parent: None,
                details: Details::AssessmentCycle(Cycle::open(year, &set, carried)),
            };
            let write = super::Write {
                case_id: id.clone(),
                command: Command::Create {
                    id: id.clone(),
                    case: new,
                },
                request_id: RequestKey::none(),
                operation: op::OPEN_CYCLES,
                check: false,
            };
            match self.write(caller, write).await {
                Ok(executed) => result.opened.push(executed.case),
                // Another call opened it meanwhile: the rule holds, and it is existing.
                Err(Error::AlreadyExists { .. }) => {
                    result.existing.push(store.get_case(&id).await?)
                }
                Err(e) => return Err(e),
            }
        }
        Ok(result)
    }

    /// Rates one criterion of a cycle in self-assessment; returns the rating as recorded.
    pub async fn rate_criterion(
        &self,
        caller: &Caller,
        id: CaseId,
        draft: RatingDraft,
        etag: String,
        request_id: RequestKey,
    ) -> Result<CriterionRating> {
        let rating = draft.validate()?;
        let criterion = rating.criterion.clone();
        let case = self
            .record(
                caller,
                op::RATE,
                id,
                etag,
                request_id,
                Record::Rating(rating),
            )
            .await?;
        match &case.details {
            Details::AssessmentCycle(c) => c
                .rating(criterion.trim())
                .cloned()
                .ok_or_else(|| Error::internal("the rating was not recorded")),
            _ => Err(Error::internal("a cycle lost its details")),
        }
    }

    /// The cycle `name` names, if the caller may read it (as `operation`), with its details.
    pub async fn read_cycle(
        &self,
        caller: &Caller,
        operation: &str,
        field: &str,
        name: &str,
    ) -> Result<(Case, Cycle)> {
        let id = CaseId::from_name(field, name).map_err(crate::domain::error::name_error)?;
        let case = self.read_case(caller, operation, &id).await?;
        match case.details.clone() {
            Details::AssessmentCycle(c) => Ok((case, c)),
            _ => Err(Error::invalid_fields(vec![cycle::not_a_cycle(field, name)])),
        }
    }

    /// Records the yearly dialogue of a cycle.
    pub async fn record_dialogue(
        &self,
        caller: &Caller,
        id: CaseId,
        draft: DialogueDraft,
        etag: String,
        request_id: RequestKey,
    ) -> Result<Case> {
        let dialogue = draft.validate()?;
        self.record(
            caller,
            op::DIALOGUE,
            id,
            etag,
            request_id,
            Record::Dialogue(dialogue),
        )
        .await
    }

    /// The matrix of `year`'s cycles the caller may read (against one set, when given), with
    /// the sets they use.
    pub async fn rollup(
        &self,
        caller: &Caller,
        year: i32,
        set_name: &str,
    ) -> Result<cycle::Rollup> {
        let year = checked_year("year", year)?;
        let only_set = if set_name.is_empty() {
            None
        } else {
            Some(self.criteria_set("criteria_set", set_name).await?.id)
        };
        let cycles = self
            .readable_cycles(caller, "kind = \"assessment_cycle\"", |c| {
                c.year == year
                    && only_set
                        .as_ref()
                        .is_none_or(|s| s.as_str() == c.criteria_set)
            })
            .await?;
        let mut sets = BTreeMap::new();
        for (_, c) in &cycles {
            if !sets.contains_key(&c.criteria_set) {
                let set = self
                    .criteria_set("criteria_set", &format!("criteriaSets/{}", c.criteria_set))
                    .await?;
                sets.insert(c.criteria_set.clone(), set);
            }
        }
        let sets: Vec<CriteriaSet> = sets.into_values().collect();
        Ok(cycle::rollup(&cycles, &sets))
    }

    /// A department's newest cycle of `from_year` against its newest of `to_year`.
    pub async fn compare_years(
        &self,
        caller: &Caller,
        department: DepartmentCode,
        from_year: i32,
        to_year: i32,
    ) -> Result<Comparison> {
        let (from_year, to_year) = (
            checked_year("from_year", from_year)?,
            checked_year("to_year", to_year)?,
        );
        let need = Need::on_case("assessment_cycle", Some(department.as_str()), "read");
        self.access.require(caller, op::COMPARE, &need).await?;
        let filter = format!(
            "kind = \"assessment_cycle\" AND department = \"{}\"",
            department.name()
        );
        let cycles = self
            .readable_cycles(caller, &filter, |c| {
                c.year == from_year || c.year == to_year
            })
            .await?;
        // The newest cycle of each year.
        let newest = |y: i32| {
            cycles
                .iter()
                .filter(|(_, c)| c.year == y)
                .max_by_key(|(case, _)| case.create_time)
                .ok_or_else(|| {
                    Error::not_found(format!(
                        "an assessment cycle of {} in {y}",
                        department.name()
                    ))
                })
        };
        let (from_case, from) = newest(from_year)?;
        let (to_case, to) = newest(to_year)?;
        Ok(Comparison {
            changes: cycle::compare(from, to),
            from_cycle: from_case.clone(),
            to_cycle: to_case.clone(),
            department,
        })
    }

    /// Every cycle matching `filter` and `keep` that the caller may read.
    async fn readable_cycles(
        &self,
        caller: &Caller,
        filter: &str,
        keep: impl Fn(&Cycle) -> bool,
    ) -> Result<Vec<(Case, Cycle)>> {
        let mut cycles = Vec::new();
        for case in all_cases(self.store.as_ref(), filter).await? {
            let Details::AssessmentCycle(c) = &case.details else {
                continue;
            };
            if keep(c)
                && self
                    .may_read(caller, &case.kind, case.department.as_deref())
                    .await
            {
                let c = c.clone();
                cycles.push((case, c));
            }
        }
        Ok(cycles)
    }
}

/// A year from 2000 to 2100.
fn checked_year(field: &str, year: i32) -> Result<i32> {
    if (2000..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(Error::invalid_field(
            field,
            format!("{year} is not a year from 2000 to 2100"),
        ))
    }
}

/// Cuts a title to what a case title may hold.
fn fit(title: String) -> String {
    if title.chars().count() <= MAX_NAME_CHARS {
        title
    } else {
        title.chars().take(MAX_NAME_CHARS).collect()
    }
}
