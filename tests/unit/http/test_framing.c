#include <string.h>

#include "http/http.h"
#include "test.h"

TEST(framing_decisions)
{
    static const struct {
        const char *cl, *te;
        int http10;
        int status, chunked;
        unsigned long long length;
    } rows[] = {
        {NULL, NULL, 0, 0, 0, 0},
        {"12", NULL, 0, 0, 0, 12},
        {"12, 12", NULL, 0, 0, 0, 12}, /* two equal lines joined */
        {"012", NULL, 0, 0, 0, 12},
        {"12, 13", NULL, 0, 400, 0, 0},
        {"12,", NULL, 0, 0, 0, 12},
        {",", NULL, 0, 400, 0, 0},
        {"+12", NULL, 0, 400, 0, 0},
        {"", NULL, 0, 400, 0, 0},
        {"99999999999999999999", NULL, 0, 400, 0, 0},
        {NULL, "chunked", 0, 0, 1, 0},
        {NULL, "Chunked ", 0, 0, 1, 0},
        {"5", "chunked", 0, 400, 0, 0},
        {NULL, "chunked", 1, 400, 0, 0},
        {NULL, "gzip", 0, 501, 0, 0},
        {NULL, "gzip, chunked", 0, 501, 0, 0},
        {NULL, "chunked, gzip", 0, 501, 0, 0},
        {NULL, "chunked, chunked", 0, 400, 0, 0},
        {NULL, "", 0, 400, 0, 0},
        {NULL, "xchunked", 0, 501, 0, 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct http_framing f;
        int got = http_framing_decide(rows[i].cl, rows[i].te, rows[i].http10, &f);
        CHECK_INT_EQ(got, rows[i].status, "row %zu: %s / %s", i, rows[i].cl ? rows[i].cl : "-",
                     rows[i].te ? rows[i].te : "-");
        if (got == 0) {
            CHECK_INT_EQ(f.chunked, rows[i].chunked, "row %zu", i);
            CHECK(f.length == rows[i].length, "row %zu: length %llu", i,
                  (unsigned long long)f.length);
        }
    }
    CHECK_INT_EQ((int)http_query_count("/a"), 0, "no query");
    CHECK_INT_EQ((int)http_query_count("/a?"), 1, "empty query");
    CHECK_INT_EQ((int)http_query_count("/a?x=1&y=2&&"), 4, "four");
}
