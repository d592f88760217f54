-- 0047: the assessment counts each department's sub-tasks (协办单, docs/assessment.md "协办单")
-- by the time they were issued, read from case_assists itself (no roll-up, as the 督办单). The
-- query walks the departments and, for each, this index's range of the period: no sort, and
-- with the facts counted in the index, no table row read (docs/benchmarks.md).
CREATE INDEX case_assists_issued ON case_assists(department_id, created_at, state, whistle_id,
    sign_late, reply_late, rating, send_backs, signed_at, replied_at, sign_deadline, deadline,
    case_id);
