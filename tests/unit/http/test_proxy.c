#include <string.h>

#include "core/err.h"
#include "http/http.h"
#include "test.h"

TEST(proxy_list_parse)
{
    struct http_proxies *p;
    struct err err = ERR_INIT;
    CHECK_INT_EQ(http_proxies_new(&p, "", NULL, &err), 0, "empty list");
    CHECK(p == NULL, "an empty list trusts no one");
    CHECK_INT_EQ(http_proxies_trust(p, "127.0.0.1"), 0, "nobody trusted");
    static const char *const bad[] = {"10.0.0.0/33", "10.0.0.1/",   "fd00::/129",
                                      "localhost",   "10.0.0.0/8x", "1.2.3"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        err_clear(&err);
        CHECK_INT_EQ(http_proxies_new(&p, bad[i], NULL, &err), ERR_BAD_REQUEST, "%s", bad[i]);
        CHECK_STR_EQ(err.field, "trusted_proxies", "%s", bad[i]);
    }
    err_clear(&err);
    CHECK_INT_EQ(http_proxies_new(&p, "10.0.0.1", "via", &err), ERR_BAD_REQUEST, "bad header");
    CHECK_STR_EQ(err.field, "trusted_proxy_header", "bad header");
    err_clear(&err);
    CHECK_INT_EQ(http_proxies_new(&p, "10.0.0.0/8, 192.168.1.1 fd00::/8,::1", NULL, &err), 0, "%s",
                 err.msg);
    CHECK_INT_EQ(http_proxies_trust(p, "10.200.3.4"), 1, "in /8");
    CHECK_INT_EQ(http_proxies_trust(p, "::ffff:10.200.3.4"), 1, "mapped v4 in /8");
    CHECK_INT_EQ(http_proxies_trust(p, "11.0.0.1"), 0, "outside");
    CHECK_INT_EQ(http_proxies_trust(p, "192.168.1.1"), 1, "single");
    CHECK_INT_EQ(http_proxies_trust(p, "192.168.1.2"), 0, "single, not its neighbour");
    CHECK_INT_EQ(http_proxies_trust(p, "fd12::5"), 1, "v6 prefix");
    CHECK_INT_EQ(http_proxies_trust(p, "::1"), 1, "v6 single");
    CHECK_INT_EQ(http_proxies_trust(p, "::2"), 0, "v6 neighbour");
    http_proxies_free(p);
}

TEST(proxy_client_xff)
{
    struct http_proxies *p;
    struct err err = ERR_INIT;
    CHECK_INT_EQ(http_proxies_new(&p, "10.0.0.0/8 ::1", "X-Forwarded-For", &err), 0, "%s", err.msg);
    static const struct {
        const char *xff, *proto;
        const char *want; /* NULL: the peer stays the client */
        int https;
    } rows[] = {
        {"203.0.113.7", "https", "203.0.113.7", 1},
        /* The client wrote the left part; our proxies the right. */
        {"1.1.1.1, 203.0.113.7, 10.0.0.2", "http", "203.0.113.7", 0},
        {"1.1.1.1,203.0.113.7:5555", NULL, "203.0.113.7", 0},
        {"[2001:db8::1]:80", "HTTPS", "2001:db8::1", 1},
        {"2001:db8::2", "http, https", "2001:db8::2", 1},
        /* Every hop is ours: the leftmost is the client. */
        {"10.1.1.1, 10.0.0.2", NULL, "10.1.1.1", 0},
        /* What is not an address ends the walk. */
        {"203.0.113.7, unknown", NULL, NULL, 0},
        {"", NULL, NULL, 0},
        {" , ,", NULL, NULL, 0},
        {"203.0.113.7\r\n", NULL, NULL, 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        char ip[64] = "";
        int https = 0;
        int got = http_proxy_client(p, rows[i].xff, rows[i].proto, ip, sizeof(ip), &https);
        CHECK_INT_EQ(got, rows[i].want != NULL, "row %zu: %s", i, rows[i].xff);
        if (got) {
            CHECK_STR_EQ(ip, rows[i].want, "row %zu", i);
            CHECK_INT_EQ(https, rows[i].https, "row %zu", i);
        }
    }
    http_proxies_free(p);
}

TEST(proxy_client_forwarded)
{
    struct http_proxies *p;
    struct err err = ERR_INIT;
    CHECK_INT_EQ(http_proxies_new(&p, "10.0.0.0/8", "forwarded", &err), 0, "%s", err.msg);
    static const struct {
        const char *fwd;
        const char *want;
        int https;
    } rows[] = {
        {"for=203.0.113.7;proto=https", "203.0.113.7", 1},
        {"for=1.1.1.1, for=\"[2001:db8:cafe::17]:4711\";proto=http;by=10.0.0.1",
         "2001:db8:cafe::17", 0},
        {"For=\"203.0.113.7:80\";Proto=HTTPS, for=10.0.0.3", "203.0.113.7", 1},
        {"for=unknown", NULL, 0},
        {"for=_hidden, for=10.0.0.3", NULL, 0},
        {"proto=https", NULL, 0},
        {"for=\"1.2.3.4;x\"", NULL, 0},
        {"for", NULL, 0},
        {"for=\"", NULL, 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        char ip[64] = "";
        int https = 0;
        int got = http_proxy_client(p, rows[i].fwd, NULL, ip, sizeof(ip), &https);
        CHECK_INT_EQ(got, rows[i].want != NULL, "row %zu: %s", i, rows[i].fwd);
        if (got) {
            CHECK_STR_EQ(ip, rows[i].want, "row %zu", i);
            CHECK_INT_EQ(https, rows[i].https, "row %zu", i);
        }
    }
    http_proxies_free(p);
}
