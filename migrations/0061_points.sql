-- Issue 18 item 6: the points bank (积分银行). Points come only as ledger entries: there is no
-- balance column anywhere, a resident's balance is the sum of their entries, so no balance can
-- exist without the entries that make it. Entries are never updated or deleted (the domain has
-- no such statement); every entry is written with its audit event in the same transaction.
CREATE TABLE points_rules (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,             -- valid_report | verification | volunteering | vote
    name        TEXT    NOT NULL,
    points      INTEGER NOT NULL CHECK (points >= 0 AND points <= 10000),
    active      INTEGER NOT NULL DEFAULT 1,
    updated_at  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO points_rules (code, name, points) VALUES ('valid_report', '有效举报', 10);
INSERT INTO points_rules (code, name, points) VALUES ('verification', '核实确认', 5);
INSERT INTO points_rules (code, name, points) VALUES ('volunteering', '志愿服务', 20);
INSERT INTO points_rules (code, name, points) VALUES ('vote', '参与投票', 2);

CREATE TABLE points_items (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    cost        INTEGER NOT NULL CHECK (cost > 0),
    stock       INTEGER NOT NULL CHECK (stock >= 0),
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);

CREATE TABLE points_ledger (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    delta       INTEGER NOT NULL CHECK (delta <> 0),
    rule_id     INTEGER REFERENCES points_rules(id),  -- an award
    item_id     INTEGER REFERENCES points_items(id),  -- a redemption (delta < 0)
    note        TEXT    NOT NULL DEFAULT '',
    by_user     INTEGER REFERENCES users(id),         -- the official who recorded an award
    at          INTEGER NOT NULL,
    CHECK ((rule_id IS NOT NULL AND delta > 0 AND item_id IS NULL)
        OR (item_id IS NOT NULL AND delta < 0 AND rule_id IS NULL))
);
CREATE INDEX points_ledger_user ON points_ledger(user_id, id);
