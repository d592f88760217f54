-- Issue 18 item 3: the service catalogue (事项), 一件事 bundles and 秒批 (docs/services.md).
-- An item's fields and its rule are the canonical JSON the API wrote after parsing and checking
-- them (src/api/api_service.c); the domain (src/service) stores them as text and never reads
-- JSON. The rule is a policy rule over the applicant's person profile (src/policy): an item
-- with one is approved at once (秒批) when it passes.
CREATE TABLE service_items (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    department_id   INTEGER NOT NULL REFERENCES departments(id),
    conditions      TEXT    NOT NULL DEFAULT '',   -- 受理条件 as the department states them
    materials       TEXT    NOT NULL DEFAULT '',   -- 申请材料, one a line
    time_limit_days INTEGER NOT NULL CHECK (time_limit_days BETWEEN 1 AND 365),  -- 法定时限
    mode            TEXT    NOT NULL CHECK (mode IN ('online', 'counter')),
    fields          TEXT    NOT NULL DEFAULT '[]', -- [{"key","label"}]: what the applicant fills in
    rule            TEXT,                          -- NULL: a person decides; else 秒批 by rule
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX service_items_department ON service_items(department_id);

CREATE TABLE service_bundles (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    summary    TEXT    NOT NULL DEFAULT '',
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE service_bundle_items (
    bundle_id INTEGER NOT NULL REFERENCES service_bundles(id),
    item_id   INTEGER NOT NULL REFERENCES service_items(id),
    position  INTEGER NOT NULL,
    PRIMARY KEY (bundle_id, item_id)
);
CREATE INDEX service_bundle_items_item ON service_bundle_items(item_id);

-- One application of a citizen: for a bundle (one task per item) or a single item. The shared
-- form is collected once (the union of the items' fields) and every task reads it. The state
-- follows the tasks: open while any is undecided, then approved (all approved) or refused (at
-- least one refused; the tasks say which and why).
CREATE TABLE service_applications (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    bundle_id   INTEGER REFERENCES service_bundles(id),
    item_id     INTEGER REFERENCES service_items(id),
    form        TEXT    NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'approved', 'refused')),
    notification_id INTEGER REFERENCES notifications(id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    finished_at INTEGER,
    CHECK ((bundle_id IS NULL) <> (item_id IS NULL))
);
CREATE INDEX service_applications_user ON service_applications(user_id, id);

-- A department's own task on an application: issued → accepted (受理) → approved (办结) or
-- refused (with the reason), or approved at once by 秒批 (auto = 1, basis = the data that
-- decided it). deadline = created_at + the item's legal time limit in days.
CREATE TABLE service_tasks (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES service_applications(id),
    item_id        INTEGER NOT NULL REFERENCES service_items(id),
    department_id  INTEGER NOT NULL REFERENCES departments(id),
    state          TEXT    NOT NULL CHECK (state IN ('issued', 'accepted', 'approved', 'refused')),
    auto           INTEGER NOT NULL DEFAULT 0 CHECK (auto IN (0, 1)),
    basis          TEXT    NOT NULL DEFAULT '',
    note           TEXT    NOT NULL DEFAULT '',
    decided_by     INTEGER REFERENCES users(id),
    deadline       INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    decided_at     INTEGER,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX service_tasks_application ON service_tasks(application_id, id);
CREATE INDEX service_tasks_department ON service_tasks(department_id, state, id);

-- The applicant's text when an application is settled (service_db.c), beside the in-app
-- notification; {text} is the same sentence. sms_templates is seeded (cli_store.c).
INSERT INTO sms_templates (code, name, body) VALUES ('service', '办事结果', '【12345】{text}');
