//! `regie policies …`: the policy lines that say what each role may do, on what, in which
//! domain; list them, add one, remove one.

use regie_proto::v1::{
    AddPolicyRequest, ListPoliciesRequest, ListPoliciesResponse, Policy, RemovePolicyRequest,
};

use super::Context;
use super::render::{self, Listing, Show};
use crate::cli::{PolicyCommand, PolicyLine};
use crate::error::CliError;

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
            return render::print(ctx.output, &response);
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
    render::show(ctx.output, &policy)
}

fn policy(line: PolicyLine) -> Policy {
    Policy {
        role: line.role,
        domain: line.domain,
        object: line.object,
        action: line.action,
    }
}

impl Listing for ListPoliciesResponse {
    type Item = Policy;
    const HEADER: &'static [&'static str] = &["ROLE", "DOMAIN", "OBJECT", "ACTION"];
    const EMPTY: &'static str = "no policy lines found";
    fn items(&self) -> &[Policy] {
        &self.policies
    }
    fn row(p: &Policy) -> Vec<String> {
        vec![
            p.role.clone(),
            p.domain.clone(),
            p.object.clone(),
            p.action.clone(),
        ]
    }
}

/// One policy line, as a table of one row.
impl Show for Policy {
    fn text(&self) -> String {
        render::table::<ListPoliciesResponse>(std::slice::from_ref(self)).to_string()
    }
}
