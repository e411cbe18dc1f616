//! The load generator: a number of clients, each a loop of one kind of call, run together for a
//! warm-up and then a measured window. Every call that completes inside the window is counted
//! and timed; calls of the warm-up are not, except that their errors are tallied too (a bench
//! that hides errors measures nothing).
//!
//! Loops are bounded twice: by the end of the window, and by a timeout on every single call, so
//! a stuck server cannot keep the bench running.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tonic::transport::{Channel, Endpoint};

use super::cpu::{self, CpuUse};

/// Longest a single call may take before it counts as an error and the client moves on.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// One simulated client: its own connection or handle, and whatever state its loop needs.
pub trait Client: Send + 'static {
    /// Makes one call; `Err` is a short description of what went wrong, for the error tally.
    fn call(&mut self) -> impl Future<Output = Result<(), String>> + Send;
}

/// How long to warm up (not counted) and how long to measure.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub warmup: Duration,
    pub measure: Duration,
}

/// What one measurement produced.
#[derive(Debug, Default)]
pub struct Sample {
    /// Latencies of the successful calls of the measured window, sorted ascending.
    pub latencies: Vec<Duration>,
    /// The length of the measured window.
    pub window: Duration,
    /// Failed calls (warm-up included), by description.
    pub errors: BTreeMap<String, u64>,
    /// Where the processor time of the measured window went, when `/proc` could say.
    pub cpu: Option<CpuUse>,
}

impl Sample {
    /// Successful calls per second of the measured window.
    pub fn ops_per_second(&self) -> f64 {
        let seconds = self.window.as_secs_f64();
        if seconds > 0.0 {
            self.latencies.len() as f64 / seconds
        } else {
            0.0
        }
    }

    /// The latency below which `fraction` (0..=1) of the calls completed (nearest rank).
    pub fn percentile(&self, fraction: f64) -> Option<Duration> {
        let n = self.latencies.len();
        if n == 0 {
            return None;
        }
        let rank = (fraction * n as f64).ceil() as usize;
        self.latencies.get(rank.clamp(1, n) - 1).copied()
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// What one client did.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: BTreeMap<String, u64>,
}

/// Runs every client's loop at once for `window`; returns the merged sample and the clients
/// (with whatever they collected). `server_pid` is the process whose processor time is
/// reported as the server's.
pub async fn run<C: Client>(
    clients: Vec<C>,
    window: Window,
    server_pid: Option<u32>,
) -> anyhow::Result<(Sample, Vec<C>)> {
    let measured_from = Instant::now() + window.warmup;
    let until = measured_from + window.measure;
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|client| tokio::spawn(drive(client, measured_from, until)))
        .collect();
    tokio::time::sleep_until(measured_from.into()).await;
    let cpu_start = cpu::snapshot(server_pid);
    tokio::time::sleep_until(until.into()).await;
    let cpu_end = cpu::snapshot(server_pid);
    let mut sample = Sample {
        window: window.measure,
        cpu: cpu_start
            .zip(cpu_end)
            .and_then(|(start, end)| cpu::between(start, end)),
        ..Sample::default()
    };
    let mut clients = Vec::with_capacity(tasks.len());
    for task in tasks {
        let (client, tally) = task.await.context("a bench client panicked")?;
        sample.latencies.extend(tally.latencies);
        for (error, count) in tally.errors {
            *sample.errors.entry(error).or_default() += count;
        }
        clients.push(client);
    }
    sample.latencies.sort_unstable();
    Ok((sample, clients))
}

/// One client's loop: calls back to back until the window has ended.
async fn drive<C: Client>(mut client: C, measured_from: Instant, until: Instant) -> (C, Tally) {
    let mut tally = Tally::default();
    loop {
        let began = Instant::now();
        if began >= until {
            break;
        }
        let result = tokio::time::timeout(CALL_TIMEOUT, client.call()).await;
        let ended = Instant::now();
        match result {
            Ok(Ok(())) => {
                // Only calls that completed inside the measured window count.
                if ended >= measured_from && ended <= until {
                    tally.latencies.push(ended - began);
                }
            }
            Ok(Err(error)) => *tally.errors.entry(error).or_default() += 1,
            Err(_) => {
                *tally
                    .errors
                    .entry(format!("no answer within {} s", CALL_TIMEOUT.as_secs()))
                    .or_default() += 1;
            }
        }
    }
    (client, tally)
}

/// How the clients reach a gRPC server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connections {
    /// Every client opens its own HTTP/2 connection, as separate client processes would.
    PerClient,
    /// All clients share one HTTP/2 connection (tonic multiplexes the calls), as the tasks of
    /// one client process sharing a `Channel` would.
    Shared,
}

impl Connections {
    pub fn describe(self) -> &'static str {
        match self {
            Self::PerClient => "one HTTP/2 connection per client",
            Self::Shared => "one HTTP/2 connection shared by all clients",
        }
    }
}

/// `count` channels to `endpoint`, connected before any timing starts.
pub async fn channels(
    endpoint: &str,
    count: usize,
    connections: Connections,
) -> anyhow::Result<Vec<Channel>> {
    let endpoint = Endpoint::from_shared(endpoint.to_owned())
        .with_context(|| format!("invalid endpoint {endpoint}"))?;
    let distinct = match connections {
        Connections::PerClient => count,
        Connections::Shared => 1,
    };
    let mut opened = Vec::with_capacity(distinct);
    for _ in 0..distinct {
        opened.push(
            endpoint
                .connect()
                .await
                .with_context(|| format!("cannot connect to {}", endpoint.uri()))?,
        );
    }
    Ok((0..count).map(|i| opened[i % distinct].clone()).collect())
}

/// A short description of a failed gRPC call, for the error tally.
pub fn describe(status: &tonic::Status) -> String {
    let mut message = status.message().to_owned();
    if message.len() > 160 {
        let mut cut = 160;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push('…');
    }
    format!("{:?}: {message}", status.code())
}

/// Runs `setup` for client numbers `0..count` concurrently, and returns the clients in order.
pub async fn set_up<C, F, Fut>(count: usize, setup: F) -> anyhow::Result<Vec<C>>
where
    C: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = anyhow::Result<C>> + Send + 'static,
{
    let tasks: Vec<_> = (0..count).map(|i| tokio::spawn(setup(i))).collect();
    let mut clients = Vec::with_capacity(count);
    for task in tasks {
        clients.push(task.await.context("setting up a bench client panicked")??);
    }
    Ok(clients)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let sample = Sample {
            latencies: (1..=100).map(Duration::from_millis).collect(),
            window: Duration::from_secs(2),
            errors: BTreeMap::new(),
            cpu: None,
        };
        assert_eq!(sample.percentile(0.5), Some(Duration::from_millis(50)));
        assert_eq!(sample.percentile(0.99), Some(Duration::from_millis(99)));
        assert_eq!(sample.percentile(1.0), Some(Duration::from_millis(100)));
        assert_eq!(sample.percentile(0.0), Some(Duration::from_millis(1)));
        assert!((sample.ops_per_second() - 50.0).abs() < 1e-9);
        assert_eq!(Sample::default().percentile(0.5), None);
    }
}
