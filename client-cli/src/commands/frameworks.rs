//! `regie frameworks …`: record and list the consultations of a framework before adoption, and
//! how the departments observe it once it is in force.

use regie_proto::v1::{
    BatchRecordConsultationsRequest, BatchRecordConsultationsResponse, Consultation,
    ConsultationOutcome, ListConsultationsRequest, ListConsultationsResponse,
    ListObservancesRequest, ListObservancesResponse, Observance, RecordConsultationRequest,
    RecordObservanceRequest,
};

use super::Context;
use super::render::{self, Listing, Show};
use crate::cli::{FrameworkCommand, Outcome};
use crate::error::CliError;
use crate::names::{DEPARTMENTS, short_id};
use crate::output::{self, enum_name, id_list, or_dash};

pub async fn run(ctx: &Context, command: FrameworkCommand) -> Result<(), CliError> {
    let conn = &ctx.conn;
    let mut client = conn.frameworks();
    match command {
        FrameworkCommand::Consult(args) => {
            let consultation = |department: String| Consultation {
                department,
                body: args.body.clone(),
                date: args.date.clone(),
                outcome: ConsultationOutcome::from(args.outcome).into(),
                note: args.note.clone(),
                ..Consultation::default()
            };
            let mut departments = args.department.clone();
            if departments.len() == 1 {
                let request = RecordConsultationRequest {
                    framework: args.framework,
                    consultation: departments.pop().map(consultation),
                    etag: args.etag,
                    request_id: args.request_id,
                };
                let recorded = conn
                    .call(client.record_consultation(conn.request(request)))
                    .await?;
                return render::show(ctx.output, &recorded);
            }
            let request = BatchRecordConsultationsRequest {
                framework: args.framework,
                consultations: departments.into_iter().map(consultation).collect(),
                etag: args.etag,
                request_id: args.request_id,
            };
            let recorded = conn
                .call(client.batch_record_consultations(conn.request(request)))
                .await?;
            render::print(ctx.output, &recorded)
        }
        FrameworkCommand::Consultations { framework } => {
            let request = ListConsultationsRequest { framework };
            let response = conn
                .call(client.list_consultations(conn.request(request)))
                .await?;
            render::print(ctx.output, &response)
        }
        FrameworkCommand::Observe(args) => {
            let request = RecordObservanceRequest {
                framework: args.framework,
                observance: Some(Observance {
                    department: args.department,
                    summary: args.summary,
                    date: args.date,
                    link: args.link,
                    ..Observance::default()
                }),
                etag: args.etag,
                request_id: args.request_id,
            };
            let observance = conn
                .call(client.record_observance(conn.request(request)))
                .await?;
            render::show(ctx.output, &observance)
        }
        FrameworkCommand::Observances { framework } => {
            let request = ListObservancesRequest { framework };
            let response = conn
                .call(client.list_observances(conn.request(request)))
                .await?;
            render::print(ctx.output, &response)
        }
    }
}

/// One consultation, as a key/value table.
impl Show for Consultation {
    fn text(&self) -> String {
        let c = self;
        output::key_value_table(vec![
            (
                "DEPARTMENT",
                short_id(DEPARTMENTS, &c.department).to_owned(),
            ),
            ("BODY", or_dash(&c.body)),
            ("DATE", or_dash(&c.date)),
            ("OUTCOME", outcome_name(c.outcome)),
            ("NOTE", or_dash(&c.note)),
            ("RECORDED BY", or_dash(&c.recorded_by)),
            ("RECORDED", output::timestamp(c.record_time.as_ref())),
        ])
        .to_string()
    }
}

/// The columns of a table of consultations.
const CONSULTATION_HEADER: &[&str] = &[
    "DEPARTMENT",
    "BODY",
    "DATE",
    "OUTCOME",
    "NOTE",
    "RECORDED BY",
];

fn consultation_row(c: &Consultation) -> Vec<String> {
    vec![
        short_id(DEPARTMENTS, &c.department).to_owned(),
        or_dash(&c.body),
        or_dash(&c.date),
        outcome_name(c.outcome),
        output::truncate(&c.note, 50),
        or_dash(&c.recorded_by),
    ]
}

/// The consultations one `consult` with several departments recorded, then how many.
impl Listing for BatchRecordConsultationsResponse {
    type Item = Consultation;
    const HEADER: &'static [&'static str] = CONSULTATION_HEADER;
    const EMPTY: &'static str = "no consultations recorded";
    fn items(&self) -> &[Consultation] {
        &self.consultations
    }
    fn row(c: &Consultation) -> Vec<String> {
        consultation_row(c)
    }
    fn footer(&self) -> Option<String> {
        Some(format!(
            "{} consultations recorded",
            self.consultations.len()
        ))
    }
}

/// A framework's consultations, then the departments in scope not consulted yet.
impl Listing for ListConsultationsResponse {
    type Item = Consultation;
    const HEADER: &'static [&'static str] = CONSULTATION_HEADER;
    const EMPTY: &'static str = "no consultations recorded";
    fn items(&self) -> &[Consultation] {
        &self.consultations
    }
    fn row(c: &Consultation) -> Vec<String> {
        consultation_row(c)
    }
    fn footer(&self) -> Option<String> {
        let not_consulted = id_list(DEPARTMENTS, &self.not_consulted);
        Some(format!("not consulted: {not_consulted}"))
    }
}

/// One observance, as a key/value table.
impl Show for Observance {
    fn text(&self) -> String {
        let o = self;
        output::key_value_table(vec![
            (
                "DEPARTMENT",
                short_id(DEPARTMENTS, &o.department).to_owned(),
            ),
            ("SUMMARY", or_dash(&o.summary)),
            ("DATE", or_dash(&o.date)),
            ("LINK", or_dash(&o.link)),
            ("RECORDED BY", or_dash(&o.recorded_by)),
            ("RECORDED", output::timestamp(o.record_time.as_ref())),
        ])
        .to_string()
    }
}

/// How the departments observe a framework in force, then those that do not yet.
impl Listing for ListObservancesResponse {
    type Item = Observance;
    const HEADER: &'static [&'static str] =
        &["DEPARTMENT", "DATE", "SUMMARY", "LINK", "RECORDED BY"];
    const EMPTY: &'static str = "no observances recorded";
    fn items(&self) -> &[Observance] {
        &self.observances
    }
    fn row(o: &Observance) -> Vec<String> {
        vec![
            short_id(DEPARTMENTS, &o.department).to_owned(),
            or_dash(&o.date),
            output::truncate(&o.summary, 60),
            or_dash(&o.link),
            or_dash(&o.recorded_by),
        ]
    }
    fn footer(&self) -> Option<String> {
        let not_observed = id_list(DEPARTMENTS, &self.not_observed);
        Some(format!("not observed: {not_observed}"))
    }
}

/// An outcome as the `--outcome` flag spells it.
fn outcome_name(outcome: i32) -> String {
    enum_name::<Outcome, ConsultationOutcome>(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_print_as_the_flag_spells_them() {
        assert_eq!(
            outcome_name(ConsultationOutcome::Concerns.into()),
            "concerns"
        );
        assert_eq!(outcome_name(0), "-");
    }
}
