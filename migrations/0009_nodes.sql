-- 0009: several gridloop processes on one database (docs/deployment.md, "Several nodes").
--
-- Per-client rate windows (Open311 keys) shared by every process: the current minute and the
-- requests counted in it. One row per client, overwritten when the minute changes.
CREATE TABLE rate_windows (
    kind      INTEGER NOT NULL,
    client_id INTEGER NOT NULL,
    minute    INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (kind, client_id)
);

-- PostgreSQL: a write that makes what another process keeps in memory stale announces itself
-- on the channel 'gridloop' when it commits (src/app/app_cluster.c listens; the payload forms
-- are listed there). In the database rather than in the code that writes, so a change made
-- by any process (the CLI, an operator's psql) reaches every node, and a rollback announces
-- nothing. Organisation data: each statement raises org_version and announces it ('o N');
-- a node rebuilds the calendar, the region index, triage's category map and the cached lists
-- when N is newer than the last it saw (its own writes' announcements come back already
-- seen, and a node that lost its listener reads the row when it reconnects). Sessions: a deleted session ('s' token hash) and a changed
-- user ('u' id: roles, scope, password, active) leave the session caches.
-- @postgresql CREATE TABLE org_version (version BIGINT NOT NULL);
-- @postgresql INSERT INTO org_version(version) VALUES (1);
-- @postgresql CREATE FUNCTION gl_org_notify() RETURNS trigger LANGUAGE plpgsql AS 'DECLARE v bigint; BEGIN UPDATE org_version SET version = version + 1 RETURNING version INTO v; PERFORM pg_notify(''gridloop'', ''o '' || v); RETURN NULL; END';
-- @postgresql CREATE TRIGGER regions_notify AFTER INSERT OR UPDATE OR DELETE ON regions FOR EACH STATEMENT EXECUTE FUNCTION gl_org_notify();
-- @postgresql CREATE TRIGGER departments_notify AFTER INSERT OR UPDATE OR DELETE ON departments FOR EACH STATEMENT EXECUTE FUNCTION gl_org_notify();
-- @postgresql CREATE TRIGGER department_regions_notify AFTER INSERT OR UPDATE OR DELETE ON department_regions FOR EACH STATEMENT EXECUTE FUNCTION gl_org_notify();
-- @postgresql CREATE TRIGGER categories_notify AFTER INSERT OR UPDATE OR DELETE ON categories FOR EACH STATEMENT EXECUTE FUNCTION gl_org_notify();
-- @postgresql CREATE TRIGGER calendar_settings_notify AFTER INSERT OR UPDATE OR DELETE ON calendar_settings FOR EACH STATEMENT EXECUTE FUNCTION gl_org_notify();
-- @postgresql CREATE TRIGGER calendar_days_notify AFTER INSERT OR UPDATE OR DELETE ON calendar_days FOR EACH STATEMENT EXECUTE FUNCTION gl_org_notify();
-- @postgresql CREATE TRIGGER routing_rules_notify AFTER INSERT OR UPDATE OR DELETE ON routing_rules FOR EACH STATEMENT EXECUTE FUNCTION gl_org_notify();
-- @postgresql CREATE TRIGGER category_attributes_notify AFTER INSERT OR UPDATE OR DELETE ON category_attributes FOR EACH STATEMENT EXECUTE FUNCTION gl_org_notify();
-- @postgresql CREATE TRIGGER category_attribute_values_notify AFTER INSERT OR UPDATE OR DELETE ON category_attribute_values FOR EACH STATEMENT EXECUTE FUNCTION gl_org_notify();
-- @postgresql CREATE FUNCTION gl_session_notify() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN PERFORM pg_notify(''gridloop'', ''s '' || OLD.token_hash); RETURN NULL; END';
-- @postgresql CREATE TRIGGER sessions_notify AFTER DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION gl_session_notify();
-- @postgresql CREATE FUNCTION gl_user_notify() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN PERFORM pg_notify(''gridloop'', ''u '' || NEW.id); RETURN NULL; END';
-- @postgresql CREATE TRIGGER users_notify AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION gl_user_notify();
-- @postgresql CREATE FUNCTION gl_user_dept_notify() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN IF TG_OP = ''DELETE'' THEN PERFORM pg_notify(''gridloop'', ''u '' || OLD.user_id); ELSE PERFORM pg_notify(''gridloop'', ''u '' || NEW.user_id); END IF; RETURN NULL; END';
-- @postgresql CREATE TRIGGER user_departments_notify AFTER INSERT OR UPDATE OR DELETE ON user_departments FOR EACH ROW EXECUTE FUNCTION gl_user_dept_notify();
