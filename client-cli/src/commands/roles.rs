//! `regie roles …`: give principals roles in domains, take them away, and list who holds what.

use regie_proto::v1::{
    GrantRoleRequest, ListRoleBindingsRequest, ListRoleBindingsResponse, RevokeRoleRequest,
    RoleBinding,
};

use super::Context;
use super::render::{self, Listing, Show};
use crate::cli::RoleCommand;
use crate::error::CliError;
use crate::names::{PRINCIPALS, short_id};
use crate::output;

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
            return render::print(ctx.output, &response);
        }
    };
    render::show(ctx.output, &binding)
}

impl Listing for ListRoleBindingsResponse {
    type Item = RoleBinding;
    const HEADER: &'static [&'static str] = &["PRINCIPAL", "ROLE", "DOMAIN"];
    const EMPTY: &'static str = "no role bindings found";
    fn items(&self) -> &[RoleBinding] {
        &self.bindings
    }
    fn row(b: &RoleBinding) -> Vec<String> {
        vec![
            short_id(PRINCIPALS, &b.principal).to_owned(),
            b.role.clone(),
            b.domain.clone(),
        ]
    }
}

/// One role binding, as a key/value table.
impl Show for RoleBinding {
    fn text(&self) -> String {
        output::key_value_table(vec![
            ("PRINCIPAL", self.principal.clone()),
            ("ROLE", self.role.clone()),
            ("DOMAIN", self.domain.clone()),
        ])
        .to_string()
    }
}
