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

#[test]
fn help_lists_the_coordination_commands() {
    let output = Command::new(env!("CARGO_BIN_EXE_regie"))
        .arg("--help")
        .output()
        .expect("run regie");
    let help = String::from_utf8_lossy(&output.stdout);
    for command in [
        "criteria-sets",
        "cycles",
        "frameworks",
        "risks",
        "report",
        "import",
    ] {
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with(&format!("{command} "))),
            "--help lacks {command}:\n{help}"
        );
    }
    // Each subcommand's own help works without a server (exit 0, on stdout).
    for path in [
        &["criteria-sets", "create"][..],
        &["cycles", "rate"],
        &["frameworks", "consult"],
        &["risks", "heatmap"],
        &["report", "rollup"],
        &["import", "work-items"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_regie"))
            .args(path)
            .arg("--help")
            .output()
            .expect("run regie");
        assert!(output.status.success(), "{path:?} --help failed");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("Usage: regie"),
            "{path:?}"
        );
    }
}

#[test]
fn help_describes_cases_as_all_five_kinds() {
    let output = Command::new(env!("CARGO_BIN_EXE_regie"))
        .arg("--help")
        .output()
        .expect("run regie");
    // The help is wrapped to the terminal's width: compare with the line breaks taken out.
    let help = String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        help.contains(
            "Cases of all five kinds (working-group items, recommendations, frameworks, \
             assessment cycles, risk analyses)"
        ),
        "{help}"
    );
}
