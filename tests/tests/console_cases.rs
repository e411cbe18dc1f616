//! The console's case flows in a real browser (issue #15; docs/architecture.md, "Console"),
//! each as the role that does it: the secretariat creates a work item with two sub-items,
//! assigns it and moves it to done, refused `complete` while a sub-item is open; a stale edit is
//! caught and shows what changed; time travel shows the old title; a JenV integrity
//! coordinator sees their work and cannot open a Fin case. axe-core runs on every page kind.

// The backend tests are plain async fns, which clippy's allow-unwrap-in-tests does not cover.
#![allow(clippy::unwrap_used)]

use fantoccini::Locator;
use regie_proto::v1;
use regie_tests::browser::Browser;
use regie_tests::{Backend, TestServer, backend_tests};

backend_tests!(
    the_secretariat_creates_an_item_with_two_sub_items_assigns_it_and_moves_it_to_done,
    a_stale_edit_is_caught_and_shows_what_changed_and_time_travel_shows_the_old_title,
    a_jenv_coordinator_sees_their_work_and_cannot_open_a_fin_case,
);

/// The id in a case page's path (`/cases/{id}`).
async fn case_in_path(browser: &Browser) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let path = browser.path().await;
        if let Some(id) = path.strip_prefix("/cases/")
            && !id.contains('/')
            && id != "new"
        {
            return id.to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not on a case page: {path}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Creates a work item through the new-case form (of a sub-item when opened from its parent).
async fn fill_and_create(browser: &Browser, title: &str) -> String {
    browser.source_with("f-title").await;
    browser.fill("f-title", title).await;
    browser
        .fill("f-description", &format!("{title}: wat er moet gebeuren."))
        .await;
    browser.click_button("Aanmaken").await;
    browser.source_with(title).await;
    case_in_path(browser).await
}

async fn a_transition(server: &TestServer, token: &str, case: &str, transition: &str) {
    let mut cases = server.cases_as(token).await;
    let current = cases
        .get_case(v1::GetCaseRequest {
            name: format!("cases/{case}"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    cases
        .transition_case(v1::TransitionCaseRequest {
            name: current.name,
            transition: transition.into(),
            etag: current.etag,
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{transition} on {case}: {e}"));
}

async fn the_secretariat_creates_an_item_with_two_sub_items_assigns_it_and_moves_it_to_done(
    backend: Backend,
) {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let console = format!("http://{}", server.console_address.expect("the console"));
    let sec = server.principal("sec", &[("secretariat", "rijk")]).await;
    browser.sign_in(&console, &sec).await;
    assert_eq!(browser.path_becomes("/").await, "/");

    // The new-case form, from the case list.
    browser
        .client
        .goto(&format!("{console}/cases"))
        .await
        .unwrap();
    browser.click_link("Nieuwe zaak").await;
    assert_eq!(browser.path_becomes("/cases/new").await, "/cases/new");
    browser.assert_accessible("new case").await;
    // A title left empty is refused beside its field (the browser's own check switched off,
    // as a client without it would send it).
    browser
        .client
        .execute(
            "document.querySelector('main form').noValidate = true;",
            vec![],
        )
        .await
        .unwrap();
    browser.click_button("Aanmaken").await;
    let refused = browser.source_with("f-title-error").await;
    assert!(refused.contains("id=\"f-title-error\""), "{refused}");
    assert!(
        refused.contains("aria-describedby=\"f-title-error\""),
        "the error is tied to its field: {refused}"
    );
    browser.assert_accessible("new case, refused").await;
    let parent = fill_and_create(&browser, "Jaarplan IPIM 2027").await;
    browser.assert_accessible("case page").await;

    // Two sub-items, each from the parent's page.
    let mut children = Vec::new();
    for title in ["Inventarisatie departementen", "Conceptjaarplan schrijven"] {
        browser
            .client
            .goto(&format!("{console}/cases/{parent}"))
            .await
            .unwrap();
        browser.click_link("Nieuw subitem").await;
        let form = browser.source_with("Subitem van").await;
        assert!(form.contains(&parent), "{form}");
        children.push(fill_and_create(&browser, title).await);
    }
    browser
        .client
        .goto(&format!("{console}/cases/{parent}"))
        .await
        .unwrap();
    let page = browser.source_with("Conceptjaarplan schrijven").await;
    assert!(
        page.contains("Inventarisatie departementen") && page.contains("Conceptjaarplan schrijven"),
        "both sub-items on the parent's page: {page}"
    );

    // Assign it to oneself, then move it on with the buttons.
    browser.click_button("Aan mij toewijzen").await;
    let page = browser.source_with("Behandelaar").await;
    let assigned = browser
        .client
        .find(Locator::XPath(
            "//dt[.='Behandelaar']/following-sibling::dd[1]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(assigned.trim(), "sec", "{page}");
    for (button, state) in [
        ("Aanvaarden", "Aanvaard"),
        ("Starten", "In behandeling"),
        ("Ter beoordeling aanbieden", "Ter beoordeling"),
    ] {
        browser.click_button(button).await;
        let page = browser
            .source_with(&format!("<strong>{state}</strong>"))
            .await;
        assert!(
            page.contains(&format!("<strong>{state}</strong>")),
            "{button}: {page}"
        );
    }

    // `complete` is closed while a sub-item is open, and the page says why, with the rule.
    let page = browser.source_with("Nog niet mogelijk").await;
    let closed = browser
        .client
        .find(Locator::Css(".regie-closed"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        closed.contains("Afronden") && closed.contains("work_item.children_closed"),
        "{closed}\n{page}"
    );
    assert!(
        browser
            .client
            .find(Locator::XPath("//button[normalize-space()='Afronden']"))
            .await
            .is_err(),
        "no button for a closed transition"
    );
    browser
        .assert_accessible("case page with a closed transition")
        .await;

    // A refused form post (a page opened before, the button still there) says why as well:
    // the second sub-item is reopened by cancelling the first only.
    a_transition(&server, &sec, &children[0], "cancel").await;
    browser
        .client
        .goto(&format!("{console}/cases/{}", children[1]))
        .await
        .unwrap();
    browser.click_button("Laten vervallen").await;
    let page = browser.source_with("Vervallen").await;
    assert!(page.contains("<strong>Vervallen</strong>"), "{page}");

    browser
        .client
        .goto(&format!("{console}/cases/{parent}"))
        .await
        .unwrap();
    browser.click_button("Afronden").await;
    let done = browser.source_with("<strong>Gereed</strong>").await;
    assert!(done.contains("<strong>Gereed</strong>"), "{done}");
    // The history shows what each step changed, as a readable diff.
    let history = browser
        .client
        .find(Locator::Css(".regie-timeline"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        history.contains("Behandelaar")
            && history.contains("Gereed")
            && history.contains("Ter beoordeling"),
        "{history}"
    );
    let case = server
        .cases()
        .await
        .get_case(v1::GetCaseRequest {
            name: format!("cases/{parent}"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.state, "done");
    assert_eq!(case.assignee, "sec");
    browser.close().await;
}

async fn a_stale_edit_is_caught_and_shows_what_changed_and_time_travel_shows_the_old_title(
    backend: Backend,
) {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let console = format!("http://{}", server.console_address.expect("the console"));
    let sec = server.principal("sec", &[("secretariat", "rijk")]).await;
    let created = server
        .cases()
        .await
        .create_case(v1::CreateCaseRequest {
            case: Some(v1::Case {
                kind: "work_item".into(),
                title: "Werkprogramma 2027 opstellen".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let id = created.name.strip_prefix("cases/").unwrap().to_owned();
    browser.sign_in(&console, &sec).await;
    browser.path_becomes("/").await;

    // Open the edit form; meanwhile someone else renames the case.
    browser
        .client
        .goto(&format!("{console}/cases/{id}/edit"))
        .await
        .unwrap();
    browser.source_with("f-title").await;
    browser.assert_accessible("edit form").await;
    server
        .cases()
        .await
        .update_case(v1::UpdateCaseRequest {
            case: Some(v1::Case {
                name: created.name.clone(),
                title: "Werkprogramma 2027 vaststellen".into(),
                etag: created.etag.clone(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["title".into()],
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();
    browser
        .fill("f-title", "Werkprogramma 2027 bespreken")
        .await;
    browser.click_button("Opslaan").await;
    let stale = browser.source_with("intussen gewijzigd").await;
    assert!(stale.contains("intussen gewijzigd"), "{stale}");
    let diff = browser
        .client
        .find(Locator::Css(".regie-alert .regie-diff"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        diff.contains("Titel")
            && diff.contains("Werkprogramma 2027 opstellen")
            && diff.contains("Werkprogramma 2027 vaststellen"),
        "what the other change did: {diff}"
    );
    let kept = browser
        .client
        .find(Locator::Id("f-title"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        kept.as_deref(),
        Some("Werkprogramma 2027 bespreken"),
        "the input is kept"
    );
    browser.assert_accessible("stale edit").await;
    // Saving again, now against the current version, goes through.
    browser.click_button("Opslaan").await;
    assert_eq!(
        browser.path_becomes(&format!("/cases/{id}")).await,
        format!("/cases/{id}")
    );
    let page = browser.source_with("Werkprogramma 2027 bespreken").await;
    assert!(
        page.contains("<h1 class=\"utrecht-heading-1\">Werkprogramma 2027 bespreken</h1>"),
        "{page}"
    );

    // Time travel: the history's first event shows the case as it was created.
    browser
        .client
        .find(Locator::Css("a[href$='?revision=1']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let old = browser.source_with("zoals hij was na gebeurtenis").await;
    assert!(
        old.contains("<h1 class=\"utrecht-heading-1\">Werkprogramma 2027 opstellen</h1>"),
        "{old}"
    );
    assert!(
        !old.contains("Aan mij toewijzen") && !old.contains("Opmerking plaatsen"),
        "nothing can be done in the past"
    );
    browser.assert_accessible("case page in the past").await;
    // By date: today (Amsterdam) shows the case as it is now; a date that is none is refused.
    browser.click_link("Terug naar nu").await;
    let today = server.cli(&["--output", "json", "cases", "get", &id]).await;
    assert!(today.ok().contains("bespreken"));
    browser
        .client
        .goto(&format!("{console}/cases/{id}?as_of=gisteren"))
        .await
        .unwrap();
    let bad = browser.source_with("as_of").await;
    assert!(bad.contains("2026-12-01") || bad.contains("as_of"), "{bad}");
    browser.close().await;
}

async fn a_jenv_coordinator_sees_their_work_and_cannot_open_a_fin_case(backend: Backend) {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let console = format!("http://{}", server.console_address.expect("the console"));
    let ic = server
        .principal("ic-jenv", &[("integrity_coordinator", "JenV")])
        .await;
    let mut cases = server.cases().await;
    let mut create = async |title: &str, department: &str, assignee: &str| {
        cases
            .create_case(v1::CreateCaseRequest {
                case: Some(v1::Case {
                    kind: "work_item".into(),
                    title: title.into(),
                    department: format!("departments/{department}"),
                    assignee: assignee.into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
    };
    create("Meldpunt integriteit JenV evalueren", "JenV", "ic-jenv").await;
    create("Vertrouwenspersonen JenV", "JenV", "").await;
    let fin = create("Gedragscode Financiën", "Fin", "").await;
    let fin_id = fin.name.strip_prefix("cases/").unwrap().to_owned();

    browser.sign_in(&console, &ic).await;
    assert_eq!(browser.path_becomes("/").await, "/");
    let work = browser
        .source_with("Meldpunt integriteit JenV evalueren")
        .await;
    assert!(
        work.contains("Meldpunt integriteit JenV evalueren")
            && work.contains("Vertrouwenspersonen JenV"),
        "{work}"
    );
    assert!(!work.contains("Gedragscode Financiën"), "{work}");
    let table = browser
        .client
        .find(Locator::Css("main table"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(table.contains("aan u toegewezen"), "{table}");

    // The Fin case: the page says no access, and tells nothing of the case.
    browser
        .client
        .goto(&format!("{console}/cases/{fin_id}"))
        .await
        .unwrap();
    let refused = browser.source_with("Geen toegang").await;
    assert!(refused.contains("Geen toegang"), "{refused}");
    assert!(!refused.contains("Gedragscode Financiën"), "{refused}");
    browser.assert_accessible("refused case").await;
    // A case that does not exist looks the same (AIP-211).
    browser
        .client
        .goto(&format!("{console}/cases/000000000000"))
        .await
        .unwrap();
    let missing = browser.source_with("Geen toegang").await;
    assert!(missing.contains("Geen toegang"), "{missing}");
    // The denial is audited.
    let denials = server.cli(&["--output", "json", "audit", "denials"]).await;
    let text = denials.ok();
    assert!(
        text.contains("ic-jenv") && text.contains("GetCase"),
        "the console's refusal is in the denial log: {text}"
    );
    browser.close().await;
}
