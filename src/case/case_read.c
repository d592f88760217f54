/* Reading cases and their timelines, and who may see them. */
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "case/case.h"
#include "case/case_internal.h"
#include "core/err.h"
#include "core/mem.h"
#include "org/org.h"
#include "store/store.h"

static const char *text_or_null(struct store_stmt *s, int col, struct arena *a)
{
    return store_col_is_null(s, col) ? NULL : arena_strdup(a, store_col_text(s, col));
}

/* The assisting departments from their group_concat() ("3,7"; "" for none). */
static void read_assisting(struct case_rec *r, const char *assist)
{
    while (*assist && r->nassisting < (int)(sizeof(r->assisting) / sizeof(r->assisting[0]))) {
        char *end;
        r->assisting[r->nassisting++] = strtoll(assist, &end, 10);
        if (end == assist)
            break;
        assist = *end == ',' ? end + 1 : end;
    }
}

void case_read_row(struct store_stmt *s, struct arena *a, struct case_rec *r)
{
    int i = 0;
    memset(r, 0, sizeof(*r));
    r->id = store_col_int(s, i++);
    r->number = arena_strdup(a, store_col_text(s, i++));
    r->check_code = arena_strdup(a, store_col_text(s, i++));
    r->channel = (enum case_channel)case_channel_from_name(store_col_text(s, i++));
    r->title = arena_strdup(a, store_col_text(s, i++));
    r->description = arena_strdup(a, store_col_text(s, i++));
    r->category_id = store_col_int(s, i++);
    r->category_name = text_or_null(s, i++, a);
    r->urgency = (enum case_urgency)case_urgency_from_name(store_col_text(s, i++));
    r->has_location = !store_col_is_null(s, i);
    r->lat = store_col_real(s, i++);
    r->lon = store_col_real(s, i++);
    r->address = arena_strdup(a, store_col_text(s, i++));
    r->region_id = store_col_int(s, i++);
    r->region_code = text_or_null(s, i++, a);
    r->region_name = text_or_null(s, i++, a);
    r->citizen_name = arena_strdup(a, store_col_text(s, i++));
    r->citizen_phone_mask = arena_strdup(a, store_col_text(s, i++));
    r->anonymous = (int)store_col_int(s, i++);
    r->created_by = store_col_int(s, i++);
    r->state = (enum case_state)case_state_from_name(store_col_text(s, i++));
    r->version = store_col_int(s, i++);
    r->lead_department_id = store_col_int(s, i++);
    r->lead_department_name = text_or_null(s, i++, a);
    r->master_id = store_col_int(s, i++);
    r->sla_unit = arena_strdup(a, store_col_text(s, i++));
    r->dispatched_at = store_col_int(s, i++);
    r->signed_at = store_col_int(s, i++);
    r->replied_at = store_col_int(s, i++);
    r->closed_at = store_col_int(s, i++);
    r->sign_deadline = store_col_int(s, i++);
    r->reply_deadline = store_col_int(s, i++);
    r->resolve_deadline = store_col_int(s, i++);
    r->sign_late = (int)store_col_int(s, i++);
    r->overdue = (int)store_col_int(s, i++);
    r->urge_count = (int)store_col_int(s, i++);
    r->return_count = (int)store_col_int(s, i++);
    r->rectify_round = (int)store_col_int(s, i++);
    r->escalated = (int)store_col_int(s, i++);
    r->pending_request = text_or_null(s, i++, a);
    r->pending_until = store_col_int(s, i++);
    r->paused_at = store_col_int(s, i++);
    r->reply_solved = (int)store_col_int(s, i++);
    r->reply_contacted = (int)store_col_int(s, i++);
    int sat = case_satisfaction_from_name(store_col_text(s, i++));
    r->satisfaction = sat < 0 ? CS_NONE : (enum case_satisfaction)sat;
    r->created_at = store_col_int(s, i++);
    r->updated_at = store_col_int(s, i++);
    read_assisting(r, store_col_text(s, i++));
    r->triage_category_id = store_col_int(s, i++);
    r->triage_department_id = store_col_int(s, i++);
    r->triage_prob = store_col_real(s, i++);
    r->public_consent = store_col_int(s, i++) != 0;
    int kind = case_kind_from_name(store_col_text(s, i++));
    r->kind = kind < 0 ? CK_COMPLAINT : (enum case_kind)kind;
}

static int get_where(struct store_conn *c, const char *sql, const char *types, int64_t id,
                     const char *key, struct arena *a, struct case_rec *out, struct err *err)
{
    struct store_stmt *s;
    int rc = types[0] == 'i' ? store_prepare(c, sql, STORE_ARGS(store_i64(id)), &s, err)
                             : store_prepare(c, sql, STORE_ARGS(store_text(key)), &s, err);
    if (rc < 0)
        return rc;
    rc = store_step(s, err);
    if (rc == 1) {
        case_read_row(s, a, out);
        rc = 0;
    } else if (rc == 0) {
        rc = key ? err_set(err, ERR_NOT_FOUND, "case '%s' does not exist", key)
                 : err_set(err, ERR_NOT_FOUND, "case %lld does not exist", (long long)id);
    }
    store_done(s);
    return rc;
}

/* The brief record of case_get_many_brief(): what a list of other cases shows and
 * case_visible() needs, read as case_read_row() reads the same columns of CASE_COLS. */
static void read_brief_row(struct store_stmt *s, struct arena *a, struct case_rec *r)
{
    memset(r, 0, sizeof(*r));
    r->id = store_col_int(s, 0);
    r->number = arena_strdup(a, store_col_text(s, 1));
    r->title = arena_strdup(a, store_col_text(s, 2));
    r->address = arena_strdup(a, store_col_text(s, 3));
    r->state = (enum case_state)case_state_from_name(store_col_text(s, 4));
    r->created_at = store_col_int(s, 5);
    r->created_by = store_col_int(s, 6);
    r->lead_department_id = store_col_int(s, 7);
    r->region_code = text_or_null(s, 8, a);
    read_assisting(r, store_col_text(s, 9));
}

#define BRIEF_SELECT                                                                               \
    "SELECT c.id, c.number, c.title, c.address, c.state, c.created_at,"                            \
    " coalesce(c.created_by, 0), coalesce(c.lead_department_id, 0), c.region_code,"                \
    " (SELECT group_concat(department_id) FROM case_departments x"                                 \
    " WHERE x.case_id = c.id AND x.role = 'assist') FROM cases c "

/* SQLite's WHERE for 1 to CASE_MANY_MAX ids: ORs of key equalities. */
#define OR1 "WHERE c.id = ?"
#define OR2 OR1 " OR c.id = ?"
#define OR3 OR2 " OR c.id = ?"
#define OR4 OR3 " OR c.id = ?"
#define OR5 OR4 " OR c.id = ?"
#define OR6 OR5 " OR c.id = ?"
#define OR7 OR6 " OR c.id = ?"
#define OR8 OR7 " OR c.id = ?"
#define OR9 OR8 " OR c.id = ?"
#define OR10 OR9 " OR c.id = ?"
#define OR11 OR10 " OR c.id = ?"
#define OR12 OR11 " OR c.id = ?"
#define OR13 OR12 " OR c.id = ?"
#define OR14 OR13 " OR c.id = ?"
#define OR15 OR14 " OR c.id = ?"
#define OR16 OR15 " OR c.id = ?"
static const char *const brief_by_ors[CASE_MANY_MAX] = {
    BRIEF_SELECT OR1,  BRIEF_SELECT OR2,  BRIEF_SELECT OR3,  BRIEF_SELECT OR4,
    BRIEF_SELECT OR5,  BRIEF_SELECT OR6,  BRIEF_SELECT OR7,  BRIEF_SELECT OR8,
    BRIEF_SELECT OR9,  BRIEF_SELECT OR10, BRIEF_SELECT OR11, BRIEF_SELECT OR12,
    BRIEF_SELECT OR13, BRIEF_SELECT OR14, BRIEF_SELECT OR15, BRIEF_SELECT OR16,
};

/*
 * One query. PostgreSQL is given an IN list of always CASE_MANY_MAX placeholders padded with
 * id 0 (never a case): one prepared statement and one round trip for every call. SQLite
 * answers an IN list on the key through a temporary B-tree built, filled and dropped per
 * execution (~12,000 instructions a row found), so it is given the ids as ORs of equalities,
 * exactly as many as there are ids (one cached statement per count): a key lookup each, the
 * rows seen remembered in an in-memory row set. A lookup per id in a statement of its own
 * would be a read transaction each: on the HTTP thread's connection under intake every one of
 * them started from an emptied page cache (7.2 % of the server's CPU against 6 %).
 */
int case_get_many_brief(struct store_conn *c, const int64_t *ids, int nids, struct arena *a,
                        struct case_rec *out, int *n, struct err *err)
{
    struct store_arg args[CASE_MANY_MAX];
    struct store_stmt *s;
    int rc;
    *n = 0;
    if (nids > CASE_MANY_MAX)
        return err_set(err, ERR_INTERNAL, "case_get_many_brief: more than %d ids", CASE_MANY_MAX);
    if (nids <= 0)
        return 0;
    int sqlite = store_dialect(c) == STORE_SQLITE;
    size_t nargs = sqlite ? (size_t)nids : CASE_MANY_MAX;
    for (size_t i = 0; i < CASE_MANY_MAX; i++)
        args[i] = store_i64(i < (size_t)nids ? ids[i] : 0);
    _Static_assert(CASE_MANY_MAX == 16, "one placeholder per id");
    rc = store_prepare(c,
                       sqlite ? brief_by_ors[nids - 1]
                              : BRIEF_SELECT
                           "WHERE c.id IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (struct store_args){args, nargs}, &s, err);
    if (rc < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1 && *n < CASE_MANY_MAX)
        read_brief_row(s, a, &out[(*n)++]);
    store_done(s);
    return rc < 0 ? rc : 0;
}

int case_get(struct store_conn *c, int64_t id, struct arena *a, struct case_rec *out,
             struct err *err)
{
    return get_where(c, "SELECT " CASE_COLS CASE_FROM "WHERE c.id = ?", "i", id, NULL, a, out, err);
}

int case_stamp_get(struct store_conn *c, int64_t id, struct case_stamp *out, struct err *err)
{
    struct store_stmt *s;
    int rc = store_prepare(
        c,
        "SELECT version, updated_at, (SELECT max(id) FROM case_events WHERE case_id = ?)"
        " FROM cases WHERE id = ?",
        STORE_ARGS(store_i64(id), store_i64(id)), &s, err);
    if (rc < 0)
        return rc;
    rc = store_step(s, err);
    if (rc == 1) {
        out->version = store_col_int(s, 0);
        out->updated_at = store_col_int(s, 1);
        out->last_event = store_col_int(s, 2);
        rc = 0;
    } else if (rc == 0) {
        rc = err_set(err, ERR_NOT_FOUND, "case %lld does not exist", (long long)id);
    }
    store_done(s);
    return rc;
}

int case_get_by_number(struct store_conn *c, const char *number, struct arena *a,
                       struct case_rec *out, struct err *err)
{
    return get_where(c, "SELECT " CASE_COLS CASE_FROM "WHERE c.number = ?", "t", 0, number, a, out,
                     err);
}

int case_timeline(struct store_conn *c, int64_t id, struct arena *a, struct case_event_rec **out,
                  size_t *n, struct err *err)
{
    struct store_stmt *s;
    size_t cap = 16, len = 0;
    struct case_event_rec *v = arena_alloc(a, cap * sizeof(*v));
    int rc = store_prepare(
        c,
        "SELECT e.id, e.at, coalesce(e.actor_id, 0), e.actor_name, e.actor_role, e.action,"
        " e.from_state, e.to_state, coalesce(e.department_id, 0), e.note, e.payload, e.public_note,"
        " coalesce(u.display_name, '') FROM case_events e LEFT JOIN users u ON u.id = e.actor_id"
        " WHERE e.case_id = ? ORDER BY e.id",
        STORE_ARGS(store_i64(id)), &s, err);
    if (rc < 0)
        return rc;
    while ((rc = store_step(s, err)) == 1) {
        if (len == cap) {
            struct case_event_rec *bigger = arena_alloc(a, mem_size_mul(cap * 2, sizeof(*v)));
            memcpy(bigger, v, len * sizeof(*v));
            v = bigger;
            cap *= 2;
        }
        struct case_event_rec *e = &v[len++];
        e->id = store_col_int(s, 0);
        e->at = store_col_int(s, 1);
        e->actor_id = store_col_int(s, 2);
        e->actor_name = arena_strdup(a, store_col_text(s, 3));
        e->actor_role = arena_strdup(a, store_col_text(s, 4));
        e->actor_display = arena_strdup(a, store_col_text(s, 12));
        e->action = arena_strdup(a, store_col_text(s, 5));
        e->from_state = text_or_null(s, 6, a);
        e->to_state = arena_strdup(a, store_col_text(s, 7));
        e->department_id = store_col_int(s, 8);
        e->note = arena_strdup(a, store_col_text(s, 9));
        e->payload = arena_strdup(a, store_col_text(s, 10));
        e->public_note = store_col_int(s, 11) != 0;
    }
    store_done(s);
    if (rc < 0)
        return rc;
    *out = v;
    *n = len;
    return 0;
}

int case_actor_in_departments(const struct case_actor *actor, int64_t dept)
{
    for (int i = 0; dept && i < actor->ndepts; i++)
        if (actor->depts[i] == dept)
            return 1;
    return 0;
}

int case_visible(const struct case_actor *actor, const struct case_rec *rec)
{
    int region_bound = actor->region_code && *actor->region_code;
    int in_region = region_bound && rec->region_code &&
                    org_region_code_in_subtree(rec->region_code, actor->region_code);
    if (actor->roles & ROLE_ADMIN)
        return 1;
    if (rec->created_by && rec->created_by == actor->user_id)
        return 1;
    if (actor->roles & ROLE_HANDLER) {
        if (case_actor_in_departments(actor, rec->lead_department_id))
            return 1;
        for (int i = 0; i < rec->nassisting; i++)
            if (case_actor_in_departments(actor, rec->assisting[i]))
                return 1;
    }
    /* Hotline and command-centre roles see everything, unless bound to a region; a region-bound
     * user of any staff role (a street official, a grid worker) sees its subtree. */
    if ((actor->roles & CASE_WIDE_ROLES) && !region_bound)
        return 1;
    return (actor->roles & ROLE_STAFF) && in_region;
}

int case_last_event(struct store_conn *c, int64_t *out, struct err *err)
{
    return store_one_i64(c, "SELECT coalesce(max(id), 0) FROM case_events", STORE_NO_ARGS, out,
                         err);
}

int case_last_id(struct store_conn *c, int64_t *out, struct err *err)
{
    return store_one_i64(c, "SELECT coalesce(max(id), 0) FROM cases", STORE_NO_ARGS, out, err);
}

int case_count_rows(struct store_conn *c, int64_t *cases, int64_t *events, struct err *err)
{
    int rc = store_one_i64(c, "SELECT count(*) FROM cases", STORE_NO_ARGS, cases, err);
    if (rc >= 0)
        rc = store_one_i64(c, "SELECT count(*) FROM case_events", STORE_NO_ARGS, events, err);
    return rc < 0 ? rc : 0;
}

struct open_scan {
    case_open_fn *fn;
    void *ctx;
};

/* The columns open_row() reads, for the scans below. */
#define OPEN_SELECT                                                                                \
    "SELECT id, created_at, lat IS NOT NULL, coalesce(lat, 0), coalesce(lon, 0), title,"           \
    " description, address, coalesce(category_id, triage_category_id, 0) FROM cases WHERE "

static int open_row(void *ctx, struct store_stmt *s)
{
    struct open_scan *scan = ctx;
    struct case_open o = {
        .id = store_col_int(s, 0),
        .created_at = store_col_int(s, 1),
        .has_location = (int)store_col_int(s, 2),
        .lat = store_col_real(s, 3),
        .lon = store_col_real(s, 4),
        .title = store_col_text(s, 5),
        .description = store_col_text(s, 6),
        .address = store_col_text(s, 7),
        .category_id = store_col_int(s, 8),
    };
    scan->fn(scan->ctx, &o);
    return 0;
}

/* Ids per statement of case_scan_open(): PostgreSQL hands a statement's whole result to the
 * client at once (libpq keeps every row in memory until the result is freed), so one statement
 * over 374,016 open cases of ~1 KB of text held ~600 MB while the index was built beside it,
 * and the server served at 956 MB RSS afterwards (10,000,000 cases, docs/benchmarks.md). */
#define OPEN_SCAN_IDS 20000

int case_scan_open(struct store_conn *c, int64_t since, case_open_fn *fn, void *ctx,
                   struct err *err)
{
    struct open_scan scan = {fn, ctx};
    int64_t first = 0, last = 0, rc;
    /* The ids the window's cases lie between, then its open cases a range of ids at a time,
     * by the primary key. 'id + 0': the smallest id of the window is read through the date's
     * index; as min(id) PostgreSQL may walk the primary key from the oldest case instead,
     * expecting a window's case early on. */
    if ((rc = store_one_i64(c, "SELECT coalesce(min(id + 0), 0) FROM cases WHERE created_at >= ?",
                            STORE_ARGS(store_i64(since)), &first, err)) < 0 ||
        (rc = case_last_id(c, &last, err)) < 0)
        return (int)rc;
    for (int64_t lo = first; first > 0 && lo <= last; lo += OPEN_SCAN_IDS) {
        int64_t hi = lo + OPEN_SCAN_IDS - 1;
        rc = store_all(c,
                       OPEN_SELECT "id BETWEEN ? AND ? AND created_at >= ?"
                                   " AND state NOT IN ('closed', 'cancelled', 'merged')",
                       STORE_ARGS(store_i64(lo), store_i64(hi), store_i64(since)), open_row, &scan,
                       err);
        if (rc < 0)
            return (int)rc;
    }
    return 0;
}

int case_scan_open_ids(struct store_conn *c, int64_t first_id, int64_t last_id, case_open_fn *fn,
                       void *ctx, struct err *err)
{
    struct open_scan scan = {fn, ctx};
    int64_t rc = store_all(
        c, OPEN_SELECT "id BETWEEN ? AND ? AND state NOT IN ('closed', 'cancelled', 'merged')",
        STORE_ARGS(store_i64(first_id), store_i64(last_id)), open_row, &scan, err);
    return rc < 0 ? (int)rc : 0;
}

int case_reply_reused(struct store_conn *c, int64_t case_id, int64_t since, int64_t *cases,
                      int64_t *departments, struct err *err)
{
    struct store_stmt *s;
    *cases = *departments = 0;
    int rc = store_prepare(
        c,
        "SELECT count(DISTINCT o.case_id), count(DISTINCT o.department_id) FROM reply_prints o"
        " WHERE o.print = (SELECT p.print FROM reply_prints p WHERE p.case_id = ?"
        " ORDER BY p.id DESC LIMIT 1) AND o.at >= ? AND o.case_id <> ?",
        STORE_ARGS(store_i64(case_id), store_i64(since), store_i64(case_id)), &s, err);
    if (rc < 0)
        return rc;
    if ((rc = store_step(s, err)) == 1) {
        *cases = store_col_int(s, 0);
        *departments = store_col_int(s, 1);
    }
    store_done(s);
    return rc < 0 ? rc : 0;
}
