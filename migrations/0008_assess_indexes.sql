-- 0008: the assessment (考核) reads a period of dispatches, evaluations and events. Without
-- these it scanned every case and every evaluation (seconds on a year of cases). The cases
-- index is partial: a case enters it when it is first dispatched, so intake does not pay for it.
CREATE INDEX cases_dispatched ON cases(dispatched_at) WHERE dispatched_at IS NOT NULL;
CREATE INDEX case_evaluations_at ON case_evaluations(at);
