-- Bench loader for the assessment's 协办单 (docs/benchmarks.md, "协办单 in the assessment"):
-- 300,000 dispatch sub-tasks over the year before 2025-12-01 (one every 105 s), spread over the
-- demo's 30 departments and the first 50,000 cases (bench/load_cases.py DB 50000), then only the
-- last 30 days' left open (issued, signed or replied), the rest answered and rated.
--   sqlite3 DB < bench/load_assists.sql
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
INSERT INTO case_assists(case_id, department_id, whistle_id, state, sign_deadline, deadline,
    signed_at, sign_late, reply, replied_at, reply_late, rating, send_backs, created_at, updated_at)
SELECT 1 + abs(random()) % 50000, 1 + abs(random()) % 30, NULL,
    CASE WHEN i % 10 < 7 THEN 'assessed' WHEN i % 10 = 7 THEN 'issued'
         WHEN i % 10 = 8 THEN 'signed' ELSE 'replied' END,
    t + 7200, t + 259200,
    CASE WHEN i % 10 = 7 THEN NULL ELSE t + 3600 END, i % 13 = 0,
    '', CASE WHEN i % 10 < 7 OR i % 10 = 9 THEN t + 86400 END, i % 11 = 0,
    CASE WHEN i % 10 < 7 THEN (CASE i % 3 WHEN 0 THEN 'satisfied' WHEN 1 THEN 'basic'
                               ELSE 'unsatisfied' END) END,
    i % 17 = 0, t, t
FROM (SELECT i, 1764547200 - 31536000 + i * 105 AS t FROM n);
UPDATE case_assists SET state = 'assessed', signed_at = coalesce(signed_at, created_at + 3600),
    replied_at = coalesce(replied_at, created_at + 86400), rating = coalesce(rating, 'satisfied')
WHERE created_at < 1764547200 - 30 * 86400 AND state IN ('issued', 'signed', 'replied');
ANALYZE;
