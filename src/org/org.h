/*
 * org: the organisation a hotline routes work through: the region tree (district → street →
 * community → grid), the departments that handle cases and the regions they serve, the
 * three-level case category taxonomy with its default departments and time limits (SLA), and
 * the working calendar the limits are counted in.
 *
 * This module knows nothing of HTTP or JSON. It validates input, reads and writes the
 * organisation tables through store.h, and hands back plain structs.
 *
 * Transactions: no function here begins or commits a transaction; the caller owns it. Writers
 * validate every field before their first write, so a validation error leaves the database
 * untouched; a storage error half-way through a multi-statement write (department regions,
 * category deactivation) is undone by the caller's rollback. Run writes inside
 * store_begin()/store_commit() together with their audit entry.
 *
 * Errors: functions return 0 (or a count / boolean where said) or a negative ERR_*:
 *   ERR_BAD_REQUEST  invalid input; err->field names the input field ("code", "parent_id",
 *                    "boundary", "sla_reply", ...), matching the column / JSON names;
 *   ERR_NOT_FOUND    the record addressed by id / code does not exist;
 *   ERR_CONFLICT     a unique code is taken (field "code"), or a delete is refused because
 *                    other records still refer to the row (the message says which);
 *   ERR_INTEGRITY    a stored row breaks this module's rules (edited outside gridloop);
 *   others           passed through from the store.
 *
 * Threading: no state of its own; use a connection only from the thread that owns it.
 * Ownership: output structs are filled into caller storage; every string and array they point
 * to is allocated from the caller's arena and lives until arena_release(). Input structs and
 * strings are borrowed for the duration of the call.
 * Time: writers take 'now' (seconds since the epoch) for created_at / updated_at.
 */
#ifndef GRIDLOOP_ORG_ORG_H
#define GRIDLOOP_ORG_ORG_H

#include <stddef.h>
#include <stdint.h>

#include "cal/cal.h"

struct arena;
struct err;
struct store_conn;

#define ORG_NAME_MAX 100           /* code points, for every name */
#define ORG_PHONE_MAX 32           /* bytes */
#define ORG_KEYWORDS_MAX 1000      /* code points */
#define ORG_DAY_NAME_MAX 100       /* code points */
#define ORG_CODE_MAX 32            /* bytes, any code (grid and department codes are longest) */
#define ORG_BOUNDARY_MAX (4 << 20) /* bytes of GeoJSON per region */
#define ORG_DEPT_REGIONS_MAX 10000 /* regions one department may serve */

/* Filters on the active flag. Zero means "any", so a zeroed filter matches everything. */
enum org_active_filter {
    ORG_ACTIVE_ANY = 0,
    ORG_ACTIVE_ONLY = 1,
    ORG_INACTIVE_ONLY = 2,
};

/* ---------------------------------------------------------------- regions */

/*
 * Region levels start at 1 so that 0 can mean "any" in filters and "unset" in updates;
 * org_region_depth() gives the 0-based depth geo.h wants (district 0 ... grid 3, micro 4).
 */
enum org_region_level {
    ORG_REGION_DISTRICT = 1,  /* 区/县: 6 digits, GB/T 2260 */
    ORG_REGION_STREET = 2,    /* 街道/乡镇: 9 digits, district code + 3 */
    ORG_REGION_COMMUNITY = 3, /* 社区/村: 12 digits, street code + 3 */
    ORG_REGION_GRID = 4,      /* 网格: community code + at least one of [0-9A-Za-z_-], <= 32 */
    ORG_REGION_MICRO = 5,     /* 微网格 (a building, a block): grid code + '.' + [0-9A-Za-z_-]+,
                                 <= 32 in all; optional, a grid may have none */
};
#define ORG_REGION_LEVELS 5

/* "district", "street", "community", "grid", "micro"; "" for anything else. */
const char *org_region_level_name(enum org_region_level level);
/* The level named, or 0 if the name is unknown (or NULL). */
int org_region_level_from_name(const char *name);
static inline int org_region_depth(enum org_region_level level)
{
    return (int)level - 1;
}

struct org_region {
    int64_t id;
    const char *code; /* arena */
    const char *name; /* arena */
    enum org_region_level level;
    int64_t parent_id;    /* 0 for a district */
    const char *boundary; /* arena; GeoJSON, NULL when none (or not requested) */
    int64_t created_at;
    int64_t updated_at;
};

struct org_region_in {
    const char *code;            /* immutable after create: see org_region_update() */
    const char *name;            /* 1..ORG_NAME_MAX code points */
    enum org_region_level level; /* immutable */
    int64_t parent_id;           /* 0 for a district; immutable */
    const char *boundary;        /* GeoJSON (Multi)Polygon, see geo_validate(); NULL/"" = none */
};

struct org_region_filter {
    int64_t parent_id;           /* 0 = any parent */
    enum org_region_level level; /* 0 = any level */
    int64_t within_id;           /* 0 = anywhere; else that region's subtree, itself included */
    int with_boundary;           /* boundaries can be large: fetched only when non-zero */
};

/*
 * Check 'code' against the rules for 'level' and, when parent_code is not NULL, that it
 * extends its parent's code. Pure; ERR_BAD_REQUEST with field "code" (or "level").
 */
int org_region_check_code(const char *code, enum org_region_level level, const char *parent_code,
                          struct err *err);

/*
 * Create a region. A district has parent_id 0; any other level needs a parent exactly one
 * level up whose code prefixes its own (field "parent_id" for a missing parent, "level" for a
 * level mismatch, "code" for a prefix mismatch). ERR_CONFLICT (field "code") if the code is
 * taken. Stores the new id in *id_out.
 */
int org_region_create(struct store_conn *c, const struct org_region_in *in, int64_t now,
                      int64_t *id_out, struct err *err);

/* Fetch one region, boundary included. ERR_NOT_FOUND if absent. */
int org_region_get(struct store_conn *c, int64_t id, struct arena *a, struct org_region *out,
                   struct err *err);
int org_region_get_by_code(struct store_conn *c, const char *code, struct arena *a,
                           struct org_region *out, struct err *err);

/* Regions matching 'f' (NULL = all), ordered by code, so every parent precedes its children.
 * *out is an arena array of *n records, NULL when *n is 0. */
int org_region_list(struct store_conn *c, const struct org_region_filter *f, struct arena *a,
                    struct org_region **out, size_t *n, struct err *err);

/*
 * Replace the mutable fields, name and boundary (NULL or "" removes it). code, level and
 * parent_id are immutable because descendants' codes, users' scopes and the subtree test all
 * hang on them: moving a region is a new region. They may be passed (code non-NULL, level or
 * parent_id non-zero) so a caller can hand back a whole record, but must then equal the
 * stored values (else ERR_BAD_REQUEST naming the field).
 */
int org_region_update(struct store_conn *c, int64_t id, const struct org_region_in *in, int64_t now,
                      struct err *err);

/* Delete a region. ERR_CONFLICT if it has child regions, or users, departments or any other
 * record (cases...) refer to it; ERR_NOT_FOUND if absent. */
int org_region_delete(struct store_conn *c, int64_t id, struct err *err);

/*
 * 1 if the region coded 'code' is 'ancestor_code' itself or lies beneath it, else 0. Pure
 * string work, no database: district, street and community codes have fixed lengths (6, 9,
 * 12) and each child code starts with its parent's, so a prefix is a subtree. Grid codes
 * have free length ("...001-03" prefixes "...001-031"), so a grid's subtree is the grid and
 * the micro-grids coded with its code and a '.' (which no grid code holds); micro-grids are
 * leaves.
 * This is the authorization layer's hot path: keep the user's scope code in the session.
 * NULL or "" never matches.
 */
int org_region_code_in_subtree(const char *code, const char *ancestor_code);

/* As org_region_code_in_subtree() for ids, in one query: 1, 0, or a negative ERR_*
 * (ERR_NOT_FOUND if either region is absent). */
int org_region_in_subtree(struct store_conn *c, int64_t id, int64_t ancestor_id, struct err *err);

/* The chain from the district down to the region itself (boundaries not fetched): an arena
 * array of *n (1..ORG_REGION_LEVELS) records. */
int org_region_path(struct store_conn *c, int64_t id, struct arena *a, struct org_region **out,
                    size_t *n, struct err *err);

/* The path's names joined by 'sep' ("西湖区/青石街道/梅园社区"), in the arena. */
int org_region_path_name(struct store_conn *c, int64_t id, const char *sep, struct arena *a,
                         const char **out, struct err *err);

/* ---------------------------------------------------------------- departments */

struct org_department {
    int64_t id;
    const char *code;  /* arena */
    const char *name;  /* arena */
    int64_t parent_id; /* 0 = top level */
    const char *phone; /* arena; "" when none */
    int active;
    int64_t created_at;
    int64_t updated_at;
    const int64_t *region_ids; /* arena; regions served, ascending; only from get/get_by_code */
    size_t nregion_ids;
};

struct org_department_in {
    const char *code;  /* [A-Z0-9_-]{1,32} */
    const char *name;  /* 1..ORG_NAME_MAX code points */
    int64_t parent_id; /* 0 = top level; must exist and not create a cycle */
    const char *phone; /* NULL or "" = none; digits and " +-()#,;*" only */
    int active;        /* honoured on create too: pass 1 for a working department */
};

struct org_department_filter {
    enum org_active_filter active;
    int64_t parent_id;        /* 0 = any */
    int64_t serves_region_id; /* 0 = any; else those serving this region or an ancestor */
};

int org_department_create(struct store_conn *c, const struct org_department_in *in, int64_t now,
                          int64_t *id_out, struct err *err);

/* Fetch one department with the ids of the regions it serves. */
int org_department_get(struct store_conn *c, int64_t id, struct arena *a,
                       struct org_department *out, struct err *err);
int org_department_get_by_code(struct store_conn *c, const char *code, struct arena *a,
                               struct org_department *out, struct err *err);

/* Departments matching 'f' (NULL = all), ordered by code; region_ids are not filled. */
int org_department_list(struct store_conn *c, const struct org_department_filter *f,
                        struct arena *a, struct org_department **out, size_t *n, struct err *err);

/*
 * Replace every field (get, modify, pass back). The code may change (departments are
 * referenced by id); the parent may change unless that makes a cycle (field "parent_id").
 * Turning active off is refused under the same conditions as org_department_delete().
 */
int org_department_update(struct store_conn *c, int64_t id, const struct org_department_in *in,
                          int64_t now, struct err *err);

/*
 * Soft delete: set active = 0 and keep the row, because past cases, users and audit entries
 * name the department. ERR_CONFLICT while it is the default department of an active category
 * or has active child departments (reassign them first). Deactivating an inactive department
 * succeeds.
 */
int org_department_delete(struct store_conn *c, int64_t id, int64_t now, struct err *err);

/* Hard delete, for a department created by mistake. ERR_CONFLICT if child departments,
 * categories, users or any other record refer to it. Its region links go with it. */
int org_department_purge(struct store_conn *c, int64_t id, struct err *err);

/* Replace the set of regions the department serves (duplicates ignored; every id must exist,
 * field "region_ids"). Serving a region means serving its whole subtree. */
int org_department_set_regions(struct store_conn *c, int64_t id, const int64_t *region_ids,
                               size_t n, int64_t now, struct err *err);

/* The ids of the regions the department serves, ascending: arena array, NULL when *n is 0. */
int org_department_regions(struct store_conn *c, int64_t id, struct arena *a, int64_t **out,
                           size_t *n, struct err *err);

/* 1 if the department serves the region (directly or through an ancestor), 0 if not. */
int org_department_serves_region(struct store_conn *c, int64_t department_id, int64_t region_id,
                                 struct err *err);

/* ---------------------------------------------------------------- categories */

enum org_urgency {
    ORG_URGENCY_NORMAL = 0,
    ORG_URGENCY_URGENT = 1,
    ORG_URGENCY_EMERGENCY = 2,
};

/* "normal", "urgent", "emergency"; "" for anything else. */
const char *org_urgency_name(enum org_urgency u);
/* The urgency named, or -1 if unknown. */
int org_urgency_from_name(const char *name);

/*
 * Time limits: sign (签收), reply (答复) and resolve (办结), counted from the case's creation
 * in 'unit' (cal.h). 0 <= sign <= reply <= resolve. resolve = 0 (hence all zero) means
 * "not set here: inherit the nearest ancestor's", see org_category_sla().
 */
struct org_sla {
    int sign;
    int reply;
    int resolve;
    enum cal_unit unit;
};

/* Pure check of an SLA (fields "sla_sign", "sla_reply", "sla_resolve", "sla_unit"). */
int org_sla_check(const struct org_sla *sla, struct err *err);

struct org_category {
    int64_t id;
    const char *code;      /* arena; 2, 4 or 6 digits by level */
    const char *name;      /* arena */
    int level;             /* 1..3 */
    int64_t parent_id;     /* 0 at level 1 */
    int64_t department_id; /* default department; 0 = inherit from the parent */
    enum org_urgency urgency;
    struct org_sla sla;   /* as stored; all zero = inherited */
    const char *keywords; /* arena; free text for classifiers and search */
    int active;
    int64_t created_at;
    int64_t updated_at;
};

struct org_category_in {
    const char *code;      /* level*2 digits, the parent's code as prefix; immutable */
    const char *name;      /* 1..ORG_NAME_MAX code points */
    int level;             /* 1..3, the parent's plus one; immutable */
    int64_t parent_id;     /* 0 at level 1; immutable */
    int64_t department_id; /* 0 or an existing, active department */
    enum org_urgency urgency;
    struct org_sla sla;
    const char *keywords; /* NULL = "" */
    int active;           /* honoured on create; active needs an active parent */
};

struct org_category_filter {
    int level;         /* 0 = any */
    int64_t parent_id; /* 0 = any */
    enum org_active_filter active;
};

int org_category_create(struct store_conn *c, const struct org_category_in *in, int64_t now,
                        int64_t *id_out, struct err *err);
int org_category_get(struct store_conn *c, int64_t id, struct arena *a, struct org_category *out,
                     struct err *err);
int org_category_get_by_code(struct store_conn *c, const char *code, struct arena *a,
                             struct org_category *out, struct err *err);

/* Categories matching 'f' (NULL = all), ordered by code (parents before children). */
int org_category_list(struct store_conn *c, const struct org_category_filter *f, struct arena *a,
                      struct org_category **out, size_t *n, struct err *err);

/*
 * Replace the mutable fields (name, department, urgency, SLA, keywords, active). code, level
 * and parent_id are immutable (children's codes extend the code); pass them as NULL/0 or
 * equal to the stored values. An unchanged department may be inactive; a newly chosen one
 * must be active. Deactivating also deactivates every descendant, as
 * org_category_delete() does; activating needs an active parent.
 */
int org_category_update(struct store_conn *c, int64_t id, const struct org_category_in *in,
                        int64_t now, struct err *err);

/* Soft delete: the category and its whole subtree become inactive (cases keep pointing at
 * them, new cases cannot pick them). */
int org_category_delete(struct store_conn *c, int64_t id, int64_t now, struct err *err);

/*
 * The SLA in force for a category: its own, or the nearest ancestor's when its own is unset
 * (all zero). *from_id (may be NULL) receives the id of the category that supplied it.
 * ERR_NOT_FOUND if neither the category nor any ancestor sets one.
 */
int org_category_sla(struct store_conn *c, int64_t id, struct org_sla *out, int64_t *from_id,
                     struct err *err);

/* The default department in force: the category's own, or the nearest ancestor's; stores 0
 * when none along the chain has one. */
int org_category_department(struct store_conn *c, int64_t id, int64_t *department_id,
                            struct err *err);

/* ---------------------------------------------------------------- calendar */

/* The weekly pattern stored in calendar_settings. */
struct org_calendar_settings {
    int utc_offset_min; /* -720..840 */
    unsigned week_mask; /* bit 0 = Sunday ... bit 6 = Saturday; non-zero */
    int nperiods;       /* 1..CAL_MAX_PERIODS */
    struct cal_period periods[CAL_MAX_PERIODS];
    int64_t updated_at; /* 0 while the defaults are in force */
};

/* Mon-Fri, 09:00-12:00 and 13:30-17:30, UTC+8: what applies while no settings are stored. */
void org_calendar_settings_default(struct org_calendar_settings *s);

/* Pure check (fields "utc_offset_min", "week_mask", "periods"). */
int org_calendar_settings_check(const struct org_calendar_settings *s, struct err *err);

/* The stored settings, or the defaults when none are stored. */
int org_calendar_settings_get(struct store_conn *c, struct org_calendar_settings *out,
                              struct err *err);
int org_calendar_settings_set(struct store_conn *c, const struct org_calendar_settings *s,
                              int64_t now, struct err *err);

/*
 * Parse "HH:MM-HH:MM[,HH:MM-HH:MM...]" (spaces around items allowed, "24:00" as an end)
 * into at most 'max' periods, which must be sorted, non-empty and non-overlapping.
 * ERR_BAD_REQUEST with field "periods".
 */
int org_calendar_periods_parse(const char *text, struct cal_period *out, int max, int *n,
                               struct err *err);

#define ORG_PERIODS_TEXT_MAX (CAL_MAX_PERIODS * 12 + 1)
/* The canonical text ("09:00-12:00,13:30-17:30"); the inverse of the parser. */
void org_calendar_periods_format(const struct cal_period *p, int n, char out[ORG_PERIODS_TEXT_MAX]);

/* Strict "YYYY-MM-DD" (years 1970..2999, real dates only) to days since 1970-01-01:
 * 0, or -1 if malformed. */
int org_date_parse(const char *s, int64_t *day);
/* Days since 1970-01-01 to "YYYY-MM-DD". */
void org_date_format(int64_t day, char out[16]);

/* "holiday", "workday"; "" otherwise. */
const char *org_calendar_day_kind_name(enum cal_day_kind kind);
/* The kind named, or 0 if unknown. */
int org_calendar_day_kind_from_name(const char *name);

/* A date override (calendar_days has no timestamps: the audit log records who set it). */
struct org_calendar_day {
    const char *day; /* arena; "YYYY-MM-DD" */
    enum cal_day_kind kind;
    const char *name; /* arena; "" when none, e.g. "春节" */
};

/* Insert or replace the override of one local date (fields "day", "kind", "name"). */
int org_calendar_day_set(struct store_conn *c, const char *day, enum cal_day_kind kind,
                         const char *name, struct err *err);
/* Remove one override; ERR_NOT_FOUND if the date has none. */
int org_calendar_day_delete(struct store_conn *c, const char *day, struct err *err);
/* Overrides with from <= day <= to (either bound may be NULL), ordered by date. */
int org_calendar_day_list(struct store_conn *c, const char *from, const char *to, struct arena *a,
                          struct org_calendar_day **out, size_t *n, struct err *err);

/*
 * Build a calendar from the stored settings and every override. The result is owned by the
 * caller (cal_free()) and is read-only afterwards. Loading reads the whole table, so load once
 * and share it, and rebuild it after calendar writes commit.
 */
int org_calendar_load(struct store_conn *c, struct cal **out, struct err *err);

/*
 * PostgreSQL only: the organisation version, a counter that migration 0009's triggers raise
 * with every statement that changes organisation data (and announce). Processes sharing the
 * database compare it with the last they saw to know whether what they derived from the
 * organisation is stale. SQLite has no such table (one process: it knows its own writes).
 */
int org_version_read(struct store_conn *c, int64_t *version, struct err *err);

#endif /* GRIDLOOP_ORG_ORG_H */
