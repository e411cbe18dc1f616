//! `regie.v1.AssessmentService`: translates between `regie.v1` messages and the assessment use
//! cases (`app::assessment`): criteria sets (toetsingskader), opening a year's assessment
//! cycles, ratings, the yearly dialogue, and the reports over cycles (rollup, year-on-year).

use std::sync::Arc;

use regie_proto::v1::{self, assessment_service_server::AssessmentService};
use tonic::{Request, Response, Status};

use super::cases::{case_id, case_message, case_messages};
use super::convert;
use crate::api::access::caller;
use crate::app::App;
use crate::app::assessment::op;
use crate::domain::cases::cycle::{self, AgreementDraft, DialogueDraft, RatingDraft};
use crate::domain::criteria::{CriteriaSetId, SetDraft, SetPatch};
use crate::domain::directory::DepartmentCode;
use crate::domain::error::Error;
use crate::domain::mask;
use crate::rpc::status::{name_error, reply, to_status};

pub struct AssessmentApi {
    app: Arc<App>,
}

impl AssessmentApi {
    pub fn new(app: Arc<App>) -> Self {
        Self { app }
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
                let set = self
                    .app
                    .create_criteria_set(set_draft(given), &r.copy_from)
                    .await?;
                Ok(convert::criteria_set(set))
            }
            .await,
        )
    }

    async fn get_criteria_set(
        &self,
        request: Request<v1::GetCriteriaSetRequest>,
    ) -> Result<Response<v1::CriteriaSet>, Status> {
        let r = request.into_inner();
        reply(
            async {
                Ok(convert::criteria_set(
                    self.app.criteria_set("name", &r.name).await?,
                ))
            }
            .await,
        )
    }

    async fn list_criteria_sets(
        &self,
        request: Request<v1::ListCriteriaSetsRequest>,
    ) -> Result<Response<v1::ListCriteriaSetsResponse>, Status> {
        let r = request.into_inner();
        reply(
            async {
                let page = self.app.list_criteria_sets(list_params!(r)).await?;
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
                let set = self.app.update_criteria_set(id, etag, patch).await?;
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
        reply(
            self.app
                .publish_criteria_set(&r.name, r.etag)
                .await
                .map(convert::criteria_set),
        )
    }

    async fn retire_criteria_set(
        &self,
        request: Request<v1::RetireCriteriaSetRequest>,
    ) -> Result<Response<v1::CriteriaSet>, Status> {
        let r = request.into_inner();
        reply(
            self.app
                .retire_criteria_set(&r.name, r.etag)
                .await
                .map(convert::criteria_set),
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
                let requested = r
                    .departments
                    .iter()
                    .enumerate()
                    .map(|(i, name)| DepartmentCode::from_name(&format!("departments[{i}]"), name))
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|v| Error::invalid_fields(vec![v]))?;
                let opened = self
                    .app
                    .open_cycles(&caller, r.year, &r.criteria_set, &requested, r.carry_over)
                    .await?;
                Ok(v1::OpenCyclesResponse {
                    opened: case_messages(&self.app, opened.opened).await?,
                    existing: case_messages(&self.app, opened.existing).await?,
                })
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
                let request_key = super::request_key(&r, &r.request_id)?;
                let id = case_id("cycle", &r.cycle)?;
                let given = r.rating.ok_or_else(|| missing_field("rating"))?;
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
                };
                let rating = self
                    .app
                    .rate_criterion(&caller, id, rating, r.etag, request_key)
                    .await?;
                Ok(convert::criterion_rating(&rating))
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
                let (_, cycle) = self
                    .app
                    .read_cycle(&caller, op::RATINGS, "cycle", &r.cycle)
                    .await?;
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
                let request_key = super::request_key(&r, &r.request_id)?;
                let id = case_id("cycle", &r.cycle)?;
                let given = r.dialogue.ok_or_else(|| missing_field("dialogue"))?;
                let mut agreement_items = Vec::with_capacity(given.agreement_items.len());
                for (i, a) in given.agreement_items.into_iter().enumerate() {
                    let field = format!("dialogue.agreement_items[{i}].due_time");
                    let due_time = match a.due_time.as_ref() {
                        None => None,
                        Some(t) => Some(
                            convert::micros(t)
                                .ok_or_else(|| Error::invalid_field(field, "is out of range"))?,
                        ),
                    };
                    agreement_items.push(AgreementDraft {
                        text: a.text,
                        owner: a.owner,
                        due_time,
                    });
                }
                let dialogue = DialogueDraft {
                    date: given.date,
                    participants: given.participants,
                    summary: given.summary,
                    agreements: given.agreements,
                    agreement_items,
                };
                let case = self
                    .app
                    .record_dialogue(&caller, id, dialogue, r.etag, request_key)
                    .await?;
                case_message(&self.app, case, None).await
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
                let rollup = self.app.rollup(&caller, r.year, &r.criteria_set).await?;
                Ok(convert::rollup(r.year, rollup))
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
                let comparison = self
                    .app
                    .compare_years(&caller, code, r.from_year, r.to_year)
                    .await?;
                let changes = comparison.changes;
                let count =
                    |d: cycle::Delta| changes.iter().filter(|c| c.delta == d).count() as i32;
                Ok(v1::CompareYearsResponse {
                    department: comparison.department.name(),
                    from_cycle: comparison.from_cycle.name(),
                    to_cycle: comparison.to_cycle.name(),
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
