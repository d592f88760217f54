-- 0058: sensor readings cheaper to insert (issue 16). On SQLite sensor_readings becomes a
-- WITHOUT ROWID table clustered on its primary key (device_id, metric, at): an insert writes
-- two b-trees (the table and sensor_readings_at) instead of three (the rowid table, the
-- primary key's index and sensor_readings_at). sensor_readings_at stays: retention deletes by
-- time (sensor_retention). Nothing refers to sensor_readings, so the rebuild inside the
-- migration's transaction touches nothing else. PostgreSQL keeps its heap table and indexes.
-- @sqlite
CREATE TABLE sensor_readings_0058 (
    device_id   INTEGER NOT NULL REFERENCES devices(id),
    metric      TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    value       REAL    NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, metric, at)
) WITHOUT ROWID;
INSERT INTO sensor_readings_0058 (device_id, metric, at, value, received_at)
    SELECT device_id, metric, at, value, received_at FROM sensor_readings;
DROP TABLE sensor_readings;
ALTER TABLE sensor_readings_0058 RENAME TO sensor_readings;
CREATE INDEX sensor_readings_at ON sensor_readings(at);
-- @end
