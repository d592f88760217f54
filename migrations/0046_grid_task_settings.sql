-- 0046: the rest of 核实 / 核查 / 自行处置 (issue 15, item 4; docs/grid.md §4).

-- A grid worker's photos uploaded before the case they belong to exists (自行处置: the 处置前
-- and 处置后 photos are taken before the one step that reports and closes the matter). The
-- file is stored and its attachments row committed at upload; this row says whose it is until
-- a self-handled report links it to its case (the row is then deleted in the same transaction).
-- Only the uploader may reference it. Rows older than a day are dropped at the uploader's next
-- upload (CASE_PENDING_UPLOAD_SECONDS).
CREATE TABLE pending_uploads (
    user_id       INTEGER NOT NULL REFERENCES users(id),
    attachment_id INTEGER NOT NULL REFERENCES attachments(id),
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (user_id, attachment_id)
);

-- How long a worker has, per rule (the rule that decides whether there is a task decides its
-- due time too): 核实 within an hour and 核查 within two unless the admin says otherwise.
ALTER TABLE grid_task_rules ADD COLUMN verify_minutes INTEGER NOT NULL DEFAULT 60
    CHECK (verify_minutes BETWEEN 5 AND 1440);
ALTER TABLE grid_task_rules ADD COLUMN check_minutes INTEGER NOT NULL DEFAULT 120
    CHECK (check_minutes BETWEEN 5 AND 10080);

-- The overdue sweeper tells an open task's worker and the grid's officials once: when it did.
ALTER TABLE grid_tasks ADD COLUMN overdue_at INTEGER;
CREATE INDEX grid_tasks_open_due ON grid_tasks(status, due_at);
