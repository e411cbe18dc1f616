//! `regie audit …`: read the audit log, verify its hash chains and holes (exit 1 when broken),
//! keep its signed checkpoints in a file and verify the log against them, and list denied
//! calls.
//!
//! The checkpoints file is the JSON of a `ListCheckpointsResponse`: the public key the auditor
//! trusts (the server's when the file was made) and the checkpoints, oldest first. The CLI
//! checks each signature against that key itself, so a server (or a database) that changed its
//! key or its stored checkpoints cannot slip one in; the server recomputes the log's heads.

use std::collections::BTreeMap;
use std::path::Path;

use regie_proto::v1::{
    AccessDenial, Checkpoint, CheckpointFailure, ListAccessDenialsRequest,
    ListAccessDenialsResponse, ListAuditEventsRequest, ListCheckpointsRequest,
    ListCheckpointsResponse, VerifyAuditChainRequest, VerifyAuditChainResponse,
};

use super::Context;
use super::render::{self, Listing, Show};
use crate::cli::{AuditCommand, AuditList};
use crate::error::{CliError, exit};
use crate::filter::Filter;
use crate::output::{self, or_dash};

/// Runs the command; the exit code is 1 when `verify` finds a broken chain.
pub async fn run(ctx: &Context, command: AuditCommand) -> Result<u8, CliError> {
    let conn = &ctx.conn;
    let mut client = conn.audit();
    match command {
        AuditCommand::List(args) => {
            let filter = list_filter(&args);
            render::list(ctx.output, &args.page, async |page_token| {
                let request = ListAuditEventsRequest {
                    page_size: args.page.page_size,
                    page_token,
                    filter: filter.clone(),
                };
                conn.call(conn.audit().list_audit_events(conn.request(request)))
                    .await
            })
            .await?;
        }
        AuditCommand::Denials { limit } => {
            let request = ListAccessDenialsRequest { page_size: limit };
            let response = conn
                .call(client.list_access_denials(conn.request(request)))
                .await?;
            render::print(ctx.output, &response)?;
        }
        AuditCommand::Verify { case, against } => {
            let held = match &against {
                Some(path) => Some(load_checkpoints(path)?),
                None => None,
            };
            let request = VerifyAuditChainRequest {
                case: case.unwrap_or_default(),
                checkpoints: held
                    .as_ref()
                    .map(|h| h.checkpoints.clone())
                    .unwrap_or_default(),
            };
            let mut response = conn
                .call(client.verify_audit_chain(conn.request(request)))
                .await?;
            if let Some(held) = &held {
                // Our own check of each signature, against the key the file holds.
                let mine = signature_failures(held);
                response
                    .checkpoint_failures
                    .retain(|f| !mine.iter().any(|m| m.sequence == f.sequence));
                response.checkpoint_failures.extend(mine);
                response.checkpoint_failures.sort_by_key(|f| f.sequence);
                response.valid &= response.checkpoint_failures.is_empty();
            }
            render::show(ctx.output, &response)?;
            if !response.valid {
                return Ok(exit::FAILURE);
            }
        }
        AuditCommand::Checkpoints { file } => {
            let fetched = fetch_checkpoints(ctx).await?;
            match file {
                None => render::print(ctx.output, &fetched)?,
                Some(path) => return save_checkpoints(&path, fetched),
            }
        }
    }
    Ok(exit::SUCCESS)
}

impl Listing for ListAccessDenialsResponse {
    type Item = AccessDenial;
    const HEADER: &'static [&'static str] = &[
        "TIME",
        "PRINCIPAL",
        "METHOD",
        "OBJECT",
        "ACTION",
        "DOMAIN",
        "REASON",
        "SUPPRESSED",
    ];
    const EMPTY: &'static str = "no denied calls recorded";
    fn items(&self) -> &[AccessDenial] {
        &self.denials
    }
    fn row(d: &AccessDenial) -> Vec<String> {
        vec![
            output::timestamp(d.time.as_ref()),
            or_dash(&d.principal),
            d.method.clone(),
            or_dash(&d.object),
            or_dash(&d.action),
            or_dash(&d.domain),
            d.reason.clone(),
            d.suppressed.to_string(),
        ]
    }
}

impl Listing for ListCheckpointsResponse {
    type Item = Checkpoint;
    const HEADER: &'static [&'static str] = &["SEQUENCE", "TIME", "CASES", "HEADS DIGEST"];
    const EMPTY: &'static str = "no checkpoints signed yet";
    fn items(&self) -> &[Checkpoint] {
        &self.checkpoints
    }
    fn row(c: &Checkpoint) -> Vec<String> {
        vec![
            c.sequence.to_string(),
            output::timestamp(c.create_time.as_ref()),
            c.cases.to_string(),
            c.heads_digest.clone(),
        ]
    }
    fn footer(&self) -> Option<String> {
        Some(format!("signed with public key {}", self.public_key))
    }
}

/// Every checkpoint the server holds, page by page, with its public key.
async fn fetch_checkpoints(ctx: &Context) -> Result<ListCheckpointsResponse, CliError> {
    const PAGE: i32 = 1000;
    let conn = &ctx.conn;
    let mut all = ListCheckpointsResponse::default();
    loop {
        let request = ListCheckpointsRequest {
            after_sequence: all.checkpoints.last().map_or(0, |c| c.sequence),
            page_size: PAGE,
        };
        let page = conn
            .call(conn.audit().list_checkpoints(conn.request(request)))
            .await?;
        all.public_key = page.public_key;
        let full = page.checkpoints.len() == PAGE as usize;
        all.checkpoints.extend(page.checkpoints);
        if !full {
            return Ok(all);
        }
    }
}

/// Reads a checkpoints file.
fn load_checkpoints(path: &Path) -> Result<ListCheckpointsResponse, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::InvalidInput(vec![format!("cannot read {}: {e}", path.display())])
    })?;
    let held: ListCheckpointsResponse = output::from_json(&text).map_err(|e| {
        CliError::InvalidInput(vec![format!(
            "{} is not a checkpoints file (the JSON `regie audit checkpoints --file` writes): {e}",
            path.display()
        )])
    })?;
    if held.public_key.is_empty() {
        return Err(CliError::InvalidInput(vec![format!(
            "{} names no public key",
            path.display()
        )]));
    }
    Ok(held)
}

/// The signed text of a checkpoint (`regie_support::checkpoint`).
fn signed_text(c: &Checkpoint) -> Option<String> {
    let time = c.create_time.as_ref()?;
    let micros = time
        .seconds
        .checked_mul(1_000_000)?
        .checked_add(i64::from(time.nanos / 1000))?;
    Some(regie_support::checkpoint::message(
        c.sequence,
        micros,
        c.cases,
        &c.heads_digest,
    ))
}

/// Why `c`'s signature does not verify with `public_key`, if it does not.
fn signature_error(public_key: &str, c: &Checkpoint) -> Option<String> {
    let Some(text) = signed_text(c) else {
        return Some("the checkpoint has no time".to_owned());
    };
    regie_support::checkpoint::verify(public_key, &text, &c.signature)
        .err()
        .map(|e| format!("{e} this file trusts"))
}

/// The checkpoints of a file whose signatures do not verify with the file's public key.
fn signature_failures(held: &ListCheckpointsResponse) -> Vec<CheckpointFailure> {
    held.checkpoints
        .iter()
        .filter_map(|c| {
            signature_error(&held.public_key, c).map(|reason| CheckpointFailure {
                sequence: c.sequence,
                reason,
            })
        })
        .collect()
}

/// Adds the fetched checkpoints to the file at `path` (creating it with the server's key), or
/// changes nothing and exits 1 when the server's key or a checkpoint it holds does not agree
/// with the file.
fn save_checkpoints(path: &Path, fetched: ListCheckpointsResponse) -> Result<u8, CliError> {
    let mut held = if path.exists() {
        load_checkpoints(path)?
    } else {
        ListCheckpointsResponse {
            public_key: fetched.public_key.clone(),
            checkpoints: Vec::new(),
        }
    };
    let mut problems = Vec::new();
    if fetched.public_key != held.public_key {
        problems.push(format!(
            "the server signs with public key {} now, not with {} that {} trusts: compare it with \
             the key the operator gives, and start a new file to trust it",
            fetched.public_key,
            held.public_key,
            path.display()
        ));
    }
    let mut by_sequence: BTreeMap<i64, Checkpoint> = held
        .checkpoints
        .drain(..)
        .map(|c| (c.sequence, c))
        .collect();
    let mut added = 0;
    for c in fetched.checkpoints {
        match by_sequence.get(&c.sequence) {
            Some(kept) if *kept == c => {}
            Some(_) => problems.push(format!(
                "the server's checkpoint at sequence {} differs from the one {} holds: the \
                 stored checkpoints were changed",
                c.sequence,
                path.display()
            )),
            None => match signature_error(&held.public_key, &c) {
                Some(reason) => problems.push(format!(
                    "the server's checkpoint at sequence {}: {reason}",
                    c.sequence
                )),
                None => {
                    by_sequence.insert(c.sequence, c);
                    added += 1;
                }
            },
        }
    }
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("regie: {problem}");
        }
        output::note(&format!("{} left as it was", path.display()));
        return Ok(exit::FAILURE);
    }
    held.checkpoints = by_sequence.into_values().collect();
    let text = output::to_json(&held)?;
    std::fs::write(path, format!("{text}\n"))
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    output::note(&format!(
        "{}: {} checkpoints ({added} new), public key {}",
        path.display(),
        held.checkpoints.len(),
        held.public_key
    ));
    Ok(exit::SUCCESS)
}

/// The verdict on the hash chains.
impl Show for VerifyAuditChainResponse {
    fn text(&self) -> String {
        verdict(self).join("\n")
    }
}

/// The filter to send: `--filter` ANDed with the convenience flags.
fn list_filter(args: &AuditList) -> String {
    Filter::new()
        .equals("case", args.case.as_deref())
        .equals("actor", args.actor.as_deref())
        .equals("type", args.event_type.as_deref())
        .at_least("time", args.since.as_deref())
        .and_with(&args.filter)
}

/// `valid: N cases, M events checked`, or one line per broken link and per hole.
fn verdict(response: &VerifyAuditChainResponse) -> Vec<String> {
    let checked = format!(
        "{} cases, {} events checked",
        response.cases_checked, response.events_checked
    );
    let checked = if response.checkpoints_checked > 0 {
        format!(
            "{checked}; the log extends {} of {} checkpoints",
            response.checkpoints_checked - response.checkpoint_failures.len() as i64,
            response.checkpoints_checked
        )
    } else {
        checked
    };
    if response.valid {
        return vec![format!("valid: {checked}")];
    }
    let mut lines: Vec<String> = response
        .broken_links
        .iter()
        .map(|b| format!("BROKEN {} at sequence {}: {}", b.case, b.sequence, b.reason))
        .collect();
    lines.extend(response.sequence_gaps.iter().map(|g| {
        if g.first == g.last {
            format!("MISSING sequence {}: no event has it", g.first)
        } else {
            format!(
                "MISSING sequences {} to {}: no event has them",
                g.first, g.last
            )
        }
    }));
    lines.extend(
        response
            .checkpoint_failures
            .iter()
            .map(|f| format!("CHECKPOINT at sequence {} FAILS: {}", f.sequence, f.reason)),
    );
    if lines.is_empty() {
        lines.push(format!("BROKEN (no link named): {checked}"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;
    use regie_proto::v1::{BrokenLink, SequenceGap};

    use super::*;
    use crate::cli::{Cli, Command};

    #[test]
    fn list_flags_are_anded_into_the_filter() {
        let cli = Cli::try_parse_from([
            "regie",
            "audit",
            "list",
            "--filter",
            "kind = \"work_item\"",
            "--case",
            "abc",
            "--actor",
            r"DOMAIN\jan",
            "--type",
            "case.transitioned",
            "--since",
            "2026-01-01T01:00:00+01:00",
        ])
        .expect("valid command line");
        let Command::Audit(AuditCommand::List(args)) = cli.command else {
            panic!("parsed as the wrong command");
        };
        assert_eq!(
            list_filter(&args),
            r#"(kind = "work_item") AND case = "cases/abc" AND actor = "DOMAIN\\jan" AND type = "case.transitioned" AND time >= "2026-01-01T00:00:00Z""#
        );
    }

    #[test]
    fn the_verdict_names_each_broken_link() {
        let valid = VerifyAuditChainResponse {
            valid: true,
            cases_checked: 3,
            events_checked: 17,
            ..Default::default()
        };
        assert_eq!(verdict(&valid), vec!["valid: 3 cases, 17 events checked"]);
        let broken = VerifyAuditChainResponse {
            valid: false,
            broken_links: vec![BrokenLink {
                case: "cases/x".into(),
                sequence: 42,
                reason: "hash does not match the event's content".into(),
            }],
            ..valid
        };
        assert_eq!(
            verdict(&broken),
            vec!["BROKEN cases/x at sequence 42: hash does not match the event's content"]
        );
        let holes = VerifyAuditChainResponse {
            valid: false,
            sequence_gaps: vec![
                SequenceGap { first: 4, last: 4 },
                SequenceGap { first: 9, last: 12 },
            ],
            ..Default::default()
        };
        assert_eq!(
            verdict(&holes),
            vec![
                "MISSING sequence 4: no event has it",
                "MISSING sequences 9 to 12: no event has them"
            ]
        );
    }
}
