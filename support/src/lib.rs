//! Small helpers that both `regie-server` and the `regie` CLI need, written once: today, writing
//! a secret to a file only its owner can read (the first admin's token, the CLI's profiles).

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
}
