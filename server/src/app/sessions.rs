//! Use cases of the web console's sessions (docs/architecture.md, "Console"): sign in with a
//! proof, turn a session cookie back into a [`Caller`] on each request, switch the language,
//! sign out. The proof is checked again on every request through `authz`'s own identity check
//! (`Access::authenticate_credential`), so a revoked token or a disabled principal ends the
//! session at its next request, and a session never outlives what it was opened with.

use super::App;
use crate::authz::Caller;
use crate::domain::Result;
use crate::domain::access::{Secret, hash_secret};
use crate::domain::error::{Error, reason};
use crate::domain::session::{Language, Proof, Session, Timeouts};
use crate::domain::time::Timestamp;

/// A session that was just opened: the id for the cookie (shown once, never stored) and the
/// session as stored.
pub struct Opened {
    pub id: Secret,
    pub session: Session,
}

impl App {
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
        let id = Secret::generate();
        let session = Session {
            id_hash: id.hash(),
            principal: caller.principal.id.clone(),
            proof: Proof::Token { credential },
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
