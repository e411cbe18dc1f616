-- Criteria sets (toetsingskader): versioned lists of quality criteria. The criteria are kept as
-- JSON in `criteria`; a published set never changes.

CREATE TABLE criteria_sets (
    id           TEXT    NOT NULL PRIMARY KEY,
    title        TEXT    NOT NULL,
    description  TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    template     BOOLEAN NOT NULL,
    criteria     TEXT    NOT NULL,
    revision     INTEGER NOT NULL,
    create_time  INTEGER NOT NULL,
    update_time  INTEGER NOT NULL,
    publish_time INTEGER
);
