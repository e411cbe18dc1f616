//! A case that would grow past its limits, end to end on both backends (issue #12, finding 5):
//! the change is refused with RESOURCE_EXHAUSTED, the case stays as it was, and every way of
//! reading its events — a page of the case's history, the audit log, the change feed from the
//! start — keeps working, however large its events are.

// The backend tests are plain async fns, which clippy's allow-unwrap-in-tests does not cover.
#![allow(clippy::unwrap_used)]

use regie_proto::v1::{self, case::Details};
use regie_tests::errors::assert_error;
use regie_tests::{Backend, TestServer, backend_tests};
use tokio_stream::StreamExt as _;
use tonic::Code;

backend_tests!(a_case_stops_growing_at_its_limit_and_its_events_stay_readable);

async fn a_case_stops_growing_at_its_limit_and_its_events_stay_readable(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut cases = server.cases().await;
    let mut risks = v1::risk_service_client::RiskServiceClient::new(server.authed().await);
    let analysis = cases
        .create_case(v1::CreateCaseRequest {
            case: Some(v1::Case {
                kind: "risk_analysis".into(),
                title: "Groeiende analyse".into(),
                department: "departments/JenV".into(),
                details: Some(Details::RiskAnalysis(v1::RiskAnalysisDetails {
                    organisation: "Dienst".into(),
                    high_risk_threshold: 12,
                    risk_count: 0,
                })),
                ..Default::default()
            }),
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
