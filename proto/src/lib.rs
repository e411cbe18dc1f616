//! Regie's gRPC API, `regie.v1`, generated at build time from `proto/regie/v1/*.proto`.
//!
//! Both the server and the `regie` CLI depend on this crate, so they can never disagree about
//! the wire format. [`FILE_DESCRIPTOR_SET`] holds every descriptor the API uses (our files and
//! their imports, including the well-known types), for server reflection and for printing
//! messages as JSON.

/// The `regie.v1` package: messages, `*_client` and `*_server` modules.
pub mod v1 {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("regie.v1");
}

/// The encoded `google.protobuf.FileDescriptorSet` of the API, imports included.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/regie_descriptor.bin"));
