-- 0063: repeat complaints in the assessment (issue 16 item 1; docs/assessment.md): per day of
-- dispatch, the cases linked at intake to an earlier complaint (case_repeats: the same caller,
-- place or subject within 30 days), 重复诉求件 and 重复诉求率. The roll-ups are computed again
-- (built = 0: the server does it at start, or gridloop assess rebuild).
ALTER TABLE assess_daily ADD COLUMN repeated INTEGER NOT NULL DEFAULT 0;
UPDATE assess_rollup_state SET built = 0;
