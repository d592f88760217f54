-- 0040: grid workers (网格员, issue 15): the people who walk the grids. A grid worker is a user
-- (role grid_worker) with a post, the grids they serve, the categories they may handle, an
-- on-duty schedule and the last position their phone reported. A case may name the one person
-- it is assigned to (assignee_id): a verification, a check before closing, a dispatched task.

CREATE TABLE grid_workers (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id),
    post         TEXT    NOT NULL DEFAULT 'full_time'
                 CHECK (post IN ('full_time', 'part_time', 'grid_leader', 'community_secretary',
                                 'volunteer')),   -- 专职网格员 兼职网格员 网格长 社区书记 志愿者
    active       INTEGER NOT NULL DEFAULT 1,
    max_load     INTEGER NOT NULL DEFAULT 8,     -- open tasks beyond which dispatch passes them over
    last_lat     REAL,                           -- last position fix (WGS84), NULL before the first
    last_lon     REAL,
    last_fix_at  INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

-- The grids (or micro-grids) a worker serves; a grid may have several workers.
CREATE TABLE grid_worker_grids (
    user_id      INTEGER NOT NULL REFERENCES grid_workers(user_id) ON DELETE CASCADE,
    region_id    INTEGER NOT NULL REFERENCES regions(id),
    PRIMARY KEY (user_id, region_id)
);
CREATE INDEX grid_worker_grids_region ON grid_worker_grids(region_id);

-- Skills: the case categories (any level of the taxonomy; a parent covers its children) a
-- worker may handle. None means any.
CREATE TABLE grid_worker_skills (
    user_id      INTEGER NOT NULL REFERENCES grid_workers(user_id) ON DELETE CASCADE,
    category_id  INTEGER NOT NULL REFERENCES categories(id),
    PRIMARY KEY (user_id, category_id)
);

-- On-duty schedule: weekly shifts in local minutes of the day (Asia/Shanghai), weekday 1 =
-- Monday ... 7 = Sunday. A shift may not cross midnight (two rows instead).
CREATE TABLE grid_worker_shifts (
    user_id      INTEGER NOT NULL REFERENCES grid_workers(user_id) ON DELETE CASCADE,
    weekday      INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_min    INTEGER NOT NULL CHECK (start_min BETWEEN 0 AND 1439),
    end_min      INTEGER NOT NULL CHECK (end_min BETWEEN 1 AND 1440),
    PRIMARY KEY (user_id, weekday, start_min),
    CHECK (end_min > start_min)
);

ALTER TABLE cases ADD COLUMN assignee_id INTEGER REFERENCES users(id);
CREATE INDEX cases_assignee ON cases(assignee_id, state) WHERE assignee_id IS NOT NULL;
