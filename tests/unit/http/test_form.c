/* application/x-www-form-urlencoded: Open311 client bodies, encodings and hostile input. */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "http/http.h"
#include "test.h"

TEST(form_parse_pairs)
{
    static const struct {
        const char *body;
        int rc;
        const char *want; /* "name=value|..." after decoding, or the error field */
    } rows[] = {
        {"api_key=xyz&service_code=001", 0, "api_key=xyz|service_code=001|"},
        {"address_string=1234+5th+street&x=a%2Bb", 0, "address_string=1234 5th street|x=a+b|"},
        {"media_url=http%3A%2F%2Fexample.com%2Fa.jpg", 0, "media_url=http://example.com/a.jpg|"},
        {"description=%E4%BA%95%E7%9B%96%E7%BC%BA%E5%A4%B1", 0, "description=井盖缺失|"},
        {"attribute%5BWHISPAWN%5D=123&attribute[WHISDORN]=C", 0,
         "attribute[WHISPAWN]=123|attribute[WHISDORN]=C|"},
        {"attribute[M][]=a&attribute[M][]=b", 0, "attribute[M][]=a|attribute[M][]=b|"},
        {"a=1&&b=&c&", 0, "a=1|b=|c=|"},
        {"", 0, ""},
        {"a=b=c", 0, "a=b=c|"},
        {"a=%zz", ERR_BAD_REQUEST, "a"},
        {"a=%2", ERR_BAD_REQUEST, "a"},
        {"a=%00", ERR_BAD_REQUEST, "a"},
        {"a=%C3%28", ERR_BAD_REQUEST, "a"},
        {"%ff=1", ERR_BAD_REQUEST, "form"},
        {"=1", ERR_BAD_REQUEST, "form"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct arena a;
        struct http_form f;
        struct err e = ERR_INIT;
        arena_init(&a, 256);
        int rc = http_form_parse(rows[i].body, strlen(rows[i].body), &a, &f, &e);
        CHECK_INT_EQ(rc, rows[i].rc, "row %zu '%s': %s", i, rows[i].body, e.msg);
        if (rc == 0) {
            char got[512] = "";
            for (size_t k = 0; k < f.n; k++)
                snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s=%s|", f.fields[k].name,
                         f.fields[k].value);
            CHECK_STR_EQ(got, rows[i].want, "row %zu", i);
        } else {
            CHECK_STR_EQ(e.field, rows[i].want, "row %zu field", i);
        }
        arena_release(&a);
    }
}

TEST(form_get_and_count)
{
    struct arena a;
    struct http_form f;
    struct err e = ERR_INIT;
    const char *body = "m=1&x=2&m=3";
    arena_init(&a, 256);
    CHECK_INT_EQ(http_form_parse(body, strlen(body), &a, &f, &e), 0, "%s", e.msg);
    CHECK_STR_EQ(http_form_get(&f, "m"), "1", "first value wins");
    CHECK(http_form_get(&f, "y") == NULL, "absent is NULL");
    CHECK_INT_EQ((int)http_form_count(&f, "m"), 2, "repeats counted");
    CHECK_INT_EQ((int)http_form_count(&f, "y"), 0, "absent counted 0");
    arena_release(&a);
}

TEST(form_field_limit)
{
    struct arena a;
    struct http_form f;
    struct err e = ERR_INIT;
    char body[HTTP_FORM_MAX_FIELDS * 5 + 64] = "";
    arena_init(&a, 4096);
    for (int i = 0; i < HTTP_FORM_MAX_FIELDS; i++)
        strcat(body, "a=1&&");
    CHECK_INT_EQ(http_form_parse(body, strlen(body), &a, &f, &e), 0, "empty pairs do not count: %s",
                 e.msg);
    CHECK_INT_EQ((int)f.n, HTTP_FORM_MAX_FIELDS, "all fields kept");
    strcat(body, "b=2");
    CHECK_INT_EQ(http_form_parse(body, strlen(body), &a, &f, &e), ERR_BAD_REQUEST,
                 "one field over the limit");
    arena_release(&a);
}

TEST(form_content_type)
{
    CHECK(http_form_content_type("application/x-www-form-urlencoded"), "plain");
    CHECK(http_form_content_type("Application/X-WWW-Form-Urlencoded; charset=utf-8"),
          "case and charset");
    CHECK(!http_form_content_type("application/x-www-form-urlencodedX"), "longer type");
    CHECK(!http_form_content_type("application/json"), "json");
    CHECK(!http_form_content_type(NULL), "absent");
}

/* A raw NUL (not %00) in the body would silently cut the value short (issue 11, item 18). */
TEST(form_raw_nul_refused)
{
    static const char body[] = "description=abc\0def&service_code=001";
    struct arena a;
    struct http_form f;
    struct err e = ERR_INIT;
    arena_init(&a, 256);
    CHECK_INT_EQ(http_form_parse(body, sizeof(body) - 1, &a, &f, &e), ERR_BAD_REQUEST, "%s", e.msg);
    CHECK(strstr(e.msg, "NUL") != NULL, "%s", e.msg);
    arena_release(&a);
}
