//! `regie login`, `logout` and `whoami`: who the server takes the caller for, and the profile
//! that remembers the caller's token.
//!
//! `login` checks the token with WhoAmI before it writes anything, so a profile never holds a
//! token the server refused. `logout` only makes this machine forget the token; `regie tokens
//! revoke` makes the token itself useless.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::time::Duration;

use regie_proto::v1::{RoleBinding, WhoAmIRequest, WhoAmIResponse};

use super::render::{self, Show};
use super::{Context, principals};
use crate::cli::{Cli, OutputFormat};
use crate::connection::Connection;
use crate::error::{CliError, exit};
use crate::names::{DEPARTMENTS, RIJK, short_id};
use crate::output::{self, emit, emit_json, or_dash};
use crate::settings;

/// Checks the token (from --token/REGIE_TOKEN, else stdin) with the server, then stores it and
/// the server address in the profile.
pub async fn login(cli: &Cli, timeout: Duration) -> Result<u8, CliError> {
    let (path, mut profiles) = super::load_profiles()?;
    let path = path.ok_or_else(|| {
        CliError::Usage(
            "cannot tell where to keep the profile: set REGIE_CONFIG_DIR or HOME".to_owned(),
        )
    })?;
    let name = settings::profile_name(cli.profile.as_deref());
    // Logging in again to a profile keeps its server unless --server says otherwise; a new
    // profile starts from the server of the profile in use so far.
    let current = current_profile();
    let (server, from) = settings::login_server(cli.server.as_deref(), &profiles, name, &current)
        .map_err(CliError::Usage)?;
    if let Some(from) = from {
        output::note(&format!(
            "profile `{name}` starts from the server of profile `{from}`: {server} \
             (--server to choose another)"
        ));
    }
    let token = match settings::token(cli.token.as_deref(), None) {
        Some(token) => token,
        None => read_token(&server)?,
    };
    // A CA given now is saved (as an absolute path); else the profile's own stays.
    let ca_cert = match &cli.ca_cert {
        Some(path) => Some(std::path::absolute(path).unwrap_or_else(|_| path.clone())),
        None => settings::ca_cert(None, profiles.get(name)),
    };
    let conn = Connection::open(&server, timeout, Some(&token), None, ca_cert.as_deref()).await?;
    let me = who_am_i(&conn).await?;

    profiles.log_in(name, &server, &token);
    if let Some(path) = cli.ca_cert.is_some().then_some(ca_cert).flatten() {
        profiles.set_ca_cert(name, &path.display().to_string());
    }
    profiles.save(&path)?;
    match cli.output {
        OutputFormat::Json => emit_json(&me)?,
        OutputFormat::Table => emit(&format!("logged in to {server} as {}", principal_line(&me)))?,
    }
    output::note(&format!("saved in profile `{name}` of {}", path.display()));
    Ok(exit::SUCCESS)
}

/// The profile in use without `--profile`: `REGIE_PROFILE`, else `default`.
fn current_profile() -> String {
    std::env::var(crate::profiles::PROFILE_VAR)
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| crate::profiles::DEFAULT_PROFILE.to_owned())
}

/// Removes the profile's token, keeping its server for the next login.
pub fn logout(cli: &Cli) -> Result<u8, CliError> {
    let (path, mut profiles) = super::load_profiles()?;
    let name = settings::profile_name(cli.profile.as_deref());
    match path {
        Some(path) if profiles.log_out(name) => {
            profiles.save(&path)?;
            output::note(&format!(
                "removed the token of profile `{name}` from {}",
                path.display()
            ));
        }
        _ => output::note(&format!("profile `{name}` holds no token: nothing to do")),
    }
    if cli.token.is_some() {
        output::note("--token or REGIE_TOKEN is still given, and is sent instead");
    }
    Ok(exit::SUCCESS)
}

/// Prints the caller's principal and its roles per domain.
pub async fn whoami(ctx: &Context) -> Result<(), CliError> {
    let me = who_am_i(&ctx.conn).await?;
    render::show(ctx.output, &me)
}

async fn who_am_i(conn: &Connection) -> Result<WhoAmIResponse, CliError> {
    let mut client = conn.access();
    conn.call(client.who_am_i(conn.request(WhoAmIRequest {})))
        .await
}

/// Reads the token from stdin, one line, prompting on stderr only when a person is typing.
fn read_token(server: &str) -> Result<String, CliError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let mut stderr = std::io::stderr().lock();
        // Without stderr there is no prompt, but the token can still be typed.
        let _ = write!(stderr, "API token for {server}: ");
        let _ = stderr.flush();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| anyhow::Error::new(e).context("reading the token from stdin"))?;
    settings::token(Some(&line), None).ok_or_else(|| {
        CliError::Usage(
            "no token given: pass --token, set REGIE_TOKEN, or type it on stdin".to_owned(),
        )
    })
}

/// `principals/anna (Anna de Vries)`, or the name alone.
fn principal_line(me: &WhoAmIResponse) -> String {
    match &me.principal {
        None => "an unnamed principal".to_owned(),
        Some(p) if p.display_name.is_empty() => p.name.clone(),
        Some(p) => format!("{} ({})", p.name, p.display_name),
    }
}

/// The caller: its principal and token, then its roles per domain.
impl Show for WhoAmIResponse {
    fn text(&self) -> String {
        let p = self.principal.clone().unwrap_or_default();
        let details = output::key_value_table(vec![
            ("PRINCIPAL", or_dash(&p.name)),
            ("DISPLAY NAME", or_dash(&p.display_name)),
            ("KIND", principals::kind_name(p.kind).to_owned()),
            (
                "HOME DEPARTMENT",
                or_dash(short_id(DEPARTMENTS, &p.home_department)),
            ),
            ("TOKEN", or_dash(&self.token)),
        ]);
        if self.roles.is_empty() {
            return format!("{details}\nno roles");
        }
        let mut roles = output::table(&["DOMAIN", "ROLES"]);
        for (domain, names) in roles_per_domain(&self.roles) {
            roles.add_row(vec![domain.to_owned(), names.join(", ")]);
        }
        format!("{details}\n{roles}")
    }
}

/// The roles grouped by domain: `rijk` first (it applies everywhere), then the departments in
/// alphabetical order; the roles within a domain in alphabetical order too.
fn roles_per_domain(bindings: &[RoleBinding]) -> Vec<(&str, Vec<&str>)> {
    let mut domains: Vec<(&str, Vec<&str>)> = Vec::new();
    for binding in bindings {
        let domain = binding.domain.as_str();
        match domains.iter_mut().find(|(d, _)| *d == domain) {
            Some((_, roles)) => roles.push(&binding.role),
            None => domains.push((domain, vec![&binding.role])),
        }
    }
    for (_, roles) in &mut domains {
        roles.sort_unstable();
        roles.dedup();
    }
    domains.sort_by_key(|(domain, _)| (*domain != RIJK, domain.to_lowercase()));
    domains
}

#[cfg(test)]
mod tests {
    use regie_proto::v1::Principal;

    use super::*;

    fn binding(role: &str, domain: &str) -> RoleBinding {
        RoleBinding {
            principal: "principals/anna".into(),
            role: role.into(),
            domain: domain.into(),
        }
    }

    #[test]
    fn roles_are_grouped_by_domain_rijk_first() {
        let bindings = [
            binding("integrity_coordinator", "JenV"),
            binding("reader", "rijk"),
            binding("auditor", "BZK"),
            binding("editor", "JenV"),
        ];
        assert_eq!(
            roles_per_domain(&bindings),
            vec![
                ("rijk", vec!["reader"]),
                ("BZK", vec!["auditor"]),
                ("JenV", vec!["editor", "integrity_coordinator"]),
            ]
        );
    }

    #[test]
    fn the_login_line_names_the_principal() {
        let mut me = WhoAmIResponse {
            principal: Some(Principal {
                name: "principals/anna".into(),
                display_name: "Anna de Vries".into(),
                ..Principal::default()
            }),
            ..WhoAmIResponse::default()
        };
        assert_eq!(principal_line(&me), "principals/anna (Anna de Vries)");
        if let Some(p) = me.principal.as_mut() {
            p.display_name.clear();
        }
        assert_eq!(principal_line(&me), "principals/anna");
    }
}
