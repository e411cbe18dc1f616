//! Checks on the `regie-server` binary itself. (Having an integration test also makes `cargo
//! test --workspace` build the binary that the end-to-end tests in `tests/` start.)

use std::process::Command;

#[test]
fn help_documents_every_setting_with_its_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_regie-server"))
        .arg("--help")
        .output()
        .expect("run regie-server");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for (flag, variable) in [
        ("--config", "REGIE_CONFIG"),
        ("--listen", "REGIE_LISTEN"),
        ("--database-url", "REGIE_DATABASE_URL"),
        ("--data-dir", "REGIE_DATA_DIR"),
        ("--log-format", "REGIE_LOG_FORMAT"),
        ("--log", "REGIE_LOG"),
        ("--shutdown-timeout", "REGIE_SHUTDOWN_TIMEOUT"),
        ("--max-connections", "REGIE_MAX_CONNECTIONS"),
        ("--sqlite-synchronous", "REGIE_SQLITE_SYNCHRONOUS"),
        ("--departments-file", "REGIE_DEPARTMENTS_FILE"),
    ] {
        assert!(help.contains(flag), "--help lacks {flag}:\n{help}");
        assert!(
            help.contains(&format!("env: {variable}")),
            "--help lacks {variable}:\n{help}"
        );
    }
    assert!(
        help.contains("migrate"),
        "--help lacks the migrate command:\n{help}"
    );
}

#[test]
fn a_database_url_of_an_unknown_kind_is_refused_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_regie-server"))
        .args([
            "migrate",
            "--database-url",
            "mysql://root:hunter2@localhost/regie",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .expect("run regie-server");
    assert_eq!(output.status.code(), Some(1));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("unsupported database URL"), "{log}");
    assert!(
        !log.contains("hunter2"),
        "the password leaked into the log: {log}"
    );
}

#[test]
fn migrate_creates_the_sqlite_database_and_exits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_regie-server"))
        .arg("migrate")
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .expect("run regie-server");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("regie.db").exists());
}
