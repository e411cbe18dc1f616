//! The profiles file: named pairs of a server address and an API token, so that one
//! `regie login` is enough and `--profile` switches between servers or identities.
//!
//! The file is `$REGIE_CONFIG_DIR/profiles.toml` when that variable is set, else
//! `$XDG_CONFIG_HOME/regie/profiles.toml`, else `$HOME/.config/regie/profiles.toml`:
//!
//! ```toml
//! [profiles.default]
//! server = "https://regie.example:50051"
//! token = "…"
//! ca_cert = "/etc/regie/ca.pem"   # optional: for https, instead of the system's trust store
//! ```
//!
//! It holds secrets, so it is written readable and writable by its owner only (mode 0600), also
//! when it existed with a wider mode, and a missing directory is created for the owner only
//! (0700). Which value wins when a flag, the environment and a profile disagree is decided in
//! `settings`, not here.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

/// The profile used when neither `--profile` nor `REGIE_PROFILE` names one.
pub const DEFAULT_PROFILE: &str = "default";

/// The environment variable that selects a profile, as `--profile` does.
pub const PROFILE_VAR: &str = "REGIE_PROFILE";

/// The environment variable naming the directory of the profiles file; it wins over the XDG and
/// home directories, so tests and scripts can keep their profiles apart.
pub const CONFIG_DIR_VAR: &str = "REGIE_CONFIG_DIR";

const FILE_NAME: &str = "profiles.toml";

/// Written at the top of the file, as the TOML serialiser keeps no comments.
const HEADER: &str = "\
# Profiles of the `regie` command-line client, written by `regie login` and `regie logout`.
# The tokens below are secrets: keep this file readable by you alone (mode 0600).

";

/// One profile: where the server is and which token to send. Either may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The CA certificate (PEM file) an `https://` server's certificate is checked against,
    /// instead of the system's trust store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
}

/// The whole file: the profiles by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profiles {
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// Where the profiles file is, reading environment variables through `var` (so that tests need
/// not change the process environment). Empty variables count as unset; `None` when none of
/// `REGIE_CONFIG_DIR`, `XDG_CONFIG_HOME` and `HOME` is set.
pub fn locate(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let dir = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = dir(CONFIG_DIR_VAR) {
        return Some(dir.join(FILE_NAME));
    }
    if let Some(dir) = dir("XDG_CONFIG_HOME") {
        return Some(dir.join("regie").join(FILE_NAME));
    }
    dir("HOME").map(|home| home.join(".config").join("regie").join(FILE_NAME))
}

/// [`locate`] with the process environment.
pub fn path_from_env() -> Option<PathBuf> {
    locate(|name| std::env::var_os(name))
}

impl Profiles {
    /// Reads the file at `path`; a file that does not exist holds no profiles.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!("reading {}", path.display())));
            }
        };
        toml::from_str(&text)
            .with_context(|| format!("{} is not a valid profiles file", path.display()))
    }

    /// Writes the file at `path` with mode 0600, creating its directory if needed.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let body = toml::to_string(self).context("writing the profiles as TOML")?;
        write_private(path, &format!("{HEADER}{body}"))
            .with_context(|| format!("writing {}", path.display()))
    }

    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    /// The profile names, in order, for error messages.
    pub fn names(&self) -> Vec<&str> {
        self.profiles.keys().map(String::as_str).collect()
    }

    /// Stores a server and token under `name`, creating the profile or replacing both values.
    pub fn log_in(&mut self, name: &str, server: &str, token: &str) {
        let profile = self.profiles.entry(name.to_owned()).or_default();
        profile.server = Some(server.to_owned());
        profile.token = Some(token.to_owned());
    }

    /// Sets the CA certificate file of profile `name` (which exists after [`Profiles::log_in`]).
    pub fn set_ca_cert(&mut self, name: &str, ca_cert: &str) {
        if let Some(profile) = self.profiles.get_mut(name) {
            profile.ca_cert = Some(ca_cert.to_owned());
        }
    }

    /// Removes the token of profile `name`, keeping its server for the next login. `false` when
    /// there was no token to remove.
    pub fn log_out(&mut self, name: &str) -> bool {
        self.profiles
            .get_mut(name)
            .and_then(|profile| profile.token.take())
            .is_some()
    }
}

/// Writes `text` to `path` for its owner only (mode 0600), creating the missing directories
/// for the owner only (0700).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        create_private_dir(dir)?;
    }
    regie_support::write_private(path, text)
}

/// Creates `dir` and its missing parents; the ones created are for the owner only (0700).
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| OsString::from(value))
        }
    }

    #[test]
    fn the_file_is_found_by_regie_config_dir_then_xdg_then_home() {
        let all = [
            ("REGIE_CONFIG_DIR", "/tmp/regie-test"),
            ("XDG_CONFIG_HOME", "/xdg"),
            ("HOME", "/home/anna"),
        ];
        assert_eq!(
            locate(env(&all)),
            Some(PathBuf::from("/tmp/regie-test/profiles.toml"))
        );
        assert_eq!(
            locate(env(&all[1..])),
            Some(PathBuf::from("/xdg/regie/profiles.toml"))
        );
        assert_eq!(
            locate(env(&all[2..])),
            Some(PathBuf::from("/home/anna/.config/regie/profiles.toml"))
        );
        let empty = [
            ("REGIE_CONFIG_DIR", ""),
            ("XDG_CONFIG_HOME", ""),
            ("HOME", "/h"),
        ];
        assert_eq!(
            locate(env(&empty)),
            Some(PathBuf::from("/h/.config/regie/profiles.toml")),
            "empty variables count as unset"
        );
        assert_eq!(locate(env(&[])), None);
    }

    #[test]
    fn a_missing_file_holds_no_profiles() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let profiles = Profiles::load(&dir.path().join("profiles.toml")).expect("loads");
        assert_eq!(profiles, Profiles::default());
    }

    #[test]
    fn profiles_survive_a_round_trip_in_a_new_directory() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir
            .path()
            .join("nested")
            .join("regie")
            .join("profiles.toml");
        let mut profiles = Profiles::default();
        profiles.log_in("default", "http://127.0.0.1:50051", "secret-1");
        profiles.log_in("prod", "http://regie.example:8080", "secret \"2\"");
        profiles.save(&path).expect("saves");

        let loaded = Profiles::load(&path).expect("loads");
        assert_eq!(loaded, profiles);
        assert_eq!(loaded.names(), vec!["default", "prod"]);
        let text = fs::read_to_string(&path).expect("readable");
        assert!(text.contains("[profiles.prod]"), "{text}");
        assert!(text.starts_with("# Profiles of the `regie`"), "{text}");
    }

    #[test]
    fn logging_out_keeps_the_server() {
        let mut profiles = Profiles::default();
        profiles.log_in("default", "http://a:1", "secret");
        assert!(profiles.log_out("default"));
        assert!(!profiles.log_out("default"), "no token left to remove");
        assert!(!profiles.log_out("other"));
        assert_eq!(
            profiles.get("default"),
            Some(&Profile {
                server: Some("http://a:1".into()),
                token: None,
                ca_cert: None,
            })
        );
    }

    #[test]
    fn a_file_that_is_not_toml_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("profiles.toml");
        fs::write(&path, "[profiles.default\nserver = 1").expect("written");
        let err = Profiles::load(&path).expect_err("not TOML");
        assert!(format!("{err:#}").contains("profiles.toml"), "{err:#}");
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private_whether_new_or_not() {
        use std::os::unix::fs::PermissionsExt as _;

        let mode = |path: &Path| fs::metadata(path).expect("metadata").permissions().mode() & 0o777;
        let dir = tempfile::tempdir().expect("temporary directory");
        let new_dir = dir.path().join("regie");
        let path = new_dir.join("profiles.toml");
        let mut profiles = Profiles::default();
        profiles.log_in("default", "http://a:1", "secret");
        profiles.save(&path).expect("saves");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&new_dir), 0o700);

        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        profiles.save(&path).expect("saves again");
        assert_eq!(mode(&path), 0o600, "an existing file is made private again");
    }
}
