//! The gRPC surface: one file per service, translating between `regie.v1` messages and the
//! domain. Nothing here decides anything; errors become a `Status` in [`status`] alone.

pub mod audit;
pub mod cases;
pub mod convert;
pub mod directory;
pub mod references;
pub mod status;
pub mod workflows;
