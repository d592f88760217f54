-- 0012: what may be published, and throttled lookups (issue 11, items 10 and 11; docs/open311.md
-- "What is published", docs/security.md "Public lookup and Open311").

-- The citizen agreed that the report may be published through Open311 (captured at intake).
-- Cases before this migration had no such question: those that came through an Open311 client
-- were posted to a public reporting service and stay published, unless anonymous; every other
-- channel's cases were never asked and are not published.
ALTER TABLE cases ADD COLUMN public_consent INTEGER NOT NULL DEFAULT 0;
UPDATE cases SET public_consent = 1 WHERE channel = 'open311' AND anonymous = 0;
CREATE INDEX cases_public ON cases(created_at) WHERE public_consent = 1;

-- A note on the timeline written for the public (a comment staff marked public, a citizen's
-- update through an Open311 client). Other comments are internal. The updates posted through
-- Open311 before this migration were public on the client's side already.
ALTER TABLE case_events ADD COLUMN public_note INTEGER NOT NULL DEFAULT 0;
UPDATE case_events SET public_note = 1 WHERE id IN (SELECT event_id FROM open311_updates);

-- Failed public lookups (GET /api/v1/cases/lookup), per client address and per case number,
-- counted over lookup_window; rows older than the window are deleted as new ones come.
CREATE TABLE lookup_failures (
    id    INTEGER PRIMARY KEY,
    kind  TEXT    NOT NULL CHECK (kind IN ('ip', 'case')),
    key   TEXT    NOT NULL,
    at    INTEGER NOT NULL
);
CREATE INDEX lookup_failures_key ON lookup_failures(kind, key, at);
CREATE INDEX lookup_failures_at ON lookup_failures(at);
