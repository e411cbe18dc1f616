//! Isolation between departments, end to end on both backends (issue #12): no caller learns
//! anything of a case it may not read, not from lists, page tokens, request ids, refusals or
//! parents; and a request id is its caller's own. Each test reproduces a finding of the
//! security review against the real server binary with real gRPC clients.

// The backend tests are plain async fns, which clippy's allow-unwrap-in-tests does not cover.
#![allow(clippy::unwrap_used)]

use base64::Engine as _;
use regie_proto::v1::{self, case::Details};
use regie_tests::errors::{assert_error, reason};
use regie_tests::{Authed, Backend, TestServer, backend_tests};
use tonic::Code;

backend_tests!(
    a_page_and_its_token_show_only_what_the_caller_may_read,
    a_request_id_is_its_callers_own_and_a_replay_is_authorized_as_a_fresh_call,
    items_made_by_effects_carry_no_request_id,
    a_parent_is_one_the_caller_may_read_in_the_same_department_or_government_wide,
    refusals_say_nothing_of_a_case_the_caller_may_not_read,
    rijk_is_no_department_code,
    a_nul_in_a_filter_is_invalid_argument_on_every_list,
    a_watch_ends_within_a_heartbeat_of_revocation_or_of_its_last_role,
    watchers_are_capped_per_principal_and_per_replica,
);

type Feed = tonic::Streaming<v1::WatchEventsResponse>;

async fn watch(server: &TestServer, token: &str) -> Result<Feed, tonic::Status> {
    cases_as(server, token)
        .await
        .watch_events(v1::WatchEventsRequest::default())
        .await
        .map(tonic::Response::into_inner)
}

/// How the stream ended, waiting at most `within`: the error it ended with.
async fn end_of(mut feed: Feed, within: std::time::Duration) -> tonic::Status {
    use tokio_stream::StreamExt as _;
    tokio::time::timeout(within, async {
        loop {
            match feed.next().await {
                Some(Ok(_)) => continue,
                Some(Err(status)) => return status,
                None => return tonic::Status::ok("ended without an error"),
            }
        }
    })
    .await
    .expect("the stream ended in time")
}

async fn a_watch_ends_within_a_heartbeat_of_revocation_or_of_its_last_role(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let anna = server.principal("anna", &[("member", "JenV")]).await;
    let bert = server.principal("bert", &[("member", "Fin")]).await;
    let (anna_feed, bert_feed) = (
        watch(&server, &anna).await.unwrap(),
        watch(&server, &bert).await.unwrap(),
    );
    let mut admin = server.access().await;
    let tokens = admin
        .list_tokens(v1::ListTokensRequest {
            principal: "principals/anna".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .tokens;
    admin
        .revoke_token(v1::RevokeTokenRequest {
            name: tokens[0].name.clone(),
        })
        .await
        .unwrap();
    admin
        .revoke_role(v1::RevokeRoleRequest {
            principal: "principals/bert".into(),
            role: "member".into(),
            domain: "Fin".into(),
        })
        .await
        .unwrap();
    // One heartbeat (10 s) and the access poll (1 s), with room for a slow machine.
    let within = std::time::Duration::from_secs(15);
    let (anna_end, bert_end) = tokio::join!(end_of(anna_feed, within), end_of(bert_feed, within));
    assert_eq!(anna_end.code(), Code::Unauthenticated, "{anna_end:?}");
    assert_eq!(reason(&anna_end), "TOKEN_REVOKED");
    assert_eq!(bert_end.code(), Code::PermissionDenied, "{bert_end:?}");
}

async fn watchers_are_capped_per_principal_and_per_replica(backend: Backend) {
    let Some(server) = TestServer::start_with(
        backend,
        &["--max-watchers", "3", "--max-watchers-per-principal", "2"],
    )
    .await
    else {
        return;
    };
    let anna = server.principal("anna", &[("member", "JenV")]).await;
    let bert = server.principal("bert", &[("member", "Fin")]).await;
    let carl = server.principal("carl", &[("member", "BZK")]).await;
    let first = watch(&server, &anna).await.unwrap();
    let _second = watch(&server, &anna).await.unwrap();
    let status = watch(&server, &anna).await.unwrap_err();
    assert_error(&status, Code::ResourceExhausted, "TOO_MANY_STREAMS");
    assert!(status.message().contains("principals/anna"), "{status:?}");
    let _bert = watch(&server, &bert).await.unwrap();
    let status = watch(&server, &carl).await.unwrap_err();
    assert_error(&status, Code::ResourceExhausted, "TOO_MANY_STREAMS");
    // A stream closed by its client gives its place back.
    drop(first);
    let mut reopened = None;
    for _ in 0..50 {
        match watch(&server, &anna).await {
            Ok(feed) => {
                reopened = Some(feed);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    assert!(
        reopened.is_some(),
        "anna's closed stream gave its place back"
    );
}

async fn rijk_is_no_department_code(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    for code in ["rijk", "Rijk", "RIJK"] {
        let status = server
            .directory()
            .await
            .create_department(v1::CreateDepartmentRequest {
                department: Some(v1::Department {
                    code: code.into(),
                    name_nl: "Rijk".into(),
                    name_en: "Government".into(),
                    ..Default::default()
                }),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{code}: {status:?}");
        assert!(status.message().contains("government-wide"), "{status:?}");
    }
}

async fn a_nul_in_a_filter_is_invalid_argument_on_every_list(backend: Backend) {
    use prost::Message as _;
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    // Every method with a `filter`, found in the descriptor set, so that a new one is covered.
    let pool = prost_reflect::DescriptorPool::decode(regie_proto::FILE_DESCRIPTOR_SET).unwrap();
    let mut lists = 0;
    for method in pool
        .services()
        .filter(|s| s.package_name() == "regie.v1")
        .flat_map(|s| s.methods().collect::<Vec<_>>())
    {
        let input = method.input();
        let Some(field) = input.get_field_by_name("filter") else {
            continue;
        };
        let mut message = prost_reflect::DynamicMessage::new(input);
        message.set_field(
            &field,
            prost_reflect::Value::String("title = \"a\u{0}b\"".into()),
        );
        let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
        let status = regie_tests::raw::call_bytes(
            server.channel().await,
            Some(&server.admin_token),
            &path,
            message.encode_to_vec(),
            method.is_server_streaming(),
        )
        .await;
        assert_eq!(status.code(), Code::InvalidArgument, "{path}: {status:?}");
        assert_eq!(
            regie_tests::errors::bad_fields(&status),
            ["filter"],
            "{path}"
        );
        lists += 1;
    }
    assert!(lists >= 6, "{lists} methods take a filter");
}

type Cases = v1::case_service_client::CaseServiceClient<Authed>;

async fn cases_as(server: &TestServer, token: &str) -> Cases {
    v1::case_service_client::CaseServiceClient::new(server.authed_with(token).await)
}

fn item(title: &str, department: &str) -> v1::Case {
    v1::Case {
        kind: "work_item".into(),
        title: title.into(),
        department: if department.is_empty() {
            String::new()
        } else {
            format!("departments/{department}")
        },
        ..Default::default()
    }
}

async fn create(
    cases: &mut Cases,
    case: v1::Case,
    request_id: &str,
) -> Result<v1::Case, tonic::Status> {
    cases
        .create_case(v1::CreateCaseRequest {
            case: Some(case),
            request_id: request_id.into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn transition(
    cases: &mut Cases,
    name: &str,
    transition: &str,
    request_id: &str,
) -> Result<v1::Case, tonic::Status> {
    cases
        .transition_case(v1::TransitionCaseRequest {
            name: name.into(),
            transition: transition.into(),
            comment: "test".into(),
            request_id: request_id.into(),
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn list(
    cases: &mut Cases,
    filter: &str,
    page_size: i32,
    page_token: &str,
) -> Result<v1::ListCasesResponse, tonic::Status> {
    cases
        .list_cases(v1::ListCasesRequest {
            page_size,
            page_token: page_token.into(),
            filter: filter.into(),
            order_by: "title".into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// What a page token shows to whoever decodes it.
fn decoded(token: &str) -> String {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

async fn a_page_and_its_token_show_only_what_the_caller_may_read(backend: Backend) {
    let Some(mut server) = TestServer::start(backend).await else {
        return;
    };
    let mut admin = server.cases().await;
    for title in ["Geheim A", "Geheim B", "Geheim C"] {
        create(&mut admin, item(title, "Fin"), "").await.unwrap();
    }
    for title in ["JenV 1", "JenV 2", "JenV 3"] {
        create(&mut admin, item(title, "JenV"), "").await.unwrap();
    }
    let coordinator = server
        .principal("ic.jenv", &[("integrity_coordinator", "JenV")])
        .await;
    let mut ic = cases_as(&server, &coordinator).await;

    // Fin's cases, one per page: no page and no token, so nothing to follow or decode.
    for filter in [
        "department = \"departments/Fin\"",
        "title >= \"Geheim\" AND title < \"Geheim D\"",
        "",
    ] {
        let page = list(&mut ic, filter, 1, "").await.unwrap();
        assert!(
            page.cases
                .iter()
                .all(|c| c.department == "departments/JenV"),
            "{filter}: {page:?}"
        );
        if !filter.is_empty() {
            assert!(
                page.cases.is_empty() && page.next_page_token.is_empty(),
                "{page:?}"
            );
        }
    }
    // Its own cases, a full page each time; the tokens spell out no titles.
    let mut token = String::new();
    let mut seen = Vec::new();
    loop {
        let page = list(&mut ic, "", 1, &token).await.unwrap();
        assert_eq!(
            page.cases.len(),
            1,
            "a page is full while readable cases remain"
        );
        seen.push(page.cases[0].title.clone());
        let shown = decoded(&page.next_page_token);
        assert!(
            !shown.contains("JenV") && !shown.contains("Geheim"),
            "{shown}"
        );
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
        if seen.len() == 2 {
            // An edited token is refused, not followed.
            let mut edited = token.clone().into_bytes();
            edited[10] = if edited[10] == b'A' { b'B' } else { b'A' };
            let status = list(&mut ic, "", 1, &String::from_utf8(edited).unwrap())
                .await
                .unwrap_err();
            assert_error(&status, Code::InvalidArgument, "INVALID_PAGE_TOKEN");
            // The key lives in the database: the token is good after a restart (and at any
            // replica).
            server.restart().await;
            ic = cases_as(&server, &coordinator).await;
        }
    }
    assert_eq!(seen, ["JenV 1", "JenV 2", "JenV 3"]);
}

async fn a_request_id_is_its_callers_own_and_a_replay_is_authorized_as_a_fresh_call(
    backend: Backend,
) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let fin_token = server
        .principal("ic.fin", &[("integrity_coordinator", "Fin")])
        .await;
    let jenv_token = server
        .principal("ic.jenv", &[("integrity_coordinator", "JenV")])
        .await;
    let mut fin = cases_as(&server, &fin_token).await;
    let mut jenv = cases_as(&server, &jenv_token).await;

    let theirs = create(&mut fin, item("Van Fin", "Fin"), "r-1")
        .await
        .unwrap();
    // The same id from another principal is another key: its own new case, not Fin's.
    let mine = create(&mut jenv, item("Van JenV", "JenV"), "r-1")
        .await
        .unwrap();
    assert_ne!(mine.name, theirs.name);
    assert_eq!(mine.title, "Van JenV");
    // Fin's retry is answered with Fin's case; the same id for another request is refused.
    let again = create(&mut fin, item("Van Fin", "Fin"), "r-1")
        .await
        .unwrap();
    assert_eq!(again, theirs);
    let status = create(&mut fin, item("Een andere titel", "Fin"), "r-1")
        .await
        .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "REQUEST_ID_REUSED");

    // Fin's transition id, sent by JenV for Fin's case: refused like any call on it.
    let accepted = transition(&mut fin, &theirs.name, "accept", "t-1")
        .await
        .unwrap();
    let status = transition(&mut jenv, &theirs.name, "accept", "t-1")
        .await
        .unwrap_err();
    assert_error(&status, Code::PermissionDenied, "PERMISSION_DENIED");
    // A replay is authorized as the call would be now: once Fin's coordinator lost the role,
    // its own retry is refused too.
    assert_eq!(
        transition(&mut fin, &theirs.name, "accept", "t-1")
            .await
            .unwrap(),
        accepted
    );
    server
        .access()
        .await
        .revoke_role(v1::RevokeRoleRequest {
            principal: "principals/ic.fin".into(),
            role: "integrity_coordinator".into(),
            domain: "Fin".into(),
        })
        .await
        .unwrap();
    let status = transition(&mut fin, &theirs.name, "accept", "t-1")
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
}

fn framework(title: &str, scope: &[&str]) -> v1::Case {
    v1::Case {
        kind: "framework".into(),
        title: title.into(),
        details: Some(Details::Framework(v1::FrameworkDetails {
            purposes: vec![v1::FrameworkPurpose::Unity as i32],
            scope: scope.iter().map(|d| format!("departments/{d}")).collect(),
            effective_date: "2027-01-01".into(),
            evaluation_interval_months: 24,
            ..Default::default()
        })),
        ..Default::default()
    }
}

/// A framework put in force by the coordinator, with `request_id` on that transition.
async fn framework_in_force(server: &TestServer, scope: &[&str], request_id: &str) -> v1::Case {
    let coordinator = server.principal("coord", &[("coordinator", "rijk")]).await;
    let mut cases = cases_as(server, &coordinator).await;
    let mut frameworks = v1::framework_service_client::FrameworkServiceClient::new(
        server.authed_with(&coordinator).await,
    );
    let kader = create(&mut cases, framework("Kader", scope), "")
        .await
        .unwrap();
    transition(&mut cases, &kader.name, "start_consultation", "")
        .await
        .unwrap();
    for department in scope {
        frameworks
            .record_consultation(v1::RecordConsultationRequest {
                framework: kader.name.clone(),
                consultation: Some(v1::Consultation {
                    department: format!("departments/{department}"),
                    body: "IPIM".into(),
                    date: "2026-09-01".into(),
                    outcome: v1::ConsultationOutcome::Agrees as i32,
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    transition(&mut cases, &kader.name, "adopt", "")
        .await
        .unwrap();
    transition(&mut cases, &kader.name, "put_in_force", request_id)
        .await
        .unwrap()
}

async fn items_made_by_effects_carry_no_request_id(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let kader = framework_in_force(&server, &["JenV", "Fin"], "kader-in-werking").await;
    let jenv_token = server
        .principal("ic.jenv", &[("integrity_coordinator", "JenV")])
        .await;
    let mut jenv = cases_as(&server, &jenv_token).await;
    let items = list(&mut jenv, &format!("parent = \"{}\"", kader.name), 10, "")
        .await
        .unwrap()
        .cases;
    assert_eq!(
        items.len(),
        1,
        "JenV sees its own observance item: {items:?}"
    );
    let events = jenv
        .list_case_events(v1::ListCaseEventsRequest {
            name: items[0].name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e.request_id.is_empty()), "{events:?}");
    // The framework's own event keeps it, for the coordinator who sent it.
    let status = transition(&mut jenv, &kader.name, "put_in_force", "kader-in-werking")
        .await
        .unwrap_err();
    assert_error(&status, Code::PermissionDenied, "PERMISSION_DENIED");
}

async fn a_parent_is_one_the_caller_may_read_in_the_same_department_or_government_wide(
    backend: Backend,
) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut admin = server.cases().await;
    let fin = create(&mut admin, item("Van Fin", "Fin"), "")
        .await
        .unwrap();
    let wide = create(&mut admin, item("Rijksbreed", ""), "")
        .await
        .unwrap();
    let jenv_token = server
        .principal("ic.jenv", &[("integrity_coordinator", "JenV")])
        .await;
    let mut jenv = cases_as(&server, &jenv_token).await;
    let under = |parent: &str| v1::Case {
        parent: parent.into(),
        ..item("Onder", "JenV")
    };

    // JenV cannot hang an item under Fin's, and cannot tell Fin's case from one that does not
    // exist.
    let theirs = create(&mut jenv, under(&fin.name), "").await.unwrap_err();
    let nothing = create(&mut jenv, under("cases/bestaatniet"), "")
        .await
        .unwrap_err();
    for status in [&theirs, &nothing] {
        assert_error(status, Code::PermissionDenied, "PERMISSION_DENIED");
    }
    assert_eq!(
        theirs.message().replace(&fin.name, "cases/bestaatniet"),
        nothing.message()
    );
    // Nor can an administrator, who may read both: the rule, then.
    let status = create(&mut admin, under(&fin.name), "").await.unwrap_err();
    assert_error(&status, Code::InvalidArgument, "PARENT_IN_OTHER_DEPARTMENT");
    assert_eq!(regie_tests::errors::bad_fields(&status), ["case.parent"]);
    let status = create(&mut admin, under("cases/bestaatniet"), "")
        .await
        .unwrap_err();
    assert_error(
        &status,
        Code::InvalidArgument,
        "REFERENCED_RESOURCE_MISSING",
    );
    // Under a government-wide case, and under its own department's: fine.
    let child = create(&mut admin, under(&wide.name), "").await.unwrap();
    let own = create(&mut jenv, item("Eigen", "JenV"), "").await.unwrap();
    create(&mut jenv, under(&own.name), "").await.unwrap();
    // Giving its own item Fin's case as parent is refused as well.
    let status = jenv
        .update_case(v1::UpdateCaseRequest {
            case: Some(v1::Case {
                name: own.name.clone(),
                parent: fin.name.clone(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["parent".into()],
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_error(&status, Code::PermissionDenied, "PERMISSION_DENIED");
    // A government-wide parent with a JenV sub-item cannot move to BZK.
    let status = admin
        .update_case(v1::UpdateCaseRequest {
            case: Some(v1::Case {
                name: wide.name.clone(),
                department: "departments/BZK".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["department".into()],
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "PARENT_IN_OTHER_DEPARTMENT");
    assert!(status.message().contains(&child.name), "{status:?}");
}

async fn refusals_say_nothing_of_a_case_the_caller_may_not_read(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut admin = server.cases().await;
    let fin = create(&mut admin, item("Van Fin", "Fin"), "")
        .await
        .unwrap();
    // A framework JenV is not in the scope of.
    let kader = framework_in_force(&server, &["BZK"], "").await;
    let jenv_token = server
        .principal("ic.jenv", &[("integrity_coordinator", "JenV")])
        .await;
    let auditor = server.principal("auditor", &[("auditor", "rijk")]).await;
    let missing = "cases/bestaatniet";

    // Every call on a case JenV may not read answers as it does for one that does not exist,
    // but for the name.
    for (existing, what) in [
        (&fin.name, "Fin's item"),
        (&kader.name, "a framework out of scope"),
    ] {
        let on_existing = calls(&server, &jenv_token, existing).await;
        let on_missing = calls(&server, &jenv_token, missing).await;
        for ((method, a), (_, b)) in on_existing.iter().zip(&on_missing) {
            assert_eq!(
                a.code(),
                Code::PermissionDenied,
                "{method} on {what}: {a:?}"
            );
            assert_eq!(
                b.code(),
                Code::PermissionDenied,
                "{method} on nothing: {b:?}"
            );
            assert_eq!(reason(a), reason(b), "{method}");
            assert_eq!(
                a.message().replace(existing.as_str(), missing),
                b.message(),
                "{method} on {what}"
            );
            for secret in ["Fin", "work_item", "framework", "rijk", "in_force", "BZK"] {
                assert!(!a.message().contains(secret), "{method}: {a:?}");
            }
        }
    }
    // Someone who may read every case is told that it does not exist.
    let mut reader = cases_as(&server, &auditor).await;
    let status = reader
        .get_case(v1::GetCaseRequest {
            name: missing.into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_error(&status, Code::NotFound, "NOT_FOUND");
}

/// The answer of each call JenV's coordinator may make on a case, on `name`.
async fn calls(server: &TestServer, token: &str, name: &str) -> Vec<(&'static str, tonic::Status)> {
    let mut cases = cases_as(server, token).await;
    let mut frameworks =
        v1::framework_service_client::FrameworkServiceClient::new(server.authed_with(token).await);
    let mut answers = Vec::new();
    let mut push = |method: &'static str, result: Result<(), tonic::Status>| {
        answers.push((
            method,
            result.err().unwrap_or_else(|| tonic::Status::ok("allowed")),
        ));
    };
    push(
        "GetCase",
        cases
            .get_case(v1::GetCaseRequest {
                name: name.into(),
                ..Default::default()
            })
            .await
            .map(drop),
    );
    push(
        "ListCaseEvents",
        cases
            .list_case_events(v1::ListCaseEventsRequest {
                name: name.into(),
                ..Default::default()
            })
            .await
            .map(drop),
    );
    push(
        "ListAvailableTransitions",
        cases
            .list_available_transitions(v1::ListAvailableTransitionsRequest { name: name.into() })
            .await
            .map(drop),
    );
    push(
        "TransitionCase",
        transition(&mut cases, name, "accept", "").await.map(drop),
    );
    push(
        "AddComment",
        cases
            .add_comment(v1::AddCommentRequest {
                name: name.into(),
                text: "x".into(),
                request_id: String::new(),
            })
            .await
            .map(drop),
    );
    push(
        "UpdateCase",
        cases
            .update_case(v1::UpdateCaseRequest {
                case: Some(v1::Case {
                    name: name.into(),
                    title: "Nieuw".into(),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["title".into()],
                }),
                ..Default::default()
            })
            .await
            .map(drop),
    );
    push(
        "RecordObservance",
        frameworks
            .record_observance(v1::RecordObservanceRequest {
                framework: name.into(),
                observance: Some(v1::Observance {
                    department: "departments/JenV".into(),
                    summary: "Ingevoerd".into(),
                    date: "2027-02-01".into(),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await
            .map(drop),
    );
    push(
        "ListObservances",
        frameworks
            .list_observances(v1::ListObservancesRequest {
                framework: name.into(),
            })
            .await
            .map(drop),
    );
    answers
}
