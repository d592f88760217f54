/*
 * A week of patrols (巡查) for the real-district demo (docs/grid.md §8): every full-time grid
 * worker walks their grid on most days of the week before 'now', during day duty, with a
 * position fix every 30 seconds, so that the patrol page's tracks, the coverage per grid per day
 * and the per-worker statistics have something to show. The paths are made up: a lawn-mower
 * sweep of the grid's box at walking pace, lines 60 m apart (twice PATROL_COVER_M, so a whole
 * sweep covers the grid), starting on a random line and stopping after a random time, with the
 * fixes that fall outside the grid left out. Written through the patrol module (patrol_start,
 * patrol_fixes_add, patrol_end) with the clock set back, so its rules (no fix in the future, no
 * impossible speed) hold for the demo as for a phone. Reproducible: the generator is seeded.
 *
 * One patrol in FINDING_EVERY reports a finding half-way: a case (channel grid) by the worker
 * at that fix, in the grid, created by the case module (case_create_in_tx: its number, clocks
 * and events) and linked to the patrol by patrol_finding_link, as POST /patrols/{id}/findings
 * does. The findings stay new (waiting for the dispatcher), like a report just made.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "case/case.h"
#include "core/utf8.h"
#include "cal/cal.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "demo/demo.h"
#include "geo/geo.h"
#include "org/org.h"
#include "patrol/patrol.h"
#include "store/store.h"

#define FIX_EVERY_S 30
#define STEP_M 36.0 /* 1.2 m/s: walking, looking around */
#define LINE_GAP_M 60.0
#define METRES_PER_DEG 111320.0
#define TZ_OFFSET_S (8 * 3600) /* the demo districts are in China */
#define FIXES_MIN 40           /* 20 minutes */
#define FIXES_SPAN 160         /* up to 100 minutes */
#define FINDING_EVERY 40       /* one patrol in 40 reports a finding: about 50 in the week */

struct walker {
    int64_t user_id, region_id;
    char *boundary, *name, *display;
};
typedef VEC(struct walker) walkers_t;

struct load {
    struct arena *a;
    walkers_t *v;
};

static int read_walker(void *ctx, struct store_stmt *s)
{
    struct load *l = ctx;
    struct walker w = {
        store_col_int(s, 0), store_col_int(s, 1), arena_strdup(l->a, store_col_text(s, 2)),
        arena_strdup(l->a, store_col_text(s, 3)), arena_strdup(l->a, store_col_text(s, 4))};
    vec_append(l->v, w);
    return 0;
}

static uint32_t next(uint64_t *rng)
{
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    return (uint32_t)(*rng >> 16);
}

/* One patrol's fixes: the sweep from a random line, 'steps' fixes long, inside the grid only. */
static size_t sweep(struct geo_index *ix, const struct walker *w, const struct geo_box *b,
                    uint64_t *rng, int64_t t0, size_t steps, struct patrol_fix *out)
{
    double mid = (b->min_lat + b->max_lat) / 2;
    double dlat = LINE_GAP_M / METRES_PER_DEG;
    double dlon = STEP_M / (METRES_PER_DEG * cos(mid * M_PI / 180));
    int lines = (int)((b->max_lat - b->min_lat) / dlat) + 1;
    int line = (int)(next(rng) % (uint32_t)lines), dir = next(rng) & 1 ? 1 : -1;
    double lon = dir > 0 ? b->min_lon : b->max_lon;
    size_t n = 0;
    for (size_t i = 0; i < steps; i++) {
        double lat = b->min_lat + (line + 0.5) * dlat;
        /* A few metres of GPS noise. */
        double jlat = ((int)(next(rng) % 11) - 5) / METRES_PER_DEG;
        double jlon = ((int)(next(rng) % 11) - 5) / METRES_PER_DEG;
        if (geo_locate(ix, lon + jlon, lat + jlat) == w->region_id)
            out[n++] = (struct patrol_fix){t0 + (int64_t)i * FIX_EVERY_S, lat + jlat, lon + jlon,
                                           8 + next(rng) % 12};
        lon += dir * dlon;
        if (lon > b->max_lon || lon < b->min_lon) { /* the next line, back the other way */
            dir = -dir;
            lon += dir * dlon;
            line = line + 1 < lines ? line + 1 : 0;
        }
    }
    return n;
}

/* A finding at fix 'f' of patrol 'id': a case made by the worker, linked to the patrol. */
static int finding(struct store_conn *c, const struct cal *cal, const struct case_config *cfg,
                   const struct walker *w, int64_t id, const struct patrol_fix *f, uint64_t *rng,
                   struct arena *a, struct err *err)
{
    const char *code, *text = demo_triage_message(next(rng) % demo_triage_messages_count(), &code);
    struct org_category k;
    int rc = org_category_get_by_code(c, code, a, &k, err);
    if (rc < 0)
        return rc;
    char title[96];
    snprintf(title, sizeof(title), "%.*s", (int)utf8_prefix(text, 60), text);
    struct case_actor actor = {w->user_id, w->name, ROLE_GRID_WORKER, NULL, 0, NULL};
    struct case_env env = {c, cal, cfg, &actor, f->at + 20, demo_case_audit, NULL};
    env.audit_ctx = &env;
    struct case_new in = {.channel = CH_GRID,
                          .title = title,
                          .description = text,
                          .category_id = k.id,
                          .urgency = -1,
                          .has_location = 1,
                          .lat = f->lat,
                          .lon = f->lon,
                          .region_id = w->region_id,
                          .citizen_name = w->display};
    struct case_created out;
    if ((rc = case_create_in_tx(&env, &in, &out, err)) < 0)
        return rc;
    return patrol_finding_link(c, id, out.id, f->at + 20, err);
}

int demo_patrols(struct store *st, const unsigned char key[32], int days, int64_t now, int *patrols,
                 int64_t *fixes, int *findings, struct err *err)
{
    struct store_conn *c;
    struct geo_index *ix = NULL;
    struct arena a;
    walkers_t v = VEC_INIT;
    struct patrol_fix *fx = NULL;
    struct cal *cal = NULL;
    struct case_config cfg = {2, 24, 72, key};
    uint64_t rng = 0x9e3779b97f4a7c15ull, frng = 0x2545f4914f6cdd1dull;
    int rc;
    *patrols = 0;
    *findings = 0;
    *fixes = 0;
    if ((rc = store_conn(st, &c, err)) < 0)
        return rc;
    arena_init(&a, 65536);
    if ((rc = geo_index_new(&ix, err)) < 0 || (rc = org_calendar_load(c, &cal, err)) < 0)
        goto out;
    if ((rc = store_begin(c, err)) < 0)
        goto out;
    struct load l = {&a, &v};
    int64_t got =
        store_all(c,
                  "SELECT w.user_id, r.id, r.boundary, u.name, u.display_name FROM grid_workers w"
                  " JOIN users u ON u.id = w.user_id"
                  " JOIN grid_worker_grids g ON g.user_id = w.user_id"
                  " JOIN regions r ON r.id = g.region_id"
                  " WHERE w.post = 'full_time' AND w.active = 1 AND r.level = 'grid'"
                  " AND r.boundary IS NOT NULL ORDER BY w.user_id, r.id",
                  STORE_NO_ARGS, read_walker, &l, err);
    if (got < 0) {
        rc = (int)got;
        goto rollback;
    }
    for (size_t i = 0; i < v.n; i++)
        if (i == 0 || v.v[i].region_id != v.v[i - 1].region_id)
            if ((rc = geo_index_add(ix, v.v[i].region_id, 0, v.v[i].boundary, err)) < 0)
                goto rollback;
    fx = xmalloc((FIXES_MIN + FIXES_SPAN) * sizeof(*fx));
    int64_t today = (now + TZ_OFFSET_S) / 86400 * 86400 - TZ_OFFSET_S; /* local midnight, UTC */
    for (size_t i = 0; i < v.n; i++) {
        const struct walker *w = &v.v[i];
        if (i > 0 && w->user_id == v.v[i - 1].user_id)
            continue; /* a worker's first grid only */
        struct geo_box b;
        if ((rc = geo_shape(w->boundary, GEO_AREA, &b, NULL, NULL, err)) < 0)
            goto rollback;
        for (int d = days; d >= 1; d--) {
            if (next(&rng) % 7 == 0)
                continue; /* a day off, or a day of meetings */
            /* Between 08:30 and 16:30 local time: inside day duty, ended before 20:00. */
            int64_t t0 = today - (int64_t)d * 86400 + 8 * 3600 + 1800 +
                         (int64_t)(next(&rng) % (8 * 60)) * 60;
            size_t steps = FIXES_MIN + next(&rng) % FIXES_SPAN;
            size_t n = sweep(ix, w, &b, &rng, t0, steps, fx);
            if (n < 2)
                continue;
            int64_t end = t0 + (int64_t)steps * FIX_EVERY_S, id;
            size_t added, dup;
            if ((rc = patrol_start(c, w->user_id, w->region_id, 0, t0, &id, err)) < 0 ||
                (rc = patrol_fixes_add(c, id, w->user_id, fx, n, end, &added, &dup, err)) < 0)
                goto rollback;
            /* A separate generator, so the findings do not move the patrols' paths. */
            if (next(&frng) % FINDING_EVERY == 0) {
                if ((rc = finding(c, cal, &cfg, w, id, &fx[n / 2], &frng, &a, err)) < 0)
                    goto rollback;
                (*findings)++;
            }
            if ((rc = patrol_end(c, id, w->user_id, NULL, end, err)) < 0)
                goto rollback;
            (*patrols)++;
            *fixes += (int64_t)added;
        }
    }
    /* The findings' notifications are history: the demo server should not send them. */
    if ((rc = case_index_pending(c, err)) < 0 || (rc = demo_notifications_sent(c, err)) < 0)
        goto rollback;
    char *summary = arena_printf(&a, "{\"patrols\":%d,\"fixes\":%lld,\"findings\":%d,\"days\":%d}",
                                 *patrols, (long long)*fixes, *findings, days);
    struct audit_entry e = {0, "gridloop init", "demo.patrols", "patrol", NULL, summary};
    if ((rc = audit_append(c, &e, now, err)) < 0)
        goto rollback;
    rc = store_commit(c, err);
    goto out;
rollback:
    store_rollback(c);
out:
    free(fx);
    vec_release(&v);
    geo_index_free(ix);
    cal_free(cal);
    arena_release(&a);
    return rc;
}
