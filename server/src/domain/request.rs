//! Idempotency keys of writes (docs/architecture.md, "Request ids").
//!
//! A client may send a request id with any write, so that a retry gets the first answer instead
//! of a second change. A request id belongs to the principal that sent it: the same id from
//! another principal is another key. With the id goes a hash of the canonical request, made by
//! the entry point that received it (the gRPC layer hashes the decoded message), so that the
//! same id with a different request is refused (`REQUEST_ID_REUSED`) rather than answered with
//! the first call's result.

use sha2::{Digest as _, Sha256};

use super::error::{Error, Result, reason};

/// The longest request id, in characters.
pub const MAX_REQUEST_ID_CHARS: usize = 100;

/// A write's idempotency key as its entry point received it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestKey {
    /// The client's request id; empty: none (the write is not idempotent).
    pub id: String,
    /// SHA-256 (hex) of the canonical request; empty when there is no id.
    pub hash: String,
}

impl RequestKey {
    /// No request id.
    pub fn none() -> Self {
        Self::default()
    }

    /// `id` for the request whose canonical encoding is `canonical`. The id is checked: at most
    /// [`MAX_REQUEST_ID_CHARS`] characters, without spaces or control characters.
    pub fn new(id: String, canonical: &[u8]) -> Result<Self> {
        if id.chars().count() > MAX_REQUEST_ID_CHARS
            || id.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(Error::invalid(
                reason::INVALID_REQUEST_ID,
                "request_id",
                format!(
                    "must be at most {MAX_REQUEST_ID_CHARS} characters without spaces (a UUID is a good choice)"
                ),
            ));
        }
        if id.is_empty() {
            return Ok(Self::none());
        }
        let hash = Sha256::digest(canonical)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Self { id, hash })
    }

    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_request_has_the_same_hash_and_another_request_another() {
        let a = RequestKey::new("r1".into(), b"title: A").expect("valid");
        let again = RequestKey::new("r1".into(), b"title: A").expect("valid");
        let other = RequestKey::new("r1".into(), b"title: B").expect("valid");
        assert_eq!(a, again);
        assert_ne!(a.hash, other.hash);
        assert_eq!(a.hash.len(), 64);
    }

    #[test]
    fn an_empty_id_is_no_key_and_a_bad_id_is_refused() {
        assert!(
            RequestKey::new(String::new(), b"x")
                .expect("valid")
                .is_empty()
        );
        for bad in ["has space", "tab\there", &"x".repeat(101), "nul\0"] {
            let err = RequestKey::new(bad.into(), b"x").unwrap_err();
            assert_eq!(err.reason(), reason::INVALID_REQUEST_ID, "{bad:?}");
        }
        assert!(RequestKey::new("x".repeat(100), b"x").is_ok());
    }
}
