-- Issue 18 item 4: the policy calculator and 免申即享. A policy's rule is kept as the canonical
-- JSON text the API wrote after parsing and checking it (src/api/api_policy.c); the domain
-- (src/policy) evaluates its parsed form and never reads JSON.
CREATE TABLE policies (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    summary      TEXT    NOT NULL DEFAULT '',
    subject      TEXT    NOT NULL CHECK (subject IN ('person', 'firm')),
    rule         TEXT    NOT NULL,
    amount       INTEGER NOT NULL CHECK (amount >= 0),                 -- yuan per period
    period       TEXT    NOT NULL CHECK (period IN ('once', 'month', 'year')),
    status       TEXT    NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'withdrawn')),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    published_at INTEGER
);
CREATE INDEX policies_status ON policies(status, subject);

-- The profiles the engine reads: a person's or a firm's facts, owned by a citizen's account
-- (user_id) or kept by officials for someone without one (user_id NULL). Part A's citizen
-- profile (issue 18 item 1) is a separate table; until the two are joined this one holds what
-- the calculator needs. Dates are YYYYMMDD integers, 0 = unknown.
CREATE TABLE policy_profiles (
    id               INTEGER PRIMARY KEY,
    subject          TEXT    NOT NULL CHECK (subject IN ('person', 'firm')),
    user_id          INTEGER REFERENCES users(id),
    name             TEXT    NOT NULL,
    birth_ymd        INTEGER NOT NULL DEFAULT 0,
    hukou_region_id  INTEGER REFERENCES regions(id),
    disability       INTEGER NOT NULL DEFAULT 0 CHECK (disability BETWEEN 0 AND 4),
    income_band      INTEGER NOT NULL DEFAULT 0 CHECK (income_band BETWEEN 0 AND 10),
    children         INTEGER NOT NULL DEFAULT 0 CHECK (children >= 0),
    industry         TEXT    NOT NULL DEFAULT '',
    size             INTEGER NOT NULL DEFAULT -1 CHECK (size BETWEEN -1 AND 3),
    employees        INTEGER NOT NULL DEFAULT 0 CHECK (employees >= 0),
    tax              INTEGER NOT NULL DEFAULT 0 CHECK (tax >= 0),
    registered_ymd   INTEGER NOT NULL DEFAULT 0,
    updated_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX policy_profiles_user ON policy_profiles(user_id, subject);
CREATE INDEX policy_profiles_subject ON policy_profiles(subject, id);

-- 免申即享: one offer per policy and profile (the UNIQUE pair is what makes "newly eligible"
-- exact under repeated matching), with the notification that carried it.
CREATE TABLE policy_offers (
    id              INTEGER PRIMARY KEY,
    policy_id       INTEGER NOT NULL REFERENCES policies(id),
    profile_id      INTEGER NOT NULL REFERENCES policy_profiles(id),
    amount          INTEGER NOT NULL,
    notification_id INTEGER REFERENCES notifications(id),
    created_at      INTEGER NOT NULL,
    UNIQUE (policy_id, profile_id)
);
CREATE INDEX policy_offers_profile ON policy_offers(profile_id, id);
