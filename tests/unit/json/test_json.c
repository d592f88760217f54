#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "json/json.h"
#include "test.h"

static const struct json_field fields[] = {
    {"name", JT_STRING, JF_REQUIRED, 1, 5},
    {"age", JT_INT, 0, 0, 150},
    {"score", JT_NUMBER, 0, 0, 0},
    {"ok", JT_BOOL, 0, 0, 0},
    {"tags", JT_ARRAY_STRING, 0, 0, 2},
    {"ids", JT_ARRAY_INT, 0, 0, 0},
    {"note", JT_STRING, JF_NULLABLE, 0, 0},
    {NULL, 0, 0, 0, 0},
};

TEST(json_parse_and_check_table)
{
    static const struct {
        const char *body;
        int want;
        const char *field;
    } rows[] = {
        {"{\"name\":\"张三\"}", 0, ""},
        {"{\"name\":\"a\",\"age\":3,\"score\":1.5,\"ok\":true,\"tags\":[\"x\"],\"ids\":[1,2],\"note\":null}", 0, ""},
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
        {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", ERR_BAD_REQUEST, ""},
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
    CHECK_INT_EQ(json_parse("{\"a\":\"b\"}\0x", 11, &j, &e), ERR_BAD_REQUEST, "NUL inside the body");
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
    CHECK_STR_EQ(w.b.p, "{\"s\":\"市\\\"\",\"i\":-5,\"d\":30.2,\"a\":[1,{},null],\"b\":true,\"t\":null}", "output");
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
        {0, "[0]"}, {7, "[7]"}, {-10, "[-10]"}, {9007199254740993, "[9007199254740993]"},
        {INT64_MAX, "[9223372036854775807]"}, {INT64_MIN, "[-9223372036854775808]"},
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
        {30.2, "[30.2]"}, {0.1 + 0.2, "[0.30000000000000004]"}, {-120.125, "[-120.125]"}, {1e300, "[1e+300]"},
        {0.8719, "[0.8719]"}, {1.0 / 3.0, "[0.33333333333333331]"},
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
