-- 0015: a state's cases by deadline (sort=deadline with one state, the handlers' working order).
-- Closed cases keep their deadlines, so walking cases_deadline_key for the few open ones of a
-- state reads most of a large table first; cases_state gives the state's cases in date order,
-- to be sorted whole (120,000 processing cases on 10,000,000: docs/benchmarks.md, "Ten million
-- cases"). The expression is the query's (src/case/case_query.c, sort_key).
CREATE INDEX cases_state_deadline ON cases(state, (coalesce(resolve_deadline, 253402300799)));
