-- 0031: 申诉 (issue 13, item 8). A citizen appeals a closure (the problem was not solved, the
-- evaluation was ignored) or an automatic decision of triage (the classification, the routed
-- department, a duplicate merge); a supervisor upholds it (the case is reopened, corrected or
-- unmerged) or rejects it with a written reason the citizen reads. One open appeal per case.
CREATE TABLE case_appeals (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    kind          TEXT    NOT NULL CHECK (kind IN ('closure', 'category', 'routing', 'duplicate')),
    reason        TEXT    NOT NULL CHECK (reason IN ('not_solved', 'evaluation_ignored', 'wrong_category',
                                                     'wrong_department', 'not_duplicate', 'other')),
    text          TEXT    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'rejected')),
    filed_by      INTEGER REFERENCES users(id),   -- NULL: through the public lookup (number + code)
    filed_at      INTEGER NOT NULL,
    decided_by    INTEGER REFERENCES users(id),
    decided_at    INTEGER,
    decision      TEXT    NOT NULL DEFAULT '',    -- the supervisor's written reason
    category_id   INTEGER REFERENCES categories(id),   -- upheld: the corrected category
    department_id INTEGER REFERENCES departments(id)   -- upheld: the department it should go to
);
CREATE UNIQUE INDEX case_appeals_one_open ON case_appeals(case_id) WHERE status = 'open';
CREATE INDEX case_appeals_case ON case_appeals(case_id, id);
CREATE INDEX case_appeals_status ON case_appeals(status, filed_at);
CREATE INDEX case_appeals_filed ON case_appeals(filed_at);
-- The register of automatic decisions counts dispatchers' classifications of the last days.
CREATE INDEX triage_examples_at ON triage_examples(at);
