-- 0011: the write probe behind /healthz. Each node rewrites its own row now and then: a
-- database that stops taking writes (read-only, disk full, I/O errors) shows as degraded
-- health even when no request happens to write (docs/security.md, ops).
CREATE TABLE write_probe (
    node  TEXT    NOT NULL PRIMARY KEY,
    at    INTEGER NOT NULL
);
