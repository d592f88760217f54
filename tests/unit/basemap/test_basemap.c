/*
 * Tests for basemap: tile maths, the coordinates of stored geometries, Douglas-Peucker,
 * clipping, and tiles read from a register in a real database.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "basemap/basemap.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"
#include "test.h"

#define NEAR(a, b, tol) (fabs((a) - (b)) <= (tol))

TEST(basemap_tile_bounds_and_projection)
{
    double w, s, e, n;
    basemap_tile_bounds(0, 0, 0, &w, &s, &e, &n);
    CHECK(NEAR(w, -180, 1e-9) && NEAR(e, 180, 1e-9), "world: %g..%g", w, e);
    CHECK(NEAR(n, 85.0511287798, 1e-9) && NEAR(s, -85.0511287798, 1e-9), "world: %g..%g", s, n);
    basemap_tile_bounds(1, 1, 0, &w, &s, &e, &n);
    CHECK(NEAR(w, 0, 1e-9) && NEAR(e, 180, 1e-9) && NEAR(s, 0, 1e-9), "1/1/0: %g %g %g", w, e, s);
    /* A tile's corners project to (0, 0) and (EXTENT, EXTENT) of that tile. */
    int z = 16, x = 54590, y = 26802;
    basemap_tile_bounds(z, x, y, &w, &s, &e, &n);
    double tx, ty;
    basemap_project(z, x, y, w, n, &tx, &ty);
    CHECK(NEAR(tx, 0, 1e-6) && NEAR(ty, 0, 1e-6), "north-west corner at %g,%g", tx, ty);
    basemap_project(z, x, y, e, s, &tx, &ty);
    CHECK(NEAR(tx, BASEMAP_EXTENT, 1e-6) && NEAR(ty, BASEMAP_EXTENT, 1e-6),
          "south-east corner at %g,%g", tx, ty);
    /* y grows southwards; the poles are clamped, not infinite. */
    basemap_project(z, x, y, (w + e) / 2, s - 0.001, &tx, &ty);
    CHECK(ty > BASEMAP_EXTENT && NEAR(tx, BASEMAP_EXTENT / 2.0, 1e-6), "south of it: %g", ty);
    basemap_project(0, 0, 0, 0, 90, &tx, &ty);
    CHECK(isfinite(ty) && NEAR(ty, 0, 1e-6), "pole: %g", ty);
}

TEST(basemap_check_tile_names_the_field)
{
    struct err e = ERR_INIT;
    CHECK_INT_EQ(basemap_check_tile(0, 0, 0, &e), 0, "0/0/0");
    CHECK_INT_EQ(basemap_check_tile(22, (1 << 22) - 1, 5, &e), 0, "22 max x");
    CHECK_INT_EQ(basemap_check_tile(23, 0, 0, &e), ERR_BAD_REQUEST, "z 23");
    CHECK_STR_EQ(e.field, "z", "z 23");
    CHECK_INT_EQ(basemap_check_tile(-1, 0, 0, &e), ERR_BAD_REQUEST, "z -1");
    CHECK_INT_EQ(basemap_check_tile(3, 8, 0, &e), ERR_BAD_REQUEST, "x 8 at 3");
    CHECK_STR_EQ(e.field, "x", "x 8");
    CHECK_INT_EQ(basemap_check_tile(3, 7, 8, &e), ERR_BAD_REQUEST, "y 8 at 3");
    CHECK_STR_EQ(e.field, "y", "y 8");
    CHECK_INT_EQ(basemap_check_tile(3, 0, -1, &e), ERR_BAD_REQUEST, "y -1");
}

TEST(basemap_zoom_rules)
{
    CHECK(basemap_road_zoom("trunk") < basemap_road_zoom("primary") &&
              basemap_road_zoom("primary") < basemap_road_zoom("secondary") &&
              basemap_road_zoom("secondary") < basemap_road_zoom("branch") &&
              basemap_road_zoom("branch") < basemap_road_zoom("path"),
          "bigger roads first");
    CHECK(basemap_road_zoom("trunk") >= BASEMAP_MIN_ZOOM, "trunk from the minimum zoom");
    CHECK(basemap_place_zoom("government") < basemap_place_zoom("school") &&
              basemap_place_zoom("school") < basemap_place_zoom("toilet"),
          "fewer places at low zoom");
    CHECK_INT_EQ(basemap_road_zoom("motorway"), INT32_MAX, "unknown kind");
    CHECK_INT_EQ(basemap_place_zoom("casino"), INT32_MAX, "unknown type");
}

TEST(basemap_parse_coords_parts)
{
    struct arena a;
    arena_init(&a, 4096);
    struct err e = ERR_INIT;
    double *xy;
    size_t *lens, n;
    CHECK_INT_EQ(
        basemap_parse_coords("{\"type\":\"LineString\",\"coordinates\":[[1,2],[3.5,-4e1]]}", &a,
                             &xy, &lens, &n, &e),
        0, "line: %s", e.msg);
    CHECK(n == 1 && lens[0] == 2 && xy[0] == 1 && xy[1] == 2 && xy[2] == 3.5 && xy[3] == -40,
          "line parts");
    CHECK_INT_EQ(basemap_parse_coords("{\"coordinates\" : [ [[0,0],[1,0],[1,1],[0,0]] , "
                                      "[[0.2,0.2],[0.3,0.2],[0.3,0.3],[0.2,0.2]] ], "
                                      "\"type\":\"Polygon\"}",
                                      &a, &xy, &lens, &n, &e),
                 0, "polygon with a hole: %s", e.msg);
    CHECK(n == 2 && lens[0] == 4 && lens[1] == 4 && xy[8] == 0.2, "rings");
    CHECK_INT_EQ(basemap_parse_coords("{\"type\":\"MultiPolygon\",\"coordinates\":[[[[0,0],[1,0],"
                                      "[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5,9]]]]}",
                                      &a, &xy, &lens, &n, &e),
                 0, "multipolygon: %s", e.msg);
    CHECK(n == 2 && xy[8] == 5 && xy[15] == 5, "multipolygon rings, altitude dropped");
    static const char *const bad[] = {
        "{\"type\":\"Point\",\"coordinates\":[1,2]}",
        "{\"type\":\"LineString\"}",
        "{\"type\":\"LineString\",\"coordinates\":[[1,2],[3]]}",
        "{\"type\":\"LineString\",\"coordinates\":[[1,2],[3,4,5,6]]}",
        "{\"type\":\"LineString\",\"coordinates\":[[1,2],[3,4]",
        "{\"type\":\"LineString\",\"coordinates\":[[1,2],[3,nan]]}",
        "{\"type\":\"LineString\",\"coordinates\":[[1,2],[1e999,4]]}",
        "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,1]],[2,2]]}",
        "{\"type\":\"X\",\"coordinates\":[[[[[[0,0]]]]]]}",
        "{\"coordinates\":",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        CHECK_INT_EQ(basemap_parse_coords(bad[i], &a, &xy, &lens, &n, &e), ERR_BAD_REQUEST, "%s",
                     bad[i]);
    arena_release(&a);
}

TEST(basemap_simplify_douglas_peucker)
{
    /* A straight line with a wiggle of 0.4 (under the tolerance) and a spike of 5 (over). */
    double xy[] = {0, 0, 10, 0.4, 20, 0, 30, 5, 40, 0, 50, 0};
    size_t m = basemap_simplify(xy, 6, 1.0);
    CHECK_INT_EQ(m, 5, "kept");
    double want[] = {0, 0, 20, 0, 30, 5, 40, 0, 50, 0};
    for (size_t i = 0; m == 5 && i < 10; i++)
        CHECK(xy[i] == want[i], "point %zu: %g", i / 2, xy[i]);
    /* A closed ring keeps its shape: its first chord has no length. */
    double ring[] = {0, 0, 10, 0, 10, 0.2, 10, 10, 0, 10, 0, 0};
    m = basemap_simplify(ring, 6, 1.0);
    CHECK_INT_EQ(m, 5, "square ring");
    /* Two points and fewer stay as they are. */
    double two[] = {1, 1, 2, 2};
    CHECK_INT_EQ(basemap_simplify(two, 2, 10), 2, "two points");
}

TEST(basemap_clip_line_pieces)
{
    struct arena a;
    arena_init(&a, 4096);
    double *out;
    size_t *lens;
    /* In, out through the right edge, back in, out: two pieces. */
    double xy[] = {5, 5, 20, 5, 20, 8, 5, 8};
    size_t n = basemap_clip_line(xy, 4, 0, 10, &a, &out, &lens);
    CHECK_INT_EQ(n, 2, "pieces");
    if (n == 2) {
        CHECK(lens[0] == 2 && lens[1] == 2, "lengths %zu %zu", lens[0], lens[1]);
        CHECK(out[0] == 5 && out[1] == 5 && out[2] == 10 && out[3] == 5, "first piece");
        CHECK(out[4] == 10 && out[5] == 8 && out[6] == 5 && out[7] == 8, "second piece");
    }
    /* Wholly inside: one piece, every point; wholly outside: nothing. */
    double in[] = {1, 1, 2, 2, 3, 1};
    n = basemap_clip_line(in, 3, 0, 10, &a, &out, &lens);
    CHECK(n == 1 && lens[0] == 3 && out[4] == 3, "inside");
    double away[] = {20, 20, 30, 30};
    CHECK_INT_EQ(basemap_clip_line(away, 2, 0, 10, &a, &out, &lens), 0, "outside");
    /* Crossing the whole box diagonally. */
    double across[] = {-10, -10, 20, 20};
    n = basemap_clip_line(across, 2, 0, 10, &a, &out, &lens);
    CHECK(n == 1 && out[0] == 0 && out[1] == 0 && out[2] == 10 && out[3] == 10, "diagonal");
    arena_release(&a);
}

static double ring_area(const double *xy, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = (i + 1) % n;
        s += xy[2 * i] * xy[2 * j + 1] - xy[2 * j] * xy[2 * i + 1];
    }
    return fabs(s) / 2;
}

TEST(basemap_clip_ring_areas)
{
    struct arena a;
    arena_init(&a, 4096);
    double *out;
    /* A square half outside to the left: the inside half remains. */
    double sq[] = {-5, 2, 5, 2, 5, 6, -5, 6, -5, 2};
    size_t n = basemap_clip_ring(sq, 5, 0, 10, &a, &out);
    CHECK(n == 4 && NEAR(ring_area(out, n), 20, 1e-9), "half square: %zu points, area %g", n,
          n ? ring_area(out, n) : 0);
    for (size_t i = 0; i < n; i++)
        CHECK(out[2 * i] >= 0 && out[2 * i] <= 10, "x %g inside", out[2 * i]);
    /* A ring covering the box becomes the box. */
    double big[] = {-50, -50, 50, -50, 50, 50, -50, 50};
    n = basemap_clip_ring(big, 4, 0, 10, &a, &out);
    CHECK(n == 4 && NEAR(ring_area(out, n), 100, 1e-9), "box: area %g", ring_area(out, n));
    /* Outside: nothing. A concave U over the edge keeps both arms' parts. */
    double away[] = {20, 20, 30, 20, 30, 30};
    CHECK_INT_EQ(basemap_clip_ring(away, 3, 0, 10, &a, &out), 0, "outside");
    double u[] = {2, -5, 4, -5, 4, 5, 6, 5, 6, -5, 8, -5, 8, 8, 2, 8};
    n = basemap_clip_ring(u, 8, 0, 10, &a, &out);
    CHECK(NEAR(ring_area(out, n), 6 * 8 - 2 * 5, 1e-9), "U: area %g", ring_area(out, n));
    arena_release(&a);
}

static void put(struct store_conn *c, const char *sql, struct store_args args)
{
    struct err e = ERR_INIT;
    CHECK(store_run(c, sql, args, &e) >= 0, "%s: %s", sql, e.msg);
    CHECK(store_run(c, "UPDATE addr_version SET version = version + 1", STORE_NO_ARGS, &e) == 1,
          "version: %s", e.msg);
}

TEST(basemap_tile_from_the_register)
{
    struct err e = ERR_INIT;
    char path[512];
    log_set_level(LOG_OFF);
    snprintf(path, sizeof(path), "%s/basemap.db", test_tmpdir());
    struct store_options o = {.path = path};
    struct store *st = NULL;
    struct store_conn *c = NULL;
    CHECK_INT_EQ(store_open(&st, &o, &e), 0, "open: %s", e.msg);
    CHECK_INT_EQ(store_conn(st, &c, &e), 0, "conn: %s", e.msg);
    /* A road wiggling by a metre (under a pixel at zoom 15) over 2 km, crossing tiles. */
    char line[2048] = "{\"type\":\"LineString\",\"coordinates\":[";
    for (int i = 0; i <= 20; i++) {
        char pt[64];
        snprintf(pt, sizeof(pt), "%s[%.6f,%.6f]", i ? "," : "", 120.1 + i * 0.001,
                 30.2 + (i % 2) * 0.00001);
        strncat(line, pt, sizeof(line) - strlen(line) - 1);
    }
    strncat(line, "]}", sizeof(line) - strlen(line) - 1);
    put(c,
        "INSERT INTO addr_roads (code, name, kind, geometry, min_lon, min_lat, max_lon, max_lat, "
        "created_at, updated_at) VALUES ('r1', '锦绣路', 'secondary', ?, 120.1, 30.2, 120.12, "
        "30.20001, 0, 0)",
        STORE_ARGS(store_text(line)));
    put(c,
        "INSERT INTO addr_buildings (code, number, footprint, lat, lon, min_lon, min_lat, max_lon, "
        "max_lat, created_at, updated_at) VALUES ('b1', '1幢', '{\"type\":\"Polygon\","
        "\"coordinates\":[[[120.1050,30.2010],[120.1054,30.2010],[120.1054,30.2013],[120.1050,"
        "30.2013],[120.1050,30.2010]]]}', 30.20115, 120.1052, 120.105, 30.201, 120.1054, 30.2013, "
        "0, 0)",
        STORE_NO_ARGS);
    for (int i = 0; i < BASEMAP_PLACES_MAX + 5; i++) {
        char code[16];
        snprintf(code, sizeof(code), "p%d", i);
        put(c,
            "INSERT INTO addr_places (code, name, type, lat, lon, created_at, updated_at) VALUES "
            "(?, '地点', ?, 30.2012, ?, 0, 0)",
            STORE_ARGS(store_text(code),
                       store_text(i == BASEMAP_PLACES_MAX + 4 ? "hospital" : "other"),
                       store_real(120.105 + i * 0.000001)));
    }

    struct arena a;
    arena_init(&a, 65536);
    struct basemap_tile t;
    double tx, ty;
    basemap_project(15, 0, 0, 120.105, 30.201, &tx, &ty);
    int x = (int)(tx / BASEMAP_EXTENT), y = (int)(ty / BASEMAP_EXTENT);
    CHECK_INT_EQ(basemap_tile(c, 15, x, y, &a, &t, &e), 0, "tile: %s", e.msg);
    CHECK_INT_EQ(t.version, BASEMAP_PLACES_MAX + 7, "version");
    CHECK_INT_EQ(t.n[BASEMAP_ROADS], 1, "road");
    if (t.n[BASEMAP_ROADS] == 1) {
        const struct basemap_feature *r = &t.items[BASEMAP_ROADS][0];
        CHECK_STR_EQ(r->name, "锦绣路", "road name");
        CHECK_STR_EQ(r->kind, "secondary", "road kind");
        /* Simplified to a straight line; clipped at the buffer's edges. */
        CHECK(r->nparts == 1 && r->part_len[0] == 2, "%d parts, %d points", r->nparts,
              r->part_len[0]);
        CHECK(r->xy[0] == -BASEMAP_BUFFER && r->xy[2] == BASEMAP_EXTENT + BASEMAP_BUFFER,
              "clipped at %d and %d", r->xy[0], r->xy[2]);
    }
    CHECK_INT_EQ(t.n[BASEMAP_BUILDINGS], 1, "building");
    if (t.n[BASEMAP_BUILDINGS] == 1)
        CHECK(t.items[BASEMAP_BUILDINGS][0].part_len[0] == 4, "a ring of four corners, unclosed");
    CHECK_INT_EQ(t.n[BASEMAP_PLACES], 1, "only the hospital at 15");
    /* At 16 every type shows: capped, the hospital (most important) kept though written last. */
    basemap_project(16, 0, 0, 120.105, 30.2012, &tx, &ty);
    CHECK_INT_EQ(
        basemap_tile(c, 16, (int)(tx / BASEMAP_EXTENT), (int)(ty / BASEMAP_EXTENT), &a, &t, &e), 0,
        "tile 16: %s", e.msg);
    CHECK_INT_EQ(t.n[BASEMAP_PLACES], BASEMAP_PLACES_MAX, "places capped");
    if (t.n[BASEMAP_PLACES])
        CHECK_STR_EQ(t.items[BASEMAP_PLACES][0].kind, "hospital", "hospital first");
    /* Zoom 14 shows the secondary road, no building, no 'other' place; 12 not the road. */
    CHECK_INT_EQ(basemap_tile(c, 14, x / 2, y / 2, &a, &t, &e), 0, "tile 14: %s", e.msg);
    CHECK(t.n[BASEMAP_ROADS] == 1 && t.n[BASEMAP_BUILDINGS] == 0 && t.n[BASEMAP_PLACES] == 1,
          "zoom 14: %zu roads %zu buildings %zu places", t.n[BASEMAP_ROADS], t.n[BASEMAP_BUILDINGS],
          t.n[BASEMAP_PLACES]);
    CHECK_INT_EQ(basemap_tile(c, 12, x / 8, y / 8, &a, &t, &e), 0, "tile 12: %s", e.msg);
    CHECK_INT_EQ(t.n[BASEMAP_ROADS], 0, "no secondary road at 12");
    /* Rows written past the register's writers: not degrees, or not GeoJSON. Left out, counted. */
    put(c,
        "INSERT INTO addr_areas (code, kind, geometry, min_lon, min_lat, max_lon, max_lat, "
        "created_at, updated_at) VALUES ('w1', 'water', '{\"type\":\"Polygon\",\"coordinates\""
        ":[[[1e300,30.2],[120.11,30.2],[120.11,30.21],[1e300,30.2]]]}', 120.1, 30.2, 120.11, "
        "30.21, 0, 0), ('w2', 'water', 'not json', 120.1, 30.2, 120.11, 30.21, 0, 0)",
        STORE_NO_ARGS);
    CHECK_INT_EQ(basemap_tile(c, 14, x / 2, y / 2, &a, &t, &e), 0, "tile 14: %s", e.msg);
    CHECK(t.skipped == 2 && t.n[BASEMAP_WATER] == 0 && t.n[BASEMAP_ROADS] == 1,
          "%zu skipped, %zu water", t.skipped, t.n[BASEMAP_WATER]);
    CHECK_INT_EQ(basemap_tile(c, 15, 1 << 15, 0, &a, &t, &e), ERR_BAD_REQUEST, "x out of range");
    arena_release(&a);
    store_close(st);
}
