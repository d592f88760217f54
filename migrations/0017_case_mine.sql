-- 0017: one's own cases newest first (queue=mine, mine=true) from an index in that order. A
-- citizen has a handful of cases, but without per-value statistics (SQLite's ANALYZE keeps an
-- average per key, and staff accounts create millions) the planner walked every case by date
-- looking for them: seconds on 10,000,000 cases (docs/benchmarks.md, "Ten million cases").
-- With created_at in the index the equality also gives the order, and a page stops early.
DROP INDEX IF EXISTS cases_created_by;
CREATE INDEX cases_created_by ON cases(created_by, created_at);
