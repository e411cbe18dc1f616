//! `regie audit …`: read the audit log, verify its hash chains (exit 1 when broken), and list
//! denied calls.

use regie_proto::v1::{
    AccessDenial, ListAccessDenialsRequest, ListAccessDenialsResponse, ListAuditEventsRequest,
    VerifyAuditChainRequest, VerifyAuditChainResponse,
};

use super::Context;
use super::render::{self, Listing, Show};
use crate::cli::{AuditCommand, AuditList};
use crate::error::{CliError, exit};
use crate::filter::Filter;
use crate::output::{self, or_dash};

/// Runs the command; the exit code is 1 when `verify` finds a broken chain.
pub async fn run(ctx: &Context, command: AuditCommand) -> Result<u8, CliError> {
    let conn = &ctx.conn;
    let mut client = conn.audit();
    match command {
        AuditCommand::List(args) => {
            let filter = list_filter(&args);
            render::list(ctx.output, &args.page, async |page_token| {
                let request = ListAuditEventsRequest {
                    page_size: args.page.page_size,
                    page_token,
                    filter: filter.clone(),
                };
                conn.call(conn.audit().list_audit_events(conn.request(request)))
                    .await
            })
            .await?;
        }
        AuditCommand::Denials { limit } => {
            let request = ListAccessDenialsRequest { page_size: limit };
            let response = conn
                .call(client.list_access_denials(conn.request(request)))
                .await?;
            render::print(ctx.output, &response)?;
        }
        AuditCommand::Verify { case } => {
            let request = VerifyAuditChainRequest {
                case: case.unwrap_or_default(),
            };
            let response = conn
                .call(client.verify_audit_chain(conn.request(request)))
                .await?;
            render::show(ctx.output, &response)?;
            if !response.valid {
                return Ok(exit::FAILURE);
            }
        }
    }
    Ok(exit::SUCCESS)
}

impl Listing for ListAccessDenialsResponse {
    type Item = AccessDenial;
    const HEADER: &'static [&'static str] = &[
        "TIME",
        "PRINCIPAL",
        "METHOD",
        "OBJECT",
        "ACTION",
        "DOMAIN",
        "REASON",
        "SUPPRESSED",
    ];
    const EMPTY: &'static str = "no denied calls recorded";
    fn items(&self) -> &[AccessDenial] {
        &self.denials
    }
    fn row(d: &AccessDenial) -> Vec<String> {
        vec![
            output::timestamp(d.time.as_ref()),
            or_dash(&d.principal),
            d.method.clone(),
            or_dash(&d.object),
            or_dash(&d.action),
            or_dash(&d.domain),
            d.reason.clone(),
            d.suppressed.to_string(),
        ]
    }
}

/// The verdict on the hash chains.
impl Show for VerifyAuditChainResponse {
    fn text(&self) -> String {
        verdict(self).join("\n")
    }
}

/// The filter to send: `--filter` ANDed with the convenience flags.
fn list_filter(args: &AuditList) -> String {
    Filter::new()
        .equals("case", args.case.as_deref())
        .equals("actor", args.actor.as_deref())
        .equals("type", args.event_type.as_deref())
        .at_least("time", args.since.as_deref())
        .and_with(&args.filter)
}

/// `valid: N cases, M events checked`, or one line per broken link and per hole.
fn verdict(response: &VerifyAuditChainResponse) -> Vec<String> {
    let checked = format!(
        "{} cases, {} events checked",
        response.cases_checked, response.events_checked
    );
    if response.valid {
        return vec![format!("valid: {checked}")];
    }
    let mut lines: Vec<String> = response
        .broken_links
        .iter()
        .map(|b| format!("BROKEN {} at sequence {}: {}", b.case, b.sequence, b.reason))
        .collect();
    lines.extend(response.sequence_gaps.iter().map(|g| {
        if g.first == g.last {
            format!("MISSING sequence {}: no event has it", g.first)
        } else {
            format!("MISSING sequences {} to {}: no event has them", g.first, g.last)
        }
    }));
    if lines.is_empty() {
        lines.push(format!("BROKEN (no link named): {checked}"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;
    use regie_proto::v1::{BrokenLink, SequenceGap};

    use super::*;
    use crate::cli::{Cli, Command};

    #[test]
    fn list_flags_are_anded_into_the_filter() {
        let cli = Cli::try_parse_from([
            "regie",
            "audit",
            "list",
            "--filter",
            "kind = \"work_item\"",
            "--case",
            "abc",
            "--actor",
            r"DOMAIN\jan",
            "--type",
            "case.transitioned",
            "--since",
            "2026-01-01T01:00:00+01:00",
        ])
        .expect("valid command line");
        let Command::Audit(AuditCommand::List(args)) = cli.command else {
            panic!("parsed as the wrong command");
        };
        assert_eq!(
            list_filter(&args),
            r#"(kind = "work_item") AND case = "cases/abc" AND actor = "DOMAIN\\jan" AND type = "case.transitioned" AND time >= "2026-01-01T00:00:00Z""#
        );
    }

    #[test]
    fn the_verdict_names_each_broken_link() {
        let valid = VerifyAuditChainResponse {
            valid: true,
            cases_checked: 3,
            events_checked: 17,
            ..Default::default()
        };
        assert_eq!(verdict(&valid), vec!["valid: 3 cases, 17 events checked"]);
        let broken = VerifyAuditChainResponse {
            valid: false,
            broken_links: vec![BrokenLink {
                case: "cases/x".into(),
                sequence: 42,
                reason: "hash does not match the event's content".into(),
            }],
            ..valid
        };
        assert_eq!(
            verdict(&broken),
            vec!["BROKEN cases/x at sequence 42: hash does not match the event's content"]
        );
        let holes = VerifyAuditChainResponse {
            valid: false,
            sequence_gaps: vec![
                SequenceGap { first: 4, last: 4 },
                SequenceGap { first: 9, last: 12 },
            ],
            ..Default::default()
        };
        assert_eq!(
            verdict(&holes),
            vec![
                "MISSING sequence 4: no event has it",
                "MISSING sequences 9 to 12: no event has them"
            ]
        );
    }
}
