//! The import graph of the server's layers, as docs/architecture.md ("Layers") draws it: every
//! `crate::…` path in a layer's files must name a module that layer may use. A new import that
//! crosses a boundary fails here with the file, the line and the rule it breaks.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each layer (a directory of `server/src`), and the top-level modules it may name.
const RULES: &[(&str, &[&str])] = &[
    ("domain", &["domain"]),
    // `seed` only in the unit of work's tests (the seed departments).
    ("store", &["store", "domain", "telemetry", "seed"]),
    ("authz", &["authz", "domain", "store", "telemetry", "rpc"]),
    ("telemetry", &["telemetry", "rpc"]),
    ("rpc", &["rpc", "domain"]),
    ("app", &["app", "domain", "store", "authz", "telemetry"]),
    (
        "api",
        &["api", "app", "domain", "rpc", "authz", "telemetry"],
    ),
    // The web console translates like `api/`: sessions and pages over the same use cases.
    ("console", &["console", "app", "domain", "authz"]),
];

/// Crates a layer must not use at all.
const FORBIDDEN_CRATES: &[(&str, &[&str])] = &[
    ("domain", &["sqlx", "tonic", "clap", "casbin"]),
    ("store", &["clap", "tonic", "casbin"]),
    ("app", &["tonic", "clap"]),
    ("console", &["sqlx", "tonic", "casbin"]),
];

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable source directory") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The top-level modules a line names as `crate::module`, outside comments.
fn crate_modules(line: &str) -> BTreeSet<String> {
    let code = line.split("//").next().unwrap_or_default();
    let mut modules = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        // `crate::{a, b}` names several.
        if name.is_empty() && after.starts_with('{') {
            let inner = after[1..].split('}').next().unwrap_or_default();
            for part in inner.split(',') {
                let part: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !part.is_empty() {
                    modules.insert(part);
                }
            }
        } else if !name.is_empty() {
            modules.insert(name);
        }
        rest = after;
    }
    modules
}

fn violations() -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for (layer, allowed) in RULES {
        for file in rust_files(&src.join(layer)) {
            let text = std::fs::read_to_string(&file).expect("readable source file");
            let shown = file
                .strip_prefix(&src)
                .unwrap_or(&file)
                .display()
                .to_string();
            for (number, line) in text.lines().enumerate() {
                for module in crate_modules(line) {
                    if !allowed.contains(&module.as_str()) {
                        found.push(format!(
                            "{shown}:{}: {layer}/ may not use crate::{module} ({})",
                            number + 1,
                            line.trim()
                        ));
                    }
                }
                let code = line.split("//").next().unwrap_or_default();
                for (forbidding, crates) in FORBIDDEN_CRATES {
                    if forbidding != layer {
                        continue;
                    }
                    for name in *crates {
                        let uses = code.contains(&format!("{name}::"))
                            || code.contains(&format!("use {name}"));
                        if uses {
                            found.push(format!(
                                "{shown}:{}: {layer}/ may not use the crate {name} ({})",
                                number + 1,
                                line.trim()
                            ));
                        }
                    }
                }
            }
        }
    }
    found
}

#[test]
fn every_layer_imports_only_what_it_may() {
    let found = violations();
    assert!(
        found.is_empty(),
        "imports that cross a layer boundary (docs/architecture.md, \"Layers\"):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_sees_every_form_of_import() {
    assert_eq!(
        crate_modules("use crate::store::{Store, Rule};"),
        BTreeSet::from(["store".to_owned()])
    );
    assert_eq!(
        crate_modules("use crate::{api, store::Store};"),
        BTreeSet::from(["api".to_owned(), "store".to_owned()])
    );
    assert_eq!(
        crate_modules("let x = crate::app::App::new(); // crate::api in a comment"),
        BTreeSet::from(["app".to_owned()])
    );
    assert!(crate_modules("// crate::store only in a comment").is_empty());
}
