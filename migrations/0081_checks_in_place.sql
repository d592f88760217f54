-- Issue 12: on SQLite a CHECK of the form 'col IN (three or more values)' is tested through a
-- temporary B-tree that the statement builds, fills with the values and drops, every time a row
-- is written: its own pager, a page of memory allocated and zeroed, then freed. An intake wrote
-- fifteen or more of them (the case's channel, urgency and kind, each notification's two, the
-- SMS, the risk grade's two, a warning's three, each repeat link's). The same constraints
-- written as comparisons joined by OR are tested in place, with the same meaning (NULL passes
-- both ways): 9 % fewer instructions a case through the intake benchmark's POSTs
-- (valgrind --tool=callgrind, docs/benchmarks.md). Constraints are not part of a table's stored
-- rows, so the tables' text in sqlite_schema is edited in place (SQLite's documented way for
-- changes that leave the stored rows as they are: writable_schema), not rebuilt; RESET has this
-- connection read the schema again, and creating and dropping a table moves the schema cookie so
-- every other connection reads it again too. Two-value lists (case_departments.role) were
-- already tested in place. PostgreSQL tests IN lists in place: nothing to do there.
-- @sqlite
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(replace(replace(sql,
    'CHECK (channel IN (''hotline'', ''web'', ''app'', ''wechat'', ''grid'', ''sensor'', ''open311'', ''other''))',
    'CHECK (channel = ''hotline'' OR channel = ''web'' OR channel = ''app'' OR channel = ''wechat'' OR channel = ''grid'' OR channel = ''sensor'' OR channel = ''open311'' OR channel = ''other'')'),
    'CHECK (urgency IN (''normal'', ''urgent'', ''emergency''))',
    'CHECK (urgency = ''normal'' OR urgency = ''urgent'' OR urgency = ''emergency'')'),
    'CHECK (kind IN (''consult'', ''help'', ''complaint'', ''report'', ''suggestion'', ''praise''))',
    'CHECK (kind = ''consult'' OR kind = ''help'' OR kind = ''complaint'' OR kind = ''report'' OR kind = ''suggestion'' OR kind = ''praise'')')
    WHERE type = 'table' AND name = 'cases';
UPDATE sqlite_schema SET sql = replace(replace(sql,
    'CHECK (recipient_kind IN (''department'', ''user'', ''citizen'', ''supervisors'', ''dispatchers''))',
    'CHECK (recipient_kind = ''department'' OR recipient_kind = ''user'' OR recipient_kind = ''citizen'' OR recipient_kind = ''supervisors'' OR recipient_kind = ''dispatchers'')'),
    'CHECK (status IN (''pending'', ''sent'', ''failed''))',
    'CHECK (status = ''pending'' OR status = ''sent'' OR status = ''failed'')')
    WHERE type = 'table' AND name = 'notifications';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (status IN (''pending'', ''sent'', ''failed'', ''delivered'', ''undelivered''))',
    'CHECK (status = ''pending'' OR status = ''sent'' OR status = ''failed'' OR status = ''delivered'' OR status = ''undelivered'')')
    WHERE type = 'table' AND name = 'sms_messages';
UPDATE sqlite_schema SET sql = replace(replace(replace(sql,
    'CHECK (kind IN (''device_offline'', ''spike'', ''repeat'', ''risk''))',
    'CHECK (kind = ''device_offline'' OR kind = ''spike'' OR kind = ''repeat'' OR kind = ''risk'')'),
    'CHECK (level IN (''high'', ''medium'', ''low''))',
    'CHECK (level = ''high'' OR level = ''medium'' OR level = ''low'')'),
    'CHECK (status IN (''new'', ''acknowledged'', ''dispatched'', ''dismissed''))',
    'CHECK (status = ''new'' OR status = ''acknowledged'' OR status = ''dispatched'' OR status = ''dismissed'')')
    WHERE type = 'table' AND name = 'warnings';
UPDATE sqlite_schema SET sql = replace(replace(sql,
    'CHECK (level IN (''high'', ''medium'', ''low''))',
    'CHECK (level = ''high'' OR level = ''medium'' OR level = ''low'')'),
    'CHECK (confirmed_level IN (''high'', ''medium'', ''low''))',
    'CHECK (confirmed_level = ''high'' OR confirmed_level = ''medium'' OR confirmed_level = ''low'')')
    WHERE type = 'table' AND name = 'case_risks';
PRAGMA writable_schema = RESET;
CREATE TABLE migration_0081_schema_cookie (x INTEGER);
DROP TABLE migration_0081_schema_cookie;
-- @end
