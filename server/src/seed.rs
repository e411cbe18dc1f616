//! First-start data: the departments from `data/departments.toml` (embedded), or from the file an
//! operator names. The file is data, not code; its entries go through the same validation as a
//! `CreateDepartment` call.

use std::path::Path;

use anyhow::Context as _;
use serde::Deserialize;

use crate::domain::directory::{DepartmentDraft, NewDepartment};

/// The seed file shipped with the server.
pub const DEFAULT_DEPARTMENTS: &str = include_str!("../data/departments.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedFile {
    department: Vec<DepartmentDraft>,
}

/// Reads and validates the seed departments: from `path` when given, else the embedded file.
pub fn departments(path: Option<&Path>) -> anyhow::Result<Vec<NewDepartment>> {
    let (origin, text) = match path {
        Some(path) => (
            path.display().to_string(),
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
        ),
        None => (
            "the built-in departments.toml".to_owned(),
            DEFAULT_DEPARTMENTS.to_owned(),
        ),
    };
    parse(&text).with_context(|| format!("invalid departments file {origin}"))
}

fn parse(text: &str) -> anyhow::Result<Vec<NewDepartment>> {
    let file: SeedFile = toml::from_str(text)?;
    file.department
        .into_iter()
        .enumerate()
        .map(|(i, draft)| {
            draft
                .validate(&format!("department[{i}]"))
                .map_err(anyhow::Error::from)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_has_fifteen_departments_and_defensie_is_outside_the_sector_rijk() {
        let departments = parse(DEFAULT_DEPARTMENTS).expect("valid seed file");
        assert_eq!(departments.len(), 15);
        let outside: Vec<&str> = departments
            .iter()
            .filter(|d| !d.in_sector_rijk)
            .map(|d| d.code.as_str())
            .collect();
        assert_eq!(outside, ["Defensie"]);
    }

    #[test]
    fn a_bad_entry_names_its_position() {
        let err = parse("[[department]]\ncode = \"\"\nname_nl = \"x\"\nname_en = \"y\"\nin_sector_rijk = true\n")
            .unwrap_err();
        assert!(format!("{err:#}").contains("department[0].code"), "{err:#}");
    }
}
