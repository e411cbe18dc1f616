-- Leases of the background jobs (docs/architecture.md, "Several replicas"): one replica at a
-- time runs each job (`name`), the `holder` whose lease has not expired. The holder renews it
-- well before `expire_time`; when it dies, another replica takes the lease once it expires.
-- Times are microseconds since the Unix epoch (UTC), by the holder's clock.

CREATE TABLE leases (
    name        TEXT    NOT NULL PRIMARY KEY,
    holder      TEXT    NOT NULL,
    expire_time INTEGER NOT NULL
);
