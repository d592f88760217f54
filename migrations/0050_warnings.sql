-- 0050: warnings (预警, issue 16 item 4; docs/warning.md §4): one object for every kind of early
-- warning (a device offline, a spike, a chain of repeat complaints, a high risk grade), with a
-- life cycle new -> acknowledged -> dispatched (turned into a case) or dismissed (with a reason).
-- group_key groups what is the same warning: while one with the key is open (new or
-- acknowledged), a repeat raises its count and last_at instead of a second row (as Alertmanager
-- groups alerts). Silences mute a kind in a region (and category) until a time.
CREATE TABLE warnings (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('device_offline', 'spike', 'repeat', 'risk')),
    level           TEXT    NOT NULL CHECK (level IN ('high', 'medium', 'low')),
    status          TEXT    NOT NULL DEFAULT 'new'
                    CHECK (status IN ('new', 'acknowledged', 'dispatched', 'dismissed')),
    group_key       TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    evidence        TEXT    NOT NULL,              -- what raised it, in words a supervisor reads
    region_id       INTEGER REFERENCES regions(id),
    category_id     INTEGER REFERENCES categories(id),
    device_id       INTEGER REFERENCES devices(id),
    case_id         INTEGER REFERENCES cases(id),   -- the case it concerns or was turned into
    lat             REAL,
    lon             REAL,
    count           INTEGER NOT NULL DEFAULT 1,
    first_at        INTEGER NOT NULL,
    last_at         INTEGER NOT NULL,
    handled_by      INTEGER REFERENCES users(id),
    handled_at      INTEGER,
    reason          TEXT    NOT NULL DEFAULT '',    -- why it was dismissed
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX warnings_status ON warnings(status, last_at);
-- At most one open warning per group.
CREATE UNIQUE INDEX warnings_open_group ON warnings(group_key) WHERE status IN ('new', 'acknowledged');

CREATE TABLE warning_silences (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,
    region_id   INTEGER REFERENCES regions(id),     -- NULL: everywhere
    category_id INTEGER REFERENCES categories(id),  -- NULL: any
    until       INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    created_by  INTEGER REFERENCES users(id),
    created_at  INTEGER NOT NULL
);
CREATE INDEX warning_silences_until ON warning_silences(until);
