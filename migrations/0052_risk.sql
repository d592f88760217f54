-- 0052: risk grades (风险等级, issue 16 item 3; docs/warning.md §3) for disputes and petitions: an
-- explained score over what a case says (words), what it is (category), its history (repeat
-- complaints, unsolved ones) and its place (a spike open in its street). The rules and weights
-- are rows an administrator edits; each case's grade keeps its reasons; a person confirms or
-- lowers it, and each correction is kept (risk_corrections) to re-fit the weights.
CREATE TABLE risk_rules (
    id         INTEGER PRIMARY KEY,
    factor     TEXT    NOT NULL CHECK (factor IN ('word', 'category', 'history', 'place')),
    pattern    TEXT    NOT NULL,   -- a word; a category code (its subtree); repeat | unsolved; spike
    weight     REAL    NOT NULL CHECK (weight BETWEEN -100 AND 100),
    label      TEXT    NOT NULL,   -- the reason as a supervisor reads it
    active     INTEGER NOT NULL DEFAULT 1,
    updated_at INTEGER NOT NULL,
    UNIQUE (factor, pattern)
);
INSERT INTO risk_rules(factor, pattern, weight, label, updated_at) VALUES
    ('word', '讨薪', 25, '讨薪', 0),
    ('word', '欠薪', 25, '欠薪', 0),
    ('word', '拖欠工资', 25, '拖欠工资', 0),
    ('word', '农民工', 10, '涉及农民工', 0),
    ('word', '上访', 20, '扬言上访', 0),
    ('word', '集体', 15, '集体诉求', 0),
    ('word', '群体', 15, '群体性', 0),
    ('word', '多人', 10, '多人参与', 0),
    ('word', '几十人', 15, '数十人参与', 0),
    ('word', '上百人', 20, '上百人参与', 0),
    ('word', '轻生', 45, '提及轻生', 0),
    ('word', '自杀', 45, '提及自杀', 0),
    ('word', '跳楼', 45, '扬言跳楼', 0),
    ('word', '不想活', 45, '表示不想活', 0),
    ('word', '打架', 25, '肢体冲突', 0),
    ('word', '打人', 25, '有人动手打人', 0),
    ('word', '斗殴', 30, '斗殴', 0),
    ('word', '持刀', 45, '持刀', 0),
    ('word', '威胁', 15, '有威胁言行', 0),
    ('word', '报复', 20, '扬言报复', 0),
    ('word', '老人', 5, '涉及老人', 0),
    ('word', '儿童', 5, '涉及儿童', 0),
    ('word', '残疾', 5, '涉及残疾人', 0),
    ('word', '孕妇', 5, '涉及孕妇', 0),
    ('word', '纠纷', 10, '矛盾纠纷', 0),
    ('word', '拆迁', 15, '征地拆迁', 0),
    ('word', '媒体', 10, '扬言找媒体', 0),
    ('word', '曝光', 10, '扬言曝光', 0),
    ('history', 'repeat', 5, '近 30 天重复诉求（每件）', 0),
    ('history', 'unsolved', 10, '此前诉求未解决（每件）', 0),
    ('place', 'spike', 10, '所在街道同类诉求正在激增', 0);

CREATE TABLE case_risks (
    case_id         INTEGER PRIMARY KEY REFERENCES cases(id),
    score           REAL    NOT NULL,
    level           TEXT    NOT NULL CHECK (level IN ('high', 'medium', 'low')),
    reasons         TEXT    NOT NULL,   -- JSON array of {"label", "weight"}
    computed_at     INTEGER NOT NULL,
    confirmed_level TEXT    CHECK (confirmed_level IN ('high', 'medium', 'low')),
    confirmed_by    INTEGER REFERENCES users(id),
    confirmed_at    INTEGER,
    note            TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX case_risks_level ON case_risks(level, computed_at);

CREATE TABLE risk_corrections (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    from_level TEXT    NOT NULL,
    to_level   TEXT    NOT NULL,
    score      REAL    NOT NULL,
    reasons    TEXT    NOT NULL,
    note       TEXT    NOT NULL,
    user_id    INTEGER REFERENCES users(id),
    at         INTEGER NOT NULL
);
