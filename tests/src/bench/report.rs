//! The printed report: the table of measurements, the ratios to the baselines with their
//! targets, and the errors seen. Plain text, aligned, so that it pastes into a review as is.

use std::time::Duration;

use super::load::Sample;

/// What was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measurement {
    Echo,
    Commit,
    CreateCase,
    TransitionCase,
    GetCase,
    /// A filtered page of ListCases as the department's coordinator, with thousands of cases
    /// of another department in the table that it may not read.
    ListCases,
    /// GetCase on the same database with the server's access control switched off.
    GetCaseNoAccessControl,
    /// The telemetry pair, on the same database: the server restarted without telemetry, then
    /// with traces and metrics exported to an OTLP receiver.
    TransitionExportOff,
    GetExportOff,
    TransitionExportOn,
    GetExportOn,
    /// Exporting with `parentbased_traceidratio` 0.1.
    TransitionExportSampled,
    GetExportSampled,
    /// A write on replica A to its event on a watcher of replica B.
    FeedAcrossReplicas,
    /// A token revoked on replica A to its first refusal on replica B.
    RevocationAcrossReplicas,
    /// TransitionCase with the clients spread over 1, 2 and 3 replicas of one database.
    TransitionOneReplica,
    TransitionTwoReplicas,
    TransitionThreeReplicas,
}

impl Measurement {
    pub fn label(self) -> &'static str {
        match self {
            Self::Echo => "echo baseline (Health/Check)",
            Self::Commit => "commit baseline (sqlx)",
            Self::CreateCase => "CreateCase",
            Self::TransitionCase => "TransitionCase",
            Self::GetCase => "GetCase",
            Self::ListCases => "ListCases, filtered page, 3000 unreadable",
            Self::GetCaseNoAccessControl => "GetCase, access control off",
            Self::TransitionExportOff => "TransitionCase, telemetry off",
            Self::GetExportOff => "GetCase, telemetry off",
            Self::TransitionExportOn => "TransitionCase, OTLP export on",
            Self::GetExportOn => "GetCase, OTLP export on",
            Self::TransitionExportSampled => "TransitionCase, export, 10% traced",
            Self::GetExportSampled => "GetCase, export, 10% traced",
            Self::FeedAcrossReplicas => "feed, write on A -> watcher on B",
            Self::RevocationAcrossReplicas => "revoke on A -> refused on B",
            Self::TransitionOneReplica => "TransitionCase, 1 replica",
            Self::TransitionTwoReplicas => "TransitionCase, 2 replicas",
            Self::TransitionThreeReplicas => "TransitionCase, 3 replicas",
        }
    }
}

/// One measurement's result; `backend` is `-` for the echo baseline, which has none.
pub struct Row {
    pub backend: &'static str,
    pub measurement: Measurement,
    pub sample: Sample,
}

fn ms(latency: Option<Duration>) -> String {
    latency.map_or_else(
        || "-".to_owned(),
        |d| format!("{:.2}", d.as_secs_f64() * 1e3),
    )
}

pub fn print_table(rows: &[Row]) {
    println!(
        "{:<9} {:<29} {:>9} {:>7} {:>7} {:>6} | {:>5} {:>6} {:>5} {:>6} {:>5} | {:>9}",
        "backend",
        "measurement",
        "ops/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "bench",
        "server",
        "rest",
        "iowait",
        "idle",
        "server µs"
    );
    println!("{}", "-".repeat(116));
    for row in rows {
        let sample = &row.sample;
        let cores =
            |value: Option<f64>| value.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"));
        let cpu = sample.cpu;
        // Server processor time per successful call.
        let per_call = cpu
            .and_then(|c| c.server)
            .filter(|_| sample.ops_per_second() > 0.0)
            .map_or_else(
                || "-".to_owned(),
                |server| format!("{:.0}", server / sample.ops_per_second() * 1e6),
            );
        println!(
            "{:<9} {:<29} {:>9.0} {:>7} {:>7} {:>6} | {:>5} {:>6} {:>5} {:>6} {:>5} | {:>9}",
            row.backend,
            row.measurement.label(),
            sample.ops_per_second(),
            ms(sample.percentile(0.50)),
            ms(sample.percentile(0.99)),
            sample.error_count(),
            cores(cpu.map(|c| c.bench)),
            cores(cpu.and_then(|c| c.server)),
            cores(cpu.map(|c| c.rest)),
            cores(cpu.map(|c| c.iowait)),
            cores(cpu.map(|c| c.idle)),
            per_call,
        );
    }
    println!(
        "processor use during the measured window, in cores: bench = this process (the clients; \
         for the commit baseline also sqlx and SQLite), server = the echo or regie-server \
         process, rest = every other process (PostgreSQL, builds); server µs = server processor \
         time per call"
    );
}

fn find<'a>(rows: &'a [Row], backend: &str, measurement: Measurement) -> Option<&'a Sample> {
    rows.iter()
        .find(|r| r.measurement == measurement && (r.backend == backend || r.backend == "-"))
        .map(|r| &r.sample)
}

/// Prints `numerator / denominator` for every backend, with the verdict when there is a target.
pub fn print_ratios(rows: &[Row], backends: &[&'static str]) {
    let ratios = [
        (Measurement::TransitionCase, Measurement::Commit, Some(0.50)),
        (Measurement::GetCase, Measurement::Echo, Some(0.40)),
        (Measurement::CreateCase, Measurement::Commit, None),
        (
            Measurement::GetCase,
            Measurement::GetCaseNoAccessControl,
            Some(0.90),
        ),
        (
            Measurement::TransitionExportOn,
            Measurement::TransitionExportOff,
            Some(0.90),
        ),
        (
            Measurement::GetExportOn,
            Measurement::GetExportOff,
            Some(0.90),
        ),
        (
            Measurement::TransitionExportSampled,
            Measurement::TransitionExportOff,
            Some(0.90),
        ),
        (
            Measurement::GetExportSampled,
            Measurement::GetExportOff,
            Some(0.90),
        ),
    ];
    for backend in backends {
        for (numerator, denominator, target) in ratios {
            let (Some(top), Some(bottom)) = (
                find(rows, backend, numerator),
                find(rows, backend, denominator),
            ) else {
                continue;
            };
            let (top, bottom) = (top.ops_per_second(), bottom.ops_per_second());
            let ratio = if bottom > 0.0 { top / bottom } else { 0.0 };
            let name = format!("{} / {}", short(numerator), short(denominator));
            let verdict = match target {
                None => "(no target)".to_owned(),
                Some(target) if ratio >= target => {
                    format!("target >= {:.0}%: MET", target * 100.0)
                }
                Some(target) => format!(
                    "target >= {:.0}%: MISSED by {:.1} points (needs {:.0} ops/s, {:.0} more)",
                    target * 100.0,
                    (target - ratio) * 100.0,
                    target * bottom,
                    target * bottom - top
                ),
            };
            println!(
                "{backend:<9} {name:<44} {top:>8.0} / {bottom:>7.0} = {:>6.1}%   {verdict}",
                ratio * 100.0
            );
        }
    }
}

fn short(measurement: Measurement) -> &'static str {
    match measurement {
        Measurement::Echo => "echo",
        Measurement::Commit => "commit",
        Measurement::GetCaseNoAccessControl => "GetCase (no authz)",
        Measurement::TransitionExportOff => "Transition (no export)",
        Measurement::GetExportOff => "GetCase (no export)",
        Measurement::TransitionExportOn => "Transition (export)",
        Measurement::GetExportOn => "GetCase (export)",
        Measurement::TransitionExportSampled => "Transition (export 10%)",
        Measurement::GetExportSampled => "GetCase (export 10%)",
        other => other.label(),
    }
}

/// Lists every failed call by measurement; says so when there were none.
pub fn print_errors(rows: &[Row]) {
    let mut any = false;
    for row in rows {
        for (error, count) in &row.sample.errors {
            any = true;
            println!(
                "{:<9} {:<29} {count:>7} × {error}",
                row.backend,
                row.measurement.label()
            );
        }
    }
    if !any {
        println!("none: every call of every measurement succeeded and was checked");
    }
}

/// What this machine is, as far as it decides the numbers: cores, CPU, memory, load, and the
/// file system the temporary databases live on (fsync cost).
pub fn machine_facts() -> Vec<String> {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = field(&cpuinfo, "model name").unwrap_or("unknown CPU");
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = field(&meminfo, "MemTotal").unwrap_or("unknown");
    let temp = std::env::temp_dir();
    vec![
        format!("cores: {cores} ({cpu}), memory: {memory}"),
        load_average("at the start"),
        format!(
            "temporary directory: {} on {}",
            temp.display(),
            file_system(&temp).unwrap_or_else(|| "an unknown file system".to_owned())
        ),
    ]
}

/// The load average line of the report, e.g. `load average at the start (1, 5, 15 min): …`.
pub fn load_average(when: &str) -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!("load average {when} (1, 5, 15 min): {}", load.join(" "))
}

/// The value of the first `name: value` line of a /proc file.
fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines()
        .find(|line| line.starts_with(name))
        .and_then(|line| line.split_once(':'))
        .map(|(_, value)| value.trim())
}

/// `device (type)` of the mount that holds `path`, from /proc/mounts.
fn file_system(path: &std::path::Path) -> Option<String> {
    let path = std::fs::canonicalize(path).ok()?;
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    mounts
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let (device, mount, kind) = (parts.next()?, parts.next()?, parts.next()?);
            path.starts_with(mount)
                .then(|| (mount.len(), format!("{device} ({kind})")))
        })
        .max_by_key(|(length, _)| *length)
        .map(|(_, description)| description)
}
