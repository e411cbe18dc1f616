//! Telemetry end to end: the real server exporting over OTLP into an in-process collector (a
//! tonic server implementing the collector's trace and metrics services), on both backends.

// The backend tests are plain async fns, which clippy's allow-unwrap-in-tests does not cover.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use regie_proto::v1;
use regie_tests::otlp::{self, ReceivedSpan, Receiver};
use regie_tests::{Backend, TestServer, backend_tests};

backend_tests!(
    a_traced_transition_is_one_trace_under_the_callers_span_with_its_metrics_and_logs,
    a_cli_call_and_the_servers_work_share_one_trace,
    with_the_collector_down_calls_keep_their_speed_and_shutdown_keeps_its_bound,
    a_traceparent_forces_sampling_only_for_an_authenticated_caller,
);

/// With a sampler that keeps nothing on its own, a sampled `traceparent` decides only for a
/// caller the server has authenticated: an anonymous flood cannot make it record and export a
/// span per call (issue #12, finding 12).
async fn a_traceparent_forces_sampling_only_for_an_authenticated_caller(backend: Backend) {
    let receiver = Receiver::start().await;
    let mut env = exporting_to(&receiver);
    env.push((
        "OTEL_TRACES_SAMPLER".into(),
        "parentbased_traceidratio".into(),
    ));
    env.push(("OTEL_TRACES_SAMPLER_ARG".into(), "0".into()));
    let Some(server) = start(backend, &env, &[]).await else {
        return;
    };
    let traced = |trace: &str| format!("00-{trace}-{CALLER_SPAN}-01");
    let (known, anonymous, made_up) = (
        "11111111111111111111111111111111",
        "22222222222222222222222222222222",
        "33333333333333333333333333333333",
    );
    // The admin's token is known once it has been used.
    let mut directory = server.directory().await;
    let departments = || v1::ListDepartmentsRequest::default();
    directory.list_departments(departments()).await.unwrap();
    let mut request = tonic::Request::new(departments());
    request
        .metadata_mut()
        .insert("traceparent", traced(known).parse().unwrap());
    directory.list_departments(request).await.unwrap();
    let channel = server.channel().await;
    for (trace, token) in [(anonymous, None), (made_up, Some("Bearer regie_madeup"))] {
        let mut request = tonic::Request::new(departments());
        request
            .metadata_mut()
            .insert("traceparent", traced(trace).parse().unwrap());
        if let Some(token) = token {
            request
                .metadata_mut()
                .insert("authorization", token.parse().unwrap());
        }
        let status = v1::directory_service_client::DirectoryServiceClient::new(channel.clone())
            .list_departments(request)
            .await
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unauthenticated);
    }
    let arrived = receiver
        .wait_for(Duration::from_secs(15), |r| {
            r.spans().iter().any(|s| s.trace_id() == known)
        })
        .await;
    assert!(arrived, "the authenticated caller's trace was kept");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let spans = receiver.spans();
    for trace in [anonymous, made_up] {
        assert!(
            !spans.iter().any(|s| s.trace_id() == trace),
            "an unauthenticated traceparent forced a span: {trace}"
        );
    }
}

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

fn exporting_to(receiver: &Receiver) -> Vec<(String, String)> {
    vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT".into(), receiver.endpoint()),
        ("OTEL_BSP_SCHEDULE_DELAY".into(), "100".into()),
        ("OTEL_METRIC_EXPORT_INTERVAL".into(), "300".into()),
        ("OTEL_SERVICE_NAME".into(), "regie-test".into()),
        (
            "OTEL_RESOURCE_ATTRIBUTES".into(),
            "deployment.environment=test".into(),
        ),
    ]
}

async fn start(backend: Backend, env: &[(String, String)], args: &[&str]) -> Option<TestServer> {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    TestServer::start_with_env(backend, args, &env).await
}

async fn work_item(server: &TestServer) -> v1::Case {
    server
        .cases()
        .await
        .create_case(v1::CreateCaseRequest {
            case: Some(v1::Case {
                kind: "work_item".into(),
                title: "Getraceerd".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
}

fn find<'a>(spans: &'a [ReceivedSpan], name: &str, parent: &str) -> Option<&'a ReceivedSpan> {
    spans
        .iter()
        .find(|s| s.name() == name && s.parent_span_id() == parent)
}

async fn a_traced_transition_is_one_trace_under_the_callers_span_with_its_metrics_and_logs(
    backend: Backend,
) {
    let receiver = Receiver::start().await;
    let Some(server) = start(
        backend,
        &exporting_to(&receiver),
        &["--log", "info,regie_server::rpc=debug"],
    )
    .await
    else {
        return;
    };
    let case = work_item(&server).await;
    // A watcher, so that the gauge of open streams has something to count.
    let mut watch = server
        .cases()
        .await
        .watch_events(v1::WatchEventsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let _ = watch.message().await;

    let mut request = tonic::Request::new(v1::TransitionCaseRequest {
        name: case.name.clone(),
        transition: "accept".into(),
        ..Default::default()
    });
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{TRACE_ID}-{CALLER_SPAN}-01").parse().unwrap(),
    );
    server.cases().await.transition_case(request).await.unwrap();

    // The server span, a child of the caller's, with the RPC conventions' attributes.
    let arrived = receiver
        .wait_for(Duration::from_secs(15), |r| {
            let spans: Vec<ReceivedSpan> = r
                .spans()
                .into_iter()
                .filter(|s| s.trace_id() == TRACE_ID)
                .collect();
            find(&spans, "regie.v1.CaseService/TransitionCase", CALLER_SPAN).is_some_and(|rpc| {
                find(&spans, "store.write", &rpc.span_id()).is_some()
                    && find(&spans, "authenticate", &rpc.span_id()).is_some()
            })
        })
        .await;
    let spans: Vec<ReceivedSpan> = receiver
        .spans()
        .into_iter()
        .filter(|s| s.trace_id() == TRACE_ID)
        .collect();
    assert!(arrived, "spans of the trace: {spans:#?}");
    let rpc = find(&spans, "regie.v1.CaseService/TransitionCase", CALLER_SPAN).unwrap();
    assert_eq!(rpc.span.kind, 2, "SPAN_KIND_SERVER");
    for (key, value) in [
        ("rpc.system", "grpc"),
        ("rpc.service", "regie.v1.CaseService"),
        ("rpc.method", "TransitionCase"),
        ("rpc.grpc.status_code", "0"),
        ("enduser.id", "principals/admin"),
        ("regie.case", case.name.as_str()),
    ] {
        assert_eq!(
            rpc.attribute(key).as_deref(),
            Some(value),
            "{key} in {rpc:#?}"
        );
    }
    assert_eq!(
        rpc.resource_attribute("service.name").as_deref(),
        Some("regie-test")
    );
    assert_eq!(
        rpc.resource_attribute("deployment.environment").as_deref(),
        Some("test")
    );
    // Children: authentication, and the store write, under which the decision runs with the
    // permission check made inside the write.
    let write = find(&spans, "store.write", &rpc.span_id()).unwrap();
    let decide =
        find(&spans, "case.decide", &write.span_id()).expect("case.decide under store.write");
    let check = find(&spans, "authorize", &decide.span_id()).expect("authorize under case.decide");
    assert_eq!(
        check.attribute("regie.action").as_deref(),
        Some("transition:accept")
    );
    assert_eq!(
        check.attribute("regie.decision").as_deref(),
        Some("allowed")
    );
    assert_eq!(write.attribute("regie.batch.size").as_deref(), Some("1"));
    // No secret travels in telemetry.
    for span in &spans {
        for kv in &span.span.attributes {
            let value = otlp::attribute(std::slice::from_ref(kv), &kv.key).unwrap_or_default();
            assert!(!value.contains(&server.admin_token), "token in {}", kv.key);
        }
    }

    // The metrics, with their names and attributes.
    let has = |r: &Receiver, name: &str, wanted: &[(&str, &str)]| {
        r.metric(name).is_some_and(|m| {
            otlp::data_points(&m).iter().any(|point| {
                wanted
                    .iter()
                    .all(|(k, v)| otlp::attribute(point, k).as_deref() == Some(*v))
            })
        })
    };
    let expected: [(&str, &[(&str, &str)]); 6] = [
        (
            "rpc.server.call.duration",
            &[
                ("rpc.method", "TransitionCase"),
                ("rpc.service", "regie.v1.CaseService"),
                ("rpc.grpc.status_code", "0"),
            ],
        ),
        (
            "regie.case.transitions",
            &[
                ("regie.case.kind", "work_item"),
                ("regie.transition", "accept"),
                ("regie.outcome", "applied"),
            ],
        ),
        ("regie.authz.decisions", &[("regie.decision", "allowed")]),
        ("regie.watchers.active", &[]),
        ("regie.store.pool.in_use", &[]),
        ("regie.cases.overdue", &[]),
    ];
    let all = receiver
        .wait_for(Duration::from_secs(15), |r| {
            expected.iter().all(|(name, wanted)| has(r, name, wanted))
        })
        .await;
    let missing: Vec<&str> = expected
        .iter()
        .filter(|(name, wanted)| !has(&receiver, name, wanted))
        .map(|(name, _)| *name)
        .collect();
    assert!(
        all,
        "metrics missing or without their attributes: {missing:?}"
    );
    let pools = receiver.metric("regie.store.pool.in_use").unwrap();
    assert!(
        otlp::data_points(&pools)
            .iter()
            .all(|p| otlp::attribute(p, "regie.pool").is_some())
    );

    // The JSON log line of the call carries the trace and the server span.
    let served = server
        .log()
        .into_iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(&line).ok())
        .find(|line| line["message"] == "served" && line["trace_id"] == TRACE_ID)
        .expect("a `served` line with the trace id");
    assert_eq!(served["span_id"], rpc.span_id().as_str());
    assert_eq!(served["code"], 0);
}

/// The median of `n` GetCase calls, in microseconds.
async fn median_get_micros(server: &TestServer, name: &str, n: usize) -> u128 {
    let mut client = server.cases().await;
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        client
            .get_case(v1::GetCaseRequest {
                name: name.to_owned(),
                ..Default::default()
            })
            .await
            .unwrap();
        times.push(start.elapsed().as_micros());
    }
    times.sort_unstable();
    times[n / 2]
}

async fn with_the_collector_down_calls_keep_their_speed_and_shutdown_keeps_its_bound(
    backend: Backend,
) {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let env = vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT".to_owned(), endpoint),
        ("OTEL_BSP_SCHEDULE_DELAY".to_owned(), "100".to_owned()),
        ("OTEL_METRIC_EXPORT_INTERVAL".to_owned(), "200".to_owned()),
    ];
    let Some(mut down) = start(backend, &env, &[]).await else {
        return;
    };
    let Some(plain) = TestServer::start(backend).await else {
        return;
    };
    let on_down = work_item(&down).await;
    let on_plain = work_item(&plain).await;
    // Warm both up, then measure side by side, several rounds.
    median_get_micros(&down, &on_down.name, 20).await;
    median_get_micros(&plain, &on_plain.name, 20).await;
    let mut ratios = Vec::new();
    for _ in 0..3 {
        let with_down = median_get_micros(&down, &on_down.name, 100).await;
        let without = median_get_micros(&plain, &on_plain.name, 100).await;
        ratios.push((with_down, without));
    }
    // Not a benchmark: a collector that is down must not add anything like a timeout (the
    // exporter's is 10 s) or a retry to a call. Generous for a noisy two-core machine.
    let (with_down, without) = ratios[ratios.len() / 2];
    assert!(
        with_down <= without * 3 + 5_000,
        "median GetCase with the collector down {with_down} µs, without telemetry {without} µs ({ratios:?})"
    );
    // Writes too, while the exporter keeps failing in the background.
    for _ in 0..20 {
        work_item(&down).await;
    }
    let (code, took) = down.terminate().await;
    assert_eq!(code, Some(0), "{}", down.log().join("\n"));
    // The drain is immediate (nothing in flight); the telemetry flush is bounded by 5 s.
    assert!(took < Duration::from_secs(8), "shutdown took {took:?}");
}

async fn a_cli_call_and_the_servers_work_share_one_trace(backend: Backend) {
    let receiver = Receiver::start().await;
    let Some(server) = start(backend, &exporting_to(&receiver), &[]).await else {
        return;
    };
    let case = work_item(&server).await;
    let token = server.admin_token.clone();

    // --trace: a trace of the CLI's own, whose id it prints.
    let out = server
        .cli_as(Some(&token), &["--trace", "cases", "get", &case.name])
        .await;
    out.ok();
    let trace = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("trace "))
        .expect("the trace id on stderr")
        .trim()
        .to_owned();
    assert_eq!(trace.len(), 32);
    let arrived = receiver
        .wait_for(Duration::from_secs(15), |r| {
            r.spans()
                .iter()
                .any(|s| s.trace_id() == trace && s.name() == "regie.v1.CaseService/GetCase")
        })
        .await;
    assert!(arrived, "no GetCase span in trace {trace}");

    // TRACEPARENT: the call joins the caller's trace, under the caller's span.
    let parent = format!("00-{TRACE_ID}-{CALLER_SPAN}-01");
    let out = server
        .cli_with_env(
            Some(&token),
            &["cases", "get", &case.name],
            &[("TRACEPARENT", parent.as_str())],
        )
        .await;
    out.ok();
    assert!(out.stderr.contains(TRACE_ID), "{}", out.stderr);
    let arrived = receiver
        .wait_for(Duration::from_secs(15), |r| {
            find(&r.spans(), "regie.v1.CaseService/GetCase", CALLER_SPAN)
                .is_some_and(|s| s.trace_id() == TRACE_ID)
        })
        .await;
    assert!(arrived, "no GetCase span under the caller's span");

    // Without either, no traceparent is sent: the server's span starts a trace of its own.
    let out = server
        .cli_as(Some(&token), &["cases", "get", &case.name])
        .await;
    out.ok();
    assert!(!out.stderr.contains("trace "), "{}", out.stderr);
}
