-- 0028: the knowledge base (知识库, issue 13): answers the centre gives to consultations, each
-- owned by a department, valid between two dates, found by the same Chinese text features as
-- triage (src/kb), suggested to the operator as the call is typed and used for 直接答复 (the
-- answer action names the article; uses counts them).
CREATE TABLE kb_articles (
    id             INTEGER PRIMARY KEY,
    title          TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    keywords       TEXT    NOT NULL DEFAULT '',
    category_id    INTEGER REFERENCES categories(id),
    department_id  INTEGER REFERENCES departments(id),
    valid_from     INTEGER,
    valid_until    INTEGER,
    active         INTEGER NOT NULL DEFAULT 1,
    uses           INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX kb_articles_active ON kb_articles(active, id);
