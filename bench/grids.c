/*
 * Benchmark: locating a point among 25,000 grids (issue 15: < 2 µs). A synthetic city of
 * 1 district, 40 streets, 1,000 communities and 25,000 grids (a 125 x 200 lattice of cells of
 * about 220 x 190 m, each a polygon of 20 vertices with its edges bent so that neighbours share
 * them exactly) goes into one geo index, the region index gridloop serves /regions/locate and
 * intake from; then random points inside the district are located. Every answer is checked
 * against the cell the point was drawn in.
 *
 * Prints the build time and, per lookup (each timed alone by the monotonic clock, whose own
 * cost, ~20 ns, is included), p50/p90/p99/max, and the mean CPU time per lookup of an untimed
 * loop (this thread's CPU clock: on a shared machine wall time counts other processes' work).
 *
 *   build/bench_grids [--points 1000000]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "geo/geo.h"

#define COLS 125
#define ROWS 200
#define LON0 120.0
#define LAT0 30.0
#define DX 0.00225 /* degrees of longitude per cell, about 217 m at 30°N */
#define DY 0.00175 /* degrees of latitude per cell, about 194 m */
#define SUB 5      /* vertices per edge: 20 per cell */
#define BLOCK 5    /* a community is 5 x 5 grids, a street 5 x 5 communities */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* This thread's CPU time: the machine is shared, so wall time would count other work. */
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

/* A lattice node, bent a little so that edges are not straight (deterministic per node, so
 * the two cells sharing an edge share its vertices exactly). */
static void node(int i, int j, int k, int horizontal, double *lon, double *lat)
{
    double t = (double)k / SUB;
    if (horizontal) {
        *lon = LON0 + (i + t) * DX;
        *lat = LAT0 + j * DY + (k % SUB ? 0.08 * DY * sin((i * 7 + j * 3 + k) * 1.3) : 0);
    } else {
        *lon = LON0 + i * DX + (k % SUB ? 0.08 * DX * sin((i * 5 + j * 11 + k) * 1.7) : 0);
        *lat = LAT0 + (j + t) * DY;
    }
}

/* The polygon of cells [i0, i1) x [j0, j1) with the bent edges along its outline. */
static void block_polygon(struct buf *b, int i0, int j0, int i1, int j1)
{
    double x, y;
    buf_reset(b);
    buf_puts(b, "{\"type\":\"Polygon\",\"coordinates\":[[");
    /* south edge west to east, east edge up, north edge back, west edge down */
    for (int i = i0; i < i1; i++)
        for (int k = 0; k < SUB; k++) {
            node(i, j0, k, 1, &x, &y);
            buf_printf(b, "[%.9f,%.9f],", x, y);
        }
    for (int j = j0; j < j1; j++)
        for (int k = 0; k < SUB; k++) {
            node(i1, j, k, 0, &x, &y);
            buf_printf(b, "[%.9f,%.9f],", x, y);
        }
    for (int i = i1 - 1; i >= i0; i--)
        for (int k = SUB; k > 0; k--) {
            node(i, j1, k, 1, &x, &y);
            buf_printf(b, "[%.9f,%.9f],", x, y);
        }
    for (int j = j1 - 1; j >= j0; j--)
        for (int k = SUB; k > 0; k--) {
            node(i0, j, k, 0, &x, &y);
            buf_printf(b, "[%.9f,%.9f],", x, y);
        }
    node(i0, j0, 0, 1, &x, &y);
    buf_printf(b, "[%.9f,%.9f]]]}", x, y);
}

static void add(struct geo_index *ix, int64_t id, int depth, struct buf *b)
{
    struct err err = ERR_INIT;
    if (geo_index_add(ix, id, depth, b->p, &err) < 0) {
        fprintf(stderr, "bench_grids: region %lld: %s\n", (long long)id, err.msg);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    long points = 1000000;
    for (int i = 1; i + 1 < argc; i += 2)
        if (strcmp(argv[i], "--points") == 0)
            points = strtol(argv[i + 1], NULL, 10);
    struct geo_index *ix;
    struct err err = ERR_INIT;
    struct buf b;
    buf_init(&b);
    if (geo_index_new(&ix, &err) < 0)
        return 1;
    uint64_t t0 = now_ns();
    /* Grid (i, j) is id 1 + j * COLS + i; communities, streets and the district above. */
    for (int j = 0; j < ROWS; j++)
        for (int i = 0; i < COLS; i++) {
            block_polygon(&b, i, j, i + 1, j + 1);
            add(ix, 1 + (int64_t)j * COLS + i, 3, &b);
        }
    int64_t id = COLS * ROWS + 1;
    for (int j = 0; j < ROWS; j += BLOCK)
        for (int i = 0; i < COLS; i += BLOCK) {
            block_polygon(&b, i, j, i + BLOCK, j + BLOCK);
            add(ix, id++, 2, &b);
        }
    for (int j = 0; j < ROWS; j += BLOCK * BLOCK)
        for (int i = 0; i < COLS; i += BLOCK * BLOCK) {
            block_polygon(&b, i, j, i + BLOCK * BLOCK, j + BLOCK * BLOCK);
            add(ix, id++, 1, &b);
        }
    block_polygon(&b, 0, 0, COLS, ROWS);
    add(ix, id++, 0, &b);
    uint64_t t1 = now_ns();
    /* The first lookup builds the STRtree. */
    geo_locate(ix, LON0 + DX / 2, LAT0 + DY / 2);
    uint64_t t2 = now_ns();
    printf(
        "index: %zu polygons (%d grids of %d vertices), added in %.0f ms, tree built in %.1f ms\n",
        geo_index_size(ix), COLS * ROWS, 4 * SUB, (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6);

    /* Points drawn in the middle 80% of a random cell, so the bent edges cannot move them. */
    double *xy = malloc(sizeof(double) * 2 * (size_t)points);
    int64_t *want = malloc(sizeof(int64_t) * (size_t)points);
    uint64_t *ns = malloc(sizeof(uint64_t) * (size_t)points);
    srand(15);
    for (long p = 0; p < points; p++) {
        int i = rand() % COLS, j = rand() % ROWS;
        xy[2 * p] = LON0 + (i + 0.1 + 0.8 * rand() / (double)RAND_MAX) * DX;
        xy[2 * p + 1] = LAT0 + (j + 0.1 + 0.8 * rand() / (double)RAND_MAX) * DY;
        want[p] = 1 + (int64_t)j * COLS + i;
    }
    long wrong = 0;
    for (long p = 0; p < points; p++) {
        uint64_t a = now_ns();
        int64_t got = geo_locate(ix, xy[2 * p], xy[2 * p + 1]);
        ns[p] = now_ns() - a;
        wrong += got != want[p];
    }
    uint64_t t3 = cpu_ns();
    for (long p = 0; p < points; p++)
        wrong += geo_locate(ix, xy[2 * p], xy[2 * p + 1]) != want[p];
    uint64_t t4 = cpu_ns();
    qsort(ns, (size_t)points, sizeof(*ns), cmp_u64);
    printf("locate: n=%ld  p50 %.2f us  p90 %.2f us  p99 %.2f us  max %.1f us; mean untimed "
           "%.3f us CPU; %ld wrong\n",
           points, ns[points / 2] / 1e3, ns[points * 9 / 10] / 1e3, ns[points * 99 / 100] / 1e3,
           ns[points - 1] / 1e3, (double)(t4 - t3) / 1e3 / (double)points, wrong);
    free(xy);
    free(want);
    free(ns);
    buf_release(&b);
    geo_index_free(ix);
    return wrong ? 1 : 0;
}
