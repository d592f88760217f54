/* RFC 8259 strictness (issue 11, item 18): what cJSON alone would take and the RFC forbids. */
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/utf8.h"
#include "json/json.h"
#include "test.h"

TEST(json_strict_rfc8259)
{
    static const struct {
        const char *body;
        int ok;
        const char *field; /* the member named in the error */
    } rows[] = {
        /* control characters: raw inside a string is refused, escaped is fine */
        {"{\"title\":\"a\x01"
         "b\"}",
         0, "title"},
        {"{\"title\":\"a\tb\"}", 0, "title"},
        {"{\"title\":\"a\nb\"}", 0, "title"},
        {"{\"a\":{\"note\":\"x\x1f\"}}", 0, "note"},
        {"{\"title\":\"a\\tb\\n\\u0001\"}", 1, ""},
        {"{\"title\":\"a\\u0000b\"}", 0, "title"},
        {"{\"title\":\"\\x41\"}", 0, "title"},
        {"{\"title\":\"\\ud800\"}", 0, "title"},
        {"{\"title\":\"\\udc00\\ud800\"}", 0, "title"},
        {"{\"title\":\"\\ud83d\\ude00\"}", 1, ""},
        /* numbers exactly as the grammar says */
        {"{\"id\":1}", 1, ""},
        {"{\"id\":-0.5e-3}", 1, ""},
        {"{\"id\":0}", 1, ""},
        {"{\"id\":+1}", 0, "id"},
        {"{\"id\":01}", 0, "id"},
        {"{\"id\":1.}", 0, "id"},
        {"{\"id\":-.5}", 0, "id"},
        {"{\"id\":.5}", 0, "id"},
        {"{\"id\":0x10}", 0, "id"},
        {"{\"id\":1e}", 0, "id"},
        {"{\"id\":1E+}", 0, "id"},
        {"{\"id\":NaN}", 0, "id"},
        {"{\"id\":Infinity}", 0, "id"},
        {"{\"id\":-}", 0, "id"},
        {"[1,2,]", 0, ""},
        {"{\"a\":1,}", 0, ""},
        {"{'a':1}", 0, ""},
        {"{\"a\" 1}", 0, "a"},
        {"tru", 0, ""},
        {"\"x\"", 1, ""},
        {" null ", 1, ""},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct err e = ERR_INIT;
        json_t *j = NULL;
        int rc = json_parse(rows[i].body, strlen(rows[i].body), &j, &e);
        if (rc == 0)
            json_free(j);
        CHECK_INT_EQ(rc, rows[i].ok ? 0 : ERR_BAD_REQUEST, "row %zu: %s -> %s", i, rows[i].body,
                     e.msg);
        CHECK_STR_EQ(e.field, rows[i].field, "row %zu: %s", i, e.msg);
        if (!rows[i].ok)
            CHECK(strstr(e.msg, "at byte") != NULL, "row %zu names the position: %s", i, e.msg);
    }
}

TEST(json_writer_replaces_invalid_utf8)
{
    struct buf b;
    buf_init(&b);
    buf_json_str(&b, "a\xff"
                     "b\xe4\xb8"
                     "c\xe4\xb8\xad\xed\xa0\x80");
    CHECK_STR_EQ(b.p, "\"a\\ufffdb\\ufffd\\ufffdc中\\ufffd\\ufffd\\ufffd\"", "replaced");
    CHECK(utf8_invalid_at(b.p, b.len) < 0, "valid UTF-8");
    buf_release(&b);
}
