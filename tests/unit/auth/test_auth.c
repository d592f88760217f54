#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"
#include "test.h"

TEST(auth_roles_parse_and_format)
{
    static const struct {
        const char *in;
        int ok;
        const char *canon;
    } rows[] = {
        {"admin", 1, "admin"},
        {"handler,operator", 1, "operator,handler"},
        {"citizen,citizen", 1, "citizen"},
        {"grid_worker,data_officer,supervisor", 1, "grid_worker,supervisor,data_officer"},
        {"root", 0, ""},
        {"", 0, ""},
        {"admin,", 1, "admin"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        unsigned m = 0;
        struct err e = ERR_INIT;
        char out[128];
        int rc = auth_roles_parse(rows[i].in, &m, &e);
        CHECK_INT_EQ(rc == 0, rows[i].ok, "row %zu: %s", i, rows[i].in);
        if (rc == 0) {
            auth_roles_format(m, out, sizeof(out));
            CHECK_STR_EQ(out, rows[i].canon, "row %zu", i);
        } else {
            CHECK_STR_EQ(e.field, "roles", "row %zu", i);
        }
    }
}

TEST(auth_password_and_token_round_trip)
{
    char hash[256], token[44], th[65], th2[65];
    struct err e = ERR_INIT;
    CHECK(sodium_init() >= 0, "libsodium initialises");
    CHECK_INT_EQ(auth_password_hash("correct horse", hash, sizeof(hash), &e), 0, "hash");
    CHECK(strncmp(hash, "$argon2id$", 10) == 0, "argon2id format: %s", hash);
    CHECK_INT_EQ(auth_password_verify(hash, "correct horse"), 1, "right password");
    CHECK_INT_EQ(auth_password_verify(hash, "correct horsE"), 0, "wrong password");
    auth_token_new(token);
    CHECK_INT_EQ(strlen(token), 43, "token length");
    auth_token_hash(token, th);
    auth_token_hash(token, th2);
    CHECK_STR_EQ(th, th2, "hash stable");
    CHECK(strstr(th, token) == NULL, "hash is not the token");
    CHECK_INT_EQ(auth_password_check("short", &e), ERR_BAD_REQUEST, "too short");
}

static struct store *open_db(const char *name)
{
    char path[512];
    struct store *st = NULL;
    struct err e = ERR_INIT;
    log_set_level(LOG_WARN);
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&st, &o, &e), 0, "open: %s", e.msg);
    return st;
}

static int64_t add_user(struct store *st, const char *name, const char *pw)
{
    struct store_conn *c;
    struct err e = ERR_INIT;
    int64_t id = 0;
    struct auth_user_input in = {.name = name, .password = pw, .roles = ROLE_OPERATOR};
    store_conn(st, &c, &e);
    store_begin(c, &e);
    CHECK_INT_EQ(auth_user_create(c, &in, 100, &id, &e), 0, "create %s: %s", name, e.msg);
    store_commit(c, &e);
    return id;
}

static int login(struct auth *a, const char *name, const char *pw, const char *ip,
                 const char *device, int64_t now, struct arena *ar, struct auth_session *s,
                 int *retry, struct err *e)
{
    struct auth_attempt who = {name, ip, device};
    return auth_login(a, &who, pw, now, ar, s, retry, e);
}

TEST(auth_session_expiry_and_logout)
{
    struct store *st = open_db("sess.db");
    struct auth *a;
    struct err e = ERR_INIT;
    struct arena ar;
    struct auth_session s, got;
    int retry;
    struct auth_limits lim = {
        .session_ttl = 3600, .max_user_failures = 3, .max_ip_failures = 10, .window = 600};
    CHECK(sodium_init() >= 0, "libsodium initialises");
    arena_init(&ar, 1024);
    add_user(st, "alice", "password-1");
    CHECK_INT_EQ(auth_new(&a, st, &lim, NULL, &e), 0, "auth_new");
    CHECK_INT_EQ(login(a, "alice", "password-1", "10.0.0.1", NULL, 1000, &ar, &s, &retry, &e), 0,
                 "login: %s", e.msg);
    CHECK_INT_EQ(s.expires_at, 1000 + 3600, "expiry");
    CHECK_INT_EQ(auth_session_get(a, s.token, 2000, &ar, &got, &e), 0, "lookup");
    CHECK_STR_EQ(got.user.name, "alice", "user");
    CHECK_STR_EQ(got.csrf, s.csrf, "csrf kept");
    CHECK_INT_EQ(auth_session_get(a, s.token, 1000 + 3600, &ar, &got, &e), ERR_UNAUTHORIZED,
                 "expired at ttl");
    CHECK_INT_EQ(auth_session_get(a, "nonsense", 2000, &ar, &got, &e), ERR_UNAUTHORIZED,
                 "bad token");
    CHECK_INT_EQ(auth_logout(a, s.token, &e), 0, "logout");
    CHECK_INT_EQ(auth_session_get(a, s.token, 2000, &ar, &got, &e), ERR_UNAUTHORIZED,
                 "after logout");
    auth_free(a);
    arena_release(&ar);
    store_close(st);
}

TEST(auth_login_throttling)
{
    struct store *st = open_db("throttle.db");
    struct auth *a;
    struct err e = ERR_INIT;
    struct arena ar;
    struct auth_session s;
    int retry = 0;
    struct auth_limits lim = {.session_ttl = 3600,
                              .max_user_failures = 3,
                              .max_ip_failures = 5,
                              .window = 600,
                              .backoff = 60};
    char device[44];
    CHECK(sodium_init() >= 0, "libsodium initialises");
    arena_init(&ar, 1024);
    add_user(st, "bob", "password-2");
    auth_new(&a, st, &lim, NULL, &e);
    /* The owner logs in once: their browser gets a device token. */
    CHECK_INT_EQ(login(a, "bob", "password-2", "10.0.0.1", NULL, 900, &ar, &s, &retry, &e), 0,
                 "first login: %s", e.msg);
    CHECK_INT_EQ((int)strlen(s.device), 43, "device token issued");
    memcpy(device, s.device, sizeof(device));
    for (int i = 0; i < 3; i++)
        CHECK_INT_EQ(login(a, "bob", "wrong", "10.0.0.2", NULL, 1000 + i, &ar, &s, &retry, &e),
                     ERR_UNAUTHORIZED, "failure %d", i);
    CHECK_INT_EQ(login(a, "bob", "password-2", "10.0.0.3", NULL, 1010, &ar, &s, &retry, &e),
                 ERR_THROTTLED, "unknown device refused while throttled");
    CHECK(retry > 0 && retry <= 60, "retry-after %d", retry);
    CHECK_INT_EQ(login(a, "bob", "password-2", "10.0.0.3", device, 1010, &ar, &s, &retry, &e), 0,
                 "the owner's device is let in: %s", e.msg);
    CHECK_STR_EQ(s.device, "", "known device: no new token");
    /* Backoff: after it passes one more try is allowed; a further failure doubles it. */
    CHECK_INT_EQ(login(a, "bob", "wrong", "10.0.0.2", NULL, 1002 + 61, &ar, &s, &retry, &e),
                 ERR_UNAUTHORIZED, "one more try after the backoff");
    CHECK_INT_EQ(login(a, "bob", "wrong", "10.0.0.2", NULL, 1064, &ar, &s, &retry, &e),
                 ERR_THROTTLED, "doubled");
    CHECK(retry > 60 && retry <= 120, "retry-after doubled: %d", retry);
    CHECK_INT_EQ(login(a, "bob", "password-2", "10.0.0.3", NULL, 1063 + 601, &ar, &s, &retry, &e),
                 0, "window passed: %s", e.msg);
    /* A device that sends too many wrong passwords is trusted no more. */
    for (int i = 0; i < 3; i++)
        login(a, "bob", "wrong", "10.0.0.5", device, 3000 + i, &ar, &s, &retry, &e);
    CHECK_INT_EQ(login(a, "bob", "password-2", "10.0.0.5", device, 3010, &ar, &s, &retry, &e),
                 ERR_THROTTLED, "guessing device throttled");
    /* Per-address limit: different names from one address. */
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof(name), "nobody%d", i);
        login(a, name, "x", "10.9.9.9", NULL, 5000, &ar, &s, &retry, &e);
    }
    CHECK_INT_EQ(login(a, "bob", "password-2", "10.9.9.9", NULL, 5001, &ar, &s, &retry, &e),
                 ERR_THROTTLED, "address throttled");
    CHECK_INT_EQ(login(a, "bob", "password-2", "10.0.0.4", NULL, 5001, &ar, &s, &retry, &e), 0,
                 "other address fine: %s", e.msg);
    auth_free(a);
    arena_release(&ar);
    store_close(st);
}
