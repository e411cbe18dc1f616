-- Criteria sets (toetsingskader): versioned lists of quality criteria. The criteria are kept as
-- JSON text in `criteria`; a published set never changes.

CREATE TABLE criteria_sets (
    id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    title        TEXT COLLATE "C" NOT NULL,
    description  TEXT    NOT NULL,
    state        TEXT COLLATE "C" NOT NULL,
    template     BOOLEAN NOT NULL,
    criteria     TEXT    NOT NULL,
    revision     BIGINT  NOT NULL,
    create_time  BIGINT  NOT NULL,
    update_time  BIGINT  NOT NULL,
    publish_time BIGINT
);
