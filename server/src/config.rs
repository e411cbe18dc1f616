//! Configuration, layered: built-in defaults, then a TOML file (`--config`), then `REGIE_*`
//! environment variables, then command-line flags — each layer overriding the one before.
//!
//! clap reads the flags and the variables (a flag wins over its variable); the file fills in
//! whatever neither set. `regie-server --help` lists every setting with its variable.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Deserialize;

use crate::store::{SqliteSynchronous, StoreOptions};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Every setting; each may also come from the configuration file (same name, underscores).
#[derive(Debug, Clone, Default, Args)]
pub struct Options {
    /// TOML configuration file; its keys are the long flag names with underscores.
    #[arg(long, env = "REGIE_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Address to listen on for gRPC [default: 127.0.0.1:50051].
    #[arg(long, env = "REGIE_LISTEN", global = true, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// Database URL: sqlite://PATH or postgres://USER:PASSWORD@HOST/DATABASE
    /// [default: sqlite://DATA_DIR/regie.db].
    #[arg(
        long,
        env = "REGIE_DATABASE_URL",
        global = true,
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// Directory for the SQLite database and other local files; created if missing [default: .].
    #[arg(long, env = "REGIE_DATA_DIR", global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Log format [default: text].
    #[arg(long, env = "REGIE_LOG_FORMAT", global = true, value_enum)]
    pub log_format: Option<LogFormat>,

    /// Log filter, in tracing's EnvFilter syntax [default: info].
    #[arg(long, env = "REGIE_LOG", global = true, value_name = "FILTER")]
    pub log: Option<String>,

    /// Seconds to wait for in-flight calls to finish after SIGTERM or SIGINT [default: 30].
    #[arg(
        long,
        env = "REGIE_SHUTDOWN_TIMEOUT",
        global = true,
        value_name = "SECONDS"
    )]
    pub shutdown_timeout: Option<u64>,

    /// Most database connections to hold open [default: 16].
    #[arg(long, env = "REGIE_MAX_CONNECTIONS", global = true, value_name = "N")]
    pub max_connections: Option<u32>,

    /// SQLite durability: `full` survives power loss with every acknowledged commit; `normal`
    /// is faster but may lose the last commits on power loss [default: full].
    #[arg(long, env = "REGIE_SQLITE_SYNCHRONOUS", global = true, value_enum)]
    pub sqlite_synchronous: Option<SqliteSynchronous>,

    /// Seconds between deadline checks (marking cases overdue) [default: 60].
    #[arg(
        long,
        env = "REGIE_SCHEDULER_INTERVAL",
        global = true,
        value_name = "SECONDS"
    )]
    pub scheduler_interval: Option<u64>,

    /// TOML file with the departments to create on first start [default: the built-in list of
    /// the 15 ministries].
    #[arg(
        long,
        env = "REGIE_DEPARTMENTS_FILE",
        global = true,
        value_name = "FILE"
    )]
    pub departments_file: Option<PathBuf>,

    /// Milliseconds between checks for access changes (principals, tokens, roles, policy) made
    /// by other replicas; a revocation applies everywhere within this [default: 1000].
    #[arg(
        long,
        env = "REGIE_ACCESS_POLL_INTERVAL",
        global = true,
        value_name = "MILLISECONDS"
    )]
    pub access_poll_interval: Option<u64>,

    /// Load the demo scenario from the letter to parliament (working group, recommendations,
    /// frameworks, risk analyses, assessment cycles) when the database holds no cases yet.
    #[arg(long, env = "REGIE_DEMO", global = true)]
    pub demo: bool,

    /// FOR BENCHMARKS ONLY: serve without authentication or authorization. Refused unless the
    /// server listens on a loopback address.
    #[arg(long, hide = true)]
    pub insecure_no_access_control: bool,
}

/// The configuration file: the same settings, all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    database_url: Option<String>,
    data_dir: Option<PathBuf>,
    log_format: Option<LogFormat>,
    log: Option<String>,
    shutdown_timeout: Option<u64>,
    max_connections: Option<u32>,
    sqlite_synchronous: Option<SqliteSynchronous>,
    scheduler_interval: Option<u64>,
    departments_file: Option<PathBuf>,
    access_poll_interval: Option<u64>,
    demo: Option<bool>,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub database_url: String,
    pub data_dir: PathBuf,
    pub log_format: LogFormat,
    pub log: String,
    pub shutdown_timeout: Duration,
    pub max_connections: u32,
    pub sqlite_synchronous: SqliteSynchronous,
    pub scheduler_interval: Duration,
    pub departments_file: Option<PathBuf>,
    pub access_poll_interval: Duration,
    pub access_control: bool,
    pub demo: bool,
}

impl Settings {
    pub fn resolve(options: Options) -> anyhow::Result<Self> {
        let file = match &options.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let data_dir = options
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("."));
        let database_url = options
            .database_url
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("regie.db").display()));
        Ok(Self {
            listen: options
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 50051))),
            database_url,
            data_dir,
            log_format: options
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
            log: options
                .log
                .or(file.log)
                .unwrap_or_else(|| "info".to_owned()),
            shutdown_timeout: Duration::from_secs(
                options
                    .shutdown_timeout
                    .or(file.shutdown_timeout)
                    .unwrap_or(30),
            ),
            max_connections: options
                .max_connections
                .or(file.max_connections)
                .unwrap_or(16),
            sqlite_synchronous: options
                .sqlite_synchronous
                .or(file.sqlite_synchronous)
                .unwrap_or(SqliteSynchronous::Full),
            scheduler_interval: Duration::from_secs(
                options
                    .scheduler_interval
                    .or(file.scheduler_interval)
                    .unwrap_or(60)
                    .max(1),
            ),
            departments_file: options.departments_file.or(file.departments_file),
            access_poll_interval: Duration::from_millis(
                options
                    .access_poll_interval
                    .or(file.access_poll_interval)
                    .unwrap_or(1000)
                    .max(10),
            ),
            access_control: !options.insecure_no_access_control,
            demo: options.demo || file.demo.unwrap_or(false),
        })
    }

    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            url: self.database_url.clone(),
            max_connections: self.max_connections,
            sqlite_synchronous: self.sqlite_synchronous,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid configuration file {}", path.display()))
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
}
