-- 0006: Open311 GeoReport v2 (docs/open311.md): API clients with hashed keys, the extra
-- attributes of a category (a service definition), and what an Open311 POST carried beyond
-- the case itself.

-- One row per client system (a FixMyStreet instance, a city app). The key is shown once at
-- issue; only its SHA-256 is kept, as for session tokens. Each client acts through its own
-- service account (user_id) so a case's timeline names the client that reported it.
CREATE TABLE open311_clients (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL UNIQUE,
    key_hash       TEXT    NOT NULL UNIQUE,
    user_id        INTEGER NOT NULL REFERENCES users(id),
    rate_limit     INTEGER NOT NULL CHECK (rate_limit > 0),   -- POSTs per minute
    created_at     INTEGER NOT NULL,
    revoked_at     INTEGER
);

-- The questions a category asks beyond the description (Open311 service definition).
CREATE TABLE category_attributes (
    id                   INTEGER PRIMARY KEY,
    category_id          INTEGER NOT NULL REFERENCES categories(id),
    code                 TEXT    NOT NULL,
    ord                  INTEGER NOT NULL CHECK (ord > 0),
    variable             INTEGER NOT NULL DEFAULT 1,          -- 0: information text only
    datatype             TEXT    NOT NULL CHECK (datatype IN ('string', 'number', 'datetime', 'text',
                                                              'singlevaluelist', 'multivaluelist')),
    required             INTEGER NOT NULL DEFAULT 0,
    description          TEXT    NOT NULL,
    datatype_description TEXT    NOT NULL DEFAULT '',
    UNIQUE (category_id, code),
    UNIQUE (category_id, ord)
);

-- Allowed values of the list datatypes, in display order.
CREATE TABLE category_attribute_values (
    attribute_id   INTEGER NOT NULL REFERENCES category_attributes(id) ON DELETE CASCADE,
    ord            INTEGER NOT NULL,
    key            TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    PRIMARY KEY (attribute_id, key)
);

-- A case created through Open311: the client, the token, and the request fields that have no
-- place on the case. The email is personal data: stored for the department, never answered.
CREATE TABLE open311_requests (
    case_id        INTEGER PRIMARY KEY REFERENCES cases(id),
    client_id      INTEGER NOT NULL REFERENCES open311_clients(id),
    token          TEXT    NOT NULL UNIQUE,
    service_code   TEXT    NOT NULL,
    address_id     TEXT    NOT NULL DEFAULT '',
    email          TEXT    NOT NULL DEFAULT '',
    device_id      TEXT    NOT NULL DEFAULT '',
    account_id     TEXT    NOT NULL DEFAULT '',
    media_url      TEXT    NOT NULL DEFAULT ''
);

-- The attribute answers of a request; a multivaluelist answer is one row per value.
CREATE TABLE open311_request_attributes (
    case_id        INTEGER NOT NULL REFERENCES cases(id),
    code           TEXT    NOT NULL,
    value          TEXT    NOT NULL
);
CREATE INDEX open311_request_attributes_case ON open311_request_attributes(case_id);
-- Answers are read back in the order posted, which SQLite's rowid keeps; PostgreSQL gets one.
-- @postgresql ALTER TABLE open311_request_attributes ADD COLUMN rowid BIGINT GENERATED ALWAYS AS IDENTITY;

-- Citizen updates received through the FixMyStreet extension: the client's own update id
-- maps to the timeline event it became, so a retried POST does not comment twice.
CREATE TABLE open311_updates (
    client_id      INTEGER NOT NULL REFERENCES open311_clients(id),
    external_id    TEXT    NOT NULL,
    event_id       INTEGER NOT NULL REFERENCES case_events(id),
    status         TEXT    NOT NULL,
    PRIMARY KEY (client_id, external_id)
);
