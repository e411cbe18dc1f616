//! `regie console invite`: a one-time sign-in link to the web console for a principal
//! (docs/architecture.md, "Console"). The link holds a secret and is printed this once; the
//! server keeps only its hash. It works once, within 15 minutes.

use regie_proto::v1::{CreateSignInLinkRequest, CreateSignInLinkResponse};

use super::Context;
use super::render::{self, Show};
use crate::cli::ConsoleCommand;
use crate::error::CliError;
use crate::output;

/// Shown on stderr after a new link.
const SEND_IT: &str = "note: send this link to the person only (it signs them in once, within \
                       15 minutes); the server keeps only its hash.";

pub async fn run(ctx: &Context, command: ConsoleCommand) -> Result<(), CliError> {
    let conn = &ctx.conn;
    match command {
        ConsoleCommand::Invite { principal } => {
            let request = CreateSignInLinkRequest { principal };
            let link = conn
                .call(conn.access().create_sign_in_link(conn.request(request)))
                .await?;
            render::show(ctx.output, &link)?;
            output::note(SEND_IT);
            Ok(())
        }
    }
}

impl Show for CreateSignInLinkResponse {
    fn text(&self) -> String {
        output::key_value_table(vec![
            ("PRINCIPAL", self.principal.clone()),
            ("LINK", self.url.clone()),
            ("EXPIRES", output::timestamp(self.expire_time.as_ref())),
        ])
        .to_string()
    }
}
