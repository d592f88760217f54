/*
 * Benchmark: patrol coverage (docs/grid.md §3: the share of a grid's area within 30 m of a
 * day's tracks, GEOS) on realistic tracks. On a database made by `gridloop init --demo
 * --district 东城区` (338 real-shaped grids), it adds for a day with no patrols (ten days ago)
 * two patrols of 400 fixes (every 30 s at 1.2 m/s: 3 h 20 min each) in every grid, by the
 * grid's first full-time worker, through the patrol module (a zig-zag sweep of the grid's box,
 * lines 60 m apart, turning back at the box's top and bottom, the second patrol starting
 * on another line), then times patrol_coverage for
 * one grid on that day and for the whole district on that day, RUNS times each, alternating.
 * Prints the medians of wall time and of this thread's CPU time (the machine is shared).
 *
 *   bench/coverage_day.sh [RUNS]      (builds, makes the demo, runs build/bench_coverage_day)
 *   build/bench_coverage_day --db FILE [--runs 7]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "geo/geo.h"
#include "patrol/patrol.h"
#include "store/store.h"

#define FIXES 400
#define TZ 28800 /* Asia/Shanghai */
#define RUNS_MAX 101

struct grid {
    int64_t id, user_id;
    struct geo_box box;
    char *boundary;
};

struct grids {
    struct grid *v;
    size_t n, cap;
};

static uint64_t ns(clockid_t k)
{
    struct timespec ts;
    clock_gettime(k, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static uint64_t median(uint64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_u64);
    return v[n / 2];
}

static int read_grid(void *ctx, struct store_stmt *s)
{
    struct grids *g = ctx;
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 512;
        g->v = xrealloc(g->v, g->cap * sizeof(*g->v));
    }
    struct grid *x = &g->v[g->n++];
    x->id = store_col_int(s, 0);
    x->user_id = store_col_int(s, 1);
    x->boundary = xstrdup(store_col_text(s, 2));
    return 0;
}

/* A sweep of the box from line 'line0', FIXES fixes from t0. */
static void sweep(const struct geo_box *b, int line0, int64_t t0, struct patrol_fix *out)
{
    double mid = (b->min_lat + b->max_lat) / 2;
    double dlat = 60.0 / 111320.0, dlon = 36.0 / (111320.0 * cos(mid * M_PI / 180));
    int lines = (int)((b->max_lat - b->min_lat) / dlat) + 1, line = line0 % lines, dir = 1, up = 1;
    double lon = b->min_lon;
    for (int i = 0; i < FIXES; i++) {
        out[i] =
            (struct patrol_fix){t0 + (int64_t)i * 30, b->min_lat + (line + 0.5) * dlat, lon, 10};
        lon += dir * dlon;
        if (lon > b->max_lon || lon < b->min_lon) {
            dir = -dir;
            lon += dir * dlon;
            if (line + up < 0 || line + up >= lines) /* back down (or up) the box */
                up = -up;
            line = lines > 1 ? line + up : line;
        }
    }
}

int main(int argc, char **argv)
{
    const char *db = NULL;
    int runs = 7;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--db") == 0)
            db = argv[i + 1];
        else if (strcmp(argv[i], "--runs") == 0)
            runs = atoi(argv[i + 1]);
    }
    if (!db || runs < 1 || runs > RUNS_MAX) {
        fprintf(stderr, "usage: bench_coverage_day --db FILE [--runs 1..%d]\n", RUNS_MAX);
        return 2;
    }
    log_set_level(LOG_WARN);
    struct store_options opt = {.path = db, .must_exist = 1};
    struct store *st;
    struct store_conn *c;
    struct err err = ERR_INIT;
    struct grids g = {0};
    if (store_open(&st, &opt, &err) < 0 || store_conn(st, &c, &err) < 0 ||
        store_all(c,
                  "SELECT r.id, min(w.user_id), r.boundary FROM regions r"
                  " JOIN grid_worker_grids g ON g.region_id = r.id"
                  " JOIN grid_workers w ON w.user_id = g.user_id AND w.post = 'full_time'"
                  " WHERE r.level = 'grid' AND r.boundary IS NOT NULL"
                  " GROUP BY r.id, r.boundary ORDER BY r.id",
                  STORE_NO_ARGS, read_grid, &g, &err) < 0)
        goto fail;
    if (g.n == 0) {
        fprintf(stderr, "bench_coverage_day: no grids with a full-time worker: run "
                        "gridloop init --demo --district 东城区 first\n");
        return 1;
    }
    int64_t day = ((int64_t)time(NULL) + TZ) / 86400 - 10;
    struct patrol_fix fx[FIXES];
    uint64_t t = ns(CLOCK_MONOTONIC);
    if (store_begin(c, &err) < 0)
        goto fail;
    for (size_t i = 0; i < g.n; i++) {
        if (geo_shape(g.v[i].boundary, GEO_AREA, &g.v[i].box, NULL, NULL, &err) < 0)
            goto fail;
        for (int k = 0; k < 2; k++) {
            int64_t t0 = day * 86400 - TZ + (k ? 14 : 8) * 3600, end = t0 + FIXES * 30, id;
            size_t added, dup;
            sweep(&g.v[i].box, k ? 1000 : 0, t0, fx);
            if (patrol_start(c, g.v[i].user_id, g.v[i].id, 0, t0, &id, &err) < 0 ||
                patrol_fixes_add(c, id, g.v[i].user_id, fx, FIXES, end, &added, &dup, &err) < 0 ||
                patrol_end(c, id, g.v[i].user_id, NULL, end, &err) < 0)
                goto fail;
        }
    }
    if (store_commit(c, &err) < 0)
        goto fail;
    printf("setup: %zu grids x 2 patrols x %d fixes on day %lld, %.1f s\n", g.n, FIXES,
           (long long)day, (double)(ns(CLOCK_MONOTONIC) - t) / 1e9);
    uint64_t gw[RUNS_MAX], gc[RUNS_MAX], dw[RUNS_MAX], dc[RUNS_MAX];
    double share = 0, mean = 0;
    size_t ngrids = 0;
    for (int r = 0; r < runs; r++) {
        for (int whole = 0; whole < 2; whole++) {
            struct arena a;
            struct patrol_cover *v;
            size_t n;
            arena_init(&a, 1 << 16);
            uint64_t w0 = ns(CLOCK_MONOTONIC), c0 = ns(CLOCK_THREAD_CPUTIME_ID);
            int rc = patrol_coverage(c, whole ? 0 : g.v[0].id, day, day, TZ, PATROL_COVER_M, &a, &v,
                                     &n, &err);
            uint64_t w1 = ns(CLOCK_MONOTONIC), c1 = ns(CLOCK_THREAD_CPUTIME_ID);
            if (rc < 0)
                goto fail;
            (whole ? dw : gw)[r] = w1 - w0;
            (whole ? dc : gc)[r] = c1 - c0;
            if (whole) {
                mean = 0;
                for (size_t i = 0; i < n; i++)
                    mean += v[i].share / (double)n;
                ngrids = n;
            } else if (n == 1) {
                share = v[0].share;
            }
            arena_release(&a);
        }
    }
    printf("one grid-day (2 x %d fixes): median %.1f ms wall, %.1f ms CPU (%d runs); share "
           "%.3f\n",
           FIXES, (double)median(gw, runs) / 1e6, (double)median(gc, runs) / 1e6, runs, share);
    printf("district day (%zu grids): median %.0f ms wall, %.0f ms CPU (%d runs); mean share "
           "%.3f\n",
           ngrids, (double)median(dw, runs) / 1e6, (double)median(dc, runs) / 1e6, runs, mean);
    store_close(st);
    return 0;
fail:
    fprintf(stderr, "bench_coverage_day: %s\n", err.msg);
    return 1;
}
