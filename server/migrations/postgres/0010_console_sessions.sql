-- The web console's sessions (docs/architecture.md, "Console"). A session is known by the
-- SHA-256 of its random id (the cookie holds the id, the database only its hash), so a copy
-- of this table signs nobody in. `credential` is how the user proved who they are: the hash
-- of the API token they pasted (checked again on every request, so a revoked token or a
-- disabled principal ends the session); another proof (single sign-on) would be another kind.
-- Times are microseconds since the Unix epoch (UTC).

CREATE TABLE console_sessions (
    id_hash         TEXT    NOT NULL PRIMARY KEY,
    principal       TEXT    NOT NULL,
    proof_kind      TEXT    NOT NULL,
    credential      TEXT    NOT NULL,
    csrf_token      TEXT    NOT NULL,
    language        TEXT    NOT NULL,
    create_time     BIGINT  NOT NULL,
    last_used_time  BIGINT  NOT NULL,
    expire_time     BIGINT  NOT NULL
);

CREATE INDEX console_sessions_by_expiry ON console_sessions (expire_time);
