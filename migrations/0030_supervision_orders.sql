-- 0030: 督办单 (issue 13, the centre's controls): a supervisor's formal order on a case to its lead
-- department, with a level (general 一般, key 重点, listed 挂牌), an instruction and a deadline for
-- the department's written answer (书面答复). States: issued (waiting for the answer), answered
-- (waiting for the supervisor), accepted (done); an answer sent back makes it issued again
-- (send_backs counts them). first_answered_at is the department's first answer: the assessment's
-- 按时答复 compares it with the deadline.
CREATE TABLE supervision_orders (
    id                INTEGER PRIMARY KEY,
    case_id           INTEGER NOT NULL REFERENCES cases(id),
    department_id     INTEGER NOT NULL REFERENCES departments(id),
    level             TEXT    NOT NULL CHECK (level IN ('general', 'key', 'listed')),
    instruction       TEXT    NOT NULL,
    deadline          INTEGER NOT NULL,
    state             TEXT    NOT NULL CHECK (state IN ('issued', 'answered', 'accepted')),
    answer            TEXT    NOT NULL DEFAULT '',
    answered_at       INTEGER,
    first_answered_at INTEGER,
    decision_note     TEXT    NOT NULL DEFAULT '',
    decided_at        INTEGER,
    send_backs        INTEGER NOT NULL DEFAULT 0,
    issued_by         INTEGER REFERENCES users(id),
    issued_at         INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX supervision_orders_case ON supervision_orders(case_id);
CREATE INDEX supervision_orders_dept ON supervision_orders(department_id, state);
CREATE INDEX supervision_orders_issued ON supervision_orders(issued_at);
