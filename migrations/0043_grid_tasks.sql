-- 0043: 立案前核实, 结案前核查 and 自行处置 (issue 15, item 4). A grid worker's tasks on a case:
-- 'verify' (核实: is the reported problem there? confirm with a photo, or reject with a reason,
-- which closes the case as not verified) and 'check' (核查: before closure, is the department's
-- reply true on site? pass lets the case close, fail sends it back with the finding). Which cases
-- get them is a rule table like reply_review_rules: one rule per category (its subtree; the
-- nearest rule up the tree decides), category 0 the default; no rule: no task.
CREATE TABLE grid_task_rules (
    category_id INTEGER NOT NULL,
    verify      INTEGER NOT NULL CHECK (verify IN (0, 1)),   -- reports from the public or a sensor
    check_reply INTEGER NOT NULL CHECK (check_reply IN (0, 1)),
    updated_at  INTEGER NOT NULL,
    updated_by  INTEGER REFERENCES users(id),
    PRIMARY KEY (category_id)
);

CREATE TABLE grid_tasks (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    kind        TEXT    NOT NULL CHECK (kind IN ('verify', 'check')),
    assignee_id INTEGER NOT NULL REFERENCES users(id),
    status      TEXT    NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'confirmed', 'rejected', 'passed', 'failed', 'void')),
    created_at  INTEGER NOT NULL,
    due_at      INTEGER NOT NULL,
    done_at     INTEGER,
    note        TEXT    NOT NULL DEFAULT ''   -- the reason of a rejection, the finding of a check
);
CREATE INDEX grid_tasks_assignee ON grid_tasks(assignee_id, status);
CREATE INDEX grid_tasks_case ON grid_tasks(case_id, status);

-- 自行处置: reported and resolved by the grid worker in one step, never dispatched; counted apart.
ALTER TABLE cases ADD COLUMN self_handled INTEGER NOT NULL DEFAULT 0;
