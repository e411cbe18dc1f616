//! The directory: departments and working groups, with the rules for creating and changing them.
//!
//! Drafts are what a client or the seed file sends; `validate` turns a draft into a value that
//! the store may write, reporting every bad field at once. Patches apply the fields of an update
//! mask to a stored value, under the same checks.

use serde::Deserialize;

use super::error::{Error, FieldViolation, Result, Violations, reason};
use super::filter::{Field, FieldType, Value};
use super::limits::{MAX_GROUP_MEMBERS, MAX_NAME_CHARS, MAX_TEXT_CHARS};
use super::listing::{ListSpec, Listed, SortKey};
pub use super::names::{DepartmentCode, GroupId};
use super::text;
use super::time::Timestamp;

/// A ministry, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub code: DepartmentCode,
    pub name_nl: String,
    pub name_en: String,
    pub in_sector_rijk: bool,
    pub active: bool,
    pub revision: i64,
    pub create_time: Timestamp,
    pub update_time: Timestamp,
}

/// A department as a client or the seed file describes it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentDraft {
    pub code: String,
    pub name_nl: String,
    pub name_en: String,
    pub in_sector_rijk: bool,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// A validated department, ready to be inserted.
#[derive(Debug, Clone)]
pub struct NewDepartment {
    pub code: DepartmentCode,
    pub name_nl: String,
    pub name_en: String,
    pub in_sector_rijk: bool,
    pub active: bool,
}

impl DepartmentDraft {
    /// `prefix` is the path of the draft in the request, e.g. `department`.
    pub fn validate(self, prefix: &str) -> Result<NewDepartment> {
        let mut v = Violations::new();
        let code = v.take(DepartmentCode::parse(&format!("{prefix}.code"), &self.code));
        let name_nl = v.take(text::name(
            &format!("{prefix}.name_nl"),
            &self.name_nl,
            MAX_NAME_CHARS,
        ));
        let name_en = v.take(text::name(
            &format!("{prefix}.name_en"),
            &self.name_en,
            MAX_NAME_CHARS,
        ));
        v.finish()?;
        match (code, name_nl, name_en) {
            (Some(code), Some(name_nl), Some(name_en)) => Ok(NewDepartment {
                code,
                name_nl,
                name_en,
                in_sector_rijk: self.in_sector_rijk,
                active: self.active,
            }),
            _ => Err(Error::internal("department validation lost a violation")),
        }
    }
}

/// The updatable fields of a department, each `Some` when the update mask names it.
#[derive(Debug, Clone, Default)]
pub struct DepartmentPatch {
    pub name_nl: Option<String>,
    pub name_en: Option<String>,
    pub in_sector_rijk: Option<bool>,
    pub active: Option<bool>,
}

impl DepartmentPatch {
    pub const UPDATABLE: &'static [&'static str] =
        &["name_nl", "name_en", "in_sector_rijk", "active"];

    pub fn apply(self, department: &mut Department) -> Result<()> {
        let mut v = Violations::new();
        if let Some(name) = self
            .name_nl
            .and_then(|n| v.take(text::name("department.name_nl", &n, MAX_NAME_CHARS)))
        {
            department.name_nl = name;
        }
        if let Some(name) = self
            .name_en
            .and_then(|n| v.take(text::name("department.name_en", &n, MAX_NAME_CHARS)))
        {
            department.name_en = name;
        }
        v.finish()?;
        if let Some(in_sector_rijk) = self.in_sector_rijk {
            department.in_sector_rijk = in_sector_rijk;
        }
        if let Some(active) = self.active {
            department.active = active;
        }
        Ok(())
    }
}

impl Department {
    pub fn name(&self) -> String {
        self.code.name()
    }

    pub fn etag(&self) -> String {
        etag(self.revision)
    }

    pub const LIST: ListSpec = ListSpec {
        resource: "departments",
        filter_fields: &[
            Field::new("code", FieldType::Text),
            Field::new("name_nl", FieldType::Text),
            Field::new("name_en", FieldType::Text),
            Field::new("in_sector_rijk", FieldType::Bool),
            Field::new("active", FieldType::Bool),
        ],
        order_fields: &[
            Field::new("code", FieldType::Text),
            Field::new("name_nl", FieldType::Text),
            Field::new("name_en", FieldType::Text),
        ],
        key: Field::new("code", FieldType::Text),
        default_order: &[SortKey::asc("code")],
    };
}

impl Listed for Department {
    fn sort_value(&self, field: &str) -> Value {
        Value::Text(match field {
            "name_nl" => self.name_nl.clone(),
            "name_en" => self.name_en.clone(),
            _ => self.code.as_str().to_owned(),
        })
    }
}

/// The etag of a resource at a revision.
pub fn etag(revision: i64) -> String {
    revision.to_string()
}

/// Refuses a change made against a stale etag. An empty etag means "whatever is current".
pub fn check_etag(resource: &str, given: &str, revision: i64) -> Result<()> {
    let current = etag(revision);
    if given.is_empty() || given == current {
        Ok(())
    } else {
        Err(Error::EtagMismatch {
            resource: resource.to_owned(),
            given: given.to_owned(),
            current,
        })
    }
}

/// A reference from one resource to a department must name one that exists and is active.
pub fn check_department_reference(
    field: &str,
    code: &DepartmentCode,
    found: Option<&Department>,
) -> Result<()> {
    match found {
        None => Err(Error::invalid_field(
            field,
            format!("{} does not exist", code.name()),
        )),
        Some(department) if !department.active => Err(Error::failed_precondition(
            reason::DEPARTMENT_INACTIVE,
            format!(
                "{} is inactive and cannot take part in new work",
                department.name()
            ),
        )),
        Some(_) => Ok(()),
    }
}

/// Who a working-group member is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberRef {
    Department(DepartmentCode),
    Person(String),
}

impl MemberRef {
    fn same(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Department(a), Self::Department(b)) => a == b,
            (Self::Person(a), Self::Person(b)) => a.to_lowercase() == b.to_lowercase(),
            _ => false,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Department(code) => code.name(),
            Self::Person(person) => format!("person {person:?}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub who: MemberRef,
    pub role: String,
}

/// A member as a client sends it: exactly one of `department` (a resource name) and `person`.
#[derive(Debug, Clone, Default)]
pub struct MemberDraft {
    pub department: Option<String>,
    pub person: Option<String>,
    pub role: String,
}

impl MemberDraft {
    pub const DEFAULT_ROLE: &'static str = "member";

    /// Checks who the member is; `prefix` is the member's path in the request.
    pub fn validate_ref(&self, prefix: &str) -> Result<MemberRef, FieldViolation> {
        match (&self.department, &self.person) {
            (Some(department), None) => {
                DepartmentCode::from_name(&format!("{prefix}.department"), department)
                    .map(MemberRef::Department)
            }
            (None, Some(person)) => text::name(&format!("{prefix}.person"), person, MAX_NAME_CHARS)
                .map(MemberRef::Person),
            _ => Err(FieldViolation::new(
                prefix,
                "set exactly one of `department` and `person`",
            )),
        }
    }

    pub fn validate(&self, prefix: &str) -> Result<Member, Vec<FieldViolation>> {
        let mut errors = Vec::new();
        let who = self.validate_ref(prefix).map_err(|e| errors.push(e)).ok();
        let role = if self.role.trim().is_empty() {
            Self::DEFAULT_ROLE
        } else {
            &self.role
        };
        let role = text::name(&format!("{prefix}.role"), role, 100)
            .map_err(|e| errors.push(e))
            .ok();
        match (who, role) {
            (Some(who), Some(role)) if errors.is_empty() => Ok(Member { who, role }),
            _ => Err(errors),
        }
    }
}

/// A working group, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingGroup {
    pub id: GroupId,
    pub display_name: String,
    pub mandate: String,
    pub chair_department: DepartmentCode,
    pub members: Vec<Member>,
    pub active: bool,
    pub revision: i64,
    pub create_time: Timestamp,
    pub update_time: Timestamp,
}

#[derive(Debug, Clone, Default)]
pub struct WorkingGroupDraft {
    /// Empty: the server chooses one from the display name.
    pub id: String,
    pub display_name: String,
    pub mandate: String,
    pub chair_department: String,
    pub members: Vec<MemberDraft>,
}

/// A validated working group, ready to be inserted.
#[derive(Debug, Clone)]
pub struct NewWorkingGroup {
    pub id: GroupId,
    pub display_name: String,
    pub mandate: String,
    pub chair_department: DepartmentCode,
    pub members: Vec<Member>,
}

impl NewWorkingGroup {
    /// Every department the group refers to, with the request field that names it.
    pub fn department_references(&self) -> Vec<(String, DepartmentCode)> {
        let mut refs = vec![(
            "working_group.chair_department".to_owned(),
            self.chair_department.clone(),
        )];
        for (i, member) in self.members.iter().enumerate() {
            if let MemberRef::Department(code) = &member.who {
                refs.push((
                    format!("working_group.members[{i}].department"),
                    code.clone(),
                ));
            }
        }
        refs
    }
}

impl WorkingGroupDraft {
    pub fn validate(self) -> Result<NewWorkingGroup> {
        let mut v = Violations::new();
        let display_name = v.take(text::name(
            "working_group.display_name",
            &self.display_name,
            MAX_NAME_CHARS,
        ));
        let id = if self.id.is_empty() {
            display_name.as_deref().map(GroupId::generate)
        } else {
            v.take(GroupId::parse("working_group_id", &self.id))
        };
        let mandate = v.take(text::body(
            "working_group.mandate",
            &self.mandate,
            MAX_TEXT_CHARS,
        ));
        let chair = v.take(DepartmentCode::from_name(
            "working_group.chair_department",
            &self.chair_department,
        ));
        if self.members.len() > MAX_GROUP_MEMBERS {
            v.add(
                "working_group.members",
                format!(
                    "has {} entries; the maximum is {MAX_GROUP_MEMBERS}",
                    self.members.len()
                ),
            );
        }
        let mut members: Vec<Member> = Vec::new();
        for (i, draft) in self.members.iter().enumerate() {
            let prefix = format!("working_group.members[{i}]");
            match draft.validate(&prefix) {
                Ok(member) if members.iter().any(|m| m.who.same(&member.who)) => {
                    v.add(prefix, format!("{} is listed twice", member.who.describe()));
                }
                Ok(member) => members.push(member),
                Err(errors) => errors
                    .into_iter()
                    .for_each(|e| v.add(e.field, e.description)),
            }
        }
        v.finish()?;
        match (id, display_name, mandate, chair) {
            (Some(id), Some(display_name), Some(mandate), Some(chair_department)) => {
                Ok(NewWorkingGroup {
                    id,
                    display_name,
                    mandate,
                    chair_department,
                    members,
                })
            }
            _ => Err(Error::internal("working group validation lost a violation")),
        }
    }
}

/// The updatable fields of a working group.
#[derive(Debug, Clone, Default)]
pub struct WorkingGroupPatch {
    pub display_name: Option<String>,
    pub mandate: Option<String>,
    pub chair_department: Option<String>,
    pub active: Option<bool>,
}

impl WorkingGroupPatch {
    pub const UPDATABLE: &'static [&'static str] =
        &["display_name", "mandate", "chair_department", "active"];

    /// The chair department the patch sets, parsed, for the caller to check that it exists.
    pub fn chair(&self) -> Result<Option<DepartmentCode>> {
        self.chair_department
            .as_deref()
            .map(|name| DepartmentCode::from_name("working_group.chair_department", name))
            .transpose()
            .map_err(|e| Error::invalid_fields(vec![e]))
    }

    pub fn apply(self, group: &mut WorkingGroup) -> Result<()> {
        let chair = self.chair()?;
        let mut v = Violations::new();
        if let Some(name) = self
            .display_name
            .and_then(|n| v.take(text::name("working_group.display_name", &n, MAX_NAME_CHARS)))
        {
            group.display_name = name;
        }
        if let Some(mandate) = self
            .mandate
            .and_then(|m| v.take(text::body("working_group.mandate", &m, MAX_TEXT_CHARS)))
        {
            group.mandate = mandate;
        }
        v.finish()?;
        if let Some(chair) = chair {
            group.chair_department = chair;
        }
        if let Some(active) = self.active {
            group.active = active;
        }
        Ok(())
    }
}

impl WorkingGroup {
    pub fn name(&self) -> String {
        self.id.name()
    }

    pub fn etag(&self) -> String {
        etag(self.revision)
    }

    pub fn add_member(&mut self, member: Member) -> Result<()> {
        if self.members.iter().any(|m| m.who.same(&member.who)) {
            return Err(Error::already_exists(format!(
                "member {} of {}",
                member.who.describe(),
                self.name()
            )));
        }
        if self.members.len() >= MAX_GROUP_MEMBERS {
            return Err(Error::failed_precondition(
                reason::INVALID_FIELD,
                format!(
                    "{} already has the maximum of {MAX_GROUP_MEMBERS} members",
                    self.name()
                ),
            ));
        }
        self.members.push(member);
        Ok(())
    }

    pub fn remove_member(&mut self, who: &MemberRef) -> Result<()> {
        let before = self.members.len();
        self.members.retain(|m| !m.who.same(who));
        if self.members.len() == before {
            return Err(Error::not_found(format!(
                "member {} of {}",
                who.describe(),
                self.name()
            )));
        }
        Ok(())
    }

    pub const LIST: ListSpec = ListSpec {
        resource: "workingGroups",
        filter_fields: &[
            Field::new("display_name", FieldType::Text),
            Field::new("chair_department", FieldType::Name("departments")),
            Field::new("active", FieldType::Bool),
        ],
        order_fields: &[
            Field::new("display_name", FieldType::Text),
            Field::new("create_time", FieldType::Time),
            Field::new("id", FieldType::Text),
        ],
        key: Field::new("id", FieldType::Text),
        default_order: &[SortKey::asc("display_name")],
    };
}

impl Listed for WorkingGroup {
    fn sort_value(&self, field: &str) -> Value {
        match field {
            "display_name" => Value::Text(self.display_name.clone()),
            "create_time" => Value::time(self.create_time),
            _ => Value::Text(self.id.as_str().to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> DepartmentDraft {
        DepartmentDraft {
            code: "JenV".into(),
            name_nl: "Ministerie van Justitie en Veiligheid".into(),
            name_en: "Ministry of Justice and Security".into(),
            in_sector_rijk: true,
            active: true,
        }
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let err = DepartmentDraft {
            code: String::new(),
            name_en: "x".repeat(10_000),
            ..draft()
        }
        .validate("department")
        .unwrap_err();
        let Error::InvalidArgument { violations, .. } = err else {
            panic!("expected InvalidArgument")
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["department.code", "department.name_en"]);
    }

    #[test]
    fn stale_etags_are_refused() {
        assert!(check_etag("departments/AZ", "", 3).is_ok());
        assert!(check_etag("departments/AZ", "3", 3).is_ok());
        assert!(matches!(
            check_etag("departments/AZ", "2", 3),
            Err(Error::EtagMismatch { .. })
        ));
    }

    #[test]
    fn members_are_unique_regardless_of_case() {
        let group = WorkingGroupDraft {
            display_name: "IPIM werkgroep".into(),
            chair_department: "departments/BZK".into(),
            members: vec![
                MemberDraft {
                    person: Some("Anna de Vries".into()),
                    ..Default::default()
                },
                MemberDraft {
                    person: Some("anna de vries".into()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let err = group.validate().unwrap_err();
        assert!(
            err.to_string().contains("working_group.members[1]"),
            "{err}"
        );
    }
}
