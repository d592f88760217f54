-- Attachments (photos at intake, photos with a reply). The files live on disk under the
-- attachment directory, named by their SHA-256 (src/attach/attach.h); this is their metadata.
-- One row per distinct content: the same photo attached twice is stored and listed once.

CREATE TABLE attachments (
    id          INTEGER PRIMARY KEY,
    sha256      TEXT    NOT NULL UNIQUE CHECK (length(sha256) = 64),  -- lowercase hex
    mime        TEXT    NOT NULL,                   -- detected from the content, never declared
    size        INTEGER NOT NULL CHECK (size > 0),  -- bytes
    width       INTEGER NOT NULL CHECK (width > 0), -- pixels as displayed (EXIF orientation applied)
    height      INTEGER NOT NULL CHECK (height > 0),
    created_at  INTEGER NOT NULL,
    created_by  INTEGER REFERENCES users(id)        -- who first uploaded this content
);

-- Which case carries which attachment, and the timeline event ('attach') that added it.
CREATE TABLE case_attachments (
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    attachment_id INTEGER NOT NULL REFERENCES attachments(id),
    event_id      INTEGER NOT NULL REFERENCES case_events(id),
    added_by      INTEGER REFERENCES users(id),
    added_at      INTEGER NOT NULL,
    PRIMARY KEY (case_id, attachment_id)
);
CREATE INDEX case_attachments_attachment ON case_attachments(attachment_id);
