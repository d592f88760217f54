/*
 * Tests for src/addr: each writer's validation names the field, upserts by code, derives the
 * box, the point of a footprint, the region and the written address with its normalised key,
 * and bumps the version; the lists search, filter, page and count; a delete is refused while
 * something refers to the row. Every test runs on a fresh SQLite file.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "addr/addr.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "geo/geo.h"
#include "geocode/geocode.h"
#include "org/org.h"
#include "store/store.h"
#include "test.h"

#define NOW 1780000000
/* Two grids side by side: west 120.00..120.01, east 120.01..120.02, latitudes 30.00..30.01. */
#define WEST                                                                                       \
    "{\"type\":\"Polygon\",\"coordinates\":[[[120.0,30.0],[120.01,30.0],[120.01,30.01],"           \
    "[120.0,30.01],[120.0,30.0]]]}"
#define EAST                                                                                       \
    "{\"type\":\"Polygon\",\"coordinates\":[[[120.01,30.0],[120.02,30.0],[120.02,30.01],"          \
    "[120.01,30.01],[120.01,30.0]]]}"
#define ROAD_LINE                                                                                  \
    "{\"type\":\"LineString\",\"coordinates\":[[120.001,30.005],[120.019,30.005],[120.019,30.009]]}"
#define HOUSE                                                                                      \
    "{\"type\":\"Polygon\",\"coordinates\":[[[120.012,30.002],[120.013,30.002],[120.013,30.003],"  \
    "[120.012,30.003],[120.012,30.002]]]}"

struct fx {
    struct store *st;
    struct store_conn *c;
    struct geo_index *grids;
    struct arena a;
    int64_t west, east;
};

static int64_t mk_region(struct fx *f, const char *code, enum org_region_level level,
                         int64_t parent, const char *boundary)
{
    struct org_region_in in = {code, code, level, parent, boundary};
    struct err err = ERR_INIT;
    int64_t id = 0;
    int rc = org_region_create(f->c, &in, NOW, &id, &err);
    CHECK_INT_EQ(rc, 0, "create region %s: %s (%s)", code, err.msg, err.field);
    return id;
}

static int fx_open(struct fx *f, const char *name)
{
    struct store_options opt = {0};
    struct err err = ERR_INIT;
    char path[512];

    memset(f, 0, sizeof(*f));
    log_set_level(LOG_WARN);
    snprintf(path, sizeof(path), "%s/%s.db", test_tmpdir(), name);
    opt.path = path;
    arena_init(&f->a, 0);
    if (store_open(&f->st, &opt, &err) < 0 || store_conn(f->st, &f->c, &err) < 0 ||
        geo_index_new(&f->grids, &err) < 0) {
        test_fail(__FILE__, __LINE__, "cannot open store %s: %s", path, err.msg);
        return -1;
    }
    int64_t d = mk_region(f, "330106", ORG_REGION_DISTRICT, 0, NULL);
    int64_t s = mk_region(f, "330106001", ORG_REGION_STREET, d, NULL);
    int64_t c = mk_region(f, "330106001001", ORG_REGION_COMMUNITY, s, NULL);
    f->west = mk_region(f, "330106001001W", ORG_REGION_GRID, c, WEST);
    f->east = mk_region(f, "330106001001E", ORG_REGION_GRID, c, EAST);
    if (geo_index_add(f->grids, f->west, 3, WEST, &err) < 0 ||
        geo_index_add(f->grids, f->east, 3, EAST, &err) < 0) {
        test_fail(__FILE__, __LINE__, "grid index: %s", err.msg);
        return -1;
    }
    return 0;
}

static void fx_close(struct fx *f)
{
    geo_index_free(f->grids);
    arena_release(&f->a);
    store_close(f->st);
}

static int64_t version(struct fx *f)
{
    struct err err = ERR_INIT;
    int64_t v = -1;
    CHECK_INT_EQ(addr_version(f->c, &v, &err), 0, "version: %s", err.msg);
    return v;
}

static int64_t road(struct fx *f, const char *code, const char *name)
{
    struct addr_road_in in = {code, name, "primary", ROAD_LINE};
    struct err err = ERR_INIT;
    int64_t id = 0;
    CHECK_INT_EQ(addr_road_put(f->c, &in, NOW, &id, &err), 0, "road %s: %s (%s)", code, err.msg,
                 err.field);
    return id;
}

static int64_t point(struct fx *f, const char *code, int64_t road_id, const char *house, double lat,
                     double lon)
{
    struct addr_point_in in = {code, road_id, house, "", "", "", 0, lat, lon};
    struct err err = ERR_INIT;
    int64_t id = 0;
    CHECK_INT_EQ(addr_point_put(f->c, f->grids, &in, NOW, &id, &err), 0, "point %s: %s (%s)", code,
                 err.msg, err.field);
    return id;
}

TEST(addr_road_validates_and_upserts_by_code)
{
    struct fx f;
    struct err err = ERR_INIT;
    struct addr_road r;
    int64_t id = 0, again = 0;
    if (fx_open(&f, "addr_road") < 0)
        return;
    static const struct {
        struct addr_road_in in;
        const char *field;
    } bad[] = {
        {{"", "锦绣路", "primary", ROAD_LINE}, "code"},
        {{"R 1", "锦绣路", "primary", ROAD_LINE}, "code"},
        {{"R1", "", "primary", ROAD_LINE}, "name"},
        {{"R1", "锦绣路", "motorway", ROAD_LINE}, "kind"},
        {{"R1", "锦绣路", "primary", ""}, "geometry"},
        {{"R1", "锦绣路", "primary", WEST}, "geometry"},
        {{"R1", "锦绣路", "primary",
          "{\"type\":\"LineString\",\"coordinates\":[[120,30],[120,30]]}"},
         "geometry"},
        {{"R1", "锦绣路", "primary",
          "{\"type\":\"LineString\",\"coordinates\":[[200,30],[120,30]]}"},
         "geometry"},
        {{"R1", "锦绣路", "primary", "[1,2"}, "geometry"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = (struct err)ERR_INIT;
        CHECK_INT_EQ(addr_road_put(f.c, &bad[i].in, NOW, &id, &err), ERR_BAD_REQUEST, "row %zu", i);
        CHECK_STR_EQ(err.field, bad[i].field, "row %zu: %s", i, err.msg);
    }
    CHECK_INT_EQ(version(&f), 0, "refused writes leave the version");
    id = road(&f, "R1", "锦绣路");
    CHECK_INT_EQ(version(&f), 1, "a write bumps the version");
    CHECK_INT_EQ(addr_road_get(f.c, id, &f.a, &r, &err), 0, "get: %s", err.msg);
    CHECK_STR_EQ(r.name, "锦绣路", "name");
    CHECK(fabs(r.box.min_lon - 120.001) < 1e-9 && fabs(r.box.max_lon - 120.019) < 1e-9 &&
              fabs(r.box.min_lat - 30.005) < 1e-9 && fabs(r.box.max_lat - 30.009) < 1e-9,
          "box %f %f %f %f", r.box.min_lon, r.box.min_lat, r.box.max_lon, r.box.max_lat);
    CHECK(r.geometry && strstr(r.geometry, "LineString"), "geometry kept");
    again = road(&f, "R1", "锦绣东路");
    CHECK_INT_EQ(again, id, "the same code updates the same row");
    CHECK_INT_EQ(addr_road_get(f.c, id, &f.a, &r, &err), 0, "get: %s", err.msg);
    CHECK_STR_EQ(r.name, "锦绣东路", "renamed");
    fx_close(&f);
}

TEST(addr_point_builds_address_norm_and_region)
{
    struct fx f;
    struct err err = ERR_INIT;
    struct addr_point p;
    if (fx_open(&f, "addr_point") < 0)
        return;
    int64_t r = road(&f, "R1", "锦绣路");
    static const struct {
        struct addr_point_in in;
        const char *field;
    } bad[] = {
        {{"P1", 0, "88号", "", "", "", 0, 30.005, 120.005}, "road_id"},
        {{"P1", 999, "88号", "", "", "", 0, 30.005, 120.005}, "road_id"},
        {{"P1", 0, "", "锦绣花园", "", "2单元", 0, 30.005, 120.005}, "building"},
        {{"P1", 0, "", "", "", "", 0, 30.005, 120.005}, "compound"},
        {{"P1", 0, "", "锦绣花园", "3幢", "", 0, NAN, 120.005}, "lat"},
        {{"P1", 0, "", "锦绣花园", "3幢", "", 0, 30.005, 181}, "lon"},
        {{"P1", 0, "", "锦绣花园", "3幢", "", 0, 31.0, 120.005}, "lat"}, /* outside every grid */
        {{"P1", 0, "", "锦绣花园", "3幢", "", 77, 30.005, 120.005}, "building_id"},
        {{"P1", 0, "", "锦绣花园\n", "3幢", "", 0, 30.005, 120.005}, "compound"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = (struct err)ERR_INIT;
        CHECK_INT_EQ(addr_point_put(f.c, f.grids, &bad[i].in, NOW, NULL, &err), ERR_BAD_REQUEST,
                     "row %zu", i);
        CHECK_STR_EQ(err.field, bad[i].field, "row %zu: %s", i, err.msg);
        CHECK(err.reason != NULL, "row %zu says why", i);
    }
    /* The reasons an import report words: outside the district, a road that is not there. */
    err = (struct err)ERR_INIT;
    addr_point_put(f.c, f.grids, &bad[6].in, NOW, NULL, &err);
    CHECK_STR_EQ(err.reason ? err.reason : "", ADDR_WHY_OUTSIDE, "outside");
    addr_point_put(f.c, f.grids, &bad[1].in, NOW, NULL, &err);
    CHECK_STR_EQ(err.reason ? err.reason : "", ADDR_WHY_NOT_FOUND, "no such road");
    int64_t id = point(&f, "P1", r, "88号", 30.005, 120.015);
    CHECK_INT_EQ(addr_point_get(f.c, id, &f.a, &p, &err), 0, "get: %s", err.msg);
    CHECK_STR_EQ(p.address, "锦绣路88号", "written form");
    CHECK_STR_EQ(p.norm, geocode_norm(&f.a, "锦绣路88号"), "norm is the normaliser's");
    CHECK_INT_EQ(p.region.id, f.east, "in the east grid");
    CHECK_STR_EQ(p.region.code, "330106001001E", "grid code");
    CHECK_STR_EQ(p.road_code, "R1", "road code");

    struct addr_point_in unit = {"P2", 0, "", "锦绣花园", "3幢", "2单元", 0, 30.005, 120.005};
    int64_t id2 = 0;
    CHECK_INT_EQ(addr_point_put(f.c, f.grids, &unit, NOW, &id2, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(addr_point_get(f.c, id2, &f.a, &p, &err), 0, "get: %s", err.msg);
    CHECK_STR_EQ(p.address, "锦绣花园3幢2单元", "compound form");
    CHECK_INT_EQ(p.region.id, f.west, "in the west grid");

    /* Without grid boundaries a point keeps no region and is not refused. */
    struct geo_index *none;
    CHECK_INT_EQ(geo_index_new(&none, &err), 0, "%s", err.msg);
    struct addr_point_in far = {"P3", 0, "", "远方小区", "", "", 0, 31.0, 121.0};
    CHECK_INT_EQ(addr_point_put(f.c, none, &far, NOW, &id2, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(addr_point_get(f.c, id2, &f.a, &p, &err), 0, "get: %s", err.msg);
    CHECK_INT_EQ(p.region.id, 0, "no region");
    geo_index_free(none);
    fx_close(&f);
}

TEST(addr_building_place_area)
{
    struct fx f;
    struct err err = ERR_INIT;
    struct addr_building b;
    struct addr_place pl;
    struct addr_area ar;
    int64_t bid = 0, plid = 0, aid = 0;
    if (fx_open(&f, "addr_bpa") < 0)
        return;
    struct addr_building_in bad_use = {"B1", "锦绣花园", "3幢", "castle", 6, HOUSE};
    CHECK_INT_EQ(addr_building_put(f.c, f.grids, &bad_use, NOW, &bid, &err), ERR_BAD_REQUEST,
                 "refused");
    CHECK_STR_EQ(err.field, "use", "%s", err.msg);
    struct addr_building_in line = {"B1", "锦绣花园", "3幢", "", 6, ROAD_LINE};
    CHECK_INT_EQ(addr_building_put(f.c, f.grids, &line, NOW, &bid, &err), ERR_BAD_REQUEST,
                 "refused");
    CHECK_STR_EQ(err.field, "footprint", "%s", err.msg);
    struct addr_building_in floors = {"B1", "锦绣花园", "3幢", "", 999, HOUSE};
    CHECK_INT_EQ(addr_building_put(f.c, f.grids, &floors, NOW, &bid, &err), ERR_BAD_REQUEST,
                 "refused");
    CHECK_STR_EQ(err.field, "floors", "%s", err.msg);
    struct addr_building_in ok = {"B1", "锦绣花园", "3幢", "", 6, HOUSE};
    CHECK_INT_EQ(addr_building_put(f.c, f.grids, &ok, NOW, &bid, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(addr_building_get(f.c, bid, &f.a, &b, &err), 0, "%s", err.msg);
    CHECK_STR_EQ(b.use, "residential", "default use");
    CHECK(b.lon > 120.012 && b.lon < 120.013 && b.lat > 30.002 && b.lat < 30.003,
          "point inside the footprint: %f %f", b.lon, b.lat);
    CHECK_INT_EQ(b.region.id, f.east, "region of the footprint");

    int64_t r = road(&f, "R1", "锦绣路");
    int64_t p = point(&f, "P1", r, "88号", 30.004, 120.004);
    struct addr_place_in school = {"S1", "锦绣小学", "school", p, NULL, NAN, NAN};
    CHECK_INT_EQ(addr_place_put(f.c, f.grids, &school, NOW, &plid, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(addr_place_get(f.c, plid, &f.a, &pl, &err), 0, "%s", err.msg);
    CHECK_STR_EQ(pl.address, "锦绣路88号", "the point's address");
    CHECK(fabs(pl.lat - 30.004) < 1e-9 && fabs(pl.lon - 120.004) < 1e-9, "the point's position");
    CHECK_INT_EQ(pl.region.id, f.west, "region");
    CHECK_STR_EQ(pl.point_code, "P1", "point code");
    struct addr_place_in bad_type = {"S2", "某处", "castle", 0, NULL, 30.004, 120.004};
    CHECK_INT_EQ(addr_place_put(f.c, f.grids, &bad_type, NOW, &plid, &err), ERR_BAD_REQUEST,
                 "refused");
    CHECK_STR_EQ(err.field, "type", "%s", err.msg);
    struct addr_place_in nowhere = {"S2", "某处", "park", 0, NULL, NAN, NAN};
    CHECK_INT_EQ(addr_place_put(f.c, f.grids, &nowhere, NOW, &plid, &err), ERR_BAD_REQUEST,
                 "refused");
    CHECK_STR_EQ(err.field, "lat", "%s", err.msg);

    struct addr_area_in lake = {"W1", "water", "西湖", WEST};
    CHECK_INT_EQ(addr_area_put(f.c, &lake, NOW, &aid, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(addr_area_get(f.c, aid, &f.a, &ar, &err), 0, "%s", err.msg);
    CHECK(ar.box.min_lon == 120.0 && ar.box.max_lat == 30.01, "area box");
    struct addr_area_in bad_kind = {"W2", "lava", "", WEST};
    CHECK_INT_EQ(addr_area_put(f.c, &bad_kind, NOW, &aid, &err), ERR_BAD_REQUEST, "refused");
    CHECK_STR_EQ(err.field, "kind", "%s", err.msg);
    fx_close(&f);
}

TEST(addr_lists_search_page_and_count)
{
    struct fx f;
    struct err err = ERR_INIT;
    struct addr_point *v;
    struct addr_road *rv;
    size_t n;
    int64_t total;
    if (fx_open(&f, "addr_list") < 0)
        return;
    int64_t r = road(&f, "R1", "锦绣路");
    road(&f, "R2", "文三路");
    char code[16], house[16];
    for (int i = 1; i <= 25; i++) {
        snprintf(code, sizeof(code), "P%02d", i);
        snprintf(house, sizeof(house), "%d号", i);
        point(&f, code, r, house, 30.005, i % 2 ? 120.005 : 120.015);
    }
    struct addr_filter page = {.limit = 10, .offset = 20};
    CHECK_INT_EQ(addr_point_list(f.c, &page, &f.a, &v, &n, &total, &err), 0, "%s", err.msg);
    CHECK_INT_EQ((int)n, 5, "the last page");
    CHECK_INT_EQ(total, 25, "total without the page");
    CHECK_STR_EQ(v[0].code, "P21", "ordered by code");

    struct addr_filter q = {.q = "锦绣路二十一号"};
    CHECK_INT_EQ(addr_point_list(f.c, &q, &f.a, &v, &n, &total, &err), 0, "%s", err.msg);
    CHECK(n >= 1 && strcmp(v[0].address, "锦绣路21号") == 0,
          "the normalised form finds Chinese numerals: %zu", n);

    struct addr_filter west = {.region_id = f.west};
    CHECK_INT_EQ(addr_point_list(f.c, &west, &f.a, &v, &n, &total, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(total, 13, "odd house numbers lie in the west grid");

    struct addr_filter pct = {.q = "%"};
    CHECK_INT_EQ(addr_point_list(f.c, &pct, &f.a, &v, &n, &total, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(total, 0, "LIKE's characters are searched for literally");

    struct addr_filter name = {.q = "文三"};
    CHECK_INT_EQ(addr_road_list(f.c, &name, &f.a, &rv, &n, &total, &err), 0, "%s", err.msg);
    CHECK(n == 1 && strcmp(rv[0].code, "R2") == 0 && rv[0].geometry == NULL,
          "road by name, without its geometry");
    struct addr_filter all = {0};
    CHECK_INT_EQ(addr_road_list(f.c, &all, &f.a, &rv, &n, &total, &err), 0, "%s", err.msg);
    CHECK(n == 2 && rv[0].points == 25 && rv[1].points == 0, "points per road");

    struct addr_filter bad = {.type = "castle"};
    CHECK_INT_EQ(addr_road_list(f.c, &bad, &f.a, &rv, &n, &total, &err), ERR_BAD_REQUEST,
                 "refused");
    CHECK_STR_EQ(err.field, "type", "%s", err.msg);

    int64_t id = 0;
    CHECK_INT_EQ(addr_road_by_name(f.c, "锦绣路", 30.0, 120.0, &id, &err), 1, "%s", err.msg);
    CHECK_INT_EQ(id, r, "road by name");
    CHECK_INT_EQ(addr_road_by_name(f.c, "无名路", 30.0, 120.0, &id, &err), 0, "no such road");
    CHECK_INT_EQ(addr_id_by_code(f.c, ADDR_POINT, "P07", &id, &err), 1, "%s", err.msg);
    fx_close(&f);
}

TEST(addr_delete_refuses_what_is_referred_to)
{
    struct fx f;
    struct err err = ERR_INIT;
    if (fx_open(&f, "addr_delete") < 0)
        return;
    int64_t r = road(&f, "R1", "锦绣路");
    int64_t p = point(&f, "P1", r, "88号", 30.005, 120.005);
    struct addr_place_in shop = {"S1", "锦绣超市", "supermarket", p, NULL, NAN, NAN};
    int64_t s = 0;
    CHECK_INT_EQ(addr_place_put(f.c, f.grids, &shop, NOW, &s, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(addr_delete(f.c, ADDR_ROAD, r, &err), ERR_CONFLICT, "road with points");
    CHECK(strstr(err.msg, "1 address points") != NULL, "%s", err.msg);
    CHECK_INT_EQ(addr_delete(f.c, ADDR_POINT, p, &err), ERR_CONFLICT, "point with a place");
    CHECK(strstr(err.msg, "places") != NULL, "%s", err.msg);
    int64_t v = version(&f);
    CHECK_INT_EQ(addr_delete(f.c, ADDR_PLACE, s, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(addr_delete(f.c, ADDR_POINT, p, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(addr_delete(f.c, ADDR_ROAD, r, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(version(&f), v + 3, "each delete bumps the version");
    CHECK_INT_EQ(addr_delete(f.c, ADDR_ROAD, r, &err), ERR_NOT_FOUND, "gone");
    fx_close(&f);
}
