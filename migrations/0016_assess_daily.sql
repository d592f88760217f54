-- 0016: daily roll-ups of the assessment (考核), kept by the case module in the transaction of
-- every case write (src/case/case_rollup.c) and read by src/assess for the whole local days of
-- a period (docs/assessment.md, "How the figures are computed"). One row per local day (UTC+8)
-- of the fact, department, located region and, for evaluations that a later round of the same
-- case outranks, the times of the nearest outranking evaluations before and after it (0 = none;
-- "latest round" decides with them whether the row counts in a period). wide = 1 rows carry
-- the same counts summed over every region: by department without a region scope they are
-- all there is to read (a year is days x departments rows, not days x departments x grids).
CREATE TABLE assess_daily (
    day          INTEGER NOT NULL,
    wide         INTEGER NOT NULL,
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
    PRIMARY KEY (wide, day, dept_id, region_id, region_code, prev_at, next_at)
);
-- built = 0 until the table has been computed from the raw facts (gridloop assess rebuild, or
-- the server at start): until then the assessment reads the raw facts. A database written
-- around the case module (a bulk loader) sets it back to 0.
CREATE TABLE assess_rollup_state (
    built        INTEGER NOT NULL
);
INSERT INTO assess_rollup_state(built) VALUES (0);
-- The one live term: dispatched cases not replied yet whose deadline may still pass ("due"
-- depends on the period's end and on now). Replied cases leave the index.
CREATE INDEX cases_unreplied_deadline ON cases((coalesce(resolve_deadline, 253402300799)))
    WHERE replied_at IS NULL AND dispatched_at IS NOT NULL;
