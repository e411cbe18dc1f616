-- One-time sign-in links for the web console (docs/architecture.md, "Console"): an admin
-- issues one for a principal (`regie console invite`), it is valid for 15 minutes and works
-- once. Like a session, a link is known only by the SHA-256 of its random secret, so a copy of
-- this table signs nobody in. `used_time` is set by the one request that redeems it (an
-- UPDATE that only matches an unused, unexpired link, so two replicas cannot both redeem it).
-- Times are microseconds since the Unix epoch (UTC).

CREATE TABLE console_invites (
    id_hash      TEXT    NOT NULL PRIMARY KEY,
    principal    TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    create_time  INTEGER NOT NULL,
    expire_time  INTEGER NOT NULL,
    used_time    INTEGER
);

CREATE INDEX console_invites_by_expiry ON console_invites (expire_time);
