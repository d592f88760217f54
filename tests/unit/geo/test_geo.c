/*
 * Tests for geo: validation of GeoJSON boundaries and deepest-region point location.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "geo/geo.h"
#include "test.h"

/* Binary-exact origin and cell size, so cell borders are exactly representable and a point
 * computed as "on the border" really is on it. */
#define TILE_LON0 116.0
#define TILE_LAT0 39.75
#define TILE_STEP 0.0078125 /* 2^-7 degrees, about 870 m */
#define TILE_N 10

static void rect(struct buf *b, double x0, double y0, double x1, double y1)
{
    buf_printf(b, "[[%.17g,%.17g],[%.17g,%.17g],[%.17g,%.17g],[%.17g,%.17g],[%.17g,%.17g]]", x0, y0,
               x1, y0, x1, y1, x0, y1, x0, y0);
}

static char *rect_polygon(double x0, double y0, double x1, double y1)
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "{\"type\":\"Polygon\",\"coordinates\":[");
    rect(&b, x0, y0, x1, y1);
    buf_puts(&b, "]}");
    return buf_detach(&b, NULL);
}

static void add_rect(struct geo_index *ix, int64_t id, int depth, double x0, double y0, double x1,
                     double y1)
{
    struct err err = ERR_INIT;
    char *json = rect_polygon(x0, y0, x1, y1);
    int rc = geo_index_add(ix, id, depth, json, &err);
    CHECK_INT_EQ(rc, 0, "add %lld: %s", (long long)id, err.msg);
    free(json);
}

static struct geo_index *new_index(void)
{
    struct geo_index *ix = NULL;
    struct err err = ERR_INIT;
    int rc = geo_index_new(&ix, &err);
    CHECK_INT_EQ(rc, 0, "geo_index_new: %s", err.msg);
    return ix;
}

/* Expect rejection with ERR_BAD_REQUEST and a message containing 'want'. */
static void check_rejects(const char *json, const char *want)
{
    struct err err = ERR_INIT;
    int rc = geo_validate(json, &err);
    CHECK_INT_EQ(rc, ERR_BAD_REQUEST, "validate %s", json ? json : "(null)");
    CHECK_INT_EQ(err.code, ERR_BAD_REQUEST, "err.code for %s", json ? json : "(null)");
    CHECK(strstr(err.msg, want) != NULL, "message for %s is \"%s\", want it to contain \"%s\"",
          json ? json : "(null)", err.msg, want);

    /* geo_index_add applies the same rules and leaves the index untouched. */
    struct geo_index *ix = new_index();
    struct err err2 = ERR_INIT;
    CHECK_INT_EQ(geo_index_add(ix, 1, 0, json, &err2), ERR_BAD_REQUEST, "add %s",
                 json ? json : "(null)");
    CHECK_STR_EQ(err2.msg, err.msg, "add and validate disagree");
    CHECK_INT_EQ(geo_index_size(ix), 0, "rejected polygon was added");
    geo_index_free(ix);
}

TEST(geo_nested_deepest_wins)
{
    struct geo_index *ix = new_index();
    /* Inserted shallow-last so that order cannot be what decides. */
    add_rect(ix, 40, 3, 116.30, 39.90, 116.31, 39.91); /* grid */
    add_rect(ix, 30, 2, 116.30, 39.90, 116.35, 39.95); /* community */
    add_rect(ix, 20, 1, 116.20, 39.80, 116.40, 40.00); /* street */
    add_rect(ix, 10, 0, 116.00, 39.50, 117.00, 40.50); /* district */
    CHECK_INT_EQ(geo_index_size(ix), 4, "size");

    CHECK_INT_EQ(geo_locate(ix, 116.305, 39.905), 40, "inside grid");
    CHECK_INT_EQ(geo_locate(ix, 116.33, 39.93), 30, "community only");
    CHECK_INT_EQ(geo_locate(ix, 116.25, 39.85), 20, "street only");
    CHECK_INT_EQ(geo_locate(ix, 116.90, 40.40), 10, "district only");
    geo_index_free(ix);
}

TEST(geo_outside_returns_zero)
{
    struct geo_index *ix = new_index();
    CHECK_INT_EQ(geo_locate(ix, 116.0, 39.0), 0, "empty index");
    add_rect(ix, 10, 0, 116.00, 39.50, 117.00, 40.50);
    CHECK_INT_EQ(geo_locate(ix, 115.99, 40.0), 0, "west of district");
    CHECK_INT_EQ(geo_locate(ix, 116.5, 40.51), 0, "north of district");
    CHECK_INT_EQ(geo_locate(ix, -116.5, -40.0), 0, "other hemisphere");
    CHECK_INT_EQ(geo_locate(ix, NAN, 40.0), 0, "NaN longitude");
    CHECK_INT_EQ(geo_locate(ix, 116.5, INFINITY), 0, "infinite latitude");
    CHECK_INT_EQ(geo_locate(ix, 500.0, 40.0), 0, "longitude out of range");
    geo_index_free(ix);
}

TEST(geo_boundary_belongs_to_region)
{
    struct geo_index *ix = new_index();
    add_rect(ix, 10, 0, 116.0, 39.5, 117.0, 40.5);
    CHECK_INT_EQ(geo_locate(ix, 116.0, 40.0), 10, "on west edge");
    CHECK_INT_EQ(geo_locate(ix, 117.0, 40.5), 10, "on north-east corner");
    geo_index_free(ix);
}

TEST(geo_multipolygon)
{
    /* One grid made of two separate blocks, with a different grid between them. */
    const char *multi = "{\"type\":\"MultiPolygon\",\"coordinates\":["
                        "[[[116.0,39.0],[116.1,39.0],[116.1,39.1],[116.0,39.1],[116.0,39.0]]],"
                        "[[[116.2,39.0],[116.3,39.0],[116.3,39.1],[116.2,39.1],[116.2,39.0]]]]}";
    struct err err = ERR_INIT;
    struct geo_index *ix = new_index();
    CHECK_INT_EQ(geo_validate(multi, &err), 0, "validate: %s", err.msg);
    CHECK_INT_EQ(geo_index_add(ix, 7, 3, multi, &err), 0, "add: %s", err.msg);
    add_rect(ix, 8, 3, 116.1, 39.0, 116.2, 39.1);
    CHECK_INT_EQ(geo_locate(ix, 116.05, 39.05), 7, "first part");
    CHECK_INT_EQ(geo_locate(ix, 116.25, 39.05), 7, "second part");
    CHECK_INT_EQ(geo_locate(ix, 116.15, 39.05), 8, "gap belongs to the other grid");
    CHECK_INT_EQ(geo_locate(ix, 116.35, 39.05), 0, "beyond both");
    geo_index_free(ix);
}

TEST(geo_polygon_with_hole)
{
    /* A community with a hole where a neighbouring community's enclave sits. */
    const char *holed = "{\"type\":\"Polygon\",\"coordinates\":["
                        "[[116.0,39.0],[117.0,39.0],[117.0,40.0],[116.0,40.0],[116.0,39.0]],"
                        "[[116.4,39.4],[116.4,39.6],[116.6,39.6],[116.6,39.4],[116.4,39.4]]]}";
    struct err err = ERR_INIT;
    struct geo_index *ix = new_index();
    CHECK_INT_EQ(geo_index_add(ix, 5, 2, holed, &err), 0, "add: %s", err.msg);
    CHECK_INT_EQ(geo_locate(ix, 116.2, 39.2), 5, "in the ring");
    CHECK_INT_EQ(geo_locate(ix, 116.5, 39.5), 0, "in the hole");
    add_rect(ix, 6, 2, 116.4, 39.4, 116.6, 39.6);
    CHECK_INT_EQ(geo_locate(ix, 116.5, 39.5), 6, "enclave added after a lookup");
    CHECK_INT_EQ(geo_locate(ix, 116.2, 39.2), 5, "ring still found after rebuild");
    geo_index_free(ix);
}

TEST(geo_feature_accepted)
{
    const char *feature = "{\"type\":\"Feature\",\"properties\":{\"name\":\"Grid 3\"},\"geometry\":"
                          "{\"type\":\"Polygon\",\"coordinates\":"
                          "[[[116.0,39.0],[116.1,39.0],[116.1,39.1],[116.0,39.1],[116.0,39.0]]]}}";
    struct err err = ERR_INIT;
    struct geo_index *ix = new_index();
    CHECK_INT_EQ(geo_index_add(ix, 3, 3, feature, &err), 0, "add: %s", err.msg);
    CHECK_INT_EQ(geo_locate(ix, 116.05, 39.05), 3, "inside feature");
    geo_index_free(ix);
}

TEST(geo_rejects_empty)
{
    check_rejects(NULL, "empty");
    check_rejects("", "geometry is empty");
    check_rejects(" \n\t", "geometry is empty");
    check_rejects("{\"type\":\"Polygon\",\"coordinates\":[]}", "geometry is empty");
    check_rejects("{\"type\":\"MultiPolygon\",\"coordinates\":[]}", "geometry is empty");
}

TEST(geo_rejects_non_json)
{
    check_rejects("{not json", "invalid GeoJSON: parse error");
    check_rejects("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,0]]]",
                  "parse error");
    check_rejects("POLYGON((0 0, 1 0, 1 1, 0 0))", "must be a GeoJSON object");
    check_rejects("[1,2]", "must be a GeoJSON object");
    check_rejects("{}", "invalid GeoJSON: key 'type' not found");
    check_rejects("{\"type\":\"Polygon\"}", "key 'coordinates' not found");
    check_rejects("{\"type\":\"Polygon\",\"coordinates\":[[[\"a\",0],[1,0],[1,1],[\"a\",0]]]}",
                  "type must be number");
    check_rejects("{\"type\":\"Polygon\",\"coordinates\":[[[1e999,0],[1,0],[1,1],[1e999,0]]]}",
                  "number overflow");
    check_rejects("{\"type\":\"Feature\",\"geometry\":null}", "invalid GeoJSON");
    check_rejects("{\"type\":\"Polygon\",\"coordinates\":[[[1,2,3],[1,0],[1,1],[1,2,3]]]}",
                  "found more than two");

    /* GEOS 3.11 reads an empty position out of bounds; these must not reach it. */
    check_rejects("{\"type\":\"Polygon\",\"coordinates\":[[[],[1,0],[1,1],[0,0]]]}",
                  "invalid GeoJSON: empty array");
    check_rejects("{\"type\":\"MultiPolygon\",\"coordinates\":[[[[0,0],[1,0],[1,1],[ \n ]]]]}",
                  "invalid GeoJSON: empty array");
    check_rejects("{\"type\":\"Polygon\",\"coordinates\":[[]]}", "invalid GeoJSON: empty array");
    check_rejects("{\"type\":\"LineString\",\"coordinates\":[[]]}", "invalid GeoJSON: empty array");
    /* Brackets inside strings are not structure. */
    struct err err = ERR_INIT;
    CHECK_INT_EQ(geo_validate("{\"type\":\"Feature\",\"properties\":{\"note\":\"[[]] \\\" [[\"},"
                              "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
                              "[[[0,0],[1,0],[1,1],[0,0]]]}}",
                              &err),
                 0, "brackets in a string: %s", err.msg);

    /* Deep nesting is cut off before it reaches the parser. */
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "{\"type\":\"Polygon\",\"coordinates\":");
    for (int i = 0; i < 100000; i++)
        buf_putc(&b, '[');
    check_rejects(b.p, "nested too deeply");
    buf_release(&b);
}

TEST(geo_rejects_other_types)
{
    check_rejects("{\"type\":\"Point\",\"coordinates\":[116.0,39.0]}",
                  "must be a Polygon or MultiPolygon, not Point");
    check_rejects("{\"type\":\"LineString\",\"coordinates\":[[116.0,39.0],[116.1,39.1]]}",
                  "not LineString");
    check_rejects("{\"type\":\"FeatureCollection\",\"features\":[]}",
                  "must be a Polygon or MultiPolygon");
    check_rejects("{\"type\":\"Circle\",\"coordinates\":[]}", "Unknown geometry type");
}

TEST(geo_rejects_invalid_rings)
{
    /* Bow tie: the ring crosses itself; GEOS's reason and location are passed on. */
    check_rejects("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}",
                  "invalid polygon: Self-intersection[0.5 0.5]");
    check_rejects("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1]]]}",
                  "invalid GeoJSON: Points of LinearRing do not form a closed linestring");
    check_rejects("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[0,0]]]}",
                  "invalid polygon: Too few points");
    /* A hole outside its shell. */
    check_rejects("{\"type\":\"Polygon\",\"coordinates\":["
                  "[[0,0],[1,0],[1,1],[0,1],[0,0]],[[5,5],[6,5],[6,6],[5,6],[5,5]]]}",
                  "invalid polygon: Hole lies outside shell");
    /* Two parts of a MultiPolygon overlapping. */
    check_rejects("{\"type\":\"MultiPolygon\",\"coordinates\":["
                  "[[[0,0],[2,0],[2,2],[0,2],[0,0]]],[[[1,1],[3,1],[3,3],[1,3],[1,1]]]]}",
                  "invalid polygon:");
}

TEST(geo_rejects_out_of_range)
{
    check_rejects("{\"type\":\"Polygon\",\"coordinates\":[[[179,0],[181,0],[181,1],[179,0]]]}",
                  "coordinate [181, 0] is outside WGS84 range");
    check_rejects("{\"type\":\"Polygon\",\"coordinates\":[[[0,89],[1,89],[1,90.5],[0,89]]]}",
                  "coordinate [1, 90.5] is outside WGS84 range");
    /* Projected metres pasted by mistake are the realistic case. */
    check_rejects("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1],[0,0]],"
                  "[[0.1,0.1],[0.2,0.1],[0.2,-4500000],[0.1,0.1]]]}",
                  "outside WGS84 range");
    /* The extremes themselves are allowed. */
    struct err err = ERR_INIT;
    CHECK_INT_EQ(geo_validate("{\"type\":\"Polygon\",\"coordinates\":"
                              "[[[-180,-90],[180,-90],[180,90],[-180,90],[-180,-90]]]}",
                              &err),
                 0, "whole world: %s", err.msg);
}

TEST(geo_bad_arguments)
{
    struct geo_index *ix = new_index();
    struct err err = ERR_INIT;
    char *json = rect_polygon(0, 0, 1, 1);
    CHECK_INT_EQ(geo_index_add(ix, 0, 0, json, &err), ERR_INTERNAL, "id 0");
    CHECK_INT_EQ(geo_index_add(ix, 1, -1, json, &err), ERR_INTERNAL, "negative depth");
    CHECK_INT_EQ(geo_index_size(ix), 0, "nothing added");
    free(json);
    geo_index_free(ix);
    geo_index_free(NULL);
}

static int64_t tile_id(int row, int col)
{
    return 1000 + row * TILE_N + col;
}

/* Fill a 10x10 tiling in a scrambled order, under a district covering all of it. */
static struct geo_index *new_tiling(void)
{
    struct geo_index *ix = new_index();
    add_rect(ix, 1, 0, TILE_LON0, TILE_LAT0, TILE_LON0 + TILE_N * TILE_STEP,
             TILE_LAT0 + TILE_N * TILE_STEP);
    for (int k = 0; k < TILE_N * TILE_N; k++) {
        int cell = (k * 37) % (TILE_N * TILE_N); /* 37 is coprime with 100: a permutation */
        int row = cell / TILE_N, col = cell % TILE_N;
        add_rect(ix, tile_id(row, col), 3, TILE_LON0 + col * TILE_STEP, TILE_LAT0 + row * TILE_STEP,
                 TILE_LON0 + (col + 1) * TILE_STEP, TILE_LAT0 + (row + 1) * TILE_STEP);
    }
    return ix;
}

/* xorshift64: deterministic, and state is the caller's. */
static double next_unit(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static int check_random_points(struct geo_index *ix, uint64_t seed, int count)
{
    int wrong = 0;
    for (int i = 0; i < count; i++) {
        int row = (int)(next_unit(&seed) * TILE_N), col = (int)(next_unit(&seed) * TILE_N);
        /* Keep clear of the borders: those are tested exactly elsewhere. */
        double fx = 0.001 + 0.998 * next_unit(&seed), fy = 0.001 + 0.998 * next_unit(&seed);
        double lon = TILE_LON0 + (col + fx) * TILE_STEP, lat = TILE_LAT0 + (row + fy) * TILE_STEP;
        if (geo_locate(ix, lon, lat) != tile_id(row, col))
            wrong++;
    }
    return wrong;
}

TEST(geo_tiling_random_points)
{
    struct geo_index *ix = new_tiling();
    CHECK_INT_EQ(geo_index_size(ix), TILE_N * TILE_N + 1, "size");
    CHECK_INT_EQ(check_random_points(ix, 0x9e3779b97f4a7c15ULL, 5000), 0, "misplaced points");
    geo_index_free(ix);
}

TEST(geo_shared_border_lowest_id)
{
    struct geo_index *ix = new_tiling();
    double lon = TILE_LON0 + 4 * TILE_STEP, lat = TILE_LAT0 + 6.5 * TILE_STEP;
    /* Between columns 3 and 4 of row 6. */
    CHECK_INT_EQ(geo_locate(ix, lon, lat), tile_id(6, 3), "vertical border");
    /* Corner shared by rows 2-3 and columns 7-8: the lowest of the four ids. */
    lon = TILE_LON0 + 8 * TILE_STEP;
    lat = TILE_LAT0 + 3 * TILE_STEP;
    CHECK_INT_EQ(geo_locate(ix, lon, lat), tile_id(2, 7), "four-way corner");
    /* On the outer edge only one grid and the district touch: the grid wins. */
    CHECK_INT_EQ(geo_locate(ix, TILE_LON0, TILE_LAT0 + 0.5 * TILE_STEP), tile_id(0, 0),
                 "outer edge");
    geo_index_free(ix);

    /* Insertion order does not matter. */
    ix = new_index();
    add_rect(ix, 9, 3, 1.0, 0.0, 2.0, 1.0);
    add_rect(ix, 4, 3, 0.0, 0.0, 1.0, 1.0);
    add_rect(ix, 6, 3, 2.0, 0.0, 3.0, 1.0);
    CHECK_INT_EQ(geo_locate(ix, 1.0, 0.5), 4, "left border of 9");
    CHECK_INT_EQ(geo_locate(ix, 2.0, 0.5), 6, "right border of 9");
    geo_index_free(ix);
}

struct worker {
    struct geo_index *ix;
    uint64_t seed;
    int wrong;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    w->wrong = check_random_points(w->ix, w->seed, 3000);
    return NULL;
}

TEST(geo_concurrent_lookups)
{
    struct geo_index *ix = new_tiling();
    struct worker w[8];
    pthread_t t[8];
    for (size_t i = 0; i < ARRAY_SIZE(w); i++) {
        w[i] = (struct worker){ix, 0x1234567ULL * (i + 1), -1};
        CHECK_INT_EQ(pthread_create(&t[i], NULL, work, &w[i]), 0, "pthread_create");
    }
    for (size_t i = 0; i < ARRAY_SIZE(w); i++) {
        pthread_join(t[i], NULL);
        CHECK_INT_EQ(w[i].wrong, 0, "thread %zu misplaced points", i);
    }
    geo_index_free(ix);
}

/* geo_tiling(): what the import reports. */
struct issues {
    int n[4];
    struct geo_issue last[4];
};

static int note_issue(void *ctx, const struct geo_issue *is)
{
    struct issues *s = ctx;
    s->n[is->kind]++;
    s->last[is->kind] = *is;
    return 0;
}

TEST(geo_tiling_gaps_overlaps_outside)
{
    struct err err = ERR_INIT;
    /* A parent of about 870 m x 870 m and four children: a perfect left half, a right half
     * that leaves a strip free, a child overlapping the left one, one reaching out east. */
    double x0 = TILE_LON0, y0 = TILE_LAT0, s = TILE_STEP;
    char *parent = rect_polygon(x0, y0, x0 + s, y0 + s);
    char *kids[4] = {
        rect_polygon(x0, y0, x0 + s / 2, y0 + s),
        rect_polygon(x0 + s / 2, y0, x0 + s, y0 + s * 3 / 4),
        NULL,
        NULL,
    };
    struct issues got = {{0}, {{0}}};
    CHECK_INT_EQ(geo_tiling(parent, (const char *const *)kids, 2, 1.0, note_issue, &got, &err), 0,
                 "%s", err.msg);
    CHECK_INT_EQ(got.n[GEO_GAP], 1, "one gap");
    CHECK_INT_EQ(got.n[GEO_OVERLAP] + got.n[GEO_OUTSIDE], 0, "nothing else");
    /* The strip: s/2 by s/4 degrees at 39.75°N. */
    double want = (s / 2) * (s / 4) * 110574.0 * 111320.0 * cos(TILE_LAT0 * M_PI / 180.0);
    CHECK(fabs(got.last[GEO_GAP].area_m2 - want) < want * 0.01, "gap %.1f m2, want %.1f",
          got.last[GEO_GAP].area_m2, want);
    CHECK(got.last[GEO_GAP].lat > y0 + s * 3 / 4 && got.last[GEO_GAP].lon > x0 + s / 2,
          "the gap's point lies in the strip");

    kids[2] = rect_polygon(x0 + s / 4, y0, x0 + s * 3 / 4, y0 + s / 8);
    kids[3] = rect_polygon(x0 + s * 3 / 4, y0 + s * 3 / 4, x0 + s * 2, y0 + s);
    memset(&got, 0, sizeof(got));
    CHECK_INT_EQ(geo_tiling(parent, (const char *const *)kids, 4, 1.0, note_issue, &got, &err), 0,
                 "%s", err.msg);
    CHECK_INT_EQ(got.n[GEO_OVERLAP], 2, "kid 2 overlaps kids 0 and 1");
    CHECK_INT_EQ(got.n[GEO_OUTSIDE], 1, "kid 3 reaches outside");
    CHECK_INT_EQ((int)got.last[GEO_OUTSIDE].a, 3, "the child outside");
    CHECK_INT_EQ(got.last[GEO_OUTSIDE].disjoint, 0, "partly inside");
    CHECK_INT_EQ((int)got.last[GEO_OVERLAP].b, 2, "pairs name the higher index second");
    CHECK_INT_EQ(got.n[GEO_GAP], 1, "the strip, less what kid 3 covers");

    /* Wholly outside; slivers below the threshold are not reported. */
    free(kids[3]);
    kids[3] = rect_polygon(x0 + 2 * s, y0, x0 + 3 * s, y0 + s);
    memset(&got, 0, sizeof(got));
    CHECK_INT_EQ(geo_tiling(parent, (const char *const *)kids, 4, 1e12, note_issue, &got, &err), 0,
                 "%s", err.msg);
    CHECK_INT_EQ(got.n[GEO_GAP] + got.n[GEO_OVERLAP] + got.n[GEO_OUTSIDE], 0, "all below 1e12 m2");
    memset(&got, 0, sizeof(got));
    CHECK_INT_EQ(geo_tiling(parent, (const char *const *)kids, 4, 1.0, note_issue, &got, &err), 0,
                 "%s", err.msg);
    CHECK_INT_EQ(got.last[GEO_OUTSIDE].disjoint, 1, "wholly outside");

    /* Without a parent only overlaps; an invalid child is an input error. */
    memset(&got, 0, sizeof(got));
    CHECK_INT_EQ(geo_tiling(NULL, (const char *const *)kids, 4, 1.0, note_issue, &got, &err), 0,
                 "%s", err.msg);
    CHECK_INT_EQ(got.n[GEO_OVERLAP], 2, "overlaps without a parent");
    CHECK_INT_EQ(got.n[GEO_GAP] + got.n[GEO_OUTSIDE], 0, "no gaps without a parent");
    const char *broken[] = {
        "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}"};
    CHECK_INT_EQ(geo_tiling(parent, broken, 1, 1.0, note_issue, &got, &err), ERR_BAD_REQUEST,
                 "self-intersecting child");
    for (int i = 0; i < 4; i++)
        free(kids[i]);
    free(parent);
}
