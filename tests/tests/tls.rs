//! TLS end to end (issue #12, finding 17): a real server with `--tls-cert` and `--tls-key`,
//! certificates made at test time with rcgen, real gRPC and CLI clients over TLS, a certificate
//! replaced without a restart (on SIGHUP and on a file change), a plaintext client refused
//! cleanly, and bad files refused at start with the file named.
// The backend tests are plain async fns, which clippy's allow-unwrap-in-tests does not cover.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use regie_proto::v1;
use regie_tests::{Backend, TestServer, backend_tests};
use tonic::transport::{Certificate, Channel, ClientTlsConfig};

backend_tests!(
    a_cli_and_a_grpc_client_talk_to_the_server_over_tls,
    a_replaced_certificate_is_served_without_a_restart,
    a_plaintext_client_is_refused_by_a_tls_server_cleanly,
);

/// A test CA and a server certificate it signed for `localhost` and 127.0.0.1, as PEM files in
/// `dir`: `{name}-ca.pem`, `{name}-cert.pem`, `{name}-key.pem`.
struct TestPki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn make_pki(dir: &Path, name: &str) -> TestPki {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("Regie test CA {name}"));
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("server key");
    let cert = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("server params")
        .signed_by(&key, &issuer)
        .expect("server certificate");
    let pki = TestPki {
        ca: dir.join(format!("{name}-ca.pem")),
        cert: dir.join(format!("{name}-cert.pem")),
        key: dir.join(format!("{name}-key.pem")),
    };
    std::fs::write(&pki.ca, ca_cert.pem()).expect("write CA");
    std::fs::write(&pki.cert, cert.pem()).expect("write certificate");
    std::fs::write(&pki.key, key.serialize_pem()).expect("write key");
    pki
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// Starts a TLS server on `pki`'s certificate, with the extra `args`.
async fn tls_server(backend: Backend, pki: &TestPki, args: &[&str]) -> Option<TestServer> {
    let mut all = vec!["--tls-cert", arg(&pki.cert), "--tls-key", arg(&pki.key)];
    all.extend_from_slice(args);
    TestServer::start_tls(backend, &all, &pki.ca).await
}

/// Connects to `server` trusting only the CA in `ca`.
async fn connect_trusting(server: &TestServer, ca: &Path) -> Result<Channel, String> {
    let pem = std::fs::read(ca).expect("CA");
    Channel::from_shared(server.endpoint())
        .expect("endpoint")
        .tls_config(ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem)))
        .expect("TLS settings")
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .map_err(|e| format!("{e:?}"))
}

/// Waits until a client trusting only `ca` gets through.
async fn served_by(server: &TestServer, ca: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match connect_trusting(server, ca).await {
            Ok(channel) => {
                let health = tonic_health::pb::health_client::HealthClient::new(channel)
                    .check(tonic_health::pb::HealthCheckRequest::default())
                    .await;
                if health.is_ok() {
                    return;
                }
            }
            Err(e) => assert!(
                Instant::now() < deadline,
                "the server never served the certificate of {}: {e}",
                ca.display()
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_cli_and_a_grpc_client_talk_to_the_server_over_tls(backend: Backend) {
    let pki_dir = tempfile::tempdir().expect("tempdir");
    let pki = make_pki(pki_dir.path(), "one");
    let Some(server) = tls_server(backend, &pki, &[]).await else {
        return;
    };
    assert!(server.endpoint().starts_with("https://localhost:"));
    // gRPC over TLS, as the admin.
    let departments = server
        .directory()
        .await
        .list_departments(v1::ListDepartmentsRequest::default())
        .await
        .expect("list over TLS")
        .into_inner();
    assert!(!departments.departments.is_empty());
    // The CLI over TLS, with --ca-cert.
    let listed = server.cli(&["departments", "list"]).await;
    assert!(listed.ok().contains("JenV"), "{}", listed.stdout);
    // `login` keeps the CA in the profile, so later commands need neither flag.
    let login = server.cli(&["login"]).await;
    login.ok();
    let profile = std::fs::read_to_string(server.data_dir().join("cli-config/profiles.toml"))
        .expect("profile");
    assert!(profile.contains("ca_cert"), "{profile}");
    assert!(profile.contains("https://localhost:"), "{profile}");
    let whoami = server.cli_without_server(None, &["whoami"]).await;
    assert!(whoami.ok().contains("admin"), "{}", whoami.stdout);
    // Without the CA, the system's trust store does not know the test CA.
    let untrusted = server
        .cli_without_server(
            Some(&server.admin_token),
            &[
                "--server",
                &server.endpoint(),
                "--ca-cert",
                arg(&pki.cert),
                "whoami",
            ],
        )
        .await;
    assert_ne!(untrusted.code, Some(0), "{untrusted:?}");
    let log = server.log().join("\n");
    assert!(log.contains("\"scheme\":\"https\""), "{log}");
}

async fn a_replaced_certificate_is_served_without_a_restart(backend: Backend) {
    let pki_dir = tempfile::tempdir().expect("tempdir");
    let first = make_pki(pki_dir.path(), "first");
    let Some(server) = tls_server(backend, &first, &["--tls-reload-interval", "1"]).await else {
        return;
    };
    served_by(&server, &first.ca).await;
    let second = make_pki(pki_dir.path(), "second");
    assert!(
        connect_trusting(&server, &second.ca).await.is_err(),
        "the second CA signed nothing the server serves yet"
    );

    // On SIGHUP: the files replaced in place, then the signal.
    std::fs::copy(&second.cert, &first.cert).expect("replace certificate");
    std::fs::copy(&second.key, &first.key).expect("replace key");
    let status = std::process::Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .expect("kill -HUP");
    assert!(status.success());
    served_by(&server, &second.ca).await;
    assert!(
        connect_trusting(&server, &first.ca).await.is_err(),
        "the old certificate is no longer served"
    );

    // On a file change alone, within the reload interval.
    let third = make_pki(pki_dir.path(), "third");
    std::fs::copy(&third.key, &first.key).expect("replace key");
    std::fs::copy(&third.cert, &first.cert).expect("replace certificate");
    served_by(&server, &third.ca).await;

    // A broken file is logged and the certificate in use stays.
    std::fs::write(&first.cert, "not a certificate").expect("break the file");
    let status = std::process::Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .expect("kill -HUP");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    while !server
        .log()
        .iter()
        .any(|l| l.contains("the TLS certificate was not reloaded"))
    {
        assert!(Instant::now() < deadline, "{}", server.log().join("\n"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    served_by(&server, &third.ca).await;
}

async fn a_plaintext_client_is_refused_by_a_tls_server_cleanly(backend: Backend) {
    let pki_dir = tempfile::tempdir().expect("tempdir");
    let pki = make_pki(pki_dir.path(), "one");
    let Some(server) = tls_server(backend, &pki, &[]).await else {
        return;
    };
    let plaintext = format!("http://127.0.0.1:{}", server.address.port());
    let started = Instant::now();
    let cli = server
        .cli_without_server(
            Some(&server.admin_token),
            &[
                "--server",
                &plaintext,
                "--timeout",
                "10",
                "departments",
                "list",
            ],
        )
        .await;
    assert_eq!(cli.code, Some(8), "{cli:?}");
    assert!(cli.stderr.contains("https://"), "{}", cli.stderr);
    assert!(started.elapsed() < Duration::from_secs(10), "no hang");

    // A plain gRPC client gets an error, not an answer and not a hang.
    let call = async {
        let channel = Channel::from_shared(plaintext.clone())
            .expect("endpoint")
            .connect()
            .await
            .map_err(|e| e.to_string())?;
        tonic_health::pb::health_client::HealthClient::new(channel)
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let outcome = tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("the plaintext client is answered within 10 s");
    assert!(outcome.is_err(), "a plaintext call succeeded");
}

/// Bad TLS files stop the server at start, naming the file and what is wrong.
#[tokio::test]
async fn bad_tls_files_stop_the_server_at_start_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = make_pki(dir.path(), "one");
    let other = make_pki(dir.path(), "other");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").expect("write");
    let missing = dir.path().join("missing.pem");
    let cases: [(&Path, &Path, &str); 4] = [
        (&garbage, &pki.key, "holds no certificate"),
        (&pki.cert, &garbage, "holds no private key"),
        (&pki.cert, &other.key, "does not go with the certificate"),
        (&missing, &pki.key, "cannot read the TLS certificate"),
    ];
    for (cert, key, expected) in cases {
        let output =
            tokio::process::Command::new(regie_tests::binary("regie-server", "REGIE_SERVER_BIN"))
                .args(["--listen", "127.0.0.1:0", "--data-dir"])
                .arg(dir.path())
                .args(["--tls-cert", arg(cert), "--tls-key", arg(key)])
                .env_remove("REGIE_CONFIG")
                .kill_on_drop(true)
                .output();
        let output = tokio::time::timeout(Duration::from_secs(30), output)
            .await
            .expect("the server exits at once")
            .expect("run regie-server");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
        let named = if expected.contains("private key") {
            key
        } else {
            cert
        };
        assert!(
            stderr.contains(arg(named)),
            "names {}: {stderr}",
            named.display()
        );
    }
    // One without the other.
    let output =
        tokio::process::Command::new(regie_tests::binary("regie-server", "REGIE_SERVER_BIN"))
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .args(["--tls-cert", arg(&pki.cert)])
            .env_remove("REGIE_CONFIG")
            .output()
            .await
            .expect("run regie-server");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("go together"));
}
