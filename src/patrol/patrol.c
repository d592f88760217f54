/*
 * Patrols: start, fixes, findings, end; track, coverage and statistics (patrol.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "geo/geo.h"
#include "patrol/patrol.h"
#include "store/store.h"

double patrol_distance_m(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371008.8, k = M_PI / 180.0;
    double dlat = (lat2 - lat1) * k, dlon = (lon2 - lon1) * k;
    double h = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * k) * cos(lat2 * k) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * r * asin(sqrt(h < 1 ? h : 1));
}

/* "Does region s's subtree hold region r": the SQL form of org_region_code_in_subtree(). */
#define S_COVERS_R                                                                                 \
    "(s.id = r.id OR (length(s.code) <= 12 AND substr(r.code, 1, length(s.code)) = s.code))"

#define PATROL_COLS                                                                                \
    "p.id, p.user_id, u.display_name, coalesce(p.region_id, 0), r.name, r.code, p.started_at,"     \
    " coalesce(p.ended_at, 0), p.fixes, p.distance_m,"                                             \
    " (SELECT count(*) FROM patrol_findings pf WHERE pf.patrol_id = p.id), p.note"
#define PATROL_FROM                                                                                \
    " FROM patrols p JOIN users u ON u.id = p.user_id LEFT JOIN regions r ON r.id = p.region_id"

static const char *dup_or_null(struct arena *a, struct store_stmt *s, int col)
{
    return store_col_is_null(s, col) ? NULL : arena_strdup(a, store_col_text(s, col));
}

typedef VEC(struct patrol) patrol_vec;

static int push_patrol(void *ctx, struct store_stmt *s)
{
    patrol_vec *v = ctx;
    struct patrol *p = vec_push(v);
    p->id = store_col_int(s, 0);
    p->user_id = store_col_int(s, 1);
    p->user_name = arena_strdup(v->arena, store_col_text(s, 2));
    p->region_id = store_col_int(s, 3);
    p->region_name = dup_or_null(v->arena, s, 4);
    p->region_code = dup_or_null(v->arena, s, 5);
    p->started_at = store_col_int(s, 6);
    p->ended_at = store_col_int(s, 7);
    p->fixes = store_col_int(s, 8);
    p->distance_m = store_col_real(s, 9);
    p->findings = store_col_int(s, 10);
    p->note = dup_or_null(v->arena, s, 11);
    return 0;
}

int patrol_get(struct store_conn *c, int64_t id, struct arena *a, struct patrol *out,
               struct err *err)
{
    patrol_vec v = VEC_IN(a);
    int64_t rc = store_all(c, "SELECT " PATROL_COLS PATROL_FROM " WHERE p.id = ?",
                           STORE_ARGS(store_i64(id)), push_patrol, &v, err);
    if (rc < 0)
        return (int)rc;
    if (v.n == 0)
        return err_set(err, ERR_NOT_FOUND, "patrol %lld does not exist", (long long)id);
    *out = v.v[0];
    return 0;
}

int patrol_list(struct store_conn *c, const struct patrol_filter *f, struct arena *a,
                struct patrol **out, size_t *n, struct err *err)
{
    patrol_vec v = VEC_IN(a);
    int64_t limit = f->limit ? (int64_t)f->limit : 100;
    int64_t rc = store_all(
        c,
        "SELECT " PATROL_COLS PATROL_FROM " WHERE (? = 0 OR p.user_id = ?)"
        " AND (? = 0 OR EXISTS (SELECT 1 FROM regions s WHERE s.id = ? AND " S_COVERS_R "))"
        " AND (? = 0 OR p.started_at >= ?) AND (? = 0 OR p.started_at < ?)"
        " ORDER BY p.started_at DESC, p.id DESC LIMIT ?",
        STORE_ARGS(store_i64(f->user_id), store_i64(f->user_id), store_i64(f->region_id),
                   store_i64(f->region_id), store_i64(f->from), store_i64(f->from),
                   store_i64(f->to), store_i64(f->to), store_i64(limit)),
        push_patrol, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

int patrol_current(struct store_conn *c, int64_t user_id, int64_t *id, struct err *err)
{
    *id = 0;
    int rc = store_one_i64(c, "SELECT id FROM patrols WHERE user_id = ? AND ended_at IS NULL",
                           STORE_ARGS(store_i64(user_id)), id, err);
    return rc < 0 ? rc : 0;
}

int patrol_start(struct store_conn *c, int64_t user_id, int64_t region_id, int64_t scope_region_id,
                 int64_t now, int64_t *id, struct err *err)
{
    int64_t open = 0, level_ok = 0;
    int rc;
    if ((rc = patrol_current(c, user_id, &open, err)) < 0)
        return rc;
    if (open)
        return err_field(err, ERR_CONFLICT, "patrol",
                         "patrol %lld is under way: end it before starting another",
                         (long long)open);
    if (!region_id) {
        if ((rc = store_one_i64(c, "SELECT min(region_id) FROM grid_worker_grids WHERE user_id = ?",
                                STORE_ARGS(store_i64(user_id)), &region_id, err)) < 0)
            return rc;
        if (!region_id && scope_region_id &&
            (rc = store_one_i64(c,
                                "SELECT id FROM regions WHERE id = ? AND level <> 'district'"
                                " AND level <> 'street'",
                                STORE_ARGS(store_i64(scope_region_id)), &region_id, err)) < 0)
            return rc;
    } else {
        if ((rc = store_one_i64(c,
                                "SELECT count(*) FROM regions WHERE id = ? AND level <> 'district'"
                                " AND level <> 'street'",
                                STORE_ARGS(store_i64(region_id)), &level_ok, err)) < 0)
            return rc;
        if (!level_ok)
            return err_field(err, ERR_BAD_REQUEST, "region_id",
                             "region %lld is not a community, grid or micro-grid",
                             (long long)region_id);
    }
    rc = store_one_i64(c,
                       "INSERT INTO patrols(user_id, region_id, started_at, created_at, updated_at)"
                       " VALUES (?, ?, ?, ?, ?) RETURNING id",
                       STORE_ARGS(store_i64(user_id), store_i64_or_null(region_id), store_i64(now),
                                  store_i64(now), store_i64(now)),
                       id, err);
    return rc < 0 ? rc : 0;
}

struct head {
    int64_t user_id, started_at, ended_at;
    int found;
};

static int read_head(void *ctx, struct store_stmt *s)
{
    struct head *h = ctx;
    h->user_id = store_col_int(s, 0);
    h->started_at = store_col_int(s, 1);
    h->ended_at = store_col_int(s, 2);
    h->found = 1;
    return 0;
}

/* Patrol 'id' of 'user_id'; another user's patrol does not exist for them. */
static int own_head(struct store_conn *c, int64_t id, int64_t user_id, struct head *h,
                    struct err *err)
{
    memset(h, 0, sizeof(*h));
    int rc =
        store_one(c, "SELECT user_id, started_at, coalesce(ended_at, 0) FROM patrols WHERE id = ?",
                  STORE_ARGS(store_i64(id)), read_head, h, err);
    if (rc < 0)
        return rc;
    if (!h->found || h->user_id != user_id)
        return err_set(err, ERR_NOT_FOUND, "patrol %lld does not exist", (long long)id);
    return 0;
}

int patrol_end(struct store_conn *c, int64_t id, int64_t user_id, const char *note, int64_t now,
               struct err *err)
{
    struct head h;
    int rc;
    if (note && (utf8_invalid_at(note, strlen(note)) >= 0 || utf8_len(note) > PATROL_NOTE_MAX))
        return err_field(err, ERR_BAD_REQUEST, "note", "field 'note' must be at most %d characters",
                         PATROL_NOTE_MAX);
    if ((rc = own_head(c, id, user_id, &h, err)) < 0)
        return rc;
    if (h.ended_at)
        return err_field(err, ERR_CONFLICT, "patrol", "patrol %lld has ended", (long long)id);
    int64_t n = store_run(
        c, "UPDATE patrols SET ended_at = ?, note = ?, updated_at = ? WHERE id = ?",
        STORE_ARGS(store_i64(now < h.started_at ? h.started_at : now),
                   note && *note ? store_text(note) : store_null(), store_i64(now), store_i64(id)),
        err);
    return n < 0 ? (int)n : 0;
}

/* ---------------------------------------------------------------- fixes */

struct near {
    int found;
    struct patrol_fix f;
};

static int read_near(void *ctx, struct store_stmt *s)
{
    struct near *nr = ctx;
    nr->found = 1;
    nr->f.at = store_col_int(s, 0);
    nr->f.lat = store_col_real(s, 1);
    nr->f.lon = store_col_real(s, 2);
    return 0;
}

/* Too fast from 'a' to 'b' (jitter allowed)? */
static int too_fast(const struct patrol_fix *a, const struct patrol_fix *b, double *metres)
{
    int64_t dt = llabs(a->at - b->at);
    *metres = patrol_distance_m(a->lat, a->lon, b->lat, b->lon);
    return *metres > PATROL_JITTER_M + PATROL_SPEED_MAX_MS * (double)dt;
}

static const struct patrol_fix *sort_base;
static int by_time(const void *x, const void *y)
{
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    int64_t a = sort_base[i].at, b = sort_base[j].at;
    if (a != b)
        return a < b ? -1 : 1;
    return i < j ? -1 : i > j; /* the first sent of two at one second counts */
}

struct track_sum {
    int64_t n;
    double metres;
    struct patrol_fix last;
};

static int sum_track(void *ctx, struct store_stmt *s)
{
    struct track_sum *t = ctx;
    struct patrol_fix f = {store_col_int(s, 0), store_col_real(s, 1), store_col_real(s, 2), 0};
    if (t->n)
        t->metres += patrol_distance_m(t->last.lat, t->last.lon, f.lat, f.lon);
    t->last = f;
    t->n++;
    return 0;
}

int patrol_fixes_add(struct store_conn *c, int64_t id, int64_t user_id, const struct patrol_fix *fx,
                     size_t n, int64_t now, size_t *added, size_t *duplicates, struct err *err)
{
    struct head h;
    size_t *order = NULL;
    int rc;
    *added = *duplicates = 0;
    if (n == 0)
        return err_field(err, ERR_BAD_REQUEST, "fixes", "field 'fixes' must hold at least one fix");
    if (n > PATROL_FIXES_MAX)
        return err_field(err, ERR_BAD_REQUEST, "fixes", "field 'fixes' holds at most %d fixes",
                         PATROL_FIXES_MAX);
    if ((rc = own_head(c, id, user_id, &h, err)) < 0)
        return rc;
    char field[40];
    for (size_t i = 0; i < n; i++) {
        const struct patrol_fix *f = &fx[i];
        if (!(f->lat >= -90.0 && f->lat <= 90.0)) {
            snprintf(field, sizeof(field), "fixes[%zu].lat", i);
            return err_field(err, ERR_BAD_REQUEST, field, "fix %zu: latitude must be -90 to 90", i);
        }
        if (!(f->lon >= -180.0 && f->lon <= 180.0)) {
            snprintf(field, sizeof(field), "fixes[%zu].lon", i);
            return err_field(err, ERR_BAD_REQUEST, field, "fix %zu: longitude must be -180 to 180",
                             i);
        }
        snprintf(field, sizeof(field), "fixes[%zu].at", i);
        if (f->at > now + PATROL_FUTURE_SKEW_S)
            return err_field(err, ERR_BAD_REQUEST, field,
                             "fix %zu: its time is %lld s in the future", i,
                             (long long)(f->at - now));
        if (f->at < h.started_at - PATROL_FUTURE_SKEW_S)
            return err_field(err, ERR_BAD_REQUEST, field,
                             "fix %zu: its time is before the patrol started", i);
        if (h.ended_at && f->at > h.ended_at + PATROL_FUTURE_SKEW_S)
            return err_field(err, ERR_BAD_REQUEST, field,
                             "fix %zu: its time is after the patrol ended", i);
    }
    order = xmalloc(mem_size_mul(n, sizeof(*order)));
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    sort_base = fx; /* qsort has no context argument; called under the writer's lock */
    qsort(order, n, sizeof(*order), by_time);
    int64_t newest = 0;
    struct patrol_fix newest_fix = {0};
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k];
        const struct patrol_fix *f = &fx[i];
        struct near same = {0}, before = {0}, after = {0};
        if ((rc = store_one(
                 c, "SELECT at, lat, lon FROM patrol_fixes WHERE patrol_id = ? AND at = ?",
                 STORE_ARGS(store_i64(id), store_i64(f->at)), read_near, &same, err)) < 0)
            goto out;
        if (same.found) {
            (*duplicates)++;
            continue;
        }
        if ((rc = store_one(c,
                            "SELECT at, lat, lon FROM patrol_fixes WHERE patrol_id = ? AND at < ?"
                            " ORDER BY at DESC LIMIT 1",
                            STORE_ARGS(store_i64(id), store_i64(f->at)), read_near, &before, err)) <
                0 ||
            (rc = store_one(c,
                            "SELECT at, lat, lon FROM patrol_fixes WHERE patrol_id = ? AND at > ?"
                            " ORDER BY at LIMIT 1",
                            STORE_ARGS(store_i64(id), store_i64(f->at)), read_near, &after, err)) <
                0)
            goto out;
        double m = 0;
        const struct near *bad = before.found && too_fast(&before.f, f, &m) ? &before
                                 : after.found && too_fast(f, &after.f, &m) ? &after
                                                                            : NULL;
        if (bad) {
            snprintf(field, sizeof(field), "fixes[%zu]", i);
            rc = err_field(err, ERR_BAD_REQUEST, field,
                           "fix %zu: %.0f m in %lld s from the fix at the next second on record is"
                           " faster than %.0f km/h: not a patrol",
                           i, m, (long long)llabs(bad->f.at - f->at), PATROL_SPEED_MAX_MS * 3.6);
            goto out;
        }
        int64_t w = store_run(c,
                              "INSERT INTO patrol_fixes(patrol_id, at, lat, lon, accuracy)"
                              " VALUES (?, ?, ?, ?, ?)",
                              STORE_ARGS(store_i64(id), store_i64(f->at), store_real(f->lat),
                                         store_real(f->lon),
                                         f->accuracy > 0 ? store_real(f->accuracy) : store_null()),
                              err);
        if (w < 0) {
            rc = (int)w;
            goto out;
        }
        (*added)++;
        if (f->at > newest) {
            newest = f->at;
            newest_fix = *f;
        }
    }
    if (*added) {
        struct track_sum t = {0};
        if ((rc = (int)store_all(c,
                                 "SELECT at, lat, lon FROM patrol_fixes WHERE patrol_id = ?"
                                 " ORDER BY at",
                                 STORE_ARGS(store_i64(id)), sum_track, &t, err)) < 0)
            goto out;
        int64_t w = store_run(
            c, "UPDATE patrols SET fixes = ?, distance_m = ?, updated_at = ? WHERE id = ?",
            STORE_ARGS(store_i64(t.n), store_real(t.metres), store_i64(now), store_i64(id)), err);
        /* The worker's last position (dispatch reads it) follows the newest fix. */
        if (w >= 0)
            w = store_run(c,
                          "UPDATE grid_workers SET last_lat = ?, last_lon = ?, last_fix_at = ?,"
                          " updated_at = ? WHERE user_id = ?"
                          " AND (last_fix_at IS NULL OR last_fix_at < ?)",
                          STORE_ARGS(store_real(newest_fix.lat), store_real(newest_fix.lon),
                                     store_i64(newest), store_i64(now), store_i64(user_id),
                                     store_i64(newest)),
                          err);
        if (w < 0) {
            rc = (int)w;
            goto out;
        }
    }
    rc = 0;
out:
    free(order);
    return rc;
}

typedef VEC(struct patrol_fix) fix_vec;

static int push_fix(void *ctx, struct store_stmt *s)
{
    fix_vec *v = ctx;
    struct patrol_fix *f = vec_push(v);
    f->at = store_col_int(s, 0);
    f->lat = store_col_real(s, 1);
    f->lon = store_col_real(s, 2);
    f->accuracy = store_col_is_null(s, 3) ? 0 : store_col_real(s, 3);
    return 0;
}

int patrol_track(struct store_conn *c, int64_t id, struct arena *a, struct patrol_fix **out,
                 size_t *n, struct err *err)
{
    fix_vec v = VEC_IN(a);
    int64_t rc = store_all(c,
                           "SELECT at, lat, lon, accuracy FROM patrol_fixes WHERE patrol_id = ?"
                           " ORDER BY at",
                           STORE_ARGS(store_i64(id)), push_fix, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

/* ---------------------------------------------------------------- findings */

int patrol_finding_check(struct store_conn *c, int64_t id, int64_t user_id, struct err *err)
{
    struct head h;
    int rc = own_head(c, id, user_id, &h, err);
    if (rc < 0)
        return rc;
    if (h.ended_at)
        return err_field(err, ERR_CONFLICT, "patrol",
                         "patrol %lld has ended: report outside a patrol", (long long)id);
    return 0;
}

int patrol_finding_link(struct store_conn *c, int64_t id, int64_t case_id, int64_t now,
                        struct err *err)
{
    int64_t n =
        store_run(c, "INSERT INTO patrol_findings(case_id, patrol_id, created_at) VALUES (?, ?, ?)",
                  STORE_ARGS(store_i64(case_id), store_i64(id), store_i64(now)), err);
    return n < 0 ? (int)n : 0;
}

typedef VEC(struct patrol_finding) finding_vec;

static int push_finding(void *ctx, struct store_stmt *s)
{
    finding_vec *v = ctx;
    struct patrol_finding *f = vec_push(v);
    f->case_id = store_col_int(s, 0);
    f->number = arena_strdup(v->arena, store_col_text(s, 1));
    f->title = arena_strdup(v->arena, store_col_text(s, 2));
    f->state = arena_strdup(v->arena, store_col_text(s, 3));
    f->has_location = !store_col_is_null(s, 4) && !store_col_is_null(s, 5);
    f->lat = f->has_location ? store_col_real(s, 4) : 0;
    f->lon = f->has_location ? store_col_real(s, 5) : 0;
    f->created_at = store_col_int(s, 6);
    return 0;
}

int patrol_findings(struct store_conn *c, int64_t id, struct arena *a, struct patrol_finding **out,
                    size_t *n, struct err *err)
{
    finding_vec v = VEC_IN(a);
    int64_t rc = store_all(c,
                           "SELECT c.id, c.number, c.title, c.state, c.lat, c.lon, pf.created_at"
                           " FROM patrol_findings pf JOIN cases c ON c.id = pf.case_id"
                           " WHERE pf.patrol_id = ? ORDER BY pf.created_at, c.id",
                           STORE_ARGS(store_i64(id)), push_finding, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

/* ---------------------------------------------------------------- coverage */

struct grid {
    int64_t id;
    const char *code, *name, *boundary;
    struct geo_box box;
};
typedef VEC(struct grid) grid_vec;

static int push_grid(void *ctx, struct store_stmt *s)
{
    grid_vec *v = ctx;
    struct grid *g = vec_push(v);
    g->id = store_col_int(s, 0);
    g->code = arena_strdup(v->arena, store_col_text(s, 1));
    g->name = arena_strdup(v->arena, store_col_text(s, 2));
    g->boundary = arena_strdup(v->arena, store_col_text(s, 3));
    return 0;
}

/* A day's fixes, as segments between consecutive fixes of one patrol (a lone fix is a point). */
struct segs {
    double *v; /* lon0, lat0, lon1, lat1 */
    int64_t *patrol;
    size_t n, cap;
    int64_t last_patrol;
    double last_lon, last_lat;
    int have_last, last_alone;
};

static void seg_add(struct segs *s, int64_t patrol, double lon0, double lat0, double lon1,
                    double lat1)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->v = xrealloc(s->v, mem_size_mul(s->cap, 4 * sizeof(double)));
        s->patrol = xrealloc(s->patrol, mem_size_mul(s->cap, sizeof(int64_t)));
    }
    double *d = s->v + 4 * s->n;
    d[0] = lon0, d[1] = lat0, d[2] = lon1, d[3] = lat1;
    s->patrol[s->n++] = patrol;
}

static int read_seg(void *ctx, struct store_stmt *st)
{
    struct segs *s = ctx;
    int64_t p = store_col_int(st, 0);
    double lat = store_col_real(st, 1), lon = store_col_real(st, 2);
    if (s->have_last && s->last_patrol == p) {
        if (s->last_alone) /* the point stands for a segment now */
            s->n--;
        seg_add(s, p, s->last_lon, s->last_lat, lon, lat);
        s->last_alone = 0;
    } else {
        seg_add(s, p, lon, lat, lon, lat);
        s->last_alone = 1;
    }
    s->have_last = 1;
    s->last_patrol = p;
    s->last_lon = lon;
    s->last_lat = lat;
    return 0;
}

int patrol_coverage(struct store_conn *c, int64_t region_id, int64_t day_from, int64_t day_to,
                    int64_t tz_offset, double metres, struct arena *a, struct patrol_cover **out,
                    size_t *n, struct err *err)
{
    grid_vec grids = VEC_IN(a);
    VEC(struct patrol_cover) res = VEC_IN(a);
    struct segs s = {0};
    double *pick = NULL;
    int64_t *seen = NULL;
    int rc;
    if (day_to < day_from || day_to - day_from >= PATROL_DAYS_MAX)
        return err_field(err, ERR_BAD_REQUEST, "to", "the days asked must be 1 to %d",
                         PATROL_DAYS_MAX);
    if (!(metres > 0 && metres <= PATROL_COVER_M_MAX))
        return err_field(err, ERR_BAD_REQUEST, "radius",
                         "the radius must be above 0 and at most %.0f m", PATROL_COVER_M_MAX);
    int64_t got = store_all(
        c,
        "SELECT r.id, r.code, r.name, r.boundary FROM regions r"
        " WHERE r.level IN ('grid', 'micro') AND r.boundary IS NOT NULL"
        " AND (? = 0 OR EXISTS (SELECT 1 FROM regions s WHERE s.id = ? AND " S_COVERS_R "))"
        " ORDER BY r.code",
        STORE_ARGS(store_i64(region_id), store_i64(region_id)), push_grid, &grids, err);
    if (got < 0)
        return (int)got;
    for (size_t g = 0; g < grids.n; g++)
        if ((rc = geo_shape(grids.v[g].boundary, GEO_AREA, &grids.v[g].box, NULL, NULL, err)) < 0)
            return err_set(err, rc, "grid %s: %s", grids.v[g].code, err->msg);
    for (int64_t day = day_from; day <= day_to; day++) {
        int64_t t0 = day * 86400 - tz_offset;
        free(s.v);
        free(s.patrol);
        memset(&s, 0, sizeof(s));
        if ((rc = (int)store_all(c,
                                 "SELECT patrol_id, lat, lon FROM patrol_fixes WHERE at >= ?"
                                 " AND at < ? ORDER BY patrol_id, at",
                                 STORE_ARGS(store_i64(t0), store_i64(t0 + 86400)), read_seg, &s,
                                 err)) < 0)
            goto out;
        free(pick);
        free(seen);
        pick = xmalloc(mem_size_mul(s.n + 1, 4 * sizeof(double)));
        seen = xmalloc(mem_size_mul(s.n + 1, sizeof(int64_t)));
        for (size_t g = 0; g < grids.n; g++) {
            const struct grid *gr = &grids.v[g];
            /* Segments near the grid's box (the radius in degrees, generously). */
            double dlat = metres / 110000.0, dlon = metres / (110000.0 * 0.5);
            size_t k = 0, np = 0;
            for (size_t i = 0; i < s.n; i++) {
                const double *d = s.v + 4 * i;
                double lo0 = fmin(d[0], d[2]), lo1 = fmax(d[0], d[2]);
                double la0 = fmin(d[1], d[3]), la1 = fmax(d[1], d[3]);
                if (lo1 < gr->box.min_lon - dlon || lo0 > gr->box.max_lon + dlon ||
                    la1 < gr->box.min_lat - dlat || la0 > gr->box.max_lat + dlat)
                    continue;
                memcpy(pick + 4 * k, d, 4 * sizeof(double));
                k++;
                size_t j = 0;
                while (j < np && seen[j] != s.patrol[i])
                    j++;
                if (j == np)
                    seen[np++] = s.patrol[i];
            }
            double share = 0;
            if (k && (rc = geo_coverage(gr->boundary, pick, k, metres, &share, err)) < 0)
                goto out;
            struct patrol_cover *pc = vec_push(&res);
            pc->region_id = gr->id;
            pc->code = gr->code;
            pc->name = gr->name;
            pc->day = day;
            pc->share = share;
            pc->patrols = share > 0 ? (int64_t)np : 0;
        }
    }
    *out = res.v;
    *n = res.n;
    rc = 0;
out:
    free(s.v);
    free(s.patrol);
    free(pick);
    free(seen);
    return rc;
}

/* ---------------------------------------------------------------- statistics */

typedef VEC(struct patrol_stat) stat_vec;

static int push_stat(void *ctx, struct store_stmt *s)
{
    stat_vec *v = ctx;
    struct patrol_stat *p = vec_push(v);
    p->user_id = store_col_int(s, 0);
    p->user_name = arena_strdup(v->arena, store_col_text(s, 1));
    p->patrols = store_col_int(s, 2);
    p->days = store_col_int(s, 3);
    p->fixes = store_col_int(s, 4);
    p->distance_m = store_col_real(s, 5);
    p->duration_s = store_col_int(s, 6);
    p->findings = store_col_int(s, 7);
    return 0;
}

int patrol_stats(struct store_conn *c, int64_t region_id, int64_t from, int64_t to,
                 int64_t tz_offset, struct arena *a, struct patrol_stat **out, size_t *n,
                 struct err *err)
{
    stat_vec v = VEC_IN(a);
    int64_t rc = store_all(
        c,
        "SELECT p.user_id, u.display_name, count(*), count(DISTINCT (p.started_at + ?) / 86400),"
        " sum(p.fixes), sum(p.distance_m),"
        " sum(CASE WHEN p.ended_at IS NULL THEN 0 ELSE p.ended_at - p.started_at END),"
        " sum(coalesce(f.n, 0))"
        " FROM patrols p JOIN users u ON u.id = p.user_id LEFT JOIN regions r ON r.id = p.region_id"
        " LEFT JOIN (SELECT patrol_id, count(*) AS n FROM patrol_findings GROUP BY patrol_id) f"
        " ON f.patrol_id = p.id"
        " WHERE p.started_at >= ? AND p.started_at < ?"
        " AND (? = 0 OR EXISTS (SELECT 1 FROM regions s WHERE s.id = ? AND " S_COVERS_R "))"
        " GROUP BY p.user_id, u.display_name ORDER BY u.display_name, p.user_id",
        STORE_ARGS(store_i64(tz_offset), store_i64(from), store_i64(to), store_i64(region_id),
                   store_i64(region_id)),
        push_stat, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}
