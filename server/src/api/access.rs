//! `regie.v1.AccessService`: translates between `regie.v1` messages and the access use cases
//! (`app::access`): principals, tokens, role bindings, the policy, and explaining a decision.
//! Who may call which of these is decided by the authentication layer (`authz/`).

use std::sync::Arc;

use regie_proto::v1::{self, access_service_server::AccessService};
use tonic::{Request, Response, Status};

use super::convert::{self, timestamp};
use crate::app::App;
use crate::app::access::{AccessQuestion, Expiry, PrincipalPatch, Subject, TokenDraft};
use crate::authz::Caller;
use crate::domain::access::{
    PolicyLine, Principal, PrincipalDraft, PrincipalId, PrincipalKind, RoleBinding, Token, TokenId,
};
use crate::domain::error::Error;
use crate::domain::time::Timestamp;
use crate::domain::{Result, mask};
use crate::rpc::status::{missing, name_error, reply};

pub struct AccessApi {
    app: Arc<App>,
}

impl AccessApi {
    pub fn new(app: Arc<App>) -> Self {
        Self { app }
    }
}

/// The caller the authentication layer put in the request.
pub fn caller<T>(request: &Request<T>) -> Result<Caller> {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| Error::internal("a call reached a handler without an authenticated caller"))
}

fn principal_message(p: Principal) -> v1::Principal {
    v1::Principal {
        name: p.id.name(),
        display_name: p.display_name,
        kind: match p.kind {
            PrincipalKind::Person => v1::principal::Kind::Person,
            PrincipalKind::ServiceAccount => v1::principal::Kind::ServiceAccount,
        } as i32,
        home_department: p.home_department.map(|d| d.name()).unwrap_or_default(),
        disabled: p.disabled,
        etag: crate::domain::directory::etag(p.revision),
        create_time: Some(timestamp(p.create_time)),
        update_time: Some(timestamp(p.update_time)),
    }
}

fn token_message(t: Token) -> v1::Token {
    v1::Token {
        name: t.id.name(),
        principal: t.principal.name(),
        display_name: t.display_name,
        create_time: Some(timestamp(t.create_time)),
        expire_time: t.expire_time.map(timestamp),
        last_used_time: t.last_used_time.map(timestamp),
        revoke_time: t.revoke_time.map(timestamp),
    }
}

fn binding_message(b: RoleBinding) -> v1::RoleBinding {
    v1::RoleBinding {
        principal: b.principal.name(),
        role: b.role,
        domain: b.domain,
    }
}

fn policy_message(p: PolicyLine) -> v1::Policy {
    v1::Policy {
        role: p.role,
        domain: p.domain,
        object: p.object,
        action: p.action,
    }
}

fn kind_text(kind: i32) -> &'static str {
    match v1::principal::Kind::try_from(kind) {
        Ok(v1::principal::Kind::Person) => "person",
        Ok(v1::principal::Kind::ServiceAccount) => "service_account",
        _ => "",
    }
}

fn principal_name(field: &str, name: &str) -> Result<PrincipalId> {
    PrincipalId::from_name(field, name).map_err(name_error)
}

fn policy_line(policy: Option<v1::Policy>) -> Result<PolicyLine> {
    let p = policy.ok_or_else(|| Error::invalid_field("policy", "is required"))?;
    PolicyLine::validate(&p.role, &p.domain, &p.object, &p.action)
}

#[tonic::async_trait]
impl AccessService for AccessApi {
    async fn who_am_i(
        &self,
        request: Request<v1::WhoAmIRequest>,
    ) -> Result<Response<v1::WhoAmIResponse>, Status> {
        reply(
            async {
                let caller = caller(&request)?;
                let identity = self.app.who_am_i(&caller).await;
                Ok(v1::WhoAmIResponse {
                    token: identity.token.name(),
                    principal: Some(principal_message(identity.principal)),
                    roles: identity.roles.into_iter().map(binding_message).collect(),
                })
            }
            .await,
        )
    }

    async fn create_principal(
        &self,
        request: Request<v1::CreatePrincipalRequest>,
    ) -> Result<Response<v1::Principal>, Status> {
        let r = request.into_inner();
        let p = r.principal.ok_or_else(|| missing("principal"))?;
        reply(
            async {
                let draft = PrincipalDraft {
                    id: r.principal_id,
                    display_name: p.display_name,
                    kind: kind_text(p.kind).to_owned(),
                    home_department: p.home_department,
                };
                let created = self.app.create_principal(draft).await?;
                Ok(principal_message(created))
            }
            .await,
        )
    }

    async fn get_principal(
        &self,
        request: Request<v1::GetPrincipalRequest>,
    ) -> Result<Response<v1::Principal>, Status> {
        let r = request.into_inner();
        reply(
            async {
                let id = principal_name("name", &r.name)?;
                Ok(principal_message(self.app.get_principal(&id).await?))
            }
            .await,
        )
    }

    async fn list_principals(
        &self,
        request: Request<v1::ListPrincipalsRequest>,
    ) -> Result<Response<v1::ListPrincipalsResponse>, Status> {
        let r = request.into_inner();
        reply(
            async {
                let page = self.app.list_principals(list_params!(r)).await?;
                Ok(v1::ListPrincipalsResponse {
                    principals: page.items.into_iter().map(principal_message).collect(),
                    next_page_token: page.next_page_token,
                })
            }
            .await,
        )
    }

    async fn update_principal(
        &self,
        request: Request<v1::UpdatePrincipalRequest>,
    ) -> Result<Response<v1::Principal>, Status> {
        let r = request.into_inner();
        let p = r.principal.ok_or_else(|| missing("principal"))?;
        let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
        reply(
            async {
                let id = principal_name("principal.name", &p.name)?;
                let fields = mask::parse(&paths, &["display_name", "home_department", "disabled"])?;
                let patch = PrincipalPatch {
                    display_name: fields.contains(&"display_name").then_some(p.display_name),
                    home_department: fields
                        .contains(&"home_department")
                        .then_some(p.home_department),
                    disabled: fields.contains(&"disabled").then_some(p.disabled),
                };
                let updated = self.app.update_principal(&id, &p.etag, patch).await?;
                Ok(principal_message(updated))
            }
            .await,
        )
    }

    async fn issue_token(
        &self,
        request: Request<v1::IssueTokenRequest>,
    ) -> Result<Response<v1::IssueTokenResponse>, Status> {
        let r = request.into_inner();
        reply(
            async {
                let expire_time = match &r.expire_time {
                    None => Expiry::Never,
                    Some(t) => match convert::micros(t).map(Timestamp::from_micros) {
                        Some(t) => Expiry::At(t),
                        None => Expiry::OutOfRange,
                    },
                };
                let draft = TokenDraft {
                    principal: r.principal,
                    display_name: r.display_name,
                    expire_time,
                };
                let (token, secret) = self.app.issue_token(draft).await?;
                Ok(v1::IssueTokenResponse {
                    token: Some(token_message(token)),
                    secret: secret.expose().to_owned(),
                })
            }
            .await,
        )
    }

    async fn create_sign_in_link(
        &self,
        request: Request<v1::CreateSignInLinkRequest>,
    ) -> Result<Response<v1::CreateSignInLinkResponse>, Status> {
        reply(
            async {
                let caller = caller(&request)?;
                let r = request.get_ref();
                let link = self.app.create_sign_in_link(&caller, &r.principal).await?;
                Ok(v1::CreateSignInLinkResponse {
                    url: link.url,
                    principal: link.invite.principal.name(),
                    expire_time: Some(convert::timestamp_micros(link.invite.expire_time)),
                })
            }
            .await,
        )
    }

    async fn list_tokens(
        &self,
        request: Request<v1::ListTokensRequest>,
    ) -> Result<Response<v1::ListTokensResponse>, Status> {
        let r = request.into_inner();
        reply(
            async {
                let principal = if r.principal.is_empty() {
                    None
                } else {
                    Some(principal_name("principal", &r.principal)?)
                };
                let page = self
                    .app
                    .list_tokens(principal.as_ref(), r.page_size, &r.page_token)
                    .await?;
                Ok(v1::ListTokensResponse {
                    tokens: page.items.into_iter().map(token_message).collect(),
                    next_page_token: page.next_page_token,
                })
            }
            .await,
        )
    }

    async fn revoke_token(
        &self,
        request: Request<v1::RevokeTokenRequest>,
    ) -> Result<Response<v1::Token>, Status> {
        let r = request.into_inner();
        reply(
            async {
                let id = TokenId::from_name("name", &r.name).map_err(name_error)?;
                Ok(token_message(self.app.revoke_token(&id).await?))
            }
            .await,
        )
    }

    async fn grant_role(
        &self,
        request: Request<v1::GrantRoleRequest>,
    ) -> Result<Response<v1::RoleBinding>, Status> {
        let r = request.into_inner();
        reply(
            async {
                let binding = self
                    .app
                    .grant_role(&r.principal, &r.role, &r.domain)
                    .await?;
                Ok(binding_message(binding))
            }
            .await,
        )
    }

    async fn revoke_role(
        &self,
        request: Request<v1::RevokeRoleRequest>,
    ) -> Result<Response<v1::RoleBinding>, Status> {
        let r = request.into_inner();
        reply(
            async {
                let binding = self
                    .app
                    .revoke_role(&r.principal, &r.role, &r.domain)
                    .await?;
                Ok(binding_message(binding))
            }
            .await,
        )
    }

    async fn list_role_bindings(
        &self,
        request: Request<v1::ListRoleBindingsRequest>,
    ) -> Result<Response<v1::ListRoleBindingsResponse>, Status> {
        let r = request.into_inner();
        reply(
            async {
                let principal = if r.principal.is_empty() {
                    None
                } else {
                    Some(principal_name("principal", &r.principal)?)
                };
                let bindings = self
                    .app
                    .role_bindings(
                        principal.as_ref(),
                        Some(r.role.as_str()).filter(|s| !s.is_empty()),
                        Some(r.domain.as_str()).filter(|s| !s.is_empty()),
                    )
                    .await;
                Ok(v1::ListRoleBindingsResponse {
                    bindings: bindings.into_iter().map(binding_message).collect(),
                })
            }
            .await,
        )
    }

    async fn list_policies(
        &self,
        request: Request<v1::ListPoliciesRequest>,
    ) -> Result<Response<v1::ListPoliciesResponse>, Status> {
        let r = request.into_inner();
        let role = Some(r.role.as_str()).filter(|s| !s.is_empty());
        let policies = self.app.policies(role).await;
        Ok(Response::new(v1::ListPoliciesResponse {
            policies: policies.into_iter().map(policy_message).collect(),
        }))
    }

    async fn add_policy(
        &self,
        request: Request<v1::AddPolicyRequest>,
    ) -> Result<Response<v1::Policy>, Status> {
        let r = request.into_inner();
        reply(
            async {
                let line = self.app.add_policy(policy_line(r.policy)?).await?;
                Ok(policy_message(line))
            }
            .await,
        )
    }

    async fn remove_policy(
        &self,
        request: Request<v1::RemovePolicyRequest>,
    ) -> Result<Response<v1::Policy>, Status> {
        let r = request.into_inner();
        reply(
            async {
                let line = self.app.remove_policy(policy_line(r.policy)?).await?;
                Ok(policy_message(line))
            }
            .await,
        )
    }

    async fn check_access(
        &self,
        request: Request<v1::CheckAccessRequest>,
    ) -> Result<Response<v1::CheckAccessResponse>, Status> {
        let r = request.into_inner();
        reply(
            async {
                let subject = r.subject.map(|subject| match subject {
                    v1::check_access_request::Subject::Principal(p) => Subject::Principal(p),
                    v1::check_access_request::Subject::Role(role) => Subject::Role(role),
                });
                let question = AccessQuestion {
                    domain: r.domain,
                    object: r.object,
                    action: r.action,
                    subject,
                };
                let answer = self.app.check_access(question).await?;
                Ok(v1::CheckAccessResponse {
                    allowed: answer.allowed,
                    matched_policies: answer.matched.into_iter().map(policy_message).collect(),
                    via_roles: answer.via.into_iter().map(binding_message).collect(),
                    explanation: answer.explanation,
                })
            }
            .await,
        )
    }
}
