-- Issue 12 (and docs/warning.md §1): a repeat warning groups one chain of repeat complaints by
-- the chain's oldest case. That was the oldest of the case's own links, which are the newest
-- CASE_REPEAT_MAX earlier cases: from a caller's eighth call on, the oldest moved with every
-- call, and every call raised a new warning and told every supervisor again (100,959 of
-- 109,151 repeat warnings held one case after the intake benchmark's runs). A case now keeps
-- the root of its chain, inherited from the cases it links to, so a chain keeps one root.
-- NULL: no chain (a case older than this column is its own root).
ALTER TABLE cases ADD COLUMN repeat_root INTEGER;
