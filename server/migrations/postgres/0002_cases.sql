-- Cases, their events (the audit log and change feed), idempotency records and the published
-- workflow versions. Times are microseconds since the Unix epoch (UTC).

CREATE TABLE workflow_versions (
    kind         TEXT COLLATE "C" NOT NULL,
    version      BIGINT   NOT NULL,
    file_name    TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    publish_time BIGINT   NOT NULL,
    PRIMARY KEY (kind, version)
);

-- One row per case: the columns that lists filter and sort on, and the whole case as JSON.
CREATE TABLE cases (
    id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    kind          TEXT COLLATE "C" NOT NULL,
    state         TEXT COLLATE "C" NOT NULL,
    title         TEXT COLLATE "C" NOT NULL,
    department    TEXT COLLATE "C" REFERENCES departments (code),
    working_group TEXT COLLATE "C" REFERENCES working_groups (id),
    assignee      TEXT COLLATE "C" NOT NULL,
    due_time      BIGINT,
    parent        TEXT COLLATE "C" REFERENCES cases (id),
    overdue       BOOLEAN NOT NULL,
    open          BOOLEAN NOT NULL,
    revision      BIGINT   NOT NULL,
    create_time   BIGINT   NOT NULL,
    update_time   BIGINT   NOT NULL,
    last_hash     TEXT    NOT NULL,
    body          TEXT    NOT NULL
);
CREATE INDEX cases_create_time ON cases (create_time, id);
CREATE INDEX cases_kind_state ON cases (kind, state);
CREATE INDEX cases_department ON cases (department);
CREATE INDEX cases_parent ON cases (parent);
CREATE INDEX cases_open_overdue ON cases (open, overdue);

CREATE TABLE case_labels (
    case_id TEXT COLLATE "C" NOT NULL REFERENCES cases (id),
    label   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (case_id, label)
);
CREATE INDEX case_labels_label ON case_labels (label, case_id);

-- The audit log. `sequence` is global and strictly increasing in commit order; each case's
-- events form a hash chain through previous_hash and hash.
CREATE TABLE events (
    sequence      BIGINT   NOT NULL PRIMARY KEY,
    case_id       TEXT COLLATE "C" NOT NULL,
    case_sequence BIGINT   NOT NULL,
    event_type    TEXT COLLATE "C" NOT NULL,
    actor         TEXT COLLATE "C" NOT NULL,
    time          BIGINT   NOT NULL,
    request_id    TEXT    NOT NULL,
    before_json   TEXT    NOT NULL,
    after_json    TEXT    NOT NULL,
    transition    TEXT    NOT NULL,
    comment       TEXT    NOT NULL,
    kind          TEXT COLLATE "C" NOT NULL,
    department    TEXT COLLATE "C" NOT NULL,
    previous_hash TEXT    NOT NULL,
    hash          TEXT    NOT NULL,
    UNIQUE (case_id, case_sequence)
);
CREATE INDEX events_time ON events (time, sequence);
CREATE INDEX events_actor ON events (actor, sequence);

-- Answers to mutating calls by request id, so that a retry returns the first answer.
CREATE TABLE requests (
    request_id  TEXT    NOT NULL PRIMARY KEY,
    method      TEXT    NOT NULL,
    case_id     TEXT    NOT NULL,
    response    TEXT    NOT NULL,
    create_time BIGINT   NOT NULL
);
CREATE INDEX requests_create_time ON requests (create_time);
