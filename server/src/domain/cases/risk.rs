//! Integrity risk analyses: the register of risks of a department or a named implementing
//! organisation, each scored by likelihood and impact (1–5), and the heat map over them.

use serde::{Deserialize, Serialize};

use crate::domain::error::{Error, FieldViolation, Result, Violations, reason};
use crate::domain::limits::{MAX_NAME_CHARS, MAX_TEXT_CHARS};
use crate::domain::text;

use super::model::allowed_in;

/// Risks per analysis.
pub const MAX_RISKS: usize = 500;
/// The score (likelihood × impact) from which a risk is high, when the analysis names none.
pub const DEFAULT_HIGH_RISK_THRESHOLD: u32 = 15;

/// Every state but `closed`: the register stays open while the analysis is.
const RISK_STATES: &[&str] = &[
    "draft",
    "identified",
    "assessed",
    "mitigation_planned",
    "monitoring",
];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskAnalysis {
    /// The implementing organisation analysed; empty: the department itself.
    pub organisation: String,
    pub high_risk_threshold: u32,
    pub risks: Vec<Risk>,
    /// The number the next risk gets (`cases/{id}/risks/{n}`).
    pub next_risk: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Corruption,
    Undermining,
    ConflictOfInterest,
    InformationLeak,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Process {
    Procurement,
    Subsidies,
    Permits,
    FinancialTransactions,
    PersonalData,
    SupervisionAndEnforcement,
    Other,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Open,
    Mitigating,
    Accepted,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Risk {
    pub id: u32,
    pub title: String,
    pub category: Category,
    pub process: Process,
    /// 1–5; 0 while not rated.
    pub likelihood: u8,
    pub impact: u8,
    pub mitigation: String,
    pub owner: String,
    pub status: Status,
    pub create_time: i64,
    pub update_time: i64,
}

impl Risk {
    /// likelihood × impact; 0 while either is not rated.
    pub fn score(&self) -> u32 {
        u32::from(self.likelihood) * u32::from(self.impact)
    }

    pub fn is_rated(&self) -> bool {
        self.likelihood > 0 && self.impact > 0
    }
}

/// The fields of a risk as a client sends them; `None` where the client sent nothing (on an
/// update: where the mask does not name the field).
#[derive(Debug, Clone, Default)]
pub struct RiskFields {
    pub title: Option<String>,
    pub category: Option<Option<Category>>,
    pub process: Option<Option<Process>>,
    pub likelihood: Option<i32>,
    pub impact: Option<i32>,
    pub mitigation: Option<String>,
    pub owner: Option<String>,
    pub status: Option<Option<Status>>,
}

impl RiskFields {
    pub const UPDATABLE: &'static [&'static str] = &[
        "title",
        "category",
        "process",
        "likelihood",
        "impact",
        "mitigation",
        "owner",
        "status",
    ];

    /// Applies the fields to `risk`, reporting every bad one.
    fn apply(self, risk: &mut Risk) -> Result<()> {
        let mut v = Violations::new();
        if let Some(title) = self
            .title
            .and_then(|t| v.take(text::name("risk.title", &t, MAX_NAME_CHARS)))
        {
            risk.title = title;
        }
        match self.category {
            Some(Some(category)) => risk.category = category,
            Some(None) => v.add(
                "risk.category",
                "is required: CORRUPTION, UNDERMINING, CONFLICT_OF_INTEREST, INFORMATION_LEAK or RISK_CATEGORY_OTHER",
            ),
            None => {}
        }
        match self.process {
            Some(Some(process)) => risk.process = process,
            Some(None) => v.add(
                "risk.process",
                "is required: PROCUREMENT, SUBSIDIES, PERMITS, FINANCIAL_TRANSACTIONS, PERSONAL_DATA, SUPERVISION_AND_ENFORCEMENT or VULNERABLE_PROCESS_OTHER",
            ),
            None => {}
        }
        if let Some(l) = self
            .likelihood
            .and_then(|l| v.take(scale("risk.likelihood", l)))
        {
            risk.likelihood = l;
        }
        if let Some(i) = self.impact.and_then(|i| v.take(scale("risk.impact", i))) {
            risk.impact = i;
        }
        if let Some(m) = self
            .mitigation
            .and_then(|m| v.take(text::body("risk.mitigation", &m, MAX_TEXT_CHARS)))
        {
            risk.mitigation = m;
        }
        if let Some(o) = self
            .owner
            .and_then(|o| v.take(text::body("risk.owner", &o, MAX_NAME_CHARS)))
        {
            risk.owner = o;
        }
        match self.status {
            Some(Some(status)) => risk.status = status,
            Some(None) => v.add("risk.status", "is not a risk status"),
            None => {}
        }
        v.finish()
    }
}

/// 0 (not rated) or 1–5.
fn scale(field: &str, value: i32) -> std::result::Result<u8, FieldViolation> {
    match u8::try_from(value) {
        Ok(v) if v <= 5 => Ok(v),
        _ => Err(FieldViolation::new(
            field,
            format!("{value} is not on the scale 1 to 5 (0: not rated yet)"),
        )),
    }
}

/// What a heat map counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Heatmap {
    /// (likelihood, impact, count), likelihood then impact ascending, only non-empty cells.
    pub cells: Vec<(u8, u8, u32)>,
    pub total: u32,
    pub unrated: u32,
    pub high: u32,
    pub threshold: u32,
}

impl RiskAnalysis {
    /// The threshold in force: the analysis's own, or the default.
    pub fn threshold(&self) -> u32 {
        if self.high_risk_threshold == 0 {
            DEFAULT_HIGH_RISK_THRESHOLD
        } else {
            self.high_risk_threshold
        }
    }

    pub fn is_high(&self, risk: &Risk) -> bool {
        risk.is_rated() && risk.score() >= self.threshold()
    }

    pub fn risk(&self, id: u32) -> Option<&Risk> {
        self.risks.iter().find(|r| r.id == id)
    }

    /// Adds a risk; `fields` must name a title, a category and a process.
    pub fn add(&mut self, state: &str, name: &str, fields: RiskFields, now: i64) -> Result<Risk> {
        allowed_in(state, RISK_STATES, name, "risks are added")?;
        if self.risks.len() >= MAX_RISKS {
            return Err(Error::failed_precondition(
                reason::STATE_FORBIDS_CHANGE,
                format!("an analysis holds at most {MAX_RISKS} risks"),
            ));
        }
        let mut v = Violations::new();
        if fields.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
            v.add("risk.title", "is required");
        }
        if !matches!(fields.category, Some(Some(_))) {
            v.add("risk.category", "is required");
        }
        if !matches!(fields.process, Some(Some(_))) {
            v.add("risk.process", "is required");
        }
        v.finish()?;
        self.next_risk = self.next_risk.max(1);
        let mut risk = Risk {
            id: self.next_risk,
            title: String::new(),
            category: Category::Other,
            process: Process::Other,
            likelihood: 0,
            impact: 0,
            mitigation: String::new(),
            owner: String::new(),
            status: Status::Open,
            create_time: now,
            update_time: now,
        };
        fields.apply(&mut risk)?;
        self.next_risk += 1;
        self.risks.push(risk.clone());
        Ok(risk)
    }

    pub fn update(
        &mut self,
        state: &str,
        name: &str,
        id: u32,
        fields: RiskFields,
        now: i64,
    ) -> Result<Risk> {
        allowed_in(state, RISK_STATES, name, "risks change")?;
        let risk = self
            .risks
            .iter_mut()
            .find(|r| r.id == id)
            .ok_or_else(|| Error::not_found(format!("{name}/risks/{id}")))?;
        let mut changed = risk.clone();
        fields.apply(&mut changed)?;
        if changed != *risk {
            changed.update_time = now;
            *risk = changed;
        }
        Ok(risk.clone())
    }

    /// Risks without a likelihood or an impact, as `risks/{n}`.
    pub fn unrated(&self) -> Vec<String> {
        self.risks
            .iter()
            .filter(|r| !r.is_rated())
            .map(|r| format!("risks/{} ({})", r.id, r.title))
            .collect()
    }

    /// High risks without a mitigation or an owner.
    pub fn unmitigated_high(&self) -> Vec<String> {
        self.risks
            .iter()
            .filter(|r| r.status != Status::Closed && self.is_high(r))
            .filter(|r| r.mitigation.trim().is_empty() || r.owner.trim().is_empty())
            .map(|r| format!("risks/{} ({}, score {})", r.id, r.title, r.score()))
            .collect()
    }

    pub fn heatmap(&self) -> Heatmap {
        let mut map = Heatmap {
            threshold: self.threshold(),
            ..Heatmap::default()
        };
        let mut counts = [[0u32; 6]; 6];
        for risk in &self.risks {
            map.total += 1;
            if !risk.is_rated() {
                map.unrated += 1;
                continue;
            }
            if self.is_high(risk) {
                map.high += 1;
            }
            if let Some(cell) = counts
                .get_mut(usize::from(risk.likelihood))
                .and_then(|row| row.get_mut(usize::from(risk.impact)))
            {
                *cell += 1;
            }
        }
        for (l, row) in counts.iter().enumerate() {
            for (i, &count) in row.iter().enumerate() {
                if count > 0 {
                    map.cells.push((l as u8, i as u8, count));
                }
            }
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(title: &str, l: i32, i: i32) -> RiskFields {
        RiskFields {
            title: Some(title.into()),
            category: Some(Some(Category::Corruption)),
            process: Some(Some(Process::Procurement)),
            likelihood: Some(l),
            impact: Some(i),
            ..RiskFields::default()
        }
    }

    #[test]
    fn risks_get_numbers_and_scores_and_the_heatmap_counts_them() {
        let mut a = RiskAnalysis::default();
        let r1 = a
            .add("draft", "cases/r", fields("Omkoping", 4, 4), 1)
            .unwrap();
        let r2 = a.add("draft", "cases/r", fields("Lek", 2, 3), 1).unwrap();
        a.add("draft", "cases/r", fields("Onbekend", 0, 0), 1)
            .unwrap();
        assert_eq!((r1.id, r2.id), (1, 2));
        assert!(a.is_high(&r1) && !a.is_high(&r2));
        assert_eq!(a.unrated(), vec!["risks/3 (Onbekend)".to_owned()]);
        assert_eq!(
            a.unmitigated_high(),
            vec!["risks/1 (Omkoping, score 16)".to_owned()]
        );
        let map = a.heatmap();
        assert_eq!(map.cells, vec![(2, 3, 1), (4, 4, 1)]);
        assert_eq!(
            (map.total, map.unrated, map.high, map.threshold),
            (3, 1, 1, 15)
        );
    }

    #[test]
    fn a_new_risk_needs_title_category_and_process_and_a_scale_of_five() {
        let mut a = RiskAnalysis::default();
        let Err(Error::InvalidArgument { violations, .. }) =
            a.add("draft", "cases/r", RiskFields::default(), 1)
        else {
            panic!("expected invalid");
        };
        assert_eq!(violations.len(), 3);
        let err = a.add("draft", "cases/r", fields("x", 6, 1), 1).unwrap_err();
        assert!(
            err.to_string().contains("invalid") || matches!(err, Error::InvalidArgument { .. })
        );
        assert!(a.risks.is_empty(), "nothing half-added");
        assert_eq!(
            a.add("closed", "cases/r", fields("x", 1, 1), 1)
                .unwrap_err()
                .reason(),
            reason::STATE_FORBIDS_CHANGE
        );
    }

    #[test]
    fn an_update_changes_only_what_it_names() {
        let mut a = RiskAnalysis::default();
        a.add("draft", "cases/r", fields("Omkoping", 4, 4), 1)
            .unwrap();
        let patch = RiskFields {
            mitigation: Some("Vier-ogenprincipe".into()),
            owner: Some("Directeur Inkoop".into()),
            ..RiskFields::default()
        };
        let r = a.update("assessed", "cases/r", 1, patch, 2).unwrap();
        assert_eq!((r.likelihood, r.impact, r.update_time), (4, 4, 2));
        assert!(a.unmitigated_high().is_empty());
        assert!(
            a.update("assessed", "cases/r", 9, RiskFields::default(), 3)
                .is_err()
        );
    }
}
