-- Issue 12: a region-bound actor's list (a street's dispatcher, a grid worker) in a state, or
-- the dispatcher's queues of new and returned cases, behind a storm of new cases elsewhere in
-- the city. The page walked every newer case of the city in that state (cases_state) and tested
-- its region: 181 ms for the queue of new cases of one street, with 236,271 new cases in
-- another, on 1,000,000 cases. Each state of each of the region's codes in created order: the
-- page is collected past a bound that keeps it exact (src/case/case_query.c, scope_plan).
CREATE INDEX cases_state_region ON cases(state, region_code, created_at);
