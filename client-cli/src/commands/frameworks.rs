//! `regie frameworks …`: record and list the consultations of a framework before adoption, and
//! how the departments observe it once it is in force.

use regie_proto::v1::{
    Consultation, ConsultationOutcome, ListConsultationsRequest, ListObservancesRequest,
    Observance, RecordConsultationRequest, RecordObservanceRequest,
};

use super::Context;
use crate::cli::{FrameworkCommand, Outcome, OutputFormat};
use crate::error::CliError;
use crate::names::{DEPARTMENTS, short_id};
use crate::output::{self, emit, emit_json, enum_name, id_list, or_dash};

pub async fn run(ctx: &Context, command: FrameworkCommand) -> Result<(), CliError> {
    let conn = &ctx.conn;
    let mut client = conn.frameworks();
    match command {
        FrameworkCommand::Consult(args) => {
            let request = RecordConsultationRequest {
                framework: args.framework,
                consultation: Some(Consultation {
                    department: args.department,
                    body: args.body,
                    date: args.date,
                    outcome: ConsultationOutcome::from(args.outcome).into(),
                    note: args.note,
                    ..Consultation::default()
                }),
                etag: args.etag,
                request_id: args.request_id,
            };
            let c = conn
                .call(client.record_consultation(conn.request(request)))
                .await?;
            if ctx.output == OutputFormat::Json {
                return emit_json(&c);
            }
            let table = output::key_value_table(vec![
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
            ]);
            emit(&table.to_string())
        }
        FrameworkCommand::Consultations { framework } => {
            let request = ListConsultationsRequest { framework };
            let response = conn
                .call(client.list_consultations(conn.request(request)))
                .await?;
            if ctx.output == OutputFormat::Json {
                return emit_json(&response);
            }
            if response.consultations.is_empty() {
                output::note("no consultations recorded");
            } else {
                let mut table = output::table(&[
                    "DEPARTMENT",
                    "BODY",
                    "DATE",
                    "OUTCOME",
                    "NOTE",
                    "RECORDED BY",
                ]);
                for c in &response.consultations {
                    table.add_row(vec![
                        short_id(DEPARTMENTS, &c.department).to_owned(),
                        or_dash(&c.body),
                        or_dash(&c.date),
                        outcome_name(c.outcome),
                        output::truncate(&c.note, 50),
                        or_dash(&c.recorded_by),
                    ]);
                }
                emit(&table.to_string())?;
            }
            emit(&format!(
                "not consulted: {}",
                id_list(DEPARTMENTS, &response.not_consulted)
            ))
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
            let o = conn
                .call(client.record_observance(conn.request(request)))
                .await?;
            if ctx.output == OutputFormat::Json {
                return emit_json(&o);
            }
            let table = output::key_value_table(vec![
                (
                    "DEPARTMENT",
                    short_id(DEPARTMENTS, &o.department).to_owned(),
                ),
                ("SUMMARY", or_dash(&o.summary)),
                ("DATE", or_dash(&o.date)),
                ("LINK", or_dash(&o.link)),
                ("RECORDED BY", or_dash(&o.recorded_by)),
                ("RECORDED", output::timestamp(o.record_time.as_ref())),
            ]);
            emit(&table.to_string())
        }
        FrameworkCommand::Observances { framework } => {
            let request = ListObservancesRequest { framework };
            let response = conn
                .call(client.list_observances(conn.request(request)))
                .await?;
            if ctx.output == OutputFormat::Json {
                return emit_json(&response);
            }
            if response.observances.is_empty() {
                output::note("no observances recorded");
            } else {
                let mut table =
                    output::table(&["DEPARTMENT", "DATE", "SUMMARY", "LINK", "RECORDED BY"]);
                for o in &response.observances {
                    table.add_row(vec![
                        short_id(DEPARTMENTS, &o.department).to_owned(),
                        or_dash(&o.date),
                        output::truncate(&o.summary, 60),
                        or_dash(&o.link),
                        or_dash(&o.recorded_by),
                    ]);
                }
                emit(&table.to_string())?;
            }
            emit(&format!(
                "not observed: {}",
                id_list(DEPARTMENTS, &response.not_observed)
            ))
        }
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
