//! `regie-server --demo`: a living scenario from the letter to parliament, loaded into an empty
//! database at start, so that a newcomer sees the system at work within a minute.
//!
//! Everything goes through the same write path as the API (the domain decides every step, every
//! step is an event in the audit log), acted by a handful of demo principals with their roles:
//! the IPIM working group on quality criteria and its items, the Court of Audit's four
//! recommendations on the coordinating role, the toetsingskader framework in consultation, the
//! risk-analysis pilot with implementing organisations, and this year's assessment cycles in
//! every state but closed, with last year's for comparison. Each department's self-assessment is
//! started, rated and submitted by its own integrity coordinator, and reviewed by the
//! coordinating directorate. A database that already holds cases is left alone.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context as _;

use crate::app::{App, Write};
use crate::authz::Caller;
use crate::domain::access::{NewPrincipal, PrincipalId, PrincipalKind};
use crate::domain::cases::command::Record;
use crate::domain::cases::cycle::{
    Agreement, CriterionRating, Cycle, Dialogue, Evidence, Maturity, Rating,
};
use crate::domain::cases::draft::NewCase;
use crate::domain::cases::framework::{Consultation, Framework, Outcome, Purpose};
use crate::domain::cases::risk::{Category, Process, RiskAnalysis, RiskFields, Status};
use crate::domain::cases::{Case, CaseId, Command, Details, Recommendation, Theme, cycle};
use crate::domain::criteria::{self, CriteriaSetId};
use crate::domain::directory::{DepartmentCode, GroupId, Member, MemberRef, NewWorkingGroup};
use crate::domain::listing::{ListParams, ListQuery};
use crate::store::Rule;

const COORDINATOR: &str = "principals/demo-coordinator";
const SECRETARIAT: &str = "principals/demo-secretariaat";
const YEAR: i32 = 2026;

/// Who acts in the scenario: (id, display name, role, domain).
const PEOPLE: &[(&str, &str, &str, &str)] = &[
    (
        "demo-coordinator",
        "Marieke Jansen (coördinerende directie BZK)",
        "coordinator",
        "rijk",
    ),
    (
        "demo-secretariaat",
        "Sanne Bakker (IPIM-secretariaat)",
        "secretariat",
        "rijk",
    ),
    (
        "demo-ic-jenv",
        "Karim El Idrissi (integriteitscoördinator JenV)",
        "integrity_coordinator",
        "JenV",
    ),
    (
        "demo-ic-fin",
        "Petra de Vries (integriteitscoördinator Fin)",
        "integrity_coordinator",
        "Fin",
    ),
    (
        "demo-ic-ienw",
        "Joost Visser (integriteitscoördinator IenW)",
        "integrity_coordinator",
        "IenW",
    ),
    (
        "demo-ic-bzk",
        "Ilse de Boer (integriteitscoördinator BZK)",
        "integrity_coordinator",
        "BZK",
    ),
    (
        "demo-ic-ocw",
        "Mohamed Amrani (integriteitscoördinator OCW)",
        "integrity_coordinator",
        "OCW",
    ),
    (
        "demo-ic-az",
        "Laura Smit (integriteitscoördinator AZ)",
        "integrity_coordinator",
        "AZ",
    ),
    (
        "demo-ic-szw",
        "Thomas Mulder (integriteitscoördinator SZW)",
        "integrity_coordinator",
        "SZW",
    ),
    (
        "demo-ic-vws",
        "Esther Bos (integriteitscoördinator VWS)",
        "integrity_coordinator",
        "VWS",
    ),
    (
        "demo-auditor",
        "Algemene Rekenkamer (inzage)",
        "auditor",
        "rijk",
    ),
];

/// The department's own integrity coordinator among the demo principals: who starts, rates and
/// submits its self-assessment. The coordinating directorate reviews it and may not rate it
/// (deploy/policies/policy.csv says why).
fn integrity_coordinator(department: &str) -> anyhow::Result<String> {
    PEOPLE
        .iter()
        .find(|(_, _, role, domain)| *role == "integrity_coordinator" && *domain == department)
        .map(|(id, ..)| format!("principals/{id}"))
        .ok_or_else(|| anyhow::anyhow!("demo: {department} has no integrity coordinator"))
}

/// The name of the department's integrity coordinator, as an agreement's owner ("Karim El
/// Idrissi").
fn integrity_coordinator_name(department: &str) -> anyhow::Result<String> {
    PEOPLE
        .iter()
        .find(|(_, _, role, domain)| *role == "integrity_coordinator" && *domain == department)
        .map(|(_, name, ..)| name.split(" (").next().unwrap_or(name).to_owned())
        .ok_or_else(|| anyhow::anyhow!("demo: {department} has no integrity coordinator"))
}

/// The last second before `day` of `month` begins in Europe/Amsterdam, for a day in summer time
/// (April to October): "vóór 1 juli" is due on 30 June at 23:59:59 (+02:00). In micros.
fn due_before(year: i32, month: time::Month, day: u8) -> anyhow::Result<i64> {
    let start = time::Date::from_calendar_date(year, month, day)?
        .with_hms(0, 0, 0)?
        .assume_offset(time::macros::offset!(+02:00));
    Ok(i64::try_from(start.unix_timestamp_nanos() / 1_000)? - 1_000_000)
}

/// Loads the scenario unless the database already holds cases. Returns whether it loaded.
pub async fn load(app: &Arc<App>) -> anyhow::Result<bool> {
    let probe = ListQuery::parse(
        &Case::LIST,
        ListParams {
            page_size: 1,
            page_token: "",
            filter: "",
            order_by: "",
        },
        &crate::domain::listing::PageKey::ephemeral(),
    )?;
    if !app.store.list_cases(&probe).await?.items.is_empty() {
        tracing::info!("--demo: the database already holds cases; the demo scenario is not loaded");
        return Ok(false);
    }
    let mut demo = Demo {
        app: app.clone(),
        callers: HashMap::new(),
    };
    demo.people().await?;
    let group = demo.working_group().await?;
    demo.work_items(&group).await?;
    demo.recommendations().await?;
    let set = demo.criteria_set().await?;
    demo.frameworks().await?;
    demo.risk_pilot().await?;
    demo.cycles(&set).await?;
    tracing::info!(
        "--demo: loaded the demo scenario (principals demo-*, working group, recommendations, \
         frameworks, risk analyses, assessment cycles {} and {YEAR})",
        YEAR - 1
    );
    Ok(true)
}

struct Demo {
    app: Arc<App>,
    /// The demo principals as callers, by subject (`principals/demo-…`).
    callers: HashMap<String, Caller>,
}

/// The operation a demo step is, as its RPC would name it (in denials and request ids).
fn operation(command: &Command) -> &'static str {
    use crate::app::{assessment, cases, frameworks, risks};
    match command {
        Command::Create { .. } => cases::op::CREATE,
        Command::Update { .. } => cases::op::UPDATE,
        Command::Transition { .. } => cases::op::TRANSITION,
        Command::Comment { .. } => cases::op::COMMENT,
        Command::MarkOverdue => cases::op::MARK_OVERDUE,
        Command::Record { record, .. } => match record {
            Record::Rating(_) => assessment::op::RATE,
            Record::Dialogue(_) => assessment::op::DIALOGUE,
            Record::Consultation(_) => frameworks::op::CONSULT,
            Record::Consultations(_) => frameworks::op::CONSULT_EACH,
            Record::Observance(_) => frameworks::op::OBSERVE,
            Record::Evaluation(_) => frameworks::op::EVALUATE,
            Record::AddRisk(_) => risks::op::ADD,
            Record::UpdateRisk { .. } => risks::op::UPDATE,
        },
    }
}

fn code(text: &str) -> anyhow::Result<DepartmentCode> {
    DepartmentCode::parse("department", text).map_err(|e| anyhow::anyhow!(e.description))
}

fn item(
    title: &str,
    department: Option<&str>,
    group: Option<&GroupId>,
    details: Details,
) -> NewCase {
    NewCase {
        kind: match &details {
            Details::WorkItem => "work_item",
            Details::Recommendation(_) => "recommendation",
            Details::Framework(_) => "framework",
            Details::AssessmentCycle(_) => "assessment_cycle",
            Details::RiskAnalysis(_) => "risk_analysis",
        }
        .to_owned(),
        title: title.to_owned(),
        description: String::new(),
        department: department.and_then(|d| DepartmentCode::parse("department", d).ok()),
        working_group: group.cloned(),
        assignee: String::new(),
        labels: Vec::new(),
        due_time: None,
        parent: None,
        details,
    }
}

impl Demo {
    /// Runs one command as `actor`, through the same write use case as the API: authorized
    /// against the default policy, with the actor's roles for the guards that need them.
    async fn run(&self, actor: &str, id: &CaseId, command: Command) -> anyhow::Result<Case> {
        let caller = self
            .callers
            .get(actor)
            .ok_or_else(|| anyhow::anyhow!("demo: {actor} is not a demo principal"))?;
        let write = Write {
            case_id: id.clone(),
            operation: operation(&command),
            command,
            request_id: crate::domain::request::RequestKey::none(),
            check: true,
        };
        let executed = self
            .app
            .write(caller, write)
            .await
            .with_context(|| format!("demo: {} as {actor}", id.name()))?;
        Ok(executed.case)
    }

    async fn create(&self, actor: &str, case: NewCase) -> anyhow::Result<Case> {
        let id = CaseId::generate();
        self.run(
            actor,
            &id,
            Command::Create {
                id: id.clone(),
                case,
            },
        )
        .await
    }

    /// Moves a case along `transitions`, in order.
    async fn walk(&self, actor: &str, case: &Case, transitions: &[&str]) -> anyhow::Result<Case> {
        let mut current = case.clone();
        for t in transitions {
            current = self
                .run(
                    actor,
                    &case.id,
                    Command::Transition {
                        transition: (*t).to_owned(),
                        etag: String::new(),
                        comment: "Demo".to_owned(),
                    },
                )
                .await?;
        }
        Ok(current)
    }

    async fn record(&self, actor: &str, case: &Case, record: Record) -> anyhow::Result<Case> {
        self.run(
            actor,
            &case.id,
            Command::Record {
                etag: String::new(),
                record,
            },
        )
        .await
    }

    async fn people(&mut self) -> anyhow::Result<()> {
        let mut rules = Vec::new();
        for (id, name, role, domain) in PEOPLE {
            let principal =
                PrincipalId::parse("id", id).map_err(|e| anyhow::anyhow!(e.description))?;
            let home = (*domain != "rijk").then(|| code(domain)).transpose()?;
            let created = self
                .app
                .store
                .create_principal(NewPrincipal {
                    id: principal.clone(),
                    display_name: (*name).to_owned(),
                    kind: PrincipalKind::Person,
                    home_department: home,
                })
                .await?;
            self.callers
                .insert(principal.name(), Caller::in_process(created, "demo"));
            rules.push(Rule {
                ptype: "g".to_owned(),
                values: vec![principal.name(), (*role).to_owned(), (*domain).to_owned()],
            });
        }
        self.app.access.add_rules(rules).await?;
        Ok(())
    }

    async fn working_group(&self) -> anyhow::Result<GroupId> {
        let id = GroupId::parse("id", "ipim-kwaliteitscriteria")
            .map_err(|e| anyhow::anyhow!(e.description))?;
        let members = ["BZK", "JenV", "Fin", "IenW", "OCW", "VWS"]
            .iter()
            .map(|d| {
                Ok(Member {
                    who: MemberRef::Department(code(d)?),
                    role: if *d == "BZK" { "voorzitter" } else { "lid" }.to_owned(),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        self.app
            .store
            .create_working_group(NewWorkingGroup {
                id: id.clone(),
                display_name: "IPIM-werkgroep kwaliteitscriteria".to_owned(),
                mandate:
                    "Een actuele set kwaliteitscriteria opstellen waarmee de departementen hun \
                          integriteitsstructuur vormgeven, als basis voor het toetsingskader."
                        .to_owned(),
                chair_department: code("BZK")?,
                members,
            })
            .await?;
        Ok(id)
    }

    async fn work_items(&self, group: &GroupId) -> anyhow::Result<()> {
        let items: [(&str, &str, &[&str]); 5] = [
            (
                "Inventarisatie bestaande integriteitskaders",
                "Sanne Bakker",
                &["accept", "start", "submit_for_review", "complete"],
            ),
            (
                "Literatuurstudie en wetenschappelijke inzichten kwaliteitscriteria",
                "Karim El Idrissi",
                &["accept", "start", "submit_for_review"],
            ),
            (
                "Conceptset kwaliteitscriteria opstellen",
                "Sanne Bakker",
                &["accept", "start"],
            ),
            (
                "Consultatie departementen over de conceptset",
                "",
                &["accept"],
            ),
            ("Functieprofiel integriteitscoördinator uitwerken", "", &[]),
        ];
        for (title, assignee, steps) in items {
            let mut new = item(title, Some("BZK"), Some(group), Details::WorkItem);
            new.assignee = assignee.to_owned();
            new.labels = vec!["ipim".to_owned()];
            let case = self.create(SECRETARIAT, new).await?;
            self.walk(SECRETARIAT, &case, steps).await?;
        }
        Ok(())
    }

    async fn recommendations(&self) -> anyhow::Result<()> {
        let response = "De minister omarmt de aanbeveling om de coördinerende rol te versterken \
                        (Kamerbrief in reactie op 'Integriteit als basis').";
        let four: [(&str, &[&str]); 4] = [
            (
                "Bied een praktisch instrument om tot een goede risicoanalyse te komen",
                &["accept", "start_implementation"],
            ),
            (
                "Houd zicht op de werking van integriteitsbeleid bij de departementen",
                &["accept", "start_implementation"],
            ),
            (
                "Maak een kader voor de positie van integriteitscoördinatoren",
                &["accept"],
            ),
            (
                "Kom tot een visie waaruit de invulling van de coördinerende rol duidelijk wordt",
                &["accept"],
            ),
        ];
        for (title, steps) in four {
            let details = Details::Recommendation(Recommendation {
                report_title: "Integriteit als basis".to_owned(),
                report_reference: "2024D32310".to_owned(),
                addressee: "coordinating_minister".to_owned(),
                theme: Theme::Coordination,
                response: response.to_owned(),
            });
            let case = self
                .create(SECRETARIAT, item(title, None, None, details))
                .await?;
            self.walk(SECRETARIAT, &case, steps).await?;
        }
        Ok(())
    }

    async fn criteria_set(&self) -> anyhow::Result<criteria::CriteriaSet> {
        let now = crate::domain::cases::model::now();
        let mut set = criteria::template(now);
        set.id = CriteriaSetId::generate();
        set.template = false;
        // Last year's cycles and this year's use this one set, so its title names no year: each
        // cycle's title ("Toetsing 2025 BZK: …") says which year it is.
        set.title = "Toetsingskader integriteit".to_owned();
        set.description = format!(
            "De actuele set kwaliteitscriteria van de IPIM-werkgroep, gebruikt voor de toetsing \
             van {} en {YEAR}.",
            YEAR - 1
        );
        set.publish("", now)?;
        Ok(self.app.store.create_criteria_set(set).await?)
    }

    async fn sector_rijk(&self) -> anyhow::Result<Vec<String>> {
        Ok(
            crate::app::references::all_departments(self.app.store.as_ref())
                .await?
                .into_iter()
                .filter(|d| d.active && d.in_sector_rijk)
                .map(|d| d.code.as_str().to_owned())
                .collect(),
        )
    }

    async fn frameworks(&self) -> anyhow::Result<()> {
        let scope = self.sector_rijk().await?;
        let kader = Details::Framework(Framework {
            purposes: vec![Purpose::Unity, Purpose::Quality],
            scope: scope.clone(),
            effective_date: format!("{}-01-01", YEAR + 1),
            evaluation_interval_months: 24,
            ..Framework::default()
        });
        let case = self
            .create(
                COORDINATOR,
                item(
                    "Toetsingskader integriteit rijksoverheid",
                    None,
                    None,
                    kader,
                ),
            )
            .await?;
        let case = self
            .walk(SECRETARIAT, &case, &["start_consultation"])
            .await?;
        let outcomes = [
            ("BZK", Outcome::Agrees, ""),
            (
                "JenV",
                Outcome::Concerns,
                "Graag ruimte voor de eigen uitvoeringsorganisaties.",
            ),
            ("Fin", Outcome::Agrees, ""),
            ("IenW", Outcome::Agrees, ""),
            (
                "OCW",
                Outcome::Objects,
                "Eerst de uitkomst van de pilot risicoanalyse afwachten.",
            ),
        ];
        // One IPIM meeting consulted these five: recorded in one call, one event each.
        let consultations = outcomes
            .into_iter()
            .map(|(department, outcome, note)| Consultation {
                department: department.to_owned(),
                body: "IPIM".to_owned(),
                date: format!("{YEAR}-10-08"),
                outcome,
                note: note.to_owned(),
                recorded_by: String::new(),
                record_time: 0,
            })
            .collect();
        self.record(SECRETARIAT, &case, Record::Consultations(consultations))
            .await?;
        let positie = Details::Framework(Framework {
            purposes: vec![Purpose::Quality],
            scope,
            ..Framework::default()
        });
        self.create(
            COORDINATOR,
            item(
                "Kader positionering integriteitscoördinatoren",
                None,
                None,
                positie,
            ),
        )
        .await?;
        Ok(())
    }

    async fn risk_pilot(&self) -> anyhow::Result<()> {
        let pilots: [(&str, &str, &str, &[&str]); 3] = [
            (
                "JenV",
                "Dienst Justitiële Inrichtingen",
                "demo-ic-jenv",
                &["identify", "assess", "plan_mitigation", "start_monitoring"],
            ),
            ("Fin", "Douane", "demo-ic-fin", &["identify", "assess"]),
            ("IenW", "Rijkswaterstaat", "demo-ic-ienw", &["identify"]),
        ];
        let risks: [(&str, Category, Process, i32, i32); 4] = [
            (
                "Omkoping bij aanbesteding van onderhoud",
                Category::Corruption,
                Process::Procurement,
                3,
                5,
            ),
            (
                "Lekken van opsporingsinformatie",
                Category::InformationLeak,
                Process::PersonalData,
                4,
                4,
            ),
            (
                "Criminele beïnvloeding van vergunningverlening",
                Category::Undermining,
                Process::Permits,
                2,
                4,
            ),
            (
                "Nevenfunctie bij leverancier",
                Category::ConflictOfInterest,
                Process::Procurement,
                2,
                2,
            ),
        ];
        for (pilot, (department, organisation, person, steps)) in pilots.into_iter().enumerate() {
            let actor = format!("principals/{person}");
            let details = Details::RiskAnalysis(RiskAnalysis {
                organisation: organisation.to_owned(),
                high_risk_threshold: 0,
                risks: Vec::new(),
                next_risk: 1,
            });
            let title = format!("Pilot risicoanalyse corruptie en ondermijning: {organisation}");
            let mut new = item(&title, Some(department), None, details);
            new.labels = vec!["pilot".to_owned()];
            let case = self.create(&actor, new).await?;
            for (title, category, process, likelihood, impact) in risks {
                // Each organisation scores the same risks somewhat differently.
                let shift = i32::try_from(pilot).unwrap_or(0);
                let likelihood = (likelihood + shift - 1).rem_euclid(5) + 1;
                let mitigating = likelihood * impact >= 15;
                let fields = RiskFields {
                    title: Some(title.to_owned()),
                    category: Some(Some(category)),
                    process: Some(Some(process)),
                    likelihood: Some(likelihood),
                    impact: Some(impact),
                    mitigation: Some(if mitigating {
                        "Vier-ogenprincipe, roulatie en screening".to_owned()
                    } else {
                        String::new()
                    }),
                    owner: Some(
                        if mitigating {
                            "Directeur Bedrijfsvoering"
                        } else {
                            ""
                        }
                        .to_owned(),
                    ),
                    status: Some(Some(if mitigating {
                        Status::Mitigating
                    } else {
                        Status::Open
                    })),
                };
                self.record(&actor, &case, Record::AddRisk(fields)).await?;
            }
            self.walk(&actor, &case, steps).await?;
        }
        Ok(())
    }

    /// Last year's cycles of three departments, closed; this year's for every department of
    /// the sector Rijk, carried over where there was one, in every state but closed.
    async fn cycles(&self, set: &criteria::CriteriaSet) -> anyhow::Result<()> {
        let departments = self.sector_rijk().await?;
        let codes = set.codes();
        let mut last_year = std::collections::HashMap::new();
        for (d, department) in ["BZK", "JenV", "Fin"].iter().enumerate() {
            let case = self.open(YEAR - 1, department, set, None).await?;
            let ic = integrity_coordinator(department)?;
            self.walk(&ic, &case, &["start"]).await?;
            for (c, code) in codes.iter().enumerate() {
                self.rate(&ic, &case, code, rating(d, c, YEAR - 1)).await?;
            }
            self.walk(&ic, &case, &["submit"]).await?;
            self.walk(COORDINATOR, &case, &["start_review", "approve_review"])
                .await?;
            let case = self.dialogue(&case, YEAR - 1).await?;
            let case = self
                .walk(COORDINATOR, &case, &["hold_dialogue", "close"])
                .await?;
            if let Details::AssessmentCycle(c) = case.details {
                last_year.insert((*department).to_owned(), c);
            }
        }
        for (d, department) in departments.iter().enumerate() {
            let case = self
                .open(YEAR, department, set, last_year.get(department))
                .await?;
            // How far each department has come this year: together, every state of the
            // workflow but `closed` (README, "Set-up").
            let progress = match department.as_str() {
                // dialogue_held
                "JenV" => 5,
                // reviewed
                "BZK" => 4,
                // in_review
                "OCW" => 3,
                // submitted
                "IenW" => 2,
                // self_assessment. Fin has confirmed half of last year's ratings; the rest are
                // still carried over.
                "Fin" | "AZ" | "SZW" | "VWS" => 1,
                // planned
                _ => 0,
            };
            if progress == 0 {
                continue;
            }
            // The department assesses itself; the coordinating directorate reviews.
            let ic = integrity_coordinator(department)?;
            self.walk(&ic, &case, &["start"]).await?;
            let rated = if progress == 1 {
                codes.len() / 2
            } else {
                codes.len()
            };
            for (c, code) in codes.iter().enumerate().take(rated) {
                self.rate(&ic, &case, code, rating(d, c, YEAR)).await?;
            }
            if progress >= 2 {
                self.walk(&ic, &case, &["submit"]).await?;
            }
            if progress >= 3 {
                self.walk(COORDINATOR, &case, &["start_review"]).await?;
            }
            if progress >= 4 {
                self.walk(COORDINATOR, &case, &["approve_review"]).await?;
            }
            if progress >= 5 {
                let case = self.dialogue(&case, YEAR).await?;
                self.walk(COORDINATOR, &case, &["hold_dialogue"]).await?;
            }
        }
        Ok(())
    }

    async fn open(
        &self,
        year: i32,
        department: &str,
        set: &criteria::CriteriaSet,
        carried: Option<&Cycle>,
    ) -> anyhow::Result<Case> {
        let id = cycle::cycle_id(year, department, set.id.as_str())?;
        let mut new = item(
            &format!("Toetsing {year} {department}: {}", set.title),
            Some(department),
            None,
            Details::AssessmentCycle(Cycle::open(year, set, carried)),
        );
        new.labels = vec![format!("toetsing-{year}")];
        self.run(
            COORDINATOR,
            &id,
            Command::Create {
                id: id.clone(),
                case: new,
            },
        )
        .await
    }

    async fn rate(
        &self,
        actor: &str,
        case: &Case,
        code: &str,
        rating: Rating,
    ) -> anyhow::Result<Case> {
        let justification = match rating {
            Rating::NotMet => "Nog niet ingericht; opgenomen in het jaarplan.",
            Rating::NotApplicable => "Niet van toepassing op de kernorganisatie.",
            _ => "",
        };
        let record = Record::Rating(CriterionRating {
            criterion: code.to_owned(),
            rating,
            justification: justification.to_owned(),
            evidence: vec![Evidence {
                title: "Jaarrapportage integriteit".to_owned(),
                url: "https://www.rijksoverheid.nl/".to_owned(),
                owner: "Integriteitscoördinator".to_owned(),
                valid_until: String::new(),
            }],
            maturity: Maturity::Implementation,
            carried_over: false,
            rated_by: String::new(),
            rate_time: 0,
        });
        self.record(actor, case, record).await
    }

    async fn dialogue(&self, case: &Case, year: i32) -> anyhow::Result<Case> {
        let department = case.department.as_deref().unwrap_or_default();
        // Each agreement has its owner in the department and a date, "vóór 1 april" and "vóór
        // 1 juli" of the year after this one (none is overdue yet): the follow-up items the
        // cycle's close makes carry both.
        let agreements = vec![
            Agreement {
                text: "Vertrouwenspersonen zichtbaarder maken op intranet".to_owned(),
                owner: integrity_coordinator_name(department)?,
                due_time: Some(due_before(YEAR + 1, time::Month::April, 1)?),
            },
            Agreement {
                text: "Risicoanalyse inkoop herhalen met de pilotmethode".to_owned(),
                owner: format!("Directeur Bedrijfsvoering {department}"),
                due_time: Some(due_before(YEAR + 1, time::Month::July, 1)?),
            },
        ];
        let record = Record::Dialogue(Dialogue {
            date: format!("{year}-11-12"),
            participants: vec![
                "DG Overheidsorganisatie (BZK)".to_owned(),
                "Secretaris-generaal".to_owned(),
                "Integriteitscoördinator".to_owned(),
            ],
            summary: "Jaarlijks gesprek over de toetsing en de voortgang op de aanbevelingen."
                .to_owned(),
            agreements,
            recorded_by: String::new(),
            record_time: 0,
        });
        self.record(COORDINATOR, case, record).await
    }
}

/// A spread of ratings — about half met, a quarter partially met, the rest not met or not
/// applicable — that differs per department, criterion and year without a visible pattern.
fn rating(d: usize, c: usize, year: i32) -> Rating {
    // splitmix64 of the three, so neighbouring cells are unrelated.
    let mut x = ((d as u64) << 40) ^ ((c as u64) << 20) ^ u64::from(year.unsigned_abs());
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    match (x ^ (x >> 31)) % 20 {
        0..=9 => Rating::Met,
        10..=14 => Rating::PartiallyMet,
        15..=17 => Rating::NotMet,
        _ => Rating::NotApplicable,
    }
}
