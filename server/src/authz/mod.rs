//! Access control: who is calling (bearer tokens), and whether they may (Casbin, RBAC with
//! domains). Every `regie.v1` call passes through [`layer::AuthLayer`], which authenticates the
//! caller and refuses, before the request body is even read, a caller without any role and a
//! call that the method table decides alone; the handlers then ask [`Access::require`] for the
//! exact object, action and domain once they know the target resource, so that every refusal
//! names what was refused.
//!
//! Caching, and what it means for several replicas: the enforcer (with its decision cache) and
//! authenticated tokens are kept in memory. A change made through this server applies to the
//! next call at once; on PostgreSQL the store announces it to the other replicas, which then
//! [`refresh`](Access::refresh) (docs/architecture.md, "Several replicas"); and every replica
//! also polls `access_version` (default every second), the safety net, and reloads when
//! another replica changed principals, tokens or rules.

pub mod adapter;
pub mod denials;
pub mod layer;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use casbin::{CachedApi, CoreApi, DefaultModel, MgmtApi};
use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use crate::domain::access::Domains;
use crate::domain::access::{
    NewPrincipal, Permit, PolicyLine, Principal, PrincipalId, PrincipalKind, RIJK, ReadScope,
    Resource, RoleBinding, Secret, Token, TokenId, TokenRefusal, hash_secret, unreadable,
};
use crate::domain::error::reason;
use crate::domain::time::Timestamp;
use crate::domain::{Error, Result};
use crate::store::{Rule, Store};
use crate::telemetry;
use casbin::function_map::key_match;

pub use crate::domain::access::Need;
pub use denials::Denials;

/// The Casbin model (RBAC with domains), embedded; `deploy/policies/model.conf` is the source.
pub const MODEL: &str = include_str!("../../../deploy/policies/model.conf");
/// The default policy, stored at the first start; `deploy/policies/policy.csv` is the source.
pub const DEFAULT_POLICY: &str = include_str!("../../../deploy/policies/policy.csv");

/// The principal the first start creates, with role `admin` in `rijk`.
pub const BOOTSTRAP_ADMIN: &str = "admin";
/// Where, in the data directory, the first start writes the admin's token.
pub const ADMIN_TOKEN_FILE: &str = "admin.token";

/// How long an authenticated token is trusted without looking at the database again, as a
/// backstop to the version poll.
const IDENTITY_TTL: Duration = Duration::from_secs(30);

/// An authenticated caller, as the handlers see it (in the request's extensions). Cheap to
/// clone: it is made once per token and shared by every call made with it.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Arc<Principal>,
    pub token: Arc<Token>,
    subject: Arc<str>,
    /// The hash of the bearer secret the caller presented; `None` inside the server.
    credential: Option<Arc<str>>,
    /// The authentication layer found that no role of the caller could allow this call's
    /// method on any case ([`layer`]); the use case refuses it with the exact need before it
    /// writes anything.
    refused_by_table: bool,
}

impl Caller {
    /// The caller every call has when access control is switched off (benchmarks only).
    pub fn unchecked() -> Self {
        let principal = Principal {
            id: PrincipalId::parse("id", BOOTSTRAP_ADMIN).unwrap_or_else(|_| unreachable!()),
            display_name: "access control off".to_owned(),
            kind: PrincipalKind::ServiceAccount,
            home_department: None,
            disabled: false,
            revision: 0,
            create_time: Timestamp::from_micros(0),
            update_time: Timestamp::from_micros(0),
        };
        let token = Token {
            id: TokenId::generate(),
            principal: principal.id.clone(),
            display_name: "access control off".to_owned(),
            create_time: Timestamp::from_micros(0),
            expire_time: None,
            last_used_time: None,
            revoke_time: None,
        };
        Self::new(token, principal)
    }

    /// A caller inside the server acting as `principal` (the demo loader, and later the
    /// console's sessions), with no token of its own: every use case authorizes it as it would
    /// a call with the principal's token.
    pub fn in_process(principal: Principal, via: &str) -> Self {
        let token = Token {
            id: TokenId::generate(),
            principal: principal.id.clone(),
            display_name: via.to_owned(),
            create_time: Timestamp::now(),
            expire_time: None,
            last_used_time: None,
            revoke_time: None,
        };
        Self::new(token, principal)
    }

    fn new(token: Token, principal: Principal) -> Self {
        Self {
            subject: principal.id.name().into(),
            principal: Arc::new(principal),
            token: Arc::new(token),
            credential: None,
            refused_by_table: false,
        }
    }

    /// `principals/{id}`: the subject Casbin decides for, and the actor in events.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Whether the method table already says this call will be refused: no role of the
    /// caller could allow its method on any case. The layer lets such a call on to the use
    /// case only so that the refusal names the real object, action and domain; a write
    /// checks them before it queues (`App::write`).
    pub fn refused_by_table(&self) -> bool {
        self.refused_by_table
    }

    /// This caller, for one call that the method table refuses (see
    /// [`refused_by_table`](Self::refused_by_table)).
    pub(crate) fn refused(mut self) -> Self {
        self.refused_by_table = true;
        self
    }
}

struct Cached {
    caller: Caller,
    fetched: std::time::Instant,
}

/// The loaded rules, indexed for the questions the enforcer cannot answer directly: which
/// roles a subject holds where, and which (object, action) pairs a role's lines name. Rebuilt
/// on every reload.
#[derive(Default)]
struct Index {
    /// Subject → (role, domain) of each binding; shared, so that a write can carry its actor's
    /// roles without copying them.
    bindings: HashMap<String, Arc<Vec<(String, String)>>>,
    /// Role → each of its lines.
    lines: HashMap<String, Vec<Line>>,
}

/// A policy line without its role: `domain` is `*` ("wherever the role is held") or one domain;
/// `object` and `action` may end in `*` (Casbin's `keyMatch`).
struct Line {
    domain: String,
    object: String,
    action: String,
}

impl Line {
    /// Whether this line allows `need`, as the model's matcher decides for a role held there:
    /// `(p.dom == "*" || p.dom == r.dom) && keyMatch(r.obj, p.obj) && keyMatch(r.act, p.act)`
    /// (deploy/policies/model.conf).
    fn allows(&self, need: &Need) -> bool {
        use casbin::function_map::key_match;
        (self.domain == "*" || self.domain == need.domain)
            && key_match(&need.object, &self.object)
            && key_match(&need.action, &self.action)
    }
}

impl Index {
    fn build(enforcer: &casbin::CachedEnforcer) -> Self {
        let mut index = Self::default();
        let mut bindings: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for g in enforcer.get_grouping_policy() {
            if let [subject, role, domain, ..] = g.as_slice() {
                bindings
                    .entry(subject.clone())
                    .or_default()
                    .push((role.clone(), domain.clone()));
            }
        }
        index.bindings = bindings
            .into_iter()
            .map(|(subject, roles)| (subject, Arc::new(roles)))
            .collect();
        for p in enforcer.get_policy() {
            index.add_line(&p);
        }
        index
    }

    /// A `p` line's values: role, domain, object, action.
    fn add_line(&mut self, values: &[String]) {
        if let [role, domain, object, action, ..] = values {
            self.lines.entry(role.clone()).or_default().push(Line {
                domain: domain.clone(),
                object: object.clone(),
                action: action.clone(),
            });
        }
    }

    /// The roles with a line that allows `need`, sorted.
    fn roles_allowing(&self, need: &Need) -> Vec<String> {
        let mut roles: Vec<String> = self
            .lines
            .iter()
            .filter(|(_, lines)| lines.iter().any(|line| line.allows(need)))
            .map(|(role, _)| role.clone())
            .collect();
        roles.sort();
        roles
    }
}

/// The access decisions of one server process.
pub struct Access {
    store: Arc<dyn Store>,
    enforcer: RwLock<casbin::CachedEnforcer>,
    index: std::sync::RwLock<Arc<Index>>,
    identities: Mutex<HashMap<String, Cached>>,
    /// Tokens used since the last flush, and when.
    used: Mutex<HashMap<TokenId, Timestamp>>,
    /// The `access_version` the caches reflect.
    version: AtomicI64,
    pub denials: Denials,
    /// Test and benchmark only: decide nothing, every caller is the admin.
    disabled: bool,
}

impl Access {
    /// Bootstraps the first admin if the database has no principals, and loads the policy.
    /// Loads the policy; on the first start of a database, creates the first admin, whose
    /// token is valid for `bootstrap_token` (`None`: forever) and written to `data_dir`.
    pub async fn start(
        store: Arc<dyn Store>,
        data_dir: &Path,
        bootstrap_token: Option<Duration>,
        disabled: bool,
    ) -> anyhow::Result<Arc<Self>> {
        bootstrap(store.as_ref(), data_dir, bootstrap_token).await?;
        let version = store
            .access_version()
            .await
            .map_err(|e| anyhow::anyhow!("reading the access version: {e}"))?;
        let model = DefaultModel::from_str(MODEL)
            .await
            .context("the Casbin model")?;
        let enforcer =
            casbin::CachedEnforcer::new(model, adapter::StoreAdapter::new(store.clone()))
                .await
                .context("loading the access policy")?;
        let index = Index::build(&enforcer);
        Ok(Arc::new(Self {
            denials: Denials::new(store.clone()),
            store,
            index: std::sync::RwLock::new(Arc::new(index)),
            enforcer: RwLock::new(enforcer),
            identities: Mutex::default(),
            used: Mutex::default(),
            version: AtomicI64::new(version),
            disabled,
        }))
    }

    pub fn disabled(&self) -> bool {
        self.disabled
    }

    /// Who sent `authorization` (the header's value).
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Caller> {
        let Some(header) = authorization else {
            return Err(unauthenticated(
                reason::TOKEN_MISSING,
                "this call needs `authorization: Bearer <token>` (regie login, or REGIE_TOKEN)",
            ));
        };
        let secret = bearer_secret(header).ok_or_else(|| {
            unauthenticated(
                reason::TOKEN_MISSING,
                "the authorization header must be `Bearer <token>`",
            )
        })?;
        let caller = self.identity(&hash_secret(secret)).await?;
        let now = Timestamp::now();
        check_token(&caller, now)?;
        if let Ok(mut used) = self.used.lock() {
            used.insert(caller.token.id.clone(), now);
        }
        Ok(caller)
    }

    /// Who holds the token whose secret has the hash `hash` (a console session's proof,
    /// `domain::session::Proof::Token`), with the same checks as [`authenticate`](Self::authenticate):
    /// a token revoked or expired, or its principal disabled, is UNAUTHENTICATED.
    pub async fn authenticate_credential(&self, hash: &str) -> Result<Caller> {
        let caller = self.identity(hash).await?;
        check_token(&caller, Timestamp::now())?;
        Ok(caller)
    }

    /// The principal `id` as a caller inside the server, for a console session proved by a
    /// sign-in link (`domain::session::Proof::Invite`; single sign-on will prove a principal the
    /// same way): UNAUTHENTICATED when it no longer exists or is disabled. Read from the store
    /// on every request, so that disabling the principal ends such a session at once.
    pub async fn authenticate_principal(&self, id: &PrincipalId, via: &str) -> Result<Caller> {
        let principal = match self.store.get_principal(id).await {
            Ok(principal) => principal,
            Err(Error::NotFound { .. }) => {
                return Err(unauthenticated(
                    reason::TOKEN_INVALID,
                    "the principal is not known",
                ));
            }
            Err(e) => return Err(e),
        };
        if principal.disabled {
            return Err(unauthenticated(
                reason::PRINCIPAL_DISABLED,
                "the principal is disabled",
            ));
        }
        Ok(Caller::in_process(principal, via))
    }

    /// Whether a caller authenticated earlier (a long-lived stream's) still is, and still may
    /// read cases somewhere: its token not revoked or expired, its principal not disabled, as
    /// this server knows them now (changes reach it within `--access-poll-interval`).
    /// UNAUTHENTICATED or PERMISSION_DENIED otherwise.
    pub async fn recheck<'a>(
        &self,
        caller: &Caller,
        kinds: impl IntoIterator<Item = &'a str>,
    ) -> Result<()> {
        if self.disabled {
            return Ok(());
        }
        let current = match &caller.credential {
            Some(hash) => self.identity(hash).await?,
            None => caller.clone(),
        };
        check_token(&current, Timestamp::now())?;
        if self.read_scope(caller.subject(), kinds).kinds.is_empty() {
            return Err(Error::PermissionDenied {
                message: format!("{} may no longer read any case", caller.subject()),
            });
        }
        Ok(())
    }
}

/// The secret of an `authorization` header of the form `Bearer <secret>`.
fn bearer_secret(header: &str) -> Option<&str> {
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn unauthenticated(reason: &'static str, message: &str) -> Error {
    Error::Unauthenticated {
        reason,
        message: message.to_owned(),
    }
}

/// The token's own verdict: expired, revoked, or its principal disabled.
fn check_token(caller: &Caller, now: Timestamp) -> Result<()> {
    match caller.token.check(&caller.principal, now) {
        Ok(()) => Ok(()),
        Err(TokenRefusal::Expired) => Err(unauthenticated(
            reason::TOKEN_EXPIRED,
            "the token has expired",
        )),
        Err(TokenRefusal::Revoked) => Err(unauthenticated(
            reason::TOKEN_REVOKED,
            "the token was revoked",
        )),
        Err(TokenRefusal::PrincipalDisabled) => Err(unauthenticated(
            reason::PRINCIPAL_DISABLED,
            "the token's principal is disabled",
        )),
    }
}

impl Access {
    /// Whether `authorization` carries a token this server authenticated recently (its
    /// identity cache), and that is still valid: a cheap, synchronous answer for the telemetry
    /// layer, which honours a caller's `traceparent` only then.
    pub fn knows(&self, authorization: Option<&http::HeaderValue>) -> bool {
        if self.disabled {
            return true;
        }
        let Some(secret) = authorization
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_secret)
        else {
            return false;
        };
        self.cached_identity(&hash_secret(secret))
            .is_some_and(|caller| check_token(&caller, Timestamp::now()).is_ok())
    }

    /// The caller whose token has the secret hash `hash`: from the identity cache, or read
    /// from the store and remembered. UNAUTHENTICATED for a token nobody issued.
    async fn identity(&self, hash: &str) -> Result<Caller> {
        if let Some(found) = self.cached_identity(hash) {
            return Ok(found);
        }
        let Some((token, principal)) = self.store.token_by_hash(hash).await? else {
            return Err(unauthenticated(
                reason::TOKEN_INVALID,
                "the token is not known",
            ));
        };
        let mut caller = Caller::new(token, principal);
        caller.credential = Some(hash.into());
        self.remember(hash.to_owned(), &caller);
        Ok(caller)
    }

    fn cached_identity(&self, hash: &str) -> Option<Caller> {
        let identities = self.identities.lock().ok()?;
        let cached = identities.get(hash)?;
        (cached.fetched.elapsed() < IDENTITY_TTL).then(|| cached.caller.clone())
    }

    fn remember(&self, hash: String, caller: &Caller) {
        if let Ok(mut identities) = self.identities.lock() {
            // Bounded: a flood of distinct unknown tokens is never cached, and known tokens are few.
            if identities.len() > 10_000 {
                identities.clear();
            }
            identities.insert(
                hash,
                Cached {
                    caller: caller.clone(),
                    fetched: std::time::Instant::now(),
                },
            );
        }
    }

    /// Whether `subject` (`principals/{id}`, or a role) may.
    pub async fn allowed(&self, subject: &str, need: &Need) -> bool {
        if self.disabled {
            return true;
        }
        let enforcer = self.enforcer.read().await;
        let allowed = enforcer
            .enforce((
                subject,
                need.domain.as_str(),
                need.object.as_str(),
                need.action.as_str(),
            ))
            .unwrap_or(false);
        telemetry::count_decision(allowed);
        allowed
    }

    /// The roles `subject` holds, as (role, domain), for the guards that depend on who acts;
    /// `None` when access control is off (nobody's roles are known then).
    pub fn roles_of(&self, subject: &str) -> Option<Arc<Vec<(String, String)>>> {
        if self.disabled {
            return None;
        }
        Some(
            self.index()
                .bindings
                .get(subject)
                .cloned()
                .unwrap_or_default(),
        )
    }

    /// Whether `subject` holds any role anywhere.
    pub fn holds_a_role(&self, subject: &str) -> bool {
        self.disabled
            || self
                .index()
                .bindings
                .get(subject)
                .is_some_and(|b| !b.is_empty())
    }

    /// Whether `subject` may, in `rijk` or in any department where it holds a role (for shared
    /// reference data, which every role in any domain may need to read).
    pub async fn allowed_anywhere(&self, subject: &str, need: &Need) -> bool {
        if self.disabled {
            return true;
        }
        let mut domains: Vec<String> = self
            .index()
            .bindings
            .get(subject)
            .map(|b| b.iter().map(|(_, domain)| domain.clone()).collect())
            .unwrap_or_default();
        let enforcer = self.enforcer.read().await;
        domains.sort();
        domains.dedup();
        let allowed = domains.iter().any(|domain| {
            enforcer
                .enforce((
                    subject,
                    domain.as_str(),
                    need.object.as_str(),
                    need.action.as_str(),
                ))
                .unwrap_or(false)
        });
        telemetry::count_decision(allowed);
        allowed
    }

    /// Allows the call, or refuses it with PERMISSION_DENIED and records the denial.
    pub async fn require(&self, caller: &Caller, method: &str, need: &Need) -> Result<()> {
        if self.decide(caller, need).await {
            return Ok(());
        }
        Err(self.deny(caller.subject(), method, need))
    }

    /// The decision on `need`, traced as an `authorize` span.
    async fn decide(&self, caller: &Caller, need: &Need) -> bool {
        let span = crate::telemetry::span!(
            "authorize",
            regie.object = need.object.as_str(),
            regie.action = need.action.as_str(),
            regie.domain = need.domain.as_str(),
            regie.decision = tracing::field::Empty,
        );
        let allowed = self
            .allowed(caller.subject(), need)
            .instrument(span.clone())
            .await;
        span.record("regie.decision", if allowed { "allowed" } else { "denied" });
        allowed
    }

    /// Allows `need` on `on`, or refuses it. A caller who may not even read `on` is told only
    /// that (`domain::access::unreadable`), so that the refusal says nothing of its kind or
    /// department; the denial row keeps the whole need for the auditors.
    pub async fn require_on(
        &self,
        caller: &Caller,
        method: &str,
        need: &Need,
        on: &Resource,
    ) -> Result<()> {
        if self.decide(caller, need).await {
            return Ok(());
        }
        if need != &on.read && self.allowed(caller.subject(), &on.read).await {
            return Err(self.deny(caller.subject(), method, need));
        }
        self.denials
            .record(caller.subject(), method, need, reason::PERMISSION_DENIED);
        Err(Error::PermissionDenied {
            message: unreadable(caller.subject(), &on.name),
        })
    }

    /// The error for a case `name` that does not exist (AIP-211): NOT_FOUND only to a caller
    /// who may read every case government-wide, and to anyone else the same refusal as for a
    /// case it may not read.
    pub async fn missing(&self, caller: &Caller, method: &str, name: &str) -> Error {
        let need = crate::domain::cases::needs::to_know_any_case();
        if self.allowed(caller.subject(), &need).await {
            return Error::not_found(name);
        }
        self.denials
            .record(caller.subject(), method, &need, reason::PERMISSION_DENIED);
        Error::PermissionDenied {
            message: unreadable(caller.subject(), name),
        }
    }

    /// The permission check of one call by `caller` (named `method` in denials), for a write
    /// to run against the case it finds.
    pub fn permit(self: &Arc<Self>, caller: &Caller, method: &'static str) -> Arc<dyn Permit> {
        Arc::new(CallerPermit {
            access: self.clone(),
            caller: caller.clone(),
            method,
        })
    }

    /// Records a denial and returns the error for it.
    pub fn deny(&self, subject: &str, method: &str, need: &Need) -> Error {
        self.denials
            .record(subject, method, need, reason::PERMISSION_DENIED);
        Error::PermissionDenied {
            message: format!("{subject} may not {need}"),
        }
    }

    /// Where `subject` may read cases of each of `kinds`. This is the model's matcher
    /// (`deploy/policies/model.conf`) worked out over the domains instead of asked per domain:
    /// a role held in `rijk` reaches every domain its line allows (all of them for `*`), a role
    /// held in a department reaches that department, where its line is for `*` or for it.
    /// Roles are held only by principals (no role inherits another), which is what makes this
    /// exact; a test holds it to `enforce` for every kind and domain.
    pub fn read_scope<'a>(
        &self,
        subject: &str,
        kinds: impl IntoIterator<Item = &'a str>,
    ) -> ReadScope {
        if self.disabled {
            return ReadScope::everything(kinds);
        }
        let mut scope = ReadScope::default();
        for kind in kinds {
            if let Some(domains) = self.scope_of(subject, &format!("case:{kind}"), "read") {
                scope.kinds.insert(kind.to_owned(), domains);
            }
        }
        scope
    }

    /// Where `subject` may do `action` on `object`, worked out from the policy as
    /// [`read_scope`](Self::read_scope) says; `None`: nowhere.
    pub fn scope_of(&self, subject: &str, object: &str, action: &str) -> Option<Domains> {
        if self.disabled {
            return Some(Domains::All);
        }
        let index = self.index();
        let bindings = index.bindings.get(subject).cloned().unwrap_or_default();
        let mut all = false;
        let mut domains = std::collections::BTreeSet::new();
        for (role, held_in) in bindings.iter() {
            let Some(lines) = index.lines.get(role) else {
                continue;
            };
            for line in lines {
                if !(key_match(object, &line.object) && key_match(action, &line.action)) {
                    continue;
                }
                match (held_in.as_str(), line.domain.as_str()) {
                    (RIJK, "*") => all = true,
                    (RIJK, only) => {
                        domains.insert(only.to_owned());
                    }
                    (department, line) if line == "*" || line == department => {
                        domains.insert(department.to_owned());
                    }
                    _ => {}
                }
            }
        }
        if all {
            Some(Domains::All)
        } else if domains.is_empty() {
            None
        } else {
            Some(Domains::Only(domains))
        }
    }

    /// The domains in which `subject` holds a role itself: its departments, and [`RIJK`] for a
    /// role held government-wide. Empty with access control off.
    pub fn home_domains(&self, subject: &str) -> std::collections::BTreeSet<String> {
        self.index()
            .bindings
            .get(subject)
            .map(|b| b.iter().map(|(_, domain)| domain.clone()).collect())
            .unwrap_or_default()
    }

    /// Whether some role of `subject`, in some domain, has a policy line that could allow
    /// `object_family`/`action_family` (each either exact or a prefix ending in `:`). The
    /// authentication layer uses this to refuse a list before its body is read, and to mark a
    /// call on a case that the use case is to refuse.
    pub async fn could_allow(
        &self,
        subject: &str,
        object_family: &str,
        action_family: &str,
    ) -> bool {
        if self.disabled {
            return true;
        }
        let index = self.index();
        let Some(bindings) = index.bindings.get(subject) else {
            telemetry::count_decision(false);
            return false;
        };
        let fits = |pattern: &str, family: &str| {
            pattern == "*"
                || pattern == family
                || pattern
                    .strip_suffix('*')
                    .is_some_and(|prefix| family.starts_with(prefix) || prefix.starts_with(family))
                || (family.ends_with(':') && pattern.starts_with(family))
        };
        let possible = bindings.iter().any(|(role, _)| {
            index.lines.get(role).is_some_and(|lines| {
                lines.iter().any(|line| {
                    fits(&line.object, object_family) && fits(&line.action, action_family)
                })
            })
        });
        telemetry::count_decision(possible);
        possible
    }

    /// The roles whose policy lines allow `need` in its domain, sorted: whoever holds one of
    /// them there (or in `rijk`) may. Read from the loaded policy with the model's own matching,
    /// so it answers what [`allowed`](Self::allowed) would for a holder of the role.
    pub fn roles_allowing(&self, need: &Need) -> Vec<String> {
        self.index().roles_allowing(need)
    }

    fn index(&self) -> Arc<Index> {
        self.index.read().map(|i| i.clone()).unwrap_or_default()
    }

    /// The roles `principal` holds, per domain.
    pub async fn bindings(
        &self,
        principal: Option<&PrincipalId>,
        role: Option<&str>,
        domain: Option<&str>,
    ) -> Vec<RoleBinding> {
        let enforcer = self.enforcer.read().await;
        let mut bindings: Vec<RoleBinding> = enforcer
            .get_grouping_policy()
            .iter()
            .filter_map(|g| RoleBinding::from_rule(g))
            .filter(|b| principal.is_none_or(|p| &b.principal == p))
            .filter(|b| role.is_none_or(|r| b.role == r))
            .filter(|b| domain.is_none_or(|d| b.domain == d))
            .collect();
        bindings.sort();
        bindings
    }

    pub async fn policies(&self, role: Option<&str>) -> Vec<PolicyLine> {
        let enforcer = self.enforcer.read().await;
        let mut lines: Vec<PolicyLine> = enforcer
            .get_policy()
            .iter()
            .filter_map(|p| PolicyLine::from_rule(p))
            .filter(|p| role.is_none_or(|r| p.role == r))
            .collect();
        lines.sort();
        lines
    }

    /// The decision with the policy lines that made it.
    pub async fn explain(&self, subject: &str, need: &Need) -> (bool, Vec<PolicyLine>) {
        let enforcer = self.enforcer.read().await;
        match enforcer.enforce_ex((
            subject,
            need.domain.as_str(),
            need.object.as_str(),
            need.action.as_str(),
        )) {
            Ok((allowed, lines)) => (
                allowed,
                lines
                    .iter()
                    .filter_map(|l| PolicyLine::from_rule(l))
                    .collect(),
            ),
            Err(_) => (false, Vec::new()),
        }
    }

    /// Re-reads the rules from the database and forgets cached decisions and tokens.
    pub async fn reload(&self) -> Result<()> {
        let version = self.store.access_version().await?;
        let mut enforcer = self.enforcer.write().await;
        enforcer
            .load_policy()
            .await
            .map_err(|e| Error::internal(format!("reloading the access policy: {e}")))?;
        enforcer.get_mut_cache().clear();
        let index = Index::build(&enforcer);
        drop(enforcer);
        if let Ok(mut current) = self.index.write() {
            *current = Arc::new(index);
        }
        if let Ok(mut identities) = self.identities.lock() {
            identities.clear();
        }
        self.version.store(version, Ordering::SeqCst);
        Ok(())
    }

    /// Reloads when another replica changed something since the last look (on its
    /// announcement, `app/feed.rs`, and on the poll of [`run`](Self::run)).
    pub async fn refresh(&self) -> Result<()> {
        let version = self.store.access_version().await?;
        if version != self.version.load(Ordering::SeqCst) {
            self.reload().await?;
        }
        Ok(())
    }

    /// Writes when tokens were last used.
    async fn flush_used(&self) {
        let used: Vec<(TokenId, Timestamp)> = match self.used.lock() {
            Ok(mut used) => used.drain().collect(),
            Err(_) => return,
        };
        if let Err(e) = self.store.touch_tokens(used).await {
            tracing::warn!(error = %e, "recording token use failed");
        }
    }

    /// Polls for changes made by other replicas, records token use and writes queued
    /// denials, until `shutdown`; then writes what is left.
    pub async fn run(self: Arc<Self>, interval: Duration, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(interval);
        let mut flushes = 0u32;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = shutdown.cancelled() => break,
            }
            if let Err(e) = self.refresh().await {
                tracing::warn!(error = %e, "checking for access changes failed");
            }
            self.denials.flush().await;
            flushes += 1;
            if flushes.is_multiple_of(60) {
                self.flush_used().await;
            }
        }
        self.denials.flush().await;
        self.flush_used().await;
    }

    /// Issues a new token for `principal`; returns it with its secret.
    pub async fn issue_token(
        &self,
        principal: &PrincipalId,
        display_name: String,
        expire_time: Option<Timestamp>,
    ) -> Result<(Token, Secret)> {
        let principal = self.store.get_principal(principal).await?;
        let secret = Secret::generate();
        let token = Token {
            id: TokenId::generate(),
            principal: principal.id,
            display_name,
            create_time: Timestamp::now(),
            expire_time,
            last_used_time: None,
            revoke_time: None,
        };
        self.store.insert_token(&token, &secret.hash()).await?;
        Ok((token, secret))
    }

    /// Stores rules and reloads.
    pub async fn add_rules(&self, rules: Vec<Rule>) -> Result<u64> {
        let added = self.store.add_rules(rules).await?;
        self.reload().await?;
        Ok(added)
    }

    /// Removes rules and reloads.
    pub async fn remove_rules(&self, rules: Vec<Rule>) -> Result<u64> {
        let removed = self.store.remove_rules(rules).await?;
        self.reload().await?;
        Ok(removed)
    }

    /// After a change to principals or tokens: forget what was cached about them.
    pub fn forget_identities(&self) {
        if let Ok(mut identities) = self.identities.lock() {
            identities.clear();
        }
    }
}

/// The default policy's lines as rules.
pub fn default_rules() -> anyhow::Result<Vec<Rule>> {
    let mut rules = Vec::new();
    for (number, line) in DEFAULT_POLICY.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<String> = line.split(',').map(|f| f.trim().to_owned()).collect();
        match fields.split_first() {
            Some((ptype, values))
                if (ptype == "p" && values.len() == 4) || (ptype == "g" && values.len() == 3) =>
            {
                rules.push(Rule {
                    ptype: ptype.clone(),
                    values: values.to_vec(),
                })
            }
            _ => anyhow::bail!(
                "deploy/policies/policy.csv line {}: not a `p` line of 4 or `g` line of 3 fields",
                number + 1
            ),
        }
    }
    Ok(rules)
}

/// On a database without principals: the admin principal, its role, its token (written to
/// `admin.token` in the data directory, mode 0600) and the default policy.
async fn bootstrap(
    store: &dyn Store,
    data_dir: &Path,
    lifetime: Option<Duration>,
) -> anyhow::Result<()> {
    let admin = NewPrincipal {
        id: PrincipalId::parse("id", BOOTSTRAP_ADMIN)
            .map_err(|e| anyhow::anyhow!(e.description))?,
        display_name: "Administrator".to_owned(),
        kind: PrincipalKind::ServiceAccount,
        home_department: None,
    };
    let secret = Secret::generate();
    let now = Timestamp::now();
    let expire_time =
        lifetime.map(|d| Timestamp::from_micros(now.micros().saturating_add(d.as_micros() as i64)));
    let token = Token {
        id: TokenId::generate(),
        principal: admin.id.clone(),
        display_name: "bootstrap".to_owned(),
        create_time: now,
        expire_time,
        last_used_time: None,
        revoke_time: None,
    };
    let mut rules = default_rules()?;
    rules.push(Rule {
        ptype: "g".to_owned(),
        values: vec![admin.id.name(), "admin".to_owned(), RIJK.to_owned()],
    });
    // Write the file first: a token in the database that nobody can read would lock everyone out.
    let path = data_dir.join(ADMIN_TOKEN_FILE);
    let temporary = data_dir.join(format!("{ADMIN_TOKEN_FILE}.new"));
    regie_support::write_private(&temporary, &format!("{}\n", secret.expose()))
        .with_context(|| format!("writing {}", temporary.display()))?;
    let created = match store.bootstrap(admin, token, secret.hash(), rules).await {
        Ok(created) => created,
        // Another replica starting at the same moment bootstrapped first.
        Err(Error::AlreadyExists { .. }) => false,
        Err(e) => {
            let _ = std::fs::remove_file(&temporary);
            anyhow::bail!("creating the first admin: {e}");
        }
    };
    if created {
        std::fs::rename(&temporary, &path)
            .with_context(|| format!("writing {}", path.display()))?;
        match expire_time {
            Some(expires) => tracing::info!(
                path = %path.display(),
                expires = %expires,
                "first start: created principal `admin` with role admin in rijk; its token is in this file and expires then (`regie-server admin issue-token --principal admin` makes a new one)"
            ),
            None => tracing::warn!(
                path = %path.display(),
                "first start: created principal `admin` with role admin in rijk; its token is in this file and never expires (--bootstrap-token-days 0)"
            ),
        }
    } else {
        let _ = std::fs::remove_file(&temporary);
    }
    Ok(())
}

/// [`Access::permit`]: one caller's checks, as a write asks for them.
struct CallerPermit {
    access: Arc<Access>,
    caller: Caller,
    method: &'static str,
}

#[async_trait::async_trait]
impl Permit for CallerPermit {
    async fn check(&self, need: &Need, on: &Resource) -> Result<()> {
        self.access
            .require_on(&self.caller, self.method, need, on)
            .await
    }

    async fn missing(&self, name: &str) -> Error {
        self.access.missing(&self.caller, self.method, name).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{SqliteSynchronous, StoreOptions};

    #[tokio::test]
    async fn the_read_scope_agrees_with_the_policy_for_every_kind_and_domain() {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = StoreOptions {
            url: format!("sqlite://{}", dir.path().join("regie.db").display()),
            max_connections: 2,
            sqlite_synchronous: SqliteSynchronous::Normal,
            acquire_timeout: Duration::from_secs(5),
            ..StoreOptions::default()
        };
        let store = crate::store::open(&options).await.expect("open");
        let access = Access::start(store, dir.path(), None, false)
            .await
            .expect("access");
        let rule = |ptype: &str, values: &[&str]| Rule {
            ptype: ptype.to_owned(),
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        };
        // The default roles, held in a department and government-wide, and lines for one
        // domain only, held both ways.
        access
            .add_rules(vec![
                rule("p", &["fin_reader", "Fin", "case:work_item", "read"]),
                rule("p", &["jenv_risks", "JenV", "case:risk_*", "*"]),
                rule("g", &["principals/dept", "integrity_coordinator", "JenV"]),
                rule("g", &["principals/two", "member", "Fin"]),
                rule("g", &["principals/two", "member", "BZK"]),
                rule("g", &["principals/wide", "auditor", RIJK]),
                rule("g", &["principals/narrow", "fin_reader", RIJK]),
                rule("g", &["principals/narrow", "jenv_risks", "Fin"]),
                rule("g", &["principals/both", "fin_reader", "Fin"]),
                rule("g", &["principals/both", "jenv_risks", RIJK]),
                rule("g", &["principals/secretary", "secretariat", RIJK]),
            ])
            .await
            .expect("rules");
        let kinds = [
            "assessment_cycle",
            "framework",
            "recommendation",
            "risk_analysis",
            "work_item",
        ];
        let domains = [RIJK, "JenV", "Fin", "BZK", "AZ"];
        for subject in [
            "principals/dept",
            "principals/two",
            "principals/wide",
            "principals/narrow",
            "principals/both",
            "principals/secretary",
            "principals/nobody",
        ] {
            let scope = access.read_scope(subject, kinds);
            for kind in kinds {
                for domain in domains {
                    let need = Need::on_case(kind, (domain != RIJK).then_some(domain), "read");
                    assert_eq!(
                        scope.covers(kind, (domain != RIJK).then_some(domain)),
                        access.allowed(subject, &need).await,
                        "{subject} reading {kind} in {domain}: {scope:?}"
                    );
                }
            }
        }
        // The rules took effect (so that the comparison above is not between two "no"s).
        let narrow = access.read_scope("principals/narrow", kinds);
        assert!(narrow.covers("work_item", Some("Fin")));
        assert!(!narrow.covers("work_item", Some("JenV")));
        assert!(!narrow.covers("risk_analysis", Some("Fin")));
        let dept = access.read_scope("principals/dept", kinds);
        assert!(dept.covers("framework", Some("JenV")) && !dept.covers("framework", None));
        assert!(
            access
                .read_scope("principals/nobody", kinds)
                .kinds
                .is_empty()
        );
        assert_eq!(
            access.read_scope("principals/wide", kinds).filter(&kinds),
            crate::domain::access::ScopeFilter::Everything,
            "an auditor's lists are not narrowed"
        );
    }

    /// The default policy's lines, indexed as a loaded enforcer's are.
    fn default_index() -> Index {
        let mut index = Index::default();
        for rule in default_rules().expect("the default policy parses") {
            if rule.ptype == "p" {
                index.add_line(&rule.values);
            }
        }
        index
    }

    #[test]
    fn the_roles_allowing_a_need_are_those_whose_lines_match_it_in_its_domain() {
        let index = default_index();
        let roles = |object: &str, action: &str, domain: &str| {
            index.roles_allowing(&Need::new(object, action, domain))
        };
        // Reviewing a department's cycle is the coordinating directorate's; submitting it the
        // department's own integrity coordinator's.
        assert_eq!(
            roles("case:assessment_cycle", "transition:start_review", "JenV"),
            ["admin", "coordinator"]
        );
        assert_eq!(
            roles("case:assessment_cycle", "transition:submit", "JenV"),
            ["admin", "coordinator", "integrity_coordinator"]
        );
        // Rating is not the coordinator's (the policy file says why).
        assert_eq!(
            roles("case:assessment_cycle", "rate", "JenV"),
            ["admin", "integrity_coordinator"]
        );
        // keyMatch on object and action: `case:work_item, *` covers every transition.
        assert_eq!(
            roles("case:work_item", "transition:accept", "rijk"),
            [
                "admin",
                "coordinator",
                "integrity_coordinator",
                "secretariat"
            ]
        );
        // A line in one domain covers only that domain.
        let mut index = default_index();
        index.add_line(&[
            "tester".into(),
            "BZK".into(),
            "case:work_item".into(),
            "comment".into(),
        ]);
        assert!(
            index
                .roles_allowing(&Need::new("case:work_item", "comment", "BZK"))
                .contains(&"tester".to_owned())
        );
        assert!(
            !index
                .roles_allowing(&Need::new("case:work_item", "comment", "JenV"))
                .contains(&"tester".to_owned())
        );
    }
}
