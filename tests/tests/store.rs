//! The store conformance suite: the same test functions, in process, over `SqliteStore` (a real
//! file in a temporary directory) and `PgStore` (a fresh PostgreSQL database per test, on the
//! server `REGIE_TEST_POSTGRES_URL` names; skipped with a note without it, failed with
//! `REGIE_TEST_REQUIRE_POSTGRES=1`). Whatever the server relies on from a database is stated
//! here once, so the two backends cannot drift apart in behaviour.

use std::sync::Arc;
use std::time::Duration;

use regie_server::domain::Error;
use regie_server::domain::access::{NewPrincipal, PrincipalId, PrincipalKind, Token, TokenId};
use regie_server::domain::cases::draft::NewCase;
use regie_server::domain::cases::{CaseId, Command, Details};
use regie_server::domain::criteria::{self, CriteriaSetId};
use regie_server::domain::directory::{
    DepartmentCode, GroupId, Member, MemberRef, NewWorkingGroup,
};
use regie_server::domain::listing::{ListParams, ListQuery};
use regie_server::domain::time::Timestamp;
use regie_server::domain::workflow::Workflows;
use regie_server::store::{
    self, CaseCommand, Denial, EventFilter, Rule, SqliteSynchronous, Store, StoreOptions,
};
use regie_tests::PgDatabase;

/// A store under test, with whatever keeps its database alive.
struct Subject {
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
    _postgres: Option<PgDatabase>,
}

fn options(url: String) -> StoreOptions {
    StoreOptions {
        url,
        max_connections: 4,
        sqlite_synchronous: SqliteSynchronous::Normal,
        acquire_timeout: Duration::from_secs(10),
        ..StoreOptions::default()
    }
}

async fn seeded(store: Arc<dyn Store>) -> Arc<dyn Store> {
    let departments = regie_server::seed::departments(None).expect("the built-in departments");
    store
        .seed_departments(departments)
        .await
        .expect("seed departments");
    store
}

async fn sqlite() -> Option<Subject> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("regie.db").display());
    let store = store::open(&options(url)).await.expect("open SQLite");
    Some(Subject {
        store: seeded(store).await,
        _dir: dir,
        _postgres: None,
    })
}

async fn postgres() -> Option<Subject> {
    let database = PgDatabase::create().await?;
    let store = store::open(&options(database.url().to_owned()))
        .await
        .expect("open PostgreSQL");
    Some(Subject {
        store: seeded(store).await,
        _dir: tempfile::tempdir().expect("temporary directory"),
        _postgres: Some(database),
    })
}

/// Each test function, once per backend.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(subject) = super::sqlite().await {
                        super::$name(subject.store.clone()).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(subject) = super::postgres().await {
                        super::$name(subject.store.clone()).await;
                    }
                }
            )*
        }
    };
}

conformance!(
    departments_are_seeded_once_and_change_only_with_a_current_etag,
    working_groups_keep_their_members_in_order,
    cases_are_written_with_their_events_and_read_back,
    lists_filter_order_and_page,
    request_ids_replay_and_refuse_reuse,
    a_bad_write_in_a_burst_costs_no_other_write_its_answer,
    principals_tokens_rules_and_denials,
    criteria_sets_seed_once_and_change_with_their_revision,
    workflows_are_stored_once_per_version,
    a_server_key_is_made_once_and_shared,
);

/// Several servers starting at once each offer a key; all of them get the first one stored.
async fn a_server_key_is_made_once_and_shared(store: Arc<dyn Store>) {
    let mut offers = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        offers.push(tokio::spawn(async move {
            store
                .server_key("page_tokens", &format!("{i:064}"), 1_000)
                .await
                .expect("server key")
        }));
    }
    let mut keys = Vec::new();
    for offer in offers {
        keys.push(offer.await.expect("task"));
    }
    keys.dedup();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let later = store
        .server_key("page_tokens", "something else", 2_000)
        .await
        .expect("server key");
    assert_eq!(later, keys[0]);
}

fn code(text: &str) -> DepartmentCode {
    DepartmentCode::parse("department", text).expect("department code")
}

static PAGE_KEY: std::sync::LazyLock<regie_server::domain::listing::PageKey> =
    std::sync::LazyLock::new(regie_server::domain::listing::PageKey::ephemeral);

fn query(
    spec: &regie_server::domain::listing::ListSpec,
    filter: &str,
    order_by: &str,
    size: i32,
    token: &str,
) -> ListQuery {
    ListQuery::parse(
        spec,
        ListParams {
            page_size: size,
            page_token: token,
            filter,
            order_by,
        },
        &PAGE_KEY,
    )
    .expect("a valid query")
}

fn workflows() -> Arc<Workflows> {
    Arc::new(Workflows::with_defaults().expect("built-in workflows"))
}

fn new_item(title: &str, department: &str, labels: &[&str]) -> NewCase {
    NewCase {
        kind: "work_item".to_owned(),
        title: title.to_owned(),
        description: String::new(),
        department: Some(code(department)),
        working_group: None,
        assignee: String::new(),
        labels: labels.iter().map(|l| (*l).to_owned()).collect(),
        due_time: None,
        parent: None,
        details: Details::WorkItem,
    }
}

fn command(
    id: &CaseId,
    command: Command,
    request_id: &str,
    method: &'static str,
    now: i64,
) -> CaseCommand {
    CaseCommand {
        case_id: id.clone(),
        command,
        actor: "principals/anna".to_owned(),
        request_id: request_id.to_owned(),
        // As the API hashes a request: the same call, the same hash.
        request_hash: format!("{method}:{request_id}"),
        method,
        permit: None,
        actor_roles: None,
        now,
        new_id: CaseId::generate,
    }
}

fn create(id: &CaseId, new: NewCase, request_id: &str, now: i64) -> CaseCommand {
    let create = Command::Create {
        id: id.clone(),
        case: new,
    };
    command(id, create, request_id, "CreateCase", now)
}

fn transition(id: &CaseId, transition: &str, now: i64) -> CaseCommand {
    let transition = Command::Transition {
        transition: transition.to_owned(),
        etag: String::new(),
        comment: String::new(),
    };
    command(id, transition, "", "TransitionCase", now)
}

async fn departments_are_seeded_once_and_change_only_with_a_current_etag(store: Arc<dyn Store>) {
    let seeded = regie_server::seed::departments(None).expect("seed");
    let count = seeded.len();
    assert_eq!(store.seed_departments(seeded).await.expect("again"), 0);
    let all = store
        .list_departments(&query(
            &regie_server::domain::directory::Department::LIST,
            "",
            "",
            100,
            "",
        ))
        .await
        .expect("list");
    assert_eq!(all.items.len(), count);
    let outside = store
        .list_departments(&query(
            &regie_server::domain::directory::Department::LIST,
            "in_sector_rijk = false",
            "",
            100,
            "",
        ))
        .await
        .expect("filter");
    assert_eq!(
        outside
            .items
            .iter()
            .map(|d| d.code.as_str())
            .collect::<Vec<_>>(),
        ["Defensie"]
    );
    let jenv = store.get_department(&code("JenV")).await.expect("JenV");
    let changed = store
        .update_department(
            &code("JenV"),
            &jenv.etag(),
            Box::new(|d| {
                d.name_en = "Ministry of Justice and Security (test)".to_owned();
                Ok(())
            }),
        )
        .await
        .expect("update with the current etag");
    assert_eq!(changed.revision, jenv.revision + 1);
    let stale = store
        .update_department(&code("JenV"), &jenv.etag(), Box::new(|_| Ok(())))
        .await;
    assert!(
        matches!(stale, Err(Error::EtagMismatch { .. })),
        "{stale:?}"
    );
    assert!(matches!(
        store.get_department(&code("Nope")).await,
        Err(Error::NotFound { .. })
    ));
}

async fn working_groups_keep_their_members_in_order(store: Arc<dyn Store>) {
    let id = GroupId::parse("id", "ipim-test").expect("id");
    let members = ["BZK", "JenV", "Fin"]
        .iter()
        .map(|d| Member {
            who: MemberRef::Department(code(d)),
            role: "lid".to_owned(),
        })
        .chain([Member {
            who: MemberRef::Person("Anna de Vries".to_owned()),
            role: "secretaris".to_owned(),
        }])
        .collect::<Vec<_>>();
    let group = NewWorkingGroup {
        id: id.clone(),
        display_name: "IPIM test".to_owned(),
        mandate: String::new(),
        chair_department: code("BZK"),
        members: members.clone(),
    };
    store
        .create_working_group(group.clone())
        .await
        .expect("create");
    assert!(matches!(
        store.create_working_group(group).await,
        Err(Error::AlreadyExists { .. })
    ));
    let stored = store.get_working_group(&id).await.expect("get");
    assert_eq!(stored.members, members);
    let changed = store
        .update_working_group(
            &id,
            &stored.etag(),
            Box::new(|g| {
                g.members.remove(0);
                Ok(())
            }),
        )
        .await
        .expect("update");
    assert_eq!(changed.members, members[1..]);
    assert_eq!(
        store.get_working_group(&id).await.expect("get").members,
        members[1..]
    );
}

async fn cases_are_written_with_their_events_and_read_back(store: Arc<dyn Store>) {
    let w = workflows();
    let id = CaseId::generate();
    let created = store
        .execute(
            w.clone(),
            create(
                &id,
                new_item("Kwaliteitscriteria", "JenV", &["ipim"]),
                "",
                1_000,
            ),
        )
        .await
        .expect("create");
    assert_eq!(created.case.revision, 1);
    assert_eq!(created.events.len(), 1);
    let accepted = store
        .execute(w.clone(), transition(&id, "accept", 2_000))
        .await
        .expect("accept");
    assert_eq!(accepted.case.revision, 2);
    assert_eq!(
        accepted.last_sequence,
        store.last_sequence().await.expect("last")
    );
    let stored = store.get_case(&id).await.expect("get");
    assert_eq!(stored, accepted.case);
    // As it was, by revision and by time.
    assert_eq!(
        store
            .case_as_of(&id, None, Some(1))
            .await
            .expect("revision 1"),
        created.case
    );
    assert_eq!(
        store
            .case_as_of(&id, Some(1_500), None)
            .await
            .expect("at 1.5 ms"),
        created.case
    );
    assert!(matches!(
        store.case_as_of(&id, Some(500), None).await,
        Err(Error::NotFound { .. })
    ));
    // The events, by list and by the feed, and their chain.
    let filter = format!("case = \"{}\"", id.name());
    let events = store
        .list_events(&query(
            &regie_server::domain::cases::audit::StoredEvent::LIST,
            &filter,
            "",
            10,
            "",
        ))
        .await
        .expect("events");
    assert_eq!(
        events
            .items
            .iter()
            .map(|e| e.event_type.as_str())
            .collect::<Vec<_>>(),
        ["case.created", "case.transitioned"]
    );
    let fed = store
        .events_after(
            0,
            10,
            &EventFilter {
                department: Some("JenV".to_owned()),
                ..EventFilter::default()
            },
        )
        .await
        .expect("feed");
    assert_eq!(fed.len(), 2);
    assert!(
        store
            .events_after(
                0,
                10,
                &EventFilter {
                    department: Some("Fin".to_owned()),
                    ..EventFilter::default()
                }
            )
            .await
            .expect("feed")
            .is_empty()
    );
    let report = store.verify_chains(None).await.expect("verify");
    assert_eq!((report.cases, report.events), (1, 2));
    assert!(report.broken.is_empty());
    // A sub-item is found under its parent.
    let child = CaseId::generate();
    let mut item = new_item("Deeltaak", "JenV", &[]);
    item.parent = Some(id.clone());
    store
        .execute(w.clone(), create(&child, item, "", 3_000))
        .await
        .expect("child");
    assert_eq!(
        store
            .children(&id)
            .await
            .expect("children")
            .iter()
            .map(|c| c.id.clone())
            .collect::<Vec<_>>(),
        [child]
    );
    assert_eq!(store.open_cases_not_overdue().await.expect("open").len(), 2);
    assert_eq!(store.count_overdue().await.expect("overdue"), 0);
    assert!(matches!(
        store
            .execute(w, transition(&CaseId::generate(), "accept", 4_000))
            .await,
        Err(Error::NotFound { .. })
    ));
}

async fn lists_filter_order_and_page(store: Arc<dyn Store>) {
    let w = workflows();
    let titles = ["delta", "alpha", "echo", "bravo", "charlie"];
    for (i, title) in titles.iter().enumerate() {
        let department = if i % 2 == 0 { "JenV" } else { "Fin" };
        let labels: &[&str] = if i < 2 { &["first"] } else { &[] };
        store
            .execute(
                w.clone(),
                create(
                    &CaseId::generate(),
                    new_item(title, department, labels),
                    "",
                    1_000 + i as i64,
                ),
            )
            .await
            .expect("create");
    }
    let spec = &regie_server::domain::cases::Case::LIST;
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = store
            .list_cases(&query(spec, "", "title", 2, &token))
            .await
            .expect("page");
        assert!(page.items.len() <= 2);
        seen.extend(page.items.into_iter().map(|c| c.title));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen, ["alpha", "bravo", "charlie", "delta", "echo"]);
    let jenv = store
        .list_cases(&query(
            spec,
            "department = \"departments/JenV\"",
            "title desc",
            10,
            "",
        ))
        .await
        .expect("filtered");
    assert_eq!(
        jenv.items
            .iter()
            .map(|c| c.title.as_str())
            .collect::<Vec<_>>(),
        ["echo", "delta", "charlie"]
    );
    let labelled = store
        .list_cases(&query(
            spec,
            "labels:first AND state = \"proposed\"",
            "",
            10,
            "",
        ))
        .await
        .expect("labels");
    let mut labelled: Vec<String> = labelled.items.into_iter().map(|c| c.title).collect();
    labelled.sort();
    assert_eq!(labelled, ["alpha", "delta"]);
}

async fn request_ids_replay_and_refuse_reuse(store: Arc<dyn Store>) {
    let w = workflows();
    let id = CaseId::generate();
    let first = store
        .execute(
            w.clone(),
            create(&id, new_item("Eens", "JenV", &[]), "req-1", 1_000),
        )
        .await
        .expect("first");
    let again = store
        .execute(
            w.clone(),
            create(
                &CaseId::generate(),
                new_item("Eens", "JenV", &[]),
                "req-1",
                2_000,
            ),
        )
        .await
        .expect("replayed");
    assert!(again.replayed);
    assert_eq!(again.case, first.case);
    assert_eq!(again.events, first.events);
    let reused = store
        .execute(
            w,
            command(
                &id,
                Command::Comment {
                    text: "x".to_owned(),
                },
                "req-1",
                "AddComment",
                3_000,
            ),
        )
        .await;
    let w = workflows();
    assert_eq!(
        reused.err().map(|e| e.reason()),
        Some(regie_server::domain::error::reason::REQUEST_ID_REUSED)
    );
    assert_eq!(store.last_sequence().await.expect("last"), 1);
    // The same id with another request of the same method (a different title): refused.
    let mut retitled = create(
        &CaseId::generate(),
        new_item("Anders", "JenV", &[]),
        "req-1",
        4_000,
    );
    retitled.request_hash = "another request".to_owned();
    assert_eq!(
        store
            .execute(w.clone(), retitled)
            .await
            .err()
            .map(|e| e.reason()),
        Some(regie_server::domain::error::reason::REQUEST_ID_REUSED)
    );
    // Another principal's id of the same text is its own: a new case.
    let mut theirs = create(
        &CaseId::generate(),
        new_item("Eens", "Fin", &[]),
        "req-1",
        5_000,
    );
    theirs.actor = "principals/bert".to_owned();
    let theirs = store.execute(w, theirs).await.expect("bert's own create");
    assert!(!theirs.replayed);
    assert_ne!(theirs.case.id, first.case.id);
    assert_eq!(store.purge_requests(i64::MAX).await.expect("purge"), 2);
}

async fn a_bad_write_in_a_burst_costs_no_other_write_its_answer(store: Arc<dyn Store>) {
    let w = workflows();
    // Twenty writes at once, which the writer takes in as few transactions as it can; one
    // names a department that does not exist, so its statement fails inside a batch.
    let mut writes = Vec::new();
    for i in 0..20 {
        let department = if i == 7 { "Nope" } else { "JenV" };
        let store = store.clone();
        let w = w.clone();
        let id = CaseId::generate();
        writes.push(tokio::spawn(async move {
            let answer = store
                .execute(
                    w,
                    create(
                        &id,
                        new_item(&format!("item {i}"), department, &[]),
                        "",
                        1_000,
                    ),
                )
                .await;
            (i, id, answer)
        }));
    }
    let mut sequences = Vec::new();
    for write in writes {
        let (i, id, answer) = write.await.expect("task");
        if i == 7 {
            assert_eq!(
                answer.err().map(|e| e.reason()),
                Some(regie_server::domain::error::reason::REFERENCED_RESOURCE_MISSING)
            );
            assert!(matches!(
                store.get_case(&id).await,
                Err(Error::NotFound { .. })
            ));
        } else {
            let executed = answer.expect("a good write");
            sequences.extend(executed.events.iter().map(|e| e.sequence));
            assert_eq!(store.get_case(&id).await.expect("stored"), executed.case);
        }
    }
    sequences.sort_unstable();
    assert_eq!(
        sequences,
        (1..=19).collect::<Vec<i64>>(),
        "no gap, no duplicate"
    );
    assert!(
        store
            .verify_chains(None)
            .await
            .expect("verify")
            .broken
            .is_empty()
    );
}

async fn principals_tokens_rules_and_denials(store: Arc<dyn Store>) {
    let admin = NewPrincipal {
        id: PrincipalId::parse("id", "admin").expect("id"),
        display_name: "Administrator".to_owned(),
        kind: PrincipalKind::ServiceAccount,
        home_department: None,
    };
    let token = |principal: &PrincipalId| Token {
        id: TokenId::generate(),
        principal: principal.clone(),
        display_name: "t".to_owned(),
        create_time: Timestamp::from_micros(1_000),
        expire_time: None,
        last_used_time: None,
        revoke_time: None,
    };
    let rule = |values: &[&str]| Rule {
        ptype: "g".to_owned(),
        values: values.iter().map(|v| (*v).to_owned()).collect(),
    };
    let version = store.access_version().await.expect("version");
    let first = token(&admin.id);
    assert!(
        store
            .bootstrap(
                admin.clone(),
                first.clone(),
                "hash-1".to_owned(),
                vec![rule(&["principals/admin", "admin", "rijk"])]
            )
            .await
            .expect("bootstrap")
    );
    assert!(
        !store
            .bootstrap(
                admin.clone(),
                token(&admin.id),
                "hash-2".to_owned(),
                Vec::new()
            )
            .await
            .expect("a second bootstrap changes nothing")
    );
    assert!(store.access_version().await.expect("version") > version);
    let (found, principal) = store
        .token_by_hash("hash-1")
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(
        (found.id, principal.id.clone()),
        (first.id.clone(), admin.id.clone())
    );
    assert!(
        store
            .token_by_hash("hash-2")
            .await
            .expect("lookup")
            .is_none()
    );

    let anna = store
        .create_principal(NewPrincipal {
            id: PrincipalId::parse("id", "anna").expect("id"),
            display_name: "Anna".to_owned(),
            kind: PrincipalKind::Person,
            home_department: Some(code("JenV")),
        })
        .await
        .expect("create");
    let disabled = store
        .update_principal(
            &anna.id,
            &anna.revision.to_string(),
            Box::new(|p| {
                p.disabled = true;
                Ok(())
            }),
        )
        .await
        .expect("disable");
    assert!(disabled.disabled);
    assert!(matches!(
        store
            .update_principal(&anna.id, &anna.revision.to_string(), Box::new(|_| Ok(())))
            .await,
        Err(Error::EtagMismatch { .. })
    ));

    let revoked = store
        .revoke_token(&first.id, Timestamp::from_micros(5_000))
        .await
        .expect("revoke");
    assert_eq!(revoked.revoke_time, Some(Timestamp::from_micros(5_000)));
    let again = store
        .revoke_token(&first.id, Timestamp::from_micros(9_000))
        .await
        .expect("again");
    assert_eq!(
        again.revoke_time,
        Some(Timestamp::from_micros(5_000)),
        "the first revocation stays"
    );

    let grant = rule(&["principals/anna", "integrity_coordinator", "JenV"]);
    assert_eq!(
        store
            .add_rules(vec![grant.clone(), grant.clone()])
            .await
            .expect("add"),
        1
    );
    assert_eq!(
        store
            .add_rules(vec![grant.clone()])
            .await
            .expect("add again"),
        0
    );
    assert!(store.rules().await.expect("rules").contains(&grant));
    assert_eq!(
        store
            .remove_rules(vec![grant.clone()])
            .await
            .expect("remove"),
        1
    );
    assert!(!store.rules().await.expect("rules").contains(&grant));

    let denial = |n: i64| Denial {
        time: Timestamp::from_micros(n),
        principal: "principals/anna".to_owned(),
        method: "/regie.v1.CaseService/GetCase".to_owned(),
        object: "case:work_item".to_owned(),
        action: "read".to_owned(),
        domain: "Fin".to_owned(),
        reason: "PERMISSION_DENIED".to_owned(),
        suppressed: 0,
    };
    store
        .record_denials(vec![denial(1), denial(2), denial(3)])
        .await
        .expect("record");
    let newest = store.list_denials(2).await.expect("list");
    assert_eq!(newest, [denial(3), denial(2)]);
}

async fn criteria_sets_seed_once_and_change_with_their_revision(store: Arc<dyn Store>) {
    assert!(
        store
            .seed_criteria_template(criteria::template(1_000))
            .await
            .expect("seed")
    );
    assert!(
        !store
            .seed_criteria_template(criteria::template(2_000))
            .await
            .expect("again")
    );
    let template = CriteriaSetId::from_name("name", "criteriaSets/template").expect("id");
    let set = store.get_criteria_set(&template).await.expect("template");
    assert!(!set.criteria.is_empty());
    let etag = set.etag();
    let published = store
        .update_criteria_set(&template, Box::new(move |s| s.publish(&etag, 3_000)))
        .await
        .expect("publish");
    assert!(published.revision > set.revision);
    let stale = set.etag();
    assert!(
        store
            .update_criteria_set(&template, Box::new(move |s| s.retire(&stale, 4_000)))
            .await
            .is_err()
    );
}

async fn workflows_are_stored_once_per_version(store: Arc<dyn Store>) {
    let w = workflows();
    let definition = w.latest("work_item").expect("work_item");
    store.save_workflow(definition, 1_000).await.expect("save");
    assert!(matches!(
        store.save_workflow(definition, 2_000).await,
        Err(Error::AlreadyExists { .. })
    ));
    let stored = store.stored_workflows().await.expect("stored");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].publish_time, 1_000);
    assert_eq!(stored[0].source, definition.source());
}
