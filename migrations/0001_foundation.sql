-- 0001: organisation (regions, departments, categories, calendar), accounts, sessions, audit.
-- Portable SQL: the same statements run on PostgreSQL with BIGINT/BYTEA types (the
-- dialect layer, src/store/store_dialect.h). SQLite's instr(), group_concat(), two-argument max()/min() and substr() taking 64-bit
-- integers, used by
-- the domain's queries, are given to PostgreSQL here.
-- @postgresql CREATE FUNCTION instr(haystack text, needle text) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT strpos(haystack, needle)';
-- @postgresql CREATE FUNCTION gl_concat_step(acc text, v anyelement) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v::text ELSE acc || '','' || v::text END';
-- @postgresql CREATE FUNCTION max(a bigint, b bigint) RETURNS bigint LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT greatest(a, b)';
-- @postgresql CREATE FUNCTION min(a bigint, b bigint) RETURNS bigint LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT least(a, b)';
-- @postgresql CREATE FUNCTION substr(s text, start bigint, n bigint) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT substr(s, start::integer, n::integer)';
-- @postgresql CREATE AGGREGATE group_concat(anyelement) (SFUNC = gl_concat_step, STYPE = text);
-- Times are seconds since the Unix epoch (UTC).

CREATE TABLE regions (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    level       TEXT    NOT NULL CHECK (level IN ('district', 'street', 'community', 'grid')),
    parent_id   INTEGER REFERENCES regions(id),
    boundary    TEXT,                      -- GeoJSON Polygon/MultiPolygon, WGS84
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX regions_parent ON regions(parent_id);

CREATE TABLE departments (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    parent_id   INTEGER REFERENCES departments(id),
    phone       TEXT    NOT NULL DEFAULT '',
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE department_regions (
    department_id INTEGER NOT NULL REFERENCES departments(id) ON DELETE CASCADE,
    region_id     INTEGER NOT NULL REFERENCES regions(id),
    PRIMARY KEY (department_id, region_id)
);
CREATE INDEX department_regions_region ON department_regions(region_id);

CREATE TABLE categories (
    id            INTEGER PRIMARY KEY,
    code          TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    level         INTEGER NOT NULL CHECK (level BETWEEN 1 AND 3),
    parent_id     INTEGER REFERENCES categories(id),
    department_id INTEGER REFERENCES departments(id),
    urgency       TEXT    NOT NULL DEFAULT 'normal' CHECK (urgency IN ('normal', 'urgent', 'emergency')),
    sla_sign      INTEGER NOT NULL CHECK (sla_sign >= 0),
    sla_reply     INTEGER NOT NULL CHECK (sla_reply >= 0),
    sla_resolve   INTEGER NOT NULL CHECK (sla_resolve >= 0),
    sla_unit      TEXT    NOT NULL CHECK (sla_unit IN ('work_hours', 'work_days', 'hours')),
    keywords      TEXT    NOT NULL DEFAULT '',
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX categories_parent ON categories(parent_id);

-- One row: the weekly pattern. periods is "HH:MM-HH:MM[,HH:MM-HH:MM...]" in local time.
CREATE TABLE calendar_settings (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    utc_offset_min INTEGER NOT NULL,
    week_mask      INTEGER NOT NULL,      -- bit 0 = Sunday ... bit 6 = Saturday
    periods        TEXT    NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE calendar_days (
    day   TEXT PRIMARY KEY,                -- YYYY-MM-DD, local date
    kind  TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL,        -- argon2id, libsodium crypto_pwhash_str format
    roles         TEXT    NOT NULL,        -- comma-separated role names, canonical order
    region_id     INTEGER REFERENCES regions(id),
    phone         TEXT    NOT NULL DEFAULT '',
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE user_departments (
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    department_id INTEGER NOT NULL REFERENCES departments(id),
    PRIMARY KEY (user_id, department_id)
);

CREATE TABLE sessions (
    token_hash  TEXT    PRIMARY KEY,       -- hex SHA-256 of the bearer token; the token itself is never stored
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token  TEXT    NOT NULL,
    ip          TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE login_failures (
    id         INTEGER PRIMARY KEY,
    user_name  TEXT    NOT NULL,
    ip         TEXT    NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX login_failures_user ON login_failures(user_name, at);
CREATE INDEX login_failures_ip ON login_failures(ip, at);

-- Append-only; each row's hash covers the previous row's hash, so editing or deleting any
-- row breaks every later link (checked by `gridloop audit verify`).
CREATE TABLE audit_log (
    seq            INTEGER PRIMARY KEY,
    at             INTEGER NOT NULL,
    actor_id       INTEGER,
    actor_name     TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    target         TEXT    NOT NULL,
    before_digest  TEXT    NOT NULL,
    after_digest   TEXT    NOT NULL,
    prev_hash      TEXT    NOT NULL,
    hash           TEXT    NOT NULL
);
