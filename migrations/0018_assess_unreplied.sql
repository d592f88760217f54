-- 0018: the assessment's live term (dispatched cases not replied whose deadline is not before
-- the period's cutoff) for a period that ends in the past: walk the period's dispatches among
-- the unreplied cases only, with everything the query reads in the index (plain columns, so
-- SQLite 3.40 answers from the index alone). 0016's index by deadline serves periods that end
-- now. replied_at is in it (always NULL there) only so that SQLite sees it needs no table row.
-- Intake does not pay for it: a new case is not dispatched.
CREATE INDEX cases_unreplied_dispatched
    ON cases(dispatched_at, resolve_deadline, lead_department_id, region_id, state, region_code, replied_at)
    WHERE replied_at IS NULL AND dispatched_at IS NOT NULL;
