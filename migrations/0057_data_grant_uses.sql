-- Issue 17: every use of a data grant (its rows, an aggregate, an export), readable. The audit
-- entry of a use carries only the digest of its text ({"grant":…,"query":…,"rows":…}); this
-- table keeps the text itself, so the query and the row count can be read and proven against
-- the hash chain (sha256(detail) = the entry's after_digest).
CREATE TABLE data_grant_uses (
    id          INTEGER PRIMARY KEY,
    grant_id    INTEGER NOT NULL REFERENCES data_grants(id),
    at          INTEGER NOT NULL,
    user_id     INTEGER REFERENCES users(id),
    action      TEXT    NOT NULL,                    -- data_grant.rows | .aggregate | .export
    row_count   INTEGER NOT NULL,
    epsilon     REAL    NOT NULL DEFAULT 0,          -- spent by this use
    detail      TEXT    NOT NULL                     -- the audit entry's after text
);
CREATE INDEX data_grant_uses_grant ON data_grant_uses(grant_id, id);
