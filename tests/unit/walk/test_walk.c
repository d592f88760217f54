/*
 * Tests for src/walk: distances along roads (not as the crow flies), roads that cross
 * without a shared vertex stay apart (a bridge), a place on the origin's own stretch of road,
 * the off-network refusal, the reached area, and communities' coverage per place type.
 *
 * The network, in metres east (x) and north (y) of (120.0 E, 30.0 N):
 *   main road    y = 0 from x = 0 to 2000, vertices every 500 m
 *   cross road   x = 1000 from y = -800 to 800, meeting the main road at (1000, 0)
 *   far road     y = 300 from x = 0 to 2000, crossing the cross road with no shared vertex
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"
#include "test.h"
#include "walk/walk.h"

#define LAT0 30.0
#define LON0 120.0

struct fx {
    struct store *st;
    struct store_conn *c;
    struct arena a;
};

static double lon_of(double x)
{
    return LON0 + x / (111320.0 * cos(LAT0 * M_PI / 180.0));
}

static double lat_of(double y)
{
    return LAT0 + y / 110574.0;
}

static void exec(struct fx *f, const char *sql)
{
    struct err err = ERR_INIT;
    if (store_run(f->c, sql, STORE_NO_ARGS, &err) < 0)
        test_fail(__FILE__, __LINE__, "%s: %s", sql, err.msg);
}

static void road(struct fx *f, const char *code, const double *xy, size_t n)
{
    char geo[1024];
    size_t at = (size_t)snprintf(geo, sizeof(geo), "{\"type\":\"LineString\",\"coordinates\":[");
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(geo + at, sizeof(geo) - at, "%s[%.8f,%.8f]", i ? "," : "",
                               lon_of(xy[2 * i]), lat_of(xy[2 * i + 1]));
    snprintf(geo + at, sizeof(geo) - at, "]}");
    char *sql = arena_printf(&f->a,
                             "INSERT INTO addr_roads (code, name, kind, geometry, min_lon, "
                             "min_lat, max_lon, max_lat, created_at, updated_at) VALUES "
                             "('%s', '路%s', 'branch', '%s', 0, 0, 0, 0, 1, 1)",
                             code, code, geo);
    exec(f, sql);
}

static void place(struct fx *f, const char *code, const char *type, double x, double y)
{
    exec(f, arena_printf(&f->a,
                         "INSERT INTO addr_places (code, name, type, lat, lon, created_at, "
                         "updated_at) VALUES ('%s', '地点%s', '%s', %.8f, %.8f, 1, 1)",
                         code, code, type, lat_of(y), lon_of(x)));
}

static void point(struct fx *f, const char *code, int64_t grid, double x, double y)
{
    exec(f, arena_printf(&f->a,
                         "INSERT INTO addr_points (code, address, norm, lat, lon, region_id, "
                         "created_at, updated_at) VALUES ('%s', '%s', '%s', %.8f, %.8f, %lld, "
                         "1, 1)",
                         code, code, code, lat_of(y), lon_of(x), (long long)grid));
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
    if (store_open(&f->st, &opt, &err) < 0 || store_conn(f->st, &f->c, &err) < 0) {
        test_fail(__FILE__, __LINE__, "cannot open store %s: %s", path, err.msg);
        return -1;
    }
    static const double main_road[] = {0, 0, 500, 0, 1000, 0, 1500, 0, 2000, 0};
    static const double cross_road[] = {1000, -800, 1000, 0, 1000, 800};
    static const double far_road[] = {0, 300, 2000, 300};
    road(f, "r1", main_road, 5);
    road(f, "r2", cross_road, 3);
    road(f, "r3", far_road, 2);
    exec(f, "INSERT INTO regions (id, code, name, level, parent_id, created_at, updated_at) "
            "VALUES (1, '330000', '区', 'district', NULL, 1, 1), "
            "(2, '330000001', '街道', 'street', 1, 1, 1), "
            "(3, '330000001001', '东社区', 'community', 2, 1, 1), "
            "(4, '330000001002', '西社区', 'community', 2, 1, 1), "
            "(5, '33000000100101', '东社区第1网格', 'grid', 3, 1, 1), "
            "(6, '33000000100201', '西社区第1网格', 'grid', 4, 1, 1)");
    place(f, "clinic", "clinic", 900, 10);
    place(f, "school", "school", 1010, 600);
    place(f, "market", "market", 200, 310);     /* 300 m away as the crow flies, on the far road */
    place(f, "pharmacy", "pharmacy", 300, -10); /* on the origin's own stretch */
    point(f, "e1", 5, 100, 20);
    point(f, "e2", 5, 400, -20);
    point(f, "w1", 6, 1900, 20);
    point(f, "w2", 6, 1950, -20);
    return 0;
}

static void fx_close(struct fx *f)
{
    arena_release(&f->a);
    store_close(f->st);
}

static const struct walk_place *find(const struct walk_circle *c, const char *code)
{
    for (size_t i = 0; i < c->nplaces; i++)
        if (strcmp(c->places[i].code, code) == 0)
            return &c->places[i];
    return NULL;
}

TEST(walk_distances_follow_the_roads)
{
    struct fx f;
    struct walk_graph *g = NULL;
    struct walk_circle c;
    struct walk_stats st;
    struct err err = ERR_INIT;
    if (fx_open(&f, "walk_dist") < 0)
        return;
    CHECK_INT_EQ(walk_graph_load(f.c, &g, &err), 0, "load: %s", err.msg);
    walk_graph_stats(g, &st);
    /* 5 + 2 new (the cross road shares (1000, 0)) + 2 = 9 nodes; 4 + 2 + 1 edges. */
    CHECK_INT_EQ((long long)st.nodes, 9, "nodes");
    CHECK_INT_EQ((long long)st.edges, 7, "edges");
    CHECK(fabs(st.road_m - 5600) < 5, "network length %.1f", st.road_m);

    CHECK_INT_EQ(walk_circle(g, lat_of(10), lon_of(0), 1000, NULL, 1, &f.a, &c, &err), 0,
                 "circle: %s", err.msg);
    CHECK(fabs(c.snap_m - 10) < 0.5, "snap %.2f", c.snap_m);
    const struct walk_place *p = find(&c, "pharmacy");
    CHECK(p && fabs(p->distance_m - 320) < 2, "pharmacy along the same stretch: %.1f",
          p ? p->distance_m : -1);
    p = find(&c, "clinic");
    CHECK(p && fabs(p->distance_m - 920) < 2, "clinic: %.1f", p ? p->distance_m : -1);
    CHECK(!find(&c, "school"), "the school is 1,620 m along the roads");
    CHECK(!find(&c, "market"), "the market's road is not connected (it crosses on a bridge)");
    CHECK(c.nplaces == 2 && strcmp(c.places[0].code, "pharmacy") == 0, "nearest first");
    CHECK(c.area && strstr(c.area, "Polygon"), "area %s", c.area ? c.area : "(null)");

    CHECK_INT_EQ(walk_circle(g, lat_of(10), lon_of(0), 1700, NULL, 0, &f.a, &c, &err), 0,
                 "circle: %s", err.msg);
    p = find(&c, "school");
    CHECK(p && fabs(p->distance_m - 1620) < 2, "school at 25 minutes: %.1f",
          p ? p->distance_m : -1);
    CHECK(!c.area, "no area when not asked");

    unsigned char only[32] = {0};
    only[walk_place_type_index("clinic")] = 1;
    CHECK_INT_EQ(walk_circle(g, lat_of(10), lon_of(0), 1700, only, 0, &f.a, &c, &err), 0,
                 "filtered");
    CHECK(c.nplaces == 1 && strcmp(c.places[0].type, "clinic") == 0, "types filter");

    /* 600 m north of the main road and 400 m from the far road: off the network. */
    struct err off = ERR_INIT;
    CHECK_INT_EQ(walk_circle(g, lat_of(-700), lon_of(300), 1000, NULL, 0, &f.a, &c, &off),
                 ERR_BAD_REQUEST, "off the network");
    CHECK_STR_EQ(off.field, "lat", "field");
    CHECK(strstr(off.msg, "from the nearest road"), "%s", off.msg);
    walk_graph_free(g);
    fx_close(&f);
}

TEST(walk_coverage_per_community_and_type)
{
    struct fx f;
    struct walk_graph *g = NULL;
    struct walk_cover *cov, one;
    size_t n;
    struct err err = ERR_INIT;
    if (fx_open(&f, "walk_cover") < 0)
        return;
    CHECK_INT_EQ(walk_graph_load(f.c, &g, &err), 0, "load: %s", err.msg);
    CHECK_INT_EQ(walk_coverage(g, 1000, &f.a, &cov, &n, &err), 0, "coverage: %s", err.msg);
    CHECK_INT_EQ((long long)n, 2, "two communities with addresses");
    int clinic = walk_place_type_index("clinic"), school = walk_place_type_index("school");
    const struct walk_cover *east = strcmp(cov[0].name, "东社区") == 0 ? &cov[0] : &cov[1];
    const struct walk_cover *west = east == &cov[0] ? &cov[1] : &cov[0];
    CHECK_INT_EQ((long long)east->points, 2, "east points");
    CHECK_INT_EQ((long long)east->covered[clinic], 2, "east reaches the clinic");
    CHECK_INT_EQ((long long)west->covered[clinic], 0, "west does not (1,030 m and more)");
    CHECK(west->median_m[clinic] > 1000 && west->median_m[clinic] < 1100, "west median %.0f",
          west->median_m[clinic]);
    CHECK_INT_EQ((long long)east->covered[school], 0, "no school within 1 km");
    CHECK(isinf(east->median_m[walk_place_type_index("library")]), "no library at all");
    CHECK_INT_EQ(walk_coverage_of(g, 3, 1000, &f.a, &one, &err), 0, "one: %s", err.msg);
    CHECK_INT_EQ((long long)one.covered[clinic], 2, "same answer for one community");
    CHECK_INT_EQ(walk_coverage_of(g, 2, 1000, &f.a, &one, &err), ERR_NOT_FOUND,
                 "a street is not a community with addresses");
    walk_graph_free(g);
    fx_close(&f);
}

TEST(walk_empty_register)
{
    struct fx f;
    struct walk_graph *g = NULL;
    struct walk_circle c;
    struct err err = ERR_INIT;
    struct walk_stats st;
    if (fx_open(&f, "walk_empty") < 0)
        return;
    exec(&f, "DELETE FROM addr_roads");
    CHECK_INT_EQ(walk_graph_load(f.c, &g, &err), 0, "load: %s", err.msg);
    walk_graph_stats(g, &st);
    CHECK_INT_EQ((long long)st.nodes, 0, "no nodes");
    CHECK_INT_EQ((long long)st.places_off, 4, "every place off the network");
    CHECK_INT_EQ(walk_circle(g, LAT0, LON0, 1000, NULL, 1, &f.a, &c, &err), ERR_BAD_REQUEST,
                 "nothing to walk on");
    CHECK(strstr(err.msg, "no roads"), "%s", err.msg);
    walk_graph_free(g);
    fx_close(&f);
}
