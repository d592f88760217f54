/*
 * The register's files without HTTP: the split of a written address into the parts of a
 * point, a CSV import whose bad lines are all reported (line and field) and rolled back, a
 * GeoJSON import whose rows name each other, and an export read back in.
 */
#include <stdio.h>
#include <string.h>

#include "addr/addr.h"
#include "app/app.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "geo/geo.h"
#include "store/store.h"
#include "test.h"

#define NOW 1780000000

TEST(app_addr_split_table)
{
    static const struct {
        const char *in, *road, *house, *compound, *building, *unit;
    } ok[] = {
        {"锦绣路88号", "锦绣路", "88号", "", "", ""},
        {"杭州市西湖区锦绣路８８号", "锦绣路", "88号", "", "", ""},
        {"锦绣路12弄3号", "锦绣路", "12弄3号", "", "", ""},
        {"锦绣花园3栋2单元", "", "", "锦绣花园", "3幢", "2单元"},
        {"锦绣路88号锦绣花园3幢", "锦绣路", "88号", "锦绣花园", "3幢", ""},
        {"锦绣花园", "", "", "锦绣花园", "", ""},
    };
    static const char *const bad[] = {"锦绣路88号501室", "锦绣花园2单元", "", "锦绣路88"};
    struct arena a;
    arena_init(&a, 0);
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct app_addr_parts p;
        struct err e = ERR_INIT;
        CHECK_INT_EQ(app_addr_split(&a, ok[i].in, &p, &e), 0, "%s: %s", ok[i].in, e.msg);
        CHECK_STR_EQ(p.road, ok[i].road, "%s road", ok[i].in);
        CHECK_STR_EQ(p.house_no, ok[i].house, "%s house", ok[i].in);
        CHECK_STR_EQ(p.compound, ok[i].compound, "%s compound", ok[i].in);
        CHECK_STR_EQ(p.building, ok[i].building, "%s building", ok[i].in);
        CHECK_STR_EQ(p.unit, ok[i].unit, "%s unit", ok[i].in);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct app_addr_parts p;
        struct err e = ERR_INIT;
        CHECK_INT_EQ(app_addr_split(&a, bad[i], &p, &e), ERR_BAD_REQUEST, "'%s' refused", bad[i]);
    }
    arena_release(&a);
}

struct fx {
    struct store *st;
    struct store_conn *c;
    struct geo_index *grids;
    struct arena a;
};

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
        app_grids_build(f->c, &f->a, &f->grids, &err) < 0) {
        test_fail(__FILE__, __LINE__, "cannot open store %s: %s", path, err.msg);
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

static int64_t count(struct fx *f, const char *table)
{
    struct err err = ERR_INIT;
    char sql[80];
    int64_t n = -1;
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
    CHECK_INT_EQ(store_one_i64(f->c, sql, STORE_NO_ARGS, &n, &err), 1, "%s", err.msg);
    return n;
}

static int import(struct fx *f, enum app_addr_format fmt, const char *text,
                  struct app_addr_report *rep, struct err *err)
{
    CHECK_INT_EQ(store_begin(f->c, err), 0, "%s", err->msg);
    int rc = app_addr_import(f->c, f->grids, fmt, text, strlen(text), NOW, &f->a, rep, err);
    if (rc < 0)
        store_rollback(f->c);
    else
        CHECK_INT_EQ(store_commit(f->c, err), 0, "%s", err->msg);
    return rc;
}

#define ROAD_FEATURE                                                                                  \
    "{\"type\":\"Feature\",\"properties\":{\"kind\":\"road\",\"code\":\"R1\",\"name\":\"锦绣路\"," \
    "\"type\":\"primary\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[120.1,30.2],"      \
    "[120.2,30.2]]}}"

TEST(app_addr_import_geojson_then_csv_and_export)
{
    struct fx f;
    struct app_addr_report rep;
    struct err err = ERR_INIT;
    if (fx_open(&f, "app_addr_import") < 0)
        return;
    /* The point comes before the road it names, the place before its point. */
    const char *geo =
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"kind\":\"place\",\"code\":\"S1\","
        "\"name\":\"锦绣小学\",\"type\":\"school\",\"point_code\":\"P1\"},"
        "\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.15,30.2]}},"
        "{\"type\":\"Feature\",\"properties\":{\"kind\":\"point\",\"code\":\"P1\","
        "\"road_code\":\"R1\",\"house_no\":\"88号\"},"
        "\"geometry\":{\"type\":\"Point\",\"coordinates\":[120.15,30.2]}}," ROAD_FEATURE "]}";
    CHECK_INT_EQ(import(&f, APP_ADDR_GEOJSON, geo, &rep, &err), 0, "%s", err.msg);
    CHECK(rep.rows == 3 && rep.written[ADDR_ROAD] == 1 && rep.written[ADDR_POINT] == 1 &&
              rep.written[ADDR_PLACE] == 1,
          "written %lld rows", (long long)rep.rows);

    /* Every bad line is reported, and nothing of the file stays. */
    const char *csv = "\xEF\xBB\xBF"
                      "地址,纬度,经度,名称,类型\r\n"
                      "锦绣路90号,30.2,120.16,,\r\n"
                      "无名路1号,30.2,120.16,,\r\n"
                      "锦绣路92号,abc,120.16,,\r\n"
                      "\"锦绣路94号\",30.2,120.17,锦绣超市,castle\r\n"
                      "锦绣路88号501室,30.2,120.16,,\r\n";
    CHECK_INT_EQ(import(&f, APP_ADDR_CSV, csv, &rep, &err), ERR_BAD_REQUEST, "refused");
    CHECK_STR_EQ(err.field, "file", "%s", err.msg);
    CHECK_INT_EQ(rep.problems_total, 4, "four bad lines");
    if (rep.nproblems == 4) {
        CHECK(rep.problems[0].line == 3 && strcmp(rep.problems[0].field, "address") == 0 &&
                  strcmp(rep.problems[0].reason, ADDR_WHY_NOT_FOUND) == 0,
              "unknown road: %lld %s %s", (long long)rep.problems[0].line, rep.problems[0].field,
              rep.problems[0].reason);
        CHECK(rep.problems[1].line == 4 && strcmp(rep.problems[1].field, "lat") == 0, "lat");
        CHECK(rep.problems[2].line == 5 && strcmp(rep.problems[2].field, "type") == 0 &&
                  strcmp(rep.problems[2].reason, ADDR_WHY_CHOICE) == 0,
              "type: %s", rep.problems[2].reason);
        CHECK(rep.problems[3].line == 6 && strcmp(rep.problems[3].reason, "unreadable") == 0,
              "room number");
    }
    CHECK_INT_EQ(count(&f, "addr_points"), 1, "nothing half-imported");

    const char *good = "address,lat,lon,name,type\n"
                       "锦绣路90号,30.2,120.16,,\n"
                       "锦绣路88号,30.2,120.15,锦绣超市,supermarket\n";
    CHECK_INT_EQ(import(&f, APP_ADDR_CSV, good, &rep, &err), 0, "%s", err.msg);
    CHECK(rep.written[ADDR_POINT] == 1 && rep.written[ADDR_PLACE] == 1, "csv rows written");
    CHECK_INT_EQ(count(&f, "addr_points"), 2, "the new point");
    struct addr_filter q = {.q = "锦绣超市"};
    struct addr_place *pl;
    size_t n;
    CHECK_INT_EQ(addr_place_list(f.c, &q, &f.a, &pl, &n, NULL, &err), 0, "%s", err.msg);
    CHECK(n == 1 && strcmp(pl[0].point_code, "P1") == 0, "the place took the point of its address");

    /* A place whose name a spreadsheet would take for a formula is exported behind a quote
     * mark and read back without it. */
    struct addr_place_in eq = {"S-EQ", "=1+1商店", "other", 0, NULL, 30.2, 120.15};
    CHECK_INT_EQ(store_begin(f.c, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(addr_place_put(f.c, f.grids, &eq, NOW, NULL, &err), 0, "%s", err.msg);
    CHECK_INT_EQ(store_commit(f.c, &err), 0, "%s", err.msg);
    /* An export read back in writes the same rows again (upserts by code). */
    for (int fmt = APP_ADDR_GEOJSON; fmt <= APP_ADDR_CSV; fmt++) {
        struct buf b;
        buf_init(&b);
        CHECK_INT_EQ(app_addr_export(f.c, fmt, &f.a, &b, &err), 0, "%s", err.msg);
        buf_putc(&b, '\0');
        CHECK_INT_EQ(import(&f, fmt, b.p, &rep, &err), 0, "%s: %s", app_addr_format_name(fmt),
                     err.msg);
        CHECK(rep.written[ADDR_POINT] == 2 && rep.written[ADDR_PLACE] == 3, "%s round trip",
              app_addr_format_name(fmt));
        if (fmt == APP_ADDR_CSV)
            CHECK(strstr(b.p, ",\"'=1+1商店\",") != NULL, "the formula guard");
        buf_release(&b);
    }
    struct addr_filter byname = {.q = "S-EQ"};
    CHECK_INT_EQ(addr_place_list(f.c, &byname, &f.a, &pl, &n, NULL, &err), 0, "%s", err.msg);
    CHECK(n == 1 && strcmp(pl[0].name, "=1+1商店") == 0, "the name read back without the mark");
    CHECK(count(&f, "addr_points") == 2 && count(&f, "addr_places") == 3 &&
              count(&f, "addr_roads") == 1,
          "no row doubled");

    CHECK_INT_EQ(import(&f, APP_ADDR_GEOJSON, "{\"type\":\"Feature\"}", &rep, &err),
                 ERR_BAD_REQUEST, "not a collection");
    CHECK(rep.nproblems == 1 && rep.problems[0].line == 0, "the whole file");
    fx_close(&f);
}
