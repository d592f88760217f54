-- 0032: more KPIs in the assessment (docs/assessment.md): per day of dispatch, cases signed and
-- signed within the sign deadline (及时签收率), rectified cases replied again (整改率), cases
-- sent back after a reply and cases replied at least once (返工率), cases with an approved
-- extension (延期率); per day of the event, cases answered on the call (直接答复率). The roll-ups
-- are computed again (built = 0: the server does it at start, or gridloop assess rebuild).
ALTER TABLE assess_daily ADD COLUMN signed_cases INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assess_daily ADD COLUMN signed_on_time INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assess_daily ADD COLUMN rectify_done INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assess_daily ADD COLUMN reworked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assess_daily ADD COLUMN replied_ever INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assess_daily ADD COLUMN extended INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assess_daily ADD COLUMN answered INTEGER NOT NULL DEFAULT 0;
UPDATE assess_rollup_state SET built = 0;
-- The backlog at a period's end that lies in the past: cases dispatched before it and replied
-- at or after it (the index holds both times, so only those cases are read from the table).
CREATE INDEX cases_replied_dispatched ON cases(replied_at, dispatched_at) WHERE replied_at IS NOT NULL;
-- The backlog at a period's end (open cases: dispatched, not replied, not merged or cancelled)
-- by department, in department order so that counting needs no sort; covering.
CREATE INDEX cases_backlog ON cases(lead_department_id, dispatched_at, resolve_deadline, region_code, state, replied_at)
    WHERE replied_at IS NULL AND dispatched_at IS NOT NULL AND state NOT IN ('merged', 'cancelled');
