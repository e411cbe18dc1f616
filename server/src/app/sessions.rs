//! Use cases of the web console's sessions (docs/architecture.md, "Console"): issue a one-time
//! sign-in link, sign in with a proof (a pasted API token or such a link), turn a session cookie
//! back into a [`Caller`] on each request, switch the language, sign out. The proof is checked
//! again on every request through `authz`'s own identity checks
//! (`Access::authenticate_credential` for a token, `Access::authenticate_principal` for a link),
//! so a revoked token or a disabled principal ends the session at its next request, and a
//! session never outlives what it was opened with.

use super::App;
use crate::authz::Caller;
use crate::domain::Result;
use crate::domain::access::{PrincipalId, Secret, hash_secret};
use crate::domain::error::{Error, reason};
use crate::domain::session::{Invite, Language, Proof, Session, Timeouts};
use crate::domain::time::Timestamp;

/// A session that was just opened: the id for the cookie (shown once, never stored) and the
/// session as stored.
pub struct Opened {
    pub id: Secret,
    pub session: Session,
}

/// A sign-in link that was just issued: its URL (holding the secret, shown this once) and the
/// link as stored.
pub struct IssuedLink {
    pub url: String,
    pub invite: Invite,
}

/// What the console is told when a sign-in link does not work: whether it never existed, was
/// used or expired is not said (the secret is the only thing the visitor has).
fn link_refused() -> Error {
    Error::Unauthenticated {
        reason: reason::TOKEN_INVALID,
        message: "this sign-in link is not valid: it was used already, it expired, or it never \
                  existed; ask for a new one"
            .to_owned(),
    }
}

impl App {
    /// Issues a one-time sign-in link for the principal named `principal` (`principals/anna`
    /// or `anna`), valid for 15 minutes (`domain::session::INVITE_LIFETIME`). The caller's right
    /// to do so (`token:create` in `rijk`, as for issuing a token) is the method table's
    /// (`rpc/methods.rs`). The principal must exist and be enabled; the console must be on.
    pub async fn create_sign_in_link(
        &self,
        caller: &Caller,
        principal: &str,
    ) -> Result<IssuedLink> {
        let id = PrincipalId::from_name("principal", principal)
            .or_else(|_| PrincipalId::parse("principal", principal))
            .map_err(|v| Error::invalid_field("principal", v.description.as_str()))?;
        let found = self.store.get_principal(&id).await?;
        if found.disabled {
            return Err(Error::failed_precondition(
                reason::PRINCIPAL_DISABLED,
                format!("{} is disabled; enable it before inviting it", id.name()),
            ));
        }
        let Some(base) = self.console_url.get() else {
            return Err(Error::failed_precondition(
                reason::CONSOLE_OFF,
                "the web console is off on this server (--console-listen off)",
            ));
        };
        let secret = Secret::generate();
        let now = Timestamp::now().micros();
        let invite = Invite {
            id_hash: secret.hash(),
            principal: id,
            created_by: caller.subject().to_owned(),
            create_time: now,
            expire_time: Invite::expiry(now),
        };
        self.store.purge_invites(now).await?;
        self.store.insert_invite(&invite).await?;
        tracing::info!(principal = %invite.principal.as_str(), by = %invite.created_by, "console sign-in link issued");
        Ok(IssuedLink {
            url: format!(
                "{}/sign-in/link/{}",
                base.trim_end_matches('/'),
                secret.expose()
            ),
            invite,
        })
    }

    /// Opens a session for the principal of the sign-in link whose secret is `secret`, and
    /// uses the link up: it works once, within its 15 minutes, for a principal still enabled.
    pub async fn sign_in_with_link(
        &self,
        secret: &str,
        language: Language,
        timeouts: Timeouts,
    ) -> Result<Opened> {
        let credential = hash_secret(secret.trim());
        let now = Timestamp::now().micros();
        let Some(principal) = self.store.redeem_invite(&credential, now).await? else {
            return Err(link_refused());
        };
        let id = PrincipalId::parse("principal", &principal).map_err(|v| {
            Error::internal(format!("a stored link's principal: {}", v.description))
        })?;
        let caller = self
            .access
            .authenticate_principal(&id, "console sign-in link")
            .await
            .map_err(|_| link_refused())?;
        self.open_session(
            &caller,
            Proof::Invite { credential },
            language,
            timeouts,
            now,
        )
        .await
    }

    /// Opens a session for whoever holds the API token `secret`: refused as the gRPC API would
    /// refuse the token (unknown, revoked, expired, principal disabled).
    pub async fn sign_in_with_token(
        &self,
        secret: &str,
        language: Language,
        timeouts: Timeouts,
    ) -> Result<Opened> {
        let credential = hash_secret(secret.trim());
        let caller = self.access.authenticate_credential(&credential).await?;
        let now = Timestamp::now().micros();
        self.open_session(
            &caller,
            Proof::Token { credential },
            language,
            timeouts,
            now,
        )
        .await
    }

    /// Stores a new session for `caller`, proved by `proof`.
    async fn open_session(
        &self,
        caller: &Caller,
        proof: Proof,
        language: Language,
        timeouts: Timeouts,
        now: i64,
    ) -> Result<Opened> {
        let id = Secret::generate();
        let session = Session {
            id_hash: id.hash(),
            principal: caller.principal.id.clone(),
            proof,
            csrf_token: Secret::generate().expose().to_owned(),
            language,
            create_time: now,
            last_used_time: now,
            expire_time: Session::expiry(now, timeouts),
        };
        self.store.purge_sessions(now).await?;
        self.store.insert_session(&session).await?;
        Ok(Opened { id, session })
    }

    /// The session whose id is `id` and its caller, if it has not ended; the session's proof
    /// is checked again (a session whose token was revoked is deleted and UNAUTHENTICATED).
    pub async fn resume_session(&self, id: &str, timeouts: Timeouts) -> Result<(Session, Caller)> {
        let id_hash = hash_secret(id);
        let ended = || Error::Unauthenticated {
            reason: reason::TOKEN_EXPIRED,
            message: "the session has ended; sign in again".to_owned(),
        };
        let Some(session) = self.store.session(&id_hash).await? else {
            return Err(ended());
        };
        let now = Timestamp::now().micros();
        if session.ended(now, timeouts) {
            self.store.delete_session(&id_hash).await?;
            return Err(ended());
        }
        let caller = match &session.proof {
            Proof::Token { credential } => self.access.authenticate_credential(credential).await,
            Proof::Invite { .. } => {
                self.access
                    .authenticate_principal(&session.principal, "console sign-in link")
                    .await
            }
        };
        let caller = match caller {
            Ok(caller) if caller.principal.id == session.principal => caller,
            Ok(_) | Err(_) => {
                self.store.delete_session(&id_hash).await?;
                return Err(ended());
            }
        };
        self.store.touch_session(&id_hash, now).await?;
        Ok((session, caller))
    }

    /// Remembers the language the session's user chose.
    pub async fn set_session_language(&self, session: &Session, language: Language) -> Result<()> {
        self.store
            .set_session_language(&session.id_hash, language)
            .await
    }

    /// Ends the session.
    pub async fn sign_out(&self, session: &Session) -> Result<()> {
        self.store.delete_session(&session.id_hash).await
    }
}
