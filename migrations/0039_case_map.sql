-- 0039: the cases of the maps (issue 14).
-- The dashboard's choropleth counts a window of report times per region (case_region_counts).
-- Region first: with the planner's statistics SQLite skips through the regions and takes each
-- one's window as a range of this covering index, already in GROUP BY order (a created_at-first
-- index needs a sort of every case in the window: 90 days of 1,000,000 cases, 110-180 ms
-- against 50-80 ms; a year, 820 ms against 170-310 ms: docs/benchmarks.md, "Maps").
CREATE INDEX cases_region_place ON cases(region_id, created_at, state, overdue, region_code);
-- The case page's nearby cases and a map's box ask for a latitude range (case_query.c,
-- place_where).
CREATE INDEX cases_place ON cases(lat, lon) WHERE lat IS NOT NULL;
-- The open cases near a point (the case page: open=true&near=...): the few open ones of a
-- latitude band rather than all of them (the band of a 500 m circle across the demo district,
-- 1,000,000 cases: 300 ms through cases_place, 13 ms through this). The condition is the text
-- case_query.c writes for open=true.
CREATE INDEX cases_place_open ON cases(lat, lon) WHERE state NOT IN ('closed', 'cancelled', 'merged');
