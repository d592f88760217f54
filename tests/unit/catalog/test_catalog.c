/*
 * The catalogue's contract with its readers (src/catalog/catalog.h): catalog_dataset_get and
 * catalog_rows_scan over the demo's imported rows (order, after_row, limit, region scope, values
 * in field order), catalog_field_find, and the validators' worked examples.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "catalog/catalog_internal.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "demo/demo.h"
#include "store/store.h"
#include "test.h"

#define T_NOW 1790236800

TEST(catalog_values_by_type)
{
    const char *why;
    /* GB 11643's own example and GB 32100's. */
    CHECK(catalog_value_valid("id_card", "11010519491231002X", &why), "GB 11643 example");
    CHECK(catalog_value_valid("id_card", "11010519491231002x", &why), "a small x");
    CHECK(!catalog_value_valid("id_card", "110105194912310021", &why) &&
              strcmp(why, "身份证号校验码错误") == 0,
          "check digit: %s", why);
    CHECK(!catalog_value_valid("id_card", "110105194902300026", &why), "30 February");
    CHECK(!catalog_value_valid("id_card", "11010519491231002", &why), "17 digits");
    CHECK(catalog_value_valid("credit_code", "91350100M000100Y43", &why), "GB 32100 example");
    CHECK(!catalog_value_valid("credit_code", "91350100M000100Y44", &why), "check character");
    CHECK(!catalog_value_valid("credit_code", "91350100M0001O0Y43", &why), "an O");
    CHECK(catalog_value_valid("mobile", "13800138000", &why), "mobile");
    CHECK(!catalog_value_valid("mobile", "1380013800", &why), "10 digits");
    CHECK(!catalog_value_valid("mobile", "12800138000", &why), "12x");
    CHECK(catalog_value_valid("phone", "0571-86900101", &why), "fixed line");
    CHECK(!catalog_value_valid("phone", "571-869", &why), "short");
    CHECK(catalog_value_valid("date", "2026-02-28", &why), "date");
    CHECK(!catalog_value_valid("date", "2026-02-29", &why), "not a leap year");
    CHECK(catalog_value_valid("integer", "-12", &why) &&
              !catalog_value_valid("integer", "1.5", &why),
          "integer");
    CHECK(catalog_value_valid("number", "1.5", &why) && !catalog_value_valid("number", "abc", &why),
          "number");
    CHECK(catalog_value_valid("name", "欧阳娜娜", &why) &&
              !catalog_value_valid("name", "张3", &why),
          "name");
    CHECK(catalog_value_valid("email", "a@b.cn", &why) &&
              !catalog_value_valid("email", "a@b", &why),
          "email");
}

struct seen {
    int64_t rows, last, first;
    size_t n;
    char first_id[32];
    int ordered;
};

static int count_row(void *ud, int64_t row_no, int64_t region_id, const char *const *values,
                     size_t n)
{
    struct seen *s = ud;
    (void)region_id;
    if (!s->rows) {
        s->first = row_no;
        snprintf(s->first_id, sizeof(s->first_id), "%s", values[1]);
    }
    if (row_no <= s->last)
        s->ordered = 0;
    s->last = row_no;
    s->n = n;
    s->rows++;
    return 0;
}

TEST(catalog_rows_scan_over_the_demo)
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
    snprintf(path, sizeof(path), "%s/catalog.db", test_tmpdir());
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&st, &o, &e), 0, "open: %s", e.msg);
    CHECK_INT_EQ(demo_load(st, "pw", key, T_NOW, &rep, &e), 0, "demo: %s", e.msg);
    CHECK_INT_EQ(store_conn(st, &c, &e), 0, "conn");
    arena_init(&a, 1 << 16);
    struct catalog_dataset d;
    CHECK_INT_EQ(catalog_dataset_get(c, 999, &a, &d, &e), ERR_NOT_FOUND, "no such dataset");
    CHECK_INT_EQ(catalog_dataset_get(c, 1, &a, &d, &e), 0, "%s", e.msg);
    CHECK(strcmp(d.name, "辖区常住人口信息") == 0 && d.nfields == 8 && d.row_count == 324,
          "%s %zu %lld", d.name, d.nfields, (long long)d.row_count);
    const struct catalog_field *f = catalog_field_find(&d, "id_no");
    CHECK(f && f->is_key && strcmp(f->type, "id_card") == 0 && f->position == 2, "id_no");
    CHECK(catalog_field_find(&d, "nope") == NULL, "no such field");
    f = catalog_field_find(&d, "household");
    CHECK(f && f->has_lo && f->has_hi && f->lo == 1 && f->hi == 12, "bounds");

    struct seen all = {.ordered = 1};
    CHECK_INT_EQ(catalog_rows_scan(c, &d, 0, 0, 0, count_row, &all, &e), 0, "%s", e.msg);
    CHECK(all.rows == 324 && all.ordered && all.first == 1 && all.n == 8, "all rows %lld",
          (long long)all.rows);
    CHECK(strlen(all.first_id) == 18, "values in field order: %s", all.first_id);
    struct seen page = {.ordered = 1};
    CHECK_INT_EQ(catalog_rows_scan(c, &d, 0, 100, 50, count_row, &page, &e), 0, "%s", e.msg);
    CHECK(page.rows == 50 && page.first == 101 && page.last == 150, "a page %lld %lld",
          (long long)page.first, (long long)page.last);
    /* A street's subtree holds some rows, not all; the district holds them all. */
    int64_t street = 0, district = 0;
    CHECK(store_one_i64(c, "SELECT id FROM regions WHERE level = 'street' ORDER BY code LIMIT 1",
                        STORE_NO_ARGS, &street, &e) == 1,
          "a street");
    CHECK(store_one_i64(c, "SELECT id FROM regions WHERE level = 'district'", STORE_NO_ARGS,
                        &district, &e) == 1,
          "the district");
    struct seen part = {.ordered = 1}, whole = {.ordered = 1};
    CHECK_INT_EQ(catalog_rows_scan(c, &d, street, 0, 0, count_row, &part, &e), 0, "%s", e.msg);
    CHECK_INT_EQ(catalog_rows_scan(c, &d, district, 0, 0, count_row, &whole, &e), 0, "%s", e.msg);
    CHECK(part.rows > 0 && part.rows < 324 && whole.rows == 324, "scoped %lld %lld",
          (long long)part.rows, (long long)whole.rows);
    CHECK_INT_EQ(catalog_rows_scan(c, &d, 99999999, 0, 0, count_row, &part, &e), ERR_BAD_REQUEST,
                 "no such region");
    /* Region values by code or name, addresses by the street or community they name. */
    struct catalog_regions regions;
    int64_t comm = 0, parent = 0;
    char *code = NULL, *name = NULL;
    CHECK_INT_EQ(catalog_regions_load(c, &a, &regions, &e), 0, "%s", e.msg);
    CHECK(store_one_i64(c, "SELECT id FROM regions WHERE level = 'community' ORDER BY code LIMIT 1",
                        STORE_NO_ARGS, &comm, &e) == 1 &&
              store_one_text(c, "SELECT code FROM regions WHERE id = ?",
                             STORE_ARGS(store_i64(comm)), &a, &code, &e) == 1 &&
              store_one_text(c, "SELECT name FROM regions WHERE id = ?",
                             STORE_ARGS(store_i64(comm)), &a, &name, &e) == 1 &&
              store_one_i64(c, "SELECT parent_id FROM regions WHERE id = ?",
                            STORE_ARGS(store_i64(comm)), &parent, &e) == 1,
          "a community");
    CHECK(catalog_region_of_value(&regions, code) == comm, "by code");
    CHECK(catalog_region_of_value(&regions, name) == comm, "by name");
    CHECK(catalog_region_of_value(&regions, "不存在的社区") == 0, "unknown");
    CHECK(catalog_region_of_value(&regions, "") == 0, "empty");
    char addr[200];
    snprintf(addr, sizeof(addr), "某路88号%s5幢", name);
    CHECK(catalog_region_of_address(&regions, addr) == comm, "an address naming the community");
    CHECK(catalog_region_of_address(&regions, "火星基地1号") == 0, "an address naming nothing");
    CHECK(catalog_region_of_address(&regions, name) == comm, "the community's name alone");
    char *pname = NULL;
    CHECK(store_one_text(c, "SELECT name FROM regions WHERE id = ?", STORE_ARGS(store_i64(parent)),
                         &a, &pname, &e) == 1,
          "its street");
    snprintf(addr, sizeof(addr), "%s%s5幢", pname, name);
    CHECK(catalog_region_of_address(&regions, addr) == comm,
          "street then community: the community");
    snprintf(addr, sizeof(addr), "%s某路88号", pname);
    CHECK(catalog_region_of_address(&regions, addr) == parent, "the street alone");

    /* The 'cases' source: its fixed fields; the demo has no cases yet. */
    CHECK_INT_EQ(catalog_dataset_get(c, 3, &a, &d, &e), 0, "%s", e.msg);
    CHECK(strcmp(d.source, "cases") == 0 && d.nfields == 13, "cases fields %zu", d.nfields);
    struct seen cases = {.ordered = 1};
    CHECK_INT_EQ(catalog_rows_scan(c, &d, 0, 0, 0, count_row, &cases, &e), 0, "%s", e.msg);
    CHECK(cases.rows == d.row_count, "cases rows");
    arena_release(&a);
    store_close(st);
}
