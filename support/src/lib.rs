//! Small helpers that both `regie-server` and the `regie` CLI need, written once: writing a
//! secret to a file only its owner can read (the first admin's token, the CLI's profiles), and
//! making the directories and files that hold such data the owner's alone; and the signed text
//! of an audit checkpoint with its verification ([`checkpoint`]), which the server signs and an
//! auditor's CLI checks; and Amsterdam's offset from UTC ([`amsterdam_offset`]), in which the
//! console shows times and the CLI reads dates.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::path::Path;

/// Writes `text` to `path`, readable by the owner only: the file is created with mode 0600, a
/// file that existed is set to 0600 before anything is written to it, and the data is synced to
/// disk before this returns. The parent directory must exist.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    // The mode given above only applies to a file that is created.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Creates `path` and its missing parents; the directories it creates are the owner's alone
/// (0700). A directory that existed is left as it is.
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(path)
}

/// Makes `path` a file only its owner can read and write: created empty with mode 0600 when
/// missing, set to 0600 when it existed. Returns whether an existing file's mode was tightened.
pub fn ensure_private_file(path: &Path) -> std::io::Result<bool> {
    let mut options = OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = file.metadata()?.permissions().mode() & 0o777;
        if mode != 0o600 {
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
            return Ok(true);
        }
    }
    Ok(false)
}

pub mod checkpoint {
    //! The signed checkpoints of the audit log (docs/architecture.md, "Tamper evidence"): what is
    //! signed, and how a signature is checked. The server signs with an Ed25519 key; an auditor
    //! checks with its public key, here as in the server.
    //!
    //! The signed text of a checkpoint is, in UTF-8, each line ending in `\n`:
    //!
    //! ```text
    //! regie audit checkpoint v1
    //! sequence {the log's newest sequence it covers}
    //! time {when it was made, microseconds since the Unix epoch}
    //! cases {how many chains it covers}
    //! heads {the heads digest: lowercase hex SHA-256}
    //! ```
    //!
    //! Keys and signatures travel as standard base64 (with padding) of their raw bytes: 32 bytes
    //! for a public key, 64 for a signature.

    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    /// The signature algorithm, as the API names it.
    pub const ALGORITHM: &str = "ed25519";

    /// The text a checkpoint's signature covers.
    pub fn message(sequence: i64, time_micros: i64, cases: i64, heads_digest: &str) -> String {
        format!(
            "regie audit checkpoint v1\nsequence {sequence}\ntime {time_micros}\ncases {cases}\nheads {heads_digest}\n"
        )
    }

    /// Checks `signature` (base64) over `message` with `public_key` (base64); the error says
    /// what is wrong.
    pub fn verify(public_key: &str, message: &str, signature: &str) -> Result<(), String> {
        let key = STANDARD
            .decode(public_key.trim())
            .map_err(|_| "the public key is not base64".to_owned())?;
        if key.len() != 32 {
            return Err(format!(
                "the public key has {} bytes, not the 32 of an Ed25519 key",
                key.len()
            ));
        }
        let signature = STANDARD
            .decode(signature.trim())
            .map_err(|_| "the signature is not base64".to_owned())?;
        ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key)
            .verify(message.as_bytes(), &signature)
            .map_err(|_| "the signature does not verify with the public key".to_owned())
    }

    /// Base64 as keys and signatures travel.
    pub fn base64(bytes: &[u8]) -> String {
        STANDARD.encode(bytes)
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use ring::signature::KeyPair as _;

        #[test]
        fn a_signature_verifies_only_over_its_own_text_and_key() {
            let rng = ring::rand::SystemRandom::new();
            let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).expect("key");
            let key = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("key");
            let public = base64(key.public_key().as_ref());
            let text = message(42, 1_700_000_000_000_000, 3, "ab");
            let signature = base64(key.sign(text.as_bytes()).as_ref());
            assert_eq!(verify(&public, &text, &signature), Ok(()));
            let other = message(43, 1_700_000_000_000_000, 3, "ab");
            assert!(verify(&public, &other, &signature).is_err());
            let mut bad = signature.into_bytes();
            bad[3] = if bad[3] == b'A' { b'B' } else { b'A' };
            let bad = String::from_utf8(bad).expect("ascii");
            assert!(verify(&public, &text, &bad).is_err());
            assert!(verify("AAAA", &text, &bad).is_err());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_private_file_is_the_owners_alone_even_if_it_existed() {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |path: &Path| fs::metadata(path).expect("metadata").permissions().mode() & 0o777;
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("secret");
        write_private(&path, "one\n").expect("written");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(fs::read_to_string(&path).expect("read"), "one\n");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        write_private(&path, "two").expect("written again");
        assert_eq!(mode(&path), 0o600, "an existing file is made private again");
        assert_eq!(fs::read_to_string(&path).expect("read"), "two", "truncated");
    }

    #[cfg(unix)]
    #[test]
    fn private_directories_and_files_are_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |path: &Path| fs::metadata(path).expect("metadata").permissions().mode() & 0o777;
        let dir = tempfile::tempdir().expect("temporary directory");
        let nested = dir.path().join("a").join("b");
        create_private_dir(&nested).expect("created");
        assert_eq!(mode(&nested), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        let db = nested.join("regie.db");
        assert!(!ensure_private_file(&db).expect("created"));
        assert_eq!(mode(&db), 0o600);
        fs::set_permissions(&db, fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(ensure_private_file(&db).expect("tightened"));
        assert_eq!(mode(&db), 0o600);
    }
}

/// The UTC offset of Europe/Amsterdam at the moment `at`: CEST (+02:00) from the last Sunday of
/// March, 01:00 UTC, to the last Sunday of October, 01:00 UTC, CET (+01:00) the rest of the
/// year. This is the EU rule (directive 2000/84/EC, the Netherlands' since 1996), computed here
/// rather than read from a time-zone database: the workspace's `time` crate has none, and a
/// well-kept crate that has one (jiff with its bundled database) would be a second date-time
/// library for this one offset. Times before 1996 are not in Regie.
pub fn amsterdam_offset(at: time::OffsetDateTime) -> time::UtcOffset {
    use time::{Month, UtcOffset};
    let at = at.to_offset(UtcOffset::UTC);
    let switch = |month: Month| {
        last_sunday(at.year(), month)
            .with_time(time::macros::time!(01:00))
            .assume_utc()
    };
    if at >= switch(Month::March) && at < switch(Month::October) {
        time::macros::offset!(+02:00)
    } else {
        time::macros::offset!(+01:00)
    }
}

/// The last Sunday of `month` in `year` (March and October: always a valid date).
fn last_sunday(year: i32, month: time::Month) -> time::Date {
    use time::Date;
    let first_of_next = Date::from_calendar_date(year, month.next(), 1).unwrap_or(Date::MIN);
    let last = first_of_next.previous_day().unwrap_or(first_of_next);
    let back = i64::from(last.weekday().number_days_from_sunday());
    last - time::Duration::days(back)
}

#[cfg(test)]
mod amsterdam_tests {
    use time::macros::{datetime, offset};

    #[test]
    fn summer_time_runs_from_the_last_sunday_of_march_to_that_of_october_at_one_utc() {
        let at = |t| super::amsterdam_offset(t);
        assert_eq!(at(datetime!(2026-03-29 00:59 UTC)), offset!(+01:00));
        assert_eq!(at(datetime!(2026-03-29 01:00 UTC)), offset!(+02:00));
        assert_eq!(at(datetime!(2026-10-25 00:59 UTC)), offset!(+02:00));
        assert_eq!(at(datetime!(2026-10-25 01:00 UTC)), offset!(+01:00));
        assert_eq!(at(datetime!(2026-12-02 05:00 UTC)), offset!(+01:00));
        use time::Month;
        assert_eq!(
            super::last_sunday(2027, Month::March).to_string(),
            "2027-03-28"
        );
        assert_eq!(
            super::last_sunday(2027, Month::October).to_string(),
            "2027-10-31"
        );
    }
}
