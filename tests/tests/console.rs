//! The web console in a real browser (issue #15; docs/architecture.md, "Console"): Debian's
//! headless Chromium driven over WebDriver (chromedriver, with fantoccini) against the real
//! server binary. axe-core (vendored in `tests/assets/axe-core/`) runs on each kind of page and
//! must find 0 violations of WCAG 2.1 A and AA.
//!
//! The browser and the fixtures are `regie_tests::browser`.

// The backend tests are plain async fns, which clippy's allow-unwrap-in-tests does not cover.
#![allow(clippy::unwrap_used)]

use fantoccini::Locator;
use regie_proto::v1;
use regie_tests::browser::{Browser, invite, raw, sign_in_raw, work_item};
use regie_tests::{Backend, TestServer, backend_tests};

backend_tests!(
    a_user_signs_in_with_a_token_moves_a_case_and_signs_out,
    an_admin_invites_the_secretariat_who_signs_in_once_through_the_link,
    a_revoked_token_ends_the_session_and_a_post_without_csrf_is_refused,
);

async fn an_admin_invites_the_secretariat_who_signs_in_once_through_the_link(backend: Backend) {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let address = server.console_address.expect("the console is on");
    server.principal("sec", &[("secretariat", "rijk")]).await;
    let link = invite(&server, "sec").await;
    assert!(
        link.starts_with(&format!("http://{address}/sign-in/link/")),
        "{link}"
    );
    // Someone without the right to issue tokens cannot issue links either.
    let ic = server
        .principal("ic-jenv", &[("integrity_coordinator", "JenV")])
        .await;
    let refused = server
        .cli_as(Some(&ic), &["console", "invite", "--principal", "sec"])
        .await;
    assert_ne!(refused.code, Some(0));
    assert!(
        refused.stderr.contains("PERMISSION_DENIED") || refused.stderr.contains("permission"),
        "{}",
        refused.stderr
    );
    // A principal that does not exist: NOT_FOUND, with its name.
    let missing = server
        .cli(&["console", "invite", "--principal", "nobody"])
        .await;
    assert_ne!(missing.code, Some(0));
    assert!(missing.stderr.contains("nobody"), "{}", missing.stderr);

    // Opening the link does not sign in by itself: a button does (a mail scanner that follows
    // links must not use it up).
    browser.client.goto(&link).await.unwrap();
    let source = browser.source_with("persoonlijke aanmeldlink").await;
    assert!(source.contains("persoonlijke aanmeldlink"), "{source}");
    browser.assert_accessible("sign-in link").await;
    browser
        .client
        .find(Locator::Css("main button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(browser.path_becomes("/").await, "/");
    let home = browser.source_with("Mijn werk").await;
    assert!(
        home.contains("Mijn werk") && home.contains("Aangemeld als sec"),
        "{home}"
    );
    assert!(
        !browser
            .client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .contains("link"),
        "no secret in the address bar after sign-in"
    );
    browser.assert_accessible("Mijn werk").await;

    // The link works once: after sign-out it is refused.
    browser
        .client
        .find(Locator::XPath("//button[normalize-space()='Afmelden']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(browser.path_becomes("/sign-in").await, "/sign-in");
    browser.client.goto(&link).await.unwrap();
    browser
        .client
        .find(Locator::Css("main button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let source = browser.source_with("al gebruikt").await;
    assert!(source.contains("al gebruikt"), "{source}");
    assert_eq!(browser.path().await, "/sign-in/link");

    // Disabling the principal ends a session opened with a link at its next request.
    let second = invite(&server, "sec").await;
    browser.client.goto(&second).await.unwrap();
    browser
        .client
        .find(Locator::Css("main button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(browser.path_becomes("/").await, "/");
    server
        .access()
        .await
        .update_principal(v1::UpdatePrincipalRequest {
            principal: Some(v1::Principal {
                name: "principals/sec".into(),
                disabled: true,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["disabled".into()],
            }),
        })
        .await
        .unwrap();
    browser
        .client
        .goto(&format!("http://{address}/cases"))
        .await
        .unwrap();
    assert_eq!(browser.path().await, "/sign-in", "the session ended");
    let source = browser.client.source().await.unwrap();
    assert!(source.contains("sessie is beëindigd"), "{source}");
    // And a disabled principal gets no new link.
    let disabled = server
        .cli(&["console", "invite", "--principal", "sec"])
        .await;
    assert!(
        disabled.stderr.contains("PRINCIPAL_DISABLED") || disabled.stderr.contains("disabled"),
        "{}",
        disabled.stderr
    );
    browser.close().await;

    let secret = link.rsplit('/').next().unwrap();
    let log = server.log().join("\n");
    assert!(!log.contains(secret), "the link's secret is never logged");
}

async fn a_user_signs_in_with_a_token_moves_a_case_and_signs_out(backend: Backend) {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let address = server.console_address.expect("the console is on");
    let console = format!("http://{address}");
    let item = work_item(&server, "Kwaliteitscriteria opstellen").await;
    let id = item.name.strip_prefix("cases/").unwrap().to_owned();
    let page = format!("{console}/cases/{id}");

    // Not signed in: the case page sends the browser to sign in.
    browser.client.goto(&page).await.unwrap();
    assert_eq!(browser.path().await, "/sign-in");
    browser.assert_accessible("sign-in").await;

    browser.sign_in(&console, &server.admin_token).await;
    assert_eq!(browser.path_becomes("/").await, "/", "on to Mijn werk");
    let session = browser
        .client
        .get_named_cookie("regie_session")
        .await
        .unwrap();
    assert_eq!(session.http_only(), Some(true), "HttpOnly");
    assert_eq!(
        session.same_site().map(|s| format!("{s:?}")).as_deref(),
        Some("Strict")
    );
    assert!(
        !browser
            .client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .contains("regie_"),
        "no token in the URL"
    );
    browser
        .client
        .goto(&format!("{console}/cases"))
        .await
        .unwrap();
    let list = browser.client.source().await.unwrap();
    assert!(list.contains("Zaken"), "Dutch by default");
    assert!(list.contains("Kwaliteitscriteria opstellen"));
    browser.assert_accessible("case list").await;

    // The list links the case by its short id; the title comes first.
    browser
        .client
        .find(Locator::LinkText("Kwaliteitscriteria opstellen"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(
        browser.path_becomes(&format!("/cases/{id}")).await,
        format!("/cases/{id}")
    );
    let source = browser.source_with("Voorgesteld").await;
    assert!(source.contains("Voorgesteld"), "the state's Dutch label");
    assert!(!source.contains("<script"), "no script on the page");
    browser.assert_accessible("case page").await;

    // Accept it: the button carries the transition's Dutch label.
    browser
        .client
        .find(Locator::XPath("//button[normalize-space()='Aanvaarden']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let source = browser.source_with("work_item.assignee_required").await;
    assert!(source.contains("Aanvaard"), "now accepted");
    // `start` is closed until the item has an assignee: the rule's sentence and id say why.
    assert!(
        source.contains("work_item.assignee_required"),
        "the closed transition names its rule:\n{source}"
    );
    let accepted = server
        .cases()
        .await
        .get_case(v1::GetCaseRequest {
            name: item.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(accepted.state, "accepted", "the same use case as gRPC");

    // English is a switch the session remembers.
    browser
        .client
        .find(Locator::XPath("//button[normalize-space()='English']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .client
        .wait()
        .for_element(Locator::XPath("//button[normalize-space()='Sign out']"))
        .await
        .unwrap();
    browser.client.goto(&page).await.unwrap();
    let source = browser.client.source().await.unwrap();
    assert!(
        source.contains("Accepted") && source.contains("Next steps"),
        "{source}"
    );

    browser
        .client
        .find(Locator::XPath("//button[normalize-space()='Sign out']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(browser.path_becomes("/sign-in").await, "/sign-in");
    browser.client.goto(&page).await.unwrap();
    assert_eq!(browser.path().await, "/sign-in", "signed out");
    browser.close().await;

    let log = server.log().join("\n");
    assert!(
        !log.contains(&server.admin_token),
        "the token is never logged"
    );
}

async fn a_revoked_token_ends_the_session_and_a_post_without_csrf_is_refused(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let address = server.console_address.expect("the console is on");
    let item = work_item(&server, "Gedragscode herzien").await;
    let path = format!("/{}", item.name);

    // A wrong sign-in form token is refused before the token is even looked at.
    let refused = raw(
        address,
        "POST",
        "/sign-in",
        "regie_presession=a",
        &format!("token={}&csrf=b", server.admin_token),
    )
    .await;
    assert_eq!(refused.status, 403);

    let mut access = server.access().await;
    access
        .create_principal(v1::CreatePrincipalRequest {
            principal_id: "anna".into(),
            principal: Some(v1::Principal {
                display_name: "Anna".into(),
                kind: v1::principal::Kind::Person as i32,
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    access
        .grant_role(v1::GrantRoleRequest {
            principal: "principals/anna".into(),
            role: "secretariat".into(),
            domain: "rijk".into(),
        })
        .await
        .unwrap();
    let token = access
        .issue_token(v1::IssueTokenRequest {
            principal: "principals/anna".into(),
            display_name: "console".into(),
            expire_time: None,
        })
        .await
        .unwrap()
        .into_inner();
    let cookie = sign_in_raw(address, &token.secret).await;

    let page = raw(address, "GET", &path, &cookie, "").await;
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!page.body.contains("<script"));
    assert_eq!(page.header("cache-control"), Some("no-store"));

    // A form posted without the CSRF token changes nothing.
    let posted = raw(
        address,
        "POST",
        &format!("{path}/comment"),
        &cookie,
        "text=zonder+token",
    )
    .await;
    assert_eq!(posted.status, 403);
    let events = server
        .cases()
        .await
        .list_case_events(v1::ListCaseEventsRequest {
            name: item.name.clone(),
            page_size: 100,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(events.len(), 1, "only the creation");

    // Revoking the token ends the session at its next request.
    let listed = access
        .list_tokens(v1::ListTokensRequest {
            principal: "principals/anna".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .tokens;
    access
        .revoke_token(v1::RevokeTokenRequest {
            name: listed[0].name.clone(),
        })
        .await
        .unwrap();
    let after = raw(address, "GET", &path, &cookie, "").await;
    assert_eq!(after.status, 303);
    assert_eq!(after.header("location"), Some("/sign-in?ended=1"));
    let again = raw(address, "GET", "/cases", &cookie, "").await;
    assert_eq!(again.status, 303, "the session is gone");
}
