-- 0005: new cases enter the full-text index once per write transaction, not row by row.
-- In SQLite 3.40 every statement that writes an FTS5 table inside a larger transaction flushes
-- the table's pending terms to a new segment (the xSavepoint/xRelease of the statement), so the
-- per-row trigger cost ~270 µs per case when 50 cases commit together; one INSERT ... SELECT
-- for the whole transaction costs ~25 µs per case. case_index_pending() (src/case) indexes
-- every case above the watermark; whoever creates cases runs it before committing (the
-- group-commit writer once per batch). Title and description edits still go through
-- cases_fts_au.
-- @sqlite
DROP TRIGGER IF EXISTS cases_fts_ai;
-- @end
CREATE TABLE case_fts_watermark (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    last_case_id INTEGER NOT NULL
);
INSERT INTO case_fts_watermark(id, last_case_id) SELECT 1, coalesce(max(id), 0) FROM cases;
