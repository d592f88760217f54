/* The demo's generated address register: a connected road network, everything inside the
 * district and on dry land, house numbers on the right side of their road, the addresses the
 * demo and the browser tests name, and every place type of the register. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "demo/demo.h"
#include "demo/demo_data.h"
#include "test.h"

static const char *const place_types[] = {
    "school",      "kindergarten", "hospital",   "clinic", "pharmacy",         "market",
    "supermarket", "park",         "government", "police", "community_centre", "elderly_care",
    "sports",      "library",      "bus_stop",   "metro",  "toilet",           "other"};

static int find(int *up, int i)
{
    while (up[i] != i)
        i = up[i] = up[up[i]];
    return i;
}

struct vtx {
    double lon, lat;
    int road;
};

static int cmp_vtx(const void *pa, const void *pb)
{
    const struct vtx *a = pa, *b = pb;
    if (a->lon != b->lon)
        return a->lon < b->lon ? -1 : 1;
    return a->lat < b->lat ? -1 : a->lat > b->lat;
}

/* How many connected pieces the roads make, joined where they share a vertex exactly. */
static int road_pieces(const struct demo_reg *r)
{
    size_t nv = 0;
    for (size_t i = 0; i < r->nroads; i++)
        nv += r->roads[i].n;
    struct vtx *v = calloc(nv, sizeof(*v));
    int *up = calloc(r->nroads, sizeof(int));
    size_t k = 0;
    for (size_t i = 0; i < r->nroads; i++) {
        up[i] = (int)i;
        for (size_t j = 0; j < r->roads[i].n; j++)
            v[k++] = (struct vtx){r->roads[i].lonlat[2 * j], r->roads[i].lonlat[2 * j + 1], (int)i};
    }
    qsort(v, nv, sizeof(*v), cmp_vtx);
    for (size_t i = 1; i < nv; i++)
        if (v[i].lon == v[i - 1].lon && v[i].lat == v[i - 1].lat)
            up[find(up, v[i].road)] = find(up, v[i - 1].road);
    int pieces = 0;
    for (size_t i = 0; i < r->nroads; i++)
        pieces += find(up, (int)i) == (int)i;
    free(v);
    free(up);
    return pieces;
}

static int inside(double lon, double lat)
{
    const double *b = demo_district_bbox;
    return lon > b[0] && lon < b[2] && lat > b[1] && lat < b[3];
}

/* Which side of its road a point lies: > 0 left, < 0 right (of the nearest segment). */
static double side_of(const struct demo_reg_road *rd, double lon, double lat)
{
    double best = INFINITY, side = 0;
    for (size_t i = 0; i + 1 < rd->n; i++) {
        double ax = rd->lonlat[2 * i] * 96200, ay = rd->lonlat[2 * i + 1] * 110900;
        double bx = rd->lonlat[2 * i + 2] * 96200, by = rd->lonlat[2 * i + 3] * 110900;
        double px = lon * 96200, py = lat * 110900;
        double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
        double t = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        double d = hypot(px - ax - t * dx, py - ay - t * dy);
        if (d < best) {
            best = d;
            side = dx * (py - ay) - dy * (px - ax);
        }
    }
    return side;
}

static void check_register(int addresses)
{
    struct arena a;
    struct demo_reg r;
    struct err e = ERR_INIT;
    arena_init(&a, 1 << 20);
    CHECK_INT_EQ(demo_reg_generate(&a, addresses, &r, &e), 0, "generate: %s", e.msg);
    CHECK_INT_EQ(road_pieces(&r), 1, "every road meets the network at a shared vertex");

    int want = addresses ? addresses : DEMO_REGISTER_DEFAULT;
    CHECK(r.npoints > (size_t)want * 0.8 && r.npoints < (size_t)want * 1.25,
          "about %d addresses, made %zu", want, r.npoints);
    int jinxiu88 = 0, jinxiu_garden = 0, wrong_side = 0;
    for (size_t i = 0; i < r.npoints; i++) {
        const struct demo_reg_point *p = &r.points[i];
        CHECK(inside(p->lon, p->lat), "%s (%s) is inside the district", p->code, p->address);
        if (strcmp(p->address, "锦绣路88号") == 0)
            jinxiu88++;
        if (strcmp(p->address, "锦绣花园3幢2单元") == 0)
            jinxiu_garden++;
        if (p->road >= 0) {
            int odd = atoi(p->house_no) % 2;
            double s = side_of(&r.roads[p->road], p->lon, p->lat);
            wrong_side += odd ? s <= 0 : s >= 0;
        } else {
            CHECK(p->building_ix >= 0 && *p->compound && *p->building && *p->unit,
                  "%s: a unit of a building of a compound", p->code);
            const double *b = r.buildings[p->building_ix].box;
            CHECK(p->lon >= b[0] && p->lon <= b[2] && p->lat >= b[1] && p->lat <= b[3],
                  "%s lies in its building's footprint", p->address);
        }
    }
    CHECK_INT_EQ(jinxiu88, 1, "锦绣路88号 exists once");
    CHECK_INT_EQ(jinxiu_garden, 1, "锦绣花园3幢2单元 exists once");
    CHECK_INT_EQ(wrong_side, 0, "odd numbers on the left of the road, even on the right");

    /* No two addresses alike: the geocoder must not find two points for one address. */
    const char **addr = calloc(r.npoints, sizeof(*addr));
    for (size_t i = 0; i < r.npoints; i++)
        addr[i] = r.points[i].address;
    qsort(addr, r.npoints, sizeof(*addr), (int (*)(const void *, const void *))strcmp);
    int dups = 0;
    for (size_t i = 1; i < r.npoints; i++)
        dups += strcmp(addr[i], addr[i - 1]) == 0;
    free(addr);
    CHECK_INT_EQ(dups, 0, "every address is unique");

    for (size_t i = 0; i < r.nbuildings; i++) {
        const double *b = r.buildings[i].box;
        CHECK(inside(b[0], b[1]) && inside(b[2], b[3]) && b[0] < b[2] && b[1] < b[3],
              "building %s lies inside the district", r.buildings[i].code);
    }
    for (size_t i = 0; i < r.nareas; i++)
        CHECK(r.areas[i].n >= 4 && r.areas[i].lonlat[0] == r.areas[i].lonlat[2 * r.areas[i].n - 2],
              "area %s is a closed ring", r.areas[i].code);
    for (size_t t = 0; t < ARRAY_SIZE(place_types); t++) {
        int n = 0;
        for (size_t i = 0; i < r.nplaces; i++)
            n += strcmp(r.places[i].type, place_types[t]) == 0;
        CHECK(n > 0, "a place of type %s", place_types[t]);
    }
    CHECK(r.nplaces >= 200, "a few hundred places, made %zu", r.nplaces);
    for (size_t i = 0; i < r.nplaces; i++)
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(r.places[i].name, r.places[j].name) != 0, "two places named %s",
                  r.places[i].name);
    for (size_t i = 0; i < r.nplaces; i++) {
        const struct demo_reg_place *p = &r.places[i];
        CHECK(inside(p->lon, p->lat), "place %s inside the district", p->name);
        CHECK(p->point >= 0 || strcmp(p->type, "bus_stop") == 0 || strcmp(p->type, "metro") == 0,
              "place %s has an address point", p->name);
        CHECK(p->address && *p->address, "place %s has an address", p->name);
        if (p->point >= 0)
            CHECK_STR_EQ(p->address, r.points[p->point].address, "place %s", p->name);
    }
    arena_release(&a);
}

TEST(demo_register_default_is_consistent)
{
    check_register(0);
}

TEST(demo_register_dense_is_consistent)
{
    check_register(100000);
}

TEST(demo_register_is_the_same_every_time)
{
    struct arena a;
    struct demo_reg r1, r2;
    struct err e = ERR_INIT;
    arena_init(&a, 1 << 20);
    CHECK_INT_EQ(demo_reg_generate(&a, 0, &r1, &e), 0, "generate: %s", e.msg);
    CHECK_INT_EQ(demo_reg_generate(&a, 0, &r2, &e), 0, "generate: %s", e.msg);
    CHECK_INT_EQ(r1.npoints, r2.npoints, "same count");
    for (size_t i = 0; i < r1.npoints && i < r2.npoints; i++)
        if (strcmp(r1.points[i].address, r2.points[i].address) != 0 ||
            r1.points[i].lon != r2.points[i].lon) {
            CHECK(0, "point %zu differs: %s / %s", i, r1.points[i].address, r2.points[i].address);
            break;
        }
    CHECK_INT_EQ(demo_reg_generate(&a, 999, &r1, &e), ERR_BAD_REQUEST, "too few");
    CHECK_STR_EQ(e.field, "demo-addresses", "the option is named");
    arena_release(&a);
}
