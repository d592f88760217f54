/*
 * Warnings: records, grouping, silences and the life cycle (warning.h).
 */
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "store/store.h"
#include "warning/warning.h"

static const char *const KINDS[WARNING_KIND_COUNT] = {"device_offline", "spike", "repeat", "risk"};
static const char *const LEVELS[WARNING_LEVEL_COUNT] = {"low", "medium", "high"};
static const char *const STATUSES[WARNING_STATUS_COUNT] = {"new", "acknowledged", "dispatched",
                                                           "dismissed"};
/* What a supervisor's notice says of each level. */
static const char *const LEVEL_WORDS[WARNING_LEVEL_COUNT] = {"低", "中", "高"};

static int index_of(const char *const *names, int n, const char *s)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

const char *warning_kind_name(enum warning_kind k)
{
    return (unsigned)k < WARNING_KIND_COUNT ? KINDS[k] : "?";
}
int warning_kind_from_name(const char *s)
{
    return index_of(KINDS, WARNING_KIND_COUNT, s);
}
const char *warning_level_name(enum warning_level l)
{
    return (unsigned)l < WARNING_LEVEL_COUNT ? LEVELS[l] : "?";
}
const char *warning_status_name(enum warning_status s)
{
    return (unsigned)s < WARNING_STATUS_COUNT ? STATUSES[s] : "?";
}
int warning_status_from_name(const char *s)
{
    return index_of(STATUSES, WARNING_STATUS_COUNT, s);
}

/* ---------------------------------------------------------------- raising */

static int silenced(struct store_conn *c, const struct warning_in *in, int64_t now, struct err *err)
{
    /* A silence with a region covers its subtree (by code prefix), and one with a category
     * covers only that category. */
    return store_one(c,
                     "SELECT 1 FROM warning_silences s LEFT JOIN regions sr ON sr.id = s.region_id"
                     " LEFT JOIN regions wr ON wr.id = ? WHERE s.kind = ? AND s.until > ?"
                     " AND (s.region_id IS NULL OR (wr.code IS NOT NULL"
                     " AND substr(wr.code, 1, length(sr.code)) = sr.code))"
                     " AND (s.category_id IS NULL OR s.category_id = ?)",
                     STORE_ARGS(store_i64(in->region_id), store_text(KINDS[in->kind]),
                                store_i64(now), store_i64(in->category_id)),
                     NULL, NULL, err);
}

/*
 * A region and the regions above it, as r0 (itself) to r4, by their parents: a region has at
 * most four above it (codes grow down the five levels: 6, 9 and 12 digits, a grid's suffix, a
 * micro-grid's '.', and each starts with its parent's, org_region_check_code), and r1..r4 are
 * NULL past the top. Five primary-key reads, where matching code prefixes read every open
 * warning of a kind or every supervisor (46 and 32 us an intake at 10 M cases with 160 spikes
 * open, docs/benchmarks.md).
 */
#define REGION_AND_ABOVE                                                                           \
    "regions r0 LEFT JOIN regions r1 ON r1.id = r0.parent_id"                                      \
    " LEFT JOIN regions r2 ON r2.id = r1.parent_id LEFT JOIN regions r3 ON r3.id = r2.parent_id"   \
    " LEFT JOIN regions r4 ON r4.id = r3.parent_id"
/* Active supervisors: the very terms of the partial index users_supervisors (migration 0077),
 * which the planners use only when the query repeats them. */
#define SUPERVISORS "u.active = 1 AND (',' || u.roles || ',') LIKE '%,supervisor,%'"

/* The supervisors bound to the warning's region or one above it; the group when none is. */
static int notify(struct store_conn *c, const struct warning_in *in, int64_t now, struct err *err)
{
    const char *message = NULL;
    char buf[512];
    snprintf(buf, sizeof(buf), "%s预警：%s", LEVEL_WORDS[in->level], in->title);
    message = buf;
    int64_t told = 0;
    if (in->region_id) {
        told = store_run(
            c,
            "INSERT INTO notifications(case_id, event_id, created_at, recipient_kind, recipient_id,"
            " kind, message, next_attempt_at) SELECT NULL, NULL, ?, 'user', u.id, 'warning', ?, ?"
            " FROM " REGION_AND_ABOVE " JOIN users u ON u.region_id IN (r0.id, r1.id, r2.id,"
            " r3.id, r4.id) WHERE r0.id = ? AND " SUPERVISORS,
            STORE_ARGS(store_i64(now), store_text(message), store_i64(now),
                       store_i64(in->region_id)),
            err);
        if (told < 0)
            return (int)told;
    }
    if (told > 0)
        return 0;
    int64_t r = store_run(c,
                          "INSERT INTO notifications(case_id, event_id, created_at, recipient_kind,"
                          " recipient_id, kind, message, next_attempt_at)"
                          " VALUES (NULL, NULL, ?, 'supervisors', NULL, 'warning', ?, ?)",
                          STORE_ARGS(store_i64(now), store_text(message), store_i64(now)), err);
    return r < 0 ? (int)r : 0;
}

int warning_raise(struct store_conn *c, const struct warning_in *in, int64_t now, int64_t *id,
                  enum warning_outcome *outcome, struct err *err)
{
    int rc;
    *id = 0;
    if ((unsigned)in->kind >= WARNING_KIND_COUNT || (unsigned)in->level >= WARNING_LEVEL_COUNT)
        return err_set(err, ERR_INTERNAL, "a warning of unknown kind or level");
    if ((rc = silenced(c, in, now, err)) < 0)
        return rc;
    if (rc == 1) {
        *outcome = WARNING_SILENCED;
        return 0;
    }
    /* The open warning of the group takes the repeat. On SQLite found first, then updated by
     * its id: SQLite answers an UPDATE's RETURNING through a temporary B-tree built and
     * dropped per execution, and every repeat intake of an unsolved chain comes here. The
     * write lock is held (a write transaction), so nothing changes in between. PostgreSQL:
     * one statement, one round trip. */
#define GROUP_SET                                                                                  \
    "UPDATE warnings SET count = count + 1, last_at = ?, evidence = ?,"                            \
    " title = ?, level = CASE WHEN ? = 'high' OR level = 'high' THEN 'high'"                       \
    " WHEN ? = 'medium' OR level = 'medium' THEN 'medium' ELSE 'low' END, updated_at = ?"
#define GROUP_OPEN "group_key = ? AND status IN ('new', 'acknowledged')"
    if (store_dialect(c) == STORE_SQLITE) {
        if ((rc = store_one_i64(c, "SELECT id FROM warnings WHERE " GROUP_OPEN,
                                STORE_ARGS(store_text(in->group_key)), id, err)) < 0)
            return rc;
        if (rc == 1) {
            int64_t n =
                store_run(c, GROUP_SET " WHERE id = ?",
                          STORE_ARGS(store_i64(now), store_text(in->evidence),
                                     store_text(in->title), store_text(LEVELS[in->level]),
                                     store_text(LEVELS[in->level]), store_i64(now), store_i64(*id)),
                          err);
            if (n < 0)
                return (int)n;
        }
    } else if ((rc = store_one_i64(c, GROUP_SET " WHERE " GROUP_OPEN " RETURNING id",
                                   STORE_ARGS(store_i64(now), store_text(in->evidence),
                                              store_text(in->title), store_text(LEVELS[in->level]),
                                              store_text(LEVELS[in->level]), store_i64(now),
                                              store_text(in->group_key)),
                                   id, err)) < 0) {
        return rc;
    }
#undef GROUP_SET
#undef GROUP_OPEN
    if (rc == 1) {
        *outcome = WARNING_GROUPED;
        return 0;
    }
    if ((rc = store_one_i64(
             c,
             "INSERT INTO warnings(kind, level, status, group_key, title, evidence, region_id,"
             " category_id, device_id, case_id, lat, lon, count, first_at, last_at, created_at,"
             " updated_at) VALUES (?, ?, 'new', ?, ?, ?, nullif(?, 0), nullif(?, 0), nullif(?, 0),"
             " nullif(?, 0), ?, ?, 1, ?, ?, ?, ?) RETURNING id",
             STORE_ARGS(store_text(KINDS[in->kind]), store_text(LEVELS[in->level]),
                        store_text(in->group_key), store_text(in->title), store_text(in->evidence),
                        store_i64(in->region_id), store_i64(in->category_id),
                        store_i64(in->device_id), store_i64(in->case_id),
                        in->has_location ? store_real(in->lat) : store_null(),
                        in->has_location ? store_real(in->lon) : store_null(), store_i64(now),
                        store_i64(now), store_i64(now), store_i64(now)),
             id, err)) < 0)
        return rc;
    *outcome = WARNING_NEW;
    return notify(c, in, now, err);
}

/* ---------------------------------------------------------------- reading */

#define WARNING_COLS                                                                               \
    "SELECT w.id, w.kind, w.level, w.status, w.group_key, w.title, w.evidence, w.reason,"          \
    " coalesce(w.region_id, 0), coalesce(w.category_id, 0), coalesce(w.device_id, 0),"             \
    " coalesce(w.case_id, 0), coalesce(r.name, ''), coalesce(k.name, ''), coalesce(d.code, ''),"   \
    " coalesce(cs.number, ''), coalesce(nullif(u.display_name, ''), u.name, ''),"                  \
    " CASE WHEN w.lat IS NULL THEN 0 ELSE 1 END, coalesce(w.lat, 0), coalesce(w.lon, 0),"          \
    " w.count, w.first_at, w.last_at, coalesce(w.handled_by, 0), coalesce(w.handled_at, 0),"       \
    " w.created_at, w.updated_at FROM warnings w LEFT JOIN regions r ON r.id = w.region_id"        \
    " LEFT JOIN categories k ON k.id = w.category_id LEFT JOIN devices d ON d.id = w.device_id"    \
    " LEFT JOIN cases cs ON cs.id = w.case_id LEFT JOIN users u ON u.id = w.handled_by "

typedef VEC(struct warning) warning_vec;

struct warning_read {
    warning_vec *v;
    struct warning *one;
    struct arena *a;
};

static int read_warning(void *ctx, struct store_stmt *s)
{
    struct warning_read *q = ctx;
    struct warning *w = q->one ? q->one : vec_push(q->v);
    struct arena *a = q->a;
    w->id = store_col_int(s, 0);
    w->kind = (enum warning_kind)index_of(KINDS, WARNING_KIND_COUNT, store_col_text(s, 1));
    w->level = (enum warning_level)index_of(LEVELS, WARNING_LEVEL_COUNT, store_col_text(s, 2));
    w->status = (enum warning_status)index_of(STATUSES, WARNING_STATUS_COUNT, store_col_text(s, 3));
    w->group_key = arena_strdup(a, store_col_text(s, 4));
    w->title = arena_strdup(a, store_col_text(s, 5));
    w->evidence = arena_strdup(a, store_col_text(s, 6));
    w->reason = arena_strdup(a, store_col_text(s, 7));
    w->region_id = store_col_int(s, 8);
    w->category_id = store_col_int(s, 9);
    w->device_id = store_col_int(s, 10);
    w->case_id = store_col_int(s, 11);
    w->region_name = arena_strdup(a, store_col_text(s, 12));
    w->category_name = arena_strdup(a, store_col_text(s, 13));
    w->device_code = arena_strdup(a, store_col_text(s, 14));
    w->case_number = arena_strdup(a, store_col_text(s, 15));
    w->handled_by_name = arena_strdup(a, store_col_text(s, 16));
    w->has_location = store_col_int(s, 17) != 0;
    w->lat = store_col_real(s, 18);
    w->lon = store_col_real(s, 19);
    w->count = store_col_int(s, 20);
    w->first_at = store_col_int(s, 21);
    w->last_at = store_col_int(s, 22);
    w->handled_by = store_col_int(s, 23);
    w->handled_at = store_col_int(s, 24);
    w->created_at = store_col_int(s, 25);
    w->updated_at = store_col_int(s, 26);
    return 0;
}

/* The filter's WHERE, shared by the page and its total. */
#define WARNING_WHERE                                                                              \
    " WHERE (? = -1 OR (? = 100 AND w.status IN ('new', 'acknowledged')) OR w.status = ?)"         \
    " AND (? = '' OR w.kind = ?)"                                                                  \
    " AND (? = 0 OR EXISTS (SELECT 1 FROM regions s WHERE s.id = ? AND r.code IS NOT NULL"         \
    " AND substr(r.code, 1, length(s.code)) = s.code))"                                            \
    " AND (? = '' OR (r.code IS NOT NULL AND substr(r.code, 1, length(?)) = ?))"

int warning_list(struct store_conn *c, const struct warning_filter *f, struct arena *a,
                 struct warning **out, size_t *n, int64_t *total, struct err *err)
{
    warning_vec v = VEC_IN(a);
    struct warning_read q = {&v, NULL, a};
    const char *status =
        f->status >= 0 && f->status < WARNING_STATUS_COUNT ? STATUSES[f->status] : "";
    const char *kind = f->kind >= 0 && f->kind < WARNING_KIND_COUNT ? KINDS[f->kind] : "";
    const char *scope = f->region_code ? f->region_code : "";
#define WARNING_ARGS                                                                               \
    store_i64(f->status), store_i64(f->status), store_text(status), store_text(kind),              \
        store_text(kind), store_i64(f->region_id), store_i64(f->region_id), store_text(scope),     \
        store_text(scope), store_text(scope)
    int64_t rc = store_all(c,
                           WARNING_COLS WARNING_WHERE
                           " AND (? = 0 OR w.id < ?) ORDER BY CASE w.status WHEN 'new'"
                           " THEN 0 WHEN 'acknowledged' THEN 1 ELSE 2 END, w.id DESC LIMIT ?",
                           STORE_ARGS(WARNING_ARGS, store_i64(f->before), store_i64(f->before),
                                      store_i64(f->limit > 0 ? f->limit : 100)),
                           read_warning, &q, err);
    if (rc < 0)
        return (int)rc;
    if ((rc = store_one_i64(c,
                            "SELECT count(*) FROM warnings w LEFT JOIN regions r ON r.id ="
                            " w.region_id" WARNING_WHERE,
                            STORE_ARGS(WARNING_ARGS), total, err)) < 0)
        return (int)rc;
#undef WARNING_ARGS
    *out = v.v;
    *n = v.n;
    return 0;
}

int warning_get(struct store_conn *c, int64_t id, struct arena *a, struct warning *out,
                struct err *err)
{
    struct warning_read q = {NULL, out, a};
    int rc = store_one(c, WARNING_COLS "WHERE w.id = ?", STORE_ARGS(store_i64(id)), read_warning,
                       &q, err);
    if (rc < 0)
        return rc;
    return rc ? 0 : err_set(err, ERR_NOT_FOUND, "warning %lld does not exist", (long long)id);
}

/* The region and the regions above it, nearest first; 0 past the top. */
struct chain {
    int64_t id[5];
};

static int read_chain(void *ctx, struct store_stmt *s)
{
    struct chain *ch = ctx;
    for (int i = 0; i < 5; i++)
        ch->id[i] = store_col_int(s, i);
    return 0;
}

int warning_open_in(struct store_conn *c, enum warning_kind kind, int64_t region_id, int64_t *id,
                    struct err *err)
{
    /* Every intake with a risk asks this, and nearly always nothing is open. On SQLite the one
     * statement joining the region chain to warnings built a temporary B-tree for each IN list
     * (an IN list that drives an index is read from one, even of two values) and one to sort:
     * 159,000 instructions a case, 4.6 % of an intake's. Equalities on the (kind, status,
     * region_id) index build none: whether any is open at all, then the chain, then a probe a
     * region and state, nearest region first (docs/benchmarks.md, "Temporary B-trees"). */
    static const char *const OPEN[] = {"new", "acknowledged"};
    int rc = 0, any = 0;
    *id = 0;
    /* PostgreSQL tests IN lists in place, and each statement more is a round trip: one. */
    if (store_dialect(c) == STORE_POSTGRESQL) {
        rc = store_one_i64(c,
                           "SELECT w.id FROM " REGION_AND_ABOVE
                           " JOIN warnings w ON w.kind = ? AND w.status IN ('new', 'acknowledged')"
                           " AND w.region_id IN (r0.id, r1.id, r2.id, r3.id, r4.id)"
                           " WHERE r0.id = ? ORDER BY CASE w.region_id WHEN r0.id THEN 0"
                           " WHEN r1.id THEN 1 WHEN r2.id THEN 2 WHEN r3.id THEN 3 ELSE 4 END,"
                           " w.id LIMIT 1",
                           STORE_ARGS(store_text(KINDS[kind]), store_i64(region_id)), id, err);
        return rc < 0 ? rc : 0;
    }
    for (int s = 0; s < 2 && rc >= 0; s++)
        if ((rc = store_one(c, "SELECT 1 FROM warnings WHERE kind = ? AND status = ? LIMIT 1",
                            STORE_ARGS(store_text(KINDS[kind]), store_text(OPEN[s])), NULL, NULL,
                            err)) > 0)
            any = 1;
    if (rc < 0 || !any)
        return rc < 0 ? rc : 0;
    struct chain ch = {{0}};
    rc = store_one(c,
                   "SELECT r0.id, coalesce(r1.id, 0), coalesce(r2.id, 0), coalesce(r3.id, 0),"
                   " coalesce(r4.id, 0) FROM " REGION_AND_ABOVE " WHERE r0.id = ?",
                   STORE_ARGS(store_i64(region_id)), read_chain, &ch, err);
    for (int i = 0; rc >= 0 && i < 5 && ch.id[i] && !*id; i++)
        for (int s = 0; s < 2 && rc >= 0; s++) {
            int64_t w = 0;
            rc = store_one_i64(
                c,
                "SELECT coalesce(min(id), 0) FROM warnings WHERE kind = ?"
                " AND status = ? AND region_id = ?",
                STORE_ARGS(store_text(KINDS[kind]), store_text(OPEN[s]), store_i64(ch.id[i])), &w,
                err);
            if (w && (!*id || w < *id))
                *id = w; /* the oldest open one of the region */
        }
    return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- the life cycle */

static int move(struct store_conn *c, int64_t id, const char *from_sql, const char *to,
                int64_t user_id, int64_t case_id, const char *reason, int64_t now, struct err *err)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "UPDATE warnings SET status = ?, handled_by = nullif(?, 0), handled_at = ?,"
             " case_id = coalesce(nullif(?, 0), case_id), reason = ?, updated_at = ?"
             " WHERE id = ? AND status IN (%s)",
             from_sql);
    int64_t n =
        store_run(c, sql,
                  STORE_ARGS(store_text(to), store_i64(user_id), store_i64(now), store_i64(case_id),
                             store_text(reason ? reason : ""), store_i64(now), store_i64(id)),
                  err);
    if (n < 0)
        return (int)n;
    if (n == 1)
        return 0;
    struct arena a;
    struct warning w;
    arena_init(&a, 1024);
    int rc = warning_get(c, id, &a, &w, err);
    if (rc == 0)
        rc = err_set(err, ERR_CONFLICT, "warning %lld is %s already", (long long)id,
                     warning_status_name(w.status));
    arena_release(&a);
    return rc;
}

int warning_acknowledge(struct store_conn *c, int64_t id, int64_t user_id, int64_t now,
                        struct err *err)
{
    return move(c, id, "'new'", "acknowledged", user_id, 0, NULL, now, err);
}

int warning_dismiss(struct store_conn *c, int64_t id, int64_t user_id, const char *reason,
                    int64_t now, struct err *err)
{
    if (!reason || !*reason || utf8_invalid_at(reason, strlen(reason)) >= 0 ||
        utf8_len(reason) > WARNING_REASON_MAX)
        return err_field(err, ERR_BAD_REQUEST, "reason",
                         "field 'reason' must say why, in 1 to %d characters", WARNING_REASON_MAX);
    return move(c, id, "'new', 'acknowledged'", "dismissed", user_id, 0, reason, now, err);
}

int warning_dispatched(struct store_conn *c, int64_t id, int64_t user_id, int64_t case_id,
                       int64_t now, struct err *err)
{
    return move(c, id, "'new', 'acknowledged'", "dispatched", user_id, case_id, NULL, now, err);
}

/* ---------------------------------------------------------------- silences */

int warning_silence_add(struct store_conn *c, const struct warning_silence *s, int64_t now,
                        int64_t *id, struct err *err)
{
    if ((unsigned)s->kind >= WARNING_KIND_COUNT)
        return err_field(err, ERR_BAD_REQUEST, "kind", "unknown kind of warning");
    if (s->until <= now || s->until > now + (int64_t)WARNING_SILENCE_MAX_DAYS * 86400)
        return err_field(err, ERR_BAD_REQUEST, "until",
                         "field 'until' must be in the future and at most %d days ahead",
                         WARNING_SILENCE_MAX_DAYS);
    if (!s->reason || !*s->reason || utf8_invalid_at(s->reason, strlen(s->reason)) >= 0 ||
        utf8_len(s->reason) > WARNING_REASON_MAX)
        return err_field(err, ERR_BAD_REQUEST, "reason",
                         "field 'reason' must say why, in 1 to %d characters", WARNING_REASON_MAX);
    int rc;
    if (s->region_id && (rc = store_one(c, "SELECT 1 FROM regions WHERE id = ?",
                                        STORE_ARGS(store_i64(s->region_id)), NULL, NULL, err)) <= 0)
        return rc < 0 ? rc
                      : err_field(err, ERR_BAD_REQUEST, "region_id", "region %lld does not exist",
                                  (long long)s->region_id);
    if (s->category_id &&
        (rc = store_one(c, "SELECT 1 FROM categories WHERE id = ?",
                        STORE_ARGS(store_i64(s->category_id)), NULL, NULL, err)) <= 0)
        return rc < 0 ? rc
                      : err_field(err, ERR_BAD_REQUEST, "category_id",
                                  "category %lld does not exist", (long long)s->category_id);
    rc = store_one_i64(c,
                       "INSERT INTO warning_silences(kind, region_id, category_id, until, reason,"
                       " created_by, created_at) VALUES (?, nullif(?, 0), nullif(?, 0), ?, ?,"
                       " nullif(?, 0), ?) RETURNING id",
                       STORE_ARGS(store_text(KINDS[s->kind]), store_i64(s->region_id),
                                  store_i64(s->category_id), store_i64(s->until),
                                  store_text(s->reason), store_i64(s->created_by), store_i64(now)),
                       id, err);
    return rc < 0 ? rc : 0;
}

typedef VEC(struct warning_silence) silence_vec;

static int read_silence(void *ctx, struct store_stmt *s)
{
    silence_vec *v = ctx;
    struct warning_silence *x = vec_push(v);
    x->id = store_col_int(s, 0);
    x->kind = (enum warning_kind)index_of(KINDS, WARNING_KIND_COUNT, store_col_text(s, 1));
    x->region_id = store_col_int(s, 2);
    x->category_id = store_col_int(s, 3);
    x->until = store_col_int(s, 4);
    x->reason = arena_strdup(v->arena, store_col_text(s, 5));
    x->created_by = store_col_int(s, 6);
    x->created_at = store_col_int(s, 7);
    x->region_name = arena_strdup(v->arena, store_col_text(s, 8));
    x->category_name = arena_strdup(v->arena, store_col_text(s, 9));
    return 0;
}

int warning_silence_list(struct store_conn *c, int64_t now, struct arena *a,
                         struct warning_silence **out, size_t *n, struct err *err)
{
    silence_vec v = VEC_IN(a);
    int64_t rc = store_all(
        c,
        "SELECT s.id, s.kind, coalesce(s.region_id, 0), coalesce(s.category_id, 0), s.until,"
        " s.reason, coalesce(s.created_by, 0), s.created_at, coalesce(r.name, ''),"
        " coalesce(k.name, '') FROM warning_silences s LEFT JOIN regions r ON r.id = s.region_id"
        " LEFT JOIN categories k ON k.id = s.category_id WHERE s.until > ? ORDER BY s.until",
        STORE_ARGS(store_i64(now)), read_silence, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

int warning_silence_end(struct store_conn *c, int64_t id, int64_t now, struct err *err)
{
    int64_t n = store_run(c, "UPDATE warning_silences SET until = ? WHERE id = ? AND until > ?",
                          STORE_ARGS(store_i64(now), store_i64(id), store_i64(now)), err);
    if (n < 0)
        return (int)n;
    return n ? 0 : err_set(err, ERR_NOT_FOUND, "silence %lld is not in force", (long long)id);
}
