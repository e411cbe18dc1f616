//! Cases end to end, on both backends: the workflow engine at work, etags and request ids, the
//! history, the tamper-evident log, the change feed and deadlines.

// The backend tests are plain async fns, which clippy's allow-unwrap-in-tests does not cover.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use regie_proto::v1::{self, case::Details};
use regie_tests::errors::{assert_error, bad_fields};
use regie_tests::{Backend, TestServer, backend_tests};
use tokio_stream::StreamExt as _;
use tonic::Code;
use tonic_types::StatusExt as _;

backend_tests!(
    a_work_item_goes_from_proposed_to_done_and_the_rules_guard_the_way,
    concurrent_transitions_with_one_etag_apply_exactly_once,
    a_retried_create_with_the_same_request_id_creates_one_case,
    a_watcher_resumed_after_k_gets_exactly_the_later_events_then_live_ones,
    the_audit_chain_verifies_until_a_stored_event_is_edited,
    get_case_as_of_an_earlier_time_returns_the_earlier_state_and_title,
    a_recommendation_leaves_received_only_with_a_recorded_response,
    a_case_past_its_due_time_is_marked_overdue_once,
    lists_filter_on_labels_department_and_state,
    a_published_workflow_version_applies_to_new_cases_only,
    writes_that_arrive_together_each_get_their_own_answer,
);

fn work_item(title: &str) -> v1::Case {
    v1::Case {
        kind: "work_item".into(),
        title: title.into(),
        ..Default::default()
    }
}

async fn create(server: &TestServer, case: v1::Case) -> v1::Case {
    server
        .cases()
        .await
        .create_case(v1::CreateCaseRequest {
            case: Some(case),
            request_id: String::new(),
        })
        .await
        .expect("create case")
        .into_inner()
}

async fn transition(
    server: &TestServer,
    name: &str,
    transition: &str,
) -> Result<v1::Case, tonic::Status> {
    server
        .cases()
        .await
        .transition_case(v1::TransitionCaseRequest {
            name: name.into(),
            transition: transition.into(),
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

fn mask(paths: &[&str]) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

async fn history(server: &TestServer, name: &str) -> Vec<v1::CaseEvent> {
    server
        .cases()
        .await
        .list_case_events(v1::ListCaseEventsRequest {
            name: name.into(),
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .expect("history")
        .into_inner()
        .events
}

async fn a_work_item_goes_from_proposed_to_done_and_the_rules_guard_the_way(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let item = create(
        &server,
        v1::Case {
            department: "departments/JenV".into(),
            ..work_item("Kwaliteitscriteria opstellen")
        },
    )
    .await;
    assert_eq!(item.state, "proposed");
    assert!(item.name.starts_with("cases/"));
    assert_eq!(item.workflow_version, 1);

    let status = transition(&server, &item.name, "complete")
        .await
        .unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "TRANSITION_NOT_ALLOWED");

    transition(&server, &item.name, "accept")
        .await
        .expect("accept");
    let status = transition(&server, &item.name, "start").await.unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "RULES_NOT_MET");
    let failure = status.get_error_details();
    let violations = &failure
        .precondition_failure()
        .expect("PreconditionFailure")
        .violations;
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].r#type, "work_item.assignee_required");
    assert_eq!(violations[0].subject, item.name);

    let available = server
        .cases()
        .await
        .list_available_transitions(v1::ListAvailableTransitionsRequest {
            name: item.name.clone(),
        })
        .await
        .expect("available")
        .into_inner();
    let start = available
        .transitions
        .iter()
        .find(|t| t.transition == "start")
        .expect("start is declared");
    assert!(!start.open);
    assert_eq!(start.blocked_by[0].rule, "work_item.assignee_required");

    let current = server
        .cases()
        .await
        .get_case(v1::GetCaseRequest {
            name: item.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let assigned = server
        .cases()
        .await
        .update_case(v1::UpdateCaseRequest {
            case: Some(v1::Case {
                assignee: "anna.devries".into(),
                state: "done".into(),
                ..current
            }),
            update_mask: mask(&["assignee"]),
            request_id: String::new(),
        })
        .await
        .expect("assign")
        .into_inner();
    assert_eq!(assigned.state, "accepted", "Update never writes the state");
    let status = server
        .cases()
        .await
        .update_case(v1::UpdateCaseRequest {
            case: Some(assigned.clone()),
            update_mask: mask(&["state"]),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "INVALID_UPDATE_MASK");

    for step in ["start", "block", "unblock", "submit_for_review", "complete"] {
        transition(&server, &item.name, step)
            .await
            .unwrap_or_else(|e| panic!("{step}: {e:?}"));
    }
    let status = transition(&server, &item.name, "reopen").await.unwrap_err();
    assert_error(&status, Code::InvalidArgument, "COMMENT_REQUIRED");
    let status = transition(&server, &item.name, "fly").await.unwrap_err();
    assert_error(&status, Code::InvalidArgument, "UNKNOWN_TRANSITION");

    let events = history(&server, &item.name).await;
    let kinds: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.r#type.as_str(), e.transition.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("case.created", ""),
            ("case.transitioned", "accept"),
            ("case.updated", ""),
            ("case.transitioned", "start"),
            ("case.transitioned", "block"),
            ("case.transitioned", "unblock"),
            ("case.transitioned", "submit_for_review"),
            ("case.transitioned", "complete"),
        ]
    );
    assert!(
        events
            .windows(2)
            .all(|w| w[0].sequence < w[1].sequence && w[1].previous_hash == w[0].hash)
    );
    let done = server
        .cases()
        .await
        .get_case(v1::GetCaseRequest {
            name: item.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.state, "done");
    assert_eq!(done.revision, 8);
}

async fn concurrent_transitions_with_one_etag_apply_exactly_once(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let item = create(&server, work_item("Eén keer aanvaarden")).await;
    let client = server.cases().await;
    let mut calls = Vec::new();
    for _ in 0..20 {
        let mut client = client.clone();
        let request = v1::TransitionCaseRequest {
            name: item.name.clone(),
            transition: "accept".into(),
            etag: item.etag.clone(),
            ..Default::default()
        };
        calls.push(tokio::spawn(async move {
            client.transition_case(request).await
        }));
    }
    let mut ok = 0;
    for call in calls {
        match call.await.expect("task") {
            Ok(_) => ok += 1,
            Err(status) => assert!(
                matches!(status.code(), Code::Aborted | Code::FailedPrecondition),
                "unexpected {status:?}"
            ),
        }
    }
    assert_eq!(ok, 1);
    let transitions = history(&server, &item.name)
        .await
        .iter()
        .filter(|e| e.r#type == "case.transitioned")
        .count();
    assert_eq!(transitions, 1);
}

async fn a_retried_create_with_the_same_request_id_creates_one_case(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut cases = server.cases().await;
    let request = v1::CreateCaseRequest {
        case: Some(work_item("Idempotent")),
        request_id: "0b8d3c1e-retry".into(),
    };
    let first = cases
        .create_case(request.clone())
        .await
        .expect("first")
        .into_inner();
    let second = cases
        .create_case(request)
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(first, second);
    let all = cases
        .list_cases(v1::ListCasesRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(all.cases.len(), 1);

    // The same key for another call is refused rather than silently answered.
    let status = cases
        .transition_case(v1::TransitionCaseRequest {
            name: first.name.clone(),
            transition: "accept".into(),
            request_id: "0b8d3c1e-retry".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "REQUEST_ID_REUSED");

    // A retried transition applies once.
    let accept = v1::TransitionCaseRequest {
        name: first.name.clone(),
        transition: "accept".into(),
        request_id: "accept-1".into(),
        ..Default::default()
    };
    let a = cases
        .transition_case(accept.clone())
        .await
        .expect("accept")
        .into_inner();
    let b = cases
        .transition_case(accept)
        .await
        .expect("retried accept")
        .into_inner();
    assert_eq!(a, b);
    assert_eq!(history(&server, &first.name).await.len(), 2);
}

async fn a_watcher_resumed_after_k_gets_exactly_the_later_events_then_live_ones(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let item = create(&server, work_item("Gevolgd")).await;
    transition(&server, &item.name, "accept")
        .await
        .expect("accept");
    let other = create(&server, work_item("Ander item")).await;
    let all = history(&server, &item.name).await;
    let k = all[0].sequence; // resume after the first event

    let mut stream = server
        .cases()
        .await
        .watch_events(v1::WatchEventsRequest {
            after_sequence: k,
            ..Default::default()
        })
        .await
        .expect("watch")
        .into_inner();
    let mut next_event = async || loop {
        let item = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("an event in time");
        match item.expect("stream open").expect("ok").item {
            Some(v1::watch_events_response::Item::Event(e)) => return e,
            _ => continue,
        }
    };
    let first = next_event().await;
    assert_eq!(
        (first.sequence, first.transition.as_str()),
        (k + 1, "accept")
    );
    let second = next_event().await;
    assert_eq!(
        (
            second.sequence,
            second.case.as_str(),
            second.r#type.as_str()
        ),
        (k + 2, other.name.as_str(), "case.created")
    );

    // Live: an event committed after the replay arrives, next in sequence.
    transition(&server, &other.name, "accept")
        .await
        .expect("accept");
    let live = next_event().await;
    assert_eq!(
        (live.sequence, live.case.as_str()),
        (k + 3, other.name.as_str())
    );

    // A filtered watcher from the start sees only its case.
    let mut only = server
        .cases()
        .await
        .watch_events(v1::WatchEventsRequest {
            case: other.name.clone(),
            ..Default::default()
        })
        .await
        .expect("watch")
        .into_inner();
    for expected in ["case.created", "case.transitioned"] {
        let item = tokio::time::timeout(Duration::from_secs(10), only.next())
            .await
            .expect("in time")
            .expect("open")
            .expect("ok");
        let Some(v1::watch_events_response::Item::Event(e)) = item.item else {
            panic!("expected an event")
        };
        assert_eq!(
            (e.case.as_str(), e.r#type.as_str()),
            (other.name.as_str(), expected)
        );
    }
}

async fn the_audit_chain_verifies_until_a_stored_event_is_edited(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let item = create(&server, work_item("Onder toezicht")).await;
    transition(&server, &item.name, "accept")
        .await
        .expect("accept");
    let untouched = create(&server, work_item("Ongemoeid")).await;
    let mut audit = server.audit().await;
    let report = audit
        .verify_audit_chain(v1::VerifyAuditChainRequest::default())
        .await
        .expect("verify")
        .into_inner();
    assert!(report.valid, "{report:?}");
    assert_eq!((report.cases_checked, report.events_checked), (2, 3));

    let events = history(&server, &item.name).await;
    let id = item.name.trim_start_matches("cases/");
    server
        .tamper(&format!(
            "UPDATE events SET actor = 'mallory' WHERE case_id = '{id}' AND case_sequence = 2"
        ))
        .await;
    let report = audit
        .verify_audit_chain(v1::VerifyAuditChainRequest::default())
        .await
        .expect("verify")
        .into_inner();
    assert!(!report.valid);
    assert_eq!(
        report.broken_links.len(),
        1,
        "only the edited case: {report:?}"
    );
    assert_eq!(report.broken_links[0].case, item.name);
    assert_eq!(report.broken_links[0].sequence, events[1].sequence);
    let one = audit
        .verify_audit_chain(v1::VerifyAuditChainRequest {
            case: untouched.name,
            ..Default::default()
        })
        .await
        .expect("verify");
    assert!(one.into_inner().valid);

    let listed = audit
        .list_audit_events(v1::ListAuditEventsRequest {
            filter: "type = \"case.transitioned\"".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.events.len(), 1);
}

async fn get_case_as_of_an_earlier_time_returns_the_earlier_state_and_title(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let item = create(&server, work_item("Eerste titel")).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let between = prost_types::Timestamp::from(std::time::SystemTime::now());
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut cases = server.cases().await;
    let renamed = cases
        .update_case(v1::UpdateCaseRequest {
            case: Some(v1::Case {
                title: "Tweede titel".into(),
                ..item.clone()
            }),
            update_mask: mask(&["title"]),
            request_id: String::new(),
        })
        .await
        .expect("rename")
        .into_inner();
    transition(&server, &item.name, "accept")
        .await
        .expect("accept");

    let then = cases
        .get_case(v1::GetCaseRequest {
            name: item.name.clone(),
            as_of: Some(between),
            revision: 0,
        })
        .await
        .expect("as of")
        .into_inner();
    assert_eq!(
        (then.title.as_str(), then.state.as_str()),
        ("Eerste titel", "proposed")
    );
    let at_two = cases
        .get_case(v1::GetCaseRequest {
            name: item.name.clone(),
            as_of: None,
            revision: 2,
        })
        .await
        .expect("revision 2")
        .into_inner();
    assert_eq!(
        (at_two.title.as_str(), at_two.state.as_str()),
        (renamed.title.as_str(), "proposed")
    );
    let before = prost_types::Timestamp {
        seconds: 1_000_000,
        nanos: 0,
    };
    let status = cases
        .get_case(v1::GetCaseRequest {
            name: item.name.clone(),
            as_of: Some(before),
            revision: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

async fn a_recommendation_leaves_received_only_with_a_recorded_response(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let recommendation = v1::Case {
        kind: "recommendation".into(),
        title: "Bied een praktisch instrument voor risicoanalyse".into(),
        details: Some(Details::Recommendation(v1::RecommendationDetails {
            source_report: Some(v1::SourceReport {
                title: "Integriteit als basis".into(),
                reference: "2024D32310".into(),
            }),
            addressee: "coordinating_minister".into(),
            theme: v1::RecommendationTheme::Coordination as i32,
            response: String::new(),
        })),
        ..Default::default()
    };
    let case = create(&server, recommendation).await;
    assert_eq!(case.state, "received");
    let status = transition(&server, &case.name, "accept").await.unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "RULES_NOT_MET");
    assert_eq!(
        status
            .get_error_details()
            .precondition_failure()
            .unwrap()
            .violations[0]
            .r#type,
        "recommendation.response_recorded"
    );

    let mut with_response = case.clone();
    if let Some(Details::Recommendation(r)) = &mut with_response.details {
        r.response = "De minister omarmt de aanbeveling.".into();
    }
    server
        .cases()
        .await
        .update_case(v1::UpdateCaseRequest {
            case: Some(with_response),
            update_mask: mask(&["recommendation.response"]),
            request_id: String::new(),
        })
        .await
        .expect("record the response");
    for step in [
        "accept",
        "start_implementation",
        "mark_implemented",
        "verify",
    ] {
        transition(&server, &case.name, step)
            .await
            .unwrap_or_else(|e| panic!("{step}: {e:?}"));
    }

    let bad = v1::Case {
        kind: "recommendation".into(),
        title: "Zonder details".into(),
        ..Default::default()
    };
    let status = server
        .cases()
        .await
        .create_case(v1::CreateCaseRequest {
            case: Some(bad),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&status), ["case.recommendation"]);
}

async fn a_case_past_its_due_time_is_marked_overdue_once(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, &["--scheduler-interval", "1"]).await else {
        return;
    };
    let past = prost_types::Timestamp {
        seconds: 1_700_000_000,
        nanos: 0,
    };
    let late = create(
        &server,
        v1::Case {
            due_time: Some(past),
            ..work_item("Te laat")
        },
    )
    .await;
    let future = prost_types::Timestamp {
        seconds: 4_000_000_000,
        nanos: 0,
    };
    create(
        &server,
        v1::Case {
            due_time: Some(future),
            ..work_item("Op tijd")
        },
    )
    .await;
    let mut cases = server.cases().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let overdue = cases
            .list_cases(v1::ListCasesRequest {
                filter: "overdue = true".into(),
                ..Default::default()
            })
            .await
            .expect("list")
            .into_inner();
        if !overdue.cases.is_empty() {
            assert_eq!(overdue.cases.len(), 1);
            assert_eq!(overdue.cases[0].name, late.name);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never marked overdue");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(2500)).await; // two more scheduler rounds
    let marks = history(&server, &late.name)
        .await
        .iter()
        .filter(|e| e.r#type == "case.overdue")
        .count();
    assert_eq!(marks, 1, "marked once, as one event");
}

async fn lists_filter_on_labels_department_and_state(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let a = create(
        &server,
        v1::Case {
            department: "departments/JenV".into(),
            labels: vec!["ipim".into(), "urgent".into()],
            ..work_item("A")
        },
    )
    .await;
    let b = create(
        &server,
        v1::Case {
            department: "departments/BZK".into(),
            labels: vec!["ipim".into()],
            ..work_item("B")
        },
    )
    .await;
    let c = create(&server, work_item("C")).await;
    transition(&server, &b.name, "accept")
        .await
        .expect("accept");
    let names = async |filter: &str| {
        server
            .cases()
            .await
            .list_cases(v1::ListCasesRequest {
                filter: filter.into(),
                order_by: "title".into(),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("{filter}: {e:?}"))
            .into_inner()
            .cases
            .into_iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(r#"labels:"ipim""#).await,
        [a.name.as_str(), b.name.as_str()]
    );
    assert_eq!(names(r#"labels:urgent"#).await, [a.name.as_str()]);
    assert_eq!(
        names(r#"department = "departments/JenV""#).await,
        [a.name.as_str()]
    );
    assert_eq!(names(r#"department = """#).await, [c.name.as_str()]);
    assert_eq!(
        names(r#"kind = "work_item" AND state != "proposed""#).await,
        [b.name.as_str()]
    );
    let status = server
        .cases()
        .await
        .list_cases(v1::ListCasesRequest {
            filter: "colour = red".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "INVALID_FILTER");
    assert!(
        status.message().contains("character 1"),
        "{}",
        status.message()
    );

    // Pages bound to their query.
    let mut cases = server.cases().await;
    let page = cases
        .list_cases(v1::ListCasesRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let status = cases
        .list_cases(v1::ListCasesRequest {
            page_size: 1,
            page_token: page.next_page_token,
            filter: "kind = \"work_item\"".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "INVALID_PAGE_TOKEN");
}

async fn a_published_workflow_version_applies_to_new_cases_only(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let old = create(&server, work_item("Volgens versie 1")).await;
    let mut workflows = server.workflows().await;
    let v1 = workflows
        .get_workflow(v1::GetWorkflowRequest {
            name: "workflows/work_item".into(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(v1.version, 1);
    assert!(v1.mermaid.contains("stateDiagram"), "{}", v1.mermaid);
    assert!(v1.dot.contains("digraph"), "{}", v1.dot);

    let broken = v1
        .definition
        .replace("version = 1", "version = 2")
        .replace("to = \"accepted\"", "to = \"nowhere\"");
    let status = workflows
        .publish_workflow(v1::PublishWorkflowRequest { definition: broken })
        .await
        .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "INVALID_WORKFLOW");
    assert!(
        status.message().contains("definition:"),
        "names the line: {}",
        status.message()
    );

    // Version 2 drops the assignee guard of `start`.
    let v2_text = v1
        .definition
        .replace("version = 1", "version = 2")
        .replace("guards = [\"work_item.assignee_required\"]", "guards = []");
    assert_ne!(
        v2_text,
        v1.definition.replace("version = 1", "version = 2"),
        "the guard line was found"
    );
    let v2 = workflows
        .publish_workflow(v1::PublishWorkflowRequest {
            definition: v2_text.clone(),
        })
        .await
        .expect("publish")
        .into_inner();
    assert_eq!(v2.version, 2);
    assert!(v2.publish_time.is_some() && v1.publish_time.is_some());
    let status = workflows
        .publish_workflow(v1::PublishWorkflowRequest {
            definition: v2_text,
        })
        .await
        .unwrap_err();
    assert_error(
        &status,
        Code::FailedPrecondition,
        "WORKFLOW_VERSION_NOT_NEWER",
    );

    let new = create(&server, work_item("Volgens versie 2")).await;
    assert_eq!(new.workflow_version, 2);
    for name in [&old.name, &new.name] {
        transition(&server, name, "accept").await.expect("accept");
    }
    transition(&server, &new.name, "start")
        .await
        .expect("version 2 starts without an assignee");
    let status = transition(&server, &old.name, "start").await.unwrap_err();
    assert_error(&status, Code::FailedPrecondition, "RULES_NOT_MET");

    let rules = workflows
        .list_rules(v1::ListRulesRequest {})
        .await
        .expect("rules")
        .into_inner();
    assert!(
        rules
            .rules
            .iter()
            .any(|r| r.id == "decree.consulted_before_adoption" && !r.sentence_nl.is_empty())
    );
}

/// Concurrent writes share transactions (group commit). A write whose statement fails must not
/// cost the others in its batch their answer, a refused one must not disturb them, and the log
/// must stay gap-free and chained.
async fn writes_that_arrive_together_each_get_their_own_answer(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    // Behind the server's back, make the database refuse one particular insert.
    server
        .tamper(match backend {
            Backend::Sqlite => {
                "CREATE TRIGGER poison BEFORE INSERT ON cases WHEN NEW.title = 'vergiftigd' \
                 BEGIN SELECT RAISE(ABORT, 'poisoned'); END;"
            }
            Backend::Postgres => {
                "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF NEW.title = 'vergiftigd' THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; \
                 END $$; CREATE TRIGGER poison BEFORE INSERT ON cases FOR EACH ROW \
                 EXECUTE FUNCTION poison();"
            }
        })
        .await;

    enum Call {
        Good,
        SameKey,
        Poisoned,
        Missing,
    }
    let mut calls = Vec::new();
    for i in 0..80 {
        let kind = match i % 16 {
            0 => Call::Poisoned,
            1 | 2 => Call::SameKey,
            3 => Call::Missing,
            _ => Call::Good,
        };
        let mut client = server.cases().await;
        calls.push(tokio::spawn(async move {
            let result = match kind {
                Call::Good | Call::SameKey | Call::Poisoned => {
                    let title = match kind {
                        Call::Poisoned => "vergiftigd".to_owned(),
                        // A retry is the same request again.
                        Call::SameKey => "Eén sleutel".to_owned(),
                        _ => format!("Stuk {i}"),
                    };
                    let request_id = match kind {
                        Call::SameKey => "een-sleutel".to_owned(),
                        _ => String::new(),
                    };
                    client
                        .create_case(v1::CreateCaseRequest {
                            case: Some(work_item(&title)),
                            request_id,
                        })
                        .await
                }
                Call::Missing => {
                    client
                        .transition_case(v1::TransitionCaseRequest {
                            name: "cases/bestaat-niet".into(),
                            transition: "accept".into(),
                            ..Default::default()
                        })
                        .await
                }
            };
            (kind, result.map(tonic::Response::into_inner))
        }));
    }
    let mut created = std::collections::BTreeSet::new();
    let mut same_key = std::collections::BTreeSet::new();
    for call in calls {
        match call.await.unwrap() {
            (Call::Good, result) => assert!(created.insert(result.unwrap().name)),
            (Call::SameKey, result) => {
                same_key.insert(result.unwrap().name);
            }
            (Call::Poisoned, result) => assert_eq!(result.unwrap_err().code(), Code::Internal),
            (Call::Missing, result) => {
                assert_error(&result.unwrap_err(), Code::NotFound, "NOT_FOUND")
            }
        }
    }
    assert_eq!(created.len(), 60);
    assert_eq!(same_key.len(), 1, "one request id, one case: {same_key:?}");

    let listed = server
        .cases()
        .await
        .list_cases(v1::ListCasesRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.cases.len(), 61);
    assert!(listed.cases.iter().all(|c| c.title != "vergiftigd"));

    let mut audit = server.audit().await;
    let events = audit
        .list_audit_events(v1::ListAuditEventsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    let sequences: Vec<i64> = events.iter().map(|e| e.sequence).collect();
    assert_eq!(
        sequences,
        (1..=61).collect::<Vec<_>>(),
        "gap-free, in order"
    );
    let report = audit
        .verify_audit_chain(v1::VerifyAuditChainRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(report.valid, "{report:?}");
    assert_eq!(report.events_checked, 61);
}
