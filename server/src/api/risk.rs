//! `regie.v1.RiskService`: translates between `regie.v1` messages and the risk use cases
//! (`app::risks`): the register of an integrity risk analysis and its heat map.

use std::sync::Arc;

use regie_proto::v1::{self, risk_service_server::RiskService};
use tonic::{Request, Response, Status};

use super::cases::case_id;
use super::convert;
use crate::api::access::caller;
use crate::app::App;
use crate::app::risks::{analysis, op};
use crate::domain::cases::CaseId;
use crate::domain::cases::risk::RiskFields;
use crate::domain::error::{Error, reason};
use crate::domain::{Result, mask};
use crate::rpc::status::{reply, to_status};

pub struct RiskApi {
    app: Arc<App>,
}

impl RiskApi {
    pub fn new(app: Arc<App>) -> Self {
        Self { app }
    }
}

/// Parses `cases/{id}/risks/{n}`.
fn risk_name(name: &str) -> Result<(CaseId, u32)> {
    let bad = || {
        Error::invalid(
            reason::INVALID_NAME,
            "risk.name",
            format!("{name:?} is not a risk name of the form `cases/{{id}}/risks/{{n}}`"),
        )
    };
    let (case, number) = name.rsplit_once("/risks/").ok_or_else(bad)?;
    let id = CaseId::from_name("risk.name", case).map_err(|_| bad())?;
    let number = number
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(bad)?;
    Ok((id, number))
}

#[tonic::async_trait]
impl RiskService for RiskApi {
    async fn add_risk(
        &self,
        request: Request<v1::AddRiskRequest>,
    ) -> Result<Response<v1::Risk>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let request_key = super::request_key(&r, &r.request_id)?;
                let id = case_id("analysis", &r.analysis)?;
                let risk = r
                    .risk
                    .ok_or_else(|| Error::invalid_field("risk", "is required"))?;
                let fields = RiskFields {
                    title: Some(risk.title),
                    category: Some(convert::category_from(risk.category)),
                    process: Some(convert::process_from(risk.process)),
                    likelihood: Some(risk.likelihood),
                    impact: Some(risk.impact),
                    mitigation: Some(risk.mitigation),
                    owner: Some(risk.owner),
                    // Unspecified: a new risk is open.
                    status: (risk.status != 0).then(|| convert::status_from(risk.status)),
                };
                let (case, number) = self
                    .app
                    .add_risk(&caller, id, fields, r.etag, request_key)
                    .await?;
                let a = analysis(&case)?;
                a.risk(number)
                    .map(|risk| convert::risk(&case.name(), a, risk))
                    .ok_or_else(|| Error::internal("the risk was not added"))
            }
            .await,
        )
    }

    async fn update_risk(
        &self,
        request: Request<v1::UpdateRiskRequest>,
    ) -> Result<Response<v1::Risk>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        let request_key = super::request_key(&r, &r.request_id);
        let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
        reply(
            async {
                let request_key = request_key?;
                let risk = r
                    .risk
                    .ok_or_else(|| Error::invalid_field("risk", "is required"))?;
                let (id, number) = risk_name(&risk.name)?;
                let f = mask::parse(&paths, RiskFields::UPDATABLE)?;
                let has = |name: &str| f.contains(&name);
                let fields = RiskFields {
                    title: has("title").then_some(risk.title),
                    category: has("category").then(|| convert::category_from(risk.category)),
                    process: has("process").then(|| convert::process_from(risk.process)),
                    likelihood: has("likelihood").then_some(risk.likelihood),
                    impact: has("impact").then_some(risk.impact),
                    mitigation: has("mitigation").then_some(risk.mitigation),
                    owner: has("owner").then_some(risk.owner),
                    status: has("status").then(|| convert::status_from(risk.status)),
                };
                let case = self
                    .app
                    .update_risk(&caller, id, number, fields, r.etag, request_key)
                    .await?;
                let a = analysis(&case)?;
                a.risk(number)
                    .map(|risk| convert::risk(&case.name(), a, risk))
                    .ok_or_else(|| Error::not_found(&risk.name))
            }
            .await,
        )
    }

    async fn list_risks(
        &self,
        request: Request<v1::ListRisksRequest>,
    ) -> Result<Response<v1::ListRisksResponse>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let id = case_id("analysis", &r.analysis)?;
                let case = self.app.read_analysis(&caller, op::LIST, &id).await?;
                let a = analysis(&case)?;
                Ok(v1::ListRisksResponse {
                    risks: a
                        .risks
                        .iter()
                        .map(|risk| convert::risk(&case.name(), a, risk))
                        .collect(),
                })
            }
            .await,
        )
    }

    async fn get_heatmap(
        &self,
        request: Request<v1::GetHeatmapRequest>,
    ) -> Result<Response<v1::Heatmap>, Status> {
        let caller = caller(&request).map_err(to_status)?;
        let r = request.into_inner();
        reply(
            async {
                let id = case_id("analysis", &r.analysis)?;
                let case = self.app.read_analysis(&caller, op::HEATMAP, &id).await?;
                let map = analysis(&case)?.heatmap();
                Ok(v1::Heatmap {
                    cells: map
                        .cells
                        .into_iter()
                        .map(|(likelihood, impact, count)| v1::HeatmapCell {
                            likelihood: i32::from(likelihood),
                            impact: i32::from(impact),
                            count: count as i32,
                        })
                        .collect(),
                    total: map.total as i32,
                    unrated: map.unrated as i32,
                    high: map.high as i32,
                    high_risk_threshold: map.threshold as i32,
                })
            }
            .await,
        )
    }
}
