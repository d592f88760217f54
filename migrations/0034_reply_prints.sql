-- 0034: fingerprints of departments' replies (triage_reply_print), written with each reply, so
-- the reply-quality check can say a reply is boilerplate (套话) reused verbatim across cases.
CREATE TABLE reply_prints (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    department_id INTEGER REFERENCES departments(id),
    print         TEXT    NOT NULL,
    at            INTEGER NOT NULL
);
CREATE INDEX reply_prints_print ON reply_prints(print, at);
CREATE INDEX reply_prints_case ON reply_prints(case_id, id);
