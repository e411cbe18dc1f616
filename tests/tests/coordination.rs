//! The coordination domain end to end, on both backends: criteria sets and the yearly
//! assessment cycles, frameworks under the coordination decree, risk analyses, and the reports
//! over them, each checked against what the test computes on its own.

// The backend tests are plain async fns, which clippy's allow-unwrap-in-tests does not cover.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};

use regie_proto::v1::{self, case::Details};
use regie_tests::errors::assert_error;
use regie_tests::{Authed, Backend, TestServer, backend_tests, fixtures};
use tonic::Code;
use tonic_types::StatusExt as _;

backend_tests!(
    opening_a_years_cycles_creates_one_per_sector_rijk_department_and_nothing_twice,
    a_cycle_is_rated_reviewed_independently_and_closed_into_follow_up_items,
    a_framework_is_adopted_by_the_coordinator_after_consultation_and_then_observed,
    rollup_and_year_on_year_comparison_equal_an_independent_computation,
    a_risk_analysis_keeps_its_register_and_heat_map_and_guards_its_steps,
    criteria_sets_change_only_as_drafts,
    the_demo_scenario_shows_every_kind_at_work_and_loads_once,
    the_demo_titles_each_cycle_after_its_own_year_and_the_set_it_used,
    the_demo_shows_this_years_cycles_in_the_six_states_the_readme_names,
    the_coordinator_reviews_a_self_assessment_but_may_not_rate_it,
    the_demo_rates_each_cycle_as_its_departments_own_integrity_coordinator,
    the_demos_follow_up_items_carry_their_agreements_owner_and_due_date,
    recording_an_observance_closes_that_departments_observance_item_and_no_other,
    a_framework_falls_due_for_evaluation_and_an_evaluation_records_its_verdict,
);

type Assessment = v1::assessment_service_client::AssessmentServiceClient<Authed>;

/// The (rule id, description) of each PreconditionFailure violation of `status`.
fn violations(status: &tonic::Status) -> Vec<(String, String)> {
    status
        .get_error_details()
        .precondition_failure()
        .map(|f| {
            f.violations
                .iter()
                .map(|v| (v.r#type.clone(), v.description.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn criterion(code: &str) -> v1::Criterion {
    v1::Criterion {
        code: code.into(),
        title_nl: format!("Criterium {code}"),
        title_en: format!("Criterion {code}"),
        ..Default::default()
    }
}

/// Creates and publishes a set with these criteria; returns its name.
async fn published_set(server: &TestServer, codes: &[&str]) -> String {
    let mut assessment = server.assessment().await;
    let set = assessment
        .create_criteria_set(v1::CreateCriteriaSetRequest {
            criteria_set: Some(v1::CriteriaSet {
                title: "Toetsingskader test".into(),
                criteria: codes.iter().map(|c| criterion(c)).collect(),
                ..Default::default()
            }),
            copy_from: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assessment
        .publish_criteria_set(v1::PublishCriteriaSetRequest {
            name: set.name.clone(),
            etag: set.etag,
        })
        .await
        .unwrap();
    set.name
}

async fn open(
    assessment: &mut Assessment,
    year: i32,
    set: &str,
    departments: &[&str],
    carry_over: bool,
) -> Result<v1::OpenCyclesResponse, tonic::Status> {
    assessment
        .open_cycles(v1::OpenCyclesRequest {
            year,
            criteria_set: set.into(),
            carry_over,
            departments: departments
                .iter()
                .map(|d| format!("departments/{d}"))
                .collect(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn rate(
    assessment: &mut Assessment,
    cycle: &str,
    code: &str,
    rating: v1::Rating,
    justification: &str,
) -> Result<v1::CriterionRating, tonic::Status> {
    assessment
        .rate_criterion(v1::RateCriterionRequest {
            cycle: cycle.into(),
            rating: Some(v1::CriterionRating {
                criterion: code.into(),
                rating: rating as i32,
                justification: justification.into(),
                evidence: vec![v1::Evidence {
                    title: "Jaarverslag integriteit".into(),
                    url: "https://example.org/jaarverslag.pdf".into(),
                    owner: "Integriteitscoördinator".into(),
                    valid_until: "2027-12-31".into(),
                }],
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn step(
    cases: &mut v1::case_service_client::CaseServiceClient<Authed>,
    name: &str,
    transition: &str,
) -> Result<v1::Case, tonic::Status> {
    cases
        .transition_case(v1::TransitionCaseRequest {
            name: name.into(),
            transition: transition.into(),
            comment: "test".into(),
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn children(server: &TestServer, parent: &str) -> Vec<v1::Case> {
    server
        .cases()
        .await
        .list_cases(v1::ListCasesRequest {
            page_size: 1000,
            filter: format!("parent = \"{parent}\""),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cases
}

async fn sector_rijk(server: &TestServer) -> Vec<String> {
    let mut codes: Vec<String> = server
        .directory()
        .await
        .list_departments(v1::ListDepartmentsRequest {
            page_size: 1000,
            filter: "in_sector_rijk = true AND active = true".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .departments
        .into_iter()
        .map(|d| d.code)
        .collect();
    codes.sort();
    codes
}

fn cycle_department(case: &v1::Case) -> String {
    case.department
        .trim_start_matches("departments/")
        .to_owned()
}

async fn opening_a_years_cycles_creates_one_per_sector_rijk_department_and_nothing_twice(
    backend: Backend,
) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let expected = sector_rijk(&server).await;
    assert!(expected.len() >= 10 && !expected.contains(&"Defensie".to_owned()));
    let mut assessment = server.assessment().await;

    // Only a published set opens cycles: the shipped template is a draft.
    let template = assessment
        .get_criteria_set(v1::GetCriteriaSetRequest {
            name: "criteriaSets/template".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(template.template && template.criteria.len() == 15);
    let status = open(&mut assessment, 2026, &template.name, &[], false)
        .await
        .unwrap_err();
    assert_error(
        &status,
        Code::FailedPrecondition,
        "CRITERIA_SET_NOT_PUBLISHED",
    );

    let set = published_set(&server, &["A", "B"]).await;
    let first = open(&mut assessment, 2026, &set, &[], false).await.unwrap();
    let mut opened: Vec<String> = first.opened.iter().map(cycle_department).collect();
    opened.sort();
    assert_eq!(opened, expected, "exactly one per sector-Rijk department");
    assert!(first.existing.is_empty());
    for cycle in &first.opened {
        assert_eq!(cycle.kind, "assessment_cycle");
        assert_eq!(cycle.state, "planned");
        let Some(Details::AssessmentCycle(details)) = &cycle.details else {
            panic!("cycle details");
        };
        assert_eq!((details.year, details.criteria_total), (2026, 2));
    }

    let second = open(&mut assessment, 2026, &set, &[], false).await.unwrap();
    assert!(second.opened.is_empty(), "a second call creates nothing");
    assert_eq!(second.existing.len(), expected.len());

    // Asking for Defensie explicitly names the rule; nothing is opened for anyone.
    let status = open(&mut assessment, 2027, &set, &["BZK", "Defensie"], false)
        .await
        .unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "RULE_VIOLATED");
    let failed = violations(&status);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, "decree.scope_sector_rijk");
    assert!(failed[0].1.contains("Defensie"), "{failed:?}");
    let all_cycles = server
        .cases()
        .await
        .list_cases(v1::ListCasesRequest {
            page_size: 1000,
            filter: "kind = \"assessment_cycle\"".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cases;
    assert_eq!(all_cycles.len(), expected.len(), "no 2027 cycle was opened");

    // Nor can a cycle move to another department: its department and year are its key.
    let mut moved = first.opened[0].clone();
    moved.department = "departments/Defensie".into();
    let status = server
        .cases()
        .await
        .update_case(v1::UpdateCaseRequest {
            case: Some(moved),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["department".into()],
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);

    // A cycle cannot be made with CreateCase, so the rule has one door.
    let status = server
        .cases()
        .await
        .create_case(v1::CreateCaseRequest {
            case: Some(v1::Case {
                kind: "assessment_cycle".into(),
                title: "Zelf gemaakt".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
}

async fn a_cycle_is_rated_reviewed_independently_and_closed_into_follow_up_items(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let set = published_set(&server, &["BN-01", "BN-02", "BN-03"]).await;
    let cycle = open(&mut server.assessment().await, 2026, &set, &["JenV"], false)
        .await
        .unwrap()
        .opened
        .remove(0);
    let ic = server
        .principal("ic-jenv", &[("integrity_coordinator", "JenV")])
        .await;
    let ic_bzk = server
        .principal("ic-bzk", &[("integrity_coordinator", "BZK")])
        .await;
    // A coordinator who is also JenV's integrity coordinator, and one who is independent.
    let partial = server
        .principal(
            "coord-jenv",
            &[("coordinator", "rijk"), ("integrity_coordinator", "JenV")],
        )
        .await;
    let reviewer = server.principal("coord", &[("coordinator", "rijk")]).await;
    let assessment_as = |token: String| {
        let server = &server;
        async move {
            v1::assessment_service_client::AssessmentServiceClient::new(
                server.authed_with(&token).await,
            )
        }
    };
    let cases_as = |token: String| {
        let server = &server;
        async move { v1::case_service_client::CaseServiceClient::new(server.authed_with(&token).await) }
    };
    let mut ic_assessment = assessment_as(ic.clone()).await;
    let mut ic_cases = cases_as(ic.clone()).await;

    // Ratings change only in self-assessment.
    let status = rate(
        &mut ic_assessment,
        &cycle.name,
        "BN-01",
        v1::Rating::Met,
        "",
    )
    .await
    .unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "STATE_FORBIDS_CHANGE");
    step(&mut ic_cases, &cycle.name, "start").await.unwrap();

    // Another department's coordinator may not rate JenV's cycle.
    let status = rate(
        &mut assessment_as(ic_bzk).await,
        &cycle.name,
        "BN-01",
        v1::Rating::Met,
        "",
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    rate(
        &mut ic_assessment,
        &cycle.name,
        "BN-01",
        v1::Rating::Met,
        "",
    )
    .await
    .unwrap();
    rate(
        &mut ic_assessment,
        &cycle.name,
        "BN-02",
        v1::Rating::NotMet,
        "",
    )
    .await
    .unwrap();
    let status = rate(
        &mut ic_assessment,
        &cycle.name,
        "BN-99",
        v1::Rating::Met,
        "",
    )
    .await
    .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "UNKNOWN_CRITERION");

    // Submitting names the rule, the unrated criterion and the unjustified one.
    let status = step(&mut ic_cases, &cycle.name, "submit")
        .await
        .unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "RULES_NOT_MET");
    let failed = violations(&status);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, "cycle.all_criteria_rated");
    assert!(
        failed[0].1.contains("BN-03") && failed[0].1.contains("BN-02"),
        "{failed:?}"
    );
    rate(
        &mut ic_assessment,
        &cycle.name,
        "BN-02",
        v1::Rating::NotMet,
        "Nog geen beleid",
    )
    .await
    .unwrap();
    rate(
        &mut ic_assessment,
        &cycle.name,
        "BN-03",
        v1::Rating::PartiallyMet,
        "",
    )
    .await
    .unwrap();
    let ratings = ic_assessment
        .list_ratings(v1::ListRatingsRequest {
            cycle: cycle.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let listed: Vec<(String, i32, String)> = ratings
        .ratings
        .iter()
        .map(|r| (r.criterion.clone(), r.rating, r.rated_by.clone()))
        .collect();
    assert_eq!(
        listed,
        [
            (
                "BN-01".into(),
                v1::Rating::Met as i32,
                "principals/ic-jenv".into()
            ),
            (
                "BN-02".into(),
                v1::Rating::NotMet as i32,
                "principals/ic-jenv".into()
            ),
            (
                "BN-03".into(),
                v1::Rating::PartiallyMet as i32,
                "principals/ic-jenv".into()
            ),
        ]
    );
    assert!(ratings.unrated.is_empty());
    assert_eq!(ratings.ratings[0].evidence.len(), 1);
    step(&mut ic_cases, &cycle.name, "submit").await.unwrap();

    // The integrity coordinator cannot review; a reviewer with a role in JenV is refused by the
    // rule; an independent one may.
    let status = step(&mut ic_cases, &cycle.name, "start_review")
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let status = step(&mut cases_as(partial).await, &cycle.name, "start_review")
        .await
        .unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "RULES_NOT_MET");
    let failed = violations(&status);
    assert_eq!(failed[0].0, "cycle.reviewer_independent");
    assert!(failed[0].1.contains("integrity_coordinator"), "{failed:?}");
    let mut reviewer_cases = cases_as(reviewer.clone()).await;
    let in_review = step(&mut reviewer_cases, &cycle.name, "start_review")
        .await
        .unwrap();
    let Some(Details::AssessmentCycle(details)) = &in_review.details else {
        panic!("details");
    };
    assert_eq!(details.reviewer, "principals/coord");
    let status = rate(
        &mut ic_assessment,
        &cycle.name,
        "BN-01",
        v1::Rating::NotMet,
        "x",
    )
    .await
    .unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "STATE_FORBIDS_CHANGE");
    step(&mut reviewer_cases, &cycle.name, "approve_review")
        .await
        .unwrap();

    // No close, and no dialogue held, without a recorded dialogue.
    let status = step(&mut reviewer_cases, &cycle.name, "close")
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    let status = step(&mut reviewer_cases, &cycle.name, "hold_dialogue")
        .await
        .unwrap_err();
    assert_eq!(violations(&status)[0].0, "cycle.dialogue_recorded");
    // Sorted, as the titles are compared sorted below.
    let agreements = [
        "Risicoanalyse inkoop herhalen",
        "Vertrouwenspersonen beter bekendmaken",
    ];
    let mut reviewer_assessment = assessment_as(reviewer).await;
    let status = reviewer_assessment
        .record_dialogue(v1::RecordDialogueRequest {
            cycle: cycle.name.clone(),
            dialogue: Some(v1::Dialogue::default()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    reviewer_assessment
        .record_dialogue(v1::RecordDialogueRequest {
            cycle: cycle.name.clone(),
            dialogue: Some(v1::Dialogue {
                date: "2026-10-14".into(),
                participants: vec!["DG Overheidsorganisatie".into(), "SG JenV".into()],
                summary: "Jaarlijks gesprek over de toetsing".into(),
                agreements: agreements.iter().map(|a| (*a).to_owned()).collect(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    step(&mut reviewer_cases, &cycle.name, "hold_dialogue")
        .await
        .unwrap();
    assert!(children(&server, &cycle.name).await.is_empty());
    let closed = step(&mut reviewer_cases, &cycle.name, "close")
        .await
        .unwrap();
    assert_eq!(closed.state, "closed");

    // After close the agreements exist as work items of JenV, linked to the cycle.
    let follow_ups = children(&server, &cycle.name).await;
    let mut titles: Vec<&str> = follow_ups.iter().map(|c| c.title.as_str()).collect();
    titles.sort_unstable();
    assert_eq!(titles, agreements);
    for item in &follow_ups {
        assert_eq!(item.kind, "work_item");
        assert_eq!(item.state, "proposed");
        assert_eq!(item.department, "departments/JenV");
        assert_eq!(item.labels, ["follow-up"]);
    }
    // Each is in the audit log, and every chain holds.
    let report = server
        .audit()
        .await
        .verify_audit_chain(v1::VerifyAuditChainRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(report.valid, "{report:?}");
}

fn framework(title: &str, scope: &[&str], purposes: &[v1::FrameworkPurpose]) -> v1::Case {
    v1::Case {
        kind: "framework".into(),
        title: title.into(),
        details: Some(Details::Framework(v1::FrameworkDetails {
            purposes: purposes.iter().map(|p| *p as i32).collect(),
            scope: scope.iter().map(|d| format!("departments/{d}")).collect(),
            effective_date: "2027-01-01".into(),
            evaluation_interval_months: 24,
            ..Default::default()
        })),
        ..Default::default()
    }
}

async fn consult(
    frameworks: &mut v1::framework_service_client::FrameworkServiceClient<Authed>,
    name: &str,
    department: &str,
) -> Result<v1::Consultation, tonic::Status> {
    frameworks
        .record_consultation(v1::RecordConsultationRequest {
            framework: name.into(),
            consultation: Some(v1::Consultation {
                department: format!("departments/{department}"),
                body: "IPIM".into(),
                date: "2026-09-01".into(),
                outcome: v1::ConsultationOutcome::Agrees as i32,
                note: String::new(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn observe(
    frameworks: &mut v1::framework_service_client::FrameworkServiceClient<Authed>,
    name: &str,
    department: &str,
) -> Result<v1::Observance, tonic::Status> {
    frameworks
        .record_observance(v1::RecordObservanceRequest {
            framework: name.into(),
            observance: Some(v1::Observance {
                department: format!("departments/{department}"),
                summary: "Opgenomen in de departementale gedragscode".into(),
                date: "2027-02-01".into(),
                link: "https://example.org/gedragscode".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn a_framework_is_adopted_by_the_coordinator_after_consultation_and_then_observed(
    backend: Backend,
) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let secretariat = server.principal("sec", &[("secretariat", "rijk")]).await;
    let coordinator = server.principal("coord", &[("coordinator", "rijk")]).await;
    let ic = server
        .principal("ic-jenv", &[("integrity_coordinator", "JenV")])
        .await;
    let cases_as = |token: String| {
        let server = &server;
        async move { v1::case_service_client::CaseServiceClient::new(server.authed_with(&token).await) }
    };
    let frameworks_as = |token: String| {
        let server = &server;
        async move {
            v1::framework_service_client::FrameworkServiceClient::new(
                server.authed_with(&token).await,
            )
        }
    };
    let mut sec_cases = cases_as(secretariat.clone()).await;
    let mut sec_frameworks = frameworks_as(secretariat.clone()).await;

    // The scope is only the sector Rijk; by default all of it.
    let status = sec_cases
        .create_case(v1::CreateCaseRequest {
            case: Some(framework("Kader", &["BZK", "Defensie"], &[])),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(violations(&status)[0].0, "decree.scope_sector_rijk");
    let everywhere = sec_cases
        .create_case(v1::CreateCaseRequest {
            case: Some(framework(
                "Kader rijksbreed",
                &[],
                &[v1::FrameworkPurpose::Unity],
            )),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let Some(Details::Framework(details)) = &everywhere.details else {
        panic!("details");
    };
    let mut scope: Vec<String> = details
        .scope
        .iter()
        .map(|d| d.trim_start_matches("departments/").to_owned())
        .collect();
    scope.sort();
    assert_eq!(scope, sector_rijk(&server).await);

    let scope = ["BZK", "JenV", "OCW"];
    let kader = sec_cases
        .create_case(v1::CreateCaseRequest {
            case: Some(framework(
                "Kader positionering integriteitscoördinator",
                &scope,
                &[],
            )),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let status = consult(&mut sec_frameworks, &kader.name, "BZK")
        .await
        .unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "STATE_FORBIDS_CHANGE");
    step(&mut sec_cases, &kader.name, "start_consultation")
        .await
        .unwrap();
    consult(&mut sec_frameworks, &kader.name, "BZK")
        .await
        .unwrap();
    let status = consult(&mut sec_frameworks, &kader.name, "EZK")
        .await
        .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "OUTSIDE_SCOPE");

    // The secretariat may not adopt; the coordinator is told every rule that is not met.
    let status = step(&mut sec_cases, &kader.name, "adopt")
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let mut coord_cases = cases_as(coordinator.clone()).await;
    let status = step(&mut coord_cases, &kader.name, "adopt")
        .await
        .unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "RULES_NOT_MET");
    let failed: BTreeMap<String, String> = violations(&status).into_iter().collect();
    assert_eq!(
        failed.keys().map(String::as_str).collect::<Vec<_>>(),
        ["decree.consulted_before_adoption", "decree.purpose_stated"]
    );
    let missing = &failed["decree.consulted_before_adoption"];
    assert!(
        missing.contains("JenV") && missing.contains("OCW") && !missing.contains("BZK"),
        "{missing}"
    );
    // The admin holds every permission, but not the coordinating role.
    let status = step(&mut server.cases().await, &kader.name, "adopt")
        .await
        .unwrap_err();
    assert!(
        violations(&status)
            .iter()
            .any(|(rule, _)| rule == "decree.adopted_by_coordinating_minister")
    );

    consult(&mut sec_frameworks, &kader.name, "JenV")
        .await
        .unwrap();
    consult(&mut sec_frameworks, &kader.name, "OCW")
        .await
        .unwrap();
    let mut update = framework("", &scope, &[v1::FrameworkPurpose::Quality]);
    update.name = kader.name.clone();
    sec_cases
        .update_case(v1::UpdateCaseRequest {
            case: Some(update),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["framework.purposes".into()],
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();
    let consultations = sec_frameworks
        .list_consultations(v1::ListConsultationsRequest {
            framework: kader.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(consultations.consultations.len(), 3);
    assert!(consultations.not_consulted.is_empty());
    step(&mut coord_cases, &kader.name, "adopt").await.unwrap();
    let status = step(&mut sec_cases, &kader.name, "put_in_force")
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    step(&mut coord_cases, &kader.name, "put_in_force")
        .await
        .unwrap();

    // One observance item per department in scope.
    let items = children(&server, &kader.name).await;
    let mut departments: Vec<String> = items.iter().map(cycle_department).collect();
    departments.sort();
    assert_eq!(departments, scope);
    assert!(
        items
            .iter()
            .all(|i| i.labels == ["observance"] && i.kind == "work_item")
    );

    // Evaluation continues only once every department recorded its observance; a department
    // records its own, not another's.
    step(&mut coord_cases, &kader.name, "start_evaluation")
        .await
        .unwrap();
    let status = step(&mut coord_cases, &kader.name, "continue")
        .await
        .unwrap_err();
    let failed = violations(&status);
    assert_eq!(failed[0].0, "decree.observed_by_departments");
    let mut ic_frameworks = frameworks_as(ic).await;
    observe(&mut ic_frameworks, &kader.name, "JenV")
        .await
        .unwrap();
    let status = observe(&mut ic_frameworks, &kader.name, "BZK")
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let mut coord_frameworks = frameworks_as(coordinator).await;
    observe(&mut coord_frameworks, &kader.name, "BZK")
        .await
        .unwrap();
    let status = step(&mut coord_cases, &kader.name, "continue")
        .await
        .unwrap_err();
    assert!(violations(&status)[0].1.contains("OCW"));
    observe(&mut coord_frameworks, &kader.name, "OCW")
        .await
        .unwrap();
    let observances = coord_frameworks
        .list_observances(v1::ListObservancesRequest {
            framework: kader.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(observances.observances.len(), 3);
    assert_eq!(observances.observances[0].recorded_by, "principals/ic-jenv");
    let back = step(&mut coord_cases, &kader.name, "continue")
        .await
        .unwrap();
    assert_eq!(back.state, "in_force");
}

async fn recording_an_observance_closes_that_departments_observance_item_and_no_other(
    backend: Backend,
) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let coordinator = server.principal("coord", &[("coordinator", "rijk")]).await;
    let ic = server
        .principal("ic-jenv", &[("integrity_coordinator", "JenV")])
        .await;
    let mut coord_cases =
        v1::case_service_client::CaseServiceClient::new(server.authed_with(&coordinator).await);
    let mut coord_frameworks = v1::framework_service_client::FrameworkServiceClient::new(
        server.authed_with(&coordinator).await,
    );
    let mut ic_frameworks =
        v1::framework_service_client::FrameworkServiceClient::new(server.authed_with(&ic).await);
    let scope = ["BZK", "JenV", "OCW"];
    let kader = coord_cases
        .create_case(v1::CreateCaseRequest {
            case: Some(framework(
                "Kader meldpunten",
                &scope,
                &[v1::FrameworkPurpose::Unity],
            )),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    step(&mut coord_cases, &kader.name, "start_consultation")
        .await
        .unwrap();
    for department in scope {
        consult(&mut coord_frameworks, &kader.name, department)
            .await
            .unwrap();
    }
    for transition in ["adopt", "put_in_force"] {
        step(&mut coord_cases, &kader.name, transition)
            .await
            .unwrap();
    }
    let state_of = |items: &[v1::Case]| -> BTreeMap<String, String> {
        items
            .iter()
            .map(|i| (cycle_department(i), i.state.clone()))
            .collect()
    };
    let items = children(&server, &kader.name).await;
    assert!(
        state_of(&items).values().all(|s| s == "proposed"),
        "{items:?}"
    );
    assert!(
        items
            .iter()
            .all(|i| i.description.contains("regie frameworks observe")
                && !i.description.contains("FrameworkService")),
        "{:?}",
        items[0].description
    );

    observe(&mut ic_frameworks, &kader.name, "JenV")
        .await
        .unwrap();
    let items = children(&server, &kader.name).await;
    assert_eq!(
        state_of(&items),
        BTreeMap::from([
            ("BZK".to_owned(), "proposed".to_owned()),
            ("JenV".to_owned(), "done".to_owned()),
            ("OCW".to_owned(), "proposed".to_owned()),
        ])
    );
    let jenv = items
        .iter()
        .find(|i| cycle_department(i) == "JenV")
        .unwrap();
    assert_eq!(jenv.assignee, "principals/ic-jenv");
    // Moved through its workflow by whoever recorded the observance, one event per step, in
    // the item's own chain.
    let history = server
        .cases()
        .await
        .list_case_events(v1::ListCaseEventsRequest {
            name: jenv.name.clone(),
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    let steps: Vec<(&str, &str, &str)> = history
        .iter()
        .map(|e| (e.r#type.as_str(), e.transition.as_str(), e.actor.as_str()))
        .collect();
    let ic_name = "principals/ic-jenv";
    assert_eq!(
        steps[1..],
        [
            ("case.updated", "", ic_name),
            ("case.transitioned", "accept", ic_name),
            ("case.transitioned", "start", ic_name),
            ("case.transitioned", "submit_for_review", ic_name),
            ("case.transitioned", "complete", ic_name),
        ]
    );
    // A second observance by the same department leaves the closed item as it is.
    observe(&mut ic_frameworks, &kader.name, "JenV")
        .await
        .unwrap();
    let again = children(&server, &kader.name).await;
    assert_eq!(state_of(&again), state_of(&items));
    assert_eq!(
        again
            .iter()
            .find(|i| i.name == jenv.name)
            .map(|i| i.etag.clone()),
        Some(jenv.etag.clone())
    );
    // The other departments' items close with their own observance.
    observe(&mut coord_frameworks, &kader.name, "OCW")
        .await
        .unwrap();
    let items = children(&server, &kader.name).await;
    assert_eq!(state_of(&items)["OCW"], "done");
    assert_eq!(state_of(&items)["BZK"], "proposed");
    let report = server
        .audit()
        .await
        .verify_audit_chain(v1::VerifyAuditChainRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(report.valid, "{report:?}");
}

async fn a_framework_falls_due_for_evaluation_and_an_evaluation_records_its_verdict(
    backend: Backend,
) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let coordinator = server.principal("coord", &[("coordinator", "rijk")]).await;
    let mut cases =
        v1::case_service_client::CaseServiceClient::new(server.authed_with(&coordinator).await);
    let mut frameworks = v1::framework_service_client::FrameworkServiceClient::new(
        server.authed_with(&coordinator).await,
    );
    let mut new = framework("Kader evaluatie", &["BZK"], &[v1::FrameworkPurpose::Unity]);
    if let Some(Details::Framework(details)) = &mut new.details {
        details.effective_date = "2090-01-01".into();
        details.evaluation_interval_months = 24;
    }
    let kader = cases
        .create_case(v1::CreateCaseRequest {
            case: Some(new),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(kader.due_time, None);
    step(&mut cases, &kader.name, "start_consultation")
        .await
        .unwrap();
    consult(&mut frameworks, &kader.name, "BZK").await.unwrap();
    step(&mut cases, &kader.name, "adopt").await.unwrap();
    // In force: the first evaluation is due 24 months after the effective date.
    let in_force = step(&mut cases, &kader.name, "put_in_force").await.unwrap();
    assert_eq!(in_force.due_time.map(|t| t.seconds), Some(3_849_984_000));

    let evaluation = |verdict: v1::EvaluationVerdict| v1::RecordEvaluationRequest {
        framework: kader.name.clone(),
        evaluation: Some(v1::Evaluation {
            date: "2091-12-01".into(),
            verdict: verdict as i32,
            summary: "Werkt, maar de meldroutes verschillen te veel per departement".into(),
            link: "https://example.org/evaluatie.pdf".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let status = frameworks
        .record_evaluation(evaluation(v1::EvaluationVerdict::Revise))
        .await
        .unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "STATE_FORBIDS_CHANGE");
    step(&mut cases, &kader.name, "start_evaluation")
        .await
        .unwrap();
    let status = frameworks
        .record_evaluation(evaluation(v1::EvaluationVerdict::Unspecified))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let recorded = frameworks
        .record_evaluation(evaluation(v1::EvaluationVerdict::Revise))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(recorded.verdict, v1::EvaluationVerdict::Revise as i32);
    assert_eq!(recorded.recorded_by, "principals/coord");
    let listed = frameworks
        .list_evaluations(v1::ListEvaluationsRequest {
            framework: kader.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.evaluations, [recorded]);

    // Continued after the evaluation: the next one is due 24 months from now.
    observe(&mut frameworks, &kader.name, "BZK").await.unwrap();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let continued = step(&mut cases, &kader.name, "continue").await.unwrap();
    assert_eq!(continued.state, "in_force");
    let due = u64::try_from(continued.due_time.unwrap().seconds).unwrap();
    let days = (due - before) / 86_400;
    assert!((729..=732).contains(&days), "due in {days} days");
    let history = server
        .cases()
        .await
        .list_case_events(v1::ListCaseEventsRequest {
            name: kader.name.clone(),
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert!(history.iter().any(|e| e.r#type == "framework.evaluated"));
}

/// A deterministic rating for (department index, criterion index, year): some unrated.
fn planned_rating(d: usize, c: usize, year: i32) -> Option<v1::Rating> {
    match (d * 7 + c * 3 + year as usize) % 5 {
        0 => Some(v1::Rating::Met),
        1 => Some(v1::Rating::PartiallyMet),
        2 => Some(v1::Rating::NotMet),
        3 => Some(v1::Rating::NotApplicable),
        _ => None,
    }
}

fn rank(r: i32) -> Option<i32> {
    match v1::Rating::try_from(r) {
        Ok(v1::Rating::NotMet) => Some(0),
        Ok(v1::Rating::PartiallyMet) => Some(1),
        Ok(v1::Rating::Met) => Some(2),
        _ => None,
    }
}

async fn rollup_and_year_on_year_comparison_equal_an_independent_computation(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let codes = ["K1", "K2", "K3", "K4"];
    let departments = ["AZ", "BZK", "JenV"];
    let set = published_set(&server, &codes).await;
    let mut assessment = server.assessment().await;
    let mut cases = server.cases().await;
    // What the test entered: (year, department) → criterion → rating.
    let mut entered: HashMap<(i32, &str), BTreeMap<&str, v1::Rating>> = HashMap::new();
    for year in [2025, 2026] {
        let opened = open(&mut assessment, year, &set, &departments, false)
            .await
            .unwrap()
            .opened;
        for cycle in opened {
            let department = cycle_department(&cycle);
            let d = departments.iter().position(|x| *x == department).unwrap();
            step(&mut cases, &cycle.name, "start").await.unwrap();
            for (c, code) in codes.iter().enumerate() {
                if let Some(rating) = planned_rating(d, c, year) {
                    rate(&mut assessment, &cycle.name, code, rating, "toelichting")
                        .await
                        .unwrap();
                    entered
                        .entry((year, departments[d]))
                        .or_default()
                        .insert(code, rating);
                }
            }
        }
    }

    let rollup = assessment
        .get_rollup(v1::GetRollupRequest {
            year: 2026,
            criteria_set: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        rollup
            .criteria
            .iter()
            .map(|c| c.code.as_str())
            .collect::<Vec<_>>(),
        codes
    );
    assert_eq!(rollup.rows.len(), departments.len());
    for row in &rollup.rows {
        let department = row.department.trim_start_matches("departments/");
        let mine = entered
            .get(&(2026, department))
            .cloned()
            .unwrap_or_default();
        for cell in &row.cells {
            let expected = mine
                .get(cell.criterion.as_str())
                .map_or(v1::Rating::Unspecified as i32, |r| *r as i32);
            assert_eq!(cell.rating, expected, "{department} {}", cell.criterion);
        }
        assert_eq!(row.rated as usize, mine.len());
        assert_eq!(row.total as usize, codes.len());
        let completion = mine.len() as f64 / codes.len() as f64;
        assert!((row.completion - completion).abs() < 1e-9);
    }
    for column in &rollup.criteria {
        let rated = departments
            .iter()
            .filter(|d| {
                entered
                    .get(&(2026, **d))
                    .is_some_and(|m| m.contains_key(column.code.as_str()))
            })
            .count();
        assert_eq!(
            (column.rated as usize, column.total as usize),
            (rated, departments.len())
        );
    }

    for department in departments {
        let compared = assessment
            .compare_years(v1::CompareYearsRequest {
                department: format!("departments/{department}"),
                from_year: 2025,
                to_year: 2026,
            })
            .await
            .unwrap()
            .into_inner();
        let (mut improved, mut declined, mut unchanged) = (0, 0, 0);
        for change in &compared.changes {
            let code = change.criterion.as_str();
            let before = entered
                .get(&(2025, department))
                .and_then(|m| m.get(code))
                .map_or(0, |r| *r as i32);
            let after = entered
                .get(&(2026, department))
                .and_then(|m| m.get(code))
                .map_or(0, |r| *r as i32);
            assert_eq!((change.from_rating, change.to_rating), (before, after));
            let expected = match (rank(before), rank(after)) {
                (Some(a), Some(b)) if b > a => v1::RatingDelta::Improved,
                (Some(a), Some(b)) if b < a => v1::RatingDelta::Declined,
                _ if before == after => v1::RatingDelta::Unchanged,
                _ => v1::RatingDelta::Changed,
            };
            assert_eq!(change.delta, expected as i32, "{department} {code}");
            match expected {
                v1::RatingDelta::Improved => improved += 1,
                v1::RatingDelta::Declined => declined += 1,
                v1::RatingDelta::Unchanged => unchanged += 1,
                _ => {}
            }
        }
        assert_eq!(compared.changes.len(), codes.len());
        assert_eq!(
            (compared.improved, compared.declined, compared.unchanged),
            (improved, declined, unchanged)
        );
    }

    // Carried over into 2027: every 2026 rating comes along, marked, and counts as unrated in
    // the rollup until it is confirmed.
    let opened = open(&mut assessment, 2027, &set, &["JenV"], true)
        .await
        .unwrap()
        .opened;
    let cycle = &opened[0].name;
    let ratings = assessment
        .list_ratings(v1::ListRatingsRequest {
            cycle: cycle.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let carried: BTreeMap<&str, i32> = ratings
        .ratings
        .iter()
        .map(|r| {
            assert!(r.carried_over);
            (r.criterion.as_str(), r.rating)
        })
        .collect();
    let expected: BTreeMap<&str, i32> = entered[&(2026, "JenV")]
        .iter()
        .map(|(c, r)| (*c, *r as i32))
        .collect();
    assert_eq!(carried, expected);
    let rollup = assessment
        .get_rollup(v1::GetRollupRequest {
            year: 2027,
            criteria_set: set.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rollup.rows[0].rated, 0);
    assert!(rollup.rows[0].cells.iter().any(|c| c.carried_over));
}

async fn add_risk(
    risks: &mut v1::risk_service_client::RiskServiceClient<Authed>,
    analysis: &str,
    title: &str,
    likelihood: i32,
    impact: i32,
) -> v1::Risk {
    risks
        .add_risk(v1::AddRiskRequest {
            analysis: analysis.into(),
            risk: Some(v1::Risk {
                title: title.into(),
                category: v1::RiskCategory::Corruption as i32,
                process: v1::VulnerableProcess::Procurement as i32,
                likelihood,
                impact,
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}

async fn a_risk_analysis_keeps_its_register_and_heat_map_and_guards_its_steps(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let ic = server
        .principal("ic-jenv", &[("integrity_coordinator", "JenV")])
        .await;
    let mut cases = v1::case_service_client::CaseServiceClient::new(server.authed_with(&ic).await);
    let mut risks = v1::risk_service_client::RiskServiceClient::new(server.authed_with(&ic).await);
    let analysis = cases
        .create_case(v1::CreateCaseRequest {
            case: Some(fixtures::risk_analysis(
                "Risicoanalyse corruptie en ondermijning",
                "Dienst Justitiële Inrichtingen",
            )),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let name = analysis.name.clone();
    step(&mut cases, &name, "identify").await.unwrap();
    let status = step(&mut cases, &name, "assess").await.unwrap_err();
    assert!(violations(&status)[0].1.contains("no risks"), "{status:?}");

    let planned = [(4, 4), (2, 3), (4, 4), (5, 3), (1, 1)];
    let mut added = Vec::new();
    for (i, (l, im)) in planned.iter().enumerate() {
        added.push(add_risk(&mut risks, &name, &format!("Risico {i}"), *l, *im).await);
    }
    let unrated = add_risk(&mut risks, &name, "Nog te beoordelen", 0, 0).await;
    assert_eq!(unrated.name, format!("{name}/risks/6"));
    assert!(added[0].high && !added[1].high && added[0].score == 16);
    let status = step(&mut cases, &name, "assess").await.unwrap_err();
    let failed = violations(&status);
    assert_eq!(failed[0].0, "risk.all_risks_rated");
    assert!(failed[0].1.contains("risks/6"), "{failed:?}");
    let status = risks
        .update_risk(v1::UpdateRiskRequest {
            risk: Some(v1::Risk {
                name: unrated.name.clone(),
                likelihood: 6,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["likelihood".into()],
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    risks
        .update_risk(v1::UpdateRiskRequest {
            risk: Some(v1::Risk {
                name: unrated.name.clone(),
                likelihood: 3,
                impact: 2,
                title: "ignored: not in the mask".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["likelihood".into(), "impact".into()],
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    step(&mut cases, &name, "assess").await.unwrap();
    step(&mut cases, &name, "plan_mitigation").await.unwrap();

    // Monitoring waits for every high risk (score ≥ 12 here) to have a mitigation and an owner.
    let status = step(&mut cases, &name, "start_monitoring")
        .await
        .unwrap_err();
    let failed = violations(&status);
    assert_eq!(failed[0].0, "risk.high_risks_mitigated");
    for id in [1, 3, 4] {
        assert!(failed[0].1.contains(&format!("risks/{id} ")), "{failed:?}");
    }
    for risk in added.iter().filter(|r| r.high) {
        risks
            .update_risk(v1::UpdateRiskRequest {
                risk: Some(v1::Risk {
                    name: risk.name.clone(),
                    mitigation: "Vier-ogenprincipe en roulatie".into(),
                    owner: "Directeur Bedrijfsvoering".into(),
                    status: v1::RiskStatus::Mitigating as i32,
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["mitigation".into(), "owner".into(), "status".into()],
                }),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    step(&mut cases, &name, "start_monitoring").await.unwrap();

    // The heat map equals the counts of what was entered.
    let mut expected: BTreeMap<(i32, i32), i32> = BTreeMap::new();
    for (l, i) in planned.iter().chain([(3, 2)].iter()) {
        *expected.entry((*l, *i)).or_default() += 1;
    }
    let map = risks
        .get_heatmap(v1::GetHeatmapRequest {
            analysis: name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let got: BTreeMap<(i32, i32), i32> = map
        .cells
        .iter()
        .map(|c| ((c.likelihood, c.impact), c.count))
        .collect();
    assert_eq!(got, expected);
    let high = planned
        .iter()
        .chain([(3, 2)].iter())
        .filter(|(l, i)| l * i >= 12)
        .count() as i32;
    assert_eq!(
        (map.total, map.unrated, map.high, map.high_risk_threshold),
        (6, 0, high, 12)
    );
    let listed = risks
        .list_risks(v1::ListRisksRequest {
            analysis: name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .risks;
    assert_eq!(listed.len(), 6);
    assert_eq!(listed[5].title, "Nog te beoordelen");
    let events = server
        .cases()
        .await
        .list_case_events(v1::ListCaseEventsRequest {
            name: name.clone(),
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    let added_events = events.iter().filter(|e| e.r#type == "risk.added").count();
    assert_eq!(added_events, 6, "every risk is an event of the analysis");
}

async fn criteria_sets_change_only_as_drafts(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut assessment = server.assessment().await;
    let copy = assessment
        .create_criteria_set(v1::CreateCriteriaSetRequest {
            criteria_set: Some(v1::CriteriaSet {
                title: "Toetsingskader 2026".into(),
                ..Default::default()
            }),
            copy_from: "criteriaSets/template".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(copy.criteria.len(), 15);
    assert!(!copy.template);
    assert_eq!(copy.state, v1::CriteriaSetState::Draft as i32);

    // Every bad criterion is reported at once.
    let status = assessment
        .update_criteria_set(v1::UpdateCriteriaSetRequest {
            criteria_set: Some(v1::CriteriaSet {
                name: copy.name.clone(),
                criteria: vec![criterion("X"), criterion("X"), v1::Criterion::default()],
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["criteria".into()],
            }),
        })
        .await
        .unwrap_err();
    let fields = regie_tests::errors::bad_fields(&status);
    assert!(
        fields.contains(&"criteria_set.criteria[1].code".to_owned())
            && fields.contains(&"criteria_set.criteria[2].title_nl".to_owned()),
        "{fields:?}"
    );
    let updated = assessment
        .update_criteria_set(v1::UpdateCriteriaSetRequest {
            criteria_set: Some(v1::CriteriaSet {
                name: copy.name.clone(),
                title: "Toetsingskader integriteit 2026".into(),
                etag: copy.etag.clone(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["title".into()],
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.title, "Toetsingskader integriteit 2026");
    let status = assessment
        .publish_criteria_set(v1::PublishCriteriaSetRequest {
            name: copy.name.clone(),
            etag: copy.etag.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Aborted, "a stale etag");
    let published = assessment
        .publish_criteria_set(v1::PublishCriteriaSetRequest {
            name: copy.name.clone(),
            etag: updated.etag,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(published.state, v1::CriteriaSetState::Published as i32);
    let status = assessment
        .update_criteria_set(v1::UpdateCriteriaSetRequest {
            criteria_set: Some(v1::CriteriaSet {
                name: copy.name.clone(),
                title: "Anders".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["title".into()],
            }),
        })
        .await
        .unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "CRITERIA_SET_IMMUTABLE");
    let listed = assessment
        .list_criteria_sets(v1::ListCriteriaSetsRequest {
            filter: "state = \"published\"".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .criteria_sets;
    assert_eq!(listed.len(), 1);
    assessment
        .retire_criteria_set(v1::RetireCriteriaSetRequest {
            name: copy.name.clone(),
            etag: String::new(),
        })
        .await
        .unwrap();
    let status = open(&mut assessment, 2026, &copy.name, &[], false)
        .await
        .unwrap_err();
    assert_error(
        &status,
        Code::FailedPrecondition,
        "CRITERIA_SET_NOT_PUBLISHED",
    );

    // A member reads sets but cannot change them.
    let member = server.principal("lid", &[("member", "JenV")]).await;
    let mut as_member = v1::assessment_service_client::AssessmentServiceClient::new(
        server.authed_with(&member).await,
    );
    as_member
        .get_criteria_set(v1::GetCriteriaSetRequest {
            name: copy.name.clone(),
        })
        .await
        .unwrap();
    let status = as_member
        .create_criteria_set(v1::CreateCriteriaSetRequest {
            criteria_set: Some(v1::CriteriaSet {
                title: "x".into(),
                ..Default::default()
            }),
            copy_from: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
}

async fn the_demo_scenario_shows_every_kind_at_work_and_loads_once(backend: Backend) {
    let Some(mut server) = TestServer::start_with(backend, &["--demo"]).await else {
        return;
    };
    let cases = every_case(&server).await;
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for case in &cases {
        *kinds.entry(case.kind.as_str()).or_default() += 1;
    }
    assert_eq!(
        kinds.keys().copied().collect::<Vec<_>>(),
        [
            "assessment_cycle",
            "framework",
            "recommendation",
            "risk_analysis",
            "work_item"
        ]
    );
    assert_eq!(kinds["recommendation"], 4);
    // This year's cycles: one per sector-Rijk department, in several states.
    let this_year: Vec<&v1::Case> = cases
        .iter()
        .filter(|c| matches!(&c.details, Some(Details::AssessmentCycle(d)) if d.year == 2026))
        .collect();
    assert_eq!(this_year.len(), sector_rijk(&server).await.len());
    let states: std::collections::BTreeSet<&str> =
        this_year.iter().map(|c| c.state.as_str()).collect();
    assert!(states.len() >= 4, "{states:?}");
    let rollup = server
        .assessment()
        .await
        .get_rollup(v1::GetRollupRequest {
            year: 2026,
            criteria_set: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rollup.rows.len(), this_year.len());
    assert!(rollup.criteria.len() == 15 && rollup.rows.iter().any(|r| r.rated == 15));
    // The framework in consultation, with consultations recorded and some still missing.
    let kader = cases
        .iter()
        .find(|c| c.kind == "framework" && c.state == "in_consultation")
        .unwrap();
    let consultations = server
        .frameworks()
        .await
        .list_consultations(v1::ListConsultationsRequest {
            framework: kader.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!consultations.consultations.is_empty() && !consultations.not_consulted.is_empty());
    // Last year's closed cycles left their agreements as follow-up items.
    assert!(
        cases
            .iter()
            .any(|c| c.labels.contains(&"follow-up".to_owned()))
    );
    let report = server
        .audit()
        .await
        .verify_audit_chain(v1::VerifyAuditChainRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(report.valid && report.events_checked > 100, "{report:?}");

    // A second start with --demo leaves the database as it is.
    server.restart_with(vec!["--demo".to_owned()]).await;
    assert_eq!(every_case(&server).await.len(), cases.len());
}

async fn the_demo_titles_each_cycle_after_its_own_year_and_the_set_it_used(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, &["--demo"]).await else {
        return;
    };
    let mut assessment = server.assessment().await;
    let mut years = std::collections::BTreeSet::new();
    for case in every_case(&server).await {
        let Some(Details::AssessmentCycle(cycle)) = &case.details else {
            continue;
        };
        let set = assessment
            .get_criteria_set(v1::GetCriteriaSetRequest {
                name: cycle.criteria_set.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            case.title,
            format!(
                "Toetsing {} {}: {}",
                cycle.year,
                cycle_department(&case),
                set.title
            )
        );
        // No other year in the title: not in the cycle's words, not in the set's.
        for other in [2024, 2025, 2026, 2027] {
            assert!(
                other == cycle.year || !case.title.contains(&other.to_string()),
                "{}",
                case.title
            );
        }
        years.insert(cycle.year);
    }
    assert_eq!(years.into_iter().collect::<Vec<_>>(), [2025, 2026]);
}

/// The states the README's demo paragraph names for this year's cycles: the `code` spans of
/// the sentence "… in six states (`planned`, …)".
fn readme_demo_states() -> Vec<String> {
    let readme = include_str!("../../README.md").replace('\n', " ");
    let start = readme
        .find("in six states (")
        .expect("the README names the demo's six states");
    let list = &readme[start..];
    let list = &list[..list.find(')').unwrap()];
    list.split(':')
        .next()
        .unwrap()
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

async fn the_demo_shows_this_years_cycles_in_the_six_states_the_readme_names(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, &["--demo"]).await else {
        return;
    };
    let states: std::collections::BTreeSet<String> = every_case(&server)
        .await
        .into_iter()
        .filter(|c| matches!(&c.details, Some(Details::AssessmentCycle(d)) if d.year == 2026))
        .map(|c| c.state)
        .collect();
    let mut named = readme_demo_states();
    assert_eq!(named.len(), 6, "{named:?}");
    named.sort();
    assert_eq!(states.into_iter().collect::<Vec<_>>(), named);
    // Every state of the cycle's workflow but the final one.
    let workflow = server
        .workflows()
        .await
        .get_workflow(v1::GetWorkflowRequest {
            name: "workflows/assessment_cycle".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut open: Vec<String> = workflow
        .states
        .iter()
        .filter(|s| !s.r#final)
        .map(|s| s.name.clone())
        .collect();
    open.sort();
    assert_eq!(open, named);
}

async fn the_coordinator_reviews_a_self_assessment_but_may_not_rate_it(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let set = published_set(&server, &["BN-01"]).await;
    let cycle = open(&mut server.assessment().await, 2026, &set, &["JenV"], false)
        .await
        .unwrap()
        .opened
        .remove(0);
    let ic = server
        .principal("ic-jenv", &[("integrity_coordinator", "JenV")])
        .await;
    let coordinator = server.principal("coord", &[("coordinator", "rijk")]).await;
    let mut ic_cases =
        v1::case_service_client::CaseServiceClient::new(server.authed_with(&ic).await);
    let mut ic_assessment =
        v1::assessment_service_client::AssessmentServiceClient::new(server.authed_with(&ic).await);
    let mut coord_cases =
        v1::case_service_client::CaseServiceClient::new(server.authed_with(&coordinator).await);
    let mut coord_assessment = v1::assessment_service_client::AssessmentServiceClient::new(
        server.authed_with(&coordinator).await,
    );
    step(&mut ic_cases, &cycle.name, "start").await.unwrap();

    // The default policy gives the coordinating directorate no `rate`: the ratings are the
    // department's own.
    let status = rate(
        &mut coord_assessment,
        &cycle.name,
        "BN-01",
        v1::Rating::Met,
        "",
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let ratings = ic_assessment
        .list_ratings(v1::ListRatingsRequest {
            cycle: cycle.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(ratings.ratings.is_empty(), "{ratings:?}");

    // The department's integrity coordinator rates and submits; the coordinator reviews.
    rate(
        &mut ic_assessment,
        &cycle.name,
        "BN-01",
        v1::Rating::Met,
        "",
    )
    .await
    .unwrap();
    step(&mut ic_cases, &cycle.name, "submit").await.unwrap();
    let in_review = step(&mut coord_cases, &cycle.name, "start_review")
        .await
        .unwrap();
    assert_eq!(in_review.state, "in_review");
}

async fn the_demo_rates_each_cycle_as_its_departments_own_integrity_coordinator(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, &["--demo"]).await else {
        return;
    };
    let mut assessment = server.assessment().await;
    let mut access = server.access().await;
    let mut raters = std::collections::BTreeSet::new();
    for case in every_case(&server).await {
        if !matches!(&case.details, Some(Details::AssessmentCycle(_))) {
            continue;
        }
        let department = cycle_department(&case);
        let ratings = assessment
            .list_ratings(v1::ListRatingsRequest {
                cycle: case.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        for rating in &ratings.ratings {
            assert_eq!(
                rating.rated_by,
                format!("principals/demo-ic-{}", department.to_lowercase()),
                "{} {}",
                case.title,
                rating.criterion
            );
            raters.insert((rating.rated_by.clone(), department.clone()));
        }
    }
    assert!(raters.len() >= 3, "{raters:?}");
    // Each rater is the department's integrity coordinator, allowed to rate there; the
    // coordinating directorate is allowed to rate nowhere.
    for (rater, department) in raters {
        assert!(may_rate(&mut access, &rater, &department).await, "{rater}");
        assert!(
            !may_rate(&mut access, "principals/demo-coordinator", &department).await,
            "the coordinator may rate in {department}"
        );
    }
}

/// Whether `principal` may rate a criterion of a cycle in `domain`, as CheckAccess says.
async fn may_rate(
    access: &mut v1::access_service_client::AccessServiceClient<Authed>,
    principal: &str,
    domain: &str,
) -> bool {
    access
        .check_access(v1::CheckAccessRequest {
            subject: Some(v1::check_access_request::Subject::Principal(
                principal.into(),
            )),
            domain: domain.into(),
            object: "case:assessment_cycle".into(),
            action: "rate".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .allowed
}

async fn every_case(server: &TestServer) -> Vec<v1::Case> {
    server
        .cases()
        .await
        .list_cases(v1::ListCasesRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cases
}

async fn the_demos_follow_up_items_carry_their_agreements_owner_and_due_date(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, &["--demo"]).await else {
        return;
    };
    let cases = every_case(&server).await;
    let follow_ups: Vec<&v1::Case> = cases
        .iter()
        .filter(|c| c.labels.contains(&"follow-up".to_owned()))
        .collect();
    // Two agreements in each of last year's three closed cycles.
    assert_eq!(follow_ups.len(), 6, "{follow_ups:?}");
    for item in &follow_ups {
        assert!(!item.assignee.is_empty(), "no owner: {item:?}");
        assert!(item.due_time.is_some(), "no due time: {item:?}");
        assert!(!item.overdue, "{item:?}");
        // The date is a field, not left in the text.
        assert!(!item.title.contains("vóór"), "{item:?}");
    }
    let jenv = follow_ups
        .iter()
        .find(|c| c.department == "departments/JenV" && c.title.starts_with("Vertrouwenspersonen"))
        .expect("JenV's follow-up on the confidential advisers");
    assert_eq!(jenv.assignee, "Karim El Idrissi");
    // The dialogue shows them too.
    let held = cases
        .iter()
        .find(|c| c.state == "dialogue_held")
        .expect("this year's dialogue");
    let Some(Details::AssessmentCycle(cycle)) = &held.details else {
        panic!("a cycle");
    };
    let dialogue = cycle.dialogue.as_ref().expect("recorded");
    assert_eq!(dialogue.agreement_items.len(), 2);
    assert!(
        dialogue
            .agreement_items
            .iter()
            .all(|a| !a.owner.is_empty() && a.due_time.is_some())
    );
    let texts: Vec<&str> = dialogue
        .agreement_items
        .iter()
        .map(|a| a.text.as_str())
        .collect();
    assert_eq!(
        dialogue.agreements, texts,
        "the texts alone, for older clients"
    );
}
