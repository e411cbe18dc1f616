//! Resource names as the user types them: `JenV` or `departments/JenV`, `ipim` or
//! `workingGroups/ipim`, `abc123` or `cases/abc123`, `work_item` or `workflows/work_item`,
//! `anna` or `principals/anna`, `t1` or `tokens/t1`, `basis` or `criteriaSets/basis`, risks as
//! `cases/ID/risks/N`, members written as `CODE[:ROLE]` or `NAME[:ROLE]`, and the domains and
//! roles of access control.
//!
//! The functions here are clap value parsers: they turn an argument into the full resource name
//! the API expects, or explain what was expected. The server still validates the identifier
//! itself; this only settles the shape.

use regie_proto::v1::{WorkingGroupMember, working_group_member::Member};

/// The collection of departments: `departments/{code}`.
pub const DEPARTMENTS: &str = "departments";
/// The collection of working groups: `workingGroups/{id}`.
pub const WORKING_GROUPS: &str = "workingGroups";

/// The collection of cases: `cases/{id}`.
pub const CASES: &str = "cases";
/// The collection of criteria sets (toetsingskaders): `criteriaSets/{id}`.
pub const CRITERIA_SETS: &str = "criteriaSets";
/// The risks of a risk analysis: `cases/{id}/risks/{n}`.
pub const RISKS: &str = "risks";
/// The collection of workflows: `workflows/{kind}`, `workflows/{kind}/versions/{n}`.
pub const WORKFLOWS: &str = "workflows";
/// The addressee of a recommendation that is not a department.
pub const COORDINATING_MINISTER: &str = "coordinating_minister";

/// The collection of principals (people and service accounts): `principals/{id}`.
pub const PRINCIPALS: &str = "principals";
/// The collection of API tokens: `tokens/{id}`.
pub const TOKENS: &str = "tokens";
/// The government-wide domain; a role held there applies in every department.
pub const RIJK: &str = "rijk";

/// `JenV` or `departments/JenV` → `departments/JenV`.
pub fn department_name(arg: &str) -> Result<String, String> {
    resource_name(DEPARTMENTS, "department code", "CODE", arg)
}

/// `ipim` or `workingGroups/ipim` → `workingGroups/ipim`.
pub fn group_name(arg: &str) -> Result<String, String> {
    resource_name(WORKING_GROUPS, "working group id", "ID", arg)
}

/// `ipim` or `workingGroups/ipim` → `ipim`.
pub fn group_id(arg: &str) -> Result<String, String> {
    group_name(arg).map(|name| short_id(WORKING_GROUPS, &name).to_owned())
}

/// `abc123` or `cases/abc123` → `cases/abc123`.
pub fn case_name(arg: &str) -> Result<String, String> {
    resource_name(CASES, "case id", "ID", arg)
}

/// `basis` or `criteriaSets/basis` → `criteriaSets/basis`.
pub fn criteria_set_name(arg: &str) -> Result<String, String> {
    resource_name(CRITERIA_SETS, "criteria set id", "ID", arg)
}

/// `cases/abc/risks/3` or `abc/risks/3` → `cases/abc/risks/3`.
pub fn risk_name(arg: &str) -> Result<String, String> {
    let arg = arg.trim();
    let expected =
        || format!("expected a risk name `{CASES}/ID/{RISKS}/N` (or `ID/{RISKS}/N`), not `{arg}`");
    let rest = arg
        .strip_prefix(CASES)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(arg);
    match rest.split('/').collect::<Vec<_>>().as_slice() {
        [case, RISKS, n] if !case.is_empty() && !n.is_empty() => {
            Ok(format!("{CASES}/{case}/{RISKS}/{n}"))
        }
        _ => Err(expected()),
    }
}

/// `anna` or `principals/anna` → `principals/anna`.
pub fn principal_name(arg: &str) -> Result<String, String> {
    resource_name(PRINCIPALS, "principal id", "ID", arg)
}

/// `anna` or `principals/anna` → `anna`: the id a new principal is created with.
pub fn principal_id(arg: &str) -> Result<String, String> {
    principal_name(arg).map(|name| short_id(PRINCIPALS, &name).to_owned())
}

/// `t1` or `tokens/t1` → `tokens/t1`.
pub fn token_name(arg: &str) -> Result<String, String> {
    resource_name(TOKENS, "token id", "ID", arg)
}

/// An access-control domain: `rijk`, or a department code. `departments/JenV` is accepted and
/// becomes `JenV`, as the API names domains by their bare code; `*` (in a policy line: "where
/// the role is held") passes unchanged.
pub fn domain(arg: &str) -> Result<String, String> {
    let arg = arg.trim();
    let code = arg
        .strip_prefix(DEPARTMENTS)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(arg);
    if code.is_empty() || code.contains('/') || code.contains(char::is_whitespace) {
        return Err(format!(
            "expected `{RIJK}` or a department code (`JenV`), not `{arg}`"
        ));
    }
    Ok(code.to_owned())
}

/// A role, e.g. `integrity_coordinator`: one word, not blank.
pub fn role(arg: &str) -> Result<String, String> {
    let role = arg.trim();
    if role.is_empty() || role.contains(char::is_whitespace) {
        return Err(format!(
            "expected a role such as `integrity_coordinator`, not `{arg}`"
        ));
    }
    Ok(role.to_owned())
}

/// `parse(arg)`, or `""` when the argument is blank: for flags where `""` clears a field.
fn or_empty(arg: &str, parse: fn(&str) -> Result<String, String>) -> Result<String, String> {
    if arg.trim().is_empty() {
        Ok(String::new())
    } else {
        parse(arg)
    }
}

/// As [`department_name`], or `""` to clear the field.
pub fn department_name_or_empty(arg: &str) -> Result<String, String> {
    or_empty(arg, department_name)
}

/// As [`group_name`], or `""` to clear the field.
pub fn group_name_or_empty(arg: &str) -> Result<String, String> {
    or_empty(arg, group_name)
}

/// As [`case_name`], or `""` to clear the field.
pub fn case_name_or_empty(arg: &str) -> Result<String, String> {
    or_empty(arg, case_name)
}

/// A recommendation's addressee: `coordinating_minister`, or a department code or name.
pub fn addressee(arg: &str) -> Result<String, String> {
    if arg.trim() == COORDINATING_MINISTER {
        Ok(COORDINATING_MINISTER.to_owned())
    } else {
        department_name(arg).map_err(|e| format!("{e}, or `{COORDINATING_MINISTER}`"))
    }
}

/// A workflow as given on the command line: its kind, and the version if the name has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowRef {
    pub kind: String,
    pub version: Option<u32>,
}

impl WorkflowRef {
    /// `workflows/{kind}` (the latest version), or `workflows/{kind}/versions/{n}`; `version`
    /// (from `--version`) wins over none in the name, and must agree with one that is there.
    pub fn name(&self, version: Option<u32>) -> Result<String, String> {
        let version = match (self.version, version) {
            (Some(a), Some(b)) if a != b => {
                return Err(format!(
                    "the name says version {a} but --version says {b}; give the version once"
                ));
            }
            (a, b) => a.or(b),
        };
        Ok(match version {
            None => format!("{WORKFLOWS}/{}", self.kind),
            Some(n) => format!("{WORKFLOWS}/{}/versions/{n}", self.kind),
        })
    }
}

/// `work_item`, `workflows/work_item` or `workflows/work_item/versions/2`.
pub fn workflow(arg: &str) -> Result<WorkflowRef, String> {
    let arg = arg.trim();
    let expected = || {
        format!(
            "expected a case kind (`work_item`), `{WORKFLOWS}/KIND` or \
             `{WORKFLOWS}/KIND/versions/N`, not `{arg}`"
        )
    };
    let parts: Vec<&str> = arg.split('/').collect();
    let (kind, version) = match parts.as_slice() {
        [kind] | [WORKFLOWS, kind] => (*kind, None),
        [WORKFLOWS, kind, "versions", n] => {
            let n = n
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(expected)?;
            (*kind, Some(n))
        }
        _ => return Err(expected()),
    };
    if kind.is_empty() {
        return Err(expected());
    }
    Ok(WorkflowRef {
        kind: kind.to_owned(),
        version,
    })
}

/// A person's name: anything but blank.
pub fn person_name(arg: &str) -> Result<String, String> {
    let name = arg.trim();
    if name.is_empty() {
        return Err("a person's name cannot be empty".to_owned());
    }
    Ok(name.to_owned())
}

fn resource_name(collection: &str, noun: &str, id_kind: &str, arg: &str) -> Result<String, String> {
    let arg = arg.trim();
    let id = match arg.split_once('/') {
        None => arg,
        Some((prefix, id)) if prefix == collection => id,
        Some(_) => {
            return Err(format!(
                "expected a {noun} or `{collection}/{id_kind}`, not `{arg}`"
            ));
        }
    };
    if id.is_empty() || id.contains('/') {
        return Err(format!(
            "expected a {noun} or `{collection}/{id_kind}`, not `{arg}`"
        ));
    }
    Ok(format!("{collection}/{id}"))
}

/// The id part of a resource name, for display: `departments/JenV` → `JenV`. A name outside the
/// collection is returned whole.
pub fn short_id<'a>(collection: &str, name: &'a str) -> &'a str {
    name.strip_prefix(collection)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(name)
}

/// A member given on the command line, before it becomes a [`WorkingGroupMember`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSpec {
    pub who: Who,
    /// Empty: the server's default role (`member`).
    pub role: String,
}

/// Who a member is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// A department resource name (`departments/JenV`).
    Department(String),
    /// A person's name.
    Person(String),
}

impl Who {
    /// The `member` oneof of the API.
    pub fn to_proto(&self) -> Member {
        match self {
            Who::Department(name) => Member::Department(name.clone()),
            Who::Person(name) => Member::Person(name.clone()),
        }
    }
}

impl MemberSpec {
    pub fn to_proto(&self) -> WorkingGroupMember {
        WorkingGroupMember {
            member: Some(self.who.to_proto()),
            role: self.role.clone(),
        }
    }
}

/// `JenV`, `JenV:secretary` or `departments/JenV:secretary`.
pub fn department_member(arg: &str) -> Result<MemberSpec, String> {
    let (who, role) = split_role(arg)?;
    Ok(MemberSpec {
        who: Who::Department(department_name(who)?),
        role,
    })
}

/// `Jan Jansen` or `Jan Jansen:secretary`.
pub fn person_member(arg: &str) -> Result<MemberSpec, String> {
    let (who, role) = split_role(arg)?;
    Ok(MemberSpec {
        who: Who::Person(person_name(who)?),
        role,
    })
}

/// Splits `WHO[:ROLE]` at the last colon; roles never contain one.
fn split_role(arg: &str) -> Result<(&str, String), String> {
    match arg.rsplit_once(':') {
        None => Ok((arg, String::new())),
        Some((who, role)) => {
            let role = role.trim();
            if role.is_empty() {
                Err(format!(
                    "empty role after `:` in `{arg}`; leave out the `:` for the default role"
                ))
            } else {
                Ok((who, role.to_owned()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn department_arguments_become_resource_names() {
        assert_eq!(department_name("JenV").as_deref(), Ok("departments/JenV"));
        assert_eq!(
            department_name("departments/JenV").as_deref(),
            Ok("departments/JenV")
        );
        assert_eq!(department_name(" BZK ").as_deref(), Ok("departments/BZK"));
        assert!(department_name("").is_err());
        assert!(department_name("departments/").is_err());
        assert!(department_name("workingGroups/BZK").is_err());
        assert!(department_name("departments/BZK/x").is_err());
    }

    #[test]
    fn group_arguments_become_resource_names() {
        assert_eq!(group_name("ipim").as_deref(), Ok("workingGroups/ipim"));
        assert_eq!(
            group_name("workingGroups/ipim").as_deref(),
            Ok("workingGroups/ipim")
        );
        assert_eq!(group_id("workingGroups/ipim").as_deref(), Ok("ipim"));
        assert!(group_name("departments/BZK").is_err());
    }

    #[test]
    fn case_arguments_become_resource_names() {
        assert_eq!(case_name("abc123").as_deref(), Ok("cases/abc123"));
        assert_eq!(case_name("cases/abc123").as_deref(), Ok("cases/abc123"));
        assert_eq!(case_name(" cases/x ").as_deref(), Ok("cases/x"));
        assert!(case_name("").is_err());
        assert!(case_name("cases/").is_err());
        assert!(case_name("departments/BZK").is_err());
        assert!(case_name("cases/a/b").is_err());
    }

    #[test]
    fn criteria_set_and_risk_arguments_become_resource_names() {
        assert_eq!(
            criteria_set_name("basis").as_deref(),
            Ok("criteriaSets/basis")
        );
        assert_eq!(
            criteria_set_name(" criteriaSets/basis ").as_deref(),
            Ok("criteriaSets/basis")
        );
        assert!(criteria_set_name("cases/basis").is_err());
        assert!(criteria_set_name("criteriaSets/").is_err());
        assert_eq!(
            risk_name("cases/abc/risks/3").as_deref(),
            Ok("cases/abc/risks/3")
        );
        assert_eq!(risk_name("abc/risks/3").as_deref(), Ok("cases/abc/risks/3"));
        for bad in [
            "",
            "abc",
            "cases/abc",
            "cases/abc/risks/",
            "cases//risks/1",
            "x/y/1",
            "cases/a/risks/1/2",
        ] {
            assert!(risk_name(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn principal_arguments_become_resource_names() {
        assert_eq!(principal_name("anna").as_deref(), Ok("principals/anna"));
        assert_eq!(
            principal_name(" principals/ci-bot ").as_deref(),
            Ok("principals/ci-bot")
        );
        assert_eq!(principal_id("principals/anna").as_deref(), Ok("anna"));
        assert_eq!(principal_id("anna").as_deref(), Ok("anna"));
        assert!(principal_name("").is_err());
        assert!(principal_name("principals/").is_err());
        assert!(principal_name("tokens/anna").is_err());
        assert!(principal_id("principals/a/b").is_err());
        assert_eq!(short_id(PRINCIPALS, "principals/anna"), "anna");
    }

    #[test]
    fn token_arguments_become_resource_names() {
        assert_eq!(token_name("t1").as_deref(), Ok("tokens/t1"));
        assert_eq!(token_name("tokens/t1").as_deref(), Ok("tokens/t1"));
        assert!(token_name("principals/t1").is_err());
        assert!(token_name("tokens/").is_err());
    }

    #[test]
    fn domains_are_rijk_or_bare_department_codes() {
        assert_eq!(domain("rijk").as_deref(), Ok("rijk"));
        assert_eq!(domain(" JenV ").as_deref(), Ok("JenV"));
        assert_eq!(domain("departments/JenV").as_deref(), Ok("JenV"));
        assert_eq!(domain("*").as_deref(), Ok("*"));
        assert!(domain("").is_err());
        assert!(domain("departments/").is_err());
        assert!(domain("cases/x").is_err());
        assert!(domain("Jen V").is_err());
        assert_eq!(role(" auditor ").as_deref(), Ok("auditor"));
        assert!(role(" ").is_err());
        assert!(role("two words").is_err());
    }

    #[test]
    fn empty_arguments_clear() {
        assert_eq!(case_name_or_empty("").as_deref(), Ok(""));
        assert_eq!(case_name_or_empty("x").as_deref(), Ok("cases/x"));
        assert_eq!(department_name_or_empty(" ").as_deref(), Ok(""));
        assert_eq!(
            department_name_or_empty("JenV").as_deref(),
            Ok("departments/JenV")
        );
        assert_eq!(group_name_or_empty("").as_deref(), Ok(""));
        assert!(group_name_or_empty("cases/x").is_err());
    }

    #[test]
    fn addressees() {
        assert_eq!(
            addressee("coordinating_minister").as_deref(),
            Ok("coordinating_minister")
        );
        assert_eq!(addressee("JenV").as_deref(), Ok("departments/JenV"));
        assert!(addressee("cases/x").is_err());
    }

    #[test]
    fn workflow_arguments_become_resource_names() {
        let latest = |arg: &str| workflow(arg).and_then(|w| w.name(None));
        assert_eq!(latest("work_item").as_deref(), Ok("workflows/work_item"));
        assert_eq!(
            latest("workflows/work_item").as_deref(),
            Ok("workflows/work_item")
        );
        assert_eq!(
            latest("workflows/recommendation/versions/2").as_deref(),
            Ok("workflows/recommendation/versions/2")
        );
        let item = workflow("work_item").expect("valid");
        assert_eq!(
            item.name(Some(3)).as_deref(),
            Ok("workflows/work_item/versions/3")
        );
        let v2 = workflow("workflows/work_item/versions/2").expect("valid");
        assert_eq!(
            v2.name(Some(2)).as_deref(),
            Ok("workflows/work_item/versions/2")
        );
        assert!(v2.name(Some(3)).is_err(), "two different versions");
        for bad in [
            "",
            "workflows/",
            "workflows/work_item/versions/0",
            "workflows/work_item/versions/x",
            "workflows/work_item/2",
            "cases/work_item",
        ] {
            assert!(workflow(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn short_ids_strip_the_collection() {
        assert_eq!(short_id(DEPARTMENTS, "departments/JenV"), "JenV");
        assert_eq!(short_id(WORKING_GROUPS, "workingGroups/ipim-1"), "ipim-1");
        assert_eq!(
            short_id(DEPARTMENTS, "departmentsX/JenV"),
            "departmentsX/JenV"
        );
        assert_eq!(short_id(DEPARTMENTS, "JenV"), "JenV");
    }

    #[test]
    fn members_with_and_without_roles() {
        assert_eq!(
            department_member("JenV"),
            Ok(MemberSpec {
                who: Who::Department("departments/JenV".into()),
                role: String::new()
            })
        );
        assert_eq!(
            department_member("departments/JenV:secretary"),
            Ok(MemberSpec {
                who: Who::Department("departments/JenV".into()),
                role: "secretary".into()
            })
        );
        assert_eq!(
            person_member("Jan Jansen:chair"),
            Ok(MemberSpec {
                who: Who::Person("Jan Jansen".into()),
                role: "chair".into()
            })
        );
        assert_eq!(
            person_member("Jan Jansen").map(|m| m.role),
            Ok(String::new())
        );
        assert!(department_member("JenV:").is_err());
        assert!(department_member(":chair").is_err());
        assert!(person_member(" :chair").is_err());
    }

    #[test]
    fn members_become_the_api_oneof() {
        let member = department_member("BZK:chair")
            .expect("valid member")
            .to_proto();
        assert_eq!(
            member.member,
            Some(Member::Department("departments/BZK".into()))
        );
        assert_eq!(member.role, "chair");
    }
}
