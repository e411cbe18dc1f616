-- Identity and access control: principals, their API tokens, the Casbin policy and role
-- bindings, and the audit of denied calls. Times are microseconds since the Unix epoch (UTC).

CREATE TABLE principals (
    id              TEXT    NOT NULL PRIMARY KEY,
    display_name    TEXT    NOT NULL,
    -- `person` or `service_account`.
    kind            TEXT    NOT NULL,
    home_department TEXT REFERENCES departments (code),
    disabled        BOOLEAN NOT NULL,
    revision        INTEGER NOT NULL,
    create_time     INTEGER NOT NULL,
    update_time     INTEGER NOT NULL
);

-- Only a SHA-256 of each secret is kept; the secret is shown once, when it is issued.
CREATE TABLE tokens (
    id             TEXT    NOT NULL PRIMARY KEY,
    principal_id   TEXT    NOT NULL REFERENCES principals (id),
    display_name   TEXT    NOT NULL,
    secret_hash    TEXT    NOT NULL UNIQUE,
    create_time    INTEGER NOT NULL,
    expire_time    INTEGER,
    last_used_time INTEGER,
    revoke_time    INTEGER
);
CREATE INDEX tokens_principal ON tokens (principal_id, create_time);

-- Casbin's rules: `p` lines (role, domain, object, action) and `g` lines (principal, role,
-- domain), in Casbin's own column layout.
CREATE TABLE casbin_rules (
    ptype TEXT NOT NULL,
    v0    TEXT NOT NULL,
    v1    TEXT NOT NULL,
    v2    TEXT NOT NULL,
    v3    TEXT NOT NULL DEFAULT '',
    v4    TEXT NOT NULL DEFAULT '',
    v5    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (ptype, v0, v1, v2, v3, v4, v5)
);

-- Denied calls. `suppressed` counts the denials of the same principal that were not written
-- since its previous row (the per-principal cap).
CREATE TABLE access_denials (
    id         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    time       INTEGER NOT NULL,
    principal  TEXT    NOT NULL,
    method     TEXT    NOT NULL,
    object     TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    domain     TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    suppressed INTEGER NOT NULL
);
CREATE INDEX access_denials_time ON access_denials (time);

-- Bumped on every change to principals, tokens or rules, so that other replicas notice and
-- reload what they cache.
CREATE TABLE access_version (
    id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO access_version (id, version) VALUES (1, 0);
