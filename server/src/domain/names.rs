//! Resource names and the identifiers inside them, each a type that can only hold a valid value.
//!
//! A name arrives as text from a client (`departments/JenV`); parsing it is the only way to get
//! the typed identifier, so nothing further down has to re-check it.

use std::fmt;

use super::error::FieldViolation;

/// A department code such as `BZK` or `JenV`: a letter, then up to 15 letters or digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DepartmentCode(String);

impl DepartmentCode {
    pub const COLLECTION: &'static str = "departments";

    pub fn parse(field: &str, text: &str) -> Result<Self, FieldViolation> {
        let mut chars = text.chars();
        let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric())
            && text.len() <= 16;
        if valid && text.eq_ignore_ascii_case(super::access::RIJK) {
            // `rijk` is the government-wide domain of the access policy: a department of that
            // name would be granted whatever is granted government-wide.
            return Err(FieldViolation::new(
                field,
                "`rijk` is not a department code: it names the government-wide domain",
            ));
        }
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(FieldViolation::new(
                field,
                format!(
                    "{text:?} is not a department code: a letter, then up to 15 letters or digits (e.g. BZK, JenV)"
                ),
            ))
        }
    }

    /// Parses `departments/{code}`.
    pub fn from_name(field: &str, name: &str) -> Result<Self, FieldViolation> {
        let code = collection_id(field, name, Self::COLLECTION)?;
        Self::parse(field, code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `departments/{code}`.
    pub fn name(&self) -> String {
        format!("{}/{}", Self::COLLECTION, self.0)
    }
}

impl fmt::Display for DepartmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A working group id: lower-case letters, digits and hyphens, 3 to 63 characters, starting with
/// a letter and not ending with a hyphen (RFC 1034 style, as AIP-122 recommends).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupId(String);

impl GroupId {
    pub const COLLECTION: &'static str = "workingGroups";

    pub fn parse(field: &str, text: &str) -> Result<Self, FieldViolation> {
        let valid = (3..=63).contains(&text.len())
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && !text.ends_with('-')
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(FieldViolation::new(
                field,
                format!(
                    "{text:?} is not a working group id: 3 to 63 lower-case letters, digits and hyphens, starting with a letter"
                ),
            ))
        }
    }

    /// Parses `workingGroups/{id}`.
    pub fn from_name(field: &str, name: &str) -> Result<Self, FieldViolation> {
        let id = collection_id(field, name, Self::COLLECTION)?;
        Self::parse(field, id)
    }

    /// An id derived from a display name, with a random suffix so that two groups of the same
    /// name still get different ids: "IPIM werkgroep" → `ipim-werkgroep-3f9a`.
    pub fn generate(display_name: &str) -> Self {
        let mut slug = String::new();
        for c in display_name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
            if slug.len() >= 40 {
                break;
            }
        }
        let slug = slug.trim_matches('-');
        let slug = if slug.starts_with(|c: char| c.is_ascii_lowercase()) {
            slug.to_owned()
        } else {
            format!("wg-{slug}")
        };
        let suffix = &uuid::Uuid::new_v4().simple().to_string()[..4];
        Self(format!("{}-{suffix}", slug.trim_end_matches('-')))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `workingGroups/{id}`.
    pub fn name(&self) -> String {
        format!("{}/{}", Self::COLLECTION, self.0)
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id part of `{collection}/{id}`.
pub fn collection_id<'a>(
    field: &str,
    name: &'a str,
    collection: &str,
) -> Result<&'a str, FieldViolation> {
    name.strip_prefix(collection)
        .and_then(|rest| rest.strip_prefix('/'))
        .ok_or_else(|| {
            FieldViolation::new(
                field,
                format!("{name:?} is not a resource name of the form `{collection}/{{id}}`"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn department_codes() {
        for ok in ["AZ", "JenV", "Defensie", "AenM"] {
            assert!(DepartmentCode::parse("code", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1BZ",
            "B-Z",
            "ABCDEFGHIJKLMNOPQ",
            "BZ K",
            "rijk",
            "Rijk",
        ] {
            assert!(DepartmentCode::parse("code", bad).is_err(), "{bad}");
        }
        assert_eq!(
            DepartmentCode::from_name("name", "departments/JenV").map(|c| c.name()),
            Ok("departments/JenV".into())
        );
        assert!(DepartmentCode::from_name("name", "department/JenV").is_err());
    }

    #[test]
    fn generated_group_ids_are_valid() {
        for name in [
            "IPIM werkgroep kwaliteitscriteria",
            "  ",
            "2026 — risico’s!",
            &"x".repeat(300),
        ] {
            let id = GroupId::generate(name);
            assert!(GroupId::parse("id", id.as_str()).is_ok(), "{id}");
        }
    }
}
