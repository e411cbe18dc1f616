//! The domain: what Regie's resources are and the rules they obey. Pure — no I/O, no tonic, no
//! sqlx — so every rule can be tested on its own and lives in exactly one place.

pub mod access;
pub mod cases;
pub mod criteria;
pub mod directory;
pub mod error;
pub mod filter;
pub mod limits;
pub mod listing;
pub mod mask;
pub mod names;
pub mod request;
pub mod session;
pub mod text;
pub mod time;
pub mod work;
pub mod workflow;

pub use error::{Error, Result};
