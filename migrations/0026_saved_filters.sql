-- 0026: a user's saved case-list filters (issue 13, "saved filters"): a name and the list's query
-- (a JSON object of GET /api/v1/cases parameters, checked by the API), at most 50 per user. Saving
-- under a name already used replaces that filter.
CREATE TABLE saved_filters (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    name        TEXT    NOT NULL,
    query       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (user_id, name)
);
