//! Three real `regie-server` replicas on one PostgreSQL database (issue #13;
//! docs/architecture.md, "Several replicas"): a cold start race, what one replica changes seen
//! by the others at once (a publication, a revocation, new events, the newest sequence in a
//! heartbeat), a frozen replica that holds the write lock, a database restart and a database
//! outage under load, a background job's lease taken over after kill -9, and a URL with two
//! hosts through a switch-over.
//!
//! The tests that stop or restart PostgreSQL run it on a private cluster of their own
//! (`regie_tests::replicas::PrivatePostgres`), so that the other tests, which share the CI's one
//! cluster, are not disturbed. The tests of this file run one at a time (they measure time on
//! a machine of two cores); without PostgreSQL they are skipped, and they fail with
//! `REGIE_TEST_REQUIRE_POSTGRES=1`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use regie_proto::v1;
use regie_tests::errors::reason;
use regie_tests::replicas::{self, Database, eventually};
use regie_tests::{Authed, TestServer};
use sqlx::Connection as _;
use tokio_stream::StreamExt as _;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;

type Cases = v1::case_service_client::CaseServiceClient<Authed>;

/// One test at a time: they start several servers each and measure how long calls take.
async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    SERIAL.lock().await
}

fn work_item(title: &str) -> v1::Case {
    v1::Case {
        kind: "work_item".into(),
        title: title.into(),
        ..Default::default()
    }
}

async fn create(cases: &mut Cases, title: &str) -> Result<v1::Case, tonic::Status> {
    cases
        .create_case(v1::CreateCaseRequest {
            case: Some(work_item(title)),
            request_id: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn health(server: &TestServer) -> Option<ServingStatus> {
    health_of(server, "").await
}

/// The status of one named health service.
async fn health_of(server: &TestServer, service: &str) -> Option<ServingStatus> {
    let mut client = server.health().await;
    let response = tokio::time::timeout(
        Duration::from_secs(2),
        client.check(HealthCheckRequest {
            service: service.to_owned(),
        }),
    )
    .await
    .ok()?
    .ok()?;
    ServingStatus::try_from(response.into_inner().status).ok()
}

/// A call's failure as the test reports it: its code and reason.
fn describe(status: &tonic::Status) -> String {
    format!(
        "{:?} {} ({})",
        status.code(),
        reason(status),
        status.message()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_started_together_on_an_empty_database_all_serve_in_ten_rounds_of_ten() {
    let _serial = serial().await;
    for round in 0..10 {
        let Some(database) = Database::shared().await else {
            return;
        };
        // Panics with the log of a replica that exited or never became SERVING.
        let mut servers = replicas::start(&database, 3, &[]).await;
        for (i, server) in servers.iter_mut().enumerate() {
            assert!(
                server.is_running(),
                "round {round}: replica {i} exited:\n{}",
                server.log().join("\n")
            );
            assert_eq!(health(server).await, Some(ServingStatus::Serving));
        }
        let made_admin = servers
            .iter()
            .filter(|s| s.data_dir().join("admin.token").exists())
            .count();
        assert_eq!(
            made_admin, 1,
            "round {round}: one replica made the first admin"
        );
        let departments = servers[2]
            .directory()
            .await
            .list_departments(v1::ListDepartmentsRequest {
                page_size: 100,
                ..Default::default()
            })
            .await
            .expect("list departments")
            .into_inner()
            .departments;
        assert_eq!(departments.len(), 15, "round {round}: seeded once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_workflow_published_on_a_is_used_by_the_next_create_case_on_b() {
    let _serial = serial().await;
    let Some(database) = Database::shared().await else {
        return;
    };
    let servers = replicas::start(&database, 3, &[]).await;
    let (a, b) = (&servers[0], &servers[1]);
    let mut on_b = b.cases().await;
    let before = create(&mut on_b, "Voor de publicatie").await.unwrap();
    assert_eq!(before.workflow_version, 1);
    let mut workflows = a.workflows().await;
    let v1 = workflows
        .get_workflow(v1::GetWorkflowRequest {
            name: "workflows/work_item".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let v2 = workflows
        .publish_workflow(v1::PublishWorkflowRequest {
            definition: v1.definition.replace("version = 1", "version = 2"),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v2.version, 2);
    // At once, with no wait for an announcement.
    let after = create(&mut on_b, "Na de publicatie").await.unwrap();
    assert_eq!(after.workflow_version, 2, "B follows A's publication");
    let on_c = create(&mut servers[2].cases().await, "Op C").await.unwrap();
    assert_eq!(on_c.workflow_version, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_revoked_on_a_is_refused_on_every_replica_without_waiting_for_the_poll() {
    let _serial = serial().await;
    let Some(database) = Database::shared().await else {
        return;
    };
    // The poll is a minute away: only the announcement can carry the revocation in time.
    let servers = replicas::start(&database, 3, &["--access-poll-interval", "60000"]).await;
    let a = &servers[0];
    let issued = a
        .access()
        .await
        .issue_token(v1::IssueTokenRequest {
            principal: "principals/admin".into(),
            display_name: "to revoke".into(),
            expire_time: None,
        })
        .await
        .unwrap()
        .into_inner();
    let mut clients = Vec::new();
    for server in &servers {
        let mut client = server.access_as(&issued.secret).await;
        client
            .who_am_i(v1::WhoAmIRequest {})
            .await
            .expect("the token works on every replica");
        clients.push(client);
    }
    a.access()
        .await
        .revoke_token(v1::RevokeTokenRequest {
            name: issued.token.unwrap().name,
        })
        .await
        .unwrap();
    let revoked = Instant::now();
    for (i, client) in clients.iter_mut().enumerate() {
        let status = loop {
            match client.who_am_i(v1::WhoAmIRequest {}).await {
                Err(status) => break status,
                Ok(_) => {
                    assert!(
                        revoked.elapsed() < Duration::from_secs(2),
                        "replica {i} still accepts the revoked token"
                    );
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        };
        assert_eq!(
            status.code(),
            Code::Unauthenticated,
            "{}",
            describe(&status)
        );
        assert_eq!(reason(&status), "TOKEN_REVOKED");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_feed_on_b_delivers_the_writes_made_on_a_in_order_within_moments() {
    let _serial = serial().await;
    let Some(database) = Database::shared().await else {
        return;
    };
    let servers = replicas::start(&database, 3, &[]).await;
    let mut feed = servers[1]
        .cases()
        .await
        .watch_events(v1::WatchEventsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut on_a = servers[0].cases().await;
    let mut latencies = Vec::new();
    let mut last = 0;
    for i in 0..20 {
        let written = Instant::now();
        let case = create(&mut on_a, &format!("Geschreven op A {i}"))
            .await
            .unwrap();
        let event = loop {
            let item = tokio::time::timeout(Duration::from_secs(5), feed.next())
                .await
                .expect("an event within 5 s")
                .expect("the stream is open")
                .expect("no error");
            if let Some(v1::watch_events_response::Item::Event(event)) = item.item {
                break event;
            }
        };
        latencies.push(written.elapsed());
        assert_eq!(event.case, case.name);
        assert!(event.sequence > last, "in order, no duplicate");
        last = event.sequence;
    }
    latencies.sort();
    // The poll would take up to a second; the announcement takes milliseconds.
    let median = latencies[latencies.len() / 2];
    assert!(median < Duration::from_millis(300), "median {median:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_heartbeat_on_a_replica_that_did_not_write_carries_the_newest_sequence_in_the_log() {
    let _serial = serial().await;
    let Some(database) = Database::shared().await else {
        return;
    };
    let servers = replicas::start(&database, 2, &[]).await;
    // B's stream follows a department nobody writes to: it sees no event, only heartbeats.
    let mut feed = servers[1]
        .cases()
        .await
        .watch_events(v1::WatchEventsRequest {
            department: "departments/BZK".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut on_a = servers[0].cases().await;
    let mut last = None;
    for i in 0..5 {
        last = Some(
            create(&mut on_a, &format!("Alleen op A {i}"))
                .await
                .unwrap(),
        );
    }
    // The last write's event is the newest in the log.
    let newest = on_a
        .list_case_events(v1::ListCaseEventsRequest {
            name: last.unwrap().name,
            page_size: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events
        .iter()
        .map(|e| e.sequence)
        .max()
        .unwrap();
    assert!(newest >= 5);
    // The first heartbeat comes after 10 s of quiet.
    let item = tokio::time::timeout(Duration::from_secs(15), feed.next())
        .await
        .expect("a heartbeat within 15 s")
        .expect("the stream is open")
        .expect("no error");
    let Some(v1::watch_events_response::Item::Heartbeat(beat)) = item.item else {
        panic!("an event of a department nobody wrote to: {item:?}");
    };
    assert_eq!(
        beat.last_sequence, newest,
        "the newest sequence in the log, written on A"
    );
}

/// The application name of the session holding the write lock, if any.
async fn write_lock_holder(url: &str) -> Option<String> {
    let mut connection = sqlx::PgConnection::connect(url).await.ok()?;
    let holder: Option<String> = sqlx::query_scalar(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.objid = 7260010 AND l.granted",
    )
    .fetch_optional(&mut connection)
    .await
    .ok()?;
    let _ = connection.close().await;
    holder
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_frozen_replica_holding_the_write_lock_stalls_the_others_no_longer_than_the_lock_timeout()
{
    let _serial = serial().await;
    let Some(database) = Database::shared().await else {
        return;
    };
    const LOCK_TIMEOUT: Duration = Duration::from_millis(1000);
    let servers = replicas::start(
        &database,
        3,
        &[
            "--database-lock-timeout",
            "1000",
            "--database-idle-in-transaction-timeout",
            "2000",
        ],
    )
    .await;
    // A busy replica A: its writer is in a transaction most of the time.
    let stop_load = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for i in 0..12 {
        let mut cases = servers[0].cases().await;
        let stop = stop_load.clone();
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let _ = create(&mut cases, &format!("Last {i}")).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Freeze A at a moment its session holds the write lock.
    let url = database.url();
    let mut frozen = false;
    for _ in 0..100 {
        servers[0].signal("-STOP");
        if write_lock_holder(&url).await.as_deref() == Some("replica-0") {
            frozen = true;
            break;
        }
        servers[0].signal("-CONT");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert!(frozen, "never caught replica A holding the write lock");
    let stopped = Instant::now();
    // B and C write on meanwhile: no call waits longer than the lock timeout (and a margin
    // for a loaded machine), a refusal says why, and once the database has ended A's
    // session (idle in transaction for 2 s) the writes go through.
    let mut outcomes = Vec::new();
    let mut others = [servers[1].cases().await, servers[2].cases().await];
    while stopped.elapsed() < Duration::from_secs(4) {
        for cases in &mut others {
            let started = Instant::now();
            let result = create(cases, "Tijdens de stilstand").await;
            outcomes.push((started.elapsed(), started - stopped, result.map(|_| ())));
        }
    }
    servers[0].signal("-CONT");
    stop_load.store(true, Ordering::Relaxed);
    for task in load {
        let _ = task.await;
    }
    let refused = outcomes.iter().filter(|(_, _, r)| r.is_err()).count();
    let longest = outcomes
        .iter()
        .map(|(took, _, _)| *took)
        .max()
        .unwrap_or_default();
    eprintln!(
        "during the freeze: {} writes on B and C, {refused} refused, the longest took {longest:?}",
        outcomes.len()
    );
    for (took, at, result) in &outcomes {
        assert!(
            *took < LOCK_TIMEOUT + Duration::from_millis(700),
            "a write {at:?} into the freeze waited {took:?}"
        );
        if let Err(status) = result {
            assert_eq!(status.code(), Code::Unavailable, "{}", describe(status));
            assert_eq!(reason(status), "DATABASE_LOCK_TIMEOUT");
        }
    }
    let late: Vec<_> = outcomes
        .iter()
        .filter(|(_, at, _)| *at > Duration::from_secs(3))
        .collect();
    assert!(!late.is_empty());
    assert!(
        late.iter().all(|(_, _, result)| result.is_ok()),
        "writes go through once the frozen session is ended: {:?}",
        late.iter()
            .map(|(_, at, r)| (at, r.as_ref().err().map(describe)))
            .collect::<Vec<_>>()
    );
    // A itself recovers: its next writes succeed.
    let on_a = servers[0].cases().await;
    eventually(
        Duration::from_secs(5),
        "A writes again after SIGCONT",
        || {
            let mut cases = on_a.clone();
            async move { create(&mut cases, "Weer wakker").await.is_ok() }
        },
    )
    .await;
}

/// Calls on every replica until `stop`: each a write then a read; returns every outcome with
/// when it started.
async fn load_every_replica(
    servers: &[TestServer],
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<Vec<(Instant, Result<(), tonic::Status>)>>> {
    let mut tasks = Vec::new();
    for (i, server) in servers.iter().enumerate() {
        for j in 0..2 {
            let stop = stop.clone();
            let mut cases = Cases::new(server.authed().await);
            tasks.push(tokio::spawn(async move {
                let mut outcomes = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let result = tokio::time::timeout(
                        Duration::from_secs(5),
                        create(&mut cases, &format!("Replica {i} taak {j}")),
                    )
                    .await
                    .unwrap_or_else(|_| Err(tonic::Status::deadline_exceeded("5 s")));
                    let failed = result.is_err();
                    let read = match result {
                        Ok(case) => cases
                            .get_case(v1::GetCaseRequest {
                                name: case.name,
                                ..Default::default()
                            })
                            .await
                            .map(|_| ()),
                        Err(status) => Err(status),
                    };
                    outcomes.push((started, read));
                    if failed {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                outcomes
            }));
        }
    }
    tasks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_restart_under_load_gives_no_internal_error_and_every_later_call_succeeds() {
    let _serial = serial().await;
    let Some(database) = Database::private() else {
        return;
    };
    let servers = replicas::start(&database, 3, &[]).await;
    // A watcher on B, which must see every event once, in order, across the restart.
    let mut feed = servers[1]
        .cases()
        .await
        .watch_events(v1::WatchEventsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let watched = tokio::spawn(async move {
        let mut sequences = Vec::new();
        let mut ended = None;
        while let Ok(Some(item)) = tokio::time::timeout(Duration::from_secs(4), feed.next()).await {
            match item {
                Ok(v1::WatchEventsResponse {
                    item: Some(v1::watch_events_response::Item::Event(e)),
                }) => sequences.push(e.sequence),
                Ok(_) => {}
                Err(status) => {
                    ended = Some(status);
                    break;
                }
            }
        }
        (sequences, ended)
    });
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = load_every_replica(&servers, &stop).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    database.cluster().restart();
    let back = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.extend(task.await.unwrap());
    }
    let internal: Vec<String> = outcomes
        .iter()
        .filter_map(|(_, r)| r.as_ref().err())
        .filter(|s| !matches!(s.code(), Code::Unavailable | Code::Aborted))
        .map(describe)
        .collect();
    assert!(
        internal.is_empty(),
        "only UNAVAILABLE or ABORTED: {internal:?}"
    );
    // One second after the database is back, the replicas have found it again.
    let later: Vec<String> = outcomes
        .iter()
        .filter(|(started, _)| *started > back + Duration::from_secs(1))
        .filter_map(|(_, r)| r.as_ref().err())
        .map(describe)
        .collect();
    assert!(later.is_empty(), "every later call succeeds: {later:?}");
    let last_failure = outcomes
        .iter()
        .filter(|(_, r)| r.is_err())
        .map(|(started, _)| started.saturating_duration_since(back))
        .max();
    eprintln!("the last failed call started {last_failure:?} after the database was back");
    let succeeded = outcomes.iter().filter(|(_, r)| r.is_ok()).count();
    eprintln!(
        "restart under load: {} calls, {succeeded} succeeded, the rest UNAVAILABLE or ABORTED",
        outcomes.len()
    );
    assert!(succeeded > 10, "the load ran: {succeeded} calls succeeded");
    let (sequences, ended) = watched.await.unwrap();
    assert!(
        ended.is_none(),
        "the stream survived: {:?}",
        ended.map(|s| describe(&s))
    );
    assert!(!sequences.is_empty());
    let expected: Vec<i64> = (sequences[0]..=*sequences.last().unwrap()).collect();
    assert_eq!(
        sequences, expected,
        "every event once, in order, across the restart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_postgres_stopped_calls_fail_fast_health_is_not_serving_and_all_recover() {
    let _serial = serial().await;
    let Some(database) = Database::private() else {
        return;
    };
    let servers = replicas::start(&database, 3, &[]).await;
    let mut clients = Vec::new();
    for server in &servers {
        let mut cases = server.cases().await;
        create(&mut cases, "Voor de storing").await.unwrap();
        clients.push(cases);
    }
    database.cluster().stop();
    let stopped = Instant::now();
    // At once, before anything else: the first call on each replica fails fast too.
    for cases in &mut clients {
        let started = Instant::now();
        let status = create(cases, "Meteen na het stoppen").await.unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{}", describe(&status));
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "failed after {:?}",
            started.elapsed()
        );
    }
    // Every replica notices and says so.
    for server in &servers {
        eventually(Duration::from_secs(2), "health NOT_SERVING", || async {
            health(server).await == Some(ServingStatus::NotServing)
        })
        .await;
        // A liveness probe sees a running process, not a reason to restart it.
        assert_eq!(
            health_of(server, "liveness").await,
            Some(ServingStatus::Serving)
        );
    }
    // For the rest of the 10 s, every call fails at once with UNAVAILABLE.
    let mut calls = 0;
    while stopped.elapsed() < Duration::from_secs(10) {
        for cases in &mut clients {
            let started = Instant::now();
            let status = create(cases, "Tijdens de storing").await.unwrap_err();
            let took = started.elapsed();
            assert_eq!(status.code(), Code::Unavailable, "{}", describe(&status));
            assert_eq!(reason(&status), "DATABASE_UNAVAILABLE");
            assert!(took < Duration::from_secs(1), "failed after {took:?}");
            calls += 1;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(calls > 30);
    database.cluster().start_again();
    let back = Instant::now();
    // The first write on each replica succeeds within a second of the database's return.
    for (i, cases) in clients.iter_mut().enumerate() {
        loop {
            match create(cases, "Na de storing").await {
                Ok(_) => {
                    eprintln!(
                        "replica {i} wrote {:?} after the database's return",
                        back.elapsed()
                    );
                    break;
                }
                Err(status) => {
                    assert!(
                        back.elapsed() < Duration::from_secs(1),
                        "replica {i} still fails {:?} after the return: {}",
                        back.elapsed(),
                        describe(&status)
                    );
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }
    for server in &servers {
        assert_eq!(health(server).await, Some(ServingStatus::Serving));
    }
}

/// The pid in the scheduler lease's holder (`HOSTNAME:pid:random`), if any replica holds it.
async fn lease_holder_pid(url: &str) -> Option<u32> {
    let mut connection = sqlx::PgConnection::connect(url).await.ok()?;
    let holder: Option<String> = sqlx::query_scalar(
        "SELECT holder FROM leases WHERE name = 'scheduler' AND expire_time > $1",
    )
    .bind(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros() as i64,
    )
    .fetch_optional(&mut connection)
    .await
    .ok()?;
    let _ = connection.close().await;
    holder?.split(':').nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_kill_9_of_the_lease_holder_another_replica_takes_over_its_job() {
    let _serial = serial().await;
    let Some(database) = Database::shared().await else {
        return;
    };
    let mut servers = replicas::start(
        &database,
        3,
        &["--lease-duration", "2", "--scheduler-interval", "1"],
    )
    .await;
    let url = database.url();
    let started = Instant::now();
    let holder = loop {
        if let Some(pid) = lease_holder_pid(&url).await {
            break pid;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "nobody took the lease"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let index = servers
        .iter()
        .position(|s| s.pid() == holder)
        .expect("the holder is one of ours");
    servers[index].signal("-KILL");
    let killed = Instant::now();
    let survivor = &servers[(index + 1) % 3];
    // A case that falls due now: only a running scheduler marks it.
    let due = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let late = survivor
        .cases()
        .await
        .create_case(v1::CreateCaseRequest {
            case: Some(v1::Case {
                due_time: Some(prost_types::Timestamp {
                    seconds: due.as_secs() as i64,
                    nanos: 0,
                }),
                ..work_item("Valt nu")
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let cases = survivor.cases().await;
    eventually(
        Duration::from_secs(8),
        "marked overdue by the new holder",
        || {
            let (mut cases, name) = (cases.clone(), late.name.clone());
            async move {
                cases
                    .get_case(v1::GetCaseRequest {
                        name,
                        ..Default::default()
                    })
                    .await
                    .is_ok_and(|c| c.into_inner().overdue)
            }
        },
    )
    .await;
    let new_holder = lease_holder_pid(&url).await.expect("the lease is held");
    assert_ne!(new_holder, holder);
    drop(servers.remove(index));
    assert!(servers.iter().any(|s| s.pid() == new_holder));
    eprintln!(
        "the job resumed {:?} after kill -9 of its holder",
        killed.elapsed()
    );
}

/// Runs `sql` on the cluster at `url`, one statement at a time.
async fn on_cluster(url: &str, statements: &[&str]) {
    let mut connection = sqlx::PgConnection::connect(url).await.expect("connect");
    for sql in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
            .execute(&mut connection)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let _ = connection.close().await;
}

async fn count_cases(url: &str) -> i64 {
    let mut connection = sqlx::PgConnection::connect(url).await.expect("connect");
    let count = sqlx::query_scalar("SELECT COUNT(*) FROM cases")
        .fetch_one(&mut connection)
        .await
        .expect("count cases");
    let _ = connection.close().await;
    count
}

/// Makes the cluster's sessions read-only, as a standby's are, or read-write again.
async fn set_read_only(url: &str, read_only: bool) {
    let set = if read_only {
        "ALTER SYSTEM SET default_transaction_read_only = on"
    } else {
        "ALTER SYSTEM RESET default_transaction_read_only"
    };
    on_cluster(url, &[set, "SELECT pg_reload_conf()"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_url_with_two_hosts_uses_the_read_write_one_and_follows_a_switch_over() {
    let _serial = serial().await;
    let (Some(first), Some(second)) = (Database::private(), Database::private()) else {
        return;
    };
    let (first_url, second_url) = (first.url(), second.url());
    // Both hold Regie's schema; the second starts as the standby (its sessions read-only).
    let second_admin = TestServer::start_on(&second_url, &[], &[])
        .await
        .admin_token
        .clone();
    set_read_only(&second_url, true).await;
    let address = |url: &str| {
        url.split('@')
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap()
            .to_owned()
    };
    let both = format!(
        "postgres://postgres@{},{}/postgres?target_session_attrs=read-write",
        address(&first_url),
        address(&second_url)
    );
    let server = TestServer::start_on(&both, &[], &[]).await;
    assert!(
        !server.admin_token.is_empty(),
        "the server made its first start on the first"
    );
    create(&mut server.cases().await, "Op de eerste")
        .await
        .unwrap();
    assert_eq!(count_cases(&first_url).await, 1);
    assert_eq!(count_cases(&second_url).await, 0);

    // The switch-over: the first turns standby (and drops its sessions), the second primary.
    set_read_only(&first_url, true).await;
    on_cluster(
        &first_url,
        &["SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
           WHERE application_name = 'regie-server'"],
    )
    .await;
    set_read_only(&second_url, false).await;
    let switched = Instant::now();
    // The second's own admin (made by its own first start above).
    let mut on_second = Cases::new(server.authed_with(&second_admin).await);
    loop {
        match create(&mut on_second, "Op de tweede").await {
            Ok(_) => break,
            Err(status) => {
                assert!(
                    switched.elapsed() < Duration::from_secs(5),
                    "still no write on the new primary: {}",
                    describe(&status)
                );
                assert_eq!(status.code(), Code::Unavailable, "{}", describe(&status));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    eprintln!(
        "the server wrote to the new primary {:?} after the switch-over",
        switched.elapsed()
    );
    assert_eq!(count_cases(&second_url).await, 1);
    assert_eq!(count_cases(&first_url).await, 1);
    drop((first, second));
}
