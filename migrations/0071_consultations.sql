-- Issue 18 item 5: public consultations (公开征求意见) on a draft. The draft is a policy of the
-- policies table still in 'draft' (policy_id set) or a document given as title and text (a
-- community regulation, say; policy_id NULL). Either way the title and text consulted on are
-- kept here as they were put out, so a later edit of the policy does not change what residents
-- commented on. Scope: the whole city (region_id NULL) or a street or community, whose residents
-- (the definition of src/particip) may comment while it is open. After the close, officials
-- answer every comment (adopted, partly adopted, not adopted, always with a reason) and publish
-- a summary of what was adopted and why; publishing with a comment unanswered is refused.
CREATE TABLE consultations (
    id           INTEGER PRIMARY KEY,
    policy_id    INTEGER REFERENCES policies(id),          -- NULL: a draft given as title + text
    title        TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    region_id    INTEGER REFERENCES regions(id),           -- NULL: the whole city
    opens_at     INTEGER NOT NULL,
    closes_at    INTEGER NOT NULL,
    created_by   INTEGER NOT NULL REFERENCES users(id),
    created_at   INTEGER NOT NULL,
    summary      TEXT    NOT NULL DEFAULT '',              -- what was adopted and why
    published_at INTEGER NOT NULL DEFAULT 0,               -- 0 until the summary is published
    published_by INTEGER REFERENCES users(id),
    CHECK (closes_at > opens_at),
    CHECK (published_at = 0 OR summary <> '')
);
CREATE INDEX consultations_region ON consultations(region_id, id);

-- A resident's comment and the officials' answer to it. A comment is answered when 'answer' is
-- set, and an answer always carries its reason (the CHECK), so the published feedback can never
-- say "not adopted" without saying why.
CREATE TABLE consultation_comments (
    id              INTEGER PRIMARY KEY,
    consultation_id INTEGER NOT NULL REFERENCES consultations(id),
    user_id         INTEGER NOT NULL REFERENCES users(id),
    body            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    answer          TEXT    NOT NULL DEFAULT ''
                    CHECK (answer IN ('', 'adopted', 'partly', 'not_adopted')),
    reason          TEXT    NOT NULL DEFAULT '',
    answered_by     INTEGER REFERENCES users(id),
    answered_at     INTEGER NOT NULL DEFAULT 0,
    CHECK (answer = '' OR reason <> '')
);
CREATE INDEX consultation_comments_of ON consultation_comments(consultation_id, id);
CREATE INDEX consultation_comments_user ON consultation_comments(user_id, consultation_id);
