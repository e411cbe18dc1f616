//! Criteria files for `regie criteria-sets create|update --criteria-file`: TOML (`.toml`) or
//! JSON (`.json`), decided by the extension, holding a `criteria` list:
//!
//! ```toml
//! [[criteria]]
//! code = "BN-01"
//! title_nl = "Integriteitsbeleid is vastgesteld"
//! title_en = "An integrity policy has been adopted"
//! description = "…"
//! guidance = "…"
//! group = "basisnormen"
//! ```
//!
//! The titles may also be spelt `titleNl` and `titleEn`, and the other fields of a set may be
//! there, so that a set exported with `regie --output json criteria-sets get` loads back as it
//! is. Only `code` is required. Unknown keys are refused (a typo would otherwise lose a field), and
//! so are codes that are not letters, digits, `-`, `_` and `.`, and codes given twice. The
//! server checks the rest.

use std::path::Path;

use anyhow::Context as _;
use regie_proto::v1::Criterion;
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::error::CliError;

/// The file: a `criteria` list, alone or (a set exported with `--output json criteria-sets get`)
/// with the other fields of a `CriteriaSet`, which are read past: the set's title and
/// description come from the flags, the rest from the server.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CriteriaFile {
    criteria: Vec<Entry>,
    #[serde(default, rename = "name")]
    _name: Option<IgnoredAny>,
    #[serde(default, rename = "title")]
    _title: Option<IgnoredAny>,
    #[serde(default, rename = "description")]
    _description: Option<IgnoredAny>,
    #[serde(default, rename = "state")]
    _state: Option<IgnoredAny>,
    #[serde(default, rename = "template")]
    _template: Option<IgnoredAny>,
    #[serde(default, rename = "etag")]
    _etag: Option<IgnoredAny>,
    #[serde(default, rename = "createTime", alias = "create_time")]
    _create_time: Option<IgnoredAny>,
    #[serde(default, rename = "updateTime", alias = "update_time")]
    _update_time: Option<IgnoredAny>,
    #[serde(default, rename = "publishTime", alias = "publish_time")]
    _publish_time: Option<IgnoredAny>,
}

/// One criterion; the titles as a file spells them (`title_nl`) or as protobuf JSON does
/// (`titleNl`), so that an exported set loads back unchanged.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    code: String,
    #[serde(default, alias = "titleNl")]
    title_nl: String,
    #[serde(default, alias = "titleEn")]
    title_en: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    guidance: String,
    #[serde(default)]
    group: String,
}

/// The file's format, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Toml,
    Json,
}

fn format_of(path: &Path) -> Result<Format, String> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("toml") => Ok(Format::Toml),
        Some("json") => Ok(Format::Json),
        _ => Err(format!(
            "{}: a criteria file ends in .toml or .json",
            path.display()
        )),
    }
}

/// Reads and checks a criteria file. A file that cannot be read is exit 1; one that is not
/// valid TOML or JSON, or whose criteria do not pass the checks, exit 3 with every problem.
pub fn load(path: &Path) -> Result<Vec<Criterion>, CliError> {
    let format = format_of(path).map_err(CliError::Usage)?;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(format, &text).map_err(|problems| {
        CliError::InvalidInput(
            problems
                .into_iter()
                .map(|p| format!("{}: {p}", path.display()))
                .collect(),
        )
    })
}

/// The criteria of a file's text, or every problem found.
fn parse(format: Format, text: &str) -> Result<Vec<Criterion>, Vec<String>> {
    let file: CriteriaFile = match format {
        Format::Toml => toml::from_str(text).map_err(|e| vec![one_line(&e.to_string())])?,
        Format::Json => serde_json::from_str(text).map_err(|e| vec![e.to_string()])?,
    };
    let mut problems = Vec::new();
    if file.criteria.is_empty() {
        problems.push("the `criteria` list is empty".to_owned());
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, entry) in file.criteria.iter().enumerate() {
        let code = entry.code.trim();
        let which = format!("criterion {} ({code:?})", i + 1);
        let valid = !code.is_empty()
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            problems.push(format!(
                "{which}: a code is letters, digits, `-`, `_` and `.` (e.g. BN-05)"
            ));
        } else if seen.contains(&code) {
            problems.push(format!("{which}: the code is used twice"));
        }
        seen.push(code);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(file
        .criteria
        .into_iter()
        .map(|e| Criterion {
            code: e.code.trim().to_owned(),
            title_nl: e.title_nl,
            title_en: e.title_en,
            description: e.description,
            guidance: e.guidance,
            group: e.group,
        })
        .collect())
}

/// toml's errors show the offending line over several lines; one is enough after the path.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"
[[criteria]]
code = "BN-01"
title_nl = "Integriteitsbeleid is vastgesteld"
title_en = "An integrity policy has been adopted"
group = "basisnormen"

[[criteria]]
code = "TH-1"
title_nl = "Moreel leiderschap"
"#;

    #[test]
    fn toml_and_json_give_the_same_criteria() {
        let from_toml = parse(Format::Toml, TOML).expect("valid TOML");
        let json = r#"{"criteria": [
            {"code": "BN-01", "title_nl": "Integriteitsbeleid is vastgesteld",
             "title_en": "An integrity policy has been adopted", "group": "basisnormen"},
            {"code": "TH-1", "title_nl": "Moreel leiderschap"}]}"#;
        let from_json = parse(Format::Json, json).expect("valid JSON");
        assert_eq!(from_toml, from_json);
        assert_eq!(from_toml.len(), 2);
        assert_eq!(from_toml[0].group, "basisnormen");
        assert_eq!(from_toml[1].title_en, "");
    }

    #[test]
    fn an_exported_set_loads_back_unchanged() {
        // As `regie --output json criteria-sets get` prints a set (protobuf JSON, camelCase).
        let exported = r#"{
  "name": "criteriaSets/1b1377493661",
  "title": "Toetsingskader integriteit 2026",
  "description": "",
  "state": "PUBLISHED",
  "template": false,
  "criteria": [
    {"code": "BN-01", "titleNl": "Integriteitsbeleid is vastgesteld",
     "titleEn": "An integrity policy has been adopted", "description": "",
     "guidance": "Beleidsdocument", "group": "basisnormen"},
    {"code": "TH-1", "titleNl": "Moreel leiderschap", "titleEn": "", "description": "",
     "guidance": "", "group": ""}
  ],
  "etag": "3",
  "createTime": "2026-01-05T09:00:00Z",
  "updateTime": "2026-01-05T09:00:00Z",
  "publishTime": "2026-01-06T09:00:00Z"
}"#;
        let criteria = parse(Format::Json, exported).expect("an exported set loads");
        assert_eq!(criteria.len(), 2);
        assert_eq!(criteria[0].title_nl, "Integriteitsbeleid is vastgesteld");
        assert_eq!(criteria[0].title_en, "An integrity policy has been adopted");
        assert_eq!(criteria[0].guidance, "Beleidsdocument");
        assert_eq!(criteria[1].title_nl, "Moreel leiderschap");
        // The same criteria as the file spelling gives.
        let from_toml = parse(Format::Toml, TOML).expect("valid TOML");
        assert_eq!(criteria[0].title_nl, from_toml[0].title_nl);
        // Typos are still refused, at either level.
        let typo = parse(
            Format::Json,
            r#"{"criteria": [{"code": "X", "titelNl": "x"}]}"#,
        );
        assert!(typo.is_err());
        let typo = parse(Format::Json, r#"{"criteria": [], "titel": "x"}"#);
        assert!(typo.is_err());
    }

    #[test]
    fn every_problem_is_reported() {
        let text = r#"{"criteria": [{"code": "A 1"}, {"code": "B"}, {"code": "B"}, {"code": ""}]}"#;
        let problems = parse(Format::Json, text).expect_err("bad codes");
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(
            problems[0].starts_with("criterion 1 (\"A 1\")"),
            "{problems:?}"
        );
        assert!(problems[1].contains("used twice"), "{problems:?}");
        let typo = parse(
            Format::Toml,
            "[[criteria]]\ncode = \"X\"\ntitel_nl = \"x\"\n",
        )
        .expect_err("unknown key");
        assert!(typo[0].contains("titel_nl"), "{typo:?}");
        assert!(!typo[0].contains('\n'));
        assert!(parse(Format::Json, r#"{"criteria": []}"#).is_err());
        assert!(parse(Format::Json, "[").is_err());
    }

    #[test]
    fn the_extension_decides_the_format() {
        assert_eq!(format_of(Path::new("set.TOML")), Ok(Format::Toml));
        assert_eq!(format_of(Path::new("a/set.json")), Ok(Format::Json));
        assert!(format_of(Path::new("set.yaml")).is_err());
        assert!(format_of(Path::new("set")).is_err());
    }
}
