#include "core/err.h"
#include "test.h"

TEST(err_mapping_table)
{
    static const struct {
        int code;
        int http;
        const char *name;
    } rows[] = {
        {ERR_BAD_REQUEST, 400, "bad_request"},
        {ERR_UNAUTHORIZED, 401, "unauthorized"},
        {ERR_FORBIDDEN, 403, "forbidden"},
        {ERR_NOT_FOUND, 404, "not_found"},
        {ERR_METHOD, 405, "method_not_allowed"},
        {ERR_CONFLICT, 409, "conflict"},
        {ERR_TOO_LARGE, 413, "payload_too_large"},
        {ERR_MEDIA_TYPE, 415, "unsupported_media_type"},
        {ERR_THROTTLED, 429, "too_many_requests"},
        {ERR_STORE, 500, "store_error"},
        {ERR_INTERNAL, 500, "internal"},
        {ERR_UNAVAILABLE, 503, "unavailable"},
        {-999, 500, "internal"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        CHECK_INT_EQ(err_http_status(rows[i].code), rows[i].http, "row %zu", i);
        CHECK_STR_EQ(err_code_name(rows[i].code), rows[i].name, "row %zu", i);
    }
}

TEST(err_set_returns_code_and_fills)
{
    struct err e = ERR_INIT;
    CHECK_INT_EQ(err_field(&e, ERR_BAD_REQUEST, "name", "field '%s' is bad", "name"),
                 ERR_BAD_REQUEST, "returns code");
    CHECK_STR_EQ(e.msg, "field 'name' is bad", "message");
    CHECK_STR_EQ(e.field, "name", "field");
    CHECK_INT_EQ(err_set(NULL, ERR_CONFLICT, "x"), ERR_CONFLICT, "NULL err accepted");
    err_clear(&e);
    CHECK_INT_EQ(e.code, 0, "cleared");
}

/* Wrapping an error in context passes its own message (and field) back in. */
TEST(err_set_may_wrap_its_own_message)
{
    struct err e = ERR_INIT;
    err_field(&e, ERR_UNAVAILABLE, "db", "server closed the connection unexpectedly");
    err_set(&e, ERR_UNAVAILABLE, "database unavailable: %s", e.msg);
    CHECK_STR_EQ(e.msg, "database unavailable: server closed the connection unexpectedly",
                 "wrapped");
    err_field(&e, ERR_BAD_REQUEST, e.field, "again: %s (%s)", e.msg, e.field);
    CHECK_STR_EQ(e.msg, "again: database unavailable: server closed the connection unexpectedly ()",
                 "wrapped twice");
}
