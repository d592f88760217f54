#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "json/json.h"
#include "test.h"

static const struct json_field fields[] = {
    {"name", JT_STRING, JF_REQUIRED, 1, 5, NULL}, {"age", JT_INT, 0, 0, 150, NULL},
    {"score", JT_NUMBER, 0, 0, 0, NULL},          {"ok", JT_BOOL, 0, 0, 0, NULL},
    {"tags", JT_ARRAY_STRING, 0, 0, 2, NULL},     {"ids", JT_ARRAY_INT, 0, 0, 0, NULL},
    {"note", JT_STRING, JF_NULLABLE, 0, 0, NULL}, {NULL, 0, 0, 0, 0, NULL},
};

TEST(json_parse_and_check_table)
{
    static const struct {
        const char *body;
        int want;
        const char *field;
    } rows[] = {
        {"{\"name\":\"张三\"}", 0, ""},
        {"{\"name\":\"a\",\"age\":3,\"score\":1.5,\"ok\":true,\"tags\":[\"x\"],\"ids\":[1,2],\"note\":null}",
         0, ""},
        {"  {\"name\":\"a\"}\n", 0, ""},
        {"{\"name\":\"a\"", ERR_BAD_REQUEST, ""},
        {"{\"name\":\"a\"} x", ERR_BAD_REQUEST, ""},
        {"[1,2]", ERR_BAD_REQUEST, ""},
        {"{}", ERR_BAD_REQUEST, "name"},
        {"{\"name\":1}", ERR_BAD_REQUEST, "name"},
        {"{\"name\":\"toolong\"}", ERR_BAD_REQUEST, "name"},
        {"{\"name\":\"\"}", ERR_BAD_REQUEST, "name"},
        {"{\"name\":\"a\",\"age\":1.5}", ERR_BAD_REQUEST, "age"},
        {"{\"name\":\"a\",\"age\":151}", ERR_BAD_REQUEST, "age"},
        {"{\"name\":\"a\",\"age\":\"3\"}", ERR_BAD_REQUEST, "age"},
        {"{\"name\":\"a\",\"ok\":1}", ERR_BAD_REQUEST, "ok"},
        {"{\"name\":\"a\",\"tags\":[1]}", ERR_BAD_REQUEST, "tags"},
        {"{\"name\":\"a\",\"tags\":[\"a\",\"b\",\"c\"]}", ERR_BAD_REQUEST, "tags"},
        {"{\"name\":\"a\",\"ids\":[1.5]}", ERR_BAD_REQUEST, "ids"},
        {"{\"name\":\"a\",\"age\":null}", ERR_BAD_REQUEST, "age"},
        {"{\"name\":\"a\",\"extra\":1}", ERR_BAD_REQUEST, "extra"},
        {"{\"name\":\"a\",\"name\":\"b\"}", ERR_BAD_REQUEST, "name"},
        {"{\"name\":\"\xC3\x28\"}", ERR_BAD_REQUEST, ""},
        {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
         ERR_BAD_REQUEST, ""},
        {"", ERR_BAD_REQUEST, ""},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct err e = ERR_INIT;
        json_t *j = NULL;
        int rc = json_parse(rows[i].body, strlen(rows[i].body), &j, &e);
        if (rc == 0) {
            rc = json_check(j, fields, &e);
            json_free(j);
        }
        CHECK_INT_EQ(rc, rows[i].want, "row %zu: %s -> %s", i, rows[i].body, e.msg);
        CHECK_STR_EQ(e.field, rows[i].field, "row %zu: %s", i, e.msg);
        if (rows[i].want)
            CHECK(e.msg[0] != '\0', "row %zu has a message", i);
    }
}

TEST(json_nul_byte_rejected)
{
    struct err e = ERR_INIT;
    json_t *j = NULL;
    CHECK_INT_EQ(json_parse("{\"a\":\"b\"}\0x", 11, &j, &e), ERR_BAD_REQUEST,
                 "NUL inside the body");
}

TEST(json_writer)
{
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kstr(&w, "s", "市\"");
    jw_kint(&w, "i", -5);
    jw_knum(&w, "d", 30.2);
    jw_key(&w, "a");
    jw_arr(&w);
    jw_int(&w, 1);
    jw_obj(&w);
    jw_obj_end(&w);
    jw_null(&w);
    jw_arr_end(&w);
    jw_kbool(&w, "b", 1);
    jw_ktime(&w, "t", 0);
    jw_obj_end(&w);
    CHECK_STR_EQ(w.b.p,
                 "{\"s\":\"市\\\"\",\"i\":-5,\"d\":30.2,\"a\":[1,{},null],\"b\":true,\"t\":null}",
                 "output");
    struct err e = ERR_INIT;
    json_t *j;
    CHECK_INT_EQ(json_parse(w.b.p, w.b.len, &j, &e), 0, "writer output parses");
    json_free(j);
    jw_release(&w);
    /* Integers at the edges of int64_t, written without printf. */
    static const struct {
        int64_t v;
        const char *want;
    } ints[] = {
        {0, "[0]"},
        {7, "[7]"},
        {-10, "[-10]"},
        {9007199254740993, "[9007199254740993]"},
        {INT64_MAX, "[9223372036854775807]"},
        {INT64_MIN, "[-9223372036854775808]"},
    };
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        jw_init(&w);
        jw_arr(&w);
        jw_int(&w, ints[i].v);
        jw_arr_end(&w);
        CHECK_STR_EQ(w.b.p, ints[i].want, "integer %zu", i);
        jw_release(&w);
    }
    /* Numbers: the shortest of 15 or 17 significant digits that reads back the same. */
    static const struct {
        double v;
        const char *want;
    } nums[] = {
        {30.2, "[30.2]"},         {0.1 + 0.2, "[0.30000000000000004]"},
        {-120.125, "[-120.125]"}, {1e300, "[1e+300]"},
        {0.8719, "[0.8719]"},     {1.0 / 3.0, "[0.33333333333333331]"},
    };
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        jw_init(&w);
        jw_arr(&w);
        jw_num(&w, nums[i].v);
        jw_arr_end(&w);
        CHECK_STR_EQ(w.b.p, nums[i].want, "number %zu", i);
        jw_release(&w);
    }
}

/* What jw_num() wrote before its short path (num_short()): every number as printf's shortest
 * of %.15g / %.17g that reads back the same. */
static void num_printf(char *out, size_t size, double v)
{
    snprintf(out, size, "%.15g", v);
    if (strtod(out, NULL) != v)
        snprintf(out, size, "%.17g", v);
}

/* The short path writes exactly what printf does, for the numbers it takes (short decimals,
 * whole numbers, both ends of its range, either sign) and those it leaves (long fractions,
 * tiny, huge), so no answer changed. */
TEST(json_number_short_path_is_printf)
{
    static const double edges[] = {1e-4,
                                   -1e-4,
                                   9.99999e-5,
                                   1e-5,
                                   0.5,
                                   1,
                                   -1,
                                   999999999,
                                   1e9,
                                   999999999.5,
                                   999999999.999999,
                                   123456.789012,
                                   0.000123,
                                   -0.0,
                                   0,
                                   30.176,
                                   120.06,
                                   0.8719,
                                   1e15,
                                   4503599627370497.0,
                                   0.1 + 0.2,
                                   1.0 / 3.0,
                                   2.5e-4,
                                   -7.125,
                                   100.000001};
    uint64_t x = 0x9E3779B97F4A7C15u;
    char want[48];
    struct jw w;
    for (int i = 0; i < 200000 + (int)ARRAY_SIZE(edges); i++) {
        double v;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (i < (int)ARRAY_SIZE(edges))
            v = edges[i];
        else if (i % 4 == 0) /* a probability rounded to 4 places, as triage writes them */
            v = nearbyint((double)(x % 1000000) / 1e6 * 1e4) / 1e4;
        else if (i % 4 == 1) /* a coordinate of six places */
            v = (double)(int64_t)(x % 360000000) / 1e6 - 180;
        else if (i % 4 == 2) /* a whole number */
            v = (double)(int64_t)(x % 2000000000) - 1e9;
        else /* any bits */
            memcpy(&v, &x, sizeof(v));
        if (!isfinite(v))
            continue;
        num_printf(want, sizeof(want), v);
        jw_init(&w);
        jw_num(&w, v);
        CHECK_STR_EQ(w.b.p, want, "%.17g", v);
        jw_release(&w);
    }
}

/* Nested tables: an object inside an object, an array of objects whose members have their
 * own table, and an array inside those; errors name the member by its path. */
static const struct json_field value_fields[] = {
    {"key", JT_STRING, JF_REQUIRED, 1, 8, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field item_fields[] = {
    {"code", JT_STRING, JF_REQUIRED, 1, 8, NULL},
    {"values", JT_ARRAY_OBJECT, JF_NULLABLE, 0, 2, value_fields},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field person_fields[] = {
    {"name", JT_STRING, JF_NULLABLE, 0, 4, NULL},
    {"phone", JT_STRING, 0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field nested_fields[] = {
    {"citizen", JT_OBJECT, JF_NULLABLE, 0, 0, person_fields},
    {"items", JT_ARRAY_OBJECT, 0, 0, 3, item_fields},
    {"free", JT_OBJECT, 0, 0, 0, NULL}, /* no table: any object */
    {NULL, 0, 0, 0, 0, NULL},
};

TEST(json_check_nested)
{
    static const struct {
        const char *body;
        int want;
        const char *field;
    } rows[] = {
        {"{}", 0, ""},
        {"{\"citizen\":null,\"items\":[]}", 0, ""},
        {"{\"citizen\":{\"name\":\"张三\"},\"items\":[{\"code\":\"A\",\"values\":[{\"key\":\"k\"}]}]}",
         0, ""},
        {"{\"free\":{\"anything\":[1,{\"x\":2}]}}", 0, ""},
        {"{\"citizen\":\"张三\"}", ERR_BAD_REQUEST, "citizen"},
        {"{\"citizen\":{\"name\":5}}", ERR_BAD_REQUEST, "citizen.name"},
        {"{\"citizen\":{\"name\":\"五个字的名\"}}", ERR_BAD_REQUEST, "citizen.name"},
        {"{\"citizen\":{\"email\":\"a@b\"}}", ERR_BAD_REQUEST, "citizen.email"},
        {"{\"citizen\":{\"phone\":\"1\",\"phone\":\"2\"}}", ERR_BAD_REQUEST, "citizen.phone"},
        {"{\"items\":{}}", ERR_BAD_REQUEST, "items"},
        {"{\"items\":[1]}", ERR_BAD_REQUEST, "items"},
        {"{\"items\":[{\"code\":\"A\"},{\"code\":\"B\"},{\"code\":\"C\"},{\"code\":\"D\"}]}",
         ERR_BAD_REQUEST, "items"},
        {"{\"items\":[{\"code\":\"A\"},{}]}", ERR_BAD_REQUEST, "items[1].code"},
        {"{\"items\":[{\"code\":\"A\",\"values\":[{\"key\":\"k\"},{\"key\":\"\"}]}]}",
         ERR_BAD_REQUEST, "items[0].values[1].key"},
        {"{\"items\":[{\"code\":\"A\",\"values\":[{\"key\":\"k\",\"x\":1}]}]}", ERR_BAD_REQUEST,
         "items[0].values[0].x"},
        {"{\"items\":[{\"code\":\"A\",\"values\":null}]}", 0, ""},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct err e = ERR_INIT;
        json_t *j = NULL;
        int rc = json_parse(rows[i].body, strlen(rows[i].body), &j, &e);
        CHECK_INT_EQ(rc, 0, "row %zu parses: %s", i, e.msg);
        rc = json_check(j, nested_fields, &e);
        CHECK_INT_EQ(rc, rows[i].want, "row %zu: %s (%s)", i, rows[i].body, e.msg);
        CHECK_STR_EQ(e.field, rows[i].field, "row %zu: field", i);
        if (rc < 0)
            CHECK(strstr(e.msg, rows[i].field) != NULL, "row %zu: message names the path: %s", i,
                  e.msg);
        json_free(j);
    }
}

TEST(json_array_item_and_print)
{
    static const char body[] =
        "{\"items\":[{\"code\":\"A\"},{\"code\":\"B\"}],\"g\":{\"type\":\"Point\",\"c\":[1,2]}}";
    struct err e = ERR_INIT;
    json_t *j = NULL;
    struct arena a;
    arena_init(&a, 0);
    CHECK_INT_EQ(json_parse(body, strlen(body), &j, &e), 0, "parse");
    const json_t *items = json_get(j, "items");
    CHECK_INT_EQ(json_array_size(items), 2, "two items");
    CHECK_STR_EQ(json_get_str(json_array_item(items, 1), "code"), "B", "item 1");
    CHECK(json_array_item(items, 2) == NULL, "past the end is NULL");
    CHECK_STR_EQ(json_print(json_get(j, "g"), &a), "{\"type\":\"Point\",\"c\":[1,2]}",
                 "compact text");
    CHECK(json_print(json_get(j, "missing"), &a) == NULL, "absent prints NULL");
    json_free(j);
    arena_release(&a);
}
