#include <string.h>

#include "core/mem.h"
#include "http/http.h"
#include "test.h"

TEST(route_matching)
{
    static const struct {
        const char *pattern, *path;
        int want;
        const char *param;
    } rows[] = {
        {"/api/v1/users", "/api/v1/users", 1, NULL},
        {"/api/v1/users", "/api/v1/users/", 0, NULL},
        {"/api/v1/users/{id}", "/api/v1/users/12", 1, "12"},
        {"/api/v1/users/{id}", "/api/v1/users/", 0, NULL},
        {"/api/v1/users/{id}", "/api/v1/users/12/x", 0, NULL},
        {"/api/v1/users/{id}/password", "/api/v1/users/7/password", 1, "7"},
        {"/api/v1/calendar/days/{day}", "/api/v1/calendar/days/2026-10-01", 1, "2026-10-01"},
        {"/api/v1/x/{id}", "/api/v1/x/市", 1, "市"},
        /* The server hands over decoded paths; a '%' left in one is literal, never decoded again. */
        {"/api/v1/x/{id}", "/api/v1/x/%2531", 1, "%2531"},
        {"/healthz", "/healthzz", 0, NULL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct arena a;
        struct http_req req;
        memset(&req, 0, sizeof(req));
        arena_init(&a, 256);
        req.arena = &a;
        int got = http_route_match(&req, rows[i].pattern, rows[i].path);
        CHECK_INT_EQ(got, rows[i].want, "row %zu: %s vs %s", i, rows[i].pattern, rows[i].path);
        if (got && rows[i].param)
            CHECK_STR_EQ(req.params[0], rows[i].param, "row %zu", i);
        arena_release(&a);
    }
}

TEST(url_decode)
{
    struct arena a;
    arena_init(&a, 256);
    CHECK_STR_EQ(http_url_decode(&a, "a+b%20c", 7, 1), "a b c", "form style");
    CHECK_STR_EQ(http_url_decode(&a, "a+b", 3, 0), "a+b", "path style keeps plus");
    CHECK(http_url_decode(&a, "%4", 2, 0) == NULL, "truncated escape");
    CHECK(http_url_decode(&a, "%", 1, 0) == NULL, "lone percent");
    arena_release(&a);
}
