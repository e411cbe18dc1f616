//! Checks on the `regie` binary itself. (Having an integration test also makes `cargo test
//! --workspace` build the binary that the end-to-end tests in `tests/` run.)

use std::process::Command;

#[test]
fn help_lists_the_exit_codes() {
    let output = Command::new(env!("CARGO_BIN_EXE_regie"))
        .arg("--help")
        .output()
        .expect("run regie");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for line in ["3  INVALID_ARGUMENT", "4  NOT_FOUND", "8  UNAVAILABLE"] {
        assert!(help.contains(line), "--help lacks {line:?}:\n{help}");
    }
}

#[test]
fn a_usage_error_exits_2() {
    let output = Command::new(env!("CARGO_BIN_EXE_regie"))
        .arg("no-such-command")
        .output()
        .expect("run regie");
    assert_eq!(output.status.code(), Some(2));
}
