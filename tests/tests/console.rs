//! The web console in a real browser (issue #15; docs/architecture.md, "Console"): Debian's
//! headless Chromium driven over WebDriver (chromedriver, with fantoccini) against the real
//! server binary. axe-core (vendored in `tests/assets/axe-core/`) runs on each kind of page and
//! must find 0 violations of WCAG 2.1 A and AA.
//!
//! Without `/usr/bin/chromium` and `/usr/bin/chromedriver` these tests say they were skipped;
//! with `REGIE_TEST_REQUIRE_BROWSER=1` (as in CI) they fail instead.

// The backend tests are plain async fns, which clippy's allow-unwrap-in-tests does not cover.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use regie_proto::v1;
use regie_tests::{Backend, TestServer, backend_tests};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::{Child, Command};

backend_tests!(
    a_user_signs_in_with_a_token_moves_a_case_and_signs_out,
    a_revoked_token_ends_the_session_and_a_post_without_csrf_is_refused,
);

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const AXE: &str = include_str!("../assets/axe-core/axe.min.js");

/// A headless Chromium behind its own chromedriver, ended when dropped.
struct Browser {
    client: Client,
    _driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// `None` (after saying so) when Chromium or chromedriver is missing, unless
    /// `REGIE_TEST_REQUIRE_BROWSER=1`.
    async fn start() -> Option<Self> {
        if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists()
        {
            assert!(
                std::env::var("REGIE_TEST_REQUIRE_BROWSER").as_deref() != Ok("1"),
                "REGIE_TEST_REQUIRE_BROWSER=1 but {CHROMIUM} or {CHROMEDRIVER} is missing \
                 (apt-get install chromium chromium-driver)"
            );
            regie_tests::say_skipped("chromium or chromedriver is not installed");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromedriver");
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session");
        Some(Self {
            client,
            _driver: driver,
            _profile: profile,
        })
    }

    /// Runs axe-core on the page and fails on any WCAG 2.1 A/AA violation, naming each.
    async fn assert_accessible(&self, page: &str) {
        self.client.execute(AXE, vec![]).await.expect("load axe");
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: { type: 'tag',
                     values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
                   .then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' ' +
                       v.nodes.map(n => n.target.join(' ')).join(', '))))
                   .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .expect("run axe");
        let violations: Vec<String> = serde_json::from_value(result).expect("a list");
        assert!(
            violations.is_empty(),
            "{page}: WCAG 2.1 AA violations:\n{}",
            violations.join("\n")
        );
    }

    /// The page's source once it contains `text` (a click's navigation may still be under
    /// way when WebDriver answers); the last source seen after 10 s.
    async fn source_with(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let source = self.client.source().await.unwrap_or_default();
            if source.contains(text) || Instant::now() > deadline {
                return source;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The path once it is `path`; the last one seen after 10 s.
    async fn path_becomes(&self, path: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let now = self.path().await;
            if now == path || Instant::now() > deadline {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    async fn sign_in(&self, console: &str, token: &str) {
        self.client
            .goto(&format!("{console}/sign-in"))
            .await
            .unwrap();
        self.client
            .find(Locator::Id("token"))
            .await
            .unwrap()
            .send_keys(token)
            .await
            .unwrap();
        self.client
            .find(Locator::Css("main button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// A response as a plain HTTP/1.1 client sees it: status, headers (lowercase names), body.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One request over a fresh connection, without a browser.
async fn raw(address: SocketAddr, method: &str, path: &str, cookie: &str, body: &str) -> Raw {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nCookie: {cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Raw {
        status,
        headers,
        body: body.to_owned(),
    }
}

async fn work_item(server: &TestServer, title: &str) -> v1::Case {
    server
        .cases()
        .await
        .create_case(v1::CreateCaseRequest {
            case: Some(v1::Case {
                kind: "work_item".into(),
                title: title.into(),
                department: "departments/JenV".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
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
    assert_eq!(browser.path_becomes("/cases").await, "/cases");
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

/// Signs in over plain HTTP; returns the session cookie (`regie_session=…`).
async fn sign_in_raw(address: SocketAddr, token: &str) -> String {
    let form = raw(address, "GET", "/sign-in", "", "").await;
    let pre = form
        .headers
        .iter()
        .find(|(n, v)| n == "set-cookie" && v.starts_with("regie_presession="))
        .map(|(_, v)| v.split(';').next().unwrap().to_owned())
        .expect("a pre-session cookie");
    let csrf = pre.strip_prefix("regie_presession=").unwrap().to_owned();
    let signed = raw(
        address,
        "POST",
        "/sign-in",
        &pre,
        &format!("token={token}&csrf={csrf}"),
    )
    .await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    signed
        .headers
        .iter()
        .find(|(n, v)| n == "set-cookie" && v.starts_with("regie_session="))
        .map(|(_, v)| v.split(';').next().unwrap().to_owned())
        .expect("a session cookie")
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
