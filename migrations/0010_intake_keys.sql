-- 0010: idempotent intake. A client that sends POST /api/v1/cases with an Idempotency-Key
-- and loses the answer (a failover cut the connection, its timeout fired) sends it again with
-- the same key and gets the case the first attempt created, instead of a second case.
-- Keys are per user and kept for a day (the sweeper deletes older ones).
CREATE TABLE intake_keys (
    user_id     INTEGER NOT NULL REFERENCES users(id),
    key         TEXT    NOT NULL,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX intake_keys_created ON intake_keys(created_at);
