//! Which server a command talks to and which token it sends, when a flag, the environment and a
//! profile may each give one.
//!
//! The order is: `--server`/`--token` (clap already puts a flag before its `REGIE_SERVER`/
//! `REGIE_TOKEN` variable), then the selected profile, then the built-in default server. There
//! is no default token: without one, calls go out without `authorization` and the server
//! answers UNAUTHENTICATED. The server address from a profile is normalised like `--server`.

use std::path::{Path, PathBuf};

use crate::connection::normalise_server;
use crate::profiles::{DEFAULT_PROFILE, Profile, Profiles};

/// The server used when neither a flag, the environment nor the profile names one.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:50051";

/// Where to connect and what to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// A normalised URL.
    pub server: String,
    pub token: Option<String>,
}

/// The profile's name: as given, or `default`.
pub fn profile_name(requested: Option<&str>) -> &str {
    requested.unwrap_or(DEFAULT_PROFILE)
}

/// The profile to use. A profile named explicitly (`--profile`, `REGIE_PROFILE`) must exist, so
/// a typo is not silently a call without a token; the `default` profile may be absent.
pub fn select_profile<'a>(
    profiles: &'a Profiles,
    requested: Option<&str>,
    path: Option<&Path>,
) -> Result<Option<&'a Profile>, String> {
    let name = profile_name(requested);
    match (profiles.get(name), requested) {
        (Some(profile), _) => Ok(Some(profile)),
        (None, None) => Ok(None),
        (None, Some(_)) => {
            let place = path.map_or_else(
                || "no profiles file (set REGIE_CONFIG_DIR or HOME)".to_owned(),
                |path| format!("not in {}", path.display()),
            );
            let known = profiles.names();
            let known = if known.is_empty() {
                String::new()
            } else {
                format!(" (profiles there: {})", known.join(", "))
            };
            Err(format!(
                "profile `{name}`: {place}{known}; create it with `regie --profile {name} login`"
            ))
        }
    }
}

/// The server: the flag or environment (already normalised by clap), else the profile's, else
/// [`DEFAULT_SERVER`].
pub fn server(
    flag: Option<&str>,
    profile: Option<&Profile>,
    profile_name: &str,
) -> Result<String, String> {
    match (flag, profile.and_then(|p| p.server.as_deref())) {
        (Some(server), _) => Ok(server.to_owned()),
        (None, Some(server)) => {
            normalise_server(server).map_err(|e| format!("profile `{profile_name}`: {e}"))
        }
        (None, None) => Ok(DEFAULT_SERVER.to_owned()),
    }
}

/// The server `login` saves in profile `name`: the flag or environment, else the profile's own,
/// else, for a profile without one (a new profile), the server of the profile in use so far
/// (`current`: `REGIE_PROFILE`, else `default`), else [`DEFAULT_SERVER`]. With it, the name of
/// the profile the server was taken from, when that is another one.
pub fn login_server<'a>(
    flag: Option<&str>,
    profiles: &Profiles,
    name: &str,
    current: &'a str,
) -> Result<(String, Option<&'a str>), String> {
    let own = profiles.get(name);
    if flag.is_some() || own.is_some_and(|p| p.server.is_some()) || current == name {
        return server(flag, own, name).map(|server| (server, None));
    }
    match profiles.get(current) {
        Some(profile) if profile.server.is_some() => {
            server(None, Some(profile), current).map(|server| (server, Some(current)))
        }
        _ => Ok((DEFAULT_SERVER.to_owned(), None)),
    }
}

/// The token: the flag or environment, else the profile's. Blank values count as absent.
pub fn token(flag: Option<&str>, profile: Option<&Profile>) -> Option<String> {
    let given = |token: Option<&str>| {
        token
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    given(flag).or_else(|| given(profile.and_then(|p| p.token.as_deref())))
}

/// The CA certificate for an `https://` server: the flag or environment, else the profile's.
pub fn ca_cert(flag: Option<&Path>, profile: Option<&Profile>) -> Option<PathBuf> {
    flag.map(Path::to_owned).or_else(|| {
        profile
            .and_then(|p| p.ca_cert.as_deref())
            .filter(|c| !c.trim().is_empty())
            .map(PathBuf::from)
    })
}

/// Both at once, for every command but `login` and `logout`.
pub fn resolve(
    server_flag: Option<&str>,
    token_flag: Option<&str>,
    profile: Option<&Profile>,
    profile_name: &str,
) -> Result<Settings, String> {
    Ok(Settings {
        server: server(server_flag, profile, profile_name)?,
        token: token(token_flag, profile),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(server: Option<&str>, token: Option<&str>) -> Profile {
        Profile {
            server: server.map(str::to_owned),
            token: token.map(str::to_owned),
            ca_cert: None,
        }
    }

    #[test]
    fn the_ca_certificate_comes_from_the_flag_else_the_profile() {
        let saved = Profile {
            ca_cert: Some("/etc/regie/ca.pem".into()),
            ..profile(None, None)
        };
        assert_eq!(
            ca_cert(Some(Path::new("mine.pem")), Some(&saved)),
            Some(PathBuf::from("mine.pem"))
        );
        assert_eq!(
            ca_cert(None, Some(&saved)),
            Some(PathBuf::from("/etc/regie/ca.pem"))
        );
        assert_eq!(ca_cert(None, None), None);
    }

    #[test]
    fn flags_beat_the_profile() {
        let saved = profile(Some("regie.example:8080"), Some("from-profile"));
        let settings = resolve(
            Some("http://flag:1"),
            Some("from-flag"),
            Some(&saved),
            "default",
        );
        assert_eq!(
            settings,
            Ok(Settings {
                server: "http://flag:1".into(),
                token: Some("from-flag".into()),
            })
        );
    }

    #[test]
    fn the_profile_beats_the_defaults() {
        let saved = profile(Some("regie.example:8080"), Some("from-profile"));
        assert_eq!(
            resolve(None, None, Some(&saved), "default"),
            Ok(Settings {
                server: "http://regie.example:8080".into(),
                token: Some("from-profile".into()),
            })
        );
        // Each value is looked up on its own: a flag for one leaves the profile's other.
        assert_eq!(
            resolve(None, Some("from-flag"), Some(&saved), "default").map(|s| s.server),
            Ok("http://regie.example:8080".to_owned())
        );
        assert_eq!(
            resolve(Some("http://flag:1"), None, Some(&saved), "default").map(|s| s.token),
            Ok(Some("from-profile".to_owned()))
        );
    }

    #[test]
    fn without_flags_or_profile_the_default_server_and_no_token() {
        assert_eq!(
            resolve(None, None, None, "default"),
            Ok(Settings {
                server: DEFAULT_SERVER.into(),
                token: None,
            })
        );
        let server_only = profile(None, Some("t"));
        assert_eq!(
            server(None, Some(&server_only), "default").as_deref(),
            Ok(DEFAULT_SERVER)
        );
    }

    #[test]
    fn blank_tokens_count_as_absent() {
        let saved = profile(None, Some("from-profile"));
        assert_eq!(
            token(Some("  "), Some(&saved)).as_deref(),
            Some("from-profile")
        );
        assert_eq!(token(Some(" t \n"), None).as_deref(), Some("t"));
        assert_eq!(token(None, Some(&profile(None, Some("")))), None);
    }

    #[test]
    fn a_new_profile_starts_from_the_current_profiles_server() {
        let mut profiles = Profiles::default();
        profiles.log_in("default", "http://regie.example:8080", "t");
        profiles.log_in("prod", "http://prod.example:1", "t");
        // A new profile: the server of the profile in use so far.
        assert_eq!(
            login_server(None, &profiles, "coordinator", "default"),
            Ok(("http://regie.example:8080".to_owned(), Some("default")))
        );
        assert_eq!(
            login_server(None, &profiles, "coordinator", "prod"),
            Ok(("http://prod.example:1".to_owned(), Some("prod")))
        );
        // --server wins; an existing profile keeps its own.
        assert_eq!(
            login_server(Some("http://flag:1"), &profiles, "coordinator", "default"),
            Ok(("http://flag:1".to_owned(), None))
        );
        assert_eq!(
            login_server(None, &profiles, "prod", "default"),
            Ok(("http://prod.example:1".to_owned(), None))
        );
        // Nothing to start from: the default server.
        assert_eq!(
            login_server(None, &Profiles::default(), "coordinator", "default"),
            Ok((DEFAULT_SERVER.to_owned(), None))
        );
        assert_eq!(
            login_server(None, &Profiles::default(), "default", "default"),
            Ok((DEFAULT_SERVER.to_owned(), None))
        );
    }

    #[test]
    fn a_bad_server_in_a_profile_names_the_profile() {
        let saved = profile(Some("ftp://regie.example"), None);
        let err = server(None, Some(&saved), "prod").expect_err("ftp is refused");
        assert!(err.starts_with("profile `prod`: "), "{err}");
        let tls = profile(Some("https://regie.example"), None);
        assert_eq!(
            server(None, Some(&tls), "prod").as_deref(),
            Ok("https://regie.example")
        );
    }

    #[test]
    fn only_an_explicitly_named_profile_must_exist() {
        let mut profiles = Profiles::default();
        assert_eq!(select_profile(&profiles, None, None), Ok(None));
        profiles.log_in("default", "http://a:1", "t");
        assert!(matches!(
            select_profile(&profiles, Some("default"), None),
            Ok(Some(_))
        ));
        let err = select_profile(&profiles, Some("prod"), Some(Path::new("/x/profiles.toml")))
            .expect_err("prod is not there");
        assert_eq!(
            err,
            "profile `prod`: not in /x/profiles.toml (profiles there: default); \
             create it with `regie --profile prod login`"
        );
    }
}
