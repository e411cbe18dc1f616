//! Small helpers that both `regie-server` and the `regie` CLI need, written once: writing a
//! secret to a file only its owner can read (the first admin's token, the CLI's profiles), and
//! making the directories and files that hold such data the owner's alone.

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
