//! `regie access check`: would a principal (or a role) be allowed an action on an object in a
//! domain? Prints ALLOWED or DENIED, the server's explanation, and the policy lines and role
//! bindings that decided it. DENIED exits with 7, the code of PERMISSION_DENIED, so scripts can
//! branch on the answer.

use regie_proto::v1::{
    CheckAccessRequest, CheckAccessResponse, ListPoliciesResponse, ListRoleBindingsResponse,
    check_access_request::Subject,
};

use super::Context;
use super::render::{self, Show};
use crate::cli::{AccessCheck, AccessCommand};
use crate::error::{CliError, exit};

/// Runs the command; the exit code is [`exit::DENIED`] when the answer is DENIED.
pub async fn run(ctx: &Context, command: AccessCommand) -> Result<u8, CliError> {
    let AccessCommand::Check(args) = command;
    let conn = &ctx.conn;
    let mut client = conn.access();
    let response = conn
        .call(client.check_access(conn.request(check_request(args))))
        .await?;
    render::show(ctx.output, &response)?;
    Ok(if response.allowed {
        exit::SUCCESS
    } else {
        exit::DENIED
    })
}

fn check_request(args: AccessCheck) -> CheckAccessRequest {
    // clap makes sure exactly one of --principal and --role is given.
    let subject = match (args.subject.principal, args.subject.role) {
        (Some(principal), _) => Some(Subject::Principal(principal)),
        (None, role) => role.map(Subject::Role),
    };
    CheckAccessRequest {
        subject,
        domain: args.domain,
        object: args.object,
        action: args.action,
    }
}

/// The verdict, then the policy lines and the role bindings that decided it.
impl Show for CheckAccessResponse {
    fn text(&self) -> String {
        let mut parts = vec![verdict(self).join("\n")];
        if !self.matched_policies.is_empty() {
            let policies = render::table::<ListPoliciesResponse>(&self.matched_policies);
            parts.push(policies.to_string());
        }
        if !self.via_roles.is_empty() {
            let roles = render::table::<ListRoleBindingsResponse>(&self.via_roles);
            parts.push(roles.to_string());
        }
        parts.join("\n")
    }
}

/// `ALLOWED` or `DENIED`, then the explanation when there is one.
fn verdict(response: &CheckAccessResponse) -> Vec<String> {
    let answer = if response.allowed {
        "ALLOWED"
    } else {
        "DENIED"
    };
    let mut lines = vec![answer.to_owned()];
    if !response.explanation.is_empty() {
        lines.push(response.explanation.clone());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::CheckSubject;

    #[test]
    fn the_subject_is_the_principal_or_the_role() {
        let request = check_request(AccessCheck {
            subject: CheckSubject {
                principal: None,
                role: Some("auditor".into()),
            },
            domain: "JenV".into(),
            object: "case:*".into(),
            action: "read".into(),
        });
        assert_eq!(request.subject, Some(Subject::Role("auditor".into())));
        assert_eq!(request.domain, "JenV");
    }

    #[test]
    fn the_verdict_comes_first_then_why() {
        let denied = CheckAccessResponse {
            allowed: false,
            explanation: "no role of principals/anna in BZK may rate case:*".into(),
            ..CheckAccessResponse::default()
        };
        assert_eq!(
            verdict(&denied),
            vec![
                "DENIED",
                "no role of principals/anna in BZK may rate case:*"
            ]
        );
        let allowed = CheckAccessResponse {
            allowed: true,
            ..CheckAccessResponse::default()
        };
        assert_eq!(verdict(&allowed), vec!["ALLOWED"]);
    }
}
