//! The server as an operator and a generic client see it: reflection, health, limits, logs,
//! and graceful shutdown without losing acknowledged writes.

// The backend tests are plain async fns, which clippy's allow-unwrap-in-tests does not cover.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use regie_proto::v1;
use regie_tests::raw::{Reflection, call_json};
use regie_tests::{Backend, TestServer, backend_tests};
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;

backend_tests!(
    a_client_with_only_the_address_finds_and_calls_list_departments,
    sigterm_drains_in_flight_calls_and_keeps_every_acknowledged_write,
    the_log_never_shows_the_database_password,
);

async fn a_client_with_only_the_address_finds_and_calls_list_departments(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let channel = server.channel().await;

    let services = Reflection::new(channel.clone())
        .services()
        .await
        .expect("reflection v1");
    for expected in [
        "regie.v1.DirectoryService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
    ] {
        assert!(
            services.iter().any(|s| s == expected),
            "{expected} missing from {services:?}"
        );
    }

    // The request and response types, and the well-known types they use, all come by reflection.
    let response = call_json(
        channel,
        Some(&server.admin_token),
        "regie.v1.DirectoryService/ListDepartments",
        r#"{"filter": "in_sector_rijk = false"}"#,
    )
    .await
    .expect("dynamic call");
    let departments = response["departments"]
        .as_array()
        .expect("departments array");
    assert_eq!(departments.len(), 1);
    assert_eq!(departments[0]["code"], "Defensie");
    assert_eq!(
        departments[0]["inSectorRijk"],
        serde_json::Value::Null,
        "false is the default and omitted"
    );
    assert!(
        departments[0]["createTime"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{response}"
    );
}

#[tokio::test]
async fn reflection_v1alpha_serves_the_same_services() {
    use tokio_stream::StreamExt as _;
    use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;

    let Some(server) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mut client = ServerReflectionClient::new(server.channel().await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("v1alpha")
        .into_inner();
    let response = responses.next().await.expect("a response").expect("ok");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected response {response:?}");
    };
    assert!(
        list.service
            .iter()
            .any(|s| s.name == "regie.v1.DirectoryService")
    );
}

#[tokio::test]
async fn health_reports_the_server_and_each_service() {
    let Some(server) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mut health = server.health().await;
    for service in ["", "regie.v1.DirectoryService"] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .expect("check")
            .into_inner();
        assert_eq!(
            status.status,
            ServingStatus::Serving as i32,
            "service {service:?}"
        );
    }
    let unknown = health
        .check(HealthCheckRequest {
            service: "regie.v1.Nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
}

#[cfg(unix)]
#[tokio::test]
async fn the_sqlite_database_is_readable_by_its_owner_alone() {
    use std::os::unix::fs::PermissionsExt as _;
    let Some(server) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    for name in ["regie.db", "regie.db-wal", "admin.token"] {
        let path = server.data_dir().join(name);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
}

#[tokio::test]
async fn an_oversized_request_is_refused_and_the_server_carries_on() {
    let Some(server) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mut directory = server
        .directory()
        .await
        .max_encoding_message_size(64 * 1024 * 1024);
    let huge = v1::Department {
        code: "HUGE".into(),
        name_nl: "x".repeat(5 * 1024 * 1024),
        ..Default::default()
    };
    let status = directory
        .create_department(v1::CreateDepartmentRequest {
            department: Some(huge),
        })
        .await
        .unwrap_err();
    // RESOURCE_EXHAUSTED, the gRPC convention (and what README.md promises), not tonic's
    // OUT_OF_RANGE.
    regie_tests::errors::assert_error(&status, Code::ResourceExhausted, "MESSAGE_TOO_LARGE");
    assert!(status.message().contains("bytes"), "{status:?}");
    let ok = directory
        .get_department(v1::GetDepartmentRequest {
            name: "departments/AZ".into(),
        })
        .await;
    assert!(ok.is_ok(), "the server still answers");
}

async fn sigterm_drains_in_flight_calls_and_keeps_every_acknowledged_write(backend: Backend) {
    let Some(mut server) = TestServer::start_with(backend, &["--shutdown-timeout", "10"]).await
    else {
        return;
    };
    let directory = server.directory().await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for writer in 0..8 {
        let mut client = directory.clone();
        let stop = stop.clone();
        writers.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for i in 0.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let code = format!("T{writer}x{i}");
                let department = v1::Department {
                    code: code.clone(),
                    name_nl: format!("Test {code}"),
                    name_en: format!("Test {code}"),
                    in_sector_rijk: true,
                    active: true,
                    ..Default::default()
                };
                match client
                    .create_department(v1::CreateDepartmentRequest {
                        department: Some(department),
                    })
                    .await
                {
                    Ok(_) => acknowledged.push(code),
                    // Refused or cut off by the shutdown: not acknowledged, so nothing is promised.
                    Err(_) => break,
                }
            }
            acknowledged
        }));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (exit_code, took) = server.terminate().await;
    stop.store(true, Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.expect("writer task"));
    }
    assert_eq!(
        exit_code,
        Some(0),
        "clean exit; log:\n{}",
        server.log().join("\n")
    );
    assert!(
        took < Duration::from_secs(10),
        "shutdown took {took:?}, beyond its 10 s bound"
    );
    assert!(
        acknowledged.len() > 10,
        "writes were in flight: {} acknowledged",
        acknowledged.len()
    );

    server.restart().await;
    let mut directory = server.directory().await;
    let mut stored = Vec::new();
    let mut token = String::new();
    loop {
        let page = directory
            .list_departments(v1::ListDepartmentsRequest {
                page_size: 1000,
                page_token: token,
                filter: r#"code >= "T" AND code < "U""#.into(),
                order_by: String::new(),
            })
            .await
            .expect("list")
            .into_inner();
        stored.extend(page.departments.into_iter().map(|d| d.code));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|code| !stored.contains(code))
        .collect();
    assert!(
        missing.is_empty(),
        "acknowledged but lost after restart: {missing:?}"
    );
}

async fn the_log_never_shows_the_database_password(backend: Backend) {
    let Some(mut server) = TestServer::start(backend).await else {
        return;
    };
    let _ = server.terminate().await;
    let log = server.log().join("\n");
    assert!(log.contains("database ready"), "{log}");
    if let Some(password) = password_of(&server.database_url) {
        assert!(
            !log.contains(&password),
            "the database password appears in the log:\n{log}"
        );
    }
}

fn password_of(url: &str) -> Option<String> {
    let credentials = url.split("://").nth(1)?.split('@').next()?;
    let (_, password) = credentials.split_once(':')?;
    Some(password.to_owned())
}

#[tokio::test]
async fn health_watchers_see_not_serving_and_do_not_hold_up_shutdown() {
    use tokio_stream::StreamExt as _;

    let Some(mut server) =
        TestServer::start_with(Backend::Sqlite, &["--shutdown-timeout", "20"]).await
    else {
        return;
    };
    let mut health = server.health().await;
    let mut watch = health
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("watch")
        .into_inner();
    let first = watch.next().await.expect("first status").expect("ok");
    assert_eq!(first.status, ServingStatus::Serving as i32);

    let (exit_code, took) = server.terminate().await;
    assert_eq!(exit_code, Some(0));
    assert!(
        took < Duration::from_secs(5),
        "an open health watch held shutdown up for {took:?}:\n{}",
        server.log().join("\n")
    );
    let mut seen = Vec::new();
    while let Some(Ok(update)) = watch.next().await {
        seen.push(update.status);
    }
    assert!(
        seen.contains(&(ServingStatus::NotServing as i32)),
        "watcher saw {seen:?}"
    );
}

#[tokio::test]
async fn an_open_change_feed_ends_cleanly_on_shutdown() {
    use tokio_stream::StreamExt as _;

    let Some(mut server) =
        TestServer::start_with(Backend::Sqlite, &["--shutdown-timeout", "20"]).await
    else {
        return;
    };
    let mut feed = server
        .cases()
        .await
        .watch_events(v1::WatchEventsRequest::default())
        .await
        .expect("watch")
        .into_inner();
    let (exit_code, took) = server.terminate().await;
    assert_eq!(exit_code, Some(0));
    assert!(
        took < Duration::from_secs(5),
        "an open change feed held shutdown up for {took:?}"
    );
    let end = tokio::time::timeout(Duration::from_secs(5), feed.next())
        .await
        .expect("the feed ends");
    assert!(
        end.is_none() || end.is_some_and(|r| r.is_err()),
        "no more events after shutdown"
    );
}
