//! The tamper evidence of the audit log end to end, on both backends: what `VerifyAuditChain`
//! and `regie audit verify` find after someone with write access to the database removed or
//! rewrote events behind the server's back (issue #12, finding 8).
// The backend tests are plain async fns, which clippy's allow-unwrap-in-tests does not cover.
#![allow(clippy::unwrap_used)]

use regie_proto::v1;
use regie_tests::{Backend, TestServer, backend_tests};

backend_tests!(
    deleting_a_cases_last_event_is_reported,
    a_hole_in_the_sequence_is_reported,
);

fn work_item(title: &str) -> v1::Case {
    v1::Case {
        kind: "work_item".into(),
        title: title.into(),
        department: "departments/JenV".into(),
        ..Default::default()
    }
}

async fn create(server: &TestServer, title: &str) -> v1::Case {
    server
        .cases()
        .await
        .create_case(v1::CreateCaseRequest {
            case: Some(work_item(title)),
            request_id: String::new(),
        })
        .await
        .expect("create case")
        .into_inner()
}

async fn transition(server: &TestServer, name: &str, transition: &str) -> v1::Case {
    server
        .cases()
        .await
        .transition_case(v1::TransitionCaseRequest {
            name: name.into(),
            transition: transition.into(),
            ..Default::default()
        })
        .await
        .expect("transition")
        .into_inner()
}

async fn verify(server: &TestServer) -> v1::VerifyAuditChainResponse {
    server
        .audit()
        .await
        .verify_audit_chain(v1::VerifyAuditChainRequest::default())
        .await
        .expect("verify")
        .into_inner()
}

fn id(case: &v1::Case) -> &str {
    case.name.trim_start_matches("cases/")
}

/// The finding as reported: a case's final event deleted from the database, which left every
/// remaining link intact. Here it is the newest event of the whole log, so no hole shows it
/// either: only the case's stored head does.
async fn deleting_a_cases_last_event_is_reported(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let other = create(&server, "Ongemoeid").await;
    let item = create(&server, "Afgerond").await;
    transition(&server, &item.name, "accept").await;
    let cancelled = transition(&server, &item.name, "cancel").await;
    assert_eq!(cancelled.revision, 3);
    let before = verify(&server).await;
    assert!(before.valid, "{before:?}");
    assert_eq!(before.last_sequence, 4);

    server
        .tamper(&format!(
            "DELETE FROM events WHERE case_id = '{}' AND case_sequence = 3",
            id(&item)
        ))
        .await;
    let report = verify(&server).await;
    assert!(!report.valid, "{report:?}");
    assert!(report.sequence_gaps.is_empty(), "{report:?}");
    assert_eq!(report.broken_links.len(), 1, "{report:?}");
    let broken = &report.broken_links[0];
    assert_eq!(broken.case, item.name);
    assert_eq!(broken.sequence, 3, "named at the last event that remains");
    assert!(
        broken.reason.contains("revision 3 is missing"),
        "{}",
        broken.reason
    );
    assert_ne!(broken.case, other.name);

    // The CLI says so, and exits 1.
    let cli = server.cli(&["audit", "verify"]).await;
    assert_eq!(cli.code, Some(1), "{cli:?}");
    assert!(
        cli.stdout
            .contains(&format!("BROKEN {} at sequence 3", item.name)),
        "{}",
        cli.stdout
    );

    // Also when only that case is checked.
    let one = server
        .audit()
        .await
        .verify_audit_chain(v1::VerifyAuditChainRequest {
            case: item.name.clone(),
        })
        .await
        .expect("verify one")
        .into_inner();
    assert!(!one.valid);
    assert_eq!(one.broken_links.len(), 1);
}

/// A whole case removed, its row and its one event: no chain and no head is left to show it,
/// but its sequence is a hole.
async fn a_hole_in_the_sequence_is_reported(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let first = create(&server, "Eerste").await;
    let removed = create(&server, "Verdwenen").await;
    let removed_too = create(&server, "Ook verdwenen").await;
    let last = create(&server, "Laatste").await;
    for case in [&removed, &removed_too] {
        server
            .tamper(&format!(
                "DELETE FROM case_labels WHERE case_id = '{0}'; \
                 DELETE FROM events WHERE case_id = '{0}'; \
                 DELETE FROM cases WHERE id = '{0}'",
                id(case)
            ))
            .await;
    }
    let report = verify(&server).await;
    assert!(!report.valid, "{report:?}");
    assert!(report.broken_links.is_empty(), "{report:?}");
    assert_eq!(
        report.sequence_gaps,
        vec![v1::SequenceGap { first: 2, last: 3 }]
    );
    assert_eq!(report.cases_checked, 2);
    assert_eq!(report.last_sequence, 4);
    let _ = (first, last);

    let cli = server.cli(&["audit", "verify"]).await;
    assert_eq!(cli.code, Some(1), "{cli:?}");
    assert!(
        cli.stdout.contains("MISSING sequences 2 to 3"),
        "{}",
        cli.stdout
    );
}
