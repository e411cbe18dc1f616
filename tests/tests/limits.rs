//! A case that would grow past its limits, end to end on both backends (issue #12, finding 5):
//! the change is refused with RESOURCE_EXHAUSTED, the case stays as it was, and every way of
//! reading its events — a page of the case's history, the audit log, the change feed from the
//! start — keeps working, however large its events are. And a case's events store what changed,
//! not two copies of the case, while every past revision still rebuilds exactly.

// The backend tests are plain async fns, which clippy's allow-unwrap-in-tests does not cover.
#![allow(clippy::unwrap_used)]

use regie_proto::v1::{self, case::Details};
use regie_tests::errors::assert_error;
use regie_tests::{Backend, TestServer, backend_tests, fixtures};
use tokio_stream::StreamExt as _;
use tonic::Code;

backend_tests!(
    a_case_stops_growing_at_its_limit_and_its_events_stay_readable,
    events_store_what_changed_and_every_past_revision_rebuilds_exactly,
);

async fn a_case_stops_growing_at_its_limit_and_its_events_stay_readable(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut cases = server.cases().await;
    let mut risks = v1::risk_service_client::RiskServiceClient::new(server.authed().await);
    let analysis = cases
        .create_case(v1::CreateCaseRequest {
            case: Some(fixtures::risk_analysis("Groeiende analyse", "Dienst")),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    cases
        .transition_case(v1::TransitionCaseRequest {
            name: analysis.name.clone(),
            transition: "identify".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    // Risks with the longest mitigation allowed, until the case is full.
    let mut added = 0;
    let refused = loop {
        let result = risks
            .add_risk(v1::AddRiskRequest {
                analysis: analysis.name.clone(),
                risk: Some(v1::Risk {
                    title: format!("Risico {added}"),
                    mitigation: "m".repeat(10_000),
                    owner: "Eigenaar".into(),
                    category: v1::RiskCategory::Corruption as i32,
                    process: v1::VulnerableProcess::Procurement as i32,
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await;
        match result {
            Ok(_) => added += 1,
            Err(status) => break status,
        }
        assert!(added < 300, "the case grew without a limit");
    };
    assert_error(&refused, Code::ResourceExhausted, "CASE_TOO_LARGE");
    assert!(added > 10, "{added} risks fit");
    let case = cases
        .get_case(v1::GetCaseRequest {
            name: analysis.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let Some(Details::RiskAnalysis(details)) = case.details else {
        panic!("not an analysis");
    };
    assert_eq!(details.risk_count, added, "the refused risk left no trace");

    // The whole history in the largest pages there are: cut short, never over the limit.
    let mut token = String::new();
    let mut events = 0;
    loop {
        let page = cases
            .list_case_events(v1::ListCaseEventsRequest {
                name: analysis.name.clone(),
                page_size: 1000,
                page_token: token.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        events += page.events.len();
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(events as i64, case.revision);
    let audit = server
        .audit()
        .await
        .list_audit_events(v1::ListAuditEventsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!audit.events.is_empty());
    // The change feed from the start delivers every event, the largest included.
    let mut feed = cases
        .watch_events(v1::WatchEventsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut seen = 0;
    while seen < events {
        let item = tokio::time::timeout(std::time::Duration::from_secs(20), feed.next())
            .await
            .expect("in time")
            .expect("open")
            .expect("no error");
        if matches!(item.item, Some(v1::watch_events_response::Item::Event(_))) {
            seen += 1;
        }
    }
}

/// The case as GetCase returns it now, or at `revision`.
async fn case_at(server: &TestServer, name: &str, revision: i64) -> v1::Case {
    server
        .cases()
        .await
        .get_case(v1::GetCaseRequest {
            name: name.to_owned(),
            as_of: None,
            revision,
        })
        .await
        .unwrap()
        .into_inner()
}

async fn events_store_what_changed_and_every_past_revision_rebuilds_exactly(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut cases = server.cases().await;
    let mut risks = v1::risk_service_client::RiskServiceClient::new(server.authed().await);
    let analysis = cases
        .create_case(v1::CreateCaseRequest {
            case: Some(fixtures::risk_analysis(
                "Analyse met geschiedenis",
                "Dienst",
            )),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let name = analysis.name.clone();
    cases
        .transition_case(v1::TransitionCaseRequest {
            name: name.clone(),
            transition: "identify".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    // More than 64 events (a whole copy is kept every 64th), of every sort: risks of 10 KB
    // each, comments, and edits of the title.
    let mut seen = vec![case_at(&server, &name, 0).await];
    seen.insert(0, analysis.clone());
    let mut sent = 0;
    for i in 0..72 {
        match i % 3 {
            0 => {
                let mitigation = format!("{i} ").repeat(3_000);
                sent += mitigation.len();
                risks
                    .add_risk(v1::AddRiskRequest {
                        analysis: name.clone(),
                        risk: Some(v1::Risk {
                            title: format!("Risico {i}"),
                            mitigation,
                            owner: "Eigenaar".into(),
                            category: v1::RiskCategory::Corruption as i32,
                            process: v1::VulnerableProcess::Procurement as i32,
                            ..Default::default()
                        }),
                        ..Default::default()
                    })
                    .await
                    .unwrap();
            }
            1 => {
                cases
                    .add_comment(v1::AddCommentRequest {
                        name: name.clone(),
                        text: format!("Opmerking {i}"),
                        request_id: String::new(),
                    })
                    .await
                    .unwrap();
            }
            _ => {
                let current = seen.last().unwrap().clone();
                cases
                    .update_case(v1::UpdateCaseRequest {
                        case: Some(v1::Case {
                            title: format!("Analyse, versie {i}"),
                            ..current
                        }),
                        update_mask: Some(prost_types::FieldMask {
                            paths: vec!["title".into()],
                        }),
                        request_id: String::new(),
                    })
                    .await
                    .unwrap();
            }
        }
        seen.push(case_at(&server, &name, 0).await);
    }
    let newest = seen.last().unwrap().clone();
    assert_eq!(
        newest.revision,
        seen.len() as i64,
        "one revision per change"
    );

    // Every revision, read back through time travel, is the case as it was then.
    for (revision, then) in (1..).zip(&seen) {
        assert_eq!(then.revision, revision);
        assert_eq!(
            &case_at(&server, &name, revision).await,
            then,
            "revision {revision}"
        );
    }

    // The events hold the changes, not the case twice over: a whole copy on creation and at
    // event 64, and patches that name what they overwrite.
    let events = cases
        .list_case_events(v1::ListCaseEventsRequest {
            name: name.clone(),
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(events.len(), seen.len());
    let copies: Vec<i64> = events
        .iter()
        .filter(|e| !e.after.is_empty())
        .map(|e| e.case_sequence)
        .collect();
    assert_eq!(copies, [1, 64]);
    assert!(events.iter().all(|e| e.before.is_empty()));
    assert!(events[1..].iter().all(|e| !e.patch.is_empty()));
    let transition = &events[1];
    assert!(
        transition
            .patch
            .contains(r#"{"op":"test","path":"/state","value":"identification"}"#)
            || transition.patch.contains(r#""op":"test","path":"/state""#),
        "{}",
        transition.patch
    );
    let stored: usize = events
        .iter()
        .map(|e| e.patch.len() + e.after.len() + e.before.len())
        .sum();
    let whole = events[63].after.len();
    assert!(
        stored < sent + 3 * whole,
        "{stored} bytes of events for {sent} bytes of risks (one whole copy: {whole} bytes)"
    );
}
