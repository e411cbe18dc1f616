//! `regie.v1.AccessService`: principals, tokens, role bindings, the policy, and explaining a
//! decision. Who may call which of these is decided by the authentication layer (`authz/`);
//! this module translates and validates.

use std::sync::Arc;

use regie_proto::v1::{self, access_service_server::AccessService};
use tonic::{Request, Response, Status};

use super::convert::{self, timestamp};
use crate::app::App;
use crate::authz::{Caller, Need};
use crate::domain::access::{
    self, PolicyLine, Principal, PrincipalDraft, PrincipalId, PrincipalKind, RIJK, RoleBinding,
    Token, TokenId,
};
use crate::domain::error::{Error, Violations};
use crate::domain::listing::ListQuery;
use crate::domain::time::Timestamp;
use crate::domain::{Result, mask};
use crate::rpc::status::{missing, name_error, reply};
use crate::store::Rule;

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

/// A role binding from a request, every field checked at once.
async fn binding(app: &App, principal: &str, role: &str, domain: &str) -> Result<RoleBinding> {
    let mut v = Violations::new();
    let principal = v.take(PrincipalId::from_name("principal", principal));
    let role = v.take(access::role("role", role));
    let domain = v.take(access::domain("domain", domain));
    v.finish()?;
    let (Some(principal), Some(role), Some(domain)) = (principal, role, domain) else {
        return Err(Error::internal("role binding checked"));
    };
    app.store.get_principal(&principal).await?;
    if domain != RIJK {
        let code =
            crate::domain::names::DepartmentCode::parse("domain", &domain).map_err(name_error)?;
        app.store.get_department(&code).await.map_err(|e| match e {
            Error::NotFound { .. } => {
                Error::invalid_field("domain", format!("department {domain} does not exist"))
            }
            other => other,
        })?;
    }
    Ok(RoleBinding {
        principal,
        role,
        domain,
    })
}

fn policy_line(policy: Option<v1::Policy>) -> Result<PolicyLine> {
    let p = policy.ok_or_else(|| Error::invalid_field("policy", "is required"))?;
    PolicyLine::validate(&p.role, &p.domain, &p.object, &p.action)
}

fn rule_of(ptype: &str, values: Vec<String>) -> Rule {
    Rule {
        ptype: ptype.to_owned(),
        values,
    }
}

enum Change {
    Add,
    Remove,
}

/// Adds or removes one rule: ALREADY_EXISTS when it was there already, NOT_FOUND when it was
/// not there to remove.
async fn change(
    app: &App,
    change: Change,
    rule: Rule,
    what: &(dyn std::fmt::Display + Sync),
) -> Result<()> {
    let (changed, none) = match change {
        Change::Add => (
            app.access.add_rules(vec![rule]).await?,
            Error::already_exists(what),
        ),
        Change::Remove => (
            app.access.remove_rules(vec![rule]).await?,
            Error::not_found(what),
        ),
    };
    if changed == 0 { Err(none) } else { Ok(()) }
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
                let roles = self
                    .app
                    .access
                    .bindings(Some(&caller.principal.id), None, None)
                    .await;
                Ok(v1::WhoAmIResponse {
                    token: caller.token.id.name(),
                    principal: Some(principal_message((*caller.principal).clone())),
                    roles: roles.into_iter().map(binding_message).collect(),
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
                let new = PrincipalDraft {
                    id: r.principal_id,
                    display_name: p.display_name,
                    kind: kind_text(p.kind).to_owned(),
                    home_department: p.home_department,
                }
                .validate()?;
                if let Some(code) = &new.home_department {
                    crate::app::references::check_departments(
                        self.app.store.as_ref(),
                        vec![("principal.home_department".to_owned(), code.clone())],
                    )
                    .await?;
                }
                let created = self.app.store.create_principal(new).await?;
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
                Ok(principal_message(self.app.store.get_principal(&id).await?))
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
                let params = list_params!(r);
                let query = ListQuery::parse(&Principal::LIST, params)?;
                let page = self.app.store.list_principals(&query).await?;
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
                let mut v = Violations::new();
                let display_name = if fields.contains(&"display_name") {
                    v.take(access::display_name(
                        "principal.display_name",
                        &p.display_name,
                    ))
                } else {
                    None
                };
                let home = if fields.contains(&"home_department") {
                    v.take(access::home_department(
                        "principal.home_department",
                        &p.home_department,
                    ))
                } else {
                    None
                };
                v.finish()?;
                if let Some(Some(code)) = &home {
                    crate::app::references::check_departments(
                        self.app.store.as_ref(),
                        vec![("principal.home_department".to_owned(), code.clone())],
                    )
                    .await?;
                }
                let disabled = fields.contains(&"disabled").then_some(p.disabled);
                let updated = self
                    .app
                    .store
                    .update_principal(
                        &id,
                        &p.etag,
                        Box::new(move |principal| {
                            if let Some(name) = display_name {
                                principal.display_name = name;
                            }
                            if let Some(home) = home {
                                principal.home_department = home;
                            }
                            if let Some(disabled) = disabled {
                                principal.disabled = disabled;
                            }
                            Ok(())
                        }),
                    )
                    .await?;
                self.app.access.forget_identities();
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
                let mut v = Violations::new();
                let principal = v.take(PrincipalId::from_name("principal", &r.principal));
                let display_name = if r.display_name.trim().is_empty() {
                    Some("token".to_owned())
                } else {
                    v.take(access::display_name("display_name", &r.display_name))
                };
                let expire_time = match &r.expire_time {
                    None => None,
                    Some(t) => match convert::micros(t).map(Timestamp::from_micros) {
                        Some(t) if t > Timestamp::now() => Some(t),
                        Some(_) => {
                            v.add("expire_time", "must be in the future");
                            None
                        }
                        None => {
                            v.add("expire_time", "is out of range");
                            None
                        }
                    },
                };
                v.finish()?;
                let (Some(principal), Some(display_name)) = (principal, display_name) else {
                    return Err(Error::internal("token request checked"));
                };
                let (token, secret) = self
                    .app
                    .access
                    .issue_token(&principal, display_name, expire_time)
                    .await?;
                Ok(v1::IssueTokenResponse {
                    token: Some(token_message(token)),
                    secret: secret.expose().to_owned(),
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
                let filter = if r.principal.is_empty() {
                    String::new()
                } else {
                    format!(
                        "principal = \"{}\"",
                        principal_name("principal", &r.principal)?.name()
                    )
                };
                let params = crate::domain::listing::ListParams {
                    page_size: r.page_size,
                    page_token: &r.page_token,
                    filter: &filter,
                    order_by: "",
                };
                let page = self
                    .app
                    .store
                    .list_tokens(&ListQuery::parse(&Token::LIST, params)?)
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
                let token = self.app.store.revoke_token(&id, Timestamp::now()).await?;
                self.app.access.forget_identities();
                Ok(token_message(token))
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
                let binding = binding(&self.app, &r.principal, &r.role, &r.domain).await?;
                change(
                    &self.app,
                    Change::Add,
                    rule_of("g", binding.rule()),
                    &binding,
                )
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
                let binding = binding(&self.app, &r.principal, &r.role, &r.domain).await?;
                change(
                    &self.app,
                    Change::Remove,
                    rule_of("g", binding.rule()),
                    &binding,
                )
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
                    .access
                    .bindings(
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
        let policies = self.app.access.policies(role).await;
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
                let line = policy_line(r.policy)?;
                change(&self.app, Change::Add, rule_of("p", line.rule()), &line).await?;
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
                let line = policy_line(r.policy)?;
                change(&self.app, Change::Remove, rule_of("p", line.rule()), &line).await?;
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
                let mut v = Violations::new();
                let domain = v.take(access::domain("domain", &r.domain));
                let object = v.take(access::term("object", &r.object));
                let action = v.take(access::term("action", &r.action));
                let subject = match &r.subject {
                    Some(v1::check_access_request::Subject::Principal(p)) => {
                        v.take(PrincipalId::from_name("principal", p)).map(|id| (Some(id.clone()), id.name()))
                    }
                    Some(v1::check_access_request::Subject::Role(role)) => {
                        v.take(access::role("role", role)).map(|role| (None, role))
                    }
                    None => {
                        v.add("subject", "name a principal or a role");
                        None
                    }
                };
                v.finish()?;
                let (Some(domain), Some(object), Some(action), Some((principal, subject))) =
                    (domain, object, action, subject)
                else {
                    return Err(Error::internal("access check request checked"));
                };
                if let Some(principal) = &principal {
                    self.app.store.get_principal(principal).await?;
                }
                let need = Need::new(object, action, domain);
                let (allowed, lines) = self.app.access.explain(&subject, &need).await;
                let via: Vec<RoleBinding> = match &principal {
                    Some(principal) => self
                        .app
                        .access
                        .bindings(Some(principal), None, None)
                        .await
                        .into_iter()
                        .filter(|b| {
                            (b.domain == need.domain || b.domain == RIJK)
                                && lines.iter().any(|l| l.role == b.role)
                        })
                        .collect(),
                    None => Vec::new(),
                };
                let explanation = if allowed {
                    let reasons: Vec<String> = lines
                        .iter()
                        .map(|line| {
                            let held = via
                                .iter()
                                .find(|b| b.role == line.role)
                                .map(|b| format!("{subject} holds {} in {}, and ", b.role, b.domain))
                                .unwrap_or_default();
                            format!("{held}the {line} allows it")
                        })
                        .collect();
                    reasons.join("; ")
                } else {
                    format!(
                        "no policy line of a role {subject} holds in {} (or in rijk) allows {} on {}",
                        need.domain, need.action, need.object
                    )
                };
                Ok(v1::CheckAccessResponse {
                    allowed,
                    matched_policies: lines.into_iter().map(policy_message).collect(),
                    via_roles: via.into_iter().map(binding_message).collect(),
                    explanation,
                })
            }
            .await,
        )
    }
}
