/*
 * Benchmark: the walking graph and the 15-minute service circle on a register database
 * (bench/walk.sh builds one with `gridloop init --demo --demo-addresses N`).
 *
 * Prints the graph's size and load time, then per circle (from random address points of the
 * register, each timed alone by this thread's CPU clock) p50/p90/p99/max without and with the
 * reached area, and the time of the coverage of every community.
 *
 *   build/bench_walk --db FILE [--circles 500] [--minutes 15]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"
#include "walk/walk.h"

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, uint64_t *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_u64);
    printf("%-26s n=%zu  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms\n", what, n,
           (double)v[n / 2] / 1e6, (double)v[n * 9 / 10] / 1e6, (double)v[n * 99 / 100] / 1e6,
           (double)v[n - 1] / 1e6);
}

struct pts {
    double *lat, *lon;
    size_t n, cap;
};

static int pt_row(void *ctx, struct store_stmt *row)
{
    struct pts *p = ctx;
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 1024;
        p->lat = xrealloc(p->lat, p->cap * sizeof(double));
        p->lon = xrealloc(p->lon, p->cap * sizeof(double));
    }
    p->lat[p->n] = store_col_real(row, 0);
    p->lon[p->n++] = store_col_real(row, 1);
    return 0;
}

int main(int argc, char **argv)
{
    const char *db = NULL;
    size_t circles = 500;
    double minutes = 15;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--db") == 0)
            db = argv[i + 1];
        else if (strcmp(argv[i], "--circles") == 0)
            circles = (size_t)strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--minutes") == 0)
            minutes = strtod(argv[i + 1], NULL);
    }
    if (!db || circles == 0) {
        fprintf(stderr, "usage: bench_walk --db FILE [--circles N] [--minutes M]\n");
        return 2;
    }
    log_set_level(LOG_WARN);
    struct store_options opt = {0};
    struct store *st;
    struct store_conn *c;
    struct err err = ERR_INIT;
    opt.path = db;
    if (store_open(&st, &opt, &err) < 0 || store_conn(st, &c, &err) < 0) {
        fprintf(stderr, "bench_walk: %s\n", err.msg);
        return 1;
    }
    struct walk_graph *g;
    uint64_t t0 = cpu_ns();
    if (walk_graph_load(c, &g, &err) < 0) {
        fprintf(stderr, "bench_walk: %s\n", err.msg);
        return 1;
    }
    uint64_t load = cpu_ns() - t0;
    struct walk_stats s;
    walk_graph_stats(g, &s);
    printf("graph: %zu roads, %zu nodes, %zu edges, %.1f km; %zu places (%zu off), %zu addresses "
           "(%zu off); load %.1f ms\n",
           s.roads, s.nodes, s.edges, s.road_m / 1000, s.places, s.places_off, s.points,
           s.points_off, (double)load / 1e6);
    struct pts p = {0};
    if (store_all(c, "SELECT lat, lon FROM addr_points ORDER BY id", STORE_NO_ARGS, pt_row, &p,
                  &err) < 0 ||
        p.n == 0) {
        fprintf(stderr, "bench_walk: no address points (%s)\n", err.msg);
        return 1;
    }
    double metres = minutes * WALK_M_PER_MIN;
    uint64_t *plain = xcalloc(circles, sizeof(uint64_t)),
             *area = xcalloc(circles, sizeof(uint64_t));
    size_t found = 0, ok = 0;
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < circles; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        size_t k = (size_t)(seed % p.n);
        for (int with_area = 0; with_area < 2; with_area++) {
            struct arena a;
            struct walk_circle out;
            arena_init(&a, 0);
            struct err e = ERR_INIT;
            uint64_t t = cpu_ns();
            int rc = walk_circle(g, p.lat[k], p.lon[k], metres, NULL, with_area, &a, &out, &e);
            (with_area ? area : plain)[i] = cpu_ns() - t;
            if (rc == 0 && !with_area) {
                ok++;
                found += out.nplaces;
            }
            arena_release(&a);
        }
    }
    printf("circles of %.0f min (%.0f m) from %zu random addresses: %zu on the network, %.1f "
           "places each\n",
           minutes, metres, circles, ok, ok ? (double)found / (double)ok : 0);
    report("circle (places)", plain, circles);
    report("circle (places + area)", area, circles);
    uint64_t cov[3];
    size_t ncomm = 0;
    for (int r = 0; r < 3; r++) {
        struct arena a;
        struct walk_cover *out;
        arena_init(&a, 0);
        t0 = cpu_ns();
        walk_coverage(g, metres, &a, &out, &ncomm, &err);
        cov[r] = cpu_ns() - t0;
        arena_release(&a);
    }
    qsort(cov, 3, sizeof(uint64_t), cmp_u64);
    printf("coverage of %zu communities x %zu types: median of 3 %.1f ms\n", ncomm,
           walk_place_types_count, (double)cov[1] / 1e6);
    walk_graph_free(g);
    store_close(st);
    free(plain);
    free(area);
    free(p.lat);
    free(p.lon);
    return 0;
}
