-- 0014: the full-text index keeps which cases hold each trigram, not where (detail=none) and no
-- column sizes (nothing ranks by bm25). A search for a text of n >= 3 characters asks for every
-- one of its trigrams, then checks the text itself on the candidate rows (src/case/case_query.c),
-- so answers are unchanged: exact substrings of title or description. Indexing costs ~1/3 of
-- what positional lists cost (27 vs 74 µs per case of 300 characters in chunks of 1,000) and the
-- index is half the size. The index is rebuilt here: on a large database this takes a while
-- (about 30 µs per case).
-- @sqlite
DROP TRIGGER IF EXISTS cases_fts_au;
DROP TABLE cases_fts;
CREATE VIRTUAL TABLE cases_fts USING fts5(title, description, content='cases', content_rowid='id', tokenize='trigram', detail=none, columnsize=0);
INSERT INTO cases_fts(cases_fts) VALUES ('rebuild');
UPDATE case_fts_watermark SET last_case_id = (SELECT coalesce(max(id), 0) FROM cases) WHERE id = 1;
-- Only a case already indexed has its old text to take out; one above the watermark (indexing
-- trails intake, see case_index_pending) is indexed later with its new text.
CREATE TRIGGER cases_fts_au AFTER UPDATE OF title, description ON cases
WHEN old.id <= (SELECT last_case_id FROM case_fts_watermark WHERE id = 1) BEGIN
    INSERT INTO cases_fts(cases_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
    INSERT INTO cases_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
END;
-- @end
