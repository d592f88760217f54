/*
 * Benchmark: smart dispatch of grid workers (src/gridw, docs/grid.md section 7).
 *
 * 1. The batch: TASKS tasks to WORKERS workers (min-cost flow with a load cap), timed on the
 *    wall clock over several runs; every task placed is checked against the caps.
 * 2. A simulated day: a 8 x 8 km district of 100 grids with one worker each, tasks arriving
 *    through a 12-hour day (half anywhere, half around five hot spots), each needing 15-45
 *    minutes on site; a worker travels at GRIDW_SPEED_M_PER_MIN along streets GRIDW_DETOUR
 *    times the straight line and works through their list in order. Four ways to choose the
 *    worker: the nearest worker (by where they will be), round robin, smart dispatch one task
 *    at a time (gridw_cost: travel + wait per open task + outside-grid penalty), and smart
 *    dispatch in 5-minute batches (gridw_batch_solve, cap 2 per batch). Reported: mean and p90
 *    time from the report to the worker's arrival, and the spread of load (tasks per worker:
 *    standard deviation, min, max), averaged over seeds.
 *
 *   build/bench_dispatch [--tasks 1000] [--workers 300] [--runs 20] [--day-tasks 800]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "gridw/gridw.h"

#define LAT0 30.25
#define LON0 120.15
#define M_PER_DEG_LAT 110574.0

static double lon_m(void)
{
    return 111320.0 * cos(LAT0 * M_PI / 180.0);
}

static unsigned long long rng = 88172645463325252ull;
static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static double nrand(void)
{
    double u = urand() + 1e-12, v = urand();
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---------------------------------------------------------------- 1. the batch */

static void bench_batch(int ntasks, int nworkers, int runs)
{
    struct gridw_pool_worker *w = calloc((size_t)nworkers, sizeof(*w));
    struct gridw_task *t = calloc((size_t)ntasks, sizeof(*t));
    int64_t *grid = calloc((size_t)nworkers, sizeof(int64_t));
    int *assign = calloc((size_t)ntasks, sizeof(int));
    uint64_t *ns = calloc((size_t)runs, sizeof(uint64_t));
    int side = (int)ceil(sqrt(nworkers));
    double cell = 800.0, lm = lon_m();
    int placed = 0;
    for (int r = 0; r < runs; r++) {
        for (int k = 0; k < nworkers; k++) {
            grid[k] = k + 1;
            double x = (k % side + urand()) * cell, y = (k / side + urand()) * cell;
            w[k] = (struct gridw_pool_worker){NULL,
                                              LAT0 + y / M_PER_DEG_LAT,
                                              LON0 + x / lm,
                                              1,
                                              (int64_t)(urand() * 4),
                                              8,
                                              &grid[k],
                                              1,
                                              NULL,
                                              0};
        }
        for (int i = 0; i < ntasks; i++) {
            double x = urand() * side * cell, y = urand() * side * cell;
            int cx = (int)(x / cell), cy = (int)(y / cell);
            t[i] = (struct gridw_task){
                0, LAT0 + y / M_PER_DEG_LAT, LON0 + x / lm, cy * side + cx + 1, 0, 0, NULL};
        }
        uint64_t t0 = now_ns();
        placed = gridw_batch_solve(w, (size_t)nworkers, t, (size_t)ntasks, 6, assign, NULL, NULL);
        ns[r] = now_ns() - t0;
        int *count = calloc((size_t)nworkers, sizeof(int));
        for (int i = 0; i < ntasks; i++)
            if (assign[i] >= 0 && ++count[assign[i]] > 6) {
                fprintf(stderr, "cap broken\n");
                exit(1);
            }
        free(count);
    }
    qsort(ns, (size_t)runs, sizeof(*ns), cmp_u64);
    printf(
        "batch %d tasks x %d workers (cap 6, up to 8 open, 0-3 open already): placed %d; p50 %.1f ms, max %.1f "
        "ms over %d runs\n",
        ntasks, nworkers, placed, (double)ns[runs / 2] / 1e6, (double)ns[runs - 1] / 1e6, runs);
    free(ns);
    free(assign);
    free(grid);
    free(t);
    free(w);
}

/* ---------------------------------------------------------------- 2. the day */

#define DAY_W 100
#define DAY_SIDE 10
#define CELL 800.0

struct dtask {
    double x, y, at, service;
    int grid;
    double arrive;
};

struct dworker {
    double x, y;    /* where they are when free */
    double free_at; /* when they finish their list */
    int open;       /* tasks on the list at the current time (recomputed) */
    int done;       /* tasks given */
    double *ends;   /* finish times of given tasks */
    int nends, cap;
};

enum policy { NEAREST, ROUND_ROBIN, SMART, SMART_BATCH, NPOLICY };
static const char *const policy_names[] = {"nearest worker", "round robin", "smart (one at a time)",
                                           "smart (5-minute batches)"};

static double travel_min(double x0, double y0, double x1, double y1)
{
    return hypot(x1 - x0, y1 - y0) * GRIDW_DETOUR / GRIDW_SPEED_M_PER_MIN;
}

static void give(struct dworker *w, struct dtask *t)
{
    double start = w->free_at > t->at ? w->free_at : t->at;
    t->arrive = start + travel_min(w->x, w->y, t->x, t->y);
    w->free_at = t->arrive + t->service;
    w->x = t->x;
    w->y = t->y;
    w->done++;
    if (w->nends == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        w->ends = realloc(w->ends, (size_t)w->cap * sizeof(double));
    }
    w->ends[w->nends++] = w->free_at;
}

static int open_at(const struct dworker *w, double now)
{
    int n = 0;
    for (int i = 0; i < w->nends; i++)
        n += w->ends[i] > now;
    return n;
}

static void pool_of(struct dworker *ws, double now, struct gridw_pool_worker *pw, int64_t *grid)
{
    double lm = lon_m();
    for (int k = 0; k < DAY_W; k++) {
        grid[k] = k + 1;
        pw[k] = (struct gridw_pool_worker){NULL,
                                           LAT0 + ws[k].y / M_PER_DEG_LAT,
                                           LON0 + ws[k].x / lm,
                                           1,
                                           open_at(&ws[k], now),
                                           8,
                                           &grid[k],
                                           1,
                                           NULL,
                                           0};
    }
}

static struct gridw_task task_of(const struct dtask *t)
{
    return (struct gridw_task){
        0, LAT0 + t->y / M_PER_DEG_LAT, LON0 + t->x / lon_m(), t->grid + 1, 0, 0, NULL};
}

static void simulate(enum policy p, struct dtask *tasks, int n, double res[5])
{
    struct dworker ws[DAY_W];
    struct gridw_pool_worker pw[DAY_W];
    int64_t grid[DAY_W];
    memset(ws, 0, sizeof(ws));
    for (int k = 0; k < DAY_W; k++) {
        ws[k].x = (k % DAY_SIDE + 0.5) * CELL;
        ws[k].y = (k / DAY_SIDE + 0.5) * CELL;
    }
    int rr = 0;
    for (int i = 0; i < n;) {
        if (p == SMART_BATCH) {
            /* Everything reported in this 5-minute window, assigned at its end. */
            double end = (floor(tasks[i].at / 5) + 1) * 5;
            int j = i;
            while (j < n && tasks[j].at < end)
                j++;
            struct gridw_task bt[256];
            int assign[256], m = j - i > 256 ? 256 : j - i;
            pool_of(ws, end, pw, grid);
            for (int k = 0; k < m; k++)
                bt[k] = task_of(&tasks[i + k]);
            gridw_batch_solve(pw, DAY_W, bt, (size_t)m, 2, assign, NULL, NULL);
            for (int k = 0; k < m; k++) {
                int w = assign[k];
                if (w < 0) { /* every cap full: the least loaded */
                    w = 0;
                    for (int q = 1; q < DAY_W; q++)
                        if (open_at(&ws[q], end) < open_at(&ws[w], end))
                            w = q;
                }
                tasks[i + k].at = end > tasks[i + k].at ? tasks[i + k].at : end;
                struct dtask *t = &tasks[i + k];
                double reported = t->at;
                t->at = end; /* the worker hears of it at the window's end */
                give(&ws[w], t);
                t->at = reported;
            }
            i += m;
            continue;
        }
        struct dtask *t = &tasks[i++];
        int best = 0;
        if (p == ROUND_ROBIN) {
            best = rr++ % DAY_W;
        } else if (p == NEAREST) {
            double bd = 1e18;
            for (int k = 0; k < DAY_W; k++) {
                double d = hypot(ws[k].x - t->x, ws[k].y - t->y);
                if (d < bd) {
                    bd = d;
                    best = k;
                }
            }
        } else {
            struct gridw_task gt = task_of(t);
            double bc = 1e18;
            best = -1;
            pool_of(ws, t->at, pw, grid);
            for (int k = 0; k < DAY_W; k++) {
                struct gridw_reason r;
                if (gridw_cost(&pw[k], &gt, &r) && r.cost < bc) {
                    bc = r.cost;
                    best = k;
                }
            }
            if (best < 0)
                best = 0;
        }
        give(&ws[best], t);
    }
    double *wait = malloc((size_t)n * sizeof(double)), sum = 0;
    for (int i = 0; i < n; i++) {
        wait[i] = tasks[i].arrive - tasks[i].at;
        sum += wait[i];
    }
    qsort(wait, (size_t)n, sizeof(double), cmp_d);
    double mean_load = (double)n / DAY_W, var = 0;
    int mn = 1 << 30, mx = 0;
    for (int k = 0; k < DAY_W; k++) {
        var += (ws[k].done - mean_load) * (ws[k].done - mean_load);
        mn = ws[k].done < mn ? ws[k].done : mn;
        mx = ws[k].done > mx ? ws[k].done : mx;
        free(ws[k].ends);
    }
    res[0] += sum / n;
    res[1] += wait[n * 9 / 10];
    res[2] += sqrt(var / DAY_W);
    res[3] += mn;
    res[4] += mx;
    free(wait);
}

static int cmp_task(const void *a, const void *b)
{
    const struct dtask *x = a, *y = b;
    return (x->at > y->at) - (x->at < y->at);
}

static void bench_day(int ntasks, int seeds)
{
    double res[NPOLICY][5];
    memset(res, 0, sizeof(res));
    struct dtask *base = calloc((size_t)ntasks, sizeof(*base)),
                 *run = calloc((size_t)ntasks, sizeof(*run));
    double side = DAY_SIDE * CELL;
    for (int s = 0; s < seeds; s++) {
        double hot[5][2];
        for (int h = 0; h < 5; h++) {
            hot[h][0] = (0.15 + 0.7 * urand()) * side;
            hot[h][1] = (0.15 + 0.7 * urand()) * side;
        }
        for (int i = 0; i < ntasks; i++) {
            struct dtask *t = &base[i];
            if (urand() < 0.5) {
                t->x = urand() * side;
                t->y = urand() * side;
            } else {
                int h = (int)(urand() * 5);
                t->x = fmin(fmax(hot[h][0] + nrand() * 500, 0), side - 1);
                t->y = fmin(fmax(hot[h][1] + nrand() * 500, 0), side - 1);
            }
            t->grid = (int)(t->y / CELL) * DAY_SIDE + (int)(t->x / CELL);
            t->at = urand() * 720; /* minutes after 08:00 */
            t->service = 15 + urand() * 30;
        }
        qsort(base, (size_t)ntasks, sizeof(*base), cmp_task);
        for (int p = 0; p < NPOLICY; p++) {
            memcpy(run, base, (size_t)ntasks * sizeof(*run));
            simulate((enum policy)p, run, ntasks, res[p]);
        }
    }
    printf("simulated day: %d tasks over 12 h, %d workers on 100 grids of 800 m, %d seeds\n",
           ntasks, DAY_W, seeds);
    printf("| policy | mean time to arrival (min) | p90 (min) | load per worker: sd | min | max "
           "|\n|---|---|---|---|---|---|\n");
    for (int p = 0; p < NPOLICY; p++)
        printf("| %s | %.1f | %.1f | %.1f | %.1f | %.1f |\n", policy_names[p], res[p][0] / seeds,
               res[p][1] / seeds, res[p][2] / seeds, res[p][3] / seeds, res[p][4] / seeds);
    free(base);
    free(run);
}

int main(int argc, char **argv)
{
    int tasks = 1000, workers = 300, runs = 20, day = 800, seeds = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        int v = (int)strtol(argv[i + 1], NULL, 10);
        if (strcmp(argv[i], "--tasks") == 0)
            tasks = v;
        else if (strcmp(argv[i], "--workers") == 0)
            workers = v;
        else if (strcmp(argv[i], "--runs") == 0)
            runs = v;
        else if (strcmp(argv[i], "--day-tasks") == 0)
            day = v;
        else if (strcmp(argv[i], "--seeds") == 0)
            seeds = v;
    }
    if (tasks < 1 || workers < 1 || runs < 1 || day < 10 || seeds < 1) {
        fprintf(stderr, "usage: bench_dispatch [--tasks N] [--workers N] [--runs N] "
                        "[--day-tasks N] [--seeds N]\n");
        return 2;
    }
    bench_batch(tasks, workers, runs);
    bench_day(day, seeds);
    return 0;
}
