//! The replica rows (issue #13; docs/architecture.md, "Several replicas"): three real
//! `regie-server` replicas on one fresh PostgreSQL database, measuring what crosses between
//! them and what a replica adds.
//!
//! - feed delivery: a case created on replica A, from A's answer to the event's arrival at a
//!   `WatchEvents` stream open on replica B (target p99 ≤ 50 ms);
//! - revocation to refusal: a token revoked on A, from A's answer to the first refusal on B of
//!   a client that calls with it back to back (target p99 ≤ 100 ms);
//! - TransitionCase throughput with the same clients spread over 1, 2 and 3 replicas of the
//!   same database, in one run.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use regie_proto::v1;
use regie_proto::v1::access_service_client::AccessServiceClient;
use regie_proto::v1::case_service_client::CaseServiceClient;
use regie_tests::replicas::{self, Database};
use regie_tests::{Authed, Bearer};
use tokio_stream::StreamExt as _;
use tonic::service::interceptor::InterceptedService;

use super::cases::TransitionClient;
use super::load::{self, Sample};
use super::measure::{Plan, announce, row};
use super::report::{Measurement, Row};

/// How many writes the feed row times, and how many revocations the revocation row.
const FEED_WRITES: usize = 400;
const REVOCATIONS: usize = 100;

/// Every replica row, on one fresh database.
pub async fn measure(plan: &Plan, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let database = Database::shared()
        .await
        .context("the replica rows need REGIE_TEST_POSTGRES_URL")?;
    let args = plan.server_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // The database outlives the replicas (it is dropped last, with this function's end).
    let servers = replicas::start(&database, 3, &args).await;
    let token = super::measure::bench_principal(&servers[0]).await?;

    announce("postgres", Measurement::FeedAcrossReplicas);
    let sample = feed(&servers[0].cases().await, &servers[1].cases().await).await?;
    rows.push(row("postgres", Measurement::FeedAcrossReplicas, sample));

    announce("postgres", Measurement::RevocationAcrossReplicas);
    let sample = revocation(&servers[0].access().await, &servers[1]).await?;
    rows.push(row(
        "postgres",
        Measurement::RevocationAcrossReplicas,
        sample,
    ));

    for (count, measurement) in [
        (1, Measurement::TransitionOneReplica),
        (2, Measurement::TransitionTwoReplicas),
        (3, Measurement::TransitionThreeReplicas),
    ] {
        announce("postgres", measurement);
        let mut channels = Vec::with_capacity(plan.clients);
        for server in &servers[..count] {
            let plain = load::channels(
                &server.endpoint(),
                plan.clients.div_ceil(count),
                plan.connections,
            )
            .await?;
            channels.extend(
                plain
                    .into_iter()
                    .map(|c| InterceptedService::new(c, Bearer::new(Some(&token)))),
            );
        }
        // Round robin: client i on replica i % count.
        let channels: Vec<Authed> = (0..plan.clients)
            .map(|i| channels[(i % count) * plan.clients.div_ceil(count) + i / count].clone())
            .collect();
        let clients = load::set_up(plan.clients, |i| {
            TransitionClient::set_up(channels[i].clone(), i + 1000 * count)
        })
        .await?;
        // The processor time shown as the server's is replica A's alone.
        let (sample, _) = load::run(clients, plan.window, Some(servers[0].pid())).await?;
        rows.push(row("postgres", measurement, sample));
    }
    drop(servers);
    Ok(())
}

/// Creates cases on `a` one after the other and times each event's arrival on `b`'s feed.
async fn feed(
    a: &CaseServiceClient<Authed>,
    b: &CaseServiceClient<Authed>,
) -> anyhow::Result<Sample> {
    let mut stream = b
        .clone()
        .watch_events(v1::WatchEventsRequest::default())
        .await
        .context("watching on B")?
        .into_inner();
    let (arrived_tx, mut arrived_rx) = tokio::sync::mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        while let Some(Ok(item)) = stream.next().await {
            if let Some(v1::watch_events_response::Item::Event(event)) = item.item
                && arrived_tx.send((event.case, Instant::now())).is_err()
            {
                return;
            }
        }
    });
    let mut a = a.clone();
    let mut acked = HashMap::new();
    let mut errors = std::collections::BTreeMap::new();
    let started = Instant::now();
    for i in 0..FEED_WRITES {
        match a
            .create_case(v1::CreateCaseRequest {
                case: Some(v1::Case {
                    kind: "work_item".into(),
                    title: format!("Feed {i}"),
                    department: "departments/JenV".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
        {
            Ok(case) => {
                acked.insert(case.into_inner().name, Instant::now());
            }
            Err(status) => *errors.entry(load::describe(&status)).or_default() += 1,
        }
        // Spread the writes out a little, as independent clients' would be.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut latencies = Vec::with_capacity(acked.len());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while latencies.len() < acked.len() {
        let Ok(Some((case, at))) = tokio::time::timeout_at(deadline, arrived_rx.recv()).await
        else {
            break;
        };
        if let Some(ack) = acked.get(&case) {
            // An event can arrive before the writer has read its answer: that is 0.
            latencies.push(at.saturating_duration_since(*ack));
        }
    }
    let missing = acked.len() - latencies.len();
    if missing > 0 {
        *errors
            .entry("event not delivered on B within 10 s".to_owned())
            .or_default() += missing as u64;
    }
    reader.abort();
    latencies.sort_unstable();
    Ok(Sample {
        latencies,
        window: started.elapsed(),
        errors,
        cpu: None,
    })
}

/// Revokes tokens on `a` and times the first refusal of each on `b`.
async fn revocation(
    a: &AccessServiceClient<Authed>,
    b: &regie_tests::TestServer,
) -> anyhow::Result<Sample> {
    let mut a = a.clone();
    let mut latencies = Vec::with_capacity(REVOCATIONS);
    let mut errors = std::collections::BTreeMap::new();
    let started = Instant::now();
    for i in 0..REVOCATIONS {
        let issued = a
            .issue_token(v1::IssueTokenRequest {
                principal: "principals/bench".into(),
                display_name: format!("revoked {i}"),
                expire_time: None,
            })
            .await
            .context("issuing a token")?
            .into_inner();
        let mut on_b = AccessServiceClient::new(b.authed_with(&issued.secret).await);
        // B knows (and caches) the token before it is revoked.
        on_b.who_am_i(v1::WhoAmIRequest {})
            .await
            .context("the token works on B")?;
        let name = issued.token.map(|t| t.name).unwrap_or_default();
        a.revoke_token(v1::RevokeTokenRequest { name })
            .await
            .context("revoking on A")?;
        let revoked = Instant::now();
        loop {
            match on_b.who_am_i(v1::WhoAmIRequest {}).await {
                Err(status) if status.code() == tonic::Code::Unauthenticated => {
                    latencies.push(revoked.elapsed());
                    break;
                }
                Err(status) => {
                    *errors.entry(load::describe(&status)).or_default() += 1;
                    break;
                }
                Ok(_) if revoked.elapsed() > Duration::from_secs(10) => {
                    *errors
                        .entry("still accepted 10 s after the revocation".to_owned())
                        .or_default() += 1;
                    break;
                }
                Ok(_) => {}
            }
        }
    }
    latencies.sort_unstable();
    Ok(Sample {
        latencies,
        window: started.elapsed(),
        errors,
        cpu: None,
    })
}

/// The replica rows' verdicts against their targets, and the throughput per replica count.
pub fn print_verdicts(rows: &[Row]) {
    let find = |m: Measurement| rows.iter().find(|r| r.measurement == m).map(|r| &r.sample);
    let ms = |d: Option<Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1e3);
    for (measurement, target_ms) in [
        (Measurement::FeedAcrossReplicas, 50.0),
        (Measurement::RevocationAcrossReplicas, 100.0),
    ] {
        if let Some(sample) = find(measurement) {
            let p99 = ms(sample.percentile(0.99));
            println!(
                "{:<44} p50 {:>7.2} ms  p99 {:>7.2} ms  (target p99 ≤ {target_ms} ms: {})",
                measurement.label(),
                ms(sample.percentile(0.50)),
                p99,
                if p99 <= target_ms { "met" } else { "NOT met" }
            );
        }
    }
    let one = find(Measurement::TransitionOneReplica).map(Sample::ops_per_second);
    for measurement in [
        Measurement::TransitionTwoReplicas,
        Measurement::TransitionThreeReplicas,
    ] {
        if let (Some(one), Some(more)) = (one, find(measurement)) {
            println!(
                "{:<44} {:>7.0} ops/s = {:>5.1} % of one replica's {one:.0}",
                measurement.label(),
                more.ops_per_second(),
                more.ops_per_second() / one * 100.0
            );
        }
    }
    println!(
        "verdict: every case write of every replica takes the one advisory write lock, so \
         replicas add availability, not write throughput; on one machine they also share its \
         cores (see docs/architecture.md, \"Several replicas\")"
    );
}
