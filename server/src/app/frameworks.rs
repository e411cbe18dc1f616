//! Use cases of frameworks: the consultations before a framework is adopted, and each
//! department's record of how it observes the framework once in force. Both are case records,
//! written through the case write path as events of the framework.

use super::App;
use crate::authz::Caller;
use crate::domain::Result;
use crate::domain::cases::command::Record;
use crate::domain::cases::framework::{
    Consultation, ConsultationDraft, Evaluation, EvaluationDraft, Framework, Observance,
    ObservanceDraft,
};
use crate::domain::cases::{Case, CaseId, Details};
use crate::domain::error::{Error, reason};
use crate::domain::request::RequestKey;

/// The operations of this family, as their RPCs' full paths (named in denials).
pub mod op {
    pub const CONSULT: &str = "/regie.v1.FrameworkService/RecordConsultation";
    pub const CONSULT_EACH: &str = "/regie.v1.FrameworkService/BatchRecordConsultations";
    pub const CONSULTATIONS: &str = "/regie.v1.FrameworkService/ListConsultations";
    pub const OBSERVE: &str = "/regie.v1.FrameworkService/RecordObservance";
    pub const OBSERVANCES: &str = "/regie.v1.FrameworkService/ListObservances";
    pub const EVALUATE: &str = "/regie.v1.FrameworkService/RecordEvaluation";
    pub const EVALUATIONS: &str = "/regie.v1.FrameworkService/ListEvaluations";
}

/// The framework's details out of a case; another kind is refused.
fn details(case: &Case) -> Result<&Framework> {
    match &case.details {
        Details::Framework(f) => Ok(f),
        _ => Err(Error::invalid(
            reason::WRONG_CASE_KIND,
            "framework",
            format!("{} is a {}, not a framework", case.name(), case.kind),
        )),
    }
}

impl App {
    /// Records a department's (or body's) consultation on a framework; returns it as recorded.
    pub async fn record_consultation(
        &self,
        caller: &Caller,
        id: CaseId,
        draft: ConsultationDraft,
        etag: String,
        request_id: RequestKey,
    ) -> Result<Consultation> {
        let consultation = draft.validate()?;
        let case = self
            .record(
                caller,
                op::CONSULT,
                id,
                etag,
                request_id,
                Record::Consultation(consultation),
            )
            .await?;
        details(&case)?
            .consultations
            .last()
            .cloned()
            .ok_or_else(|| Error::internal("the consultation was not recorded"))
    }

    /// Records several consultations on a framework in one write (one meeting that consulted
    /// several departments): one event each, in the order given, all or nothing; at most one
    /// per department. Returns them as recorded.
    pub async fn record_consultations(
        &self,
        caller: &Caller,
        id: CaseId,
        drafts: Vec<ConsultationDraft>,
        etag: String,
        request_id: RequestKey,
    ) -> Result<Vec<Consultation>> {
        let consultations = ConsultationDraft::validate_each(drafts)?;
        let count = consultations.len();
        let case = self
            .record(
                caller,
                op::CONSULT_EACH,
                id,
                etag,
                request_id,
                Record::Consultations(consultations),
            )
            .await?;
        let recorded = &details(&case)?.consultations;
        recorded
            .get(recorded.len().saturating_sub(count)..)
            .filter(|last| last.len() == count)
            .map(<[Consultation]>::to_vec)
            .ok_or_else(|| Error::internal("the consultations were not recorded"))
    }

    /// Records how a department observes a framework in force; the department speaks for
    /// itself (`observe` in its own domain, `cases::needs`). The same write closes the
    /// department's observance item (`domain::cases::command::close_observance_item`).
    pub async fn record_observance(
        &self,
        caller: &Caller,
        id: CaseId,
        draft: ObservanceDraft,
        etag: String,
        request_id: RequestKey,
    ) -> Result<Observance> {
        let observance = draft.validate()?;
        let case = self
            .record(
                caller,
                op::OBSERVE,
                id,
                etag,
                request_id,
                Record::Observance(observance),
            )
            .await?;
        details(&case)?
            .observances
            .last()
            .cloned()
            .ok_or_else(|| Error::internal("the observance was not recorded"))
    }

    /// Records the outcome of an evaluation of a framework under evaluation; returns it as
    /// recorded. The next evaluation's due time is set when the framework continues
    /// (`domain::cases::framework::Framework::next_evaluation`).
    pub async fn record_evaluation(
        &self,
        caller: &Caller,
        id: CaseId,
        draft: EvaluationDraft,
        etag: String,
        request_id: RequestKey,
    ) -> Result<Evaluation> {
        let evaluation = draft.validate()?;
        let case = self
            .record(
                caller,
                op::EVALUATE,
                id,
                etag,
                request_id,
                Record::Evaluation(evaluation),
            )
            .await?;
        details(&case)?
            .evaluations
            .last()
            .cloned()
            .ok_or_else(|| Error::internal("the evaluation was not recorded"))
    }

    /// The framework, if the caller may read it (as `operation`).
    pub async fn read_framework(
        &self,
        caller: &Caller,
        operation: &str,
        id: &CaseId,
    ) -> Result<Framework> {
        let case = self.read_case(caller, operation, id).await?;
        details(&case).cloned()
    }
}
