//! Use cases of integrity risk analyses: the register and its heat map. Adding and changing a
//! risk are case records, written through the case write path as events of the analysis.

use super::App;
use crate::authz::Caller;
use crate::domain::Result;
use crate::domain::cases::command::Record;
use crate::domain::cases::risk::{RiskAnalysis, RiskFields};
use crate::domain::cases::{Case, CaseId, Details};
use crate::domain::error::{Error, reason};
use crate::domain::request::RequestKey;

/// The operations of this family, as their RPCs' full paths (named in denials).
pub mod op {
    pub const ADD: &str = "/regie.v1.RiskService/AddRisk";
    pub const UPDATE: &str = "/regie.v1.RiskService/UpdateRisk";
    pub const LIST: &str = "/regie.v1.RiskService/ListRisks";
    pub const HEATMAP: &str = "/regie.v1.RiskService/GetHeatmap";
}

/// The analysis out of a case; another kind is refused.
pub fn analysis(case: &Case) -> Result<&RiskAnalysis> {
    match &case.details {
        Details::RiskAnalysis(r) => Ok(r),
        _ => Err(Error::invalid(
            reason::WRONG_CASE_KIND,
            "analysis",
            format!("{} is a {}, not a risk analysis", case.name(), case.kind),
        )),
    }
}

impl App {
    /// Adds a risk to the register; returns the analysis and the new risk's number.
    pub async fn add_risk(
        &self,
        caller: &Caller,
        id: CaseId,
        fields: RiskFields,
        etag: String,
        request_id: RequestKey,
    ) -> Result<(Case, u32)> {
        let case = self
            .record(
                caller,
                op::ADD,
                id,
                etag,
                request_id,
                Record::AddRisk(fields),
            )
            .await?;
        let number = analysis(&case)?
            .risks
            .iter()
            .map(|risk| risk.id)
            .max()
            .ok_or_else(|| Error::internal("the risk was not added"))?;
        Ok((case, number))
    }

    /// Changes the fields of risk `number` that `fields` names; returns the analysis.
    pub async fn update_risk(
        &self,
        caller: &Caller,
        id: CaseId,
        number: u32,
        fields: RiskFields,
        etag: String,
        request_id: RequestKey,
    ) -> Result<Case> {
        let record = Record::UpdateRisk { id: number, fields };
        self.record(caller, op::UPDATE, id, etag, request_id, record)
            .await
    }

    /// The analysis, if the caller may read it (as `operation`).
    pub async fn read_analysis(
        &self,
        caller: &Caller,
        operation: &str,
        id: &CaseId,
    ) -> Result<Case> {
        let case = self.read_case(caller, operation, id).await?;
        analysis(&case)?;
        Ok(case)
    }
}
