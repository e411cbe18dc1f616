//! Criteria sets (toetsingskader): the versioned lists of quality criteria that the departments'
//! yearly assessment cycles are rated against.
//!
//! A set is a draft while the coordinating directorate writes it, published when cycles may use
//! it (from then on it never changes, so every cycle's ratings keep their meaning), and retired
//! when no new cycle may open against it. The server ships one draft set as a template: the 13
//! *basisnormen integriteit* and the two themes of the letter.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::directory::check_etag;
use crate::domain::error::{Error, FieldViolation, Result, Violations, reason};
use crate::domain::filter::{Field, FieldType, Value};
use crate::domain::limits::{MAX_NAME_CHARS, MAX_TEXT_CHARS};
use crate::domain::listing::{ListSpec, Listed, SortKey};
use crate::domain::text;

/// Criteria in one set.
pub const MAX_CRITERIA: usize = 200;
/// Characters in a criterion code.
pub const MAX_CODE_CHARS: usize = 32;

/// The id in `criteriaSets/{id}`: 12 lower-case hexadecimal characters chosen by the server.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CriteriaSetId(String);

impl CriteriaSetId {
    pub const COLLECTION: &'static str = "criteriaSets";

    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string()[..12].to_owned())
    }

    /// Parses `criteriaSets/{id}`.
    pub fn from_name(field: &str, name: &str) -> std::result::Result<Self, FieldViolation> {
        let id = name.strip_prefix("criteriaSets/").unwrap_or_default();
        let valid = (1..=32).contains(&id.len())
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if valid {
            Ok(Self(id.to_owned()))
        } else {
            Err(FieldViolation::new(
                field,
                format!("{name:?} is not a criteria set name of the form `criteriaSets/{{id}}`"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn name(&self) -> String {
        format!("{}/{}", Self::COLLECTION, self.0)
    }
}

impl fmt::Display for CriteriaSetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetState {
    Draft,
    Published,
    Retired,
}

impl SetState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Retired => "retired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "draft" => Some(Self::Draft),
            "published" => Some(Self::Published),
            "retired" => Some(Self::Retired),
            _ => None,
        }
    }
}

/// One quality criterion.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    pub code: String,
    pub title_nl: String,
    pub title_en: String,
    pub description: String,
    pub guidance: String,
    pub group: String,
}

/// A criteria set as stored. Times are microseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriteriaSet {
    pub id: CriteriaSetId,
    pub title: String,
    pub description: String,
    pub state: SetState,
    pub template: bool,
    pub criteria: Vec<Criterion>,
    pub revision: i64,
    pub create_time: i64,
    pub update_time: i64,
    pub publish_time: Option<i64>,
}

impl CriteriaSet {
    pub fn name(&self) -> String {
        self.id.name()
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    pub fn codes(&self) -> Vec<String> {
        self.criteria.iter().map(|c| c.code.clone()).collect()
    }

    /// A published set, which cycles may be opened against.
    pub fn require_published(&self) -> Result<()> {
        match self.state {
            SetState::Published => Ok(()),
            state => Err(Error::failed_precondition(
                reason::CRITERIA_SET_NOT_PUBLISHED,
                format!(
                    "{} is {}; cycles open only against a published criteria set",
                    self.name(),
                    state.as_str()
                ),
            )),
        }
    }

    /// Applies a change to a draft; published and retired sets are immutable.
    pub fn update(&mut self, etag: &str, patch: SetPatch, now: i64) -> Result<()> {
        check_etag(&self.name(), etag, self.revision)?;
        if self.state != SetState::Draft {
            return Err(Error::failed_precondition(
                reason::CRITERIA_SET_IMMUTABLE,
                format!(
                    "{} is {} and can no longer change; create a new set (copy_from) instead",
                    self.name(),
                    self.state.as_str()
                ),
            ));
        }
        let mut v = Violations::new();
        let title = patch
            .title
            .and_then(|t| v.take(text::name("criteria_set.title", &t, MAX_NAME_CHARS)));
        let description = patch
            .description
            .and_then(|d| v.take(text::body("criteria_set.description", &d, MAX_TEXT_CHARS)));
        let criteria = patch.criteria.map(|c| validate_criteria(c, &mut v));
        v.finish()?;
        let before = self.clone();
        if let Some(title) = title {
            self.title = title;
        }
        if let Some(description) = description {
            self.description = description;
        }
        if let Some(criteria) = criteria {
            self.criteria = criteria;
        }
        if *self != before {
            self.revision += 1;
            self.update_time = now;
        }
        Ok(())
    }

    /// Draft → published. A set without criteria cannot be published.
    pub fn publish(&mut self, etag: &str, now: i64) -> Result<()> {
        check_etag(&self.name(), etag, self.revision)?;
        if self.state != SetState::Draft {
            return Err(Error::failed_precondition(
                reason::CRITERIA_SET_IMMUTABLE,
                format!(
                    "{} is {}; only a draft is published",
                    self.name(),
                    self.state.as_str()
                ),
            ));
        }
        if self.criteria.is_empty() {
            return Err(Error::failed_precondition(
                reason::CRITERIA_SET_EMPTY,
                format!("{} has no criteria to publish", self.name()),
            ));
        }
        self.state = SetState::Published;
        self.template = false;
        self.publish_time = Some(now);
        self.revision += 1;
        self.update_time = now;
        Ok(())
    }

    /// Published → retired.
    pub fn retire(&mut self, etag: &str, now: i64) -> Result<()> {
        check_etag(&self.name(), etag, self.revision)?;
        if self.state != SetState::Published {
            return Err(Error::failed_precondition(
                reason::CRITERIA_SET_NOT_PUBLISHED,
                format!(
                    "{} is {}; only a published set is retired",
                    self.name(),
                    self.state.as_str()
                ),
            ));
        }
        self.state = SetState::Retired;
        self.revision += 1;
        self.update_time = now;
        Ok(())
    }

    pub const LIST: ListSpec = ListSpec {
        resource: "criteriaSets",
        filter_fields: &[
            Field::new("state", FieldType::Text),
            Field::new("title", FieldType::Text),
            Field::new("template", FieldType::Bool),
        ],
        order_fields: &[
            Field::new("create_time", FieldType::Time),
            Field::new("update_time", FieldType::Time),
            Field::new("title", FieldType::Text),
        ],
        key: Field::new("id", FieldType::Text),
        default_order: &[SortKey::asc("create_time")],
    };
}

impl Listed for CriteriaSet {
    fn sort_value(&self, field: &str) -> Value {
        match field {
            "create_time" => Value::Time(self.create_time),
            "update_time" => Value::Time(self.update_time),
            "title" => Value::Text(self.title.clone()),
            _ => Value::Text(self.id.as_str().to_owned()),
        }
    }
}

/// A new set as a client describes it.
#[derive(Debug, Clone, Default)]
pub struct SetDraft {
    pub title: String,
    pub description: String,
    pub criteria: Vec<Criterion>,
}

impl SetDraft {
    /// A valid new draft set, stamped `now`.
    pub fn validate(self, now: i64) -> Result<CriteriaSet> {
        let mut v = Violations::new();
        let title = v.take(text::name(
            "criteria_set.title",
            &self.title,
            MAX_NAME_CHARS,
        ));
        let description = v.take(text::body(
            "criteria_set.description",
            &self.description,
            MAX_TEXT_CHARS,
        ));
        let criteria = validate_criteria(self.criteria, &mut v);
        v.finish()?;
        Ok(CriteriaSet {
            id: CriteriaSetId::generate(),
            title: title.unwrap_or_default(),
            description: description.unwrap_or_default(),
            state: SetState::Draft,
            template: false,
            criteria,
            revision: 1,
            create_time: now,
            update_time: now,
            publish_time: None,
        })
    }
}

/// Fields of a draft set to change, each `Some` when the update mask names it.
#[derive(Debug, Clone, Default)]
pub struct SetPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub criteria: Option<Vec<Criterion>>,
}

impl SetPatch {
    pub const UPDATABLE: &'static [&'static str] = &["title", "description", "criteria"];
}

/// Checks every criterion, reporting each bad field with its index; codes must be unique.
fn validate_criteria(criteria: Vec<Criterion>, v: &mut Violations) -> Vec<Criterion> {
    if criteria.len() > MAX_CRITERIA {
        v.add(
            "criteria_set.criteria",
            format!(
                "has {} criteria; the maximum is {MAX_CRITERIA}",
                criteria.len()
            ),
        );
        return Vec::new();
    }
    let mut seen = HashSet::new();
    let mut valid = Vec::with_capacity(criteria.len());
    for (i, c) in criteria.into_iter().enumerate() {
        let at = |f: &str| format!("criteria_set.criteria[{i}].{f}");
        let code = c.code.trim().to_owned();
        let code_ok = !code.is_empty()
            && code.chars().count() <= MAX_CODE_CHARS
            && code
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'));
        if !code_ok {
            v.add(
                at("code"),
                format!(
                    "{code:?} is not a criterion code: 1 to {MAX_CODE_CHARS} letters, digits, `-`, `_` or `.`"
                ),
            );
        } else if !seen.insert(code.clone()) {
            v.add(at("code"), format!("{code:?} appears more than once"));
        }
        let title_nl = v.take(text::name(&at("title_nl"), &c.title_nl, MAX_NAME_CHARS));
        let title_en = v.take(text::name(&at("title_en"), &c.title_en, MAX_NAME_CHARS));
        let description = v.take(text::body(
            &at("description"),
            &c.description,
            MAX_TEXT_CHARS,
        ));
        let guidance = v.take(text::body(&at("guidance"), &c.guidance, MAX_TEXT_CHARS));
        let group = v.take(text::body(&at("group"), &c.group, MAX_NAME_CHARS));
        valid.push(Criterion {
            code,
            title_nl: title_nl.unwrap_or_default(),
            title_en: title_en.unwrap_or_default(),
            description: description.unwrap_or_default(),
            guidance: guidance.unwrap_or_default(),
            group: group.unwrap_or_default(),
        });
    }
    valid
}

/// The draft set the server ships, marked as a template: the 13 *basisnormen integriteit* and
/// the two themes the letter adds (the position of the integrity coordinator, and the integrity
/// risk analysis).
pub fn template(now: i64) -> CriteriaSet {
    const BASIS: &str = "basisnormen";
    const THEMES: &str = "thema's Kamerbrief";
    let rows: [(&str, &str, &str, &str, &str); 15] = [
        (
            "BN-01",
            BASIS,
            "Aandacht voor integriteit",
            "Attention to integrity",
            "Integrity is discussed regularly and visibly, by management and in teams (dilemma training, onboarding).",
        ),
        (
            "BN-02",
            BASIS,
            "Gedragscode",
            "Code of conduct",
            "A code of conduct is adopted, known to staff and kept current.",
        ),
        (
            "BN-03",
            BASIS,
            "Screening bij werving",
            "Screening at recruitment",
            "Integrity is part of recruitment and selection; screening where the position requires it.",
        ),
        (
            "BN-04",
            BASIS,
            "Kwetsbare functies",
            "Vulnerable positions",
            "Vulnerable positions are identified and measures are taken for them.",
        ),
        (
            "BN-05",
            BASIS,
            "Eed of belofte",
            "Oath or affirmation",
            "New staff take the oath or affirmation, meaningfully and recorded.",
        ),
        (
            "BN-06",
            BASIS,
            "Nevenwerkzaamheden",
            "Side activities",
            "Side activities are reported, assessed and, where required, published.",
        ),
        (
            "BN-07",
            BASIS,
            "Financiële belangen",
            "Financial interests",
            "Financial interests in vulnerable positions are reported and assessed.",
        ),
        (
            "BN-08",
            BASIS,
            "Informatiebeveiliging",
            "Information protection",
            "Confidential information is protected; leaks are prevented and followed up.",
        ),
        (
            "BN-09",
            BASIS,
            "Aannemen van geschenken",
            "Accepting gifts",
            "Rules for gifts, invitations and hospitality are set and applied.",
        ),
        (
            "BN-10",
            BASIS,
            "Inkoop en aanbesteding",
            "Procurement",
            "Integrity safeguards apply throughout procurement and contracting.",
        ),
        (
            "BN-11",
            BASIS,
            "Vertrouwenspersonen",
            "Confidential advisers",
            "Confidential advisers for integrity are appointed, known and accessible.",
        ),
        (
            "BN-12",
            BASIS,
            "Melden van misstanden",
            "Reporting wrongdoing",
            "A procedure for reporting suspected wrongdoing is in place and known; reporters are protected.",
        ),
        (
            "BN-13",
            BASIS,
            "Onderzoek naar integriteitsschendingen",
            "Investigating integrity violations",
            "Suspected violations are investigated carefully, registered and followed up.",
        ),
        (
            "TH-01",
            THEMES,
            "Positionering van de integriteitscoördinator",
            "Positioning of the integrity coordinator",
            "The integrity coordinator has a clear mandate, direct access to top management and enough capacity.",
        ),
        (
            "TH-02",
            THEMES,
            "Integriteitsrisicoanalyse",
            "Integrity risk analysis",
            "Integrity risks (corruption, undermining) are analysed periodically, including in implementing organisations, and mitigated.",
        ),
    ];
    CriteriaSet {
        id: CriteriaSetId("template".to_owned()),
        title: "Toetsingskader integriteit (sjabloon)".to_owned(),
        description: "Template: the 13 basisnormen integriteit and the themes of the letter to \
                      parliament on the Court of Audit report 'Integriteit als basis'. Copy it \
                      (copy_from), adjust the copy and publish it."
            .to_owned(),
        state: SetState::Draft,
        template: true,
        criteria: rows
            .into_iter()
            .map(|(code, group, title_nl, title_en, guidance)| Criterion {
                code: code.to_owned(),
                title_nl: title_nl.to_owned(),
                title_en: title_en.to_owned(),
                description: String::new(),
                guidance: guidance.to_owned(),
                group: group.to_owned(),
            })
            .collect(),
        revision: 1,
        create_time: now,
        update_time: now,
        publish_time: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn criterion(code: &str) -> Criterion {
        Criterion {
            code: code.into(),
            title_nl: "Titel".into(),
            title_en: "Title".into(),
            ..Criterion::default()
        }
    }

    #[test]
    fn the_template_has_the_thirteen_basic_norms_and_two_themes() {
        let t = template(0);
        assert!(t.template);
        assert_eq!(t.state, SetState::Draft);
        assert_eq!(t.criteria.len(), 15);
        assert_eq!(
            t.criteria
                .iter()
                .filter(|c| c.group == "basisnormen")
                .count(),
            13
        );
        let unique: HashSet<_> = t.codes().into_iter().collect();
        assert_eq!(unique.len(), 15);
    }

    #[test]
    fn a_draft_reports_every_bad_criterion_at_once() {
        let draft = SetDraft {
            title: "Kader".into(),
            criteria: vec![
                criterion("A-1"),
                criterion("A-1"),
                Criterion {
                    code: "bad code".into(),
                    ..Criterion::default()
                },
            ],
            ..SetDraft::default()
        };
        let Err(Error::InvalidArgument { violations, .. }) = draft.validate(0) else {
            panic!("expected invalid");
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert!(
            fields.contains(&"criteria_set.criteria[1].code"),
            "{fields:?}"
        );
        assert!(
            fields.contains(&"criteria_set.criteria[2].code"),
            "{fields:?}"
        );
        assert!(
            fields.contains(&"criteria_set.criteria[2].title_nl"),
            "{fields:?}"
        );
    }

    #[test]
    fn a_published_set_never_changes_and_retires_once() {
        let mut set = SetDraft {
            title: "Kader".into(),
            criteria: vec![criterion("A-1")],
            ..SetDraft::default()
        }
        .validate(0)
        .unwrap();
        set.publish("1", 5).unwrap();
        assert_eq!(set.state, SetState::Published);
        let patch = SetPatch {
            title: Some("Other".into()),
            ..SetPatch::default()
        };
        assert_eq!(
            set.update("", patch, 6).unwrap_err().reason(),
            reason::CRITERIA_SET_IMMUTABLE
        );
        set.retire("", 7).unwrap();
        assert!(set.retire("", 8).is_err());
        assert!(set.require_published().is_err());
    }

    #[test]
    fn an_empty_set_cannot_be_published() {
        let mut set = SetDraft {
            title: "Leeg".into(),
            ..SetDraft::default()
        }
        .validate(0)
        .unwrap();
        assert_eq!(
            set.publish("", 1).unwrap_err().reason(),
            reason::CRITERIA_SET_EMPTY
        );
    }
}
