-- 0020: finding any case (issue 13). A case is found by its number (unique already), by the
-- caller's phone through the keyed hash, by the citizen's name, by its address and by text.
-- 诉求类型 (the kind of request: 咨询 / 求助 / 投诉 / 举报 / 建议 / 表扬) is a column of its own,
-- reported and assessed; cases from before this migration count as complaints, the commonest
-- kind on a 12345 line.
ALTER TABLE cases ADD COLUMN kind TEXT NOT NULL DEFAULT 'complaint'
    CHECK (kind IN ('consult', 'help', 'complaint', 'report', 'suggestion', 'praise'));
-- The caller's history: a number's cases, newest first. Anonymous and phoneless cases are left
-- out of the index.
CREATE INDEX cases_phone_hash ON cases(citizen_phone_hash, created_at) WHERE citizen_phone_hash <> '';
CREATE INDEX cases_citizen_name ON cases(citizen_name) WHERE citizen_name <> '';
-- PostgreSQL: the address gets a trigram index beside title and description.
-- @postgresql CREATE INDEX cases_address_trgm ON cases USING gin (address gin_trgm_ops);
-- SQLite: the full-text index takes the address as its third column; rebuilt here (about 30 µs
-- per case on a large database).
-- @sqlite
DROP TRIGGER IF EXISTS cases_fts_au;
DROP TABLE cases_fts;
CREATE VIRTUAL TABLE cases_fts USING fts5(title, description, address, content='cases', content_rowid='id', tokenize='trigram', detail=none, columnsize=0);
INSERT INTO cases_fts(cases_fts) VALUES ('rebuild');
UPDATE case_fts_watermark SET last_case_id = (SELECT coalesce(max(id), 0) FROM cases) WHERE id = 1;
CREATE TRIGGER cases_fts_au AFTER UPDATE OF title, description, address ON cases
WHEN old.id <= (SELECT last_case_id FROM case_fts_watermark WHERE id = 1) BEGIN
    INSERT INTO cases_fts(cases_fts, rowid, title, description, address) VALUES ('delete', old.id, old.title, old.description, old.address);
    INSERT INTO cases_fts(rowid, title, description, address) VALUES (new.id, new.title, new.description, new.address);
END;
-- @end
