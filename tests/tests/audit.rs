//! The tamper evidence of the audit log end to end, on both backends: what `VerifyAuditChain`
//! and `regie audit verify` find after someone with write access to the database removed or
//! rewrote events behind the server's back, and the signed checkpoints an auditor keeps with
//! `regie audit checkpoints --file` and checks with `regie audit verify --against` (issue #12,
//! finding 8).
// The backend tests are plain async fns, which clippy's allow-unwrap-in-tests does not cover.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use regie_proto::v1;
use regie_server::domain::cases::audit::StoredEvent;
use regie_server::domain::cases::audit::checkpoint::Checkpoint;
use regie_server::store::{self, SqliteSynchronous, Store, StoreOptions};
use regie_tests::{Backend, PgDatabase, TestServer, backend_tests};

backend_tests!(
    deleting_a_cases_last_event_is_reported,
    a_hole_in_the_sequence_is_reported,
    an_untouched_log_verifies_against_its_checkpoints,
    a_log_rewritten_after_a_checkpoint_fails_verify_against_naming_the_checkpoint,
    a_tampered_checkpoint_signature_is_detected,
    replicas_on_one_database_keep_one_checkpoint_per_sequence,
);

/// A checkpoint after every two events, and never for the time alone during a test.
const EVERY_TWO_EVENTS: &[&str] = &["--checkpoint-events", "2", "--checkpoint-interval", "3600"];

/// Waits until the server has signed a checkpoint at `sequence` or later; returns them all.
async fn checkpoints_up_to(server: &TestServer, sequence: i64) -> v1::ListCheckpointsResponse {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let listed = server
            .audit()
            .await
            .list_checkpoints(v1::ListCheckpointsRequest::default())
            .await
            .expect("list checkpoints")
            .into_inner();
        if listed
            .checkpoints
            .last()
            .is_some_and(|c| c.sequence >= sequence)
        {
            return listed;
        }
        assert!(
            Instant::now() < deadline,
            "no checkpoint at {sequence}: {listed:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn path_arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

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
            ..Default::default()
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

async fn an_untouched_log_verifies_against_its_checkpoints(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, EVERY_TWO_EVENTS).await else {
        return;
    };
    let file = server.data_dir().join("checkpoints.json");
    let item = create(&server, "Eerste").await;
    transition(&server, &item.name, "accept").await;
    let first = checkpoints_up_to(&server, 2).await;
    assert_eq!(first.checkpoints[0].sequence, 2);
    assert_eq!(first.checkpoints[0].cases, 1);
    // The key is the file in the data directory, the owner's alone, and the log names it.
    let key = server.data_dir().join("checkpoint.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key)
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(
        server.log().iter().any(|l| l.contains(&first.public_key)),
        "the public key is logged"
    );
    server
        .cli(&["audit", "checkpoints", "--file", path_arg(&file)])
        .await
        .ok();

    // The log goes on; the auditor fetches again, and the file grows.
    create(&server, "Tweede").await;
    create(&server, "Derde").await;
    checkpoints_up_to(&server, 4).await;
    let saved = server
        .cli(&["audit", "checkpoints", "--file", path_arg(&file)])
        .await;
    saved.ok();
    assert!(
        saved.stderr.contains("2 checkpoints (1 new)"),
        "{}",
        saved.stderr
    );

    let verified = server
        .cli(&["audit", "verify", "--against", path_arg(&file)])
        .await;
    assert!(
        verified.ok().contains("the log extends 2 of 2 checkpoints"),
        "{}",
        verified.stdout
    );
    let table = server.cli(&["audit", "checkpoints"]).await;
    assert!(table.ok().contains(&first.public_key), "{}", table.stdout);
}

/// An intruder who rewrites a whole chain, recomputing every hash and the case's head, leaves
/// chains that verify; the checkpoint an auditor kept from before shows it.
async fn a_log_rewritten_after_a_checkpoint_fails_verify_against_naming_the_checkpoint(
    backend: Backend,
) {
    let Some(server) = TestServer::start_with(backend, EVERY_TWO_EVENTS).await else {
        return;
    };
    let file = server.data_dir().join("checkpoints.json");
    let item = create(&server, "Herschreven").await;
    create(&server, "Ongemoeid").await;
    checkpoints_up_to(&server, 2).await;
    server
        .cli(&["audit", "checkpoints", "--file", path_arg(&file)])
        .await
        .ok();

    // Rewrite the item's one event as if someone else made it, with a correct hash.
    let events = server
        .audit()
        .await
        .list_audit_events(v1::ListAuditEventsRequest {
            filter: format!("case = \"{}\"", item.name),
            ..Default::default()
        })
        .await
        .expect("events")
        .into_inner()
        .events;
    assert_eq!(events.len(), 1);
    let mut event = stored(&events[0]);
    let original = event.hash.clone();
    event.seal("");
    assert_eq!(
        event.hash, original,
        "the test recomputes hashes as the server does"
    );
    event.actor = "mallory".into();
    event.seal("");
    server
        .tamper(&format!(
            "UPDATE events SET actor = 'mallory', hash = '{0}' WHERE sequence = {1}; \
             UPDATE cases SET last_hash = '{0}' WHERE id = '{2}'",
            event.hash,
            event.sequence,
            id(&item)
        ))
        .await;
    let plain = verify(&server).await;
    assert!(plain.valid, "the rewrite leaves no broken link: {plain:?}");

    let verified = server
        .cli(&["audit", "verify", "--against", path_arg(&file)])
        .await;
    assert_eq!(verified.code, Some(1), "{verified:?}");
    assert!(
        verified
            .stdout
            .contains("CHECKPOINT at sequence 2 FAILS: the log no longer extends this checkpoint"),
        "{}",
        verified.stdout
    );
}

async fn a_tampered_checkpoint_signature_is_detected(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, EVERY_TWO_EVENTS).await else {
        return;
    };
    let file = server.data_dir().join("checkpoints.json");
    let item = create(&server, "Eerste").await;
    transition(&server, &item.name, "accept").await;
    let listed = checkpoints_up_to(&server, 2).await;
    server
        .cli(&["audit", "checkpoints", "--file", path_arg(&file)])
        .await
        .ok();

    // The auditor's copy with one character of the signature changed.
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("JSON");
    let signature = json["checkpoints"][0]["signature"]
        .as_str()
        .expect("signature")
        .to_owned();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    let forged = format!("{flipped}{}", &signature[1..]);
    json["checkpoints"][0]["signature"] = forged.clone().into();
    let forged_file = server.data_dir().join("forged.json");
    std::fs::write(&forged_file, json.to_string()).expect("write");
    let verified = server
        .cli(&["audit", "verify", "--against", path_arg(&forged_file)])
        .await;
    assert_eq!(verified.code, Some(1), "{verified:?}");
    assert!(
        verified
            .stdout
            .contains("CHECKPOINT at sequence 2 FAILS: the signature does not verify"),
        "{}",
        verified.stdout
    );

    // The server finds it too, for any client.
    let mut checkpoint = listed.checkpoints[0].clone();
    checkpoint.signature = forged;
    let report = server
        .audit()
        .await
        .verify_audit_chain(v1::VerifyAuditChainRequest {
            case: String::new(),
            checkpoints: vec![listed.checkpoints[0].clone(), checkpoint],
        })
        .await
        .expect("verify")
        .into_inner();
    assert!(!report.valid);
    assert_eq!(report.checkpoints_checked, 2);
    assert_eq!(report.checkpoint_failures.len(), 1, "{report:?}");
    assert!(report.checkpoint_failures[0].reason.contains("signature"));

    // A checkpoint changed in the database is refused when the auditor fetches again.
    server
        .tamper("UPDATE checkpoints SET cases = 7 WHERE sequence = 2")
        .await;
    let fetched = server
        .cli(&["audit", "checkpoints", "--file", path_arg(&file)])
        .await;
    assert_eq!(fetched.code, Some(1), "{fetched:?}");
    assert!(
        fetched
            .stderr
            .contains("checkpoint at sequence 2 differs from the one"),
        "{}",
        fetched.stderr
    );
}

/// Two replicas that sign a checkpoint at the same sequence at once: one is kept, and each is
/// answered with it.
async fn replicas_on_one_database_keep_one_checkpoint_per_sequence(backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, _database) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}", dir.path().join("regie.db").display()),
            None,
        ),
        Backend::Postgres => {
            let Some(database) = PgDatabase::create().await else {
                return;
            };
            (database.url().to_owned(), Some(database))
        }
    };
    let options = StoreOptions {
        url,
        max_connections: 4,
        sqlite_synchronous: SqliteSynchronous::Normal,
        acquire_timeout: Duration::from_secs(10),
        ..StoreOptions::default()
    };
    let one: Arc<dyn Store> = store::open(&options).await.expect("first replica");
    let two: Arc<dyn Store> = store::open(&options).await.expect("second replica");
    let made = |time: i64| Checkpoint {
        sequence: 5,
        time,
        cases: 1,
        heads_digest: "00".into(),
        public_key: "key".into(),
        signature: format!("signed at {time}"),
    };
    let (first, second) = (made(1), made(2));
    let (a, b) = tokio::join!(
        one.insert_checkpoint(&first),
        two.insert_checkpoint(&second)
    );
    let (a, b) = (a.expect("first"), b.expect("second"));
    assert_eq!(a, b, "both replicas are answered with the one kept");
    assert_eq!(one.list_checkpoints(0, 10).await.expect("list"), vec![a]);
    one.close().await;
    two.close().await;
}

/// An event as the server hashes it, from its API form.
fn stored(e: &v1::CaseEvent) -> StoredEvent {
    let time = e.time.as_ref().expect("time");
    StoredEvent {
        sequence: e.sequence,
        case_id: e.case.trim_start_matches("cases/").to_owned(),
        case_sequence: e.case_sequence,
        event_type: e.r#type.clone(),
        actor: e.actor.clone(),
        time: time.seconds * 1_000_000 + i64::from(time.nanos / 1000),
        request_id: e.request_id.clone(),
        before: e.before.clone(),
        after: e.after.clone(),
        patch: e.patch.clone(),
        transition: e.transition.clone(),
        comment: e.comment.clone(),
        kind: e.kind.clone(),
        department: e.department.trim_start_matches("departments/").to_owned(),
        previous_hash: e.previous_hash.clone(),
        hash: e.hash.clone(),
    }
}
