//! Identity and access: principals, API tokens and their secrets, role bindings and policy
//! lines, with the rules for what a valid one looks like.
//!
//! Deciding whether a call is allowed is Casbin's job (`authz/`); this module only says what
//! the words in a decision may be. A domain is `rijk` (government-wide) or a department code;
//! roles, objects and actions are short lower-case words, objects and actions may end in `*`.

use std::fmt;

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use super::error::{FieldViolation, Result, Violations};
use super::filter::{Expr, Field, FieldType, Value};
use super::limits::MAX_NAME_CHARS;
use super::listing::{ListSpec, Listed, SortKey};
use super::names::{DepartmentCode, collection_id};
use super::text;
use super::time::Timestamp;

/// The government-wide domain. A role held here applies in every department.
pub const RIJK: &str = "rijk";

/// The domain of a need that holds in every domain: what the authentication layer refuses when
/// no role of the caller allows it anywhere (a denial then reads "in any domain").
pub const ANY_DOMAIN: &str = "*";

/// What an operation needs the caller to be allowed: an action on an object in a domain
/// (`rijk` or a department code). The domain says what each command needs
/// (`cases::needs`); `authz` decides (docs/architecture.md, "Authorization").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub object: String,
    pub action: String,
    pub domain: String,
}

impl Need {
    pub fn new(
        object: impl Into<String>,
        action: impl Into<String>,
        domain: impl Into<String>,
    ) -> Self {
        Self {
            object: object.into(),
            action: action.into(),
            domain: domain.into(),
        }
    }

    /// The domain of a resource that belongs to a department, or to no department (`rijk`).
    pub fn domain_of(department: Option<&str>) -> String {
        department.unwrap_or(RIJK).to_owned()
    }

    /// `action` on a case of `kind` in `department` (`rijk` when it has none).
    pub fn on_case(kind: &str, department: Option<&str>, action: &str) -> Self {
        Self::new(format!("case:{kind}"), action, Self::domain_of(department))
    }

    /// What a method needs in every domain, as the method table names it before the request is
    /// read: a family (`case:`, `transition:`) stands for each of its members (`case:*`,
    /// `transition:*`), so that a refusal names what was refused rather than a fragment.
    pub fn everywhere(object: &str, action: &str) -> Self {
        let member = |word: &str| {
            if word.ends_with(':') {
                format!("{word}*")
            } else {
                word.to_owned()
            }
        };
        Self::new(member(object), member(action), ANY_DOMAIN)
    }
}

/// `transition:accept case:recommendation in rijk`, `read case:* in any domain`: the words of a
/// refusal (`… may not <need>`).
impl fmt::Display for Need {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let domain = if self.domain == ANY_DOMAIN {
            "any domain"
        } else {
            self.domain.as_str()
        };
        write!(f, "{} {} in {domain}", self.action, self.object)
    }
}

/// Where a caller may read cases, per kind, as the policy says (`authz::Access::read_scope`).
/// Lists put it into their query, before the page is cut, so that a page holds only what the
/// caller may read and its token says nothing of anything else (docs/architecture.md, "Lists").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadScope {
    /// Kind → where. A kind that is not here may not be read anywhere.
    pub kinds: std::collections::BTreeMap<String, Domains>,
}

/// The domains of one kind's readable cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Domains {
    /// Government-wide and in every department.
    All,
    /// These domains only: department codes, and [`RIJK`] for the government-wide cases.
    Only(std::collections::BTreeSet<String>),
}

impl ReadScope {
    /// Every kind everywhere, as when access control is off.
    pub fn everything<'a>(kinds: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            kinds: kinds
                .into_iter()
                .map(|k| (k.to_owned(), Domains::All))
                .collect(),
        }
    }

    /// Whether a case of `kind` in `department` (`None`: government-wide) is in scope.
    pub fn covers(&self, kind: &str, department: Option<&str>) -> bool {
        match self.kinds.get(kind) {
            Some(Domains::All) => true,
            Some(Domains::Only(domains)) => domains.contains(department.unwrap_or(RIJK)),
            None => false,
        }
    }

    /// The scope as a filter over `kind` and the department, for lists of cases or of their
    /// events: `department_id` (the stored column as it is, so that its index serves) for a
    /// department, `department = ""` for government-wide work.
    pub fn filter(&self, all_kinds: &[&str]) -> ScopeFilter {
        use super::filter::Op;
        let compare = |field: &'static str, value: &str| Expr::Compare {
            field,
            op: Op::Eq,
            value: Value::Text(value.to_owned()),
        };
        let everything = all_kinds
            .iter()
            .all(|k| matches!(self.kinds.get(*k), Some(Domains::All)));
        if everything {
            return ScopeFilter::Everything;
        }
        let department = |d: &String| in_domain(d);
        // The common case, a role held in some departments that reads every kind there: the
        // departments alone, which an index on (department, …) serves for filter and order.
        let only: Vec<&Domains> = all_kinds
            .iter()
            .filter_map(|k| self.kinds.get(*k))
            .collect();
        if only.len() == all_kinds.len()
            && let Some(Domains::Only(first)) = only.first()
            && !first.is_empty()
            && only.iter().all(|d| *d == only[0])
        {
            return ScopeFilter::Only(Expr::Or(first.iter().map(department).collect()));
        }
        let mut parts = Vec::new();
        for (kind, domains) in &self.kinds {
            match domains {
                Domains::All => parts.push(compare("kind", kind)),
                Domains::Only(domains) if domains.is_empty() => {}
                Domains::Only(domains) => {
                    // `department_id` is the bare column, which its index serves;
                    // government-wide cases are those without one.
                    let departments = domains.iter().map(department).collect();
                    parts.push(Expr::And(vec![
                        compare("kind", kind),
                        Expr::Or(departments),
                    ]));
                }
            }
        }
        if parts.is_empty() {
            ScopeFilter::Nothing
        } else {
            ScopeFilter::Only(Expr::Or(parts))
        }
    }
}

/// The cases of one domain, as a filter: `department_id` (the stored column as it is, so that
/// its index serves) for a department, `department = ""` for government-wide work ([`RIJK`]).
pub fn in_domain(domain: &str) -> Expr {
    if domain == RIJK {
        Expr::Compare {
            field: "department",
            op: super::filter::Op::Eq,
            value: Value::Text(String::new()),
        }
    } else {
        Expr::Compare {
            field: "department_id",
            op: super::filter::Op::Eq,
            value: Value::Text(domain.to_owned()),
        }
    }
}

/// A [`ReadScope`] as a list sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum ScopeFilter {
    /// Restricts nothing.
    Everything,
    /// Nothing is readable: the list is empty without asking.
    Nothing,
    /// What the filter lets through.
    Only(Expr),
}

/// A resource as a refusal may speak of it: its name, and what reading it needs. A caller who
/// may not read the resource learns nothing of it from a refusal, not even its kind or
/// department (docs/architecture.md, "Authorization").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub name: String,
    pub read: Need,
}

/// The refusal of a caller who may not read `name` (or who may not know whether it exists):
/// the same words whether it exists or not (AIP-211).
pub fn unreadable(subject: &str, name: &str) -> String {
    format!("{subject} may not read {name}")
}

/// One caller's permission check, handed by the application layer to a write so that it is
/// decided against the case the write transaction sees (no check-then-use gap). `authz`
/// implements it; a refusal is PERMISSION_DENIED and is recorded as a denial.
#[async_trait::async_trait]
pub trait Permit: Send + Sync {
    /// Whether the caller may do what `need` says to `on`.
    async fn check(&self, need: &Need, on: &Resource) -> super::error::Result<()>;
    /// The error for a resource that is not there: NOT_FOUND to a caller who could read it
    /// wherever it were, PERMISSION_DENIED (in the words of [`unreadable`]) to anyone else.
    async fn missing(&self, name: &str) -> super::error::Error;
}

/// A principal id: lower-case letters, digits, `.`, `_` and `-`, starting with a letter, at most
/// 63 characters (so that an e-mail-like `anna.devries` or a service name fits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PrincipalId(String);

impl PrincipalId {
    pub const COLLECTION: &'static str = "principals";

    pub fn parse(field: &str, text: &str) -> Result<Self, FieldViolation> {
        let valid = (1..=63).contains(&text.len())
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(FieldViolation::new(
                field,
                format!(
                    "{text:?} is not a principal id: up to 63 lower-case letters, digits, `.`, `_` or `-`, starting with a letter"
                ),
            ))
        }
    }

    /// Parses `principals/{id}`.
    pub fn from_name(field: &str, name: &str) -> Result<Self, FieldViolation> {
        Self::parse(field, collection_id(field, name, Self::COLLECTION)?)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `principals/{id}`, which is also the subject Casbin sees.
    pub fn name(&self) -> String {
        format!("{}/{}", Self::COLLECTION, self.0)
    }
}

impl fmt::Display for PrincipalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    Person,
    ServiceAccount,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::ServiceAccount => "service_account",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "person" => Some(Self::Person),
            "service_account" => Some(Self::ServiceAccount),
            _ => None,
        }
    }
}

/// A person or service account, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub id: PrincipalId,
    pub display_name: String,
    pub kind: PrincipalKind,
    pub home_department: Option<DepartmentCode>,
    pub disabled: bool,
    pub revision: i64,
    pub create_time: Timestamp,
    pub update_time: Timestamp,
}

impl Principal {
    pub const LIST: ListSpec = ListSpec {
        resource: "principals",
        filter_fields: &[
            Field::new("id", FieldType::Text),
            Field::new("display_name", FieldType::Text),
            Field::new("kind", FieldType::Text),
            Field::new("home_department", FieldType::Name("departments")),
            Field::new("disabled", FieldType::Bool),
        ],
        order_fields: &[
            Field::new("id", FieldType::Text),
            Field::new("display_name", FieldType::Text),
        ],
        key: Field::new("id", FieldType::Text),
        default_order: &[SortKey::asc("id")],
    };
}

impl Listed for Principal {
    fn sort_value(&self, field: &str) -> Value {
        Value::Text(match field {
            "display_name" => self.display_name.clone(),
            _ => self.id.as_str().to_owned(),
        })
    }
}

/// A principal to create, checked.
#[derive(Debug, Clone)]
pub struct NewPrincipal {
    pub id: PrincipalId,
    pub display_name: String,
    pub kind: PrincipalKind,
    pub home_department: Option<DepartmentCode>,
}

/// The fields of a principal a client may set.
#[derive(Debug, Clone, Default)]
pub struct PrincipalDraft {
    pub id: String,
    pub display_name: String,
    /// `person` or `service_account`.
    pub kind: String,
    /// `departments/{code}` or empty.
    pub home_department: String,
}

impl PrincipalDraft {
    pub fn validate(self) -> Result<NewPrincipal> {
        let mut v = Violations::new();
        let id = v.take(PrincipalId::parse("principal_id", &self.id));
        let display_name = v.take(display_name("principal.display_name", &self.display_name));
        let kind = match PrincipalKind::parse(&self.kind) {
            Some(kind) => Some(kind),
            None => {
                v.add("principal.kind", "must be PERSON or SERVICE_ACCOUNT");
                None
            }
        };
        let home_department = v.take(home_department(
            "principal.home_department",
            &self.home_department,
        ));
        v.finish()?;
        match (id, display_name, kind, home_department) {
            (Some(id), Some(display_name), Some(kind), Some(home_department)) => Ok(NewPrincipal {
                id,
                display_name,
                kind,
                home_department,
            }),
            _ => Err(super::Error::internal("principal draft checked")),
        }
    }
}

/// A display name: trimmed, not empty, at most [`MAX_NAME_CHARS`].
pub fn display_name(field: &str, text: &str) -> Result<String, FieldViolation> {
    text::name(field, text, MAX_NAME_CHARS)
}

/// `departments/{code}`, or empty for none.
pub fn home_department(field: &str, name: &str) -> Result<Option<DepartmentCode>, FieldViolation> {
    if name.is_empty() {
        Ok(None)
    } else {
        DepartmentCode::from_name(field, name).map(Some)
    }
}

/// A token id: 12 hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenId(String);

impl TokenId {
    pub const COLLECTION: &'static str = "tokens";

    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string()[..12].to_owned())
    }

    pub fn parse(field: &str, text: &str) -> Result<Self, FieldViolation> {
        if text.len() == 12 && text.chars().all(|c| c.is_ascii_hexdigit()) {
            Ok(Self(text.to_owned()))
        } else {
            Err(FieldViolation::new(
                field,
                format!("{text:?} is not a token id (12 hexadecimal digits)"),
            ))
        }
    }

    /// Parses `tokens/{id}`.
    pub fn from_name(field: &str, name: &str) -> Result<Self, FieldViolation> {
        Self::parse(field, collection_id(field, name, Self::COLLECTION)?)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn name(&self) -> String {
        format!("{}/{}", Self::COLLECTION, self.0)
    }
}

/// An API token, as stored (without its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub id: TokenId,
    pub principal: PrincipalId,
    pub display_name: String,
    pub create_time: Timestamp,
    pub expire_time: Option<Timestamp>,
    pub last_used_time: Option<Timestamp>,
    pub revoke_time: Option<Timestamp>,
}

impl Token {
    /// Tokens list oldest first; the only filter is the principal.
    pub const LIST: ListSpec = ListSpec {
        resource: "tokens",
        filter_fields: &[Field::new("principal", FieldType::Name("principals"))],
        order_fields: &[
            Field::new("create_time", FieldType::Time),
            Field::new("id", FieldType::Text),
        ],
        key: Field::new("id", FieldType::Text),
        default_order: &[SortKey::asc("create_time")],
    };
}

impl Listed for Token {
    fn sort_value(&self, field: &str) -> Value {
        match field {
            "create_time" => Value::time(self.create_time),
            _ => Value::Text(self.id.as_str().to_owned()),
        }
    }
}

/// Why a token does not authenticate, as the `ErrorInfo.reason` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    Expired,
    Revoked,
    PrincipalDisabled,
}

impl Token {
    /// Whether the token may be used at `now`.
    pub fn check(&self, principal: &Principal, now: Timestamp) -> Result<(), TokenRefusal> {
        if self.revoke_time.is_some() {
            Err(TokenRefusal::Revoked)
        } else if self.expire_time.is_some_and(|t| t <= now) {
            Err(TokenRefusal::Expired)
        } else if principal.disabled {
            Err(TokenRefusal::PrincipalDisabled)
        } else {
            Ok(())
        }
    }
}

/// A bearer secret: `regie_` and 256 random bits in URL-safe base64. Only its hash is stored.
pub struct Secret(String);

impl Secret {
    pub const PREFIX: &'static str = "regie_";

    pub fn generate() -> Self {
        // Two v4 UUIDs are 244 random bits from the operating system's generator; a third
        // tops it up past 256.
        let mut bytes = Vec::with_capacity(48);
        for _ in 0..3 {
            bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        }
        Self(format!(
            "{}{}",
            Self::PREFIX,
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes)
        ))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> String {
        hash_secret(&self.0)
    }
}

/// The stored form of a secret: SHA-256, hex. The secrets are random and long, so a fast hash
/// is the right one (a password hash would only slow every call down).
pub fn hash_secret(secret: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(secret.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    hex
}

/// `rijk` or a department code.
pub fn domain(field: &str, text: &str) -> Result<String, FieldViolation> {
    if text == RIJK {
        return Ok(RIJK.to_owned());
    }
    DepartmentCode::parse(field, text)
        .map(|code| code.as_str().to_owned())
        .map_err(|_| {
            FieldViolation::new(
                field,
                format!("{text:?} is not a domain: `rijk` or a department code such as JenV"),
            )
        })
}

/// A role name: lower-case letters, digits and `_`, starting with a letter, at most 63.
pub fn role(field: &str, text: &str) -> Result<String, FieldViolation> {
    let valid = (1..=63).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(text.to_owned())
    } else {
        Err(FieldViolation::new(
            field,
            format!(
                "{text:?} is not a role: lower-case letters, digits and `_`, starting with a letter"
            ),
        ))
    }
}

/// An object (`case:work_item`, `department`, `case:*`, `*`) or an action (`read`,
/// `transition:accept`, `transition:*`, `*`): words of lower-case letters, digits and `_`,
/// joined by `:`, where the last may be `*`.
pub fn term(field: &str, text: &str) -> Result<String, FieldViolation> {
    let parts: Vec<&str> = text.split(':').collect();
    let word = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    let valid = text.len() <= 100
        && parts
            .iter()
            .enumerate()
            .all(|(i, w)| word(w) || (*w == "*" && i + 1 == parts.len()));
    if valid {
        Ok(text.to_owned())
    } else {
        Err(FieldViolation::new(
            field,
            format!(
                "{text:?} is not valid here: lower-case words joined by `:`, the last of which may be `*` (e.g. case:work_item, transition:*)"
            ),
        ))
    }
}

/// A principal holding a role in a domain (a Casbin `g` line).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleBinding {
    pub principal: PrincipalId,
    pub role: String,
    pub domain: String,
}

impl RoleBinding {
    /// As Casbin stores it.
    pub fn rule(&self) -> Vec<String> {
        vec![
            self.principal.name(),
            self.role.clone(),
            self.domain.clone(),
        ]
    }

    /// From a stored `g` line; `None` for one that is not a principal's binding.
    pub fn from_rule(rule: &[String]) -> Option<Self> {
        match rule {
            [subject, role, domain, ..] => Some(Self {
                principal: PrincipalId::from_name("", subject).ok()?,
                role: role.clone(),
                domain: domain.clone(),
            }),
            _ => None,
        }
    }
}

/// One policy line (a Casbin `p` line): `role` may do `action` on `object` in `domain` (`*`:
/// wherever the role is held).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PolicyLine {
    pub role: String,
    pub domain: String,
    pub object: String,
    pub action: String,
}

impl PolicyLine {
    pub fn validate(
        role_text: &str,
        domain_text: &str,
        object: &str,
        action: &str,
    ) -> Result<Self> {
        let mut v = Violations::new();
        let role = v.take(role("policy.role", role_text));
        let domain = if domain_text == "*" {
            Some("*".to_owned())
        } else {
            v.take(domain("policy.domain", domain_text))
        };
        let object = v.take(term("policy.object", object));
        let action = v.take(term("policy.action", action));
        v.finish()?;
        match (role, domain, object, action) {
            (Some(role), Some(domain), Some(object), Some(action)) => Ok(Self {
                role,
                domain,
                object,
                action,
            }),
            _ => Err(super::Error::internal("policy line checked")),
        }
    }

    pub fn rule(&self) -> Vec<String> {
        vec![
            self.role.clone(),
            self.domain.clone(),
            self.object.clone(),
            self.action.clone(),
        ]
    }

    pub fn from_rule(rule: &[String]) -> Option<Self> {
        match rule {
            [role, domain, object, action, ..] => Some(Self {
                role: role.clone(),
                domain: domain.clone(),
                object: object.clone(),
                action: action.clone(),
            }),
            _ => None,
        }
    }
}

impl fmt::Display for PolicyLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "policy line `p, {}, {}, {}, {}`",
            self.role, self.domain, self.object, self.action
        )
    }
}

impl fmt::Display for RoleBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "role {} of {} in {}",
            self.role,
            self.principal.name(),
            self.domain
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_of_the_same_departments_for_every_kind_filters_on_the_departments_alone() {
        use super::super::filter::Op;
        let kinds = ["framework", "work_item"];
        let jenv = || Domains::Only(["JenV".to_owned()].into_iter().collect());
        let scope = ReadScope {
            kinds: kinds.iter().map(|k| ((*k).to_owned(), jenv())).collect(),
        };
        let department = Expr::Compare {
            field: "department_id",
            op: Op::Eq,
            value: Value::Text("JenV".into()),
        };
        assert_eq!(
            scope.filter(&kinds),
            ScopeFilter::Only(Expr::Or(vec![department.clone()]))
        );
        // One kind readable everywhere: per kind, then.
        let mixed = ReadScope {
            kinds: [
                ("framework".to_owned(), Domains::All),
                ("work_item".to_owned(), jenv()),
            ]
            .into_iter()
            .collect(),
        };
        let kind = |k: &str| Expr::Compare {
            field: "kind",
            op: Op::Eq,
            value: Value::Text(k.into()),
        };
        assert_eq!(
            mixed.filter(&kinds),
            ScopeFilter::Only(Expr::Or(vec![
                kind("framework"),
                Expr::And(vec![kind("work_item"), Expr::Or(vec![department])]),
            ]))
        );
        assert_eq!(ReadScope::default().filter(&kinds), ScopeFilter::Nothing);
        assert_eq!(
            ReadScope::everything(kinds).filter(&kinds),
            ScopeFilter::Everything
        );
    }

    #[test]
    fn a_need_everywhere_names_each_member_of_a_family() {
        let need = Need::everywhere("case:", "transition:");
        assert_eq!(need, Need::new("case:*", "transition:*", ANY_DOMAIN));
        assert_eq!(need.to_string(), "transition:* case:* in any domain");
        assert_eq!(Need::everywhere("audit", "read").object, "audit");
        assert_eq!(
            Need::on_case("recommendation", None, "transition:accept").to_string(),
            "transition:accept case:recommendation in rijk"
        );
    }

    #[test]
    fn principal_ids() {
        for ok in ["admin", "anna.devries", "svc-koppeling_2"] {
            assert!(PrincipalId::parse("id", ok).is_ok(), "{ok}");
        }
        for bad in ["", "Admin", "1abc", "a b", &"a".repeat(64)] {
            assert!(PrincipalId::parse("id", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_are_long_random_and_hashed() {
        let a = Secret::generate();
        let b = Secret::generate();
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().starts_with("regie_"));
        // 48 bytes in base64 without padding.
        assert_eq!(a.expose().len(), "regie_".len() + 64);
        assert_eq!(a.hash(), hash_secret(a.expose()));
        assert_eq!(a.hash().len(), 64);
    }

    #[test]
    fn terms_domains_and_roles() {
        for ok in [
            "case:work_item",
            "transition:accept",
            "transition:*",
            "*",
            "department",
        ] {
            assert!(term("t", ok).is_ok(), "{ok}");
        }
        for bad in ["", "Case", "case:", "*:read", "case work", "case:*:x"] {
            assert!(term("t", bad).is_err(), "{bad}");
        }
        assert_eq!(domain("d", "rijk"), Ok("rijk".to_owned()));
        assert_eq!(domain("d", "JenV"), Ok("JenV".to_owned()));
        assert!(domain("d", "*").is_err());
        assert!(role("r", "integrity_coordinator").is_ok());
        assert!(role("r", "Admin").is_err());
    }

    #[test]
    fn bindings_round_trip_through_rules() {
        let binding = RoleBinding {
            principal: PrincipalId("anna".into()),
            role: "member".into(),
            domain: "JenV".into(),
        };
        assert_eq!(RoleBinding::from_rule(&binding.rule()), Some(binding));
    }
}
