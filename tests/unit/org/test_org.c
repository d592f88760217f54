/*
 * Tests for src/org: validation tables (each bad row names the field it must be rejected
 * for), the region tree and its subtree test, delete conflicts, departments, categories
 * with SLA inheritance, and the stored calendar round trip into struct cal.
 * Every test runs on a fresh SQLite file in the test's scratch directory.
 */
#include <stdio.h>
#include <string.h>

#include "cal/cal.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "org/org.h"
#include "store/store.h"
#include "test.h"

#define NOW 1780000000
#define SQUARE                                                                                     \
    "{\"type\":\"Polygon\",\"coordinates\":[[[120.0,30.0],[120.1,30.0],[120.1,30.1],"              \
    "[120.0,30.1],[120.0,30.0]]]}"

struct fx {
    struct store *st;
    struct store_conn *c;
    struct arena a;
};

static int fx_open(struct fx *f, const char *name)
{
    struct store_options opt = {0};
    struct err err = ERR_INIT;
    char path[512];

    memset(f, 0, sizeof(*f));
    log_set_level(LOG_WARN); /* one "applied migration" line per test is noise */
    snprintf(path, sizeof(path), "%s/%s.db", test_tmpdir(), name);
    opt.path = path;
    arena_init(&f->a, 0);
    if (store_open(&f->st, &opt, &err) < 0 || store_conn(f->st, &f->c, &err) < 0) {
        test_fail(__FILE__, __LINE__, "cannot open store %s: %s", path, err.msg);
        return -1;
    }
    return 0;
}

static void fx_close(struct fx *f)
{
    arena_release(&f->a);
    store_close(f->st);
}

static int64_t count_rows(struct fx *f, const char *sql)
{
    struct err err = ERR_INIT;
    int64_t n = -1;
    if (store_one_i64(f->c, sql, STORE_NO_ARGS, &n, &err) != 1)
        test_fail(__FILE__, __LINE__, "%s: %s", sql, err.msg);
    return n;
}

static int64_t mk_region(struct fx *f, const char *code, const char *name,
                         enum org_region_level level, int64_t parent)
{
    struct org_region_in in = {code, name, level, parent, NULL};
    struct err err = ERR_INIT;
    int64_t id = 0;
    int rc = org_region_create(f->c, &in, NOW, &id, &err);
    CHECK_INT_EQ(rc, 0, "create region %s: %s (%s)", code, err.msg, err.field);
    return id;
}

static int64_t mk_dept(struct fx *f, const char *code, int64_t parent)
{
    struct org_department_in in = {code, code, parent, "0571-12345", 1};
    struct err err = ERR_INIT;
    int64_t id = 0;
    int rc = org_department_create(f->c, &in, NOW, &id, &err);
    CHECK_INT_EQ(rc, 0, "create department %s: %s (%s)", code, err.msg, err.field);
    return id;
}

static int64_t mk_cat(struct fx *f, const char *code, int64_t parent, int64_t dept, int sign,
                      int reply, int resolve, enum cal_unit unit)
{
    struct org_category_in in = {0};
    struct err err = ERR_INIT;
    int64_t id = 0;
    in.code = code;
    in.name = code;
    in.level = (int)strlen(code) / 2;
    in.parent_id = parent;
    in.department_id = dept;
    in.sla = (struct org_sla){sign, reply, resolve, unit};
    in.active = 1;
    int rc = org_category_create(f->c, &in, NOW, &id, &err);
    CHECK_INT_EQ(rc, 0, "create category %s: %s (%s)", code, err.msg, err.field);
    return id;
}

/* ------------------------------------------------------------------ regions */

TEST(org_region_code_rules)
{
    static const struct {
        const char *code;
        enum org_region_level level;
        const char *parent;
        int want;
        const char *field;
    } rows[] = {
        {"330199", ORG_REGION_DISTRICT, NULL, 0, ""},
        {"33019", ORG_REGION_DISTRICT, NULL, ERR_BAD_REQUEST, "code"},
        {"3301990", ORG_REGION_DISTRICT, NULL, ERR_BAD_REQUEST, "code"},
        {"33019a", ORG_REGION_DISTRICT, NULL, ERR_BAD_REQUEST, "code"},
        {"", ORG_REGION_DISTRICT, NULL, ERR_BAD_REQUEST, "code"},
        {NULL, ORG_REGION_DISTRICT, NULL, ERR_BAD_REQUEST, "code"},
        {"330199001", ORG_REGION_STREET, "330199", 0, ""},
        {"330199001", ORG_REGION_STREET, "330198", ERR_BAD_REQUEST, "code"},
        {"33019900", ORG_REGION_STREET, "330199", ERR_BAD_REQUEST, "code"},
        {"330199001001", ORG_REGION_COMMUNITY, "330199001", 0, ""},
        {"330199002001", ORG_REGION_COMMUNITY, "330199001", ERR_BAD_REQUEST, "code"},
        {"330199001001-03", ORG_REGION_GRID, "330199001001", 0, ""},
        {"330199001001003", ORG_REGION_GRID, "330199001001", 0, ""},
        {"330199001001_a", ORG_REGION_GRID, "330199001001", 0, ""},
        {"330199001001", ORG_REGION_GRID, "330199001001", ERR_BAD_REQUEST, "code"},
        {"330199001001 03", ORG_REGION_GRID, "330199001001", ERR_BAD_REQUEST, "code"},
        {"330199001002-03", ORG_REGION_GRID, "330199001001", ERR_BAD_REQUEST, "code"},
        {"33019900100a-03", ORG_REGION_GRID, NULL, ERR_BAD_REQUEST, "code"},
        {"330199001001-01234567890123456789", ORG_REGION_GRID, NULL, ERR_BAD_REQUEST, "code"},
        {"330199001001-0123456789012345678", ORG_REGION_GRID, NULL, 0, ""}, /* 32 */
        {"330199001001-03.A1", ORG_REGION_MICRO, "330199001001-03", 0, ""},
        {"330199001001-03.1-2_b", ORG_REGION_MICRO, "330199001001-03", 0, ""},
        {"330199001001-03.A1", ORG_REGION_MICRO, "330199001001-0", ERR_BAD_REQUEST, "code"},
        {"330199001001-031.A1", ORG_REGION_MICRO, "330199001001-03", ERR_BAD_REQUEST, "code"},
        {"330199001001-03.", ORG_REGION_MICRO, NULL, ERR_BAD_REQUEST, "code"},
        {"330199001001-03", ORG_REGION_MICRO, NULL, ERR_BAD_REQUEST, "code"},
        {"330199001001.A", ORG_REGION_MICRO, NULL, ERR_BAD_REQUEST, "code"}, /* no grid part */
        {"330199001001-03.A.B", ORG_REGION_MICRO, NULL, ERR_BAD_REQUEST, "code"},
        {"330199001001-03.A B", ORG_REGION_MICRO, NULL, ERR_BAD_REQUEST, "code"},
        {"330199001001-0123456789.01234567", ORG_REGION_MICRO, NULL, 0, ""}, /* 32 */
        {"330199001001-0123456789.012345678", ORG_REGION_MICRO, NULL, ERR_BAD_REQUEST, "code"},
        {"330199001001-03.A", ORG_REGION_GRID, NULL, ERR_BAD_REQUEST, "code"},
        {"330199", 0, NULL, ERR_BAD_REQUEST, "level"},
        {"330199", 6, NULL, ERR_BAD_REQUEST, "level"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct err err = ERR_INIT;
        int rc = org_region_check_code(rows[i].code, rows[i].level, rows[i].parent, &err);
        CHECK_INT_EQ(rc, rows[i].want, "row %zu: '%s' level %d: %s", i,
                     rows[i].code ? rows[i].code : "(null)", (int)rows[i].level, err.msg);
        CHECK_STR_EQ(err.field, rows[i].field, "row %zu: '%s'", i,
                     rows[i].code ? rows[i].code : "(null)");
    }
}

TEST(org_region_level_names)
{
    for (int l = ORG_REGION_DISTRICT; l <= ORG_REGION_GRID; l++)
        CHECK_INT_EQ(org_region_level_from_name(org_region_level_name(l)), l, "level %d", l);
    CHECK_INT_EQ(org_region_level_from_name("city"), 0, "unknown name");
    CHECK_STR_EQ(org_region_level_name(7), "", "unknown level");
    CHECK_INT_EQ(org_region_depth(ORG_REGION_GRID), 3, "grid depth for geo");
}

TEST(org_region_create_validation)
{
    struct fx f;
    if (fx_open(&f, "region_validation") < 0)
        return;
    int64_t d = mk_region(&f, "330199", "云溪区", ORG_REGION_DISTRICT, 0);
    int64_t s = mk_region(&f, "330199001", "青石街道", ORG_REGION_STREET, d);
    int64_t cm = mk_region(&f, "330199001001", "梅园社区", ORG_REGION_COMMUNITY, s);
    char long_name[3 * (ORG_NAME_MAX + 1) + 1] = "";
    for (int i = 0; i <= ORG_NAME_MAX; i++)
        strcat(long_name, "区");

    const struct {
        struct org_region_in in;
        int want;
        const char *field;
    } rows[] = {
        {{"330198", "", ORG_REGION_DISTRICT, 0, NULL}, ERR_BAD_REQUEST, "name"},
        {{"330198", "   ", ORG_REGION_DISTRICT, 0, NULL}, ERR_BAD_REQUEST, "name"},
        {{"330198", NULL, ORG_REGION_DISTRICT, 0, NULL}, ERR_BAD_REQUEST, "name"},
        {{"330198", long_name, ORG_REGION_DISTRICT, 0, NULL}, ERR_BAD_REQUEST, "name"},
        {{"330198", "a\nb", ORG_REGION_DISTRICT, 0, NULL}, ERR_BAD_REQUEST, "name"},
        {{"330198", "bad \xff utf8", ORG_REGION_DISTRICT, 0, NULL}, ERR_BAD_REQUEST, "name"},
        {{"330198", "x", 0, 0, NULL}, ERR_BAD_REQUEST, "level"},
        {{"3301", "x", ORG_REGION_DISTRICT, 0, NULL}, ERR_BAD_REQUEST, "code"},
        {{"330198", "x", ORG_REGION_DISTRICT, d, NULL}, ERR_BAD_REQUEST, "parent_id"},
        {{"330199002", "x", ORG_REGION_STREET, 0, NULL}, ERR_BAD_REQUEST, "parent_id"},
        {{"330199002", "x", ORG_REGION_STREET, 99999, NULL}, ERR_BAD_REQUEST, "parent_id"},
        {{"330199002", "x", ORG_REGION_STREET, s, NULL}, ERR_BAD_REQUEST, "level"},
        {{"330198002", "x", ORG_REGION_STREET, d, NULL}, ERR_BAD_REQUEST, "code"},
        {{"330199001002", "x", ORG_REGION_COMMUNITY, d, NULL}, ERR_BAD_REQUEST, "level"},
        {{"330199002002", "x", ORG_REGION_COMMUNITY, s, NULL}, ERR_BAD_REQUEST, "code"},
        {{"330199001001", "x", ORG_REGION_GRID, cm, NULL}, ERR_BAD_REQUEST, "code"},
        {{"330199001001-01", "x", ORG_REGION_GRID, s, NULL}, ERR_BAD_REQUEST, "level"},
        {{"330199001001-01", "x", ORG_REGION_GRID, cm, "not json"}, ERR_BAD_REQUEST, "boundary"},
        {{"330199001001-01", "x", ORG_REGION_GRID, cm,
          "{\"type\":\"Point\",\"coordinates\":[1,2]}"},
         ERR_BAD_REQUEST,
         "boundary"},
        {{"330199001", "dup", ORG_REGION_STREET, d, NULL}, ERR_CONFLICT, "code"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct err err = ERR_INIT;
        int64_t id = 0;
        int rc = org_region_create(f.c, &rows[i].in, NOW, &id, &err);
        CHECK_INT_EQ(rc, rows[i].want, "row %zu: code %s: %s", i, rows[i].in.code, err.msg);
        CHECK_STR_EQ(err.field, rows[i].field, "row %zu: code %s: %s", i, rows[i].in.code, err.msg);
    }
    CHECK_INT_EQ(count_rows(&f, "SELECT count(*) FROM regions"), 3, "rejected rows left nothing");
    fx_close(&f);
}

TEST(org_region_tree)
{
    struct fx f;
    struct err err = ERR_INIT;
    struct org_region r, *list, *path;
    size_t n;
    const char *name;

    if (fx_open(&f, "region_tree") < 0)
        return;
    int64_t d = mk_region(&f, "330199", "云溪区", ORG_REGION_DISTRICT, 0);
    int64_t s1 = mk_region(&f, "330199001", "青石街道", ORG_REGION_STREET, d);
    int64_t s2 = mk_region(&f, "330199002", "柳岸街道", ORG_REGION_STREET, d);
    int64_t c1 = mk_region(&f, "330199001001", "梅园社区", ORG_REGION_COMMUNITY, s1);
    mk_region(&f, "330199002001", "桥头社区", ORG_REGION_COMMUNITY, s2);
    struct org_region_in gin = {"330199001001-01", "一网格", ORG_REGION_GRID, c1, SQUARE};
    int64_t g1 = 0;
    CHECK_INT_EQ(org_region_create(f.c, &gin, NOW, &g1, &err), 0, "grid with boundary: %s",
                 err.msg);

    CHECK_INT_EQ(org_region_get(f.c, g1, &f.a, &r, &err), 0, "get grid: %s", err.msg);
    CHECK_STR_EQ(r.code, "330199001001-01", "grid code");
    CHECK_INT_EQ(r.level, ORG_REGION_GRID, "grid level");
    CHECK_INT_EQ(r.parent_id, c1, "grid parent");
    CHECK_STR_EQ(r.boundary, SQUARE, "boundary kept verbatim");
    CHECK_INT_EQ(r.created_at, NOW, "created_at");
    CHECK_INT_EQ(org_region_get_by_code(f.c, "330199002", &f.a, &r, &err), 0, "by code");
    CHECK_INT_EQ(r.id, s2, "by code id");
    CHECK(r.boundary == NULL, "no boundary");
    CHECK_INT_EQ(r.parent_id, d, "street parent");
    CHECK_INT_EQ(org_region_get(f.c, 4242, &f.a, &r, &err), ERR_NOT_FOUND, "missing id");
    CHECK_INT_EQ(org_region_get_by_code(f.c, "999999", &f.a, &r, &err), ERR_NOT_FOUND, "missing");

    CHECK_INT_EQ(org_region_list(f.c, NULL, &f.a, &list, &n, &err), 0, "list all");
    CHECK_INT_EQ(n, 6, "all regions");
    CHECK_STR_EQ(list[0].code, "330199", "ordered by code");
    CHECK_STR_EQ(list[5].code, "330199002001", "ordered by code, last");
    CHECK(list[3].boundary == NULL, "boundaries left out of plain lists");
    struct org_region_filter fl = {.parent_id = d};
    CHECK_INT_EQ(org_region_list(f.c, &fl, &f.a, &list, &n, &err), 0, "by parent");
    CHECK_INT_EQ(n, 2, "streets of the district");
    fl = (struct org_region_filter){.level = ORG_REGION_COMMUNITY};
    CHECK_INT_EQ(org_region_list(f.c, &fl, &f.a, &list, &n, &err), 0, "by level");
    CHECK_INT_EQ(n, 2, "communities");
    fl = (struct org_region_filter){.within_id = s1, .with_boundary = 1};
    CHECK_INT_EQ(org_region_list(f.c, &fl, &f.a, &list, &n, &err), 0, "within");
    CHECK_INT_EQ(n, 3, "street 1 subtree: itself, community, grid");
    CHECK(n == 3 && list[2].boundary && strcmp(list[2].boundary, SQUARE) == 0,
          "boundary when asked");
    fl = (struct org_region_filter){.within_id = g1};
    CHECK_INT_EQ(org_region_list(f.c, &fl, &f.a, &list, &n, &err), 0, "within grid");
    CHECK_INT_EQ(n, 1, "a grid's subtree is itself");
    fl = (struct org_region_filter){.within_id = s2, .level = ORG_REGION_GRID};
    CHECK_INT_EQ(org_region_list(f.c, &fl, &f.a, &list, &n, &err), 0, "empty list");
    CHECK_INT_EQ(n, 0, "no grids in street 2");
    CHECK(list == NULL, "empty list is NULL");

    CHECK_INT_EQ(org_region_path(f.c, g1, &f.a, &path, &n, &err), 0, "path: %s", err.msg);
    CHECK_INT_EQ(n, 4, "path length");
    CHECK(n == 4 && path[0].id == d && path[1].id == s1 && path[2].id == c1 && path[3].id == g1,
          "path from district to grid");
    CHECK_INT_EQ(org_region_path_name(f.c, g1, "/", &f.a, &name, &err), 0, "path name");
    CHECK_STR_EQ(name, "云溪区/青石街道/梅园社区/一网格", "joined path");
    CHECK_INT_EQ(org_region_path_name(f.c, d, " > ", &f.a, &name, &err), 0, "district path");
    CHECK_STR_EQ(name, "云溪区", "district path name");

    struct org_region_in up = {NULL, "梅园社区（新）", 0, 0, SQUARE};
    CHECK_INT_EQ(org_region_update(f.c, c1, &up, NOW + 60, &err), 0, "update: %s", err.msg);
    CHECK_INT_EQ(org_region_get(f.c, c1, &f.a, &r, &err), 0, "get updated");
    CHECK_STR_EQ(r.name, "梅园社区（新）", "new name");
    CHECK_STR_EQ(r.boundary, SQUARE, "new boundary");
    CHECK_INT_EQ(r.updated_at, NOW + 60, "updated_at");
    CHECK_INT_EQ(r.created_at, NOW, "created_at unchanged");
    up = (struct org_region_in){"330199001001", "梅园社区", ORG_REGION_COMMUNITY, s1, ""};
    CHECK_INT_EQ(org_region_update(f.c, c1, &up, NOW + 61, &err), 0, "same immutables: %s",
                 err.msg);
    CHECK_INT_EQ(org_region_get(f.c, c1, &f.a, &r, &err), 0, "get again");
    CHECK(r.boundary == NULL, "empty boundary clears it");

    const struct {
        struct org_region_in in;
        int64_t id;
        int want;
        const char *field;
    } bad[] = {
        {{"330199001009", "x", 0, 0, NULL}, c1, ERR_BAD_REQUEST, "code"},
        {{NULL, "x", ORG_REGION_STREET, 0, NULL}, c1, ERR_BAD_REQUEST, "level"},
        {{NULL, "x", 0, s2, NULL}, c1, ERR_BAD_REQUEST, "parent_id"},
        {{NULL, "", 0, 0, NULL}, c1, ERR_BAD_REQUEST, "name"},
        {{NULL, "x", 0, 0, "[]"}, c1, ERR_BAD_REQUEST, "boundary"},
        {{NULL, "x", 0, 0, NULL}, 4242, ERR_NOT_FOUND, ""},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct err e = ERR_INIT;
        int rc = org_region_update(f.c, bad[i].id, &bad[i].in, NOW + 99, &e);
        CHECK_INT_EQ(rc, bad[i].want, "update row %zu: %s", i, e.msg);
        CHECK_STR_EQ(e.field, bad[i].field, "update row %zu: %s", i, e.msg);
    }
    CHECK_INT_EQ(org_region_get(f.c, c1, &f.a, &r, &err), 0, "get after bad updates");
    CHECK_STR_EQ(r.name, "梅园社区", "bad updates changed nothing");
    fx_close(&f);
}

TEST(org_region_subtree_codes)
{
    static const struct {
        const char *code;
        const char *ancestor;
        int want;
    } rows[] = {
        {"330199", "330199", 1},
        {"330199001", "330199", 1},
        {"330199001001", "330199", 1},
        {"330199001001-03", "330199", 1},
        {"330199001001-03", "330199001", 1},
        {"330199001001-03", "330199001001", 1},
        {"330199001001-03", "330199001001-03", 1},
        {"330199001001-031", "330199001001-03", 0}, /* sibling grid, not a child */
        {"330199001001", "330199001001-03", 0},
        {"330199", "330199001", 0},
        {"330199002001", "330199001", 0},
        {"330198001", "330199", 0},
        {"3301990010", "330199001001", 0},
        {"330199001001-03.A", "330199001001-03", 1}, /* a grid's micro-grid */
        {"330199001001-03.A", "330199001001", 1},
        {"330199001001-03.A", "330199", 1},
        {"330199001001-031.A", "330199001001-03", 0}, /* a sibling grid's micro-grid */
        {"330199001001-03.A", "330199001001-03.A", 1},
        {"330199001001-03.AB", "330199001001-03.A", 0}, /* micro-grids are leaves */
        {"330199001001-03.A.B", "330199001001-03.A", 0},
        {"330199001001-03", "330199001001-03.A", 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
        CHECK_INT_EQ(org_region_code_in_subtree(rows[i].code, rows[i].ancestor), rows[i].want,
                     "row %zu: %s under %s", i, rows[i].code, rows[i].ancestor);
}

TEST(org_region_subtree_ids)
{
    struct fx f;
    struct err err = ERR_INIT;
    if (fx_open(&f, "region_subtree") < 0)
        return;
    int64_t d = mk_region(&f, "330199", "区", ORG_REGION_DISTRICT, 0);
    int64_t s1 = mk_region(&f, "330199001", "街1", ORG_REGION_STREET, d);
    int64_t s2 = mk_region(&f, "330199002", "街2", ORG_REGION_STREET, d);
    int64_t c1 = mk_region(&f, "330199001001", "社1", ORG_REGION_COMMUNITY, s1);
    int64_t g3 = mk_region(&f, "330199001001-03", "格3", ORG_REGION_GRID, c1);
    int64_t g31 = mk_region(&f, "330199001001-031", "格31", ORG_REGION_GRID, c1);

    CHECK_INT_EQ(org_region_in_subtree(f.c, g3, d, &err), 1, "grid in district");
    CHECK_INT_EQ(org_region_in_subtree(f.c, g3, s1, &err), 1, "grid in street");
    CHECK_INT_EQ(org_region_in_subtree(f.c, g3, s2, &err), 0, "grid not in other street");
    CHECK_INT_EQ(org_region_in_subtree(f.c, g31, g3, &err), 0, "prefix-sharing grids");
    CHECK_INT_EQ(org_region_in_subtree(f.c, c1, c1, &err), 1, "itself");
    CHECK_INT_EQ(org_region_in_subtree(f.c, d, c1, &err), 0, "ancestor is not inside");
    CHECK_INT_EQ(org_region_in_subtree(f.c, 4242, d, &err), ERR_NOT_FOUND, "missing region");
    fx_close(&f);
}

TEST(org_region_delete_conflicts)
{
    struct fx f;
    struct err err = ERR_INIT;
    struct org_region r;
    if (fx_open(&f, "region_delete") < 0)
        return;
    int64_t d = mk_region(&f, "330199", "区", ORG_REGION_DISTRICT, 0);
    int64_t s = mk_region(&f, "330199001", "街", ORG_REGION_STREET, d);
    int64_t c = mk_region(&f, "330199001001", "社", ORG_REGION_COMMUNITY, s);
    int64_t c2 = mk_region(&f, "330199001002", "社2", ORG_REGION_COMMUNITY, s);
    int64_t dept = mk_dept(&f, "JD", 0);

    CHECK_INT_EQ(org_region_delete(f.c, s, &err), ERR_CONFLICT, "has children");
    CHECK(strstr(err.msg, "child") != NULL, "message says why: %s", err.msg);

    CHECK_INT_EQ(org_department_set_regions(f.c, dept, &c, 1, NOW, &err), 0, "serve c: %s",
                 err.msg);
    CHECK_INT_EQ(org_region_delete(f.c, c, &err), ERR_CONFLICT, "served by a department");
    CHECK(strstr(err.msg, "department") != NULL, "message: %s", err.msg);

    CHECK(store_run(f.c,
                    "INSERT INTO users (name, password_hash, roles, region_id, created_at,"
                    " updated_at) VALUES ('wang', 'x', 'grid_worker', ?, 0, 0)",
                    STORE_ARGS(store_i64(c2)), &err) == 1,
          "insert user: %s", err.msg);
    CHECK_INT_EQ(org_region_delete(f.c, c2, &err), ERR_CONFLICT, "scope of a user");
    CHECK(strstr(err.msg, "user") != NULL, "message: %s", err.msg);

    CHECK_INT_EQ(org_department_set_regions(f.c, dept, NULL, 0, NOW, &err), 0, "unserve");
    CHECK_INT_EQ(org_region_delete(f.c, c, &err), 0, "leaf delete: %s", err.msg);
    CHECK_INT_EQ(org_region_get(f.c, c, &f.a, &r, &err), ERR_NOT_FOUND, "gone");
    CHECK_INT_EQ(org_region_delete(f.c, c, &err), ERR_NOT_FOUND, "delete twice");
    CHECK_INT_EQ(count_rows(&f, "SELECT count(*) FROM regions"), 3, "others remain");
    fx_close(&f);
}

/* ------------------------------------------------------------------ departments */

TEST(org_department_validation)
{
    struct fx f;
    if (fx_open(&f, "dept_validation") < 0)
        return;
    int64_t top = mk_dept(&f, "CGJ", 0);
    char long_code[ORG_CODE_MAX + 2];
    memset(long_code, 'A', sizeof(long_code) - 1);
    long_code[sizeof(long_code) - 1] = '\0';

    const struct {
        struct org_department_in in;
        int want;
        const char *field;
    } rows[] = {
        {{"", "名", 0, NULL, 1}, ERR_BAD_REQUEST, "code"},
        {{NULL, "名", 0, NULL, 1}, ERR_BAD_REQUEST, "code"},
        {{"cgj2", "名", 0, NULL, 1}, ERR_BAD_REQUEST, "code"},
        {{"CG J", "名", 0, NULL, 1}, ERR_BAD_REQUEST, "code"},
        {{long_code, "名", 0, NULL, 1}, ERR_BAD_REQUEST, "code"},
        {{"ZJJ", "", 0, NULL, 1}, ERR_BAD_REQUEST, "name"},
        {{"ZJJ", "名", 0, "call me", 1}, ERR_BAD_REQUEST, "phone"},
        {{"ZJJ", "名", 0, "0571-1234567890123456789012345678", 1}, ERR_BAD_REQUEST, "phone"},
        {{"ZJJ", "名", -1, NULL, 1}, ERR_BAD_REQUEST, "parent_id"},
        {{"ZJJ", "名", 4242, NULL, 1}, ERR_BAD_REQUEST, "parent_id"},
        {{"ZJJ", "名", 0, NULL, 2}, ERR_BAD_REQUEST, "active"},
        {{"CGJ", "名", 0, NULL, 1}, ERR_CONFLICT, "code"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct err err = ERR_INIT;
        int64_t id = 0;
        int rc = org_department_create(f.c, &rows[i].in, NOW, &id, &err);
        CHECK_INT_EQ(rc, rows[i].want, "row %zu: %s: %s", i, rows[i].in.code, err.msg);
        CHECK_STR_EQ(err.field, rows[i].field, "row %zu: %s: %s", i, rows[i].in.code, err.msg);
    }
    CHECK_INT_EQ(count_rows(&f, "SELECT count(*) FROM departments"), 1, "only CGJ");
    (void)top;
    fx_close(&f);
}

TEST(org_department_tree_and_regions)
{
    struct fx f;
    struct err err = ERR_INIT;
    struct org_department dep, *list;
    int64_t *ids;
    size_t n;

    if (fx_open(&f, "dept_tree") < 0)
        return;
    int64_t d = mk_region(&f, "330199", "区", ORG_REGION_DISTRICT, 0);
    int64_t s1 = mk_region(&f, "330199001", "街1", ORG_REGION_STREET, d);
    int64_t s2 = mk_region(&f, "330199002", "街2", ORG_REGION_STREET, d);
    int64_t c1 = mk_region(&f, "330199001001", "社1", ORG_REGION_COMMUNITY, s1);
    int64_t g1 = mk_region(&f, "330199001001-01", "格1", ORG_REGION_GRID, c1);
    int64_t top = mk_dept(&f, "CGJ", 0);
    int64_t mid = mk_dept(&f, "CGJ-ZFD", top);
    int64_t leaf = mk_dept(&f, "CGJ-ZFD-1", mid);
    int64_t jd = mk_dept(&f, "JD1", 0);

    CHECK_INT_EQ(org_department_get(f.c, mid, &f.a, &dep, &err), 0, "get: %s", err.msg);
    CHECK_STR_EQ(dep.code, "CGJ-ZFD", "code");
    CHECK_STR_EQ(dep.phone, "0571-12345", "phone");
    CHECK_INT_EQ(dep.parent_id, top, "parent");
    CHECK_INT_EQ(dep.active, 1, "active");
    CHECK_INT_EQ(dep.nregion_ids, 0, "no regions yet");
    CHECK_INT_EQ(org_department_get_by_code(f.c, "JD1", &f.a, &dep, &err), 0, "by code");
    CHECK_INT_EQ(dep.id, jd, "by code id");
    CHECK_INT_EQ(org_department_get_by_code(f.c, "NOPE", &f.a, &dep, &err), ERR_NOT_FOUND,
                 "missing code");

    /* Cycles: moving a department under itself or under its descendant. */
    struct org_department_in in = {"CGJ", "城管局", leaf, "", 1};
    CHECK_INT_EQ(org_department_update(f.c, top, &in, NOW, &err), ERR_BAD_REQUEST, "cycle");
    CHECK_STR_EQ(err.field, "parent_id", "cycle field");
    in.parent_id = top;
    CHECK_INT_EQ(org_department_update(f.c, top, &in, NOW, &err), ERR_BAD_REQUEST, "self");
    CHECK_STR_EQ(err.field, "parent_id", "self field");
    in = (struct org_department_in){"JD1", "街道办", 0, "", 1};
    CHECK_INT_EQ(org_department_update(f.c, mid, &in, NOW, &err), ERR_CONFLICT, "code taken");
    CHECK_STR_EQ(err.field, "code", "taken field");
    in = (struct org_department_in){"CGJ-ZFD2", "执法队", jd, "12345", 1};
    CHECK_INT_EQ(org_department_update(f.c, mid, &in, NOW + 5, &err), 0, "move: %s", err.msg);
    CHECK_INT_EQ(org_department_get(f.c, mid, &f.a, &dep, &err), 0, "get moved");
    CHECK_STR_EQ(dep.code, "CGJ-ZFD2", "renamed code");
    CHECK_INT_EQ(dep.parent_id, jd, "new parent");
    CHECK_INT_EQ(dep.updated_at, NOW + 5, "updated_at");

    /* Regions served: replace-all, duplicates ignored, unknown ids rejected before writing. */
    int64_t want[] = {s1, s2, s1};
    CHECK_INT_EQ(org_department_set_regions(f.c, jd, want, 3, NOW, &err), 0, "set: %s", err.msg);
    CHECK_INT_EQ(org_department_regions(f.c, jd, &f.a, &ids, &n, &err), 0, "regions");
    CHECK(n == 2 && ids[0] == (s1 < s2 ? s1 : s2), "two regions, ascending");
    int64_t bad[] = {c1, 4242};
    CHECK_INT_EQ(org_department_set_regions(f.c, jd, bad, 2, NOW, &err), ERR_BAD_REQUEST,
                 "unknown region");
    CHECK_STR_EQ(err.field, "region_ids", "field");
    CHECK_INT_EQ(org_department_regions(f.c, jd, &f.a, &ids, &n, &err), 0, "regions again");
    CHECK_INT_EQ(n, 2, "failed set changed nothing");
    CHECK_INT_EQ(org_department_set_regions(f.c, jd, &s1, 1, NOW, &err), 0, "narrow to s1");
    CHECK_INT_EQ(org_department_get(f.c, jd, &f.a, &dep, &err), 0, "get with regions");
    CHECK(dep.nregion_ids == 1 && dep.region_ids[0] == s1, "get carries region ids");
    CHECK_INT_EQ(org_department_regions(f.c, 4242, &f.a, &ids, &n, &err), ERR_NOT_FOUND,
                 "regions of a missing department");

    CHECK_INT_EQ(org_department_serves_region(f.c, jd, g1, &err), 1, "serves grid under s1");
    CHECK_INT_EQ(org_department_serves_region(f.c, jd, s1, &err), 1, "serves s1 itself");
    CHECK_INT_EQ(org_department_serves_region(f.c, jd, s2, &err), 0, "not s2");
    CHECK_INT_EQ(org_department_serves_region(f.c, jd, d, &err), 0, "not the district above");
    CHECK_INT_EQ(org_department_set_regions(f.c, top, &d, 1, NOW, &err), 0, "top serves all");

    struct org_department_filter fl = {.serves_region_id = g1};
    CHECK_INT_EQ(org_department_list(f.c, &fl, &f.a, &list, &n, &err), 0, "serving g1");
    CHECK(n == 2 && strcmp(list[0].code, "CGJ") == 0 && strcmp(list[1].code, "JD1") == 0,
          "CGJ (district) and JD1 (street) serve the grid, n=%zu", n);
    fl = (struct org_department_filter){.serves_region_id = s2};
    CHECK_INT_EQ(org_department_list(f.c, &fl, &f.a, &list, &n, &err), 0, "serving s2");
    CHECK_INT_EQ(n, 1, "only the district-wide department");
    fl = (struct org_department_filter){.parent_id = jd};
    CHECK_INT_EQ(org_department_list(f.c, &fl, &f.a, &list, &n, &err), 0, "children");
    CHECK(n == 1 && list[0].id == mid, "JD1's child");

    CHECK_INT_EQ(org_department_list(f.c, NULL, &f.a, &list, &n, &err), 0, "all");
    CHECK_INT_EQ(n, 4, "four departments");
    CHECK(list[0].region_ids == NULL, "lists do not carry region ids");
    fx_close(&f);
}

TEST(org_department_delete_rules)
{
    struct fx f;
    struct err err = ERR_INIT;
    struct org_department dep, *list;
    size_t n;

    if (fx_open(&f, "dept_delete") < 0)
        return;
    int64_t top = mk_dept(&f, "CGJ", 0);
    int64_t child = mk_dept(&f, "CGJ-1", top);
    int64_t other = mk_dept(&f, "HBJ", 0);
    int64_t cat = mk_cat(&f, "01", 0, other, 1, 8, 40, CAL_WORK_HOURS);

    CHECK_INT_EQ(org_department_delete(f.c, top, NOW, &err), ERR_CONFLICT, "active child");
    CHECK(strstr(err.msg, "child") != NULL, "message: %s", err.msg);
    CHECK_INT_EQ(org_department_delete(f.c, other, NOW, &err), ERR_CONFLICT, "default dept");
    CHECK(strstr(err.msg, "categor") != NULL, "message: %s", err.msg);
    struct org_department_in in = {"HBJ", "环保局", 0, "", 0};
    CHECK_INT_EQ(org_department_update(f.c, other, &in, NOW, &err), ERR_CONFLICT,
                 "deactivating by update obeys the same rule");

    CHECK_INT_EQ(org_department_delete(f.c, child, NOW + 1, &err), 0, "leaf: %s", err.msg);
    CHECK_INT_EQ(org_department_delete(f.c, child, NOW + 2, &err), 0, "again is fine");
    CHECK_INT_EQ(org_department_get(f.c, child, &f.a, &dep, &err), 0, "still there");
    CHECK_INT_EQ(dep.active, 0, "inactive");
    CHECK_INT_EQ(dep.updated_at, NOW + 1, "second delete did not touch it");
    CHECK_INT_EQ(org_department_delete(f.c, top, NOW, &err), 0, "top now: %s", err.msg);
    struct org_department_filter fl = {.active = ORG_ACTIVE_ONLY};
    CHECK_INT_EQ(org_department_list(f.c, &fl, &f.a, &list, &n, &err), 0, "active list");
    CHECK(n == 1 && list[0].id == other, "only HBJ active");
    fl.active = ORG_INACTIVE_ONLY;
    CHECK_INT_EQ(org_department_list(f.c, &fl, &f.a, &list, &n, &err), 0, "inactive list");
    CHECK_INT_EQ(n, 2, "two inactive");

    CHECK_INT_EQ(org_department_purge(f.c, top, &err), ERR_CONFLICT, "purge with child");
    CHECK_INT_EQ(org_department_purge(f.c, other, &err), ERR_CONFLICT, "purge with category");
    CHECK_INT_EQ(org_department_purge(f.c, child, &err), 0, "purge leaf: %s", err.msg);
    CHECK_INT_EQ(org_department_purge(f.c, top, &err), 0, "purge top: %s", err.msg);
    CHECK_INT_EQ(org_department_get(f.c, top, &f.a, &dep, &err), ERR_NOT_FOUND, "purged");
    CHECK_INT_EQ(org_department_delete(f.c, 4242, NOW, &err), ERR_NOT_FOUND, "missing");
    (void)cat;
    fx_close(&f);
}

/* ------------------------------------------------------------------ categories */

TEST(org_category_validation)
{
    struct fx f;
    if (fx_open(&f, "cat_validation") < 0)
        return;
    int64_t dept = mk_dept(&f, "CGJ", 0);
    int64_t gone = mk_dept(&f, "OLD", 0);
    struct err err = ERR_INIT;
    CHECK_INT_EQ(org_department_delete(f.c, gone, NOW, &err), 0, "deactivate OLD");
    int64_t c01 = mk_cat(&f, "01", 0, dept, 1, 8, 40, CAL_WORK_HOURS);
    int64_t c0101 = mk_cat(&f, "0101", c01, 0, 0, 0, 0, CAL_WORK_HOURS);
    const struct org_sla ok = {1, 8, 40, CAL_WORK_HOURS};
#define ROW(code_, level_, parent_, dept_, urg_, sla_, kw_, active_, want_, field_)                \
    {                                                                                              \
        {code_, "名", level_, parent_, dept_, urg_, sla_, kw_, active_}, want_, field_             \
    }
    char long_kw[ORG_KEYWORDS_MAX + 2];
    memset(long_kw, 'k', sizeof(long_kw) - 1);
    long_kw[sizeof(long_kw) - 1] = '\0';
    const struct {
        struct org_category_in in;
        int want;
        const char *field;
    } rows[] = {
        ROW("02", 0, 0, dept, 0, ok, "", 1, ERR_BAD_REQUEST, "level"),
        ROW("02", 4, 0, dept, 0, ok, "", 1, ERR_BAD_REQUEST, "level"),
        ROW("2", 1, 0, dept, 0, ok, "", 1, ERR_BAD_REQUEST, "code"),
        ROW("0a", 1, 0, dept, 0, ok, "", 1, ERR_BAD_REQUEST, "code"),
        ROW("0102", 1, 0, dept, 0, ok, "", 1, ERR_BAD_REQUEST, "code"),
        ROW(NULL, 1, 0, dept, 0, ok, "", 1, ERR_BAD_REQUEST, "code"),
        ROW("02", 1, c01, dept, 0, ok, "", 1, ERR_BAD_REQUEST, "parent_id"),
        ROW("0102", 2, 0, dept, 0, ok, "", 1, ERR_BAD_REQUEST, "parent_id"),
        ROW("0102", 2, 4242, dept, 0, ok, "", 1, ERR_BAD_REQUEST, "parent_id"),
        ROW("0202", 2, c01, dept, 0, ok, "", 1, ERR_BAD_REQUEST, "code"),
        ROW("010101", 3, c01, dept, 0, ok, "", 1, ERR_BAD_REQUEST, "level"),
        ROW("0102", 2, c01, 4242, 0, ok, "", 1, ERR_BAD_REQUEST, "department_id"),
        ROW("0102", 2, c01, gone, 0, ok, "", 1, ERR_BAD_REQUEST, "department_id"),
        ROW("0102", 2, c01, -1, 0, ok, "", 1, ERR_BAD_REQUEST, "department_id"),
        ROW("0102", 2, c01, dept, 3, ok, "", 1, ERR_BAD_REQUEST, "urgency"),
        ROW("0102", 2, c01, dept, 0, ((struct org_sla){-1, 8, 40, CAL_WORK_HOURS}), "", 1,
            ERR_BAD_REQUEST, "sla_sign"),
        ROW("0102", 2, c01, dept, 0, ((struct org_sla){9, 8, 40, CAL_WORK_HOURS}), "", 1,
            ERR_BAD_REQUEST, "sla_reply"),
        ROW("0102", 2, c01, dept, 0, ((struct org_sla){1, 8, 4, CAL_WORK_HOURS}), "", 1,
            ERR_BAD_REQUEST, "sla_resolve"),
        ROW("0102", 2, c01, dept, 0, ((struct org_sla){1, 8, 4000000, CAL_WORK_HOURS}), "", 1,
            ERR_BAD_REQUEST, "sla_resolve"),
        ROW("0102", 2, c01, dept, 0, ((struct org_sla){1, 8, 40, (enum cal_unit)7}), "", 1,
            ERR_BAD_REQUEST, "sla_unit"),
        ROW("0102", 2, c01, dept, 0, ok, long_kw, 1, ERR_BAD_REQUEST, "keywords"),
        ROW("0102", 2, c01, dept, 0, ok, "", 5, ERR_BAD_REQUEST, "active"),
        ROW("0101", 2, c01, dept, 0, ok, "", 1, ERR_CONFLICT, "code"),
    };
#undef ROW
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct err e = ERR_INIT;
        int64_t id = 0;
        int rc = org_category_create(f.c, &rows[i].in, NOW, &id, &e);
        CHECK_INT_EQ(rc, rows[i].want, "row %zu: %s: %s", i, rows[i].in.code, e.msg);
        CHECK_STR_EQ(e.field, rows[i].field, "row %zu: %s: %s", i, rows[i].in.code, e.msg);
    }
    CHECK_INT_EQ(count_rows(&f, "SELECT count(*) FROM categories"), 2, "nothing added");
    (void)c0101;
    fx_close(&f);
}

TEST(org_category_crud_and_inheritance)
{
    struct fx f;
    struct err err = ERR_INIT;
    struct org_category cat, *list;
    struct org_sla sla;
    int64_t from = 0, dept_id = 0;
    size_t n;

    if (fx_open(&f, "cat_crud") < 0)
        return;
    int64_t cgj = mk_dept(&f, "CGJ", 0);
    int64_t zfd = mk_dept(&f, "ZFD", 0);
    int64_t c01 = mk_cat(&f, "01", 0, cgj, 1, 8, 40, CAL_WORK_HOURS);
    int64_t c0101 = mk_cat(&f, "0101", c01, 0, 0, 0, 0, CAL_WORK_HOURS);
    int64_t c010101 = mk_cat(&f, "010101", c0101, zfd, 0, 0, 0, CAL_WORK_HOURS);
    int64_t c0102 = mk_cat(&f, "0102", c01, 0, 0, 2, 3, CAL_WORK_DAYS);
    int64_t c02 = mk_cat(&f, "02", 0, 0, 0, 0, 0, CAL_HOURS);

    CHECK_INT_EQ(org_category_get(f.c, c010101, &f.a, &cat, &err), 0, "get: %s", err.msg);
    CHECK_STR_EQ(cat.code, "010101", "code");
    CHECK_INT_EQ(cat.level, 3, "level");
    CHECK_INT_EQ(cat.parent_id, c0101, "parent");
    CHECK_INT_EQ(cat.department_id, zfd, "department");
    CHECK_INT_EQ(cat.sla.resolve, 0, "unset SLA stored as zeros");
    CHECK_INT_EQ(org_category_get_by_code(f.c, "0102", &f.a, &cat, &err), 0, "by code");
    CHECK_INT_EQ(cat.id, c0102, "by code id");
    CHECK_INT_EQ(cat.sla.unit, CAL_WORK_DAYS, "unit round trip");

    /* SLA: own, from parent, from grandparent, none anywhere. */
    CHECK_INT_EQ(org_category_sla(f.c, c0102, &sla, &from, &err), 0, "own: %s", err.msg);
    CHECK(sla.sign == 0 && sla.reply == 2 && sla.resolve == 3 && sla.unit == CAL_WORK_DAYS,
          "own SLA");
    CHECK_INT_EQ(from, c0102, "from itself");
    CHECK_INT_EQ(org_category_sla(f.c, c010101, &sla, &from, &err), 0, "inherited: %s", err.msg);
    CHECK(sla.sign == 1 && sla.reply == 8 && sla.resolve == 40 && sla.unit == CAL_WORK_HOURS,
          "grandparent's SLA");
    CHECK_INT_EQ(from, c01, "from the top");
    CHECK_INT_EQ(org_category_sla(f.c, c02, &sla, NULL, &err), ERR_NOT_FOUND, "no SLA anywhere");
    CHECK_INT_EQ(org_category_sla(f.c, 4242, &sla, NULL, &err), ERR_NOT_FOUND, "missing");

    CHECK_INT_EQ(org_category_department(f.c, c010101, &dept_id, &err), 0, "own dept");
    CHECK_INT_EQ(dept_id, zfd, "own department");
    CHECK_INT_EQ(org_category_department(f.c, c0102, &dept_id, &err), 0, "inherited dept");
    CHECK_INT_EQ(dept_id, cgj, "parent's department");
    CHECK_INT_EQ(org_category_department(f.c, c02, &dept_id, &err), 0, "none");
    CHECK_INT_EQ(dept_id, 0, "no department");

    /* Update: mutable fields change, immutable ones are refused. */
    struct org_category_in in = {
        NULL, "占道经营", 0, 0, zfd, ORG_URGENCY_URGENT, {1, 4, 24, CAL_HOURS}, "摊贩 占道", 1};
    CHECK_INT_EQ(org_category_update(f.c, c0101, &in, NOW + 10, &err), 0, "update: %s", err.msg);
    CHECK_INT_EQ(org_category_get(f.c, c0101, &f.a, &cat, &err), 0, "get updated");
    CHECK_STR_EQ(cat.name, "占道经营", "name");
    CHECK_STR_EQ(cat.keywords, "摊贩 占道", "keywords");
    CHECK_INT_EQ(cat.urgency, ORG_URGENCY_URGENT, "urgency");
    CHECK_INT_EQ(cat.updated_at, NOW + 10, "updated_at");
    CHECK_INT_EQ(org_category_sla(f.c, c010101, &sla, &from, &err), 0, "now from parent");
    CHECK(from == c0101 && sla.resolve == 24 && sla.unit == CAL_HOURS, "nearest ancestor wins");
    in.code = "0109";
    CHECK_INT_EQ(org_category_update(f.c, c0101, &in, NOW, &err), ERR_BAD_REQUEST, "code");
    CHECK_STR_EQ(err.field, "code", "code is immutable");
    in.code = "0101";
    in.parent_id = c02;
    CHECK_INT_EQ(org_category_update(f.c, c0101, &in, NOW, &err), ERR_BAD_REQUEST, "move");
    CHECK_STR_EQ(err.field, "parent_id", "parent is immutable");
    in.parent_id = c01;
    in.sla = (struct org_sla){5, 4, 24, CAL_HOURS};
    CHECK_INT_EQ(org_category_update(f.c, c0101, &in, NOW, &err), ERR_BAD_REQUEST, "bad SLA");
    CHECK_STR_EQ(err.field, "sla_reply", "SLA order");

    /* Soft delete takes the subtree along; reactivation needs an active parent. */
    CHECK_INT_EQ(org_category_delete(f.c, c0101, NOW + 20, &err), 0, "delete: %s", err.msg);
    CHECK_INT_EQ(org_category_get(f.c, c010101, &f.a, &cat, &err), 0, "child still there");
    CHECK_INT_EQ(cat.active, 0, "child deactivated too");
    CHECK_INT_EQ(org_category_get(f.c, c0102, &f.a, &cat, &err), 0, "sibling");
    CHECK_INT_EQ(cat.active, 1, "sibling untouched");
    struct org_category_filter fl = {.active = ORG_ACTIVE_ONLY};
    CHECK_INT_EQ(org_category_list(f.c, &fl, &f.a, &list, &n, &err), 0, "active");
    CHECK_INT_EQ(n, 3, "01, 0102, 02 active");
    fl = (struct org_category_filter){.level = 2};
    CHECK_INT_EQ(org_category_list(f.c, &fl, &f.a, &list, &n, &err), 0, "level 2");
    CHECK(n == 2 && strcmp(list[0].code, "0101") == 0, "level 2 ordered by code");
    fl = (struct org_category_filter){.parent_id = c01, .active = ORG_INACTIVE_ONLY};
    CHECK_INT_EQ(org_category_list(f.c, &fl, &f.a, &list, &n, &err), 0, "inactive children");
    CHECK(n == 1 && list[0].id == c0101, "0101 inactive");

    in = (struct org_category_in){NULL, "子类", 0, 0, 0, 0, {0, 0, 0, CAL_WORK_HOURS}, NULL, 1};
    CHECK_INT_EQ(org_category_update(f.c, c010101, &in, NOW, &err), ERR_BAD_REQUEST,
                 "parent inactive");
    CHECK_STR_EQ(err.field, "active", "activation field");
    in = (struct org_category_in){
        NULL, "占道经营", 0, 0, zfd, ORG_URGENCY_URGENT, {1, 4, 24, CAL_HOURS}, "", 1};
    CHECK_INT_EQ(org_category_update(f.c, c0101, &in, NOW + 30, &err), 0, "reactivate parent");
    in = (struct org_category_in){NULL, "子类", 0, 0, zfd, 0, {0, 0, 0, CAL_WORK_HOURS}, NULL, 1};
    CHECK_INT_EQ(org_category_update(f.c, c010101, &in, NOW + 31, &err), 0, "then child: %s",
                 err.msg);

    /* An unchanged, since-deactivated default department does not block other edits. */
    CHECK_INT_EQ(org_category_delete(f.c, c0101, NOW + 40, &err), 0, "free zfd");
    CHECK_INT_EQ(org_department_delete(f.c, zfd, NOW + 41, &err), 0, "zfd off: %s", err.msg);
    in = (struct org_category_in){NULL, "改名", 0, 0, zfd, 0, {0, 0, 0, CAL_WORK_HOURS}, NULL, 0};
    CHECK_INT_EQ(org_category_update(f.c, c010101, &in, NOW + 42, &err), 0, "keep dept: %s",
                 err.msg);
    in.department_id = cgj;
    in.active = 0;
    CHECK_INT_EQ(org_category_update(f.c, c010101, &in, NOW + 43, &err), 0, "new dept");
    in.department_id = zfd;
    CHECK_INT_EQ(org_category_update(f.c, c010101, &in, NOW + 44, &err), ERR_BAD_REQUEST,
                 "choosing an inactive department");
    CHECK_STR_EQ(err.field, "department_id", "inactive department field");
    CHECK_INT_EQ(org_category_delete(f.c, 4242, NOW, &err), ERR_NOT_FOUND, "missing");
    fx_close(&f);
}

/* ------------------------------------------------------------------ calendar */

TEST(org_calendar_periods_text)
{
    static const struct {
        const char *text;
        int want;
        int n;
        const char *canon;
    } rows[] = {
        {"09:00-12:00,13:30-17:30", 0, 2, "09:00-12:00,13:30-17:30"},
        {" 08:30-12:00 , 14:00-18:00 ", 0, 2, "08:30-12:00,14:00-18:00"},
        {"00:00-24:00", 0, 1, "00:00-24:00"},
        {"09:00-10:00,10:00-11:00,11:00-12:00,13:00-14:00", 0, 4,
         "09:00-10:00,10:00-11:00,11:00-12:00,13:00-14:00"},
        {"09:00-10:00,10:00-11:00,11:00-12:00,13:00-14:00,15:00-16:00", ERR_BAD_REQUEST, 0, ""},
        {"", ERR_BAD_REQUEST, 0, ""},
        {"9:00-12:00", ERR_BAD_REQUEST, 0, ""},
        {"09:00-12:60", ERR_BAD_REQUEST, 0, ""},
        {"09:00-24:30", ERR_BAD_REQUEST, 0, ""},
        {"12:00-09:00", ERR_BAD_REQUEST, 0, ""},
        {"09:00-09:00", ERR_BAD_REQUEST, 0, ""},
        {"13:00-17:00,09:00-12:00", ERR_BAD_REQUEST, 0, ""},
        {"09:00-13:00,12:00-17:00", ERR_BAD_REQUEST, 0, ""},
        {"09:00-12:00;13:00-17:00", ERR_BAD_REQUEST, 0, ""},
        {"09:00-12:00,", ERR_BAD_REQUEST, 0, ""},
        {"09:00-12:00x", ERR_BAD_REQUEST, 0, ""},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct cal_period p[CAL_MAX_PERIODS];
        char text[ORG_PERIODS_TEXT_MAX];
        struct err err = ERR_INIT;
        int n = 0;
        int rc = org_calendar_periods_parse(rows[i].text, p, CAL_MAX_PERIODS, &n, &err);
        CHECK_INT_EQ(rc, rows[i].want, "row %zu: '%s': %s", i, rows[i].text, err.msg);
        if (rc == 0) {
            CHECK_INT_EQ(n, rows[i].n, "row %zu count", i);
            org_calendar_periods_format(p, n, text);
            CHECK_STR_EQ(text, rows[i].canon, "row %zu canonical text", i);
        } else {
            CHECK_STR_EQ(err.field, "periods", "row %zu field", i);
        }
    }
}

TEST(org_calendar_dates)
{
    static const struct {
        const char *s;
        int ok;
    } rows[] = {
        {"2026-10-01", 1},  {"1970-01-01", 1}, {"2028-02-29", 1}, {"2026-02-29", 0},
        {"2026-13-01", 0},  {"2026-04-31", 0}, {"2026-4-01", 0},  {"2026/10/01", 0},
        {"2026-10-01x", 0}, {"1969-12-31", 0}, {"", 0},           {"abcd-ef-gh", 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        int64_t day = -1;
        char back[16];
        int rc = org_date_parse(rows[i].s, &day);
        CHECK_INT_EQ(rc == 0, rows[i].ok, "row %zu: '%s'", i, rows[i].s);
        if (rc == 0) {
            org_date_format(day, back);
            CHECK_STR_EQ(back, rows[i].s, "row %zu round trip", i);
        }
    }
    int64_t day = 0;
    CHECK_INT_EQ(org_date_parse("2026-10-01", &day), 0, "parse");
    CHECK_INT_EQ(day, clock_days_from_civil(2026, 10, 1), "days since epoch");
    CHECK_INT_EQ(org_calendar_day_kind_from_name("holiday"), CAL_DAY_HOLIDAY, "holiday");
    CHECK_STR_EQ(org_calendar_day_kind_name(CAL_DAY_WORKDAY), "workday", "workday");
    CHECK_INT_EQ(org_calendar_day_kind_from_name("weekend"), 0, "unknown kind");
}

TEST(org_calendar_round_trip)
{
    struct fx f;
    struct err err = ERR_INIT;
    struct org_calendar_settings set;
    struct org_calendar_day *days;
    struct cal *cal = NULL;
    size_t n;

    if (fx_open(&f, "calendar") < 0)
        return;

    /* No row yet: the defaults, and a calendar built from them. */
    CHECK_INT_EQ(org_calendar_settings_get(f.c, &set, &err), 0, "defaults: %s", err.msg);
    CHECK(set.utc_offset_min == 480 && set.week_mask == 0x3e && set.nperiods == 2 &&
              set.periods[1].start_min == 13 * 60 + 30 && set.updated_at == 0,
          "Mon-Fri 09:00-12:00,13:30-17:30 UTC+8");
    CHECK_INT_EQ(org_calendar_load(f.c, &cal, &err), 0, "load defaults: %s", err.msg);
    if (cal) {
        CHECK_INT_EQ(cal_is_workday(cal, clock_days_from_civil(2026, 10, 1)), 1, "a Thursday");
        CHECK_INT_EQ(cal_is_workday(cal, clock_days_from_civil(2026, 10, 10)), 0, "a Saturday");
        cal_free(cal);
        cal = NULL;
    }

    /* Settings: validation table, then a stored pattern with Saturday mornings. */
    const struct {
        struct org_calendar_settings s;
        const char *field;
    } bad[] = {
        {{-721, 0x3e, 1, {{540, 720}}, 0}, "utc_offset_min"},
        {{841, 0x3e, 1, {{540, 720}}, 0}, "utc_offset_min"},
        {{480, 0, 1, {{540, 720}}, 0}, "week_mask"},
        {{480, 0x80, 1, {{540, 720}}, 0}, "week_mask"},
        {{480, 0x3e, 0, {{540, 720}}, 0}, "periods"},
        {{480, 0x3e, 5, {{540, 720}}, 0}, "periods"},
        {{480, 0x3e, 1, {{720, 540}}, 0}, "periods"},
        {{480, 0x3e, 2, {{540, 720}, {700, 800}}, 0}, "periods"},
        {{480, 0x3e, 1, {{540, 1441}}, 0}, "periods"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct err e = ERR_INIT;
        CHECK_INT_EQ(org_calendar_settings_set(f.c, &bad[i].s, NOW, &e), ERR_BAD_REQUEST,
                     "settings row %zu", i);
        CHECK_STR_EQ(e.field, bad[i].field, "settings row %zu: %s", i, e.msg);
    }
    CHECK_INT_EQ(count_rows(&f, "SELECT count(*) FROM calendar_settings"), 0, "nothing stored");

    org_calendar_settings_default(&set);
    set.week_mask = 0x7e; /* Monday..Saturday */
    set.utc_offset_min = 540;
    set.nperiods = 3;
    set.periods[0] = (struct cal_period){8 * 60, 12 * 60};
    set.periods[1] = (struct cal_period){13 * 60, 17 * 60};
    set.periods[2] = (struct cal_period){18 * 60, 20 * 60};
    CHECK_INT_EQ(org_calendar_settings_set(f.c, &set, NOW, &err), 0, "set: %s", err.msg);
    set.utc_offset_min = 480;
    CHECK_INT_EQ(org_calendar_settings_set(f.c, &set, NOW + 1, &err), 0, "set again (upsert)");
    memset(&set, 0, sizeof(set));
    CHECK_INT_EQ(org_calendar_settings_get(f.c, &set, &err), 0, "get stored");
    CHECK(set.utc_offset_min == 480 && set.week_mask == 0x7e && set.nperiods == 3 &&
              set.periods[2].end_min == 20 * 60 && set.updated_at == NOW + 1,
          "stored settings round trip");

    /* Overrides: National Day week off, the Saturday after it worked (调休). */
    const char *off[] = {"2026-10-01", "2026-10-02", "2026-10-05"};
    for (size_t i = 0; i < ARRAY_SIZE(off); i++)
        CHECK_INT_EQ(org_calendar_day_set(f.c, off[i], CAL_DAY_HOLIDAY, "国庆节", &err), 0,
                     "holiday %s: %s", off[i], err.msg);
    CHECK_INT_EQ(org_calendar_day_set(f.c, "2026-10-11", CAL_DAY_WORKDAY, "国庆节调休", &err), 0,
                 "make-up Sunday");
    CHECK_INT_EQ(org_calendar_day_set(f.c, "2026-10-05", CAL_DAY_WORKDAY, "changed", &err), 0,
                 "replace an override");
    CHECK_INT_EQ(org_calendar_day_set(f.c, "2026-10-5", CAL_DAY_HOLIDAY, "", &err), ERR_BAD_REQUEST,
                 "bad date");
    CHECK_STR_EQ(err.field, "day", "bad date field");
    CHECK_INT_EQ(org_calendar_day_set(f.c, "2026-10-06", 0, "", &err), ERR_BAD_REQUEST, "bad kind");
    CHECK_STR_EQ(err.field, "kind", "bad kind field");
    CHECK_INT_EQ(org_calendar_day_set(f.c, "2026-10-06", CAL_DAY_HOLIDAY, "a\tb", &err),
                 ERR_BAD_REQUEST, "bad name");
    CHECK_STR_EQ(err.field, "name", "bad name field");

    CHECK_INT_EQ(org_calendar_day_list(f.c, NULL, NULL, &f.a, &days, &n, &err), 0, "list");
    CHECK_INT_EQ(n, 4, "four overrides");
    CHECK(n == 4 && strcmp(days[0].day, "2026-10-01") == 0 && days[2].kind == CAL_DAY_WORKDAY &&
              strcmp(days[2].name, "changed") == 0,
          "ordered, replaced");
    CHECK_INT_EQ(org_calendar_day_list(f.c, "2026-10-02", "2026-10-05", &f.a, &days, &n, &err), 0,
                 "range");
    CHECK_INT_EQ(n, 2, "inclusive range");
    CHECK_INT_EQ(org_calendar_day_list(f.c, "2026-1-1", NULL, &f.a, &days, &n, &err),
                 ERR_BAD_REQUEST, "bad from");
    CHECK_STR_EQ(err.field, "from", "from field");
    CHECK_INT_EQ(org_calendar_day_delete(f.c, "2026-10-05", &err), 0, "delete");
    CHECK_INT_EQ(org_calendar_day_delete(f.c, "2026-10-05", &err), ERR_NOT_FOUND, "twice");

    CHECK_INT_EQ(org_calendar_load(f.c, &cal, &err), 0, "load: %s", err.msg);
    if (cal) {
        struct cal_period p[CAL_MAX_PERIODS];
        CHECK_INT_EQ(cal_utc_offset(cal), 480, "offset");
        CHECK_INT_EQ(cal_week_mask(cal), 0x7e, "mask");
        CHECK_INT_EQ(cal_periods(cal, p, CAL_MAX_PERIODS), 3, "periods");
        CHECK_INT_EQ(cal_is_workday(cal, clock_days_from_civil(2026, 10, 1)), 0, "holiday Thu");
        CHECK_INT_EQ(cal_is_workday(cal, clock_days_from_civil(2026, 10, 2)), 0, "holiday Fri");
        CHECK_INT_EQ(cal_is_workday(cal, clock_days_from_civil(2026, 10, 3)), 1,
                     "Saturday is in the mask");
        CHECK_INT_EQ(cal_is_workday(cal, clock_days_from_civil(2026, 10, 4)), 0, "Sunday");
        CHECK_INT_EQ(cal_is_workday(cal, clock_days_from_civil(2026, 10, 5)), 1,
                     "deleted override: ordinary Monday");
        CHECK_INT_EQ(cal_is_workday(cal, clock_days_from_civil(2026, 10, 11)), 1, "make-up Sunday");
        cal_free(cal);
    }

    /* Stored rows that break the rules surface as integrity errors, not as a calendar. */
    CHECK(store_run(f.c, "UPDATE calendar_settings SET periods = '9-5'", STORE_NO_ARGS, &err) == 1,
          "corrupt the row");
    cal = NULL;
    CHECK_INT_EQ(org_calendar_load(f.c, &cal, &err), ERR_INTEGRITY, "corrupt settings");
    CHECK(cal == NULL, "no calendar on failure");
    fx_close(&f);
}
