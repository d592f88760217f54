-- 0041: micro-grids (微网格: a building, a block of a compound) as a fifth region level below
-- the grid. Only the level CHECK of regions changes. PostgreSQL swaps the constraint in place.
-- SQLite cannot alter a CHECK, so the table is rebuilt inside the migration's transaction:
-- foreign keys stay on (PRAGMA foreign_keys cannot change inside a transaction) and are
-- deferred to the commit instead. Dropping regions counts every referring row (cases, users,
-- grid_worker_grids, ...) as a pending violation; inserting the same ids into the new regions
-- counts each one resolved again, so the commit finds none and nothing referring to a region
-- is touched. No ON DELETE action refers to regions, so the drop deletes nothing else.
-- @postgresql ALTER TABLE regions DROP CONSTRAINT regions_level_check;
-- @postgresql ALTER TABLE regions ADD CONSTRAINT regions_level_check CHECK (level IN ('district', 'street', 'community', 'grid', 'micro'));
-- @sqlite
PRAGMA defer_foreign_keys = ON;
CREATE TABLE regions_0041 AS SELECT id, code, name, level, parent_id, boundary, created_at, updated_at FROM regions;
DROP TABLE regions;
CREATE TABLE regions (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    level       TEXT    NOT NULL CHECK (level IN ('district', 'street', 'community', 'grid', 'micro')),
    parent_id   INTEGER REFERENCES regions(id),
    boundary    TEXT,                      -- GeoJSON Polygon/MultiPolygon, WGS84
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
INSERT INTO regions (id, code, name, level, parent_id, boundary, created_at, updated_at)
    SELECT id, code, name, level, parent_id, boundary, created_at, updated_at FROM regions_0041 ORDER BY id;
DROP TABLE regions_0041;
CREATE INDEX regions_parent ON regions(parent_id);
-- @end
