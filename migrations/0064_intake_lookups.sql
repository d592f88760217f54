-- 0064: two lookups every intake makes, as exact ranges (measured with bench/warn_intake.sh's
-- database: 282,000 cases in the last 31 days over 96 grids; docs/benchmarks.md).
-- The repeat-complaint lookup (docs/warning.md §1: the same grid and category in the last 30
-- days, newest first, at most CASE_REPEAT_SCAN): through cases_region_place it read the table
-- row of every case of the grid's month to test its category; intake with a category fell from
-- ~980 to ~80-140 cases/s.
CREATE INDEX cases_region_category ON cases(region_id, category_id, created_at);
-- A spike open over the case's street (risk grades, §3) was a scan of every warning: open
-- repeat-complaint and risk warnings (one per chain, one per high-risk case) number thousands
-- on a busy day, and intake fell to ~230 cases/s at 8,800 of them (~530 with this index).
CREATE INDEX warnings_kind_status ON warnings(kind, status, region_id);
