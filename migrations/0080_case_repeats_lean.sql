-- Issue 12: a case's repeat links are its intake's largest group of rows (up to six for the
-- caller, more for the place and the subject: 3-5 a case in the intake benchmark once callers
-- call again), and each link was written into four B-trees: the table's rowid, its primary key,
-- case_repeats_earlier and case_repeats_created. No query reads case_repeats by created_at
-- (the assessment and the risk grade ask by case_id, the repeats view by case_id and by
-- earlier_id), so that index goes on both backends; and on SQLite the table is keyed by its
-- primary key alone (WITHOUT ROWID), the links of a case stored together, two B-trees a link,
-- and its reason is tested by comparisons in place of an IN list (0081 says why).
-- PostgreSQL keeps its heap and primary key (it has no rowid B-tree to save).
DROP INDEX IF EXISTS case_repeats_created;
-- @sqlite
CREATE TABLE case_repeats_lean (
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    earlier_id INTEGER NOT NULL REFERENCES cases(id),
    reason     TEXT    NOT NULL CHECK (reason = 'caller' OR reason = 'place' OR reason = 'subject'),
    unsolved   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, earlier_id)
) WITHOUT ROWID;
INSERT INTO case_repeats_lean(case_id, earlier_id, reason, unsolved, created_at)
    SELECT case_id, earlier_id, reason, unsolved, created_at FROM case_repeats ORDER BY case_id, earlier_id;
DROP TABLE case_repeats;
ALTER TABLE case_repeats_lean RENAME TO case_repeats;
CREATE INDEX case_repeats_earlier ON case_repeats(earlier_id);
-- @end
