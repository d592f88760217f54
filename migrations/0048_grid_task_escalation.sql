-- 0048: an overdue grid task climbs the ladder (issue 15; docs/grid.md §4). Told overdue at its due
-- time to its worker and the community (overdue_at), a task still open when as long again has
-- passed is escalated once to the officials of the street above, or to the dispatchers
-- (escalated_at: set in the transaction that tells them, so a second sweeper tells nobody twice).
ALTER TABLE grid_tasks ADD COLUMN escalated_at INTEGER;
