//! Use cases of access control: principals, tokens, role bindings, the policy, explaining a
//! decision, and who the caller is.
//!
//! Who may call these is decided before the use case runs, from the method table alone
//! (`rpc/methods.rs`: government-wide administration in `rijk`; `WhoAmI` needs only an
//! authenticated caller), so only [`App::who_am_i`] takes a caller. A change to principals or
//! tokens makes access control forget the identities it cached; a change to the rules reloads
//! them (`authz::Access`).

use super::App;
use super::references::check_departments;
use crate::authz::{Caller, Need};
use crate::domain::Result;
use crate::domain::access::{
    self, PolicyLine, Principal, PrincipalDraft, PrincipalId, RIJK, RoleBinding, Secret, Token,
    TokenId,
};
use crate::domain::error::{Error, Violations, name_error};
use crate::domain::listing::{ListParams, ListQuery, Page};
use crate::domain::names::DepartmentCode;
use crate::domain::time::Timestamp;
use crate::store::Rule;

/// The caller as it sees itself: the token it called with, its principal and its roles.
#[derive(Debug, Clone)]
pub struct Identity {
    pub token: TokenId,
    pub principal: Principal,
    pub roles: Vec<RoleBinding>,
}

/// The changes to a principal, each `Some` when the request names the field (its update
/// mask); checked together.
#[derive(Debug, Clone, Default)]
pub struct PrincipalPatch {
    pub display_name: Option<String>,
    /// `departments/{code}`, or empty for none.
    pub home_department: Option<String>,
    pub disabled: Option<bool>,
}

/// When a token to issue expires, as requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Never,
    At(Timestamp),
    /// A time the request gave that no timestamp can hold.
    OutOfRange,
}

/// A token to issue, as requested; checked together.
#[derive(Debug, Clone)]
pub struct TokenDraft {
    /// `principals/{id}`.
    pub principal: String,
    /// Blank: `token`.
    pub display_name: String,
    pub expire_time: Expiry,
}

/// Whose access a check asks about, as requested.
#[derive(Debug, Clone)]
pub enum Subject {
    /// `principals/{id}`: its roles decide.
    Principal(String),
    /// A role, held anywhere.
    Role(String),
}

/// An access check, as requested; checked together.
#[derive(Debug, Clone)]
pub struct AccessQuestion {
    pub domain: String,
    pub object: String,
    pub action: String,
    /// None: the request named neither a principal nor a role.
    pub subject: Option<Subject>,
}

/// The answer to an access check: the decision, the policy lines that made it, the role
/// bindings through which the principal holds them, and a sentence saying so.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub allowed: bool,
    pub matched: Vec<PolicyLine>,
    pub via: Vec<RoleBinding>,
    pub explanation: String,
}

enum Change {
    Add,
    Remove,
}

impl App {
    /// The caller's token, principal and roles.
    pub async fn who_am_i(&self, caller: &Caller) -> Identity {
        let roles = self
            .access
            .bindings(Some(&caller.principal.id), None, None)
            .await;
        Identity {
            token: caller.token.id.clone(),
            principal: (*caller.principal).clone(),
            roles,
        }
    }

    /// A new principal; its home department, when given, must exist and be active.
    pub async fn create_principal(&self, draft: PrincipalDraft) -> Result<Principal> {
        let new = draft.validate()?;
        if let Some(code) = &new.home_department {
            check_departments(
                self.store.as_ref(),
                vec![("principal.home_department".to_owned(), code.clone())],
            )
            .await?;
        }
        self.store.create_principal(new).await
    }

    pub async fn get_principal(&self, id: &PrincipalId) -> Result<Principal> {
        self.store.get_principal(id).await
    }

    pub async fn list_principals(&self, params: ListParams<'_>) -> Result<Page<Principal>> {
        let query = ListQuery::parse(&Principal::LIST, params, &self.page_key)?;
        self.store.list_principals(&query).await
    }

    /// Changes the fields `patch` names, if `etag` (when not empty) is current; a new home
    /// department must exist and be active.
    pub async fn update_principal(
        &self,
        id: &PrincipalId,
        etag: &str,
        patch: PrincipalPatch,
    ) -> Result<Principal> {
        let mut v = Violations::new();
        let display_name = patch
            .display_name
            .and_then(|name| v.take(access::display_name("principal.display_name", &name)));
        let home = patch
            .home_department
            .and_then(|name| v.take(access::home_department("principal.home_department", &name)));
        v.finish()?;
        if let Some(Some(code)) = &home {
            check_departments(
                self.store.as_ref(),
                vec![("principal.home_department".to_owned(), code.clone())],
            )
            .await?;
        }
        let disabled = patch.disabled;
        let updated = self
            .store
            .update_principal(
                id,
                etag,
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
        self.access.forget_identities();
        Ok(updated)
    }

    /// Issues a token for an existing principal; returns it with its secret, which is shown
    /// this once.
    pub async fn issue_token(&self, draft: TokenDraft) -> Result<(Token, Secret)> {
        let mut v = Violations::new();
        let principal = v.take(PrincipalId::from_name("principal", &draft.principal));
        let display_name = if draft.display_name.trim().is_empty() {
            Some("token".to_owned())
        } else {
            v.take(access::display_name("display_name", &draft.display_name))
        };
        let expire_time = match draft.expire_time {
            Expiry::Never => None,
            Expiry::At(t) if t > Timestamp::now() => Some(t),
            Expiry::At(_) => {
                v.add("expire_time", "must be in the future");
                None
            }
            Expiry::OutOfRange => {
                v.add("expire_time", "is out of range");
                None
            }
        };
        v.finish()?;
        let (Some(principal), Some(display_name)) = (principal, display_name) else {
            return Err(Error::internal("token request checked"));
        };
        self.access
            .issue_token(&principal, display_name, expire_time)
            .await
    }

    /// The tokens (of `principal`, when given), a page at a time.
    pub async fn list_tokens(
        &self,
        principal: Option<&PrincipalId>,
        page_size: i32,
        page_token: &str,
    ) -> Result<Page<Token>> {
        let filter = principal
            .map(|p| format!("principal = \"{}\"", p.name()))
            .unwrap_or_default();
        let params = ListParams {
            page_size,
            page_token,
            filter: &filter,
            order_by: "",
        };
        self.store
            .list_tokens(&ListQuery::parse(&Token::LIST, params, &self.page_key)?)
            .await
    }

    /// Revokes a token (keeping the first revocation time): calls made with it are refused.
    pub async fn revoke_token(&self, id: &TokenId) -> Result<Token> {
        let token = self.store.revoke_token(id, Timestamp::now()).await?;
        self.access.forget_identities();
        Ok(token)
    }

    /// Grants `role` in `domain` (`rijk` or an existing department's code) to an existing
    /// principal; ALREADY_EXISTS when it holds it already.
    pub async fn grant_role(
        &self,
        principal: &str,
        role: &str,
        domain: &str,
    ) -> Result<RoleBinding> {
        let binding = self.binding(principal, role, domain).await?;
        self.change(Change::Add, rule_of("g", binding.rule()), &binding)
            .await?;
        Ok(binding)
    }

    /// Revokes a role binding; NOT_FOUND when the principal does not hold it.
    pub async fn revoke_role(
        &self,
        principal: &str,
        role: &str,
        domain: &str,
    ) -> Result<RoleBinding> {
        let binding = self.binding(principal, role, domain).await?;
        self.change(Change::Remove, rule_of("g", binding.rule()), &binding)
            .await?;
        Ok(binding)
    }

    /// The role bindings, of `principal`, `role` and in `domain` when given.
    pub async fn role_bindings(
        &self,
        principal: Option<&PrincipalId>,
        role: Option<&str>,
        domain: Option<&str>,
    ) -> Vec<RoleBinding> {
        self.access.bindings(principal, role, domain).await
    }

    /// The policy lines (of `role`, when given).
    pub async fn policies(&self, role: Option<&str>) -> Vec<PolicyLine> {
        self.access.policies(role).await
    }

    /// Adds a policy line; ALREADY_EXISTS when it is there already.
    pub async fn add_policy(&self, line: PolicyLine) -> Result<PolicyLine> {
        self.change(Change::Add, rule_of("p", line.rule()), &line)
            .await?;
        Ok(line)
    }

    /// Removes a policy line; NOT_FOUND when it is not there.
    pub async fn remove_policy(&self, line: PolicyLine) -> Result<PolicyLine> {
        self.change(Change::Remove, rule_of("p", line.rule()), &line)
            .await?;
        Ok(line)
    }

    /// Whether the subject may do `action` on `object` in `domain`, and why.
    pub async fn check_access(&self, question: AccessQuestion) -> Result<Explanation> {
        let mut v = Violations::new();
        let domain = v.take(access::domain("domain", &question.domain));
        let object = v.take(access::term("object", &question.object));
        let action = v.take(access::term("action", &question.action));
        let subject = match &question.subject {
            Some(Subject::Principal(p)) => v
                .take(PrincipalId::from_name("principal", p))
                .map(|id| (Some(id.clone()), id.name())),
            Some(Subject::Role(role)) => {
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
            self.store.get_principal(principal).await?;
        }
        let need = Need::new(object, action, domain);
        let (allowed, lines) = self.access.explain(&subject, &need).await;
        let via: Vec<RoleBinding> = match &principal {
            Some(principal) => self
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
        Ok(Explanation {
            allowed,
            matched: lines,
            via,
            explanation,
        })
    }

    /// A role binding from a request, every field checked at once; the principal and the
    /// department must exist.
    async fn binding(&self, principal: &str, role: &str, domain: &str) -> Result<RoleBinding> {
        let mut v = Violations::new();
        let principal = v.take(PrincipalId::from_name("principal", principal));
        let role = v.take(access::role("role", role));
        let domain = v.take(access::domain("domain", domain));
        v.finish()?;
        let (Some(principal), Some(role), Some(domain)) = (principal, role, domain) else {
            return Err(Error::internal("role binding checked"));
        };
        self.store.get_principal(&principal).await?;
        if domain != RIJK {
            let code = DepartmentCode::parse("domain", &domain).map_err(name_error)?;
            self.store
                .get_department(&code)
                .await
                .map_err(|e| match e {
                    Error::NotFound { .. } => Error::invalid_field(
                        "domain",
                        format!("department {domain} does not exist"),
                    ),
                    other => other,
                })?;
        }
        Ok(RoleBinding {
            principal,
            role,
            domain,
        })
    }

    /// Adds or removes one rule: ALREADY_EXISTS when it was there already, NOT_FOUND when it
    /// was not there to remove.
    async fn change(
        &self,
        change: Change,
        rule: Rule,
        what: &(dyn std::fmt::Display + Sync),
    ) -> Result<()> {
        let (changed, none) = match change {
            Change::Add => (
                self.access.add_rules(vec![rule]).await?,
                Error::already_exists(what),
            ),
            Change::Remove => (
                self.access.remove_rules(vec![rule]).await?,
                Error::not_found(what),
            ),
        };
        if changed == 0 { Err(none) } else { Ok(()) }
    }
}

fn rule_of(ptype: &str, values: Vec<String>) -> Rule {
    Rule {
        ptype: ptype.to_owned(),
        values,
    }
}
