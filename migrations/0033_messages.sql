-- 0033: the message centre (消息中心, issue 13): each person's view of the notifications addressed
-- to them (their user, their departments, their role's group), with what they have read. A
-- notification to a group is read per person: one handler reading a 新派工单 does not read it for
-- the department's other handlers. "All read" moves a watermark instead of writing a row per
-- message.
CREATE TABLE message_reads (
    user_id         INTEGER NOT NULL REFERENCES users(id),
    notification_id INTEGER NOT NULL REFERENCES notifications(id),
    at              INTEGER NOT NULL,
    PRIMARY KEY (user_id, notification_id)
);
CREATE TABLE message_marks (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id),
    read_upto  INTEGER NOT NULL,
    at         INTEGER NOT NULL
);
-- The inbox reads by recipient, newest first.
CREATE INDEX notifications_recipient ON notifications(recipient_kind, recipient_id, id);
