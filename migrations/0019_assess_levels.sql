-- 0019: the daily roll-ups of 0016 per region level. 0016 kept each row per located region
-- (a grid, mostly) and summed over all (wide): a region-bound supervisor's view or a grouping
-- by street read every grid row of the period (days x departments x grids: on a year of
-- 1,000,000 cases nearly one row per case). Now each row is there once per level: lvl 0 all
-- regions summed, 1..4 the located region's ancestor at district, street, community, grid
-- (or the located region itself when it is above that level), so a view reads the rows of the
-- coarsest level that answers it. Region codes extend their parent's with a fixed length per
-- level (org_region.c), so "code starts with the scope's code" gives the same cases on the
-- ancestor's code as on the case's own. The table is computed again (built = 0: the server
-- does it at start, or gridloop assess rebuild).
DROP TABLE assess_daily;
CREATE TABLE assess_daily (
    day          INTEGER NOT NULL,
    lvl          INTEGER NOT NULL,
    dept_id      INTEGER NOT NULL,
    region_id    INTEGER NOT NULL,
    region_code  TEXT    NOT NULL,
    prev_at      INTEGER NOT NULL,
    next_at      INTEGER NOT NULL,
    dispatched   INTEGER NOT NULL DEFAULT 0,
    replied      INTEGER NOT NULL DEFAULT 0,
    closed       INTEGER NOT NULL DEFAULT 0,
    unreplied    INTEGER NOT NULL DEFAULT 0,
    on_time      INTEGER NOT NULL DEFAULT 0,
    overdue      INTEGER NOT NULL DEFAULT 0,
    rectified    INTEGER NOT NULL DEFAULT 0,
    assigned     INTEGER NOT NULL DEFAULT 0,
    returns      INTEGER NOT NULL DEFAULT 0,
    evaluations  INTEGER NOT NULL DEFAULT 0,
    contacted    INTEGER NOT NULL DEFAULT 0,
    solved       INTEGER NOT NULL DEFAULT 0,
    satisfied    INTEGER NOT NULL DEFAULT 0,
    basically    INTEGER NOT NULL DEFAULT 0,
    unsatisfied  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (lvl, day, dept_id, region_id, region_code, prev_at, next_at)
);
UPDATE assess_rollup_state SET built = 0;
