-- Request ids are keyed per principal (issue #12): a principal's request id never answers
-- another principal's call, and the hash of the canonical request tells a retry (same hash)
-- from a reuse of the id for a different call (REQUEST_ID_REUSED). Rows of earlier versions
-- take the principal from the events their request made; `request_hash` is empty for them,
-- and they are then compared by method and case only.
CREATE TABLE requests_by_principal (
    principal    TEXT    NOT NULL,
    request_id   TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    method       TEXT    NOT NULL,
    case_id      TEXT    NOT NULL,
    response     TEXT    NOT NULL,
    create_time  INTEGER NOT NULL,
    PRIMARY KEY (principal, request_id)
);
INSERT INTO requests_by_principal
    (principal, request_id, request_hash, method, case_id, response, create_time)
SELECT
    COALESCE(
        (SELECT e.actor FROM events e
          WHERE e.case_id = r.case_id AND e.request_id = r.request_id
          LIMIT 1),
        ''),
    r.request_id, '', r.method, r.case_id, r.response, r.create_time
FROM requests r;
DROP TABLE requests;
ALTER TABLE requests_by_principal RENAME TO requests;
CREATE INDEX requests_create_time ON requests (create_time);

-- Secrets the replicas share, made once by whichever starts first: `page_tokens` seals list
-- page tokens (docs/architecture.md, "Lists").
CREATE TABLE server_keys (
    name        TEXT    NOT NULL PRIMARY KEY,
    secret      TEXT    NOT NULL,
    create_time INTEGER NOT NULL
);
