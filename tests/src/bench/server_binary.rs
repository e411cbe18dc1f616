//! Getting the `regie-server` binary the harness will start: built by this bench in its own
//! profile, so that the harness never refuses a stale binary and the server is optimised
//! exactly as the clients are.

use std::path::Path;

use anyhow::Context as _;

/// Builds `regie-server` in the profile this bench was built in, so the harness never refuses
/// a stale binary and the two are comparable. `REGIE_SERVER_BIN` means someone else decides.
pub async fn build() -> anyhow::Result<()> {
    if let Some(server) = std::env::var_os("REGIE_SERVER_BIN") {
        println!(
            "note: REGIE_SERVER_BIN is set; not building {}",
            Path::new(&server).display()
        );
        return Ok(());
    }
    let exe = std::env::current_exe().context("cannot find the bench executable")?;
    let profile = exe
        .parent()
        .and_then(Path::file_name)
        .and_then(|name| name.to_str())
        .unwrap_or("debug")
        .to_owned();
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("the workspace directory")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let mut command = tokio::process::Command::new(cargo);
    command
        .current_dir(workspace)
        .args(["build", "-p", "regie-server"]);
    match profile.as_str() {
        "release" => {
            command.arg("--release");
        }
        "debug" => {
            println!(
                "note: this bench is a debug build, so it measures debug code; \
                 use `cargo run --release`"
            );
        }
        other => {
            command.args(["--profile", other]);
        }
    }
    // `cargo run` describes the running package in these variables; handed on to the child
    // cargo they would make the server's crates look changed and rebuild them every time.
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if key.starts_with("CARGO_PKG_")
            || key.starts_with("CARGO_MANIFEST_")
            || key.starts_with("CARGO_BIN_")
            || matches!(key, "CARGO_CRATE_NAME" | "CARGO_PRIMARY_PACKAGE")
        {
            command.env_remove(key);
        }
    }
    println!("building regie-server ({profile}); cargo may wait for the build lock …");
    let status = command
        .status()
        .await
        .context("cannot run cargo to build regie-server")?;
    anyhow::ensure!(status.success(), "building regie-server failed ({status})");
    Ok(())
}
