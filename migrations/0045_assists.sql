-- 0045: 协办单 and 吹哨报到 (issue 15 item 6, docs/grid.md §6). Every assisting department of a
-- case has its own sub-task (case_assists): from a dispatch naming it as 协办 (whistle_id NULL), or
-- from a whistle (吹哨) that a street or community official blew on the case, summoning several
-- departments with one joint deadline and a check-in (报到) limit (case_whistles). A sub-task is
-- issued (waiting for its department to sign / check in), signed (the department works on it),
-- replied (its answer waits for the lead's assessment), assessed (done), or cancelled (the
-- department no longer assists after a re-dispatch). An unsatisfied assessment makes it signed
-- again (send_backs counts them). sign_deadline is the sign limit or the whistle's check-in limit.
CREATE TABLE case_whistles (
    id               INTEGER PRIMARY KEY,
    case_id          INTEGER NOT NULL REFERENCES cases(id),
    region_code      TEXT    NOT NULL DEFAULT '',   -- the region of the official who blew it
    reason           TEXT    NOT NULL,
    deadline         INTEGER NOT NULL,              -- the joint deadline
    checkin_deadline INTEGER NOT NULL,              -- 报到 within this
    blown_by         INTEGER REFERENCES users(id),
    blown_at         INTEGER NOT NULL
);
CREATE INDEX case_whistles_case ON case_whistles(case_id);

CREATE TABLE case_assists (
    id             INTEGER PRIMARY KEY,
    case_id        INTEGER NOT NULL REFERENCES cases(id),
    department_id  INTEGER NOT NULL REFERENCES departments(id),
    whistle_id     INTEGER REFERENCES case_whistles(id),
    state          TEXT    NOT NULL CHECK (state IN ('issued', 'signed', 'replied', 'assessed', 'cancelled')),
    sign_deadline  INTEGER NOT NULL,
    deadline       INTEGER NOT NULL,
    signed_at      INTEGER,
    sign_late      INTEGER NOT NULL DEFAULT 0,
    reply          TEXT    NOT NULL DEFAULT '',
    replied_at     INTEGER,
    reply_late     INTEGER NOT NULL DEFAULT 0,
    rating         TEXT    CHECK (rating IN ('satisfied', 'basic', 'unsatisfied')),
    assess_note    TEXT    NOT NULL DEFAULT '',
    assessed_at    INTEGER,
    send_backs     INTEGER NOT NULL DEFAULT 0,
    overdue_told   INTEGER NOT NULL DEFAULT 0,  -- the sweeper told: 1 check-in / sign late, 2 deadline passed
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX case_assists_case ON case_assists(case_id);
CREATE INDEX case_assists_dept ON case_assists(department_id, state);
