-- An event stores what it changed, as a JSON Patch (RFC 6902), instead of two whole copies of
-- its case; a whole copy stays only where time travel starts (docs/architecture.md, "Time
-- travel"). Events written before this keep their copies and an empty patch.
ALTER TABLE events ADD COLUMN patch_json TEXT NOT NULL DEFAULT '';
