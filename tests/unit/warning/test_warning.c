/*
 * Warnings over the region tree: a warning is "in" a region when it lies on it or on a region
 * above it, and a new warning tells the active supervisors of its region and of the regions
 * above it (or all supervisors, when none is bound there). Both follow the regions' parents
 * (src/warning/warning.c, REGION_AND_ABOVE) down to a micro-grid, five levels. A real store:
 * SQLite, and PostgreSQL when GRIDLOOP_TEST_PG is set.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "org/org.h"
#include "store/store.h"
#include "test.h"
#include "warning/warning.h"

#define T0 1790236800

struct fixture {
    struct store *st;
    struct store_conn *c;
    int64_t district, street1, street2, community1, grid1, micro1;
    int64_t sup_district, sup_street1, sup_street2, sup_off, worker;
};

static int64_t region(struct fixture *f, const char *code, enum org_region_level level,
                      int64_t parent)
{
    struct err e = ERR_INIT;
    int64_t id = 0;
    struct org_region_in in = {code, code, level, parent, NULL};
    CHECK_INT_EQ(org_region_create(f->c, &in, 1, &id, &e), 0, "region %s: %s", code, e.msg);
    return id;
}

static int64_t user(struct fixture *f, const char *name, unsigned roles, const char *region_code)
{
    struct err e = ERR_INIT;
    int64_t id = 0;
    struct auth_user_input in = {
        .name = name, .password = "tester-pass", .roles = roles, .region_code = region_code};
    CHECK_INT_EQ(auth_user_create(f->c, &in, 1, &id, &e), 0, "user %s: %s", name, e.msg);
    return id;
}

/* A name "pg:NAME" is a database NAME of its own on GRIDLOOP_TEST_PG's server. */
static void setup(struct fixture *f, const char *name)
{
    char path[512];
    struct err e = ERR_INIT;
    memset(f, 0, sizeof(*f));
    log_set_level(LOG_WARN);
    CHECK(sodium_init() >= 0, "libsodium");
    test_db_path(name, path, sizeof(path));
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&f->st, &o, &e), 0, "open: %s", e.msg);
    CHECK_INT_EQ(store_conn(f->st, &f->c, &e), 0, "conn: %s", e.msg);
    f->district = region(f, "330100", ORG_REGION_DISTRICT, 0);
    f->street1 = region(f, "330100001", ORG_REGION_STREET, f->district);
    f->street2 = region(f, "330100002", ORG_REGION_STREET, f->district);
    f->community1 = region(f, "330100001001", ORG_REGION_COMMUNITY, f->street1);
    f->grid1 = region(f, "33010000100101", ORG_REGION_GRID, f->community1);
    f->micro1 = region(f, "33010000100101.1", ORG_REGION_MICRO, f->grid1);
    f->sup_district = user(f, "sup_district", ROLE_SUPERVISOR, "330100");
    f->sup_street1 = user(f, "sup_street1", ROLE_SUPERVISOR | ROLE_DISPATCHER, "330100001");
    f->sup_street2 = user(f, "sup_street2", ROLE_SUPERVISOR, "330100002");
    f->sup_off = user(f, "sup_off", ROLE_SUPERVISOR, "330100001001");
    f->worker = user(f, "worker", ROLE_GRID_WORKER, "33010000100101");
    CHECK_INT_EQ(store_run(f->c, "UPDATE users SET active = 0 WHERE id = ?",
                           STORE_ARGS(store_i64(f->sup_off)), &e),
                 1, "deactivate: %s", e.msg);
}

static int64_t raise_one(struct fixture *f, enum warning_kind kind, int64_t region_id,
                         const char *key)
{
    struct err e = ERR_INIT;
    struct warning_in in = {.kind = kind,
                            .level = WL_MEDIUM,
                            .group_key = key,
                            .title = "测试预警",
                            .evidence = "证据",
                            .region_id = region_id};
    int64_t id = 0;
    enum warning_outcome out;
    CHECK_INT_EQ(warning_raise(f->c, &in, T0, &id, &out, &e), 0, "raise %s: %s", key, e.msg);
    CHECK_INT_EQ(out, WARNING_NEW, "%s is new", key);
    return id;
}

/* The open warning warning_open_in() finds for 'region_id', 0 for none. */
static int64_t open_in(struct fixture *f, enum warning_kind kind, int64_t region_id)
{
    struct err e = ERR_INIT;
    int64_t id = -1;
    CHECK_INT_EQ(warning_open_in(f->c, kind, region_id, &id, &e), 0, "open_in: %s", e.msg);
    return id;
}

/* Who a warning raised in 'region_id' told: the users' ids in order, 0 for "all supervisors". */
static void told(struct fixture *f, int64_t region_id, const char *key, int64_t *ids, int *n)
{
    struct err e = ERR_INIT;
    int64_t before = 0;
    CHECK_INT_EQ(store_one_i64(f->c, "SELECT coalesce(max(id), 0) FROM notifications",
                               STORE_NO_ARGS, &before, &e),
                 1, "max: %s", e.msg);
    raise_one(f, WK_RISK, region_id, key);
    struct store_stmt *s;
    CHECK_INT_EQ(store_prepare(f->c,
                               "SELECT coalesce(recipient_id, 0), recipient_kind FROM notifications"
                               " WHERE id > ? AND kind = 'warning' ORDER BY recipient_id",
                               STORE_ARGS(store_i64(before)), &s, &e),
                 0, "select: %s", e.msg);
    *n = 0;
    int rc;
    while ((rc = store_step(s, &e)) == 1 && *n < 8) {
        ids[*n] = store_col_int(s, 0);
        CHECK_STR_EQ(store_col_text(s, 1), ids[*n] ? "user" : "supervisors", "recipient kind");
        (*n)++;
    }
    CHECK_INT_EQ(rc, 0, "step: %s", e.msg);
    store_done(s);
}

static void region_tree_on(const char *db)
{
    struct fixture f;
    struct err e = ERR_INIT;
    setup(&f, db);
    /* A spike on street 1 is in every region below it, to the micro-grid, and in no other. */
    CHECK_INT_EQ(open_in(&f, WK_SPIKE, f.micro1), 0, "nothing open yet");
    int64_t spike = raise_one(&f, WK_SPIKE, f.street1, "spike:1");
    int64_t below[] = {f.street1, f.community1, f.grid1, f.micro1};
    for (size_t i = 0; i < ARRAY_SIZE(below); i++)
        CHECK_INT_EQ(open_in(&f, WK_SPIKE, below[i]), spike, "region %zu under the spike", i);
    CHECK_INT_EQ(open_in(&f, WK_SPIKE, f.street2), 0, "a sister street");
    CHECK_INT_EQ(open_in(&f, WK_SPIKE, f.district), 0, "the district above it");
    CHECK_INT_EQ(open_in(&f, WK_REPEAT, f.micro1), 0, "another kind");
    /* On the district it is in every region, to the micro-grid five levels down; once
     * dismissed, in none. */
    int64_t wide = raise_one(&f, WK_DEVICE_OFFLINE, f.district, "offline:district");
    CHECK_INT_EQ(open_in(&f, WK_DEVICE_OFFLINE, f.street2), wide, "the district's warning");
    CHECK_INT_EQ(open_in(&f, WK_DEVICE_OFFLINE, f.micro1), wide, "five levels down");
    /* The nearest region's warning comes first, whatever was raised before it. */
    int64_t near = raise_one(&f, WK_DEVICE_OFFLINE, f.grid1, "offline:grid1");
    CHECK_INT_EQ(open_in(&f, WK_DEVICE_OFFLINE, f.micro1), near,
                 "the grid's before the district's");
    CHECK_INT_EQ(open_in(&f, WK_DEVICE_OFFLINE, f.street2), wide,
                 "a sister street: the district's");
    CHECK_INT_EQ(warning_dismiss(f.c, near, f.sup_district, "测试", T0, &e), 0, "dismiss: %s",
                 e.msg);
    CHECK_INT_EQ(warning_dismiss(f.c, wide, f.sup_district, "测试", T0, &e), 0, "dismiss: %s",
                 e.msg);
    CHECK_INT_EQ(open_in(&f, WK_DEVICE_OFFLINE, f.micro1), 0, "dismissed");
    CHECK_INT_EQ(warning_acknowledge(f.c, spike, f.sup_street1, T0, &e), 0, "ack: %s", e.msg);
    CHECK_INT_EQ(open_in(&f, WK_SPIKE, f.micro1), spike, "acknowledged is still open");

    /* A new warning tells the active supervisors at and above its region, not a sister
     * street's, not an inactive one, not a grid worker. */
    int64_t ids[8];
    int n;
    told(&f, f.micro1, "risk:micro", ids, &n);
    int64_t want[] = {f.sup_district, f.sup_street1};
    int64_t lo = want[0] < want[1] ? want[0] : want[1], hi = want[0] ^ want[1] ^ lo;
    CHECK_INT_EQ(n, 2, "two supervisors above the micro-grid");
    CHECK_INT_EQ(ids[0], lo, "first");
    CHECK_INT_EQ(ids[1], hi, "second");
    told(&f, f.street2, "risk:street2", ids, &n);
    CHECK_INT_EQ(n, 2, "street 2 and the district");
    CHECK(ids[0] != f.sup_street1 && ids[1] != f.sup_street1, "not street 1's");
    /* Nobody bound at or above it: all supervisors at once. */
    CHECK_INT_EQ(store_run(f.c, "UPDATE users SET active = 0 WHERE id IN (?, ?)",
                           STORE_ARGS(store_i64(f.sup_district), store_i64(f.sup_street1)), &e),
                 2, "deactivate: %s", e.msg);
    told(&f, f.micro1, "risk:micro2", ids, &n);
    CHECK_INT_EQ(n, 1, "one row");
    CHECK_INT_EQ(ids[0], 0, "for all supervisors");
    store_close(f.st);
}

TEST(warning_follows_the_region_tree)
{
    const char *pg = getenv("GRIDLOOP_TEST_PG");
    region_tree_on("warning_tree.db");
    if (pg && *pg)
        region_tree_on("pg:warning_tree");
}

/* A group's open warning takes every repeat (on SQLite found, then updated by its id): the
 * same id, the count, the last time, evidence and title of the newest, a level that only
 * rises; acknowledged is still open; once dismissed, the group raises a new warning. */
static void grouping_on(const char *name)
{
    struct fixture f;
    struct err e = ERR_INIT;
    setup(&f, name);
    int64_t first = raise_one(&f, WK_REPEAT, f.grid1, "repeat:7");
    int64_t other = raise_one(&f, WK_REPEAT, f.grid1, "repeat:8");
    static const enum warning_level levels[] = {WL_LOW, WL_HIGH, WL_MEDIUM};
    static const char *const want_level[] = {"medium", "high", "high"};
    for (int i = 0; i < 3; i++) {
        if (i == 2)
            CHECK_INT_EQ(warning_acknowledge(f.c, first, f.sup_street1, T0, &e), 0, "ack: %s",
                         e.msg);
        struct warning_in in = {.kind = WK_REPEAT,
                                .level = levels[i],
                                .group_key = "repeat:7",
                                .title = i == 2 ? "最新标题" : "测试预警",
                                .evidence = i == 2 ? "最新证据" : "证据",
                                .region_id = f.grid1};
        int64_t id = 0;
        enum warning_outcome out;
        CHECK_INT_EQ(warning_raise(f.c, &in, T0 + 60 * (i + 1), &id, &out, &e), 0, "raise: %s",
                     e.msg);
        CHECK_INT_EQ(out, WARNING_GROUPED, "repeat %d is grouped", i);
        CHECK_INT_EQ(id, first, "repeat %d: the group's warning", i);
        char *level = NULL;
        struct arena a;
        arena_init(&a, 256);
        CHECK_INT_EQ(store_one_text(f.c, "SELECT level FROM warnings WHERE id = ?",
                                    STORE_ARGS(store_i64(first)), &a, &level, &e),
                     1, "level: %s", e.msg);
        CHECK_STR_EQ(level, want_level[i], "repeat %d: the level only rises", i);
        arena_release(&a);
    }
    int64_t count = 0, last = 0, others = 0;
    CHECK_INT_EQ(store_one_i64(f.c, "SELECT count FROM warnings WHERE id = ?",
                               STORE_ARGS(store_i64(first)), &count, &e),
                 1, "count");
    CHECK_INT_EQ(count, 4, "the first and three repeats");
    CHECK_INT_EQ(store_one_i64(f.c,
                               "SELECT last_at FROM warnings WHERE id = ? AND title = '最新标题'"
                               " AND evidence = '最新证据' AND status = 'acknowledged'",
                               STORE_ARGS(store_i64(first)), &last, &e),
                 1, "the newest repeat's title and evidence");
    CHECK_INT_EQ(last, T0 + 180, "last_at");
    CHECK_INT_EQ(store_one_i64(f.c, "SELECT count FROM warnings WHERE id = ?",
                               STORE_ARGS(store_i64(other)), &others, &e),
                 1, "the other group");
    CHECK_INT_EQ(others, 1, "another group is untouched");
    CHECK_INT_EQ(warning_dismiss(f.c, first, f.sup_district, "测试", T0, &e), 0, "dismiss: %s",
                 e.msg);
    CHECK(raise_one(&f, WK_REPEAT, f.grid1, "repeat:7") != first, "dismissed: a new warning");
    store_close(f.st);
}

TEST(warning_group_takes_the_repeats)
{
    const char *pg = getenv("GRIDLOOP_TEST_PG");
    grouping_on("warning_group.db");
    if (pg && *pg)
        grouping_on("pg:warning_group");
}
