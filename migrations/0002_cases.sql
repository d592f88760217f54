-- 0002: cases, their event timeline, departments on a case, callback facts, notifications.
-- The timeline (case_events) is the record; the cases row is a materialised view of it,
-- updated in the same transaction as each event, for queries.

-- Per-category rectification limit in natural hours (NULL: 24, or 72 for complex classes).
ALTER TABLE categories ADD COLUMN rectify_hours INTEGER CHECK (rectify_hours IS NULL OR rectify_hours > 0);

CREATE TABLE case_numbers (
    day   TEXT PRIMARY KEY,                 -- YYYYMMDD, local date
    last  INTEGER NOT NULL
);

CREATE TABLE cases (
    id                  INTEGER PRIMARY KEY,
    number              TEXT    NOT NULL UNIQUE,      -- YYYYMMDD-NNNNNN
    check_code          TEXT    NOT NULL,             -- given to the citizen with the number
    channel             TEXT    NOT NULL CHECK (channel IN ('hotline', 'web', 'app', 'wechat', 'grid', 'sensor', 'open311', 'other')),
    title               TEXT    NOT NULL,
    description         TEXT    NOT NULL,
    category_id         INTEGER REFERENCES categories(id),
    urgency             TEXT    NOT NULL CHECK (urgency IN ('normal', 'urgent', 'emergency')),
    lat                 REAL,
    lon                 REAL,
    address             TEXT    NOT NULL DEFAULT '',
    region_id           INTEGER REFERENCES regions(id),
    region_code         TEXT,                         -- copied for subtree filters by prefix
    citizen_name        TEXT    NOT NULL DEFAULT '',
    citizen_phone_enc   TEXT    NOT NULL DEFAULT '',  -- secretbox(nonce || ciphertext), base64
    citizen_phone_mask  TEXT    NOT NULL DEFAULT '',  -- 138****8000
    citizen_phone_hash  TEXT    NOT NULL DEFAULT '',  -- keyed hash: same caller, without the number
    anonymous           INTEGER NOT NULL DEFAULT 0,
    created_by          INTEGER REFERENCES users(id),
    state               TEXT    NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    lead_department_id  INTEGER REFERENCES departments(id),
    master_id           INTEGER REFERENCES cases(id), -- set when merged into another case
    sla_unit            TEXT    NOT NULL DEFAULT 'work_hours',
    dispatched_at       INTEGER,
    signed_at           INTEGER,
    replied_at          INTEGER,
    closed_at           INTEGER,
    sign_deadline       INTEGER,
    reply_deadline      INTEGER,
    resolve_deadline    INTEGER,
    sign_late           INTEGER NOT NULL DEFAULT 0,
    overdue             INTEGER NOT NULL DEFAULT 0,
    overdue_level       INTEGER NOT NULL DEFAULT 0,   -- working days overdue already urged for
    urge_count          INTEGER NOT NULL DEFAULT 0,
    return_count        INTEGER NOT NULL DEFAULT 0,
    rectify_round       INTEGER NOT NULL DEFAULT 0,
    escalated           INTEGER NOT NULL DEFAULT 0,
    pending_request     TEXT,                         -- 'extend' or 'hang' awaiting a supervisor
    pending_until       INTEGER,                      -- requested new deadline (extend)
    paused_at           INTEGER,                      -- 挂账: the clock is stopped
    paused_remaining    INTEGER,                      -- seconds of the limit left when paused
    reply_solved        INTEGER,
    reply_contacted     INTEGER,
    satisfaction        TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX cases_state ON cases(state, created_at);
CREATE INDEX cases_lead ON cases(lead_department_id, state);
CREATE INDEX cases_region ON cases(region_code);
CREATE INDEX cases_created ON cases(created_at);
CREATE INDEX cases_deadline ON cases(resolve_deadline) WHERE closed_at IS NULL;
CREATE INDEX cases_master ON cases(master_id);
CREATE INDEX cases_created_by ON cases(created_by);

CREATE TABLE case_departments (
    case_id        INTEGER NOT NULL REFERENCES cases(id),
    department_id  INTEGER NOT NULL REFERENCES departments(id),
    role           TEXT    NOT NULL CHECK (role IN ('lead', 'assist')),
    PRIMARY KEY (case_id, department_id)
);
CREATE INDEX case_departments_dept ON case_departments(department_id);

CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    at          INTEGER NOT NULL,
    actor_id    INTEGER REFERENCES users(id),         -- NULL: the system (sweeper, propagation)
    actor_name  TEXT    NOT NULL,
    actor_role  TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    from_state  TEXT,
    to_state    TEXT    NOT NULL,
    department_id INTEGER REFERENCES departments(id), -- the department the action concerns
    note        TEXT    NOT NULL DEFAULT '',
    payload     TEXT    NOT NULL DEFAULT '{}'         -- structured details, JSON object
);
CREATE INDEX case_events_case ON case_events(case_id, id);
CREATE INDEX case_events_action ON case_events(action, at);

-- The raw facts of every evaluation (回访), kept per case and round, never only the rates.
CREATE TABLE case_evaluations (
    id             INTEGER PRIMARY KEY,
    case_id        INTEGER NOT NULL REFERENCES cases(id),
    round          INTEGER NOT NULL,
    department_id  INTEGER REFERENCES departments(id),
    region_code    TEXT,
    at             INTEGER NOT NULL,
    contacted      INTEGER NOT NULL,
    solved         INTEGER NOT NULL,
    satisfaction   TEXT    NOT NULL CHECK (satisfaction IN ('satisfied', 'basically_satisfied', 'unsatisfied')),
    valid          INTEGER NOT NULL DEFAULT 1,        -- 有效回访: excluded when 0
    by_citizen     INTEGER NOT NULL DEFAULT 0,
    comment        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX case_evaluations_dept ON case_evaluations(department_id, at);
CREATE INDEX case_evaluations_case ON case_evaluations(case_id);

-- Outbox: written in the same transaction as the event that causes it, delivered later.
CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY,
    case_id         INTEGER REFERENCES cases(id),
    event_id        INTEGER REFERENCES case_events(id),
    created_at      INTEGER NOT NULL,
    recipient_kind  TEXT    NOT NULL CHECK (recipient_kind IN ('department', 'user', 'citizen', 'supervisors', 'dispatchers')),
    recipient_id    INTEGER,
    kind            TEXT    NOT NULL,                 -- dispatched, overdue, replied, ...
    message         TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    sent_at         INTEGER
);
CREATE INDEX notifications_pending ON notifications(status, next_attempt_at);

-- Full-text search over title and description; trigram works for Chinese without a segmenter
-- (queries shorter than three characters are answered with instr() on the cases table).
-- PostgreSQL: pg_trgm GIN indexes serve LIKE/ILIKE '%...%' from three characters on; they
-- need a database whose LC_CTYPE keeps CJK characters (C.UTF-8, not C: docs/deployment.md).
-- @postgresql CREATE EXTENSION IF NOT EXISTS pg_trgm;
-- @postgresql CREATE INDEX cases_title_trgm ON cases USING gin (title gin_trgm_ops);
-- @postgresql CREATE INDEX cases_description_trgm ON cases USING gin (description gin_trgm_ops);
-- @sqlite
CREATE VIRTUAL TABLE cases_fts USING fts5(title, description, content='cases', content_rowid='id', tokenize='trigram');
CREATE TRIGGER cases_fts_ai AFTER INSERT ON cases BEGIN
    INSERT INTO cases_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
END;
CREATE TRIGGER cases_fts_au AFTER UPDATE OF title, description ON cases BEGIN
    INSERT INTO cases_fts(cases_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
    INSERT INTO cases_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
END;
-- @end
