-- Issue 12: a warning tells the supervisors of its region and of the regions above it
-- (src/warning/warning.c, notify). That read every user (citizens' accounts are users too) and
-- tested their roles as text: 32 us a warning with 139 users, in the intake's transaction, and
-- linear in the users. The active supervisors by region, which the query names by the same
-- terms (a planner uses a partial index only then).
CREATE INDEX users_supervisors ON users(region_id)
    WHERE active = 1 AND (',' || roles || ',') LIKE '%,supervisor,%';
