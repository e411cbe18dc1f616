//! Resource names as the user types them: `JenV` or `departments/JenV`, `ipim` or
//! `workingGroups/ipim`, and members written as `CODE[:ROLE]` or `NAME[:ROLE]`.
//!
//! The functions here are clap value parsers: they turn an argument into the full resource name
//! the API expects, or explain what was expected. The server still validates the identifier
//! itself; this only settles the shape.

use regie_proto::v1::{WorkingGroupMember, working_group_member::Member};

/// The collection of departments: `departments/{code}`.
pub const DEPARTMENTS: &str = "departments";
/// The collection of working groups: `workingGroups/{id}`.
pub const WORKING_GROUPS: &str = "workingGroups";

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
