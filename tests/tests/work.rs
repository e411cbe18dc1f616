//! "Mijn werk" end to end, on both backends: `WorkService.ListMyWork` and `regie my-work` show
//! a principal what awaits them (assigned to them, or in their own department in a state with a
//! transition open to them), most urgent first, only what they may read, with counts.

// The backend tests are plain async fns, which clippy's allow-unwrap-in-tests does not cover.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use regie_proto::v1;
use regie_tests::errors::assert_error;
use regie_tests::{Backend, TestServer, backend_tests};
use tonic::Code;

backend_tests!(
    my_work_shows_what_awaits_the_caller_most_urgent_first_and_nothing_they_may_not_read,
    my_work_refuses_a_bad_window_or_kind,
);

fn at(seconds: i64) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds, nanos: 0 }
}

fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A work item made by the admin.
async fn item(
    server: &TestServer,
    title: &str,
    department: &str,
    assignee: &str,
    due: Option<i64>,
) -> v1::Case {
    server
        .cases()
        .await
        .create_case(v1::CreateCaseRequest {
            case: Some(v1::Case {
                kind: "work_item".into(),
                title: title.into(),
                department: department.into(),
                assignee: assignee.into(),
                due_time: due.map(at),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
}

async fn my_work(server: &TestServer, token: &str) -> v1::ListMyWorkResponse {
    v1::work_service_client::WorkServiceClient::new(server.authed_with(token).await)
        .list_my_work(v1::ListMyWorkRequest::default())
        .await
        .unwrap()
        .into_inner()
}

fn titles(work: &v1::ListMyWorkResponse) -> Vec<String> {
    work.items
        .iter()
        .map(|i| i.case.as_ref().unwrap().title.clone())
        .collect()
}

async fn my_work_shows_what_awaits_the_caller_most_urgent_first_and_nothing_they_may_not_read(
    backend: Backend,
) {
    let Some(server) = TestServer::start_with(backend, &["--scheduler-interval", "1"]).await else {
        return;
    };
    let ic = server
        .principal("ic-jenv", &[("integrity_coordinator", "JenV")])
        .await;
    let secretariat = server
        .principal("secretariaat", &[("secretariat", "rijk")])
        .await;
    let now = now_seconds();
    item(
        &server,
        "Later",
        "departments/JenV",
        "",
        Some(now + 60 * 86_400),
    )
    .await;
    item(&server, "Zonder datum", "departments/JenV", "", None).await;
    item(
        &server,
        "Binnenkort",
        "departments/JenV",
        "",
        Some(now + 3 * 86_400),
    )
    .await;
    item(
        &server,
        "Te laat",
        "departments/JenV",
        "",
        Some(now - 86_400),
    )
    .await;
    item(&server, "Van Financiën", "departments/Fin", "ic-jenv", None).await;
    item(&server, "Rijksbreed", "", "ic-jenv", None).await;
    let closed = item(&server, "Geannuleerd", "departments/JenV", "ic-jenv", None).await;
    server
        .cases()
        .await
        .transition_case(v1::TransitionCaseRequest {
            name: closed.name.clone(),
            transition: "cancel".into(),
            comment: "Niet meer nodig".into(),
            ..Default::default()
        })
        .await
        .unwrap();

    // The scheduler marks the late one overdue.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let work = loop {
        let work = my_work(&server, &ic).await;
        if work.counts.as_ref().unwrap().overdue == 1 {
            break work;
        }
        assert!(std::time::Instant::now() < deadline, "never marked overdue");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // Overdue, then due soon, then by due date, none last; not Fin's case, not the
    // government-wide one (the coordinator of JenV may read neither, assigned or not), not the
    // cancelled one.
    assert_eq!(
        titles(&work),
        ["Te laat", "Binnenkort", "Later", "Zonder datum"]
    );
    let urgencies: Vec<i32> = work.items.iter().map(|i| i.urgency).collect();
    assert_eq!(
        urgencies,
        [
            v1::WorkUrgency::Overdue as i32,
            v1::WorkUrgency::DueSoon as i32,
            v1::WorkUrgency::Later as i32,
            v1::WorkUrgency::Later as i32,
        ]
    );
    let first = &work.items[0];
    assert!(!first.assigned);
    assert!(
        first.transitions.contains(&"accept".to_owned()),
        "{:?}",
        first.transitions
    );
    let counts = work.counts.clone().unwrap();
    assert_eq!(
        (
            counts.total,
            counts.overdue,
            counts.due_soon,
            counts.assigned,
            counts.awaiting_action
        ),
        (4, 1, 1, 0, 4)
    );
    assert_eq!(counts.by_kind.get("work_item"), Some(&4));

    // The secretariat, a role held government-wide, is awaited by the government-wide item.
    let theirs = my_work(&server, &secretariat).await;
    assert_eq!(titles(&theirs), ["Rijksbreed"]);

    // Assigned to the coordinator in their own department: awaiting and assigned both.
    item(&server, "Voor Anna", "departments/JenV", "ic-jenv", None).await;
    let work = my_work(&server, &ic).await;
    let mine = work
        .items
        .iter()
        .find(|i| i.case.as_ref().unwrap().title == "Voor Anna")
        .unwrap();
    assert!(mine.assigned);
    assert_eq!(work.counts.unwrap().assigned, 1);

    // Pages through the whole of it, one at a time, in the same order.
    let mut client = v1::work_service_client::WorkServiceClient::new(server.authed_with(&ic).await);
    let mut token = String::new();
    let mut paged = Vec::new();
    loop {
        let page = client
            .list_my_work(v1::ListMyWorkRequest {
                page_size: 1,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        paged.extend(titles(&page));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(paged, titles(&my_work(&server, &ic).await));
    assert_eq!(paged.len(), 5);

    // The CLI shows the same, urgent first.
    let out = server.cli_as(Some(&ic), &["my-work"]).await;
    let text = out.ok();
    let late = text.find("Te laat").unwrap();
    let soon = text.find("Binnenkort").unwrap();
    assert!(late < soon, "{text}");
    assert!(!text.contains("Van Financiën"), "{text}");
    assert!(
        text.contains("achterstallig") || text.contains("overdue"),
        "{text}"
    );
}

async fn my_work_refuses_a_bad_window_or_kind(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut client = v1::work_service_client::WorkServiceClient::new(server.authed().await);
    let status = client
        .list_my_work(v1::ListMyWorkRequest {
            due_soon_days: 400,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "INVALID_FIELD");
    let status = client
        .list_my_work(v1::ListMyWorkRequest {
            kind: "taak".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_error(&status, Code::InvalidArgument, "INVALID_FIELD");
    // A principal without any role is refused, as for every list (a role comes first).
    let nobody = server.principal("niemand", &[]).await;
    let status = v1::work_service_client::WorkServiceClient::new(server.authed_with(&nobody).await)
        .list_my_work(v1::ListMyWorkRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
}
