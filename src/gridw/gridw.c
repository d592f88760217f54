/*
 * Grid workers: the record, its grids, skills and shifts, the position their phone reports
 * and the on-duty test.
 */
#include "gridw/gridw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/err.h"
#include "core/mem.h"
#include "org/org.h"
#include "store/store.h"

const char *const gridw_posts[] = {"full_time",           "part_time", "grid_leader",
                                   "community_secretary", "volunteer", NULL};

/* Cases that still need their assignee: not answered, closed, cancelled or merged. */
#define OPEN_LOAD                                                                                  \
    "(SELECT count(*) FROM cases k WHERE k.assignee_id = w.user_id"                                \
    " AND k.state NOT IN ('replied', 'closed', 'cancelled', 'merged'))"

#define WORKER_COLS                                                                                \
    "w.user_id, u.name, u.display_name, w.post, w.active, w.max_load, w.last_lat, w.last_lon,"     \
    " w.last_fix_at, w.created_at, w.updated_at, " OPEN_LOAD

double gridw_distance_m(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371008.8, d2r = M_PI / 180.0;
    double dlat = (lat2 - lat1) * d2r, dlon = (lon2 - lon1) * d2r;
    double h = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * d2r) * cos(lat2 * d2r) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * r * asin(sqrt(h < 1 ? h : 1));
}

int gridw_on_duty(const struct gridw_shift *s, size_t n, int64_t t)
{
    int64_t local = t + (int64_t)GRIDW_UTC_OFFSET_MIN * 60;
    int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
    int minute = (int)((local - days * 86400) / 60);
    /* 1970-01-01 was a Thursday (4). */
    int weekday = (int)(((days % 7) + 7 + 3) % 7) + 1;
    for (size_t i = 0; i < n; i++)
        if (s[i].weekday == weekday && minute >= s[i].start_min && minute < s[i].end_min)
            return 1;
    return 0;
}

static int check_post(const char *post, struct err *err)
{
    for (size_t i = 0; gridw_posts[i]; i++)
        if (strcmp(post, gridw_posts[i]) == 0)
            return 0;
    return err_field(err, ERR_BAD_REQUEST, "post",
                     "post '%s' is not one of full_time, part_time, grid_leader, "
                     "community_secretary, volunteer",
                     post);
}

static int check_shifts(const struct gridw_shift *s, size_t n, struct err *err)
{
    if (n > GRIDW_SHIFTS_MAX)
        return err_field(err, ERR_BAD_REQUEST, "shifts", "more than %d shifts", GRIDW_SHIFTS_MAX);
    for (size_t i = 0; i < n; i++) {
        if (s[i].weekday < 1 || s[i].weekday > 7)
            return err_field(err, ERR_BAD_REQUEST, "shifts",
                             "shift %zu: weekday must be 1 (Monday) to 7 (Sunday)", i + 1);
        if (s[i].start_min < 0 || s[i].start_min > 1439 || s[i].end_min <= s[i].start_min ||
            s[i].end_min > 1440)
            return err_field(err, ERR_BAD_REQUEST, "shifts",
                             "shift %zu: start must be 0..1439 minutes and end after it, at most "
                             "1440",
                             i + 1);
        for (size_t j = 0; j < i; j++)
            if (s[j].weekday == s[i].weekday && s[j].start_min < s[i].end_min &&
                s[i].start_min < s[j].end_min)
                return err_field(err, ERR_BAD_REQUEST, "shifts",
                                 "shifts %zu and %zu overlap on weekday %d", j + 1, i + 1,
                                 s[i].weekday);
    }
    return 0;
}

struct region_row {
    char code[ORG_CODE_MAX + 1];
    char level[16];
};

static int read_region_row(void *ctx, struct store_stmt *row)
{
    struct region_row *r = ctx;
    snprintf(r->code, sizeof(r->code), "%s", store_col_text(row, 0));
    snprintf(r->level, sizeof(r->level), "%s", store_col_text(row, 1));
    return 0;
}

struct user_row {
    char roles[128];
    int active;
    char scope[ORG_CODE_MAX + 1];
};

static int read_user_row(void *ctx, struct store_stmt *row)
{
    struct user_row *u = ctx;
    snprintf(u->roles, sizeof(u->roles), "%s", store_col_text(row, 0));
    u->active = store_col_int(row, 1) != 0;
    snprintf(u->scope, sizeof(u->scope), "%s",
             store_col_is_null(row, 2) ? "" : store_col_text(row, 2));
    return 0;
}

static int check_grids(struct store_conn *c, const struct gridw_worker_in *in,
                       const char *worker_scope, const char *caller_scope, struct err *err)
{
    if (in->ngrids == 0)
        return err_field(err, ERR_BAD_REQUEST, "grid_ids",
                         "a grid worker serves at least one grid");
    if (in->ngrids > GRIDW_GRIDS_MAX)
        return err_field(err, ERR_BAD_REQUEST, "grid_ids", "more than %d grids", GRIDW_GRIDS_MAX);
    for (size_t i = 0; i < in->ngrids; i++) {
        struct region_row r;
        int rc = store_one(c, "SELECT code, level FROM regions WHERE id = ?",
                           STORE_ARGS(store_i64(in->grid_ids[i])), read_region_row, &r, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return err_field(err, ERR_BAD_REQUEST, "grid_ids", "region %lld not found",
                             (long long)in->grid_ids[i]);
        if (strcmp(r.level, "grid") != 0 && strcmp(r.level, "micro") != 0)
            return err_field(err, ERR_BAD_REQUEST, "grid_ids",
                             "region '%s' is a %s, not a grid or micro-grid", r.code, r.level);
        /* A micro-grid's code extends its grid's, so a prefix test covers it too. */
        if (worker_scope[0] && !org_region_code_in_subtree(r.code, worker_scope) &&
            strncmp(r.code, worker_scope, strlen(worker_scope)) != 0)
            return err_field(err, ERR_BAD_REQUEST, "grid_ids",
                             "grid '%s' is outside the worker's region '%s'", r.code, worker_scope);
        if (caller_scope && caller_scope[0] && !org_region_code_in_subtree(r.code, caller_scope) &&
            strncmp(r.code, caller_scope, strlen(caller_scope)) != 0) {
            int deny = err_deny(err, ERR_REASON_SCOPE, "grid '%s' is outside your region '%s'",
                                r.code, caller_scope);
            if (err)
                snprintf(err->field, sizeof(err->field), "grid_ids");
            return deny;
        }
        for (size_t j = 0; j < i; j++)
            if (in->grid_ids[j] == in->grid_ids[i])
                return err_field(err, ERR_BAD_REQUEST, "grid_ids", "grid '%s' is listed twice",
                                 r.code);
    }
    return 0;
}

static int check_skills(struct store_conn *c, const struct gridw_worker_in *in, struct err *err)
{
    if (in->nskills > GRIDW_SKILLS_MAX)
        return err_field(err, ERR_BAD_REQUEST, "skill_ids", "more than %d skills",
                         GRIDW_SKILLS_MAX);
    for (size_t i = 0; i < in->nskills; i++) {
        int rc = store_one(c, "SELECT 1 FROM categories WHERE id = ?",
                           STORE_ARGS(store_i64(in->skill_ids[i])), NULL, NULL, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return err_field(err, ERR_BAD_REQUEST, "skill_ids", "category %lld not found",
                             (long long)in->skill_ids[i]);
        for (size_t j = 0; j < i; j++)
            if (in->skill_ids[j] == in->skill_ids[i])
                return err_field(err, ERR_BAD_REQUEST, "skill_ids", "category %lld is listed twice",
                                 (long long)in->skill_ids[i]);
    }
    return 0;
}

int gridw_worker_save(struct store_conn *c, int64_t user_id, const struct gridw_worker_in *in,
                      int64_t scope_region_id, int64_t now, int *created, struct err *err)
{
    const char *post = in->post && *in->post ? in->post : "full_time";
    char caller_scope[ORG_CODE_MAX + 1] = "";
    struct user_row u;
    unsigned roles = 0;
    int rc;

    if ((rc = check_post(post, err)) < 0)
        return rc;
    if (in->active != 0 && in->active != 1)
        return err_field(err, ERR_BAD_REQUEST, "active", "active must be true or false");
    if (in->max_load < 1 || in->max_load > GRIDW_MAX_LOAD_MAX)
        return err_field(err, ERR_BAD_REQUEST, "max_load", "max_load must be 1..%d",
                         GRIDW_MAX_LOAD_MAX);
    if ((rc = check_shifts(in->shifts, in->nshifts, err)) < 0)
        return rc;
    rc = store_one(c,
                   "SELECT u.roles, u.active, r.code FROM users u"
                   " LEFT JOIN regions r ON r.id = u.region_id WHERE u.id = ?",
                   STORE_ARGS(store_i64(user_id)), read_user_row, &u, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_field(err, ERR_BAD_REQUEST, "user_id", "user %lld not found",
                         (long long)user_id);
    if (auth_roles_parse(u.roles, &roles, NULL) < 0 || !(roles & ROLE_GRID_WORKER))
        return err_field(err, ERR_BAD_REQUEST, "user_id",
                         "user %lld does not have the grid_worker role", (long long)user_id);
    if (!u.active)
        return err_field(err, ERR_BAD_REQUEST, "user_id", "user %lld is inactive",
                         (long long)user_id);
    if (scope_region_id) {
        char *code = NULL;
        struct arena a;
        arena_init(&a, 128);
        rc = store_one_text(c, "SELECT code FROM regions WHERE id = ?",
                            STORE_ARGS(store_i64(scope_region_id)), &a, &code, err);
        if (rc == 1 && code)
            snprintf(caller_scope, sizeof(caller_scope), "%s", code);
        arena_release(&a);
        if (rc < 0)
            return rc;
    }
    if ((rc = check_grids(c, in, u.scope, caller_scope, err)) < 0 ||
        (rc = check_skills(c, in, err)) < 0)
        return rc;

    int64_t exists = 0;
    if ((rc = store_one_i64(c, "SELECT count(*) FROM grid_workers WHERE user_id = ?",
                            STORE_ARGS(store_i64(user_id)), &exists, err)) < 0)
        return rc;
    int64_t n;
    if (exists)
        n = store_run(c,
                      "UPDATE grid_workers SET post = ?, active = ?, max_load = ?, updated_at = ?"
                      " WHERE user_id = ?",
                      STORE_ARGS(store_text(post), store_i64(in->active), store_i64(in->max_load),
                                 store_i64(now), store_i64(user_id)),
                      err);
    else
        n = store_run(c,
                      "INSERT INTO grid_workers (user_id, post, active, max_load, created_at,"
                      " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                      STORE_ARGS(store_i64(user_id), store_text(post), store_i64(in->active),
                                 store_i64(in->max_load), store_i64(now), store_i64(now)),
                      err);
    if (n < 0)
        return (int)n;
    static const char *const clear[] = {"DELETE FROM grid_worker_grids WHERE user_id = ?",
                                        "DELETE FROM grid_worker_skills WHERE user_id = ?",
                                        "DELETE FROM grid_worker_shifts WHERE user_id = ?"};
    for (size_t i = 0; i < 3; i++)
        if ((n = store_run(c, clear[i], STORE_ARGS(store_i64(user_id)), err)) < 0)
            return (int)n;
    for (size_t i = 0; i < in->ngrids; i++)
        if ((n = store_run(c, "INSERT INTO grid_worker_grids (user_id, region_id) VALUES (?, ?)",
                           STORE_ARGS(store_i64(user_id), store_i64(in->grid_ids[i])), err)) < 0)
            return (int)n;
    for (size_t i = 0; i < in->nskills; i++)
        if ((n = store_run(c, "INSERT INTO grid_worker_skills (user_id, category_id) VALUES (?, ?)",
                           STORE_ARGS(store_i64(user_id), store_i64(in->skill_ids[i])), err)) < 0)
            return (int)n;
    for (size_t i = 0; i < in->nshifts; i++)
        if ((n = store_run(c,
                           "INSERT INTO grid_worker_shifts (user_id, weekday, start_min, end_min)"
                           " VALUES (?, ?, ?, ?)",
                           STORE_ARGS(store_i64(user_id), store_i64(in->shifts[i].weekday),
                                      store_i64(in->shifts[i].start_min),
                                      store_i64(in->shifts[i].end_min)),
                           err)) < 0)
            return (int)n;
    if (created)
        *created = !exists;
    return 0;
}

/* ---------------------------------------------------------------- reading */

struct reader {
    struct arena *a;
    struct gridw_worker *v;
    size_t n, cap;
};

static int read_worker(void *ctx, struct store_stmt *s)
{
    struct reader *r = ctx;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        struct gridw_worker *v = arena_alloc(r->a, mem_size_mul(cap, sizeof(*v)));
        if (r->n)
            memcpy(v, r->v, r->n * sizeof(*v));
        r->v = v;
        r->cap = cap;
    }
    struct gridw_worker *w = &r->v[r->n++];
    memset(w, 0, sizeof(*w));
    w->user_id = store_col_int(s, 0);
    w->name = arena_strdup(r->a, store_col_text(s, 1));
    w->display_name = arena_strdup(r->a, store_col_text(s, 2));
    w->post = arena_strdup(r->a, store_col_text(s, 3));
    w->active = store_col_int(s, 4) != 0;
    w->max_load = (int)store_col_int(s, 5);
    w->has_fix = !store_col_is_null(s, 6) && !store_col_is_null(s, 7) && !store_col_is_null(s, 8);
    if (w->has_fix) {
        w->last_lat = store_col_real(s, 6);
        w->last_lon = store_col_real(s, 7);
        w->last_fix_at = store_col_int(s, 8);
    }
    w->created_at = store_col_int(s, 9);
    w->updated_at = store_col_int(s, 10);
    w->load = store_col_int(s, 11);
    return 0;
}

struct detail_ctx {
    struct reader *r;
    int kind;     /* 0 grids, 1 skills, 2 shifts */
    int64_t *ids; /* worker ids in r->v order, sorted copy for lookup */
    size_t *ix;
};

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static struct gridw_worker *lookup(struct detail_ctx *d, int64_t user_id)
{
    int64_t *hit = bsearch(&user_id, d->ids, d->r->n, sizeof(int64_t), cmp_id);
    return hit ? &d->r->v[d->ix[hit - d->ids]] : NULL;
}

static void *grow(struct arena *a, void *old, size_t n, size_t size)
{
    /* Arrays grow by powers of two: a new block when n reaches one. */
    if (n && (n & (n - 1)))
        return old;
    size_t cap = n ? n * 2 : 2;
    void *v = arena_alloc(a, mem_size_mul(cap, size));
    if (n)
        memcpy(v, old, n * size);
    return v;
}

static int read_detail(void *ctx, struct store_stmt *s)
{
    struct detail_ctx *d = ctx;
    struct gridw_worker *w = lookup(d, store_col_int(s, 0));
    struct arena *a = d->r->a;
    if (!w)
        return 0;
    if (d->kind == 0 || d->kind == 1) {
        size_t *n = d->kind == 0 ? &w->ngrids : &w->nskills;
        struct gridw_grid *g;
        if (d->kind == 0)
            g = w->grids = grow(a, w->grids, *n, sizeof(*g));
        else
            g = (struct gridw_grid *)(w->skills = grow(a, w->skills, *n, sizeof(*w->skills)));
        g += *n;
        g->id = store_col_int(s, 1);
        g->code = arena_strdup(a, store_col_text(s, 2));
        g->name = arena_strdup(a, store_col_text(s, 3));
        (*n)++;
    } else {
        w->shifts = grow(a, w->shifts, w->nshifts, sizeof(*w->shifts));
        struct gridw_shift *sh = &w->shifts[w->nshifts++];
        sh->weekday = (int)store_col_int(s, 1);
        sh->start_min = (int)store_col_int(s, 2);
        sh->end_min = (int)store_col_int(s, 3);
    }
    return 0;
}

static struct detail_ctx *detail_index(struct reader *r)
{
    struct detail_ctx *d = arena_alloc(r->a, sizeof(*d));
    d->r = r;
    d->ids = arena_alloc(r->a, mem_size_mul(r->n ? r->n : 1, sizeof(int64_t)));
    d->ix = arena_alloc(r->a, mem_size_mul(r->n ? r->n : 1, sizeof(size_t)));
    for (size_t i = 0; i < r->n; i++)
        d->ids[i] = r->v[i].user_id;
    qsort(d->ids, r->n, sizeof(int64_t), cmp_id);
    for (size_t i = 0; i < r->n; i++)
        for (size_t j = 0; j < r->n; j++)
            if (d->ids[i] == r->v[j].user_id) {
                d->ix[i] = j;
                break;
            }
    return d;
}

/* Where clause of a list, with its bound arguments. */
#define LIST_WHERE                                                                                 \
    " WHERE (? = 0 OR w.active = 1)"                                                               \
    " AND (? = 0 OR EXISTS (SELECT 1 FROM grid_worker_grids g WHERE g.user_id = w.user_id"         \
    " AND g.region_id = ?))"                                                                       \
    " AND (? = '' OR EXISTS (SELECT 1 FROM grid_worker_grids g JOIN regions r ON r.id ="           \
    " g.region_id WHERE g.user_id = w.user_id AND substr(r.code, 1, length(?)) = ?))"

static int load(struct store_conn *c, const struct gridw_filter *f, int64_t one, struct arena *a,
                struct reader *r, struct err *err)
{
    struct gridw_filter none = {0};
    char *within = NULL;
    int rc;
    if (!f)
        f = &none;
    if (f->within_region_id) {
        rc = store_one_text(c, "SELECT code FROM regions WHERE id = ?",
                            STORE_ARGS(store_i64(f->within_region_id)), a, &within, err);
        if (rc < 0)
            return rc;
        if (rc == 0 || !within)
            within = "\x01"; /* no such region: nothing is inside it */
    }
    const char *w = within ? within : "";
    memset(r, 0, sizeof(*r));
    r->a = a;
    int64_t got;
    if (one)
        got = store_all(c,
                        "SELECT " WORKER_COLS " FROM grid_workers w JOIN users u ON u.id ="
                        " w.user_id WHERE w.user_id = ?",
                        STORE_ARGS(store_i64(one)), read_worker, r, err);
    else
        got = store_all(c,
                        "SELECT " WORKER_COLS " FROM grid_workers w JOIN users u ON u.id ="
                        " w.user_id" LIST_WHERE " ORDER BY u.name",
                        STORE_ARGS(store_i64(f->active_only), store_i64(f->grid_id),
                                   store_i64(f->grid_id), store_text(w), store_text(w),
                                   store_text(w)),
                        read_worker, r, err);
    if (got < 0)
        return (int)got;
    if (r->n == 0)
        return 0;
    struct detail_ctx *d = detail_index(r);
    static const char *const sql[] = {
        "SELECT g.user_id, r.id, r.code, r.name FROM grid_worker_grids g"
        " JOIN regions r ON r.id = g.region_id ORDER BY g.user_id, r.code",
        "SELECT s.user_id, k.id, k.code, k.name FROM grid_worker_skills s"
        " JOIN categories k ON k.id = s.category_id ORDER BY s.user_id, k.code",
        "SELECT user_id, weekday, start_min, end_min FROM grid_worker_shifts"
        " ORDER BY user_id, weekday, start_min",
    };
    static const char *const sql_one[] = {
        "SELECT g.user_id, r.id, r.code, r.name FROM grid_worker_grids g"
        " JOIN regions r ON r.id = g.region_id WHERE g.user_id = ? ORDER BY r.code",
        "SELECT s.user_id, k.id, k.code, k.name FROM grid_worker_skills s"
        " JOIN categories k ON k.id = s.category_id WHERE s.user_id = ? ORDER BY k.code",
        "SELECT user_id, weekday, start_min, end_min FROM grid_worker_shifts"
        " WHERE user_id = ? ORDER BY weekday, start_min",
    };
    for (int k = 0; k < 3; k++) {
        d->kind = k;
        got = one ? store_all(c, sql_one[k], STORE_ARGS(store_i64(one)), read_detail, d, err)
                  : store_all(c, sql[k], STORE_NO_ARGS, read_detail, d, err);
        if (got < 0)
            return (int)got;
    }
    return 0;
}

int gridw_worker_get(struct store_conn *c, int64_t user_id, struct arena *a,
                     struct gridw_worker *out, struct err *err)
{
    struct reader r;
    int rc = load(c, NULL, user_id, a, &r, err);
    if (rc < 0)
        return rc;
    if (r.n == 0)
        return err_set(err, ERR_NOT_FOUND, "grid worker %lld not found", (long long)user_id);
    *out = r.v[0];
    return 0;
}

int gridw_worker_list(struct store_conn *c, const struct gridw_filter *f, struct arena *a,
                      struct gridw_worker **out, size_t *n, struct err *err)
{
    struct reader r;
    int rc = load(c, f, 0, a, &r, err);
    if (rc < 0)
        return rc;
    *out = r.n ? r.v : NULL;
    *n = r.n;
    return 0;
}

int gridw_worker_in_region(struct store_conn *c, int64_t user_id, int64_t region_id,
                           struct err *err)
{
    int64_t n = 0;
    int rc = store_one_i64(c,
                           "SELECT count(*) FROM grid_worker_grids g JOIN regions r ON r.id ="
                           " g.region_id JOIN regions s ON s.id = ? WHERE g.user_id = ?"
                           " AND substr(r.code, 1, length(s.code)) = s.code",
                           STORE_ARGS(store_i64(region_id), store_i64(user_id)), &n, err);
    if (rc < 0)
        return rc;
    return n > 0;
}

/* ---------------------------------------------------------------- position */

struct fix_row {
    int has;
    double lat, lon;
    int64_t at;
};

static int read_fix(void *ctx, struct store_stmt *s)
{
    struct fix_row *f = ctx;
    f->has = !store_col_is_null(s, 0) && !store_col_is_null(s, 1) && !store_col_is_null(s, 2);
    if (f->has) {
        f->lat = store_col_real(s, 0);
        f->lon = store_col_real(s, 1);
        f->at = store_col_int(s, 2);
    }
    return 0;
}

int gridw_position(struct store_conn *c, int64_t user_id, double lat, double lon, int64_t at,
                   int64_t now, int *stored, struct err *err)
{
    struct fix_row last = {0};
    int rc;
    *stored = 0;
    if (!isfinite(lat) || lat < -90 || lat > 90)
        return err_field(err, ERR_BAD_REQUEST, "lat", "lat must be a number from -90 to 90");
    if (!isfinite(lon) || lon < -180 || lon > 180)
        return err_field(err, ERR_BAD_REQUEST, "lon", "lon must be a number from -180 to 180");
    if (at <= 0)
        return err_field(err, ERR_BAD_REQUEST, "at", "at must be a positive time in seconds");
    if (at > now + GRIDW_FIX_FUTURE_S)
        return err_field(err, ERR_BAD_REQUEST, "at",
                         "the fix is %lld s in the future: check the phone's clock",
                         (long long)(at - now));
    rc = store_one(c, "SELECT last_lat, last_lon, last_fix_at FROM grid_workers WHERE user_id = ?",
                   STORE_ARGS(store_i64(user_id)), read_fix, &last, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "user %lld is not a grid worker", (long long)user_id);
    if (last.has) {
        if (at <= last.at)
            return 0; /* late or repeated: the newer fix stands */
        double m = gridw_distance_m(last.lat, last.lon, lat, lon);
        double speed = m / (double)(at - last.at);
        if (speed > GRIDW_FIX_MAX_SPEED)
            return err_field(err, ERR_BAD_REQUEST, "at",
                             "moving %.0f m in %lld s (%.0f km/h) from the last fix is impossible",
                             m, (long long)(at - last.at), speed * 3.6);
    }
    int64_t n = store_run(
        c,
        "UPDATE grid_workers SET last_lat = ?, last_lon = ?, last_fix_at = ?"
        " WHERE user_id = ?",
        STORE_ARGS(store_real(lat), store_real(lon), store_i64(at), store_i64(user_id)), err);
    if (n < 0)
        return (int)n;
    *stored = 1;
    return 0;
}
