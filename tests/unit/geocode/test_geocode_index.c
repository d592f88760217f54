/*
 * Tests for the geocoding index: matching and its scores, ambiguity, misses with the nearest
 * candidates, autocomplete and reverse geocoding, over a small register written with SQL.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "geocode/geocode.h"
#include "store/store.h"
#include "test.h"

struct gfix {
    struct store *st;
    struct store_conn *c;
    struct geocode_index *ix;
    struct arena a;
    struct err e;
};

static void sql(struct gfix *f, const char *q, struct store_args args)
{
    CHECK(store_run(f->c, q, args, &f->e) >= 0, "%s: %s", q, f->e.msg);
}

static void point(struct gfix *f, int64_t id, int64_t road, const char *house, const char *compound,
                  const char *building, const char *unit, const char *address, double lat,
                  double lon)
{
    char code[32];
    snprintf(code, sizeof code, "P%lld", (long long)id);
    struct arena a;
    arena_init(&a, 1024);
    sql(f,
        "INSERT INTO addr_points(id, code, road_id, house_no, compound, building, unit, address,"
        " norm, lat, lon, region_id, created_at, updated_at)"
        " VALUES (?, ?, nullif(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, 9001, 0, 0)",
        STORE_ARGS(store_i64(id), store_text(code), store_i64(road), store_text(house),
                   store_text(compound), store_text(building), store_text(unit),
                   store_text(address), store_text(geocode_norm(&a, address)), store_real(lat),
                   store_real(lon)));
    arena_release(&a);
}

static void setup(struct gfix *f, const char *name)
{
    char path[512];
    memset(f, 0, sizeof(*f));
    log_set_level(LOG_WARN);
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&f->st, &o, &f->e), 0, "open: %s", f->e.msg);
    CHECK_INT_EQ(store_conn(f->st, &f->c, &f->e), 0, "conn: %s", f->e.msg);
    arena_init(&f->a, 4096);
    sql(f,
        "INSERT INTO regions(id, code, name, level, created_at, updated_at)"
        " VALUES (9001, 'G01', '锦绣一网格', 'grid', 0, 0)",
        STORE_NO_ARGS);
    const char *geom = "{\"type\":\"LineString\",\"coordinates\":[[120,30],[120.01,30]]}";
    sql(f,
        "INSERT INTO addr_roads(id, code, name, kind, geometry, min_lon, min_lat, max_lon, max_lat,"
        " created_at, updated_at) VALUES (1, 'R1', '锦绣路', 'primary', ?, 120, 30, 120.01, 30, 0, 0),"
        " (2, 'R2', '明湖路', 'branch', ?, 120, 30.01, 120.01, 30.01, 0, 0),"
        " (3, 'R3', '人民路', 'branch', ?, 120, 30.02, 120.01, 30.02, 0, 0)",
        STORE_ARGS(store_text(geom), store_text(geom), store_text(geom)));
    /* 锦绣路: even numbers 80..96, ~10 m apart */
    for (int n = 80; n <= 96; n += 2) {
        char house[16], addr[64];
        snprintf(house, sizeof house, "%d号", n);
        snprintf(addr, sizeof addr, "锦绣路%d号", n);
        point(f, n, 1, house, "", "", "", addr, 30.0, 120.0 + (n - 80) * 0.0001);
    }
    /* a compound on 明湖路 with two buildings of two units */
    point(f, 201, 2, "5号", "锦绣花园", "3幢", "1单元", "明湖路5号锦绣花园3幢1单元", 30.01, 120.0);
    point(f, 202, 2, "5号", "锦绣花园", "3幢", "2单元", "明湖路5号锦绣花园3幢2单元", 30.01,
          120.0001);
    point(f, 203, 2, "5号", "锦绣花园", "4幢", "1单元", "明湖路5号锦绣花园4幢1单元", 30.011,
          120.001);
    /* the same address twice, far apart (two 人民路 in the register's history) */
    point(f, 301, 3, "1号", "", "", "", "人民路1号", 30.02, 120.0);
    point(f, 302, 3, "1号", "", "", "", "人民路1号", 30.03, 120.01);
    sql(f,
        "INSERT INTO addr_places(id, code, name, type, address, lat, lon, region_id, created_at,"
        " updated_at) VALUES (1, 'S1', '锦绣小学', 'school', '锦绣路96号', 30.0, 120.0016, 9001, 0, 0)",
        STORE_NO_ARGS);
    sql(f, "UPDATE addr_version SET version = 7", STORE_NO_ARGS);
    CHECK_INT_EQ(geocode_index_load(f->c, &f->ix, &f->e), 0, "load: %s", f->e.msg);
}

static void teardown(struct gfix *f)
{
    geocode_index_free(f->ix);
    arena_release(&f->a);
    store_close(f->st);
}

TEST(geocode_index_load_counts)
{
    struct gfix f;
    setup(&f, "gc_load.db");
    CHECK_INT_EQ(geocode_index_size(f.ix), 9 + 3 + 2 + 1, "points and places");
    CHECK_INT_EQ(geocode_index_version(f.ix), 7, "version read with the rows");
    teardown(&f);
}

TEST(geocode_search_exact_and_variants)
{
    struct gfix f;
    setup(&f, "gc_exact.db");
    static const char *const qs[] = {"锦绣路88号", "杭州市西湖区锦绣路８８号", "锦绣路八十八号",
                                     "锦绣路 88 号"};
    for (size_t i = 0; i < ARRAY_SIZE(qs); i++) {
        struct geocode_hit *h;
        size_t n;
        enum geocode_status st;
        geocode_search(f.ix, qs[i], 5, &f.a, &h, &n, &st);
        CHECK(n >= 1, "%s: a candidate", qs[i]);
        CHECK_INT_EQ(st, GEOCODE_FOUND, "%s: found", qs[i]);
        CHECK_STR_EQ(h[0].address, "锦绣路88号", "%s", qs[i]);
        CHECK(h[0].score == 1.0, "%s: score %g", qs[i], h[0].score);
        CHECK_STR_EQ(h[0].grid_code, "G01", "grid");
        CHECK_STR_EQ(h[0].grid_name, "锦绣一网格", "grid name");
        CHECK_INT_EQ(h[0].match, GEOCODE_EXACT, "exact");
    }
    teardown(&f);
}

TEST(geocode_search_contains_and_prefix)
{
    struct gfix f;
    setup(&f, "gc_contains.db");
    struct geocode_hit *h;
    size_t n;
    enum geocode_status st;
    /* words around the address: still found, with a lower score */
    geocode_search(f.ix, "锦绣路88号门口", 5, &f.a, &h, &n, &st);
    CHECK_INT_EQ(st, GEOCODE_FOUND, "found");
    CHECK_STR_EQ(h[0].address, "锦绣路88号", "the address in the text");
    CHECK(h[0].score >= GEOCODE_MATCH_SCORE && h[0].score < 1.0, "score %g", h[0].score);
    CHECK_INT_EQ(h[0].match, GEOCODE_CONTAINS, "contains");
    /* a building: its units lie together, so one place */
    geocode_search(f.ix, "锦绣花园3幢", 5, &f.a, &h, &n, &st);
    CHECK_INT_EQ(st, GEOCODE_FOUND, "a building of units at one place");
    CHECK(strstr(h[0].address, "锦绣花园3幢") != NULL, "%s", h[0].address);
    CHECK_INT_EQ(h[0].match, GEOCODE_PREFIX, "prefix");
    /* a compound of buildings far apart: ambiguous, every candidate listed */
    geocode_search(f.ix, "锦绣花园", 5, &f.a, &h, &n, &st);
    CHECK_INT_EQ(st, GEOCODE_AMBIGUOUS, "buildings 150 m apart");
    CHECK_INT_EQ(n, 3, "the three units");
    /* a place by name */
    geocode_search(f.ix, "锦绣小学", 5, &f.a, &h, &n, &st);
    CHECK_INT_EQ(st, GEOCODE_FOUND, "place");
    CHECK_STR_EQ(h[0].kind, "place", "kind");
    CHECK_STR_EQ(h[0].name, "锦绣小学", "name");
    teardown(&f);
}

TEST(geocode_search_ambiguous_and_none)
{
    struct gfix f;
    setup(&f, "gc_none.db");
    struct geocode_hit *h;
    size_t n;
    enum geocode_status st;
    /* the same address at two places: never one chosen */
    geocode_search(f.ix, "人民路1号", 5, &f.a, &h, &n, &st);
    CHECK_INT_EQ(st, GEOCODE_AMBIGUOUS, "two 人民路1号");
    CHECK_INT_EQ(n, 2, "both listed");
    CHECK(h[0].score == 1.0 && h[1].score == 1.0, "both exact");
    /* a number the road does not have: the nearest numbers of the same road */
    geocode_search(f.ix, "锦绣路89号", 5, &f.a, &h, &n, &st);
    CHECK_INT_EQ(st, GEOCODE_NONE, "no 89");
    CHECK(n >= 2, "nearest offered");
    CHECK(strcmp(h[0].address, "锦绣路88号") == 0 || strcmp(h[0].address, "锦绣路90号") == 0,
          "nearest first: %s", h[0].address);
    CHECK_INT_EQ(h[0].match, GEOCODE_NEARBY, "nearby");
    CHECK(h[0].score < GEOCODE_MATCH_SCORE, "not a match");
    geocode_search(f.ix, "锦绣路200号", 5, &f.a, &h, &n, &st);
    CHECK_INT_EQ(st, GEOCODE_NONE, "no 200");
    CHECK_STR_EQ(h[0].address, "锦绣路96号", "the highest number is the nearest");
    /* 锦绣路8 is not 锦绣路88号 */
    geocode_search(f.ix, "锦绣路8", 5, &f.a, &h, &n, &st);
    CHECK_INT_EQ(st, GEOCODE_NONE, "cut number");
    /* nothing at all */
    geocode_search(f.ix, "完全不存在", 5, &f.a, &h, &n, &st);
    CHECK_INT_EQ(st, GEOCODE_NONE, "unknown");
    CHECK_INT_EQ(n, 0, "no candidate");
    geocode_search(f.ix, "", 5, &f.a, &h, &n, &st);
    CHECK_INT_EQ(n, 0, "empty");
    teardown(&f);
}

TEST(geocode_suggest_as_typed)
{
    struct gfix f;
    setup(&f, "gc_suggest.db");
    struct geocode_hit *h;
    size_t n;
    geocode_suggest(f.ix, "锦绣", 20, &f.a, &h, &n);
    CHECK(n >= 10, "road, compound and school: %zu", n);
    geocode_suggest(f.ix, "锦绣路", 3, &f.a, &h, &n);
    CHECK_INT_EQ(n, 3, "limit");
    CHECK_STR_EQ(h[0].address, "锦绣路80号", "lowest number first");
    CHECK_STR_EQ(h[1].address, "锦绣路82号", "natural order");
    geocode_suggest(f.ix, "锦绣路8", 10, &f.a, &h, &n);
    CHECK_INT_EQ(n, 5, "80..88");
    geocode_suggest(f.ix, "锦绣路八十", 10, &f.a, &h, &n);
    CHECK(n >= 1, "numerals being typed");
    CHECK_STR_EQ(h[0].address, "锦绣路80号", "八十 read as 80");
    geocode_suggest(f.ix, "锦绣路88", 10, &f.a, &h, &n);
    CHECK_INT_EQ(n, 1, "one");
    CHECK_STR_EQ(h[0].address, "锦绣路88号", "88");
    /* nothing starts so: the search's nearest */
    geocode_suggest(f.ix, "锦绣路89号", 10, &f.a, &h, &n);
    CHECK(n >= 1 && h[0].match == GEOCODE_NEARBY, "nearest numbers");
    teardown(&f);
}

TEST(geocode_reverse_nearest)
{
    struct gfix f;
    setup(&f, "gc_reverse.db");
    struct geocode_hit h;
    CHECK_INT_EQ(geocode_reverse(f.ix, 30.0, 120.00081, &f.a, &h), 1, "found");
    CHECK_STR_EQ(h.address, "锦绣路88号", "nearest point");
    CHECK(h.distance_m > 0 && h.distance_m < 5, "distance %g", h.distance_m);
    CHECK_STR_EQ(h.grid_code, "G01", "grid");
    CHECK_INT_EQ(geocode_reverse(f.ix, 30.0105, 120.0005, &f.a, &h), 1, "found");
    CHECK(strstr(h.address, "锦绣花园") != NULL, "%s", h.address);
    CHECK_INT_EQ(geocode_reverse(f.ix, 31.0, 121.0, &f.a, &h), 0, "far away: none");
    CHECK_INT_EQ(geocode_reverse(f.ix, NAN, 120.0, &f.a, &h), 0, "NaN");
    teardown(&f);
}
