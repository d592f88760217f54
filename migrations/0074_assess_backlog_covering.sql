-- Issue 12: the assessment of a year at 10,000,000 cases. Two live terms read the table row of
-- every case their index range holds (sqlite3 shell, a year ending 2026-12-01 on the 10M
-- database of docs/benchmarks.md): the backlog's cases replied after the period's end, 32,189
-- rows, 82 ms; the not-yet-due term by deadline, 36,814 rows, 162 ms. Both indexes now hold
-- every column their statements read (src/assess/assess.c), so the counts come from the index
-- alone (18 and 30 ms). Partial: no entry for a case that is not dispatched, so intake is
-- untouched; a reply or dispatch writes a wider entry.
DROP INDEX IF EXISTS cases_unreplied_deadline;
CREATE INDEX cases_unreplied_deadline ON cases((coalesce(resolve_deadline, 253402300799)),
    dispatched_at, lead_department_id, region_id, state, region_code, resolve_deadline, replied_at)
    WHERE replied_at IS NULL AND dispatched_at IS NOT NULL;
DROP INDEX IF EXISTS cases_replied_dispatched;
CREATE INDEX cases_replied_dispatched ON cases(replied_at, dispatched_at, lead_department_id, state,
    resolve_deadline, region_id, region_code)
    WHERE replied_at IS NOT NULL;
