-- 0049: the sensing network (issue 16, item 5; docs/warning.md §5).

-- A device publishes under its code (gridloop/devices/{code}/readings); its place is resolved to
-- its grid when it is registered; it is expected to report every interval_s seconds, and is
-- offline (offline_at set, once, by the sweeper) after three intervals of silence.
CREATE TABLE devices (
    id            INTEGER PRIMARY KEY,
    code          TEXT    NOT NULL UNIQUE,
    type          TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    lat           REAL,
    lon           REAL,
    region_id     INTEGER REFERENCES regions(id),
    department_id INTEGER REFERENCES departments(id),
    interval_s    INTEGER NOT NULL DEFAULT 300 CHECK (interval_s BETWEEN 10 AND 86400),
    active        INTEGER NOT NULL DEFAULT 1,
    last_seen_at  INTEGER,
    offline_at    INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX devices_type ON devices(type);

-- Thresholds per device type and metric, with hysteresis: a breach begins at a reading above
-- 'high' and lasts until a reading at or below 'clear' (clear <= high), so a value hovering at
-- the limit opens one case, not one per reading. category_id: what the case is about.
CREATE TABLE sensor_thresholds (
    id          INTEGER PRIMARY KEY,
    type        TEXT    NOT NULL,
    metric      TEXT    NOT NULL,
    label       TEXT    NOT NULL,
    unit        TEXT    NOT NULL DEFAULT '',
    high        REAL    NOT NULL,
    clear_at    REAL    NOT NULL,
    category_id INTEGER REFERENCES categories(id),
    updated_at  INTEGER NOT NULL,
    UNIQUE (type, metric),
    CHECK (clear_at <= high)
);

-- Readings: one row per device, metric and time; a redelivered message (MQTT QoS 1) finds its
-- row and changes nothing.
CREATE TABLE sensor_readings (
    device_id   INTEGER NOT NULL REFERENCES devices(id),
    metric      TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    value       REAL    NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, metric, at)
);
CREATE INDEX sensor_readings_at ON sensor_readings(at);

-- The condition of each device and metric: the breach in progress (since, the case it opened)
-- or none. One row per pair, so a breach opens one case however many readings breach.
CREATE TABLE sensor_states (
    device_id  INTEGER NOT NULL REFERENCES devices(id),
    metric     TEXT    NOT NULL,
    breached   INTEGER NOT NULL DEFAULT 0,
    since      INTEGER,
    case_id    INTEGER REFERENCES cases(id),
    peak       REAL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, metric)
);
