//! A database URL that names several hosts, as libpq takes it (docs/architecture.md, "Several
//! replicas"): `postgres://USER@a:5432,b:5432/DB?target_session_attrs=read-write`, or the hosts
//! in the query (`?host=a,b&port=5432,5433`).
//!
//! sqlx (0.9) connects to one host and ignores `target_session_attrs`, so the store reads the
//! list itself: it tries the hosts in order and takes the first that answers, and with
//! `read-write` (or `primary`) the first whose sessions are not read-only (`SHOW
//! transaction_read_only`, as libpq checks). When the probe (`pg_link.rs`) later finds that
//! host gone or turned read-only (a switch-over made it a standby), it picks again, and the pool
//! connects to the new primary from then on; its connections to the old one are dropped.

use std::str::FromStr as _;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection as _, PgConnection};

/// The hosts a URL names, each as full connection settings, and what a session must be.
#[derive(Debug, Clone)]
pub struct Hosts {
    pub candidates: Vec<PgConnectOptions>,
    /// `target_session_attrs=read-write` (or `primary`): only a host that takes writes.
    pub read_write: bool,
}

impl Hosts {
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut read_write = false;
        let mut query_hosts: Option<Vec<String>> = None;
        let mut query_ports: Option<Vec<String>> = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "target_session_attrs" => {
                    read_write = match value {
                        "any" => false,
                        "read-write" | "primary" => true,
                        other => anyhow::bail!(
                            "target_session_attrs={other} is not supported: use any, read-write or primary"
                        ),
                    }
                }
                "host" if value.contains(',') => {
                    query_hosts = Some(value.split(',').map(str::to_owned).collect());
                }
                "port" if value.contains(',') => {
                    query_ports = Some(value.split(',').map(str::to_owned).collect());
                }
                _ => kept.push(pair),
            }
        }
        let scheme_end = base
            .find("://")
            .map(|i| i + 3)
            .context("a PostgreSQL URL starts with postgres://")?;
        let after = &base[scheme_end..];
        let authority_end = after.find('/').unwrap_or(after.len());
        let (authority, path) = after.split_at(authority_end);
        let (userinfo, host_list) = match authority.rfind('@') {
            Some(at) => (&authority[..=at], &authority[at + 1..]),
            None => ("", authority),
        };
        let rest = if kept.is_empty() {
            String::new()
        } else {
            format!("?{}", kept.join("&"))
        };
        if !host_list.contains(',') && query_hosts.is_none() {
            // One host (or none: sqlx's default, or a socket in the query), as sqlx reads it.
            let one = PgConnectOptions::from_str(&format!("{base}{rest}"))
                .context("invalid PostgreSQL URL")?;
            return Ok(Self {
                candidates: vec![one],
                read_write,
            });
        }
        let mut hosts: Vec<String> = host_list.split(',').map(str::to_owned).collect();
        if let Some(names) = query_hosts {
            let ports = query_ports.unwrap_or_default();
            anyhow::ensure!(
                ports.is_empty() || ports.len() == 1 || ports.len() == names.len(),
                "the URL names {} hosts and {} ports",
                names.len(),
                ports.len()
            );
            hosts = names
                .iter()
                .enumerate()
                .map(|(i, name)| match ports.get(i).or(ports.first()) {
                    Some(port) => format!("{name}:{port}"),
                    None => name.clone(),
                })
                .collect();
        }
        anyhow::ensure!(
            hosts.iter().all(|h| !h.is_empty()),
            "an empty host in the URL"
        );
        let candidates = hosts
            .iter()
            .map(|host| {
                let one = format!("{}{userinfo}{host}{path}{rest}", &base[..scheme_end]);
                PgConnectOptions::from_str(&one)
                    .with_context(|| format!("invalid PostgreSQL URL for host {host}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            candidates,
            read_write,
        })
    }

    /// Whether `connection` is a session this URL accepts.
    pub async fn acceptable(&self, connection: &mut PgConnection) -> Result<(), sqlx::Error> {
        if !self.read_write {
            return Ok(());
        }
        let read_only: String = sqlx::query_scalar("SHOW transaction_read_only")
            .fetch_one(&mut *connection)
            .await?;
        if read_only == "off" {
            Ok(())
        } else {
            Err(sqlx::Error::Protocol(
                "the database host is read-only (a standby?), and the URL asks for read-write"
                    .to_owned(),
            ))
        }
    }

    /// The first host, in order, that answers within `timeout` with an acceptable session:
    /// its index and the connection (made with `adjust` applied to its settings).
    pub async fn choose(
        &self,
        timeout: Duration,
        adjust: impl Fn(PgConnectOptions) -> PgConnectOptions,
    ) -> anyhow::Result<(usize, PgConnection)> {
        let mut failures = Vec::new();
        for (index, candidate) in self.candidates.iter().enumerate() {
            let attempt = async {
                let mut connection = PgConnection::connect_with(&adjust(candidate.clone())).await?;
                self.acceptable(&mut connection).await?;
                Ok::<_, sqlx::Error>(connection)
            };
            match tokio::time::timeout(timeout, attempt).await {
                Ok(Ok(connection)) => return Ok((index, connection)),
                Ok(Err(e)) => failures.push(format!("{}: {e}", describe(candidate))),
                Err(_) => failures.push(format!(
                    "{}: no answer within {timeout:?}",
                    describe(candidate)
                )),
            }
        }
        anyhow::bail!("no usable database host: {}", failures.join("; "))
    }
}

/// `host:port` of a host's settings, for logs.
pub fn describe(options: &PgConnectOptions) -> String {
    format!("{}:{}", options.get_host(), options.get_port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_host_is_one_candidate_that_takes_any_session() {
        let hosts = Hosts::parse("postgres://u:p@db:5433/regie?sslmode=disable").expect("parses");
        assert_eq!(hosts.candidates.len(), 1);
        assert!(!hosts.read_write);
        assert_eq!(describe(&hosts.candidates[0]), "db:5433");
        assert_eq!(hosts.candidates[0].get_database(), Some("regie"));
    }

    #[test]
    fn hosts_in_the_authority_or_the_query_are_tried_in_order() {
        let hosts =
            Hosts::parse("postgres://u:p@a:5432,b:5433/regie?target_session_attrs=read-write")
                .expect("parses");
        let names: Vec<String> = hosts.candidates.iter().map(describe).collect();
        assert_eq!(names, ["a:5432", "b:5433"]);
        assert!(hosts.read_write);
        assert_eq!(hosts.candidates[1].get_username(), "u");
        let hosts = Hosts::parse("postgres://u@/regie?host=a,b&port=6000,6001&application_name=x")
            .expect("parses");
        let names: Vec<String> = hosts.candidates.iter().map(describe).collect();
        assert_eq!(names, ["a:6000", "b:6001"]);
        assert_eq!(hosts.candidates[0].get_application_name(), Some("x"));
    }

    #[test]
    fn session_attributes_it_cannot_honour_are_refused() {
        let err = Hosts::parse("postgres://u@a,b/regie?target_session_attrs=standby").unwrap_err();
        assert!(err.to_string().contains("standby"), "{err}");
        assert!(Hosts::parse("postgres://u@a,,b/regie").is_err());
    }
}
