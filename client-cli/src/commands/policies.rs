//! `regie policies …`: the policy lines that say what each role may do, on what, in which
//! domain; list them, add one, remove one.

use regie_proto::v1::{AddPolicyRequest, ListPoliciesRequest, Policy, RemovePolicyRequest};

use super::Context;
use crate::cli::{OutputFormat, PolicyCommand, PolicyLine};
use crate::error::CliError;
use crate::output::{self, emit, emit_json};

pub async fn run(ctx: &Context, command: PolicyCommand) -> Result<(), CliError> {
    let conn = &ctx.conn;
    let mut client = conn.access();
    let policy = match command {
        PolicyCommand::List { role } => {
            let request = ListPoliciesRequest {
                role: role.unwrap_or_default(),
            };
            let response = conn
                .call(client.list_policies(conn.request(request)))
                .await?;
            return match ctx.output {
                OutputFormat::Json => emit_json(&response),
                OutputFormat::Table if response.policies.is_empty() => {
                    output::note("no policy lines found");
                    Ok(())
                }
                OutputFormat::Table => emit(&table(&response.policies).to_string()),
            };
        }
        PolicyCommand::Add(line) => {
            let request = AddPolicyRequest {
                policy: Some(policy(line)),
            };
            conn.call(client.add_policy(conn.request(request))).await?
        }
        PolicyCommand::Remove(line) => {
            let request = RemovePolicyRequest {
                policy: Some(policy(line)),
            };
            conn.call(client.remove_policy(conn.request(request)))
                .await?
        }
    };
    match ctx.output {
        OutputFormat::Json => emit_json(&policy),
        OutputFormat::Table => emit(&table(&[policy]).to_string()),
    }
}

fn policy(line: PolicyLine) -> Policy {
    Policy {
        role: line.role,
        domain: line.domain,
        object: line.object,
        action: line.action,
    }
}

/// Policy lines, one per row.
pub fn table(policies: &[Policy]) -> comfy_table::Table {
    let mut table = output::table(&["ROLE", "DOMAIN", "OBJECT", "ACTION"]);
    for p in policies {
        table.add_row(vec![
            p.role.clone(),
            p.domain.clone(),
            p.object.clone(),
            p.action.clone(),
        ]);
    }
    table
}
