-- 0051: repeat complaints (重复诉求, issue 16 item 1; docs/warning.md §1). At intake a case is
-- linked to the earlier cases (30 days) of the same caller (the keyed phone hash), at the same
-- place (within about 100 m, same category) or on the same subject in the same grid; 'unsolved'
-- records whether the earlier one was still open, or closed unsolved or unsatisfied, then.
CREATE TABLE case_repeats (
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    earlier_id INTEGER NOT NULL REFERENCES cases(id),
    reason     TEXT    NOT NULL CHECK (reason IN ('caller', 'place', 'subject')),
    unsolved   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, earlier_id)
);
CREATE INDEX case_repeats_earlier ON case_repeats(earlier_id);
CREATE INDEX case_repeats_created ON case_repeats(created_at);
