-- 0044: the ladder (二级派单 and 逐级上报, issue 15). A case sits at one level of the region
-- tree at a time (district, street, community or grid); the level holding it may handle it,
-- forward it down to a child region or escalate it to the parent region with a reason. Each
-- stay at a level is a step with its own clock (ladder_limits, natural hours per level).
-- A case with no step sits where it entered (docs/grid.md §5): a grid worker's report
-- (channel grid) at its grid or community, anything else at the district.

CREATE TABLE ladder_limits (
    level       TEXT    PRIMARY KEY CHECK (level IN ('district', 'street', 'community', 'grid')),
    hours       INTEGER NOT NULL CHECK (hours BETWEEN 1 AND 8760),
    updated_at  INTEGER NOT NULL
);
-- Defaults: a district or street decides within a working day's span, a community within two
-- days, a grid (small matters on the spot) within a day.
INSERT INTO ladder_limits(level, hours, updated_at) VALUES
    ('district', 8, 0), ('street', 24, 0), ('community', 48, 0), ('grid', 24, 0);

CREATE TABLE case_ladder_steps (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    seq         INTEGER NOT NULL,                 -- 1, 2, ... per case
    region_id   INTEGER NOT NULL REFERENCES regions(id),
    level       TEXT    NOT NULL CHECK (level IN ('district', 'street', 'community', 'grid')),
    tier        INTEGER NOT NULL CHECK (tier BETWEEN 1 AND 4), -- grid 1 ... district 4
    came_by     TEXT    NOT NULL CHECK (came_by IN ('entry', 'forward', 'escalate')),
    reason      TEXT    NOT NULL DEFAULT '',      -- the escalation's reason, the forward's note
    actor_id    INTEGER REFERENCES users(id),     -- who sent it here (NULL for the entry)
    started_at  INTEGER NOT NULL,
    due_at      INTEGER NOT NULL,                 -- started_at + the level's limit
    handling_at INTEGER,                          -- the level said it handles the case itself
    handler_id  INTEGER REFERENCES users(id),
    ended_at    INTEGER,                          -- NULL while the case sits here
    outcome     TEXT    CHECK (outcome IN ('forwarded', 'escalated')),
    UNIQUE (case_id, seq)
);
CREATE INDEX case_ladder_open ON case_ladder_steps(region_id) WHERE ended_at IS NULL;
