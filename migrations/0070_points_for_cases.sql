-- Points a resident earns by a case (issue 18 item 6): 有效举报 when their report is closed after
-- handling, 核实确认 when a grid worker confirms it on site. The case an entry was earned by is
-- kept, and each rule pays once per resident and case: a case reopened and closed again, or a
-- second verification, earns nothing more (the unique index; the award is INSERT ... ON
-- CONFLICT DO NOTHING).
ALTER TABLE points_ledger ADD COLUMN case_id INTEGER REFERENCES cases(id);
CREATE UNIQUE INDEX points_ledger_case ON points_ledger(user_id, rule_id, case_id)
    WHERE case_id IS NOT NULL;
