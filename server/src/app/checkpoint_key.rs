//! The key the audit log's checkpoints are signed with (docs/architecture.md, "Tamper
//! evidence"): an Ed25519 key in a file of its own, never in the database, so that whoever can
//! write the database still cannot sign a checkpoint.
//!
//! The file is PEM, `-----BEGIN PRIVATE KEY-----`, PKCS#8, as `openssl genpkey -algorithm
//! ed25519` writes it. A missing file is created, readable by its owner only (0600), with a new
//! key. Replicas that share a database should share the key too: the operator copies the file
//! to each (any replica may make a checkpoint, and the auditor then trusts one public key).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{Ed25519KeyPair, KeyPair as _};

const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

/// An Ed25519 signing key and its public key (base64).
pub struct CheckpointKey {
    pair: Ed25519KeyPair,
    public_key: String,
    path: PathBuf,
}

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointKey")
            .field("public_key", &self.public_key)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl CheckpointKey {
    /// Reads the key at `path`, or creates one there (0600) when there is no file; `true` when
    /// it was created.
    pub fn load_or_create(path: &Path) -> anyhow::Result<(Self, bool)> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok((Self::parse(path, &text)?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let rng = ring::rand::SystemRandom::new();
                let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
                    .map_err(|_| anyhow::anyhow!("cannot generate a checkpoint key"))?;
                let body = STANDARD.encode(pkcs8.as_ref());
                let pem = format!("{PEM_BEGIN}\n{body}\n{PEM_END}\n");
                regie_support::write_private(path, &pem).with_context(|| {
                    format!("cannot write the checkpoint key {}", path.display())
                })?;
                Ok((Self::parse(path, &pem)?, true))
            }
            Err(e) => Err(anyhow::Error::new(e)
                .context(format!("cannot read the checkpoint key {}", path.display()))),
        }
    }

    fn parse(path: &Path, text: &str) -> anyhow::Result<Self> {
        let invalid = || {
            format!(
                "{} is not an Ed25519 private key in PEM (PKCS#8, `-----BEGIN PRIVATE KEY-----`, \
                 as `openssl genpkey -algorithm ed25519` writes it)",
                path.display()
            )
        };
        let body = text
            .split_once(PEM_BEGIN)
            .and_then(|(_, rest)| rest.split_once(PEM_END))
            .map(|(body, _)| body.split_whitespace().collect::<String>())
            .with_context(invalid)?;
        let der = STANDARD.decode(body).ok().with_context(invalid)?;
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .ok()
            .with_context(invalid)?;
        let public_key = STANDARD.encode(pair.public_key().as_ref());
        Ok(Self {
            pair,
            public_key,
            path: path.to_owned(),
        })
    }

    /// The public key, base64 of its 32 bytes.
    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The signature over `message`, base64.
    pub fn sign(&self, message: &str) -> String {
        STANDARD.encode(self.pair.sign(message.as_bytes()).as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_key_is_created_private_and_read_back_the_same() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("checkpoint.key");
        let (created, new) = CheckpointKey::load_or_create(&path).expect("created");
        assert!(new);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (again, new) = CheckpointKey::load_or_create(&path).expect("read");
        assert!(!new);
        assert_eq!(created.public_key(), again.public_key());
        let signature = again.sign("text");
        assert_eq!(
            regie_support::checkpoint::verify(created.public_key(), "text", &signature),
            Ok(())
        );
    }

    #[test]
    fn a_file_that_is_no_key_is_refused_with_its_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("checkpoint.key");
        std::fs::write(&path, "not a key").expect("write");
        let err = CheckpointKey::load_or_create(&path).unwrap_err();
        assert!(format!("{err:#}").contains("checkpoint.key"), "{err:#}");
    }
}
