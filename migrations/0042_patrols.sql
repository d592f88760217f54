-- 0042: patrols (巡查, issue 15): a grid worker walks their grid; the phone sends position fixes
-- (batched, perhaps late, out of order, twice), findings become cases linked to the patrol.
-- Coverage of a grid per day and statistics per worker are computed from the fixes.

CREATE TABLE patrols (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    region_id    INTEGER REFERENCES regions(id),   -- the grid patrolled; NULL = none given
    started_at   INTEGER NOT NULL,
    ended_at     INTEGER,                          -- NULL while under way
    fixes        INTEGER NOT NULL DEFAULT 0,       -- kept with the fixes, for lists
    distance_m   REAL    NOT NULL DEFAULT 0,
    note         TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
-- One patrol under way per worker.
CREATE UNIQUE INDEX patrols_open ON patrols(user_id) WHERE ended_at IS NULL;
CREATE INDEX patrols_user ON patrols(user_id, started_at);
CREATE INDEX patrols_started ON patrols(started_at);

-- A fix is identified by its second: a resent fix is the same row.
CREATE TABLE patrol_fixes (
    patrol_id    INTEGER NOT NULL REFERENCES patrols(id) ON DELETE CASCADE,
    at           INTEGER NOT NULL,
    lat          REAL    NOT NULL,
    lon          REAL    NOT NULL,
    accuracy     REAL,
    PRIMARY KEY (patrol_id, at)
);
CREATE INDEX patrol_fixes_at ON patrol_fixes(at);

-- Findings: cases reported from a patrol (channel grid).
CREATE TABLE patrol_findings (
    case_id      INTEGER PRIMARY KEY REFERENCES cases(id),
    patrol_id    INTEGER NOT NULL REFERENCES patrols(id),
    created_at   INTEGER NOT NULL
);
CREATE INDEX patrol_findings_patrol ON patrol_findings(patrol_id);
