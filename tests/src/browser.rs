//! The console's browser tests' tools (issue #15; docs/architecture.md, "Console"): Debian's
//! headless Chromium behind its own chromedriver, driven over WebDriver with fantoccini,
//! axe-core run in the page, a plain HTTP/1.1 client for what a browser would hide (headers,
//! posts without a CSRF token), and the fixtures the console's flows share.
//!
//! Without `/usr/bin/chromium` and `/usr/bin/chromedriver` [`Browser::start`] says the test was
//! skipped; with `REGIE_TEST_REQUIRE_BROWSER=1` (as in CI) it fails instead.

// Test tooling: a failed step is the test's failure, with the step's panic message.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use regie_proto::v1;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::{Child, Command};

use crate::TestServer;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const AXE: &str = include_str!("../assets/axe-core/axe.min.js");

/// A headless Chromium behind its own chromedriver, ended when dropped.
pub struct Browser {
    pub client: Client,
    _driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// `None` (after saying so) when Chromium or chromedriver is missing, unless
    /// `REGIE_TEST_REQUIRE_BROWSER=1`.
    pub async fn start() -> Option<Self> {
        if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists()
        {
            assert!(
                std::env::var("REGIE_TEST_REQUIRE_BROWSER").as_deref() != Ok("1"),
                "REGIE_TEST_REQUIRE_BROWSER=1 but {CHROMIUM} or {CHROMEDRIVER} is missing \
                 (apt-get install chromium chromium-driver)"
            );
            crate::say_skipped("chromium or chromedriver is not installed");
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
    pub async fn assert_accessible(&self, page: &str) {
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
    pub async fn source_with(&self, text: &str) -> String {
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
    pub async fn path_becomes(&self, path: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let now = self.path().await;
            if now == path || Instant::now() > deadline {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    pub async fn sign_in(&self, console: &str, token: &str) {
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

    /// Clicks the button whose text is `text`.
    pub async fn click_button(&self, text: &str) {
        self.client
            .find(Locator::XPath(&format!(
                "//button[normalize-space()={}]",
                xpath_literal(text)
            )))
            .await
            .unwrap_or_else(|e| panic!("no button {text:?}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Follows the link whose text is `text`.
    pub async fn click_link(&self, text: &str) {
        self.client
            .find(Locator::XPath(&format!(
                "//a[normalize-space()={}]",
                xpath_literal(text)
            )))
            .await
            .unwrap_or_else(|e| panic!("no link {text:?}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Replaces the value of the field with id `id` by `text`, as typed.
    pub async fn fill(&self, id: &str, text: &str) {
        let field = self
            .client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("no field #{id}: {e}"));
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// A response as a plain HTTP/1.1 client sees it: status, headers (lowercase names), body.
pub struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One request over a fresh connection, without a browser.
pub async fn raw(address: SocketAddr, method: &str, path: &str, cookie: &str, body: &str) -> Raw {
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

pub async fn work_item(server: &TestServer, title: &str) -> v1::Case {
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

/// The link `regie console invite --principal <id>` prints (as the admin).
pub async fn invite(server: &TestServer, principal: &str) -> String {
    let out = server
        .cli(&[
            "--output",
            "json",
            "console",
            "invite",
            "--principal",
            principal,
        ])
        .await;
    let json: serde_json::Value = serde_json::from_str(out.ok()).expect("JSON");
    json["url"].as_str().expect("a url").to_owned()
}

/// Signs in over plain HTTP; returns the session cookie (`regie_session=…`).
pub async fn sign_in_raw(address: SocketAddr, token: &str) -> String {
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

/// `text` as an XPath string literal.
fn xpath_literal(text: &str) -> String {
    if text.contains('\'') {
        format!("\"{text}\"")
    } else {
        format!("'{text}'")
    }
}
