-- 0003: indexes for case lists and work queues (src/case/case_query.c). Each list is sorted
-- by a key and the id; these let the common filters read their rows in that order and stop
-- after one page instead of sorting every match.

-- A department's queues: lead department and state, newest first; several states (to_handle)
-- walk the department's cases newest first.
DROP INDEX IF EXISTS cases_lead;
CREATE INDEX cases_lead_state ON cases(lead_department_id, state, created_at);
CREATE INDEX cases_lead_created ON cases(lead_department_id, created_at);

-- Department filter and handler scope (lead or assisting) without touching the table.
DROP INDEX IF EXISTS case_departments_dept;
CREATE INDEX case_departments_dept ON case_departments(department_id, case_id);

CREATE INDEX cases_category ON cases(category_id, created_at);
CREATE INDEX cases_region_created ON cases(region_code, created_at);
DROP INDEX IF EXISTS cases_region;
CREATE INDEX cases_updated ON cases(updated_at);

-- The deadline sort puts cases without a deadline last; the expression is the query's.
CREATE INDEX cases_deadline_key ON cases((coalesce(resolve_deadline, 253402300799)));

-- Small sets that queues ask for often.
CREATE INDEX cases_overdue ON cases(created_at) WHERE overdue = 1;
CREATE INDEX cases_pending ON cases(created_at) WHERE pending_request IS NOT NULL;
