//! `regie tokens …`: issue API tokens (the secret is printed this once), list and revoke them.
//!
//! The server keeps only a hash of each secret, so `issue` is the only moment it can be shown:
//! in a table it is a row of its own, followed by a warning on stderr; with `--output json` it
//! is the `secret` field of the whole IssueTokenResponse.

use std::time::{Duration, SystemTime};

use prost_types::Timestamp;
use regie_proto::v1::{
    IssueTokenRequest, IssueTokenResponse, ListTokensRequest, ListTokensResponse,
    RevokeTokenRequest, Token,
};

use super::Context;
use super::render::{self, Listing, Show};
use crate::cli::{TokenCommand, TokenIssue};
use crate::error::CliError;
use crate::names::{PRINCIPALS, TOKENS, short_id};
use crate::output::{self, or_dash};

/// Shown on stderr after a new secret.
const SHOWN_ONCE: &str = "warning: this is the only time the secret is shown; store it now \
                          (e.g. `regie login --token SECRET`). The server keeps only its hash.";

pub async fn run(ctx: &Context, command: TokenCommand) -> Result<(), CliError> {
    let conn = &ctx.conn;
    let mut client = conn.access();
    match command {
        TokenCommand::Issue(args) => {
            let request = issue_request(args, SystemTime::now())?;
            let issued = conn.call(client.issue_token(conn.request(request))).await?;
            render::show(ctx.output, &issued)?;
            output::note(SHOWN_ONCE);
            Ok(())
        }
        TokenCommand::List(args) => {
            render::list(ctx.output, &args.page, async |page_token| {
                let request = ListTokensRequest {
                    principal: args.principal.clone().unwrap_or_default(),
                    page_size: args.page.page_size,
                    page_token,
                };
                conn.call(conn.access().list_tokens(conn.request(request)))
                    .await
            })
            .await
        }
        TokenCommand::Revoke { name } => {
            let request = RevokeTokenRequest { name };
            let token = conn
                .call(client.revoke_token(conn.request(request)))
                .await?;
            render::show(ctx.output, &token)
        }
    }
}

/// The request for `issue`; `--expires-in` counts from `now`.
fn issue_request(args: TokenIssue, now: SystemTime) -> Result<IssueTokenRequest, CliError> {
    let expire_time = args
        .expires_in
        .map(|lifetime| expiry(now, lifetime))
        .transpose()?;
    Ok(IssueTokenRequest {
        principal: args.principal,
        display_name: args.display_name,
        expire_time,
    })
}

fn expiry(now: SystemTime, lifetime: Duration) -> Result<Timestamp, CliError> {
    now.checked_add(lifetime)
        .map(Timestamp::from)
        .ok_or_else(|| CliError::Usage(format!("--expires-in {lifetime:?} is too far ahead")))
}

/// A new token: its details and the secret.
impl Show for IssueTokenResponse {
    fn text(&self) -> String {
        let token = self.token.clone().unwrap_or_default();
        details(&token, SystemTime::now(), Some(&self.secret)).to_string()
    }
}

/// A token that is not new, as a key/value table.
impl Show for Token {
    fn text(&self) -> String {
        details(self, SystemTime::now(), None).to_string()
    }
}

/// One token as a key/value table, with the secret when it has just been issued.
fn details(token: &Token, now: SystemTime, secret: Option<&str>) -> comfy_table::Table {
    let mut rows = vec![
        ("NAME", token.name.clone()),
        ("PRINCIPAL", or_dash(&token.principal)),
        ("DISPLAY NAME", or_dash(&token.display_name)),
        ("STATUS", status(token, now).to_owned()),
        ("CREATED", output::timestamp(token.create_time.as_ref())),
        ("EXPIRES", expires(token)),
        (
            "LAST USED",
            output::timestamp(token.last_used_time.as_ref()),
        ),
        ("REVOKED", output::timestamp(token.revoke_time.as_ref())),
    ];
    if let Some(secret) = secret {
        rows.push(("SECRET", secret.to_owned()));
    }
    output::key_value_table(rows)
}

/// `revoked`, `expired` or `active`, as of `now`.
fn status(token: &Token, now: SystemTime) -> &'static str {
    let now = Timestamp::from(now);
    let passed = |t: &Timestamp| (t.seconds, t.nanos) <= (now.seconds, now.nanos);
    if token.revoke_time.is_some() {
        "revoked"
    } else if token.expire_time.as_ref().is_some_and(passed) {
        "expired"
    } else {
        "active"
    }
}

/// The expiry time, or `never`.
fn expires(token: &Token) -> String {
    match &token.expire_time {
        None => "never".to_owned(),
        Some(t) => output::timestamp(Some(t)),
    }
}

impl Listing for ListTokensResponse {
    type Item = Token;
    const HEADER: &'static [&'static str] = &[
        "ID",
        "PRINCIPAL",
        "DISPLAY NAME",
        "STATUS",
        "CREATED",
        "EXPIRES",
        "LAST USED",
    ];
    const EMPTY: &'static str = "no tokens found";
    fn items(&self) -> &[Token] {
        &self.tokens
    }
    fn row(t: &Token) -> Vec<String> {
        vec![
            short_id(TOKENS, &t.name).to_owned(),
            short_id(PRINCIPALS, &t.principal).to_owned(),
            or_dash(&t.display_name),
            status(t, SystemTime::now()).to_owned(),
            output::date(t.create_time.as_ref()),
            expires(t),
            output::timestamp(t.last_used_time.as_ref()),
        ]
    }
}
render::paged!(ListTokensResponse => tokens);

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Option<Timestamp> {
        Some(Timestamp { seconds, nanos: 0 })
    }

    #[test]
    fn expiry_counts_from_now() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let request = issue_request(
            TokenIssue {
                principal: "principals/ci-bot".into(),
                display_name: "nightly import".into(),
                expires_in: Some(Duration::from_secs(90 * 86_400)),
            },
            now,
        )
        .expect("valid request");
        assert_eq!(request.principal, "principals/ci-bot");
        assert_eq!(request.expire_time, at(1_000 + 90 * 86_400));
        let forever = issue_request(
            TokenIssue {
                principal: "principals/ci-bot".into(),
                display_name: String::new(),
                expires_in: None,
            },
            now,
        )
        .expect("valid request");
        assert_eq!(forever.expire_time, None, "no expiry without --expires-in");
    }

    #[test]
    fn status_as_of_now() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let token = Token {
            name: "tokens/t1".into(),
            ..Token::default()
        };
        assert_eq!(status(&token, now), "active");
        let later = Token {
            expire_time: at(2_000),
            ..token.clone()
        };
        assert_eq!(status(&later, now), "active");
        let expired = Token {
            expire_time: at(1_000),
            ..token.clone()
        };
        assert_eq!(status(&expired, now), "expired");
        let revoked = Token {
            revoke_time: at(500),
            expire_time: at(2_000),
            ..token
        };
        assert_eq!(status(&revoked, now), "revoked");
        assert_eq!(expires(&revoked), "1970-01-01T00:33:20Z");
        assert_eq!(expires(&Token::default()), "never");
    }

    #[test]
    fn the_secret_is_in_the_table_of_a_new_token() {
        let token = Token {
            name: "tokens/t1".into(),
            principal: "principals/ci-bot".into(),
            ..Token::default()
        };
        let now = SystemTime::UNIX_EPOCH;
        let issued = details(&token, now, Some("rg_s3cret")).to_string();
        assert!(issued.contains("rg_s3cret"), "{issued}");
        let listed = details(&token, now, None).to_string();
        assert!(!listed.contains("SECRET"), "{listed}");
    }
}
