-- The directory: departments and working groups.
-- Times are microseconds since the Unix epoch (UTC), as on SQLite, so both backends compare and
-- sort them identically; `revision` counts changes and is the etag. Sortable text columns use the
-- "C" collation so that orderings match SQLite's byte order.

CREATE TABLE regie_meta (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE departments (
    code           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name_nl        TEXT COLLATE "C" NOT NULL,
    name_en        TEXT COLLATE "C" NOT NULL,
    in_sector_rijk BOOLEAN NOT NULL,
    active         BOOLEAN NOT NULL,
    revision       BIGINT  NOT NULL,
    create_time    BIGINT  NOT NULL,
    update_time    BIGINT  NOT NULL
);
-- Codes are unique regardless of case, so `JenV` and `jenv` cannot both exist.
CREATE UNIQUE INDEX departments_code_ci ON departments (lower(code));

CREATE TABLE working_groups (
    id               TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    display_name     TEXT COLLATE "C" NOT NULL,
    mandate          TEXT    NOT NULL,
    chair_department TEXT COLLATE "C" NOT NULL REFERENCES departments (code),
    active           BOOLEAN NOT NULL,
    revision         BIGINT  NOT NULL,
    create_time      BIGINT  NOT NULL,
    update_time      BIGINT  NOT NULL
);
CREATE INDEX working_groups_display_name ON working_groups (display_name, id);

CREATE TABLE working_group_members (
    working_group_id TEXT COLLATE "C" NOT NULL REFERENCES working_groups (id),
    position         INTEGER NOT NULL,
    department_code  TEXT COLLATE "C" REFERENCES departments (code),
    person           TEXT,
    role             TEXT    NOT NULL,
    PRIMARY KEY (working_group_id, position),
    CHECK ((department_code IS NULL) <> (person IS NULL))
);
CREATE INDEX working_group_members_department ON working_group_members (department_code);
