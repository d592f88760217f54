-- Issue 18 item 5: residents' proposals scoped to a street or community, moderation (hide with
-- a reason, the author's appeal), and votes on them with open and close times, a quorum and an
-- optional secret ballot. One vote per resident is the UNIQUE (poll_id, user_id) of poll_voters,
-- so the database refuses a second vote however the requests race.
CREATE TABLE proposals (
    id          INTEGER PRIMARY KEY,
    region_id   INTEGER NOT NULL REFERENCES regions(id),  -- a street or a community
    title       TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    author_id   INTEGER NOT NULL REFERENCES users(id),    -- the resident, or the official who entered it
    status      TEXT    NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'voting', 'adopted', 'rejected', 'no_quorum')),
    hidden      INTEGER NOT NULL DEFAULT 0,
    hide_reason TEXT    NOT NULL DEFAULT '',
    hidden_by   INTEGER REFERENCES users(id),
    appeal      TEXT    NOT NULL DEFAULT '',               -- the author's appeal against hiding
    -- An adopted proposal is tracked as a project to completion (forward only).
    project_status TEXT NOT NULL DEFAULT ''
                CHECK (project_status IN ('', 'planned', 'in_progress', 'done')),
    project_note   TEXT NOT NULL DEFAULT '',
    project_at     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    CHECK (hidden = 0 OR hide_reason <> ''),
    CHECK (project_status = '' OR status = 'adopted')
);
CREATE INDEX proposals_region ON proposals(region_id, id);

CREATE TABLE polls (
    id           INTEGER PRIMARY KEY,
    proposal_id  INTEGER NOT NULL UNIQUE REFERENCES proposals(id),
    opens_at     INTEGER NOT NULL,
    closes_at    INTEGER NOT NULL,
    quorum_pct   INTEGER NOT NULL CHECK (quorum_pct BETWEEN 0 AND 100),
    secret       INTEGER NOT NULL DEFAULT 0,
    created_by   INTEGER NOT NULL REFERENCES users(id),
    created_at   INTEGER NOT NULL,
    published_at INTEGER NOT NULL DEFAULT 0,              -- 0 until the results are published
    eligible     INTEGER NOT NULL DEFAULT 0,              -- residents of the scope at publication
    outcome      TEXT    NOT NULL DEFAULT ''
                 CHECK (outcome IN ('', 'adopted', 'rejected', 'no_quorum')),
    CHECK (closes_at > opens_at)
);

-- 'Has voted': one row per resident and poll. On a secret ballot the choice is NULL here and
-- the vote exists only as +1 in poll_tally, written in the same transaction: no row anywhere
-- holds a secret choice next to a voter, and the tally has no order or time to match against.
CREATE TABLE poll_voters (
    poll_id  INTEGER NOT NULL REFERENCES polls(id),
    user_id  INTEGER NOT NULL REFERENCES users(id),
    choice   TEXT    CHECK (choice IS NULL OR choice IN ('yes', 'no', 'abstain')),
    at       INTEGER NOT NULL,
    UNIQUE (poll_id, user_id)
);
CREATE INDEX poll_voters_user ON poll_voters(user_id);

CREATE TABLE poll_tally (
    poll_id  INTEGER NOT NULL REFERENCES polls(id),
    choice   TEXT    NOT NULL CHECK (choice IN ('yes', 'no', 'abstain')),
    n        INTEGER NOT NULL DEFAULT 0 CHECK (n >= 0),
    PRIMARY KEY (poll_id, choice)
);
