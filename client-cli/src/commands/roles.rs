//! `regie roles …`: give principals roles in domains, take them away, and list who holds what.

use regie_proto::v1::{GrantRoleRequest, ListRoleBindingsRequest, RevokeRoleRequest, RoleBinding};

use super::Context;
use crate::cli::{OutputFormat, RoleCommand};
use crate::error::CliError;
use crate::names::{PRINCIPALS, short_id};
use crate::output::{self, emit, emit_json};

pub async fn run(ctx: &Context, command: RoleCommand) -> Result<(), CliError> {
    let conn = &ctx.conn;
    let mut client = conn.access();
    let binding = match command {
        RoleCommand::Grant(args) => {
            let request = GrantRoleRequest {
                principal: args.principal,
                role: args.role,
                domain: args.domain,
            };
            conn.call(client.grant_role(conn.request(request))).await?
        }
        RoleCommand::Revoke(args) => {
            let request = RevokeRoleRequest {
                principal: args.principal,
                role: args.role,
                domain: args.domain,
            };
            conn.call(client.revoke_role(conn.request(request))).await?
        }
        RoleCommand::List(args) => {
            let request = ListRoleBindingsRequest {
                principal: args.principal.unwrap_or_default(),
                role: args.role.unwrap_or_default(),
                domain: args.domain.unwrap_or_default(),
            };
            let response = conn
                .call(client.list_role_bindings(conn.request(request)))
                .await?;
            return match ctx.output {
                OutputFormat::Json => emit_json(&response),
                OutputFormat::Table if response.bindings.is_empty() => {
                    output::note("no role bindings found");
                    Ok(())
                }
                OutputFormat::Table => emit(&table(&response.bindings).to_string()),
            };
        }
    };
    match ctx.output {
        OutputFormat::Json => emit_json(&binding),
        OutputFormat::Table => emit(&details(&binding).to_string()),
    }
}

/// Role bindings, one per row.
pub fn table(bindings: &[RoleBinding]) -> comfy_table::Table {
    let mut table = output::table(&["PRINCIPAL", "ROLE", "DOMAIN"]);
    for b in bindings {
        table.add_row(vec![
            short_id(PRINCIPALS, &b.principal).to_owned(),
            b.role.clone(),
            b.domain.clone(),
        ]);
    }
    table
}

/// One role binding, as a key/value table.
fn details(b: &RoleBinding) -> comfy_table::Table {
    output::key_value_table(vec![
        ("PRINCIPAL", b.principal.clone()),
        ("ROLE", b.role.clone()),
        ("DOMAIN", b.domain.clone()),
    ])
}
