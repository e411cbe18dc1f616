//! `regie.v1.AssessmentService`: criteria sets (toetsingskader), opening a year's assessment
//! cycles, ratings, the yearly dialogue, and the reports over cycles (rollup, year-on-year).
//!
//! Ratings and dialogues are case records: they go through the case write path (`CaseApi`), so
//! each is an event in the cycle's hash chain, checked inside the write against the cycle as it
//! is then.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use regie_proto::v1::{self, assessment_service_server::AssessmentService};
use tonic::{Request, Response, Status};

use super::cases::{Action, CaseApi, case_id, need};
use super::convert;
use super::references::{all_cases, sector_rijk_scope};
use super::status::{name_error, reply, to_status};
use crate::api::access::caller;
use crate::app::App;
use crate::domain::cases::cycle::{self, Cycle, DialogueDraft, RatingDraft};
use crate::domain::cases::draft::NewCase;
use crate::domain::cases::model::now;
use crate::domain::cases::{Case, Command, Details, command::Record};
use crate::domain::criteria::{CriteriaSet, CriteriaSetId, SetDraft, SetPatch};
use crate::domain::directory::DepartmentCode;
use crate::domain::error::Error;
use crate::domain::limits::MAX_NAME_CHARS;
use crate::domain::listing::ListQuery;
use crate::domain::{Result, mask};
use crate::store::SetChange;

const SERVICE: &str = "/regie.v1.AssessmentService/";

fn method(name: &str) -> String {
    format!("{SERVICE}{name}")
}

pub struct AssessmentApi {
    app: Arc<App>,
    cases: CaseApi,
}

impl AssessmentApi {
    pub fn new(app: Arc<App>) -> Self {
        Self {
            cases: CaseApi::new(app.clone()),
            app,
        }
    }

    async fn set(&self, field: &str, name: &str) -> Result<CriteriaSet> {
        let id = CriteriaSetId::from_name(field, name).map_err(name_error)?;
        self.app.store.get_criteria_set(&id).await
    }

    /// Applies `change` to the named set inside the store's transaction.
    async fn change_set(&self, name: &str, change: SetChange) -> Result<v1::CriteriaSet> {
        let id = CriteriaSetId::from_name("name", name).map_err(name_error)?;
        let set = self.app.store.update_criteria_set(&id, change).await?;
        Ok(convert::criteria_set(set))
    }

    /// The cycle named, read and checked for `read`, with its details.
    async fn cycle(
        &self,
        caller: &crate::authz::Caller,
        rpc: &str,
        name: &str,
    ) -> Result<(Case, Cycle)> {
        let id = case_id("cycle", name)?;
        let case = self
            .cases
            .authorized(caller, &method(rpc), &id, "read")
            .await?;
        match case.details.clone() {
            Details::AssessmentCycle(c) => Ok((case, c)),
            _ => Err(Error::invalid_fields(vec![cycle::not_a_cycle(
                "cycle", name,
            )])),
        }
    }

    /// Every cycle of `year` (optionally against one set) that the caller may read.
    async fn readable_cycles(
        &self,
        caller: &crate::authz::Caller,
        filter: &str,
        keep: impl Fn(&Cycle) -> bool,
    ) -> Result<Vec<(Case, Cycle)>> {
        let mut cycles = Vec::new();
        for case in all_cases(self.app.store.as_ref(), filter).await? {
            let Details::AssessmentCycle(c) = &case.details else {
                continue;
            };
            if keep(c)
                && self
                    .app
                    .access
                    .allowed(
                        caller.subject(),
                        &need(&case.kind, case.department.as_deref(), "read"),
                    )
                    .await
            {
                let c = c.clone();
                cycles.push((case, c));
            }
        }
        Ok(cycles)
    }
}

fn set_draft(s: v1::CriteriaSet) -> SetDraft {
    SetDraft {
        title: s.title,
        description: s.description,
        criteria: s
            .criteria
            .into_iter()
            .map(convert::criterion_from)
            .collect(),
    }
}

fn year(field: &str, year: i32) -> Result<i32> {
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

#[tonic::async_trait]
impl AssessmentService for AssessmentApi {
    async fn create_criteria_set(
        &self,
        request: Request<v1::CreateCriteriaSetRequest>,
    ) -> Result<Response<v1::CriteriaSet>, Status> {
        let r = request.into_inner();
        reply(
            async {
                let given = r
                    .criteria_set
                    .ok_or_else(|| Error::invalid_field("criteria_set", "is required"))?;
                let mut draft = set_draft(given);
                if !r.copy_from.is_empty() {
                    if !draft.criteria.is_empty() {
                        return Err(Error::invalid_field(
                            "copy_from",
                            "give either criteria or a set to copy them from, not both",
                        ));
                    }
                    draft.criteria = self.set("copy_from", &r.copy_from).await?.criteria;
                }
                let set = draft.validate(now())?;
                Ok(convert::criteria_set(
                    self.app.store.create_criteria_set(set).await?,
                ))
            }
            .await,
        )
    }

    async fn get_criteria_set(
        &self,
        request: Request<v1::GetCriteriaSetRequest>,
    ) -> Result<Response<v1::CriteriaSet>, Status> {
        let r = request.into_inner();
        reply(async { Ok(convert::criteria_set(self.set("name", &r.name).await?)) }.await)
    }

    async fn list_criteria_sets(
        &self,
        request: Request<v1::ListCriteriaSetsRequest>,
    ) -> Result<Response<v1::ListCriteriaSetsResponse>, Status> {
        let r = request.into_inner();
        reply(
            async {
                let query = ListQuery::parse(&CriteriaSet::LIST, list_params!(r))?;
                let page = self.app.store.list_criteria_sets(&query).await?;
                Ok(v1::ListCriteriaSetsResponse {
                    criteria_sets: page.items.into_iter().map(convert::criteria_set).collect(),
                    next_page_token: page.next_page_token,
                })
            }
            .await,
        )
    }

    async fn update_criteria_set(
        &self,
        request: Request<v1::UpdateCriteriaSetRequest>,
    ) -> Result<Response<v1::CriteriaSet>, Status> {
        let r = request.into_inner();
        let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
        reply(
            async {
                let given = r
                    .criteria_set
                    .ok_or_else(|| missing_field("criteria_set"))?;
                let id = CriteriaSetId::from_name("criteria_set.name", &given.name)
                    .map_err(name_error)?;
                let fields = mask::parse(&paths, SetPatch::UPDATABLE)?;
                let has = |f: &str| fields.contains(&f);
                let etag = given.etag.clone();
                let draft = set_draft(given);
                let patch = SetPatch {
                    title: has("title").then_some(draft.title),
                    description: has("description").then_some(draft.description),
                    criteria: has("criteria").then_some(draft.criteria),
                };
                let set = self
                    .app
                    .store
                    .update_criteria_set(&id, Box::new(move |set| set.update(&etag, patch, now())))
                    .await?;
                Ok(convert::criteria_set(set))
            }
            .await,
        )
    }

    async fn publish_criteria_set(
        &self,
        request: Request<v1::PublishCriteriaSetRequest>,
    ) -> Result<Response<v1::CriteriaSet>, Status> {
        let r = request.into_inner();
        let etag = r.etag;
        reply(
            self.change_set(&r.name, Box::new(move |set| set.publish(&etag, now())))
                .await,
        )
    }

    async fn retire_criteria_set(
        &self,
        request: Request<v1::RetireCriteriaSetRequest>,
    ) -> Result<Response<v1::CriteriaSet>, Status> {
        let r = request.into_inner();
        let etag = r.etag;
        reply(
            self.change_set(&r.name, Box::new(move |set| set.retire(&etag, now())))
                .await,
        )
    }

    async fn open_cycles(
        &self,
        request: Request<v1::OpenCyclesRequest>,
    ) -> Result<Response<v1::OpenCyclesResponse>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let year = year("year", r.year)?;
                let set = self.set("criteria_set", &r.criteria_set).await?;
                set.require_published()?;
                let requested = r
                    .departments
                    .iter()
                    .enumerate()
                    .map(|(i, name)| DepartmentCode::from_name(&format!("departments[{i}]"), name))
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|v| Error::invalid_fields(vec![v]))?;
                let store = self.app.store.as_ref();
                let departments =
                    sector_rijk_scope(store, "departments", "departments", &requested).await?;
                // Last year's cycles, by department (the newest if there are several).
                let mut last_year: HashMap<String, (i64, Cycle)> = HashMap::new();
                if r.carry_over {
                    for case in all_cases(store, "kind = \"assessment_cycle\"").await? {
                        if let (Details::AssessmentCycle(c), Some(d)) =
                            (&case.details, &case.department)
                            && c.year == year - 1
                            && last_year.get(d).is_none_or(|(t, _)| *t < case.create_time)
                        {
                            last_year.insert(d.clone(), (case.create_time, c.clone()));
                        }
                    }
                }
                let mut response = v1::OpenCyclesResponse::default();
                for department in departments {
                    let id = cycle::cycle_id(year, &department, set.id.as_str())?;
                    if let Ok(existing) = store.get_case(&id).await {
                        response.existing.push(convert::case(existing));
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
                    let command = Command::Create {
                        id: id.clone(),
                        case: new,
                    };
                    match self
                        .cases
                        .execute(
                            &caller,
                            id.clone(),
                            command,
                            String::new(),
                            "OpenCycles",
                            None,
                        )
                        .await
                    {
                        Ok(executed) => response.opened.push(convert::case(executed.case)),
                        // Another call opened it meanwhile: the rule holds, and it is existing.
                        Err(Error::AlreadyExists { .. }) => {
                            response
                                .existing
                                .push(convert::case(store.get_case(&id).await?));
                        }
                        Err(e) => return Err(e),
                    }
                }
                Ok(response)
            }
            .await,
        )
    }

    async fn rate_criterion(
        &self,
        request: Request<v1::RateCriterionRequest>,
    ) -> Result<Response<v1::CriterionRating>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let id = case_id("cycle", &r.cycle)?;
                let given = r.rating.ok_or_else(|| missing_field("rating"))?;
                let criterion = given.criterion.clone();
                let rating = RatingDraft {
                    criterion: given.criterion,
                    rating: convert::rating_from(given.rating),
                    justification: given.justification,
                    evidence: given
                        .evidence
                        .into_iter()
                        .map(convert::evidence_from)
                        .collect(),
                    maturity: convert::maturity_from(given.maturity),
                }
                .validate()?;
                let authorize = self.cases.authorize(
                    &caller,
                    method("RateCriterion"),
                    Action::Fixed("rate"),
                    None,
                );
                let case = self
                    .cases
                    .record(
                        &caller,
                        "RateCriterion",
                        id,
                        r.etag,
                        r.request_id,
                        Record::Rating(rating),
                        authorize,
                    )
                    .await?;
                match &case.details {
                    Details::AssessmentCycle(c) => c
                        .rating(criterion.trim())
                        .map(convert::criterion_rating)
                        .ok_or_else(|| Error::internal("the rating was not recorded")),
                    _ => Err(Error::internal("a cycle lost its details")),
                }
            }
            .await,
        )
    }

    async fn list_ratings(
        &self,
        request: Request<v1::ListRatingsRequest>,
    ) -> Result<Response<v1::ListRatingsResponse>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let (_, cycle) = self.cycle(&caller, "ListRatings", &r.cycle).await?;
                Ok(v1::ListRatingsResponse {
                    ratings: cycle
                        .ratings
                        .iter()
                        .map(convert::criterion_rating)
                        .collect(),
                    unrated: cycle
                        .criteria
                        .iter()
                        .filter(|c| cycle.rating(c).is_none())
                        .cloned()
                        .collect(),
                })
            }
            .await,
        )
    }

    async fn record_dialogue(
        &self,
        request: Request<v1::RecordDialogueRequest>,
    ) -> Result<Response<v1::Case>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let id = case_id("cycle", &r.cycle)?;
                let given = r.dialogue.ok_or_else(|| missing_field("dialogue"))?;
                let dialogue = DialogueDraft {
                    date: given.date,
                    participants: given.participants,
                    summary: given.summary,
                    agreements: given.agreements,
                }
                .validate()?;
                let authorize = self.cases.authorize(
                    &caller,
                    method("RecordDialogue"),
                    Action::Fixed("update"),
                    None,
                );
                let case = self
                    .cases
                    .record(
                        &caller,
                        "RecordDialogue",
                        id,
                        r.etag,
                        r.request_id,
                        Record::Dialogue(dialogue),
                        authorize,
                    )
                    .await?;
                Ok(convert::case(case))
            }
            .await,
        )
    }

    async fn get_rollup(
        &self,
        request: Request<v1::GetRollupRequest>,
    ) -> Result<Response<v1::Rollup>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let year = year("year", r.year)?;
                let only_set = if r.criteria_set.is_empty() {
                    None
                } else {
                    Some(self.set("criteria_set", &r.criteria_set).await?.id)
                };
                let cycles = self
                    .readable_cycles(&caller, "kind = \"assessment_cycle\"", |c| {
                        c.year == year
                            && only_set
                                .as_ref()
                                .is_none_or(|s| s.as_str() == c.criteria_set)
                    })
                    .await?;
                let mut sets = BTreeMap::new();
                for (_, c) in &cycles {
                    if !sets.contains_key(&c.criteria_set) {
                        let id = CriteriaSetId::from_name(
                            "criteria_set",
                            &format!("criteriaSets/{}", c.criteria_set),
                        )
                        .map_err(name_error)?;
                        sets.insert(
                            c.criteria_set.clone(),
                            self.app.store.get_criteria_set(&id).await?,
                        );
                    }
                }
                let sets: Vec<CriteriaSet> = sets.into_values().collect();
                Ok(convert::rollup(year, cycle::rollup(&cycles, &sets)))
            }
            .await,
        )
    }

    async fn compare_years(
        &self,
        request: Request<v1::CompareYearsRequest>,
    ) -> Result<Response<v1::CompareYearsResponse>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let code =
                    DepartmentCode::from_name("department", &r.department).map_err(name_error)?;
                let (from_year, to_year) =
                    (year("from_year", r.from_year)?, year("to_year", r.to_year)?);
                self.app
                    .access
                    .require(
                        &caller,
                        &method("CompareYears"),
                        &need("assessment_cycle", Some(code.as_str()), "read"),
                    )
                    .await?;
                let filter = format!(
                    "kind = \"assessment_cycle\" AND department = \"{}\"",
                    code.name()
                );
                let cycles = self
                    .readable_cycles(&caller, &filter, |c| {
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
                                code.name()
                            ))
                        })
                };
                let (from_case, from) = newest(from_year)?;
                let (to_case, to) = newest(to_year)?;
                let changes = cycle::compare(from, to);
                let count =
                    |d: cycle::Delta| changes.iter().filter(|c| c.delta == d).count() as i32;
                Ok(v1::CompareYearsResponse {
                    department: code.name(),
                    from_cycle: from_case.name(),
                    to_cycle: to_case.name(),
                    improved: count(cycle::Delta::Improved),
                    declined: count(cycle::Delta::Declined),
                    unchanged: count(cycle::Delta::Unchanged),
                    changes: changes
                        .into_iter()
                        .map(|c| v1::RatingChange {
                            criterion: c.criterion,
                            from_rating: convert::rating_value(c.from),
                            to_rating: convert::rating_value(c.to),
                            delta: convert::delta(c.delta),
                        })
                        .collect(),
                })
            }
            .await,
        )
    }
}

fn missing_field(field: &str) -> Error {
    Error::invalid_field(field, "is required")
}
