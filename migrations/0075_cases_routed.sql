-- Issue 12: a department's list and a handler's scope at 10,000,000 cases with a backlog of
-- undispatched ones. Such a page walks the cases newest first and tests each for the
-- department; 365,864 undispatched cases at the head of that order (the intake bench's, all
-- created the same day) cost 75 ms before a department's first match and 0.6 s before a
-- handler's. The dispatched cases alone, in created order: only a dispatch writes an entry
-- (intake writes none). src/case/case_query.c (routed_only) says when a list may walk it.
CREATE INDEX cases_routed ON cases(created_at) WHERE lead_department_id IS NOT NULL;
-- The one way a department is given a case with no lead department is a whistle (吹哨) on an
-- undispatched case: the lists look such cases up by department here before walking
-- cases_routed.
CREATE INDEX case_assists_whistled ON case_assists(department_id, case_id) WHERE whistle_id IS NOT NULL;
