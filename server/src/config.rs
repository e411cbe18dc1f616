//! The server's configuration: what `regie-server` reads at start, and from where.
//!
//! Every setting comes from, in rising order of precedence: its built-in default, the TOML file
//! named by `--config`, its `REGIE_*` environment variable, its command-line flag. clap reads the
//! flags and the variables (a flag wins over its variable); the file fills in whatever neither
//! set, and the default whatever none of them did. `regie-server --help` lists every setting
//! with its variable and default.
//!
//! Each setting is declared once, in the table given to `settings!` below: its name, its type,
//! its default and its help. From that one row come the flag (`--shutdown-timeout`), the
//! variable (`REGIE_SHUTDOWN_TIMEOUT`), the file key (`shutdown_timeout`), the help line with
//! its default, and the field of [`Settings`]. A declarative macro rather than a crate: the
//! layered-configuration crates (`figment`, `config`, `twelf`) read the environment themselves,
//! by prefix, so they would still need the clap declarations for `--help`, and they would take
//! any `REGIE_*` variable for a setting — `REGIE_TEST_POSTGRES_URL`, which the test suite sets,
//! would be refused as an unknown key. With clap reading both flags and variables, and serde
//! the file, the table is the only thing left to write.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use serde::Deserialize;

use crate::store::{self, StoreOptions};

#[derive(Debug, Parser)]
#[command(
    name = "regie-server",
    version,
    about = "Regie: workflow and case tracking for integrity policy in the Dutch central government."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub options: Options,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Administration against the database directly, with the server running or not (for
    /// recovery, e.g. when every admin token is lost).
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Issue a new token for a principal and print its secret (once) on standard output.
    IssueToken {
        /// The principal's id, e.g. `admin`.
        #[arg(long)]
        principal: String,
        /// A name for the token.
        #[arg(long, default_value = "recovery")]
        display_name: String,
    },
}

/// Generates, from one table of settings, [`Options`] (clap: the flags and variables),
/// `FileConfig` (serde: the file, refusing unknown keys), [`Settings`] (the resolved values) and
/// the resolution from the first two to the third. See its one use below.
macro_rules! settings {
    (
        $(#[$options_meta:meta])*
        pub struct Options {
            $( $(#[$cli_meta:meta])* pub $cli:ident: $cli_ty:ty, )*
        }
        $(#[$settings_meta:meta])*
        pub struct Settings {
            $( $(#[doc = $derived_doc:literal])* pub $derived:ident: $derived_ty:ty = $derive:expr, )*
        }
        values {
            $(
                $(#[doc = $doc:literal])+
                $name:ident: $raw:ty = $default:tt $(as $out:ty = $convert:expr)?
                    $(, $arg:ident $(= $arg_value:expr)?)*;
            )*
        }
        switches {
            $( $(#[doc = $switch_doc:literal])+ $switch:ident; )*
        }
    ) => {
        $(#[$options_meta])*
        #[derive(Debug, Clone, Default, clap::Args)]
        pub struct Options {
            $( $(#[$cli_meta])* pub $cli: $cli_ty, )*
            $(
                #[arg(
                    long,
                    env = env_var(stringify!($name)),
                    global = true,
                    help = help(&[$($doc),+], Some(settings!(@shown $default)))
                    $(, $arg $(= $arg_value)?)*
                )]
                pub $name: Option<$raw>,
            )*
            $(
                #[arg(
                    long,
                    env = env_var(stringify!($switch)),
                    global = true,
                    help = help(&[$($switch_doc),+], None)
                )]
                pub $switch: bool,
            )*
        }

        /// The configuration file: the same settings, all optional.
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct FileConfig {
            $( $name: Option<$raw>, )*
            $( $switch: Option<bool>, )*
        }

        $(#[$settings_meta])*
        #[derive(Debug, Clone)]
        pub struct Settings {
            $( $(#[doc = $doc])+ pub $name: settings!(@out $raw, $default $(, $out)?), )*
            $( $(#[doc = $switch_doc])+ pub $switch: bool, )*
            $( $(#[doc = $derived_doc])* pub $derived: $derived_ty, )*
        }

        impl Layers {
            $(
                /// The setting resolved: flag or variable, else file, else default.
                fn $name(&self) -> settings!(@out $raw, $default $(, $out)?) {
                    let value = self.options.$name.clone().or_else(|| self.file.$name.clone());
                    let value = settings!(@default self, $name, value, $default);
                    $( let value = ($convert)(value); )?
                    value
                }
            )*

            fn resolve(self) -> Settings {
                Settings {
                    $( $name: self.$name(), )*
                    $( $switch: self.options.$switch || self.file.$switch.unwrap_or(false), )*
                    $( $derived: ($derive)(&self.options), )*
                }
            }
        }
    };

    // The type a setting resolves to: its own, its conversion's, or optional when it has no default.
    (@out $raw:ty, (none, shown $text:literal)) => { Option<$raw> };
    (@out $raw:ty, $default:tt, $out:ty) => { $out };
    (@out $raw:ty, $default:tt) => { $raw };

    // The default as the help shows it.
    (@shown $text:literal) => { $text };
    (@shown (from $compute:expr, shown $text:literal)) => { $text };
    (@shown (none, shown $text:literal)) => { $text };

    // The default applied to what the layers gave.
    (@default $layers:expr, $name:ident, $value:ident, $text:literal) => {
        $value.unwrap_or_else(|| parse_default(stringify!($name), $text))
    };
    (@default $layers:expr, $name:ident, $value:ident, (from $compute:expr, shown $text:literal)) => {
        $value.unwrap_or_else(|| $compute($layers))
    };
    (@default $layers:expr, $name:ident, $value:ident, (none, shown $text:literal)) => {
        $value
    };
}

settings! {
    /// Every setting, as clap reads it from the command line and the environment.
    pub struct Options {
        /// TOML configuration file; its keys are the long flag names with underscores.
        #[arg(long, env = "REGIE_CONFIG", global = true, value_name = "FILE")]
        pub config: Option<PathBuf>,
        /// FOR BENCHMARKS ONLY: serve without authentication or authorization. Refused unless the
        /// server listens on a loopback address.
        #[arg(long, hide = true)]
        pub insecure_no_access_control: bool,
    }

    /// The resolved configuration.
    pub struct Settings {
        /// Calls are authenticated and authorized (always, but for `--insecure-no-access-control`).
        pub access_control: bool = |options: &Options| !options.insecure_no_access_control,
    }

    // Each: name: type = default [as resolved type = conversion], clap attributes. The default
    // is either text, parsed as the flag would be, or computed from the other settings, or none.
    values {
        /// Address to listen on for gRPC.
        listen: SocketAddr = "127.0.0.1:50051", value_name = "ADDR";
        /// TLS certificate chain (PEM), server certificate first; with --tls-key, the server
        /// speaks only TLS. Read again on SIGHUP or when the file changes.
        tls_cert: PathBuf = (none, shown "none: plaintext gRPC"), value_name = "FILE";
        /// The TLS certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
        tls_key: PathBuf = (none, shown "none"), value_name = "FILE";
        /// Seconds between checks whether the TLS certificate or key file changed.
        tls_reload_interval: u64 = "10" as Duration = |s: u64| Duration::from_secs(s.max(1)),
            value_name = "SECONDS";
        /// Database URL: sqlite://PATH or postgres://USER:PASSWORD@HOST/DATABASE.
        database_url: String = (from sqlite_in_data_dir, shown "sqlite://DATA_DIR/regie.db"),
            value_name = "URL", hide_env_values = true;
        /// Directory for the SQLite database and other local files; created if missing.
        data_dir: PathBuf = ".", value_name = "DIR";
        /// Log format.
        log_format: LogFormat = "text", value_enum;
        /// Log filter, in tracing's EnvFilter syntax.
        log: String = "info", value_name = "FILTER";
        /// Seconds to wait for in-flight calls to finish after SIGTERM or SIGINT.
        shutdown_timeout: u64 = "30" as Duration = Duration::from_secs, value_name = "SECONDS";
        /// Most database connections to hold open.
        max_connections: u32 = "16", value_name = "N";
        /// Milliseconds a call waits for a free database connection before it fails with
        /// UNAVAILABLE.
        database_acquire_timeout: u64 = "1000" as Duration = |ms: u64| Duration::from_millis(ms.max(10)),
            value_name = "MILLISECONDS";
        /// PostgreSQL: milliseconds a statement waits for a lock (the write lock among them)
        /// before the call fails with UNAVAILABLE (DATABASE_LOCK_TIMEOUT); 0: no limit.
        database_lock_timeout: u64 = "2000" as Duration = Duration::from_millis,
            value_name = "MILLISECONDS";
        /// PostgreSQL: milliseconds one statement may run (DATABASE_STATEMENT_TIMEOUT); 0: no limit.
        database_statement_timeout: u64 = "30000" as Duration = Duration::from_millis,
            value_name = "MILLISECONDS";
        /// PostgreSQL: milliseconds a session may sit in an open transaction without a statement
        /// (a frozen replica) before the database ends it and releases its locks; 0: no limit.
        database_idle_in_transaction_timeout: u64 = "5000" as Duration = Duration::from_millis,
            value_name = "MILLISECONDS";
        /// PostgreSQL: seconds of silence after which the database probes our connections
        /// (TCP keepalive, then one probe a second, three missed end the session), so that a
        /// vanished replica's locks are released within seconds.
        database_keepalive: u64 = "5" as Duration = |s: u64| Duration::from_secs(s.max(1)),
            value_name = "SECONDS";
        /// PostgreSQL: milliseconds between checks that the database can be reached; while it
        /// cannot, calls fail at once with UNAVAILABLE and health is NOT_SERVING.
        database_check_interval: u64 = "500" as Duration = |ms: u64| Duration::from_millis(ms.max(50)),
            value_name = "MILLISECONDS";
        /// Seconds a replica's lease on a background job (the deadline scheduler) lasts; the
        /// holder renews it every third of that, and another replica takes over when it expires.
        lease_duration: u64 = "6" as Duration = |s: u64| Duration::from_secs(s.max(1)),
            value_name = "SECONDS";
        /// SQLite durability: `full` survives power loss with every acknowledged commit; `normal`
        /// is faster but may lose the last commits on power loss.
        sqlite_synchronous: SqliteSynchronous = "full", value_enum;
        /// Seconds between deadline checks (marking cases overdue).
        scheduler_interval: u64 = "60" as Duration = |s: u64| Duration::from_secs(s.max(1)),
            value_name = "SECONDS";
        /// TOML file with the departments to create on first start.
        departments_file: PathBuf = (none, shown "the built-in list of the 15 ministries"),
            value_name = "FILE";
        /// Milliseconds between checks for access changes (principals, tokens, roles, policy) made
        /// by other replicas; a revocation applies everywhere within this.
        access_poll_interval: u64 = "1000" as Duration = |ms: u64| Duration::from_millis(ms.max(10)),
            value_name = "MILLISECONDS";
        /// Most change-feed streams (WatchEvents) open on this server at once.
        max_watchers: usize = "1000", value_name = "N";
        /// Most change-feed streams one principal may have open on this server at once.
        max_watchers_per_principal: usize = "50", value_name = "N";
        /// Days the first admin's token (written to DATA_DIR/admin.token on first start) stays
        /// valid; 0: it never expires. A new one: `regie-server admin issue-token --principal admin`.
        bootstrap_token_days: u64 = "7", value_name = "DAYS";
        /// Ed25519 key file (PEM, PKCS#8) the audit log's checkpoints are signed with; created
        /// (0600) with a new key when missing. Keep it out of the database's reach and give every
        /// replica of one database the same file.
        checkpoint_key: PathBuf = (from checkpoint_key_in_data_dir, shown "DATA_DIR/checkpoint.key"),
            value_name = "FILE";
        /// Sign a checkpoint of the audit log after this many new events.
        checkpoint_events: u64 = "1000", value_name = "N";
        /// Seconds after which a checkpoint is signed when the log moved at all since the last.
        checkpoint_interval: u64 = "3600" as Duration = |s: u64| Duration::from_secs(s.max(1)),
            value_name = "SECONDS";
        /// Address the web console listens on (plain HTTP; see docs/architecture.md, "Console"),
        /// or `off`.
        console_listen: ConsoleListen = "127.0.0.1:8080", value_name = "ADDR|off";
        /// The console's address as its users reach it (e.g. behind a proxy), used in the
        /// sign-in links `regie console invite` hands out.
        console_url: String = (none, shown "http://ADDR/ of --console-listen"), value_name = "URL";
        /// Minutes a console session may stay unused before it ends.
        console_idle_timeout: u64 = "30" as Duration = |m: u64| Duration::from_secs(m.max(1) * 60),
            value_name = "MINUTES";
        /// Hours after sign-in at which a console session ends, however active.
        console_absolute_timeout: u64 = "12" as Duration =
            |h: u64| Duration::from_secs(h.max(1) * 3600), value_name = "HOURS";
    }

    // Each: on when its flag is given or its variable or file key is `true`.
    switches {
        /// Load the demo scenario from the letter to parliament (working group, recommendations,
        /// frameworks, risk analyses, assessment cycles) when the database holds no cases yet.
        demo;
    }
}

/// The default database: `regie.db` in the data directory.
fn sqlite_in_data_dir(layers: &Layers) -> String {
    format!("sqlite://{}", layers.data_dir().join("regie.db").display())
}

/// The default checkpoint key: `checkpoint.key` in the data directory.
fn checkpoint_key_in_data_dir(layers: &Layers) -> PathBuf {
    layers.data_dir().join("checkpoint.key")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Where the web console listens: an address, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum ConsoleListen {
    Off,
    On(SocketAddr),
}

impl FromStr for ConsoleListen {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        if text.trim().eq_ignore_ascii_case("off") {
            return Ok(Self::Off);
        }
        text.trim()
            .parse()
            .map(Self::On)
            .map_err(|_| format!("{text:?} is neither an address (HOST:PORT) nor `off`"))
    }
}

impl TryFrom<String> for ConsoleListen {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

/// SQLite durability, as the settings name it; the store has its own type, without clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    Full,
    Normal,
}

impl From<SqliteSynchronous> for store::SqliteSynchronous {
    fn from(value: SqliteSynchronous) -> Self {
        match value {
            SqliteSynchronous::Full => Self::Full,
            SqliteSynchronous::Normal => Self::Normal,
        }
    }
}

// Defaults are declared as text and parsed as a flag's value would be.
impl FromStr for LogFormat {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        ValueEnum::from_str(text, false)
    }
}

impl FromStr for SqliteSynchronous {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        ValueEnum::from_str(text, false)
    }
}

impl Settings {
    pub fn resolve(options: Options) -> anyhow::Result<Self> {
        let file = match &options.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        Ok(Layers { options, file }.resolve())
    }

    /// How long the first admin's token is valid; `None`: forever.
    pub fn bootstrap_token(&self) -> Option<Duration> {
        (self.bootstrap_token_days > 0)
            .then(|| Duration::from_secs(self.bootstrap_token_days.saturating_mul(86_400)))
    }

    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            url: self.database_url.clone(),
            max_connections: self.max_connections,
            sqlite_synchronous: self.sqlite_synchronous.into(),
            acquire_timeout: self.database_acquire_timeout,
            session: store::SessionLimits {
                lock_timeout: self.database_lock_timeout,
                statement_timeout: self.database_statement_timeout,
                idle_in_transaction_timeout: self.database_idle_in_transaction_timeout,
                keepalive: self.database_keepalive,
            },
            check_interval: self.database_check_interval,
        }
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid configuration file {}", path.display()))
}

/// What a setting's flag or variable and the file said, before defaults.
struct Layers {
    options: Options,
    file: FileConfig,
}

/// The variable of a setting: `REGIE_` and its name in capitals.
fn env_var(name: &str) -> String {
    format!("REGIE_{}", name.to_uppercase())
}

/// The help line of a setting: its doc comment as one line (as clap makes it), then its default.
fn help(doc: &[&str], default: Option<&str>) -> String {
    let text = doc
        .iter()
        .map(|line| line.trim())
        .collect::<Vec<_>>()
        .join(" ");
    let text = text.strip_suffix('.').unwrap_or(&text);
    match default {
        Some(default) => format!("{text} [default: {default}]"),
        None => text.to_owned(),
    }
}

/// A declared default. A default that does not parse is a mistake in the table above, which the
/// tests catch (`defaults_are_as_documented`).
fn parse_default<T: FromStr>(name: &str, text: &str) -> T
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .unwrap_or_else(|e| panic!("the default of {name}, {text:?}, does not parse: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("regie.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:6000\"\ndata_dir = \"/srv/regie\"\nshutdown_timeout = 5\n",
        )
        .expect("write");
        let options = Options {
            config: Some(path),
            listen: Some("127.0.0.1:7000".parse().expect("addr")),
            ..Options::default()
        };
        let settings = Settings::resolve(options).expect("resolves");
        assert_eq!(settings.listen.port(), 7000);
        assert_eq!(settings.database_url, "sqlite:///srv/regie/regie.db");
        assert_eq!(settings.shutdown_timeout, Duration::from_secs(5));
        assert_eq!(settings.log_format, LogFormat::Text);
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("regie.toml");
        std::fs::write(&path, "lissen = \"127.0.0.1:6000\"\n").expect("write");
        let err = Settings::resolve(Options {
            config: Some(path),
            ..Options::default()
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("lissen"), "{err:#}");
    }

    #[test]
    fn the_file_cannot_name_another_file_or_turn_access_control_off() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("regie.toml");
        for (line, key) in [
            ("config = \"other.toml\"\n", "config"),
            (
                "insecure_no_access_control = true\n",
                "insecure_no_access_control",
            ),
        ] {
            std::fs::write(&path, line).expect("write");
            let err = Settings::resolve(Options {
                config: Some(path.clone()),
                ..Options::default()
            })
            .unwrap_err();
            assert!(format!("{err:#}").contains(key), "{err:#}");
        }
    }

    #[test]
    fn defaults_are_as_documented() {
        let settings = Settings::resolve(Options::default()).expect("resolves");
        assert_eq!(settings.listen, SocketAddr::from(([127, 0, 0, 1], 50051)));
        assert_eq!(settings.database_url, "sqlite://./regie.db");
        assert_eq!(settings.data_dir, PathBuf::from("."));
        assert_eq!(settings.log_format, LogFormat::Text);
        assert_eq!(settings.log, "info");
        assert_eq!(settings.shutdown_timeout, Duration::from_secs(30));
        assert_eq!(settings.max_connections, 16);
        assert_eq!(settings.sqlite_synchronous, SqliteSynchronous::Full);
        assert_eq!(settings.scheduler_interval, Duration::from_secs(60));
        assert_eq!(settings.departments_file, None);
        assert_eq!(settings.access_poll_interval, Duration::from_millis(1000));
        assert_eq!(settings.checkpoint_key, PathBuf::from("./checkpoint.key"));
        assert_eq!((&settings.tls_cert, &settings.tls_key), (&None, &None));
        assert_eq!(settings.tls_reload_interval, Duration::from_secs(10));
        assert_eq!(settings.checkpoint_events, 1000);
        assert_eq!(settings.checkpoint_interval, Duration::from_secs(3600));
        assert_eq!(settings.database_acquire_timeout, Duration::from_secs(1));
        let options = settings.store_options();
        assert_eq!(options.session, store::SessionLimits::default());
        assert_eq!(options.check_interval, Duration::from_millis(500));
        assert_eq!(settings.lease_duration, Duration::from_secs(6));
        assert!(!settings.demo);
        assert!(settings.access_control);
    }

    #[test]
    fn intervals_have_a_floor() {
        let settings = Settings::resolve(Options {
            scheduler_interval: Some(0),
            access_poll_interval: Some(0),
            ..Options::default()
        })
        .expect("resolves");
        assert_eq!(settings.scheduler_interval, Duration::from_secs(1));
        assert_eq!(settings.access_poll_interval, Duration::from_millis(10));
    }

    #[test]
    fn help_shows_each_setting_with_its_variable_and_default() {
        use clap::CommandFactory as _;
        let help = Cli::command()
            .term_width(1000)
            .render_long_help()
            .to_string();
        for expected in [
            "--listen <ADDR>",
            "[env: REGIE_LISTEN=]",
            "[default: 127.0.0.1:50051]",
            "[env: REGIE_DATABASE_URL]",
            "[default: sqlite://DATA_DIR/regie.db]",
            "[env: REGIE_SHUTDOWN_TIMEOUT=]",
            "[default: 30]",
            "[default: the built-in list of the 15 ministries]",
            "--demo",
            "[env: REGIE_DEMO=]",
        ] {
            assert!(help.contains(expected), "--help lacks {expected}:\n{help}");
        }
        assert!(!help.contains("insecure"), "{help}");
    }

    #[test]
    fn setting_flags_may_follow_the_command() {
        let cli = Cli::try_parse_from(["regie-server", "migrate", "--listen", "127.0.0.1:7000"])
            .expect("parses");
        assert!(matches!(cli.command, Some(Command::Migrate)));
        assert_eq!(
            cli.options.listen,
            Some("127.0.0.1:7000".parse().expect("addr"))
        );
    }

    /// Marks the child process of [`each_layer_overrides_the_one_before`].
    const LAYERS_PROBE: &str = "REGIE_CONFIG_TEST_LAYERS_PROBE";

    /// Variables can only be set for a child process (`set_var` is unsafe, and this crate
    /// forbids unsafe code), so this runs [`layers_probe`] again in one, with variables set.
    #[test]
    fn each_layer_overrides_the_one_before() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("regie.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:6000\"\nlog = \"warn\"\nmax_connections = 4\n\
             shutdown_timeout = 5\ndemo = true\n",
        )
        .expect("write");
        let test = concat!(module_path!(), "::layers_probe");
        let test = test.split_once("::").map_or(test, |(_crate, path)| path);
        let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"));
        child.args([test, "--exact", "--test-threads=1"]);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("REGIE_") {
                child.env_remove(name);
            }
        }
        let output = child
            .env(LAYERS_PROBE, "1")
            .env("REGIE_CONFIG", &path)
            .env("REGIE_LISTEN", "127.0.0.1:7000")
            .env("REGIE_LOG", "debug")
            .env("REGIE_SHUTDOWN_TIMEOUT", "6")
            .output()
            .expect("run the probe");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stdout}\n{stderr}");
        assert!(
            stdout.contains("1 passed"),
            "the probe did not run:\n{stdout}"
        );
    }

    /// Does nothing but as the child of [`each_layer_overrides_the_one_before`].
    #[test]
    fn layers_probe() {
        if std::env::var_os(LAYERS_PROBE).is_none() {
            return;
        }
        let cli = Cli::try_parse_from(["regie-server", "--shutdown-timeout", "7"]).expect("parses");
        let settings = Settings::resolve(cli.options).expect("resolves");
        // No layer: the default.
        assert_eq!(settings.scheduler_interval, Duration::from_secs(60));
        // The file over the default.
        assert_eq!(settings.max_connections, 4);
        assert!(settings.demo);
        // The variable over the file.
        assert_eq!(settings.listen.port(), 7000);
        assert_eq!(settings.log, "debug");
        // The flag over the variable (and the file).
        assert_eq!(settings.shutdown_timeout, Duration::from_secs(7));
    }
}
