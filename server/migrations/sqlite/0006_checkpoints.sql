-- Signed checkpoints of the audit log (docs/architecture.md, "Tamper evidence"): the head of the
-- log at `sequence`, signed with an Ed25519 key that is kept outside the database. One per
-- sequence: replicas that make the same checkpoint at once keep the first (the primary key).
-- Times are microseconds since the Unix epoch (UTC).

CREATE TABLE checkpoints (
    sequence     INTEGER NOT NULL PRIMARY KEY,
    create_time  INTEGER NOT NULL,
    cases        INTEGER NOT NULL,
    heads_digest TEXT    NOT NULL,
    public_key   TEXT    NOT NULL,
    signature    TEXT    NOT NULL
);
