/* Strict numbers from clients (issue 11, item 18): one spelling per value. */
#include <stdint.h>

#include "core/mem.h"
#include "core/num.h"
#include "core/utf8.h"
#include "test.h"

TEST(num_parse_int_strict)
{
    static const struct {
        const char *s;
        int ok;
        int64_t v;
    } rows[] = {
        {"1", 1, 1},   {"0", 1, 0},
        {"-7", 1, -7}, {"9223372036854775807", 1, INT64_MAX},
        {"+1", 0, 0},  {" 1", 0, 0},
        {"1 ", 0, 0},  {"01", 0, 0},
        {"-0", 0, 0},  {"0x1", 0, 0},
        {"1e3", 0, 0}, {"", 0, 0},
        {"-", 0, 0},   {"9223372036854775808", 0, 0},
        {"\t1", 0, 0}, {"1.0", 0, 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        int64_t v = -99;
        int rc = num_parse_int(rows[i].s, &v);
        CHECK_INT_EQ(rc, rows[i].ok ? 0 : -1, "row %zu '%s'", i, rows[i].s);
        if (rows[i].ok)
            CHECK(v == rows[i].v, "row %zu value", i);
        else
            CHECK(v == -99, "row %zu untouched", i);
    }
}

TEST(num_parse_double_strict)
{
    static const struct {
        const char *s;
        int ok;
        double v;
    } rows[] = {
        {"30.25", 1, 30.25}, {"-120", 1, -120}, {"1e2", 1, 100}, {"0.5E-1", 1, 0.05},
        {"0x1p3", 0, 0},     {"+1", 0, 0},      {" 1", 0, 0},    {"1.", 0, 0},
        {".5", 0, 0},        {"inf", 0, 0},     {"nan", 0, 0},   {"1e400", 0, 0},
        {"01", 0, 0},        {"", 0, 0},        {"1,5", 0, 0},   {"-", 0, 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        double v = -99;
        int rc = num_parse_double(rows[i].s, &v);
        CHECK_INT_EQ(rc, rows[i].ok ? 0 : -1, "row %zu '%s'", i, rows[i].s);
        if (rows[i].ok)
            CHECK(v == rows[i].v, "row %zu value", i);
    }
}

TEST(utf8_bidi_and_scrub)
{
    CHECK(utf8_bidi_control_at("plain 中文") == -1, "none");
    CHECK(utf8_bidi_control_at("ab\xe2\x80\xae"
                               "cd") == 2,
          "U+202E");
    CHECK(utf8_bidi_control_at("\xe2\x81\xa6x") == 0, "U+2066");
    CHECK(utf8_bidi_control_at("\xe2\x81\xa9") == 0, "U+2069");
    CHECK(utf8_bidi_control_at("\xe2\x80\x8e") == -1, "U+200E (LRM) is allowed");
    CHECK(utf8_bidi_control_at("\xe2\x80\xaf") == -1, "U+202F is not a control");
    struct arena a;
    arena_init(&a, 0);
    const char *ok = "中文";
    CHECK(utf8_scrub(&a, ok) == ok, "valid text is returned as is");
    CHECK_STR_EQ(utf8_scrub(&a, "a\xffz"), "a\xef\xbf\xbdz", "invalid byte");
    CHECK_STR_EQ(utf8_scrub(&a, "\xe4\xb8"), "\xef\xbf\xbd\xef\xbf\xbd", "truncated sequence");
    arena_release(&a);
}
