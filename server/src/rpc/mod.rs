//! What every gRPC-facing layer shares, and nothing else: the table of RPC methods and what each
//! needs ([`methods`]), and the one mapping from domain errors to gRPC statuses ([`status`]).
//!
//! `api/` (the handlers), `authz/` (the authentication layer) and `telemetry/` (the span layer)
//! all import from here, so that none of them imports another's internals
//! (docs/architecture.md, "Layers").

pub mod methods;
pub mod size;
pub mod status;
