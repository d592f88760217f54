/*
 * The city operation index: areas, the computation, the history (opindex.h).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "opindex/opindex.h"
#include "store/store.h"

/* ---------------------------------------------------------------- areas */

typedef VEC(struct opindex_area) area_vec;

static int read_area(void *ctx, struct store_stmt *s)
{
    area_vec *v = ctx;
    struct opindex_area *x = vec_push(v);
    x->code = arena_strdup(v->arena, store_col_text(s, 0));
    x->name = arena_strdup(v->arena, store_col_text(s, 1));
    x->weight = store_col_real(s, 2);
    x->categories = arena_strdup(v->arena, store_col_text(s, 3));
    x->device_types = arena_strdup(v->arena, store_col_text(s, 4));
    x->position = (int)store_col_int(s, 5);
    return 0;
}

int opindex_area_list(struct store_conn *c, struct arena *a, struct opindex_area **out, size_t *n,
                      struct err *err)
{
    area_vec v = VEC_IN(a);
    int64_t rc = store_all(c,
                           "SELECT code, name, weight, categories, device_types, position"
                           " FROM opindex_areas ORDER BY position, code",
                           STORE_NO_ARGS, read_area, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n < OPINDEX_AREAS_MAX ? v.n : OPINDEX_AREAS_MAX;
    return 0;
}

/* A comma-separated list of [0-9a-z_] words (empty allowed), at most 200 bytes. */
static int list_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > 200)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        int word = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || ch == '_';
        if (!word && !(ch == ',' && i > 0 && i + 1 < n && s[i - 1] != ','))
            return 0;
    }
    return 1;
}

int opindex_area_set(struct store_conn *c, const struct opindex_area *in, int64_t now,
                     struct err *err)
{
    if (!isfinite(in->weight) || in->weight < 0 || in->weight > 100)
        return err_field(err, ERR_BAD_REQUEST, "weight", "field 'weight' must be 0 to 100");
    if (!list_ok(in->categories))
        return err_field(err, ERR_BAD_REQUEST, "categories",
                         "field 'categories' lists category codes separated by commas");
    if (!list_ok(in->device_types))
        return err_field(err, ERR_BAD_REQUEST, "device_types",
                         "field 'device_types' lists device types separated by commas");
    int64_t n = store_run(c,
                          "UPDATE opindex_areas SET weight = ?, categories = ?, device_types = ?,"
                          " updated_at = ? WHERE code = ?",
                          STORE_ARGS(store_real(in->weight), store_text(in->categories),
                                     store_text(in->device_types), store_i64(now),
                                     store_text(in->code ? in->code : "")),
                          err);
    if (n < 0)
        return (int)n;
    return n ? 0 : err_field(err, ERR_NOT_FOUND, "code", "no area '%s'", in->code ? in->code : "");
}

/* ---------------------------------------------------------------- computing */

/* Does 'value' start with one of the comma-separated prefixes of 'list' (exactly equal for
 * device types: 'exact')? */
static int in_list(const char *list, const char *value, int exact)
{
    const char *p = list;
    size_t vn = strlen(value);
    while (p && *p) {
        size_t n = strcspn(p, ",");
        if (n && (exact ? n == vn && strncmp(p, value, n) == 0 : strncmp(p, value, n) == 0))
            return 1;
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

struct compute {
    struct opindex_result *r;
    const struct opindex_area *areas;
};

static int read_cases(void *ctx, struct store_stmt *s)
{
    struct compute *q = ctx;
    const char *code = store_col_text(s, 0);
    for (size_t i = 0; i < q->r->nparts; i++) {
        if (!in_list(q->areas[i].categories, code, 0))
            continue;
        struct opindex_part *p = &q->r->parts[i];
        p->recent += store_col_int(s, 1);
        p->expected += (double)store_col_int(s, 2) / OPINDEX_BASELINE_DAYS;
        p->open += store_col_int(s, 3);
        p->overdue += store_col_int(s, 4);
    }
    return 0;
}

static int read_warnings(void *ctx, struct store_stmt *s)
{
    struct compute *q = ctx;
    const char *code = store_col_text(s, 0), *type = store_col_text(s, 1);
    const char *level = store_col_text(s, 2);
    int points = strcmp(level, "high") == 0 ? 3 : strcmp(level, "medium") == 0 ? 2 : 1;
    for (size_t i = 0; i < q->r->nparts; i++)
        if ((*code && in_list(q->areas[i].categories, code, 0)) ||
            (*type && in_list(q->areas[i].device_types, type, 1)))
            q->r->parts[i].warning_points += points;
    return 0;
}

static int read_breaches(void *ctx, struct store_stmt *s)
{
    struct compute *q = ctx;
    const char *type = store_col_text(s, 0);
    for (size_t i = 0; i < q->r->nparts; i++)
        if (in_list(q->areas[i].device_types, type, 1))
            q->r->parts[i].breached += store_col_int(s, 1);
    return 0;
}

static double clamp(double v, double hi)
{
    return v < 0 ? 0 : v > hi ? hi : v;
}

int opindex_compute(struct store_conn *c, int64_t region_id, int64_t now, struct arena *a,
                    struct opindex_result *out, struct err *err)
{
    struct opindex_area *areas = NULL;
    size_t n = 0;
    char *code = NULL;
    int rc;
    memset(out, 0, sizeof(*out));
    out->region_id = region_id;
    out->at = now;
    if ((rc = opindex_area_list(c, a, &areas, &n, err)) < 0)
        return rc;
    if ((rc = store_one_text(c, "SELECT code FROM regions WHERE id = ?",
                             STORE_ARGS(store_i64(region_id)), a, &code, err)) < 0)
        return rc;
    if (rc == 0)
        return err_field(err, ERR_NOT_FOUND, "region", "region %lld does not exist",
                         (long long)region_id);
    out->nparts = n;
    for (size_t i = 0; i < n; i++) {
        out->parts[i].code = areas[i].code;
        out->parts[i].name = areas[i].name;
        out->parts[i].weight = areas[i].weight;
    }
    struct compute q = {out, areas};
    /* The subtree's codes lie in [code, code with its last digit raised) (as the case lists). */
    char *end = arena_strdup(a, code);
    end[strlen(end) - 1]++;
    int64_t day = now - 86400, since = now - (int64_t)(OPINDEX_BASELINE_DAYS + 1) * 86400;
    /* The region's subtree by code prefix (cases_region_created). */
    int64_t r = store_all(
        c,
        "SELECT k.code, sum(CASE WHEN c.created_at >= ? THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.created_at < ? THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.state NOT IN ('closed', 'cancelled', 'merged') THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.state NOT IN ('closed', 'cancelled', 'merged') AND c.overdue = 1"
        " THEN 1 ELSE 0 END) FROM cases c JOIN categories k ON k.id = c.category_id"
        " WHERE c.region_code >= ? AND c.region_code < ? AND c.created_at >= ? AND c.created_at < ?"
        " AND c.state NOT IN ('cancelled', 'merged') GROUP BY k.code",
        STORE_ARGS(store_i64(day), store_i64(day), store_text(code), store_text(end),
                   store_i64(since), store_i64(now)),
        read_cases, &q, err);
    if (r >= 0)
        r = store_all(c,
                      "SELECT coalesce(k.code, ''), coalesce(d.type, ''), w.level FROM warnings w"
                      " JOIN regions wr ON wr.id = w.region_id"
                      " LEFT JOIN categories k ON k.id = w.category_id"
                      " LEFT JOIN devices d ON d.id = w.device_id"
                      " WHERE w.status IN ('new', 'acknowledged')"
                      " AND substr(wr.code, 1, length(?)) = ?",
                      STORE_ARGS(store_text(code), store_text(code)), read_warnings, &q, err);
    if (r >= 0)
        r = store_all(c,
                      "SELECT d.type, count(*) FROM sensor_states s JOIN devices d"
                      " ON d.id = s.device_id JOIN regions dr ON dr.id = d.region_id"
                      " WHERE s.breached = 1 AND d.active = 1"
                      " AND substr(dr.code, 1, length(?)) = ? GROUP BY d.type",
                      STORE_ARGS(store_text(code), store_text(code)), read_breaches, &q, err);
    if (r < 0)
        return (int)r;
    double sum = 0, weights = 0;
    for (size_t i = 0; i < n; i++) {
        struct opindex_part *p = &out->parts[i];
        double load = p->recent > p->expected ? clamp(30.0 * ((double)p->recent - p->expected) /
                                                          (p->expected > 1 ? p->expected : 1),
                                                      40)
                                              : 0;
        double overdue = p->open ? 30.0 * (double)p->overdue / (double)p->open : 0;
        double pen = load + overdue + clamp(8.0 * (double)p->warning_points, 30) +
                     clamp(10.0 * (double)p->breached, 30);
        p->score = 100.0 - clamp(pen, 100);
        sum += p->weight * p->score;
        weights += p->weight;
    }
    out->score = weights > 0 ? sum / weights : 100;
    return 0;
}

static char *parts_json(const struct opindex_result *r)
{
    struct buf b;
    buf_init(&b);
    buf_putc(&b, '[');
    for (size_t i = 0; i < r->nparts; i++) {
        const struct opindex_part *p = &r->parts[i];
        buf_puts(&b, i ? ",{\"code\":" : "{\"code\":");
        buf_json_str(&b, p->code);
        buf_puts(&b, ",\"name\":");
        buf_json_str(&b, p->name);
        buf_printf(&b,
                   ",\"weight\":%.6g,\"score\":%.1f,\"recent\":%lld,\"expected\":%.2f,"
                   "\"open\":%lld,\"overdue\":%lld,\"warning_points\":%lld,\"breached\":%lld}",
                   p->weight, p->score, (long long)p->recent, p->expected, (long long)p->open,
                   (long long)p->overdue, (long long)p->warning_points, (long long)p->breached);
    }
    buf_putc(&b, ']');
    return b.p; /* the caller frees */
}

struct last {
    int found;
    int64_t at;
    double score;
};

static int read_last(void *ctx, struct store_stmt *s)
{
    struct last *l = ctx;
    l->found = 1;
    l->at = store_col_int(s, 0);
    l->score = store_col_real(s, 1);
    return 0;
}

typedef VEC(int64_t) id_vec;

static int read_id(void *ctx, struct store_stmt *s)
{
    id_vec *v = ctx;
    *(int64_t *)vec_push(v) = store_col_int(s, 0);
    return 0;
}

int opindex_refresh(struct store_conn *c, int64_t now, int *kept, struct err *err)
{
    struct arena a;
    id_vec ids;
    int rc = 0;
    *kept = 0;
    arena_init(&a, 8192);
    ids = (id_vec)VEC_IN(&a);
    int64_t r = store_all(c,
                          "SELECT id FROM regions WHERE level IN ('district', 'street')"
                          " ORDER BY code LIMIT 200",
                          STORE_NO_ARGS, read_id, &ids, err);
    if (r < 0) {
        rc = (int)r;
        goto out;
    }
    for (size_t i = 0; i < ids.n; i++) {
        struct opindex_result res;
        struct last l = {0};
        if ((rc = opindex_compute(c, ids.v[i], now, &a, &res, err)) < 0 ||
            (rc = store_one(c,
                            "SELECT at, score FROM opindex_history WHERE region_id = ?"
                            " ORDER BY at DESC LIMIT 1",
                            STORE_ARGS(store_i64(ids.v[i])), read_last, &l, err)) < 0)
            goto out;
        if (l.found && fabs(l.score - res.score) < OPINDEX_STEP && now - l.at < OPINDEX_KEEP_EVERY)
            continue;
        if (l.found && l.at >= now)
            continue; /* one row per second at most */
        char *json = parts_json(&res);
        r = store_run(
            c, "INSERT INTO opindex_history(region_id, at, score, areas) VALUES (?, ?, ?, ?)",
            STORE_ARGS(store_i64(ids.v[i]), store_i64(now), store_real(res.score),
                       store_text(json)),
            err);
        free(json);
        if (r < 0) {
            rc = (int)r;
            goto out;
        }
        (*kept)++;
    }
out:
    arena_release(&a);
    return rc;
}

typedef VEC(struct opindex_point) point_vec;

static int read_point(void *ctx, struct store_stmt *s)
{
    point_vec *v = ctx;
    struct opindex_point *p = vec_push(v);
    p->at = store_col_int(s, 0);
    p->score = store_col_real(s, 1);
    p->areas = arena_strdup(v->arena, store_col_text(s, 2));
    return 0;
}

int opindex_history(struct store_conn *c, int64_t region_id, int64_t since, struct arena *a,
                    struct opindex_point **out, size_t *n, struct err *err)
{
    point_vec v = VEC_IN(a);
    int64_t rc = store_all(c,
                           "SELECT at, score, areas FROM opindex_history WHERE region_id = ?"
                           " AND at >= ? ORDER BY at LIMIT 2000",
                           STORE_ARGS(store_i64(region_id), store_i64(since)), read_point, &v, err);
    if (rc < 0)
        return (int)rc;
    /* Only the last two keep their areas: the rest is the chart. */
    for (size_t i = 0; i + 2 < v.n; i++)
        v.v[i].areas = NULL;
    *out = v.v;
    *n = v.n;
    return 0;
}
