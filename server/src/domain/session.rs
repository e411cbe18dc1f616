//! A console session (docs/architecture.md, "Console"): who signed in, how they proved it, and
//! when the session ends. Pure: the random id and the CSRF token come from
//! `domain::access::Secret`, the store keeps only the id's hash, and the rules of when a
//! session has ended live here, in [`Session::ended`].
//!
//! The session does not care how the user proved who they are: [`Proof`] names it, and the
//! console's use case (`app/sessions.rs`) checks it again on each request. A pasted API token
//! and a one-time sign-in link ([`Invite`]) are the proofs today; single sign-on (OpenID
//! Connect) becomes another variant.

use std::time::Duration;

use super::access::PrincipalId;

/// How the user proved who they are when the session began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// They pasted an API token; this is its secret's hash (`domain::access::hash_secret`),
    /// looked up again on every request, so that revoking it ends the session.
    Token { credential: String },
    /// They followed a one-time sign-in link an admin issued for their principal; this is the
    /// link's hash. What is checked again on every request is the principal itself (it must
    /// still exist and not be disabled), as it will be for single sign-on.
    Invite { credential: String },
}

impl Proof {
    /// The stored name of the kind of proof.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Token { .. } => "token",
            Self::Invite { .. } => "invite",
        }
    }

    /// The stored value of the proof.
    pub fn credential(&self) -> &str {
        match self {
            Self::Token { credential } | Self::Invite { credential } => credential,
        }
    }

    /// The proof as stored; `None` for a kind this server does not know.
    pub fn from_stored(kind: &str, credential: String) -> Option<Self> {
        match kind {
            "token" => Some(Self::Token { credential }),
            "invite" => Some(Self::Invite { credential }),
            _ => None,
        }
    }
}

/// The console's language: Dutch unless the user switched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    Nl,
    En,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Self::Nl => "nl",
            Self::En => "en",
        }
    }

    /// `nl` or `en`; anything else is Dutch.
    pub fn from_code(code: &str) -> Self {
        if code == "en" { Self::En } else { Self::Nl }
    }
}

/// A stored session, known by the hash of its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id_hash: String,
    pub principal: PrincipalId,
    pub proof: Proof,
    /// Sent with every form and checked on every POST.
    pub csrf_token: String,
    pub language: Language,
    pub create_time: i64,
    pub last_used_time: i64,
    /// The absolute end: sign-in time plus the absolute timeout.
    pub expire_time: i64,
}

/// How long a sign-in link works after it was issued.
pub const INVITE_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// A one-time sign-in link (`regie console invite`), known by the hash of its secret. It
/// works once, within [`INVITE_LIFETIME`]; the store redeems it atomically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub id_hash: String,
    pub principal: PrincipalId,
    /// `principals/<id>` of the admin who issued it.
    pub created_by: String,
    pub create_time: i64,
    pub expire_time: i64,
}

impl Invite {
    /// Its end, for one issued at `now` (micros).
    pub fn expiry(now: i64) -> i64 {
        now.saturating_add(i64::try_from(INVITE_LIFETIME.as_micros()).unwrap_or(i64::MAX))
    }
}

/// The idle and absolute timeouts (`--console-idle-timeout`, `--console-absolute-timeout`).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Session {
    /// Whether the session has ended at `now` (micros): past its absolute end, or unused for
    /// longer than the idle timeout.
    pub fn ended(&self, now: i64, timeouts: Timeouts) -> bool {
        let idle = i64::try_from(timeouts.idle.as_micros()).unwrap_or(i64::MAX);
        now >= self.expire_time || now.saturating_sub(self.last_used_time) >= idle
    }

    /// Its absolute end for one beginning at `now`.
    pub fn expiry(now: i64, timeouts: Timeouts) -> i64 {
        now.saturating_add(i64::try_from(timeouts.absolute.as_micros()).unwrap_or(i64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(last_used_time: i64, expire_time: i64) -> Session {
        Session {
            id_hash: "h".into(),
            principal: PrincipalId::parse("p", "anna").expect("id"),
            proof: Proof::Token {
                credential: "c".into(),
            },
            csrf_token: "t".into(),
            language: Language::Nl,
            create_time: 0,
            last_used_time,
            expire_time,
        }
    }

    const T: Timeouts = Timeouts {
        idle: Duration::from_secs(60),
        absolute: Duration::from_secs(3600),
    };

    #[test]
    fn a_session_ends_when_idle_too_long_or_past_its_absolute_end() {
        let s = session(0, Session::expiry(0, T));
        assert!(!s.ended(59_000_000, T));
        assert!(s.ended(60_000_000, T));
        let busy = session(3_599_000_000, Session::expiry(0, T));
        assert!(!busy.ended(3_599_500_000, T));
        assert!(busy.ended(3_600_000_000, T));
    }
}
