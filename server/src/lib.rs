//! Regie's server as a library; `main.rs` is a thin wrapper around it.
//!
//! Requests flow one way: `api/` translates gRPC into domain calls, `domain/` decides, `store/`
//! persists. `server` wires the services, health and reflection into a tonic server and shuts
//! it down gracefully.

pub mod api;
pub mod app;
pub mod authz;
pub mod checkpoints;
pub mod config;
pub mod console;
pub mod demo;
pub mod domain;
pub mod health;
pub mod logging;
pub mod rpc;
pub mod scheduler;
pub mod seed;
pub mod server;
pub mod store;
pub mod telemetry;
pub mod tls;
