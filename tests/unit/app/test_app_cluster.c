/*
 * Several nodes (src/app/app_cluster.c, src/store/store_listen.c): the messages of the nodes'
 * channel, what the signalling does on SQLite (one process: it leads, nothing listens, a
 * notification is a no-op), and the shared rate window's statement on SQLite. The PostgreSQL
 * side runs between real processes in tests/api/test_multinode.py.
 */
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "auth/auth.h"
#include "core/conf.h"
#include "core/err.h"
#include "core/log.h"
#include "store/store.h"
#include "test.h"

static int ids_of(const char *payload, int64_t *out, int max)
{
    struct app_cluster_msg m;
    int64_t id;
    int n = 0;
    if (app_cluster_msg_parse(payload, &m) < 0)
        return -1;
    while (n < max && app_cluster_msg_next_id(&m.ids, &id))
        out[n++] = id;
    return n;
}

TEST(app_cluster_messages_parse_strictly)
{
    struct app_cluster_msg m;
    int64_t ids[4];
    CHECK_INT_EQ(app_cluster_msg_parse("o 42", &m), 0, "org version");
    CHECK_INT_EQ(m.kind, APP_MSG_ORG, "kind");
    CHECK_INT_EQ(m.node[0], 0, "triggers name no node");
    CHECK_INT_EQ(app_cluster_msg_parse("n 0123456789abcdef 7,8,9", &m), 0, "notifications");
    CHECK_INT_EQ(m.kind, APP_MSG_NOTIFICATIONS, "kind");
    CHECK(strcmp(m.node, "0123456789abcdef") == 0, "node %s", m.node);
    CHECK_INT_EQ(ids_of("c 0123456789abcdef 7,8,9", ids, 4), 3, "three case ids");
    CHECK(ids[0] == 7 && ids[1] == 8 && ids[2] == 9, "ids in order");
    CHECK_INT_EQ(app_cluster_msg_parse("w 0123456789abcdef", &m), 0, "wake");
    CHECK_INT_EQ(m.kind, APP_MSG_WAKE, "kind");
    char s[80];
    snprintf(s, sizeof(s), "s %064d", 0);
    CHECK_INT_EQ(app_cluster_msg_parse(s, &m), 0, "session");
    CHECK(strlen(m.ids) == 64, "the hash");
    static const char *const bad[] = {
        "",
        "o",
        "o ",
        "o x",
        "o 1,2",
        "u -1",
        "s abc",
        "w 0123",
        "w 0123456789ABCDEF",
        "n 0123456789abcdef",
        "n 0123456789abcdef ",
        "n 0123456789abcdef 1,",
        "n 0123456789abcdef ,1",
        "n 0123456789abcdef 1;2",
        "c 0123456789abcdef 1234567890123456789",
        "x 1",
        "o  1",
        "n 0123456789abcdeg 1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_INT_EQ(app_cluster_msg_parse(bad[i], &m), ERR_BAD_REQUEST, "refused: '%s'", bad[i]);
}

TEST(app_cluster_on_sqlite_is_one_process)
{
    char path[512];
    struct store *st;
    struct store_conn *c;
    struct err e = ERR_INIT;
    struct conf cf;
    log_set_level(LOG_WARN);
    conf_defaults(&cf);
    snprintf(path, sizeof(path), "%s/cluster.db", test_tmpdir());
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&st, &o, &e), 0, "open: %s", e.msg);
    CHECK_INT_EQ(store_conn(st, &c, &e), 0, "conn: %s", e.msg);
    CHECK_INT_EQ(store_notify(c, "gridloop", "o 1", &e), 0, "a notification is a no-op");
    struct store_listener *l = (struct store_listener *)&e;
    CHECK_INT_EQ(store_listener_new(st, "gridloop", &l, &e), 0, "listener");
    CHECK(l == NULL, "nothing to listen to on SQLite");
    struct store_leader *lead;
    CHECK_INT_EQ(store_leader_new(st, 1, &lead, &e), 0, "leader");
    CHECK_INT_EQ(store_leader_hold(lead, &e), 1, "the one process leads");
    store_leader_free(lead);

    struct app *app;
    struct app_deps d = {.conf = &cf, .store = st, .clock = clock_real()};
    CHECK_INT_EQ(app_new(&app, &d, &e), 0, "app: %s", e.msg);
    CHECK_INT_EQ(app_is_leader(app), 1, "runs the background jobs from the start");
    CHECK_INT_EQ(app_alone(app), 1, "alone on its database");
    CHECK_INT_EQ(app_start_cluster(app, &e), 0, "nothing to join");
    CHECK(strlen(app_node_id(app)) == 16, "a node id");
    app_free(app);

    /* The shared rate window's statement, on this backend too (portable SQL). */
    int64_t n = 0;
    for (int i = 1; i <= 3; i++) {
        CHECK_INT_EQ(auth_rate_count(c, 1, 5, 1000, &n, &e), 0, "count: %s", e.msg);
        CHECK_INT_EQ(n, i, "counted in this minute");
    }
    CHECK_INT_EQ(auth_rate_count(c, 1, 6, 1000, &n, &e), 0, "another client");
    CHECK_INT_EQ(n, 1, "its own window");
    CHECK_INT_EQ(auth_rate_count(c, 1, 5, 1001, &n, &e), 0, "next minute");
    CHECK_INT_EQ(n, 1, "starts again");
    store_close(st);
    conf_release(&cf);
}
