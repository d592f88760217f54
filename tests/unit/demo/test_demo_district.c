/*
 * The demo on a real district (demo_load_district, docs/grid.md section 8): the region tree of
 * 东城区 with its official codes, every level tiling the one above inside the real boundary
 * (converted from GCJ-02), the address register clipped to it, and the data table's own rules.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "demo/demo.h"
#include "demo/demo_data.h"
#include "geo/geo.h"
#include "org/org.h"
#include "store/store.h"
#include "test.h"

#define T_NOW 1790236800

TEST(demo_district_data_rules)
{
    const struct demo_district *d = demo_district_find("东城区");
    CHECK(d != NULL && d == demo_district_find("110101"), "东城区 by name and by code");
    CHECK(demo_district_find("澜溪区") == NULL, "the synthetic district is not a real one");
    CHECK_INT_EQ((int)d->nstreets, 17, "streets");
    CHECK_INT_EQ((int)d->ncommunities, 169, "社区 (2023 统计用区划代码)");
    CHECK(d->nring > 50 && d->ring_gcj02[0] == d->ring_gcj02[2 * d->nring - 2] &&
              d->ring_gcj02[1] == d->ring_gcj02[2 * d->nring - 1],
          "the boundary ring is closed");
    for (size_t s = 0; s < d->nstreets; s++)
        CHECK(strlen(d->streets[s].code) == 9 && strncmp(d->streets[s].code, d->code, 6) == 0,
              "street code %s", d->streets[s].code);
    for (size_t i = 0; i < d->ncommunities; i++) {
        const struct demo_district_community *c = &d->communities[i];
        size_t n = strlen(c->name);
        CHECK(strlen(c->code) == 12 && strncmp(c->code, d->streets[c->street].code, 9) == 0,
              "community %s under %s", c->code, d->streets[c->street].code);
        CHECK(n > 6 && (strcmp(c->name + n - 6, "社区") == 0 || strcmp(c->name + n - 3, "村") == 0),
              "community name %s", c->name);
    }
    double bb[4];
    demo_district_envelope(d, bb);
    CHECK(bb[0] > 116.37 && bb[2] < 116.46 && bb[1] > 39.84 && bb[3] < 39.98,
          "envelope %f %f %f %f", bb[0], bb[1], bb[2], bb[3]);
}

TEST(demo_district_load)
{
    struct store *st;
    struct store_conn *c;
    struct err e = ERR_INIT;
    struct arena a;
    char path[512];
    unsigned char key[32];
    struct demo_report rep;
    log_set_level(LOG_WARN);
    CHECK(sodium_init() >= 0, "libsodium");
    randombytes_buf(key, sizeof(key));
    snprintf(path, sizeof(path), "%s/district.db", test_tmpdir());
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&st, &o, &e), 0, "open: %s", e.msg);
    CHECK_INT_EQ(demo_load_district(st, "纽约区", "pw", key, T_NOW, &rep, &e), ERR_BAD_REQUEST,
                 "an unknown district");
    CHECK(strstr(e.msg, "东城区") != NULL, "the message names the districts: %s", e.msg);
    CHECK_INT_EQ(demo_load_district(st, "东城区", "pw", key, T_NOW, &rep, &e), 0, "load: %s",
                 e.msg);
    CHECK_INT_EQ(rep.regions, 1 + 17 + 169 + 169 * 2, "regions");
    CHECK_INT_EQ(store_conn(st, &c, &e), 0, "conn");
    arena_init(&a, 1 << 16);

    /* Each level tiles the district: random points of the boundary lie in exactly one region
     * of each level, and in the street / community its grid's code says. */
    struct org_region *v;
    size_t n;
    struct org_region_filter f = {.with_boundary = 1};
    CHECK_INT_EQ(org_region_list(c, &f, &a, &v, &n, &e), 0, "list: %s", e.msg);
    struct geo_index *level[5] = {0};
    const char *district = NULL;
    for (int l = 1; l <= 4; l++)
        CHECK_INT_EQ(geo_index_new(&level[l], &e), 0, "index");
    for (size_t i = 0; i < n; i++) {
        CHECK_INT_EQ(geo_index_add(level[v[i].level], v[i].id, 0, v[i].boundary, &e), 0, "%s: %s",
                     v[i].code, e.msg);
        if (v[i].level == ORG_REGION_DISTRICT)
            district = v[i].boundary;
    }
    double pts[400];
    CHECK_INT_EQ(geo_random_points(district, 200, 3, pts, &e), 0, "scatter: %s", e.msg);
    for (int i = 0; i < 200; i++) {
        int64_t ids[5];
        struct org_region r[5];
        for (int l = 2; l <= 4; l++) {
            ids[l] = geo_locate(level[l], pts[2 * i], pts[2 * i + 1]);
            CHECK(ids[l] != 0, "point %d (%f, %f) in no region of level %d", i, pts[2 * i],
                  pts[2 * i + 1], l);
            CHECK_INT_EQ(org_region_get(c, ids[l], &a, &r[l], &e), 0, "get");
        }
        CHECK(strncmp(r[4].code, r[3].code, 12) == 0 && strncmp(r[3].code, r[2].code, 9) == 0,
              "point %d: grid %s, community %s, street %s disagree", i, r[4].code, r[3].code,
              r[2].code);
    }
    for (int l = 1; l <= 4; l++)
        geo_index_free(level[l]);

    /* The street offices are the real streets'; the demo's accounts serve real regions. */
    char *name = NULL;
    CHECK_INT_EQ(store_one_text(c, "SELECT name FROM departments WHERE code = 'QSJD'",
                                STORE_NO_ARGS, &a, &name, &e),
                 1, "QSJD");
    CHECK_STR_EQ(name, "东华门街道办事处", "the first street's office");
    CHECK_INT_EQ(store_one_text(c, "SELECT name FROM departments WHERE code = 'GSG'", STORE_NO_ARGS,
                                &a, &name, &e),
                 1, "GSG");
    CHECK_STR_EQ(name, "东城供水有限公司", "the water company takes the district's name");

    /* The address register, laid over the district and clipped to it. */
    struct demo_register_report rr;
    CHECK_INT_EQ(demo_register(st, 0, T_NOW, &rr, &e), 0, "register: %s", e.msg);
    CHECK(rr.points > 1000 && rr.places > 50 && rr.roads > 20, "register %d points %d places",
          rr.points, rr.places);
    int64_t outside = -1;
    CHECK_INT_EQ(store_one_i64(c, "SELECT count(*) FROM addr_places WHERE name LIKE '澜溪区%'",
                               STORE_NO_ARGS, &outside, &e),
                 1, "places: %s", e.msg);
    CHECK_INT_EQ((int)outside, 0, "a place still named after 澜溪区");
    arena_release(&a);
    store_close(st);
}
