/*
 * geo_voronoi_cells, geo_random_points and the GCJ-02 datum: the cells tile their area (every
 * point of it lies in exactly one cell, each cell holds its seed), Lloyd's rounds keep seeds
 * inside, scatters are reproducible, and GCJ-02 <-> WGS84 round trips to millimetres.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "geo/geo.h"
#include "test.h"

/* An L-shaped area about 1.7 x 1.1 km near 东城区 (concave: cells can come out in pieces). */
static const char L_AREA[] =
    "{\"type\":\"Polygon\",\"coordinates\":[[[116.40,39.90],[116.42,39.90],[116.42,39.905],"
    "[116.41,39.905],[116.41,39.91],[116.40,39.91],[116.40,39.90]]]}";

static int64_t located(struct geo_index *ix, double lon, double lat)
{
    return geo_locate(ix, lon, lat);
}

static void check_tiling(size_t n, int rounds)
{
    struct arena a;
    struct err e = ERR_INIT;
    struct geo_index *ix = NULL;
    arena_init(&a, 4096);
    double *seeds = arena_alloc(&a, n * 2 * sizeof(double)), *pts = NULL;
    char **cells = arena_alloc(&a, n * sizeof(char *));
    CHECK_INT_EQ(geo_random_points(L_AREA, n, 42, seeds, &e), 0, "scatter: %s", e.msg);
    CHECK_INT_EQ(geo_voronoi_cells(L_AREA, seeds, n, rounds, &a, cells, &e), 0, "cells: %s", e.msg);
    CHECK_INT_EQ(geo_index_new(&ix, &e), 0, "index: %s", e.msg);
    for (size_t i = 0; i < n; i++) {
        CHECK(cells[i] != NULL, "cell %zu missing", i);
        CHECK_INT_EQ(geo_validate(cells[i], &e), 0, "cell %zu invalid: %s", i, e.msg);
        CHECK_INT_EQ(geo_index_add(ix, (int64_t)i + 1, 0, cells[i], &e), 0, "add: %s", e.msg);
    }
    /* Each (final) seed lies in its own cell. */
    for (size_t i = 0; i < n; i++)
        CHECK_INT_EQ(located(ix, seeds[2 * i], seeds[2 * i + 1]), (int64_t)i + 1,
                     "seed %zu is not in its cell", i);
    /* No gap: 500 points of the area each fall in a cell; none outside the area does. */
    pts = arena_alloc(&a, 500 * 2 * sizeof(double));
    CHECK_INT_EQ(geo_random_points(L_AREA, 500, 7, pts, &e), 0, "scatter: %s", e.msg);
    for (size_t i = 0; i < 500; i++)
        CHECK(located(ix, pts[2 * i], pts[2 * i + 1]) != 0, "point %zu in no cell", i);
    CHECK_INT_EQ(located(ix, 116.415, 39.908), 0, "the L's missing corner is in a cell");
    geo_index_free(ix);
    arena_release(&a);
}

TEST(geo_voronoi_cells_tile_the_area)
{
    check_tiling(1 + 1, 0);
    check_tiling(7, 0);
    check_tiling(12, 8);
}

TEST(geo_voronoi_lloyd_evens_out_cells)
{
    /* Seeds bunched in one corner: without relaxation one cell takes most of the area; after
     * Lloyd's rounds every seed has moved and the seeds spread over the area. */
    struct arena a;
    struct err e = ERR_INIT;
    arena_init(&a, 4096);
    double seeds[8] = {116.4001, 39.9001, 116.4002, 39.9001, 116.4001, 39.9002, 116.4002, 39.9002};
    char *cells[4];
    CHECK_INT_EQ(geo_voronoi_cells(L_AREA, seeds, 4, 10, &a, cells, &e), 0, "cells: %s", e.msg);
    double minx = 1e9, maxx = -1e9, miny = 1e9, maxy = -1e9;
    for (int i = 0; i < 4; i++) {
        minx = fmin(minx, seeds[2 * i]);
        maxx = fmax(maxx, seeds[2 * i]);
        miny = fmin(miny, seeds[2 * i + 1]);
        maxy = fmax(maxy, seeds[2 * i + 1]);
    }
    CHECK(maxx - minx > 0.004 || maxy - miny > 0.004, "seeds stayed bunched: %g x %g", maxx - minx,
          maxy - miny);
    arena_release(&a);
}

TEST(geo_voronoi_rejects_bad_seeds)
{
    struct arena a;
    struct err e = ERR_INIT;
    arena_init(&a, 4096);
    char *cells[2];
    double same[4] = {116.405, 39.902, 116.405, 39.902};
    CHECK_INT_EQ(geo_voronoi_cells(L_AREA, same, 2, 0, &a, cells, &e), ERR_BAD_REQUEST,
                 "two equal seeds");
    double none[2] = {0, 0};
    CHECK_INT_EQ(geo_voronoi_cells(L_AREA, none, 0, 0, &a, cells, &e), ERR_BAD_REQUEST, "no seeds");
    CHECK_INT_EQ(
        geo_voronoi_cells("{\"type\":\"Point\",\"coordinates\":[1,2]}", none, 1, 0, &a, cells, &e),
        ERR_BAD_REQUEST, "a point is no area");
    arena_release(&a);
}

TEST(geo_random_points_reproducible_and_inside)
{
    struct err e = ERR_INIT;
    struct geo_index *ix = NULL;
    double p[200], q[200];
    CHECK_INT_EQ(geo_random_points(L_AREA, 100, 5, p, &e), 0, "scatter: %s", e.msg);
    CHECK_INT_EQ(geo_random_points(L_AREA, 100, 5, q, &e), 0, "scatter: %s", e.msg);
    CHECK(memcmp(p, q, sizeof(p)) == 0, "same seed, different points");
    CHECK_INT_EQ(geo_random_points(L_AREA, 100, 6, q, &e), 0, "scatter: %s", e.msg);
    CHECK(memcmp(p, q, sizeof(p)) != 0, "another seed, the same points");
    CHECK_INT_EQ(geo_index_new(&ix, &e), 0, "index");
    CHECK_INT_EQ(geo_index_add(ix, 1, 0, L_AREA, &e), 0, "add: %s", e.msg);
    for (int i = 0; i < 100; i++)
        CHECK_INT_EQ(geo_locate(ix, p[2 * i], p[2 * i + 1]), 1, "point %d outside", i);
    geo_index_free(ix);
}

TEST(geo_gcj02_round_trip)
{
    /* In Beijing GCJ-02 moves a point a few hundred metres north-east; the inverse undoes it
     * to better than a millimetre. */
    double lon = 116.397128, lat = 39.916527, glon, glat, blon, blat;
    geo_wgs84_to_gcj02(lon, lat, &glon, &glat);
    double dx = (glon - lon) * 111320 * cos(lat * M_PI / 180), dy = (glat - lat) * 110574;
    CHECK(dx > 400 && dx < 700 && dy > 50 && dy < 250, "offset %.1f m east, %.1f m north", dx, dy);
    geo_gcj02_to_wgs84(glon, glat, &blon, &blat);
    CHECK(fabs(blon - lon) < 1e-8 && fabs(blat - lat) < 1e-8, "round trip off by %g, %g",
          blon - lon, blat - lat);
    /* Outside China nothing moves. */
    geo_wgs84_to_gcj02(2.35, 48.85, &glon, &glat);
    CHECK(glon == 2.35 && glat == 48.85, "Paris moved to %f %f", glon, glat);
    geo_gcj02_to_wgs84(2.35, 48.85, &blon, &blat);
    CHECK(blon == 2.35 && blat == 48.85, "Paris moved back to %f %f", blon, blat);
}
