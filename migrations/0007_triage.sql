-- 0007: triage. The routing table (派单目录) admins edit, the labelled examples dispatchers
-- give by (re)classifying cases, what triage suggested at intake (so a correction can be told
-- from a confirmation and the dispatcher queue can show the suggestion), and a log of trainings.

-- A rule sends cases of a category (and its subcategories) in a region subtree (NULL = any
-- region) to a department. The most specific rule wins: higher priority first, then the
-- deeper category, then the deeper region, then the newest. No rule: the category's department.
CREATE TABLE routing_rules (
    id            INTEGER PRIMARY KEY,
    category_id   INTEGER NOT NULL REFERENCES categories(id),
    region_id     INTEGER REFERENCES regions(id),
    department_id INTEGER NOT NULL REFERENCES departments(id),
    priority      INTEGER NOT NULL DEFAULT 0,
    note          TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX routing_rules_category ON routing_rules(category_id);

-- One row per dispatcher classification; 'corrected' = it differs from what triage suggested.
CREATE TABLE triage_examples (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases(id),
    category_id  INTEGER NOT NULL REFERENCES categories(id),
    suggested_id INTEGER REFERENCES categories(id),
    corrected    INTEGER NOT NULL DEFAULT 0,
    actor_id     INTEGER REFERENCES users(id),
    at           INTEGER NOT NULL
);
CREATE INDEX triage_examples_case ON triage_examples(case_id, id);

ALTER TABLE cases ADD COLUMN triage_category_id INTEGER REFERENCES categories(id);
ALTER TABLE cases ADD COLUMN triage_department_id INTEGER REFERENCES departments(id);
ALTER TABLE cases ADD COLUMN triage_prob REAL;

CREATE TABLE triage_trainings (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    version     TEXT    NOT NULL,
    examples    INTEGER NOT NULL,
    labels      INTEGER NOT NULL,
    source      TEXT    NOT NULL,   -- 'demo', 'db', 'file'
    actor       TEXT    NOT NULL DEFAULT ''
);
