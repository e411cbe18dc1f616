//! The `regie` CLI against a real server, as a person or a script uses it: output, errors on
//! stderr with their reason and fields, and an exit code per class of error.

// The backend tests are plain async fns, which clippy's allow-unwrap-in-tests does not cover.
#![allow(clippy::unwrap_used)]

use regie_tests::{Backend, TestServer, backend_tests};

backend_tests!(
    the_cli_tour_from_the_readme_works,
    errors_print_code_reason_and_fields_with_their_exit_code,
    a_work_item_goes_from_proposed_to_done_through_the_cli,
    login_whoami_tokens_roles_and_access_check_through_the_cli,
    a_new_profile_starts_from_the_current_profiles_server,
    cases_get_lists_sub_items_and_cases_list_filters_by_working_group,
    after_time_blocked_cases_show_the_effective_due_date_and_the_original,
);

async fn the_cli_tour_from_the_readme_works(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };

    assert_eq!(server.cli(&["health"]).await.ok().trim(), "SERVING");

    let table = server.cli(&["departments", "list"]).await;
    let rows: Vec<&str> = table.ok().lines().filter(|l| l.starts_with('│')).collect();
    assert_eq!(
        rows.len(),
        16,
        "a header and 15 departments:\n{}",
        table.stdout
    );
    let defensie = rows
        .iter()
        .find(|r| r.contains("Defensie"))
        .expect("Defensie listed");
    assert!(
        defensie.contains(" no "),
        "Defensie is outside the sector Rijk: {defensie}"
    );

    let json = server
        .cli(&[
            "--output",
            "json",
            "departments",
            "list",
            "--filter",
            "in_sector_rijk = true",
        ])
        .await;
    let value: serde_json::Value = serde_json::from_str(json.ok()).expect("JSON output");
    assert_eq!(value["departments"].as_array().map(Vec::len), Some(14));

    let paged = server
        .cli(&[
            "--output",
            "json",
            "departments",
            "list",
            "--all",
            "--page-size",
            "4",
        ])
        .await;
    let value: serde_json::Value = serde_json::from_str(paged.ok()).expect("JSON output");
    assert_eq!(value["departments"].as_array().map(Vec::len), Some(15));

    let jenv = server.cli(&["departments", "get", "JenV"]).await;
    assert!(jenv.ok().contains("Ministry of Justice and Security"));

    server
        .cli(&[
            "departments",
            "create",
            "--code",
            "NCTV",
            "--name-nl",
            "Nationaal Coördinator",
            "--name-en",
            "National Coordinator",
        ])
        .await
        .ok();
    let updated = server
        .cli(&[
            "--output",
            "json",
            "departments",
            "update",
            "NCTV",
            "--active",
            "false",
            "--etag",
            "1",
        ])
        .await;
    let value: serde_json::Value = serde_json::from_str(updated.ok()).expect("JSON output");
    assert_eq!(value["active"], false);
    assert_eq!(value["etag"], "2");

    server
        .cli(&[
            "groups",
            "create",
            "--id",
            "ipim-kwaliteit",
            "--name",
            "IPIM werkgroep kwaliteitscriteria",
            "--chair",
            "BZK",
            "--member-department",
            "JenV:secretary",
            "--member-person",
            "Anna de Vries",
        ])
        .await
        .ok();
    server
        .cli(&[
            "groups",
            "add-member",
            "ipim-kwaliteit",
            "--department",
            "Fin",
            "--role",
            "member",
        ])
        .await
        .ok();
    server
        .cli(&[
            "groups",
            "remove-member",
            "ipim-kwaliteit",
            "--person",
            "Anna de Vries",
        ])
        .await
        .ok();
    let group = server
        .cli(&[
            "--output",
            "json",
            "groups",
            "get",
            "workingGroups/ipim-kwaliteit",
        ])
        .await;
    let value: serde_json::Value = serde_json::from_str(group.ok()).expect("JSON output");
    let members: Vec<&str> = value["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["department"].as_str())
        .collect();
    assert_eq!(members, ["departments/JenV", "departments/Fin"]);
    let groups = server.cli(&["groups", "list"]).await;
    assert!(groups.ok().contains("ipim-kwaliteit"));
}

async fn errors_print_code_reason_and_fields_with_their_exit_code(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };

    let missing = server.cli(&["departments", "get", "NOPE"]).await;
    assert_eq!(missing.code, Some(4), "{missing:?}");
    assert!(
        missing.stderr.contains("NOT_FOUND") && missing.stderr.contains("reason: NOT_FOUND"),
        "{}",
        missing.stderr
    );

    let invalid = server
        .cli(&[
            "departments",
            "create",
            "--code",
            "X1",
            "--name-nl",
            "",
            "--name-en",
            "y",
        ])
        .await;
    assert_eq!(invalid.code, Some(3), "{invalid:?}");
    assert!(
        invalid
            .stderr
            .contains("field department.name_nl: is required"),
        "{}",
        invalid.stderr
    );

    let stale = server
        .cli(&[
            "departments",
            "update",
            "AZ",
            "--name-en",
            "General Affairs",
            "--etag",
            "7",
        ])
        .await;
    assert_eq!(stale.code, Some(5), "{stale:?}");
    assert!(
        stale.stderr.contains("reason: ETAG_MISMATCH"),
        "{}",
        stale.stderr
    );

    let usage = server.cli(&["departments", "update", "AZ"]).await;
    assert_eq!(
        usage.code,
        Some(2),
        "an update without a change is a usage error: {usage:?}"
    );

    // A server that is not there.
    let mut gone = server;
    let _ = gone.terminate().await;
    let unreachable = gone.cli(&["health"]).await;
    assert_eq!(unreachable.code, Some(8), "{unreachable:?}");
    assert!(
        unreachable.stderr.contains(&gone.address.to_string()),
        "names the server: {}",
        unreachable.stderr
    );
}

async fn a_work_item_goes_from_proposed_to_done_through_the_cli(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let created = server
        .cli(&[
            "--output",
            "json",
            "cases",
            "create",
            "--kind",
            "work_item",
            "--title",
            "Kwaliteitscriteria",
            "--department",
            "JenV",
        ])
        .await;
    let case: serde_json::Value = serde_json::from_str(created.ok()).expect("JSON case");
    let name = case["name"].as_str().expect("a name").to_owned();
    assert_eq!(case["state"], "proposed");

    let refused = server
        .cli(&["cases", "transition", &name, "complete"])
        .await;
    assert_eq!(refused.code, Some(6), "{refused:?}");
    assert!(
        refused.stderr.contains("TRANSITION_NOT_ALLOWED"),
        "{}",
        refused.stderr
    );

    server
        .cli(&["cases", "transition", &name, "accept"])
        .await
        .ok();
    let guarded = server.cli(&["cases", "transition", &name, "start"]).await;
    assert_eq!(guarded.code, Some(6), "{guarded:?}");
    assert!(
        guarded.stderr.contains("work_item.assignee_required"),
        "{}",
        guarded.stderr
    );
    assert!(
        guarded.stderr.contains("assignee"),
        "the rule's sentence is printed: {}",
        guarded.stderr
    );
    // Once: not on the error line, a `precondition` line and the `✗` line alike.
    assert_eq!(
        guarded
            .stderr
            .matches("Work on an item starts only once it has an assignee.")
            .count(),
        1,
        "{}",
        guarded.stderr
    );
    assert!(
        guarded
            .stderr
            .contains("✗ work_item.assignee_required: Work on an item starts"),
        "{}",
        guarded.stderr
    );

    let transitions = server.cli(&["cases", "transitions", &name]).await;
    assert!(transitions.ok().contains("work_item.assignee_required"));

    server
        .cli(&["cases", "update", &name, "--assignee", "anna.devries"])
        .await
        .ok();
    for step in ["start", "submit_for_review", "complete"] {
        server.cli(&["cases", "transition", &name, step]).await.ok();
    }
    let done = server
        .cli(&["--output", "json", "cases", "get", &name])
        .await;
    let done: serde_json::Value = serde_json::from_str(done.ok()).expect("JSON case");
    assert_eq!(done["state"], "done");

    let history = server.cli(&["cases", "history", &name]).await;
    assert!(
        history.ok().contains("in_review → done"),
        "{}",
        history.stdout
    );
    let verify = server.cli(&["audit", "verify"]).await;
    assert!(verify.ok().contains("valid"), "{}", verify.stdout);
    let rules = server.cli(&["workflows", "rules"]).await;
    assert!(rules.ok().contains("decree.consulted_before_adoption"));
    assert!(
        rules.stdout.contains("SENTENCE (NL)") && rules.stdout.contains("SENTENCE (EN)"),
        "Dutch and English: {}",
        rules.stdout
    );
    let english = server.cli(&["workflows", "rules", "--lang", "en"]).await;
    assert!(
        english.ok().contains("SENTENCE (EN)") && !english.stdout.contains("SENTENCE (NL)"),
        "{}",
        english.stdout
    );
    let json = server
        .cli(&["--output", "json", "workflows", "rules", "--lang", "en"])
        .await;
    let json: serde_json::Value = serde_json::from_str(json.ok()).expect("JSON rules");
    assert!(
        json["rules"][0]["sentenceNl"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "JSON keeps both languages: {json}"
    );
    let diagram = server.cli(&["workflows", "diagram", "work_item"]).await;
    assert!(diagram.ok().contains("stateDiagram"));
}

async fn login_whoami_tokens_roles_and_access_check_through_the_cli(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    // Without a token or a profile, the CLI says what to do.
    let refused = server.cli_as(None, &["departments", "list"]).await;
    assert_eq!(refused.code, Some(7), "{refused:?}");
    assert!(refused.stderr.contains("regie login"), "{}", refused.stderr);

    // Log in: the profile keeps the server and the token, in a file only the user can read.
    let login = server
        .cli_as(None, &["login", "--token", &server.admin_token])
        .await;
    login.ok();
    let profiles = server.data_dir().join("cli-config").join("profiles.toml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&profiles).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let whoami = server.cli_as(None, &["whoami"]).await;
    assert!(
        whoami.ok().contains("principals/admin"),
        "{}",
        whoami.stdout
    );

    // A new principal with a role and a token, all through the CLI.
    server
        .cli(&[
            "principals",
            "create",
            "anna",
            "--display-name",
            "Anna de Vries",
            "--home-department",
            "JenV",
        ])
        .await
        .ok();
    server
        .cli(&[
            "roles",
            "grant",
            "--principal",
            "anna",
            "--role",
            "member",
            "--domain",
            "JenV",
        ])
        .await
        .ok();
    let issued = server
        .cli(&[
            "--output",
            "json",
            "tokens",
            "issue",
            "--principal",
            "anna",
            "--expires-in",
            "1h",
        ])
        .await;
    let secret = serde_json::from_str::<serde_json::Value>(issued.ok()).unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let anna = server.cli_as(Some(&secret), &["whoami"]).await;
    assert!(anna.ok().contains("member"), "{}", anna.stdout);
    let roles = server.cli(&["roles", "list", "--principal", "anna"]).await;
    assert!(roles.ok().contains("JenV"), "{}", roles.stdout);

    // access check: exit 0 when allowed, 7 when not, with the deciding lines.
    let allowed = server
        .cli(&[
            "access",
            "check",
            "--principal",
            "anna",
            "--domain",
            "JenV",
            "--object",
            "case:work_item",
            "--action",
            "comment",
        ])
        .await;
    assert!(allowed.ok().contains("ALLOWED"), "{}", allowed.stdout);
    assert!(allowed.stdout.contains("member"), "{}", allowed.stdout);
    let denied = server
        .cli(&[
            "access",
            "check",
            "--principal",
            "anna",
            "--domain",
            "BZK",
            "--object",
            "case:work_item",
            "--action",
            "comment",
        ])
        .await;
    assert_eq!(denied.code, Some(7), "{denied:?}");
    assert!(denied.stdout.contains("DENIED"), "{}", denied.stdout);

    // Revoked through the CLI: refused on the next call.
    let tokens = server
        .cli(&["--output", "json", "tokens", "list", "--principal", "anna"])
        .await;
    let listed: serde_json::Value = serde_json::from_str(tokens.ok()).unwrap();
    let name = listed["tokens"][0]["name"].as_str().unwrap().to_owned();
    server.cli(&["tokens", "revoke", &name]).await.ok();
    let after = server.cli_as(Some(&secret), &["whoami"]).await;
    assert_eq!(after.code, Some(7), "{after:?}");

    // ... and the refusal is in the audit.
    let denials = server.cli(&["audit", "denials"]).await;
    assert!(denials.ok().contains("TOKEN_REVOKED"), "{}", denials.stdout);
}

async fn a_new_profile_starts_from_the_current_profiles_server(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    // The default profile knows this server (from --server).
    server
        .cli_as(None, &["login", "--token", &server.admin_token])
        .await
        .ok();
    // A new profile, without --server: this server, not the built-in 127.0.0.1:50051.
    let login = server
        .cli_without_server(
            None,
            &[
                "--profile",
                "coordinator",
                "login",
                "--token",
                &server.admin_token,
            ],
        )
        .await;
    assert!(
        login
            .ok()
            .starts_with(&format!("logged in to {} as", server.endpoint())),
        "{}",
        login.stdout
    );
    assert!(
        login
            .stderr
            .contains("starts from the server of profile `default`"),
        "{}",
        login.stderr
    );
    let whoami = server
        .cli_without_server(None, &["--profile", "coordinator", "whoami"])
        .await;
    assert!(
        whoami.ok().contains("principals/admin"),
        "{}",
        whoami.stdout
    );
    let profiles =
        std::fs::read_to_string(server.data_dir().join("cli-config").join("profiles.toml"))
            .unwrap();
    assert!(profiles.contains("[profiles.coordinator]"), "{profiles}");
}

async fn cases_get_lists_sub_items_and_cases_list_filters_by_working_group(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    server
        .cli(&[
            "groups",
            "create",
            "--id",
            "ipim-kwaliteit",
            "--name",
            "IPIM werkgroep kwaliteitscriteria",
            "--chair",
            "BZK",
        ])
        .await
        .ok();
    let create = async |args: &[&str]| {
        let mut all = vec!["--output", "json", "cases", "create", "--kind", "work_item"];
        all.extend_from_slice(args);
        let created: serde_json::Value = serde_json::from_str(server.cli(&all).await.ok()).unwrap();
        created["name"].as_str().unwrap().to_owned()
    };
    let parent = create(&[
        "--title",
        "Kwaliteitscriteria opstellen",
        "--working-group",
        "ipim-kwaliteit",
    ])
    .await;
    let child = create(&[
        "--title",
        "Deelvraag integriteitsrisico's",
        "--parent",
        &parent,
    ])
    .await;
    create(&["--title", "Los actiepunt"]).await;

    let shown = server.cli(&["cases", "get", &parent]).await;
    let shown = shown.ok();
    assert!(shown.contains("sub-items (1):"), "{shown}");
    assert!(shown.contains("Deelvraag integriteitsrisico's"), "{shown}");
    assert!(
        shown.contains(child.trim_start_matches("cases/")),
        "{shown}"
    );
    assert!(!shown.contains("Los actiepunt"), "{shown}");
    let leaf = server.cli(&["cases", "get", &child]).await;
    assert!(!leaf.ok().contains("sub-items"), "{}", leaf.stdout);
    // JSON stays the Case message alone.
    let json = server
        .cli(&["--output", "json", "cases", "get", &parent])
        .await;
    let json: serde_json::Value = serde_json::from_str(json.ok()).unwrap();
    assert_eq!(json["name"], parent.as_str());

    let listed = server
        .cli(&["cases", "list", "--working-group", "ipim-kwaliteit"])
        .await;
    let listed = listed.ok();
    assert!(listed.contains("Kwaliteitscriteria opstellen"), "{listed}");
    assert!(!listed.contains("Los actiepunt"), "{listed}");
}

/// The time (micros since the epoch) of a protobuf timestamp.
fn micros(t: Option<&prost_types::Timestamp>) -> i64 {
    let t = t.expect("a time");
    t.seconds * 1_000_000 + i64::from(t.nanos) / 1_000
}

async fn after_time_blocked_cases_show_the_effective_due_date_and_the_original(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    // Due two seconds before midnight, so that a few seconds blocked move it to the next day.
    let created = server
        .cli(&[
            "--output",
            "json",
            "cases",
            "create",
            "--kind",
            "work_item",
            "--title",
            "Notitie kwaliteitscriteria",
            "--assignee",
            "anna.devries",
            "--due",
            "2030-01-01T23:59:58Z",
        ])
        .await;
    let created: serde_json::Value = serde_json::from_str(created.ok()).unwrap();
    let name = created["name"].as_str().unwrap().to_owned();
    assert_eq!(created["effectiveDueTime"], "2030-01-01T23:59:58Z");
    for step in ["accept", "start", "block"] {
        server.cli(&["cases", "transition", &name, step]).await.ok();
    }
    let get = || async {
        server
            .cases()
            .await
            .get_case(regie_proto::v1::GetCaseRequest {
                name: name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
    };
    // While blocked, the effective due time moves on with the clock that stands still.
    let first = get().await;
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let later = get().await;
    let due = micros(first.due_time.as_ref());
    assert!(micros(first.effective_due_time.as_ref()) >= due);
    assert!(
        micros(later.effective_due_time.as_ref())
            >= micros(first.effective_due_time.as_ref()) + 1_000_000,
        "{first:?}\n{later:?}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    server
        .cli(&["cases", "transition", &name, "unblock"])
        .await
        .ok();

    // Running again, it is the due time plus exactly the time spent blocked, and stays there.
    let resumed = get().await;
    let events = server
        .cases()
        .await
        .list_case_events(regie_proto::v1::ListCaseEventsRequest {
            name: name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    let time_of = |transition: &str| {
        micros(
            events
                .iter()
                .find(|e| e.transition == transition)
                .and_then(|e| e.time.as_ref()),
        )
    };
    let blocked_for = time_of("unblock") - time_of("block");
    assert!(blocked_for >= 3_000_000, "{blocked_for}");
    assert_eq!(
        micros(resumed.effective_due_time.as_ref()),
        due + blocked_for
    );
    assert_eq!(
        micros(resumed.due_time.as_ref()),
        due,
        "the due time as set stays"
    );
    assert!(!resumed.overdue);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    assert_eq!(get().await.effective_due_time, resumed.effective_due_time);

    // `get` and `list` show the effective due date, and the one set.
    let shown = server.cli(&["cases", "get", &name]).await;
    let due_row = shown
        .ok()
        .lines()
        .find(|l| l.starts_with("│ DUE "))
        .unwrap_or_else(|| panic!("{}", shown.stdout));
    assert!(
        due_row.contains("2030-01-02T00:00:0") && due_row.contains("(was 2030-01-01T23:59:58Z)"),
        "{due_row}"
    );
    let listed = server.cli(&["cases", "list", "--kind", "work_item"]).await;
    assert!(
        listed.ok().contains("2030-01-02 (was 2030-01-01)"),
        "{}",
        listed.stdout
    );
    // A case as it was while blocked has its effective due time as it stood then.
    let blocked_revision = resumed.revision - 1;
    let then = server
        .cases()
        .await
        .get_case(regie_proto::v1::GetCaseRequest {
            name: name.clone(),
            revision: blocked_revision,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(then.state, "blocked");
    assert_eq!(then.effective_due_time, then.due_time);
}
