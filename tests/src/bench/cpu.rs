//! Where the processor time went during a measured window, read from Linux's `/proc`: how many
//! cores the bench process (the clients, and for the commit baseline also SQLite itself), the
//! server process, and everything else on the machine (PostgreSQL, other people's builds) used,
//! and how much was left idle or waiting for the disk.
//!
//! Everything is in cores (1.0 = one core busy for the whole window). Process times and machine
//! times are both counted in the kernel's clock ticks, so their ratio needs no tick rate.

/// Processor use over a window, in cores.
#[derive(Debug, Clone, Copy)]
pub struct CpuUse {
    pub bench: f64,
    pub server: Option<f64>,
    /// Busy time of every other process, kernel work included.
    pub rest: f64,
    pub iowait: f64,
    pub idle: f64,
}

/// Tick counters at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    cpus: usize,
    total: u64,
    idle: u64,
    iowait: u64,
    bench: u64,
    server: Option<u64>,
}

/// Reads the counters now; `None` where `/proc` is not there to read.
pub fn snapshot(server_pid: Option<u32>) -> Option<Snapshot> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    // user nice system idle iowait irq softirq steal [guest guest_nice — already in user/nice]
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|t| t.parse().ok())
        .collect();
    if ticks.len() < 8 {
        return None;
    }
    let cpus = stat
        .lines()
        .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "))
        .count();
    Some(Snapshot {
        cpus: cpus.max(1),
        total: ticks.iter().sum(),
        idle: ticks[3],
        iowait: ticks[4],
        bench: process_ticks("self")?,
        server: server_pid.and_then(|pid| process_ticks(&pid.to_string())),
    })
}

/// utime + stime of `/proc/<pid>/stat`.
fn process_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces; fields resume after the last
    // `)`, starting with field 3 (state); utime and stime are fields 14 and 15.
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// The use between two snapshots.
pub fn between(start: Snapshot, end: Snapshot) -> Option<CpuUse> {
    let total = end.total.checked_sub(start.total)?;
    if total == 0 {
        return None;
    }
    let cores_of = |ticks: u64| ticks as f64 / total as f64 * end.cpus as f64;
    let idle = end.idle.saturating_sub(start.idle);
    let iowait = end.iowait.saturating_sub(start.iowait);
    let bench = end.bench.saturating_sub(start.bench);
    let server = match (start.server, end.server) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let busy = total.saturating_sub(idle + iowait);
    let rest = busy.saturating_sub(bench + server.unwrap_or(0));
    Some(CpuUse {
        bench: cores_of(bench),
        server: server.map(cores_of),
        rest: cores_of(rest),
        iowait: cores_of(iowait),
        idle: cores_of(idle),
    })
}
