//! Compiles `regie/v1/*.proto` with protox (pure Rust, so no `protoc` is needed on the machine),
//! generates the prost messages and tonic clients and servers from the result, and writes the
//! encoded descriptor set — our files plus every import, well-known types included — for server
//! reflection and for the CLI's JSON output.

use std::{env, fs, path::PathBuf};

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let api_dir = proto_dir.join("regie/v1");
    let mut files: Vec<PathBuf> = fs::read_dir(&api_dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "proto"))
        .collect();
    files.sort();
    println!("cargo:rerun-if-changed={}", api_dir.display());
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let fds = protox::Compiler::new([&proto_dir])?
        .include_imports(true)
        .include_source_info(true)
        .open_files(&files)?
        .file_descriptor_set();

    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(out_dir.join("regie_descriptor.bin"), fds.encode_to_vec())?;

    // Type names let the CLI look a message up in the descriptor set to print it as JSON.
    let mut config = prost_build::Config::new();
    config.enable_type_names();
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds_with_config(fds, config)?;
    Ok(())
}
