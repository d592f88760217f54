/*
 * Case lists: every filter, the work queues, the caller's scope (a list holds exactly the
 * cases case_visible() allows), keyset paging without repeats or gaps, short CJK queries and
 * text that looks like FTS5 syntax. A real SQLite store in the test directory; the plans that
 * differ between the backends also on PostgreSQL when GRIDLOOP_TEST_PG is set (as
 * scripts/with-pg.sh does).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "cal/cal.h"
#include "cal/cal_cn.h"
#include "case/case.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "org/org.h"
#include "store/store.h"
#include "test.h"

/* 2026-09-24 (Thursday) 16:00 +08:00 */
#define T0 1790236800

enum {
    U_ADMIN,
    U_CITIZEN1,
    U_CITIZEN2,
    U_OPERATOR,
    U_HANDLER_A,
    U_HANDLER_B,
    U_GRID,
    U_STREET2,
    U_COUNT
};

struct fixture {
    struct store *st;
    struct store_conn *c;
    struct cal *cal;
    int64_t dept_a, dept_b, dept_c;
    int64_t cat_1, cat_11, cat_2;
    int64_t district, street1, street2, community1, grid1;
    unsigned char key[32];
    struct case_config cfg;
    int64_t uid[U_COUNT];
    struct case_actor actors[U_COUNT];
    struct case_env env;
    struct arena a;
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

static int64_t dept(struct fixture *f, const char *code)
{
    struct err e = ERR_INIT;
    int64_t id = 0;
    struct org_department_in in = {code, code, 0, "", 1};
    CHECK_INT_EQ(org_department_create(f->c, &in, 1, &id, &e), 0, "dept %s: %s", code, e.msg);
    return id;
}

static int64_t category(struct fixture *f, const char *code, int level, int64_t parent)
{
    struct err e = ERR_INIT;
    int64_t id = 0;
    struct org_category_in in = {.code = code,
                                 .name = code,
                                 .level = level,
                                 .parent_id = parent,
                                 .department_id = f->dept_a,
                                 .sla = {1, 4, 8, CAL_WORK_HOURS},
                                 .active = 1};
    CHECK_INT_EQ(org_category_create(f->c, &in, 1, &id, &e), 0, "category %s: %s", code, e.msg);
    return id;
}

static void user(struct fixture *f, int which, const char *name, unsigned roles,
                 const char *region_code, const int64_t *depts, int ndepts)
{
    struct err e = ERR_INIT;
    struct auth_user_input in = {.name = name,
                                 .password = "tester-pass",
                                 .roles = roles,
                                 .region_code = region_code,
                                 .depts = depts,
                                 .ndepts = ndepts};
    CHECK_INT_EQ(auth_user_create(f->c, &in, 1, &f->uid[which], &e), 0, "user %s: %s", name, e.msg);
    f->actors[which] = (struct case_actor){f->uid[which], name, roles, depts, ndepts, region_code};
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
    store_conn(f->st, &f->c, &e);
    CHECK_INT_EQ(cal_new(&f->cal, &e), 0, "cal");
    CHECK_INT_EQ(cal_cn_load_2026(f->cal, &e), 0, "holidays");
    store_begin(f->c, &e);
    f->dept_a = dept(f, "A");
    f->dept_b = dept(f, "B");
    f->dept_c = dept(f, "C");
    f->cat_1 = category(f, "01", 1, 0);
    f->cat_11 = category(f, "0101", 2, f->cat_1);
    f->cat_2 = category(f, "02", 1, 0);
    f->district = region(f, "330100", ORG_REGION_DISTRICT, 0);
    f->street1 = region(f, "330100001", ORG_REGION_STREET, f->district);
    f->street2 = region(f, "330100002", ORG_REGION_STREET, f->district);
    f->community1 = region(f, "330100001001", ORG_REGION_COMMUNITY, f->street1);
    f->grid1 = region(f, "33010000100101", ORG_REGION_GRID, f->community1);
    static int64_t depts_a[1], depts_b[1];
    depts_a[0] = f->dept_a;
    depts_b[0] = f->dept_b;
    user(f, U_ADMIN, "admin", ROLE_ADMIN, NULL, NULL, 0);
    user(f, U_CITIZEN1, "citizen1", ROLE_CITIZEN, NULL, NULL, 0);
    user(f, U_CITIZEN2, "citizen2", ROLE_CITIZEN, NULL, NULL, 0);
    user(f, U_OPERATOR, "operator", ROLE_OPERATOR, NULL, NULL, 0);
    user(f, U_HANDLER_A, "handler_a", ROLE_HANDLER, NULL, depts_a, 1);
    user(f, U_HANDLER_B, "handler_b", ROLE_HANDLER, NULL, depts_b, 1);
    user(f, U_GRID, "grid", ROLE_GRID_WORKER, "330100001", NULL, 0);
    user(f, U_STREET2, "street2", ROLE_SUPERVISOR, "330100002", NULL, 0);
    CHECK_INT_EQ(store_commit(f->c, &e), 0, "commit: %s", e.msg);
    randombytes_buf(f->key, sizeof(f->key));
    f->cfg = (struct case_config){2, 24, 72, f->key};
    f->env = (struct case_env){f->c, f->cal, &f->cfg, &f->actors[U_ADMIN], T0, NULL, NULL};
    arena_init(&f->a, 1 << 16);
}

static void teardown(struct fixture *f)
{
    arena_release(&f->a);
    cal_free(f->cal);
    store_close(f->st);
}

struct spec {
    int by; /* U_* who creates it */
    enum case_channel channel;
    const char *title;
    const char *description;
    int64_t category;
    enum case_urgency urgency;
    int64_t region;
    int64_t at; /* seconds after T0 */
};

static int64_t make(struct fixture *f, const struct spec *s)
{
    struct err e = ERR_INIT;
    struct case_created out = {0};
    struct case_new in = {.channel = s->channel,
                          .title = s->title,
                          .description = s->description ? s->description : "描述",
                          .category_id = s->category,
                          .urgency = (int)s->urgency,
                          .region_id = s->region};
    struct case_env env = f->env;
    env.actor = &f->actors[s->by];
    env.now = T0 + s->at;
    CHECK_INT_EQ(case_create(&env, &in, &out, &e), 0, "create '%s': %s", s->title, e.msg);
    return out.id;
}

static void act(struct fixture *f, int64_t id, struct case_action_in in, int64_t at)
{
    struct err e = ERR_INIT;
    struct case_rec r;
    CHECK_INT_EQ(case_get(f->c, id, &f->a, &r, &e), 0, "get: %s", e.msg);
    in.version = r.version;
    if (in.action != CA_REPLY && in.action != CA_EVALUATE)
        in.contacted = in.solved = -1;
    struct case_env env = f->env;
    env.now = T0 + at;
    CHECK_INT_EQ(case_act(&env, id, &in, &e), 0, "%s on %lld: %s", case_action_name(in.action),
                 (long long)id, e.msg);
}

/* The ids of one page, or of every page (limit per page) when 'all' is set, in order. */
static size_t list(struct fixture *f, struct case_filter flt, int who, int64_t *ids, size_t cap,
                   int *rc_out)
{
    size_t total = 0;
    char cursor[CASE_CURSOR_MAX];
    struct err e = ERR_INIT;
    for (;;) {
        struct case_rec *recs;
        size_t n;
        int rc = case_list(f->c, &flt, &f->actors[who], &f->a, &recs, &n, cursor, NULL, &e);
        if (rc_out)
            *rc_out = rc;
        if (rc < 0) {
            if (!rc_out)
                CHECK(0, "case_list: %s (field %s)", e.msg, e.field);
            return total;
        }
        for (size_t i = 0; i < n && total < cap; i++)
            ids[total++] = recs[i].id;
        if (!cursor[0])
            return total;
        flt.cursor = arena_strdup(&f->a, cursor);
    }
}

/* The list of 'flt' as 'who' sees it, read through its cursors, is want[0..nwant). */
static void same_pages(struct fixture *f, struct case_filter flt, int who, const int64_t *want,
                       size_t nwant, const char *what)
{
    int64_t got[64];
    size_t ngot = list(f, flt, who, got, 64, NULL);
    CHECK_INT_EQ(ngot, nwant, "%s: count", what);
    for (size_t i = 0; i < ngot && i < nwant; i++)
        CHECK_INT_EQ(got[i], want[i], "%s: position %zu", what, i);
}

static int has(const int64_t *ids, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* ids, as a set, are exactly 'want' (terminated by 0). */
static void check_set(const int64_t *ids, size_t n, const int64_t *want, const char *what)
{
    size_t nwant = 0;
    while (want[nwant])
        nwant++;
    CHECK_INT_EQ(n, nwant, "%s: count", what);
    for (size_t i = 0; i < nwant; i++)
        CHECK(has(ids, n, want[i]), "%s: case %lld missing", what, (long long)want[i]);
}

/* A small city: cases of every kind, in every region, at distinct and at equal times. */
struct city {
    int64_t road, trash, noise, grid_case, street2_case, web1, web2, urgent, returned, replied;
};

static void build_city(struct fixture *f, struct city *k)
{
    k->road = make(f, &(struct spec){U_OPERATOR, CH_HOTLINE, "道路坑洼严重影响交通安全",
                                     "青石路路面坑洼", f->cat_11, CU_NORMAL, f->community1, 10});
    k->trash = make(f, &(struct spec){U_OPERATOR, CH_HOTLINE, "垃圾分类督查案件",
                                      "小区垃圾没有分类", f->cat_1, CU_NORMAL, f->street1, 20});
    k->noise =
        make(f, &(struct spec){U_OPERATOR, CH_APP, "Noise at night", "Loud music after 23:00",
                               f->cat_2, CU_NORMAL, f->street2, 30});
    k->grid_case = make(f, &(struct spec){U_OPERATOR, CH_GRID, "井盖缺失", "网格巡查发现", f->cat_1,
                                          CU_NORMAL, f->grid1, 40});
    k->street2_case = make(f, &(struct spec){U_OPERATOR, CH_HOTLINE, "路灯不亮", "二街道路灯",
                                             f->cat_2, CU_NORMAL, f->street2, 50});
    k->web1 = make(
        f, &(struct spec){U_CITIZEN1, CH_WEB, "楼道堆物", "消防通道堵塞", 0, CU_NORMAL, 0, 60});
    k->web2 =
        make(f, &(struct spec){U_CITIZEN2, CH_WEB, "噪音扰民", "施工噪音", 0, CU_NORMAL, 0, 60});
    k->urgent = make(f, &(struct spec){U_OPERATOR, CH_HOTLINE, "燃气泄漏", "闻到燃气味", f->cat_1,
                                       CU_EMERGENCY, f->street1, 70});
    k->returned = make(f, &(struct spec){U_OPERATOR, CH_HOTLINE, "树木倒伏", "大树倒在路上",
                                         f->cat_1, CU_URGENT, f->street2, 80});
    k->replied = make(f, &(struct spec){U_OPERATOR, CH_WECHAT, "违章停车", "长期占用消防通道",
                                        f->cat_2, CU_NORMAL, f->street1, 90});
    static int64_t assist_b[1];
    assist_b[0] = f->dept_b;
    act(f, k->road, (struct case_action_in){.action = CA_DISPATCH, .department_id = f->dept_a},
        100);
    act(f, k->trash,
        (struct case_action_in){.action = CA_DISPATCH,
                                .department_id = f->dept_a,
                                .assisting = assist_b,
                                .nassisting = 1},
        110);
    act(f, k->trash, (struct case_action_in){.action = CA_SIGN}, 120);
    act(f, k->noise, (struct case_action_in){.action = CA_DISPATCH, .department_id = f->dept_b},
        130);
    act(f, k->returned, (struct case_action_in){.action = CA_DISPATCH, .department_id = f->dept_c},
        140);
    act(f, k->returned, (struct case_action_in){.action = CA_RETURN, .note = "不属于本单位职责"},
        150);
    act(f, k->replied, (struct case_action_in){.action = CA_DISPATCH, .department_id = f->dept_a},
        160);
    act(f, k->replied, (struct case_action_in){.action = CA_SIGN}, 170);
    act(f, k->replied,
        (struct case_action_in){
            .action = CA_REPLY, .result = "已清理", .contacted = 1, .solved = 1},
        180);
}

TEST(case_list_filters)
{
    struct fixture f;
    struct city k;
    int64_t ids[64];
    size_t n;
    setup(&f, "query_filters.db");
    build_city(&f, &k);

    n = list(&f, (struct case_filter){0}, U_ADMIN, ids, 64, NULL);
    CHECK_INT_EQ(n, 10, "admin sees all");
    CHECK_INT_EQ(ids[0], k.replied, "newest first");
    CHECK(ids[3] == k.web2 && ids[4] == k.web1, "equal times: higher id first");

    n = list(&f, (struct case_filter){.states = 1u << CASE_NEW}, U_ADMIN, ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.grid_case, k.street2_case, k.web1, k.web2, k.urgent, 0},
              "state new");
    n = list(&f, (struct case_filter){.states = 1u << CASE_DISPATCHED | 1u << CASE_PROCESSING},
             U_ADMIN, ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.road, k.trash, k.noise, 0}, "two states");

    n = list(&f, (struct case_filter){.category_id = f.cat_1}, U_ADMIN, ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.road, k.trash, k.grid_case, k.urgent, k.returned, 0},
              "category with subtree");
    n = list(&f, (struct case_filter){.category_id = f.cat_11}, U_ADMIN, ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.road, 0}, "leaf category");

    n = list(&f, (struct case_filter){.department_id = f.dept_b}, U_ADMIN, ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.trash, k.noise, 0}, "department: lead or assisting");
    n = list(&f, (struct case_filter){.department_id = f.dept_a}, U_ADMIN, ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.road, k.trash, k.replied, 0}, "department a");

    n = list(&f, (struct case_filter){.region_id = f.street1}, U_ADMIN, ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.road, k.trash, k.grid_case, k.urgent, k.replied, 0},
              "region subtree");
    n = list(&f, (struct case_filter){.region_id = f.grid1}, U_ADMIN, ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.grid_case, 0}, "grid");
    n = list(&f, (struct case_filter){.region_id = f.district}, U_ADMIN, ids, 64, NULL);
    CHECK_INT_EQ(n, 8, "district: all located cases");

    n = list(&f, (struct case_filter){.channels = 1u << CH_WEB | 1u << CH_APP}, U_ADMIN, ids, 64,
             NULL);
    check_set(ids, n, (int64_t[]){k.web1, k.web2, k.noise, 0}, "channels");
    n = list(&f, (struct case_filter){.urgencies = 1u << CU_EMERGENCY | 1u << CU_URGENT}, U_ADMIN,
             ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.urgent, k.returned, 0}, "urgencies");

    n = list(&f, (struct case_filter){.created_from = T0 + 30, .created_to = T0 + 60}, U_ADMIN, ids,
             64, NULL);
    check_set(ids, n, (int64_t[]){k.noise, k.grid_case, k.street2_case, 0},
              "created range [from, to)");

    n = list(&f, (struct case_filter){.mine = 1}, U_CITIZEN1, ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.web1, 0}, "mine");
    n = list(&f,
             (struct case_filter){
                 .states = 1u << CASE_NEW, .channels = 1u << CH_HOTLINE, .region_id = f.street1},
             U_ADMIN, ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.urgent, 0}, "filters combine");
    teardown(&f);
}

TEST(case_list_queues)
{
    struct fixture f;
    struct city k;
    int64_t ids[64];
    size_t n;
    struct err e = ERR_INIT;
    setup(&f, "query_queues.db");
    build_city(&f, &k);

    n = list(&f, (struct case_filter){.queue = CQ_TO_SIGN}, U_HANDLER_A, ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.road, 0}, "a's to_sign");
    n = list(&f, (struct case_filter){.queue = CQ_TO_SIGN}, U_HANDLER_B, ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.noise, 0}, "b's to_sign (assisting does not sign)");
    n = list(&f, (struct case_filter){.queue = CQ_TO_HANDLE}, U_HANDLER_A, ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.trash, 0}, "a's to_handle");
    n = list(&f, (struct case_filter){.queue = CQ_TO_HANDLE}, U_HANDLER_B, ids, 64, NULL);
    CHECK_INT_EQ(n, 0, "b assists but does not lead");
    n = list(&f, (struct case_filter){.queue = CQ_TO_DISPATCH}, U_OPERATOR, ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.grid_case, k.street2_case, k.web1, k.web2, k.urgent, 0},
              "to_dispatch");
    n = list(&f, (struct case_filter){.queue = CQ_RETURNED}, U_OPERATOR, ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.returned, 0}, "returned");
    n = list(&f, (struct case_filter){.queue = CQ_MINE}, U_CITIZEN2, ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.web2, 0}, "citizen's own");

    /* An extension request waits for a supervisor; a sweep a month later makes the open
     * dispatched and processing cases overdue. */
    act(&f, k.trash,
        (struct case_action_in){.action = CA_EXTEND, .until = T0 + 40 * 86400, .note = "需要协调"},
        200);
    n = list(&f, (struct case_filter){.queue = CQ_PENDING}, U_OPERATOR, ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.trash, 0}, "pending approvals");
    struct case_env env = f.env;
    struct case_sweep_report rep;
    env.now = T0 + 30 * 86400;
    CHECK_INT_EQ(case_sweep(&env, &rep, &e), 0, "sweep: %s", e.msg);
    n = list(&f, (struct case_filter){.queue = CQ_OVERDUE}, U_OPERATOR, ids, 64, NULL);
    CHECK(n >= 2 && has(ids, n, k.road) && has(ids, n, k.noise) && !has(ids, n, k.replied),
          "overdue: %zu", n);
    size_t all_overdue = n;
    n = list(&f, (struct case_filter){.queue = CQ_OVERDUE}, U_HANDLER_B, ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.noise, 0}, "b's overdue: as lead only");
    n = list(&f, (struct case_filter){.overdue = 1}, U_ADMIN, ids, 64, NULL);
    CHECK_INT_EQ(n, all_overdue, "overdue filter");
    n = list(&f, (struct case_filter){.overdue = -1}, U_ADMIN, ids, 64, NULL);
    CHECK_INT_EQ(n, 10 - all_overdue, "not overdue");
    teardown(&f);
}

/* The list's scope is case_visible(): for every kind of user, the same set. */
TEST(case_list_scope_is_case_visible)
{
    struct fixture f;
    struct city k;
    int64_t all[64], seen[64];
    struct err e = ERR_INIT;
    setup(&f, "query_scope.db");
    build_city(&f, &k);
    size_t nall = list(&f, (struct case_filter){.limit = 3}, U_ADMIN, all, 64, NULL);
    CHECK_INT_EQ(nall, 10, "all cases");
    for (int who = 0; who < U_COUNT; who++) {
        size_t n = list(&f, (struct case_filter){.limit = 2}, who, seen, 64, NULL);
        size_t want = 0;
        for (size_t i = 0; i < nall; i++) {
            struct case_rec r;
            CHECK_INT_EQ(case_get(f.c, all[i], &f.a, &r, &e), 0, "get");
            int visible = case_visible(&f.actors[who], &r);
            want += (size_t)visible;
            CHECK(visible == has(seen, n, all[i]), "%s: case %s visible %d but listed %d",
                  f.actors[who].name, r.number, visible, has(seen, n, all[i]));
        }
        CHECK_INT_EQ(n, want, "%s: count", f.actors[who].name);
    }
    /* A few fixed points, so the rule itself cannot drift with case_visible. */
    size_t n = list(&f, (struct case_filter){0}, U_CITIZEN1, seen, 64, NULL);
    check_set(seen, n, (int64_t[]){k.web1, 0}, "citizen: own only");
    n = list(&f, (struct case_filter){0}, U_HANDLER_B, seen, 64, NULL);
    check_set(seen, n, (int64_t[]){k.trash, k.noise, 0}, "handler: lead or assisting");
    n = list(&f, (struct case_filter){0}, U_GRID, seen, 64, NULL);
    check_set(seen, n, (int64_t[]){k.road, k.trash, k.grid_case, k.urgent, k.replied, 0},
              "grid worker: street subtree");
    n = list(&f, (struct case_filter){.department_id = f.dept_b}, U_HANDLER_A, seen, 64, NULL);
    check_set(seen, n, (int64_t[]){k.trash, 0}, "a filter does not widen the scope");
    teardown(&f);
}

/* Pages of every sort, with many equal sort keys, hold every case once; cases created
 * between pages do not shift the pages already being read. */
TEST(case_list_cursor_paging)
{
    struct fixture f;
    struct err e = ERR_INIT;
    enum { N = 60 };
    int64_t made[N + 5], ids[N + 10];
    setup(&f, "query_paging.db");
    for (int i = 0; i < N; i++) {
        char title[32];
        snprintf(title, sizeof(title), "案件 %d", i);
        /* Four cases per second: ties on created_at and updated_at. */
        made[i] = make(
            &f, &(struct spec){U_OPERATOR, CH_HOTLINE, title, NULL, f.cat_1, CU_NORMAL, 0, i / 4});
    }
    for (int i = 0; i < N; i += 3)
        act(&f, made[i], (struct case_action_in){.action = CA_DISPATCH, .department_id = f.dept_a},
            1000 + i / 6);
    for (int sort = 0; sort < CASE_SORT_COUNT; sort++) {
        for (int limit = 1; limit <= 8; limit += 7) {
            size_t n = list(&f, (struct case_filter){.sort = (enum case_sort)sort, .limit = limit},
                            U_ADMIN, ids, N + 10, NULL);
            CHECK_INT_EQ(n, N, "sort %s, limit %d: every case",
                         case_sort_name((enum case_sort)sort), limit);
            for (int i = 0; i < N; i++)
                CHECK(has(ids, n, made[i]), "sort %s: case %lld missing",
                      case_sort_name((enum case_sort)sort), (long long)made[i]);
            for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++)
                    CHECK(ids[i] != ids[j], "sort %s: case %lld twice",
                          case_sort_name((enum case_sort)sort), (long long)ids[i]);
        }
    }
    /* Deadline sort: dispatched cases (with a deadline) first, the rest after. */
    size_t n = list(&f, (struct case_filter){.sort = CASE_SORT_DEADLINE, .limit = 200}, U_ADMIN,
                    ids, N + 10, NULL);
    CHECK(n == N && ids[0] == made[0] && ids[N / 3] == made[1], "deadline order: %lld %lld",
          (long long)ids[0], (long long)ids[N / 3]);

    /* Read two pages, then create newer cases and continue: the rest comes once, in order. */
    struct case_rec *recs;
    size_t got;
    char cursor[CASE_CURSOR_MAX];
    int64_t seen[N + 10];
    size_t nseen = 0;
    struct case_filter flt = {.limit = 7};
    for (int page = 0; page < 2; page++) {
        CHECK_INT_EQ(case_list(f.c, &flt, &f.actors[U_ADMIN], &f.a, &recs, &got, cursor, NULL, &e),
                     0, "%s", e.msg);
        for (size_t i = 0; i < got; i++)
            seen[nseen++] = recs[i].id;
        flt.cursor = arena_strdup(&f.a, cursor);
    }
    for (int i = 0; i < 5; i++)
        made[N + i] =
            make(&f, &(struct spec){U_OPERATOR, CH_WEB, "新案件", NULL, 0, CU_NORMAL, 0, 5000});
    for (;;) {
        CHECK_INT_EQ(case_list(f.c, &flt, &f.actors[U_ADMIN], &f.a, &recs, &got, cursor, NULL, &e),
                     0, "%s", e.msg);
        for (size_t i = 0; i < got && nseen < N + 10; i++)
            seen[nseen++] = recs[i].id;
        if (!cursor[0])
            break;
        flt.cursor = arena_strdup(&f.a, cursor);
    }
    CHECK_INT_EQ(nseen, N, "no inserted case, no gap, no repeat");
    for (int i = 0; i < N; i++)
        CHECK_INT_EQ(seen[i], made[N - 1 - i], "position %d", i);

    /* A cursor is tied to its sort and must be one the server made. */
    flt = (struct case_filter){.limit = 2};
    CHECK_INT_EQ(case_list(f.c, &flt, &f.actors[U_ADMIN], &f.a, &recs, &got, cursor, NULL, &e), 0,
                 "%s", e.msg);
    flt.cursor = arena_strdup(&f.a, cursor);
    flt.sort = CASE_SORT_DEADLINE;
    CHECK_INT_EQ(case_list(f.c, &flt, &f.actors[U_ADMIN], &f.a, &recs, &got, cursor, NULL, &e),
                 ERR_BAD_REQUEST, "other sort");
    CHECK_STR_EQ(e.field, "cursor", "field");
    static const char *const bad[] = {
        "",
        "!!!",
        "OS4xLjI",
        "not-a-cursor",
        "MC4xNzk1NjAzMTQ0LjAx===",
        "eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        flt = (struct case_filter){.cursor = bad[i]};
        e = (struct err)ERR_INIT;
        CHECK_INT_EQ(case_list(f.c, &flt, &f.actors[U_ADMIN], &f.a, &recs, &got, cursor, NULL, &e),
                     ERR_BAD_REQUEST, "cursor '%s'", bad[i]);
        CHECK_STR_EQ(e.field, "cursor", "cursor '%s'", bad[i]);
    }
    teardown(&f);
}

/* A capped total is the exact count up to the cap and the cap with 'capped' past it, for every
 * form of the count (the plain one, a department's, the full-text walk, a handler's scope); the
 * cursor carries it to later pages without counting again. */
TEST(case_list_total_capped)
{
    struct fixture f;
    struct city k;
    struct err e = ERR_INIT;
    setup(&f, "query_total.db");
    build_city(&f, &k);
    struct {
        const char *what;
        struct case_filter flt;
        int who;
    } lists[] = {
        {"every case", {0}, U_ADMIN},
        {"a department", {.department_id = f.dept_a}, U_ADMIN},
        {"a text", {.text = "消防通道"}, U_ADMIN},
        {"two states", {.states = 1u << CASE_NEW | 1u << CASE_DISPATCHED}, U_ADMIN},
        {"a handler's scope", {0}, U_HANDLER_A},
    };
    for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
        int64_t exact, total;
        int capped;
        CHECK_INT_EQ(case_list_total(f.c, &lists[i].flt, &f.actors[lists[i].who], 0, 0, &f.a,
                                     &exact, &capped, &e),
                     0, "%s: %s", lists[i].what, e.msg);
        CHECK(exact >= 2 && !capped, "%s: %lld cases, capped %d", lists[i].what, (long long)exact,
              capped);
        /* Budget 0 counts in the statement; a budget the count stays within steps the
         * matches (SQLite) and must answer the same. */
        for (int budget = 0; budget <= 60000; budget += 60000)
            for (int64_t cap = 1; cap <= exact + 1; cap++) {
                CHECK_INT_EQ(case_list_total(f.c, &lists[i].flt, &f.actors[lists[i].who], cap,
                                             budget, &f.a, &total, &capped, &e),
                             0, "%s, cap %lld, budget %d: %s", lists[i].what, (long long)cap,
                             budget, e.msg);
                CHECK_INT_EQ(total, cap < exact ? cap : exact, "%s, cap %lld, budget %d: total",
                             lists[i].what, (long long)cap, budget);
                CHECK_INT_EQ(capped, cap < exact, "%s, cap %lld, budget %d: capped", lists[i].what,
                             (long long)cap, budget);
            }
    }

    /* Later pages answer the first page's capped total from the cursor, whatever cap is asked. */
    struct case_filter flt = {.limit = 2};
    struct case_rec *recs;
    size_t n;
    char cursor[CASE_CURSOR_MAX];
    int64_t total;
    int capped;
    CHECK_INT_EQ(case_list_total(f.c, &flt, &f.actors[U_ADMIN], 3, 0, &f.a, &flt.total,
                                 &flt.total_capped, &e),
                 0, "%s", e.msg);
    CHECK(flt.total == 3 && flt.total_capped, "first page: %lld, capped %d", (long long)flt.total,
          flt.total_capped);
    for (int page = 0; page < 2; page++) {
        CHECK_INT_EQ(case_list(f.c, &flt, &f.actors[U_ADMIN], &f.a, &recs, &n, cursor, NULL, &e), 0,
                     "%s", e.msg);
        CHECK(cursor[0], "page %d has a next page", page);
        flt.cursor = arena_strdup(&f.a, cursor);
        CHECK_INT_EQ(
            case_list_total(f.c, &flt, &f.actors[U_ADMIN], 0, 0, &f.a, &total, &capped, &e), 0,
            "%s", e.msg);
        CHECK(total == 3 && capped, "page %d: %lld, capped %d", page + 2, (long long)total, capped);
    }
    /* An exact total stays exact on later pages. */
    flt = (struct case_filter){.limit = 2};
    CHECK_INT_EQ(case_list_total(f.c, &flt, &f.actors[U_ADMIN], 100, 0, &f.a, &flt.total,
                                 &flt.total_capped, &e),
                 0, "%s", e.msg);
    CHECK_INT_EQ(case_list(f.c, &flt, &f.actors[U_ADMIN], &f.a, &recs, &n, cursor, NULL, &e), 0,
                 "%s", e.msg);
    flt.cursor = arena_strdup(&f.a, cursor);
    CHECK_INT_EQ(case_list_total(f.c, &flt, &f.actors[U_ADMIN], 3, 0, &f.a, &total, &capped, &e), 0,
                 "%s", e.msg);
    CHECK(total == 10 && !capped, "page 2 of an exact list: %lld, capped %d", (long long)total,
          capped);
    teardown(&f);
}

/* A count stopped by its budget is settled against the first page it goes with: never below the
 * page (still a lower bound, more follow), exact when the page holds every match; later pages and
 * exact totals are not touched. */
TEST(case_list_settle_total)
{
    struct case_filter first = {0}, later = {.cursor = "x"};
    struct {
        const struct case_filter *f;
        int64_t total;
        int capped;
        size_t n;
        int more;
        int64_t want_total;
        int want_capped;
    } cases[] = {
        /* a text + state stopped before its first match */
        {&first, 0, CASE_TOTAL_STOPPED, 50, 1, 50, CASE_TOTAL_STOPPED},
        /* counted past the page: kept */
        {&first, 7000, CASE_TOTAL_STOPPED, 50, 1, 7000, CASE_TOTAL_STOPPED},
        {&first, 10, 1, 50, 1, 10, 1},                 /* at the cap: the cap */
        {&first, 3, CASE_TOTAL_STOPPED, 12, 0, 12, 0}, /* the page holds every match */
        {&first, 4, 1, 6, 0, 4, 1},                    /* the cap stays the cap */
        {&first, 0, CASE_TOTAL_STOPPED, 0, 0, 0, 0},   /* nothing matches: exactly none */
        {&first, 40, 0, 40, 0, 40, 0},                 /* exact: untouched */
        {&later, 0, 1, 50, 1, 0, 1}, /* a later page: its cursor's total, untouched */
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int64_t total = cases[i].total;
        int capped = cases[i].capped;
        case_list_settle_total(cases[i].f, cases[i].n, cases[i].more, &total, &capped);
        CHECK(total == cases[i].want_total && capped == cases[i].want_capped,
              "case %zu: %lld capped %d", i, (long long)total, capped);
    }
}

static size_t search(struct fixture *f, const char *text, int64_t *ids)
{
    return list(f, (struct case_filter){.text = text}, U_ADMIN, ids, 64, NULL);
}

static void text_search_on(const char *db)
{
    struct fixture f;
    struct city k;
    int64_t ids[64];
    size_t n;
    setup(&f, db);
    build_city(&f, &k);
    int64_t quote = make(&f, &(struct spec){U_OPERATOR, CH_HOTLINE, "标牌写着 \"禁止停车\"", "引号",
                                            0, CU_NORMAL, 0, 300});
    int64_t ops =
        make(&f, &(struct spec){U_OPERATOR, CH_HOTLINE, "dogs OR cats",
                                "NEAR(a b) title:x -y ^z 50* a AND b", 0, CU_NORMAL, 0, 310});

    /* 1-2 CJK characters: trigram cannot answer, the base table does. */
    n = search(&f, "案件", ids);
    check_set(ids, n, (int64_t[]){k.trash, 0}, "two CJK characters");
    n = search(&f, "坑", ids);
    check_set(ids, n, (int64_t[]){k.road, 0}, "one CJK character in the title");
    n = search(&f, "通道", ids);
    check_set(ids, n, (int64_t[]){k.web1, k.replied, 0}, "two characters in the description");
    n = search(&f, "no", ids);
    check_set(ids, n, (int64_t[]){k.noise, 0}, "two ASCII letters, any case");
    /* 3 and more: the trigram index. */
    n = search(&f, "交通安全", ids);
    check_set(ids, n, (int64_t[]){k.road, 0}, "four characters");
    n = search(&f, "消防通道", ids);
    check_set(ids, n, (int64_t[]){k.web1, k.replied, 0}, "in the description");
    n = search(&f, "NOISE AT", ids);
    check_set(ids, n, (int64_t[]){k.noise, 0}, "case-insensitive, with a space");

    /* FTS5 syntax in the text is text. */
    n = search(&f, "\"禁止停车\"", ids);
    check_set(ids, n, (int64_t[]){quote, 0}, "double quotes");
    n = search(&f, "\"", ids);
    check_set(ids, n, (int64_t[]){quote, 0}, "a lone double quote");
    n = search(&f, "s OR c", ids);
    check_set(ids, n, (int64_t[]){ops, 0}, "OR is a word");
    n = search(&f, "OR", ids);
    check_set(ids, n, (int64_t[]){ops, 0}, "OR alone");
    n = search(&f, "dogs OR mice", ids);
    CHECK_INT_EQ(n, 0, "no disjunction");
    n = search(&f, "50*", ids);
    check_set(ids, n, (int64_t[]){ops, 0}, "star is a character");
    n = search(&f, "*", ids);
    check_set(ids, n, (int64_t[]){ops, 0}, "a lone star");
    n = search(&f, "cat*", ids);
    CHECK_INT_EQ(n, 0, "no prefix query");
    static const char *const odd[] = {"NEAR(a b)", "title:x",     "-y ^z", "a AND b", "(", ")",
                                      "\"\"\"",    "' OR 1=1 --", "\\",    "%",       "_"};
    for (size_t i = 0; i < ARRAY_SIZE(odd); i++) {
        int rc;
        list(&f, (struct case_filter){.text = odd[i]}, U_ADMIN, ids, 64, &rc);
        CHECK_INT_EQ(rc, 0, "text '%s' is not an error", odd[i]);
    }
    n = search(&f, "NEAR(a b)", ids);
    check_set(ids, n, (int64_t[]){ops, 0}, "NEAR is text");
    n = search(&f, "title:x", ids);
    check_set(ids, n, (int64_t[]){ops, 0}, "no column filter");
    n = search(&f, "%", ids);
    CHECK_INT_EQ(n, 0, "percent is not a wildcard");

    /* Text combines with the scope and the other filters. */
    n = list(&f, (struct case_filter){.text = "消防通道"}, U_CITIZEN1, ids, 64, NULL);
    check_set(ids, n, (int64_t[]){k.web1, 0}, "text within the scope");
    n = list(&f, (struct case_filter){.text = "通道", .channels = 1u << CH_WECHAT}, U_ADMIN, ids,
             64, NULL);
    check_set(ids, n, (int64_t[]){k.replied, 0}, "short text and a filter");
    teardown(&f);
}

/* On PostgreSQL too: there a text without letters (Chinese, digits, punctuation) is asked with
 * LIKE and one with letters with ILIKE (text_where()). */
TEST(case_list_text_search)
{
    const char *pg = getenv("GRIDLOOP_TEST_PG");
    text_search_on("query_text.db");
    if (pg && *pg)
        text_search_on("pg:query_text");
}

/* A short text read in windows (f->scan_window) under a budget (f->scan_ns): a budget of 1 ns
 * stops each page after its first window, so pages stop early, some with nothing, and say where;
 * read to the end, they hold the same cases in the same order as the unbounded list, for every
 * sort and window size, with ties on the sort key and other filters. */
TEST(case_list_short_text_reads_in_windows)
{
    struct fixture f;
    struct err e = ERR_INIT;
    enum { N = 60 };
    int64_t want[N], got_ids[N + 10];
    setup(&f, "query_scan.db");
    for (int i = 0; i < N; i++) {
        char title[48];
        snprintf(title, sizeof(title), i % 7 == 3 ? "路口积水 %d" : "案件 %d", i);
        int64_t id = make(&f, &(struct spec){U_OPERATOR, i % 2 ? CH_HOTLINE : CH_WEB, title, NULL,
                                             f.cat_1, CU_NORMAL, 0, i / 4});
        if (i % 5 == 0)
            act(&f, id, (struct case_action_in){.action = CA_DISPATCH, .department_id = f.dept_a},
                1000 + i / 10);
    }
    for (int sort = 0; sort < CASE_SORT_COUNT; sort++) {
        for (int hotline = 0; hotline < 2; hotline++) {
            struct case_filter base = {.text = "积水",
                                       .sort = (enum case_sort)sort,
                                       .channels = hotline ? 1u << CH_HOTLINE : 0};
            size_t nwant = list(&f, base, U_ADMIN, want, N, NULL);
            CHECK(nwant >= 4, "sort %d: %zu matches", sort, nwant);
            static const int64_t bounds[] = {1, 3, 1000}; /* the first window */
            for (size_t b = 0; b < ARRAY_SIZE(bounds); b++) {
                for (int limit = 1; limit <= 5; limit += 4) {
                    struct case_filter flt = base;
                    flt.scan_window = bounds[b];
                    flt.scan_ns = 1;
                    flt.limit = limit;
                    size_t n = 0, pages = 0, stops = 0;
                    char cursor[CASE_CURSOR_MAX];
                    for (;;) {
                        struct case_rec *recs;
                        size_t got;
                        int64_t stopped = -1;
                        CHECK_INT_EQ(case_list(f.c, &flt, &f.actors[U_ADMIN], &f.a, &recs, &got,
                                               cursor, &stopped, &e),
                                     0, "%s", e.msg);
                        CHECK(got <= (size_t)limit, "a page holds at most its limit");
                        if (stopped) {
                            stops++;
                            CHECK(cursor[0] && got < (size_t)limit,
                                  "a stopped page is short and reads on");
                        } else
                            CHECK(!cursor[0] || got == (size_t)limit,
                                  "a short page that did not stop is the last");
                        for (size_t i = 0; i < got && n < N + 10; i++)
                            got_ids[n++] = recs[i].id;
                        pages++;
                        CHECK(pages < 200, "the reading ends");
                        if (!cursor[0] || pages >= 200)
                            break;
                        flt.cursor = arena_strdup(&f.a, cursor);
                    }
                    CHECK_INT_EQ(n, nwant, "sort %d bound %lld limit %d: every match", sort,
                                 (long long)bounds[b], limit);
                    for (size_t i = 0; i < n && i < nwant; i++)
                        CHECK_INT_EQ(got_ids[i], want[i], "sort %d bound %lld: position %zu", sort,
                                     (long long)bounds[b], i);
                    if (bounds[b] == 1000)
                        CHECK_INT_EQ(stops, 0, "a bound above the list never stops");
                    else
                        CHECK(stops > 0, "sort %d bound %lld: the pages stopped", sort,
                              (long long)bounds[b]);
                }
            }
        }
    }
    /* A long text has its index: the bound does not apply. */
    struct case_rec *recs;
    size_t got;
    char cursor[CASE_CURSOR_MAX];
    int64_t stopped = -1;
    struct case_filter flt = {.text = "路口积水", .scan_ns = 1, .scan_window = 1};
    CHECK_INT_EQ(case_list(f.c, &flt, &f.actors[U_ADMIN], &f.a, &recs, &got, cursor, &stopped, &e),
                 0, "%s", e.msg);
    CHECK(got >= 8 && !cursor[0] && stopped == 0, "trigram text: %zu cases, stopped %lld", got,
          (long long)stopped);
    teardown(&f);
}

/* A text with more matches than a page gathers (f->total above TEXT_GATHER_MAX, or not yet
 * counted) is read newest first; on PostgreSQL, for an actor who sees every case and no other
 * filter, in windows of hours and days (day_page()). Its pages, read through their cursors at
 * any size, hold every match once, in the list's order, across hours and days with no case,
 * gaps longer than a window and cases of the same second; with a filter (the planner's own
 * plan there) too. */
static void text_days_on(const char *db)
{
    struct fixture f;
    enum { N = 70 };
    /* days after T0: days 0-2, a gap, day 9, a long gap, days 100-129 one case each (windows of
     * several days end within them), days 200-201; ties */
    static const int64_t day[40] = {
        0, 0, 0, 1, 1, 2, 2, 2, 9,   9,   9,   9,   200, 200, 201, 201, 201, 201, 201, 201,
        0, 0, 1, 1, 2, 2, 9, 9, 200, 200, 200, 201, 201, 201, 201, 201, 201, 201, 201, 201};
    int64_t id[N], at[N], want[N], got[N + 8];
    int hit[N], hotline[N];
    setup(&f, db);
    for (int i = 0; i < N; i++)
        at[i] = (i < 40 ? day[i] : 60 + i) * 86400 + (i % 5 == 0 ? 600 : 3600 * (i % 7));
    /* Made in the order of time, as cases arrive (SQLite's walk reads ids in order). */
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            if (at[j] < at[i]) {
                int64_t t = at[i];
                at[i] = at[j];
                at[j] = t;
            }
    for (int i = 0; i < N; i++) {
        hit[i] = i % 3 != 1;
        hotline[i] = i % 2 == 0;
        id[i] = make(&f, &(struct spec){U_OPERATOR, hotline[i] ? CH_HOTLINE : CH_WEB,
                                        hit[i] ? "路口积水严重影响通行" : "路灯不亮", NULL,
                                        i % 4 ? f.cat_1 : f.cat_2, CU_NORMAL, 0, at[i]});
    }
    for (int hot = 0; hot < 2; hot++) {
        /* The matches newest first, ties by id. */
        size_t nwant = 0;
        for (int i = 0; i < N; i++)
            if (hit[i] && (!hot || hotline[i]))
                want[nwant++] = i;
        for (size_t a = 0; a < nwant; a++)
            for (size_t b = a + 1; b < nwant; b++) {
                int64_t x = want[a], y = want[b];
                if (at[y] > at[x] || (at[y] == at[x] && id[y] > id[x])) {
                    want[a] = y;
                    want[b] = x;
                }
            }
        for (size_t i = 0; i < nwant; i++)
            want[i] = id[want[i]];
        static const int limits[] = {1, 2, 3, 7, 50};
        for (size_t l = 0; l < ARRAY_SIZE(limits); l++) {
            struct case_filter flt = {.text = "积水严重影响",
                                      .limit = limits[l],
                                      .total = 6000,
                                      .total_capped = 1,
                                      .channels = hot ? 1u << CH_HOTLINE : 0};
            char what[128];
            snprintf(what, sizeof(what), "%s hotline %d limit %d", db, hot, limits[l]);
            same_pages(&f, flt, U_ADMIN, want, nwant, what);
            flt.total = 0; /* not counted */
            size_t n = list(&f, flt, U_ADMIN, got, N + 8, NULL);
            CHECK_INT_EQ(n, nwant, "%s, no count: every match", what);
            /* Four Han characters may be a citizen's name: asked of citizen_name too. */
            flt.text = "积水严重";
            snprintf(what, sizeof(what), "%s hotline %d limit %d, like a name", db, hot, limits[l]);
            same_pages(&f, flt, U_ADMIN, want, nwant, what);
            flt.text = "积水严重影响";
            /* Counted, none: not looked for window by window. */
            struct case_filter none = flt;
            none.text = "积水严重影响不到";
            none.total = 0;
            none.counted = 1;
            CHECK_INT_EQ(list(&f, none, U_ADMIN, got, N + 8, NULL), 0, "%s: counted none", db);
            /* An exact count sizes the first window (hours or days here). */
            flt.total = 5001;
            flt.total_capped = 0;
            snprintf(what, sizeof(what), "%s hotline %d limit %d, exact count", db, hot, limits[l]);
            same_pages(&f, flt, U_ADMIN, want, nwant, what);
        }
    }
    teardown(&f);
}

TEST(case_list_text_reads_in_days)
{
    const char *pg = getenv("GRIDLOOP_TEST_PG");
    text_days_on("query_days.db");
    if (pg && *pg)
        text_days_on("pg:query_days");
}

/* A list of the actor's own cases (a citizen's) with a short text is read straight through
 * their index, under the page's whole budget of CPU time, even when the first page's count
 * spent all of it: one page holds every match, in order, and does not stop. A list of every
 * case under the same budget reads in windows and stops after the first. */
TEST(case_list_own_short_text_reads_straight)
{
    struct fixture f;
    struct err e = ERR_INIT;
    enum { N = 40 };
    int64_t want[N], all[N];
    setup(&f, "query_own_scan.db");
    for (int i = 0; i < N; i++) {
        char title[48];
        snprintf(title, sizeof(title), i % 3 ? "路口积水 %d" : "案件 %d", i);
        make(&f, &(struct spec){i % 4 ? U_OPERATOR : U_CITIZEN1, CH_WEB, title, NULL, f.cat_1,
                                CU_NORMAL, 0, i});
    }
    size_t nwant = list(&f, (struct case_filter){.text = "积水"}, U_CITIZEN1, want, N, NULL);
    CHECK(nwant >= 5, "the citizen's matches: %zu", nwant);
    size_t nall = list(&f, (struct case_filter){.text = "积水"}, U_ADMIN, all, N, NULL);
    CHECK(nall > nwant, "others' matches too: %zu", nall);
    struct case_filter flt = {.text = "积水",
                              .scan_ns = 1000000000,
                              .scan_spent_ns = 1000000000,
                              .scan_window = 1,
                              .limit = 50};
    struct case_rec *recs;
    size_t got;
    char cursor[CASE_CURSOR_MAX];
    int64_t stopped = -1;
    CHECK_INT_EQ(
        case_list(f.c, &flt, &f.actors[U_CITIZEN1], &f.a, &recs, &got, cursor, &stopped, &e), 0,
        "%s", e.msg);
    CHECK_INT_EQ(got, nwant, "one page holds every match of the citizen's");
    CHECK(stopped == 0 && !cursor[0], "and it did not stop (stopped %lld)", (long long)stopped);
    for (size_t i = 0; i < got && i < nwant; i++)
        CHECK_INT_EQ(recs[i].id, want[i], "position %zu", i);
    stopped = -1;
    CHECK_INT_EQ(case_list(f.c, &flt, &f.actors[U_ADMIN], &f.a, &recs, &got, cursor, &stopped, &e),
                 0, "%s", e.msg);
    CHECK(stopped != 0 && cursor[0] && got < nall, "every case's list stops after a window");
    teardown(&f);
}

/* A department's list and a handler's scope walk the dispatched cases alone (cases_routed)
 * only where that changes no answer: a handler's own undispatched case and a case a whistle
 * summoned the department to before any dispatch are still on their pages, in order. */
TEST(case_list_routed_keeps_the_undispatched_it_must)
{
    struct fixture f;
    struct err e = ERR_INIT;
    int64_t seen[64];
    setup(&f, "query_routed.db");
    int64_t led = make(&f, &(struct spec){U_OPERATOR, CH_HOTLINE, "道路坑洼", NULL, f.cat_11,
                                          CU_NORMAL, f.street1, 10});
    act(&f, led, (struct case_action_in){.action = CA_DISPATCH, .department_id = f.dept_a}, 20);
    int64_t other = make(&f, &(struct spec){U_OPERATOR, CH_HOTLINE, "噪音扰民", NULL, f.cat_2,
                                            CU_NORMAL, f.street1, 30});
    act(&f, other, (struct case_action_in){.action = CA_DISPATCH, .department_id = f.dept_b}, 40);
    /* A backlog after them: newer and undispatched. */
    for (int i = 0; i < 30; i++)
        make(&f, &(struct spec){U_OPERATOR, CH_HOTLINE, "积压工单", NULL, f.cat_1, CU_NORMAL,
                                f.street1, 100 + i});
    const struct case_filter dept_a = {.department_id = f.dept_a, .limit = 2};
    size_t n = list(&f, dept_a, U_ADMIN, seen, 64, NULL);
    check_set(seen, n, (int64_t[]){led, 0}, "department A");
    n = list(&f, (struct case_filter){.limit = 2}, U_HANDLER_A, seen, 64, NULL);
    check_set(seen, n, (int64_t[]){led, 0}, "handler A");

    /* The handler's own case, not dispatched: on the scope's page, newest first. */
    int64_t own = make(&f, &(struct spec){U_HANDLER_A, CH_WEB, "承办人自报", NULL, f.cat_1,
                                          CU_NORMAL, f.street1, 200});
    n = list(&f, (struct case_filter){.limit = 50}, U_HANDLER_A, seen, 64, NULL);
    CHECK_INT_EQ(n, 2, "handler A with an own case");
    CHECK(n == 2 && seen[0] == own && seen[1] == led, "own case first, then the lead's");
    n = list(&f, dept_a, U_ADMIN, seen, 64, NULL);
    check_set(seen, n, (int64_t[]){led, 0}, "department A: the handler's case is not A's");

    /* A whistle on an undispatched case makes department A assist it before any lead. */
    int64_t whistled = make(&f, &(struct spec){U_OPERATOR, CH_HOTLINE, "多部门联合处置", NULL,
                                               f.cat_1, CU_NORMAL, f.street1, 300});
    int64_t wid, summoned[1] = {f.dept_a};
    struct case_env env = f.env;
    env.now = T0 + 310;
    struct case_whistle_in w = {summoned, 1, "联合执法", T0 + 7 * 86400, 24};
    CHECK_INT_EQ(case_whistle_blow(&env, whistled, &w, &wid, &e), 0, "whistle: %s", e.msg);
    n = list(&f, (struct case_filter){.department_id = f.dept_a, .limit = 50}, U_ADMIN, seen, 64,
             NULL);
    CHECK_INT_EQ(n, 2, "department A with a whistled case");
    CHECK(n == 2 && seen[0] == whistled && seen[1] == led, "the whistled case first");
    n = list(&f, (struct case_filter){.limit = 50}, U_HANDLER_A, seen, 64, NULL);
    CHECK_INT_EQ(n, 3, "handler A: whistled, own, lead");
    CHECK(n == 3 && seen[0] == whistled && seen[1] == own && seen[2] == led, "in created order");
    n = list(&f, (struct case_filter){.department_id = f.dept_b, .limit = 1}, U_ADMIN, seen, 64,
             NULL);
    check_set(seen, n, (int64_t[]){other, 0}, "department B unchanged");
    teardown(&f);
}

/* A category's page is read three ways (case_query.c, category_where): a leaf through its
 * index in created order, a small subtree collected and sorted, a large one tested per row in
 * the list's order. All three give the same pages: the cases of every list filtered by hand,
 * in order, across cursors, in the created and the deadline sort. */
static void category_three_ways_on(const char *db)
{
    struct fixture f;
    enum { N = 18 };
    int64_t ids[N], cats[N], every[N + 1];
    setup(&f, db);
    int64_t kinds[3] = {f.cat_1, f.cat_11, f.cat_2};
    for (int i = 0; i < N; i++) {
        cats[i] = kinds[i % 3];
        ids[i] = make(&f, &(struct spec){U_OPERATOR, CH_HOTLINE, "分类工单", NULL, cats[i],
                                         i % 2 ? CU_NORMAL : CU_URGENT, f.street1, (i / 2) * 10});
    }
    const struct {
        int64_t category;
        enum case_sort sort;
        int64_t rare;
        const char *what;
    } rows[] = {
        {f.cat_11, CASE_SORT_CREATED, 0, "leaf, created: its index"},
        {f.cat_1, CASE_SORT_CREATED, 0, "subtree, created: collected"},
        {f.cat_1, CASE_SORT_CREATED, 1, "subtree, created: per row"},
        {f.cat_11, CASE_SORT_DEADLINE, 0, "leaf, deadline: collected"},
        {f.cat_11, CASE_SORT_DEADLINE, 1, "leaf, deadline: per row"},
        {f.cat_1, CASE_SORT_DEADLINE, 1, "subtree, deadline: per row"},
        {f.cat_2, CASE_SORT_UPDATED, 0, "leaf, updated: collected"},
    };
    for (size_t r = 0; r < ARRAY_SIZE(rows); r++) {
        size_t n = list(&f, (struct case_filter){.sort = rows[r].sort, .limit = 50}, U_ADMIN, every,
                        N + 1, NULL);
        CHECK_INT_EQ(n, N, "%s: every case", rows[r].what);
        size_t nwant = 0;
        int64_t want[N];
        for (size_t i = 0; i < n; i++)
            for (int j = 0; j < N; j++)
                if (every[i] == ids[j] && (cats[j] == rows[r].category ||
                                           (rows[r].category == f.cat_1 && cats[j] == f.cat_11)))
                    want[nwant++] = ids[j];
        same_pages(&f,
                   (struct case_filter){.category_id = rows[r].category,
                                        .sort = rows[r].sort,
                                        .category_rare = rows[r].rare,
                                        .limit = 2},
                   U_ADMIN, want, nwant, rows[r].what);
    }
    teardown(&f);
}

/* On PostgreSQL too: a subtree's page past its floor is collected there with an order no index
 * gives (build()), and must still be the same pages. */
TEST(case_list_category_three_ways)
{
    const char *pg = getenv("GRIDLOOP_TEST_PG");
    category_three_ways_on("query_category.db");
    if (pg && *pg)
        category_three_ways_on("pg:query_category");
}

/* A district, a street or a community alone is collected past an exact bound (region_plan()):
 * its pages, read two at a time through their cursors, are the filter's cases in the order of
 * every case, also behind a storm of newer cases in another street (and so are those of a
 * street's staff with no filter, whose scope is walked); a region none of whose codes any case
 * carries is empty at once. */
TEST(case_list_region_collected)
{
    struct fixture f;
    enum { N = 36 };
    int64_t ids[N], where[N], every[N + 1];
    setup(&f, "query_region.db");
    /* A micro-grid of grid1, and a grid whose code extends grid1's with '-' (not below it). */
    int64_t micro = region(&f, "33010000100101.1", ORG_REGION_MICRO, f.grid1);
    int64_t sibling = region(&f, "33010000100101-A", ORG_REGION_GRID, f.community1);
    int64_t places[6] = {f.street1, f.community1, f.grid1, micro, sibling, f.street2};
    for (int i = 0; i < N; i++) {
        /* The last ten are a storm in street 2, newer than the rest. */
        where[i] = i < N - 10 ? places[i % 6] : f.street2;
        ids[i] = make(&f, &(struct spec){U_OPERATOR, CH_HOTLINE, "区域工单", NULL, f.cat_2,
                                         CU_NORMAL, where[i], i < N - 10 ? i * 10 : 1000 + i});
    }
    int64_t street3 = region(&f, "330100003", ORG_REGION_STREET, f.district);
    const struct {
        int64_t region;
        int64_t holds[7]; /* the regions whose cases it holds, 0-terminated */
        const char *what;
    } rows[] = {
        {f.district, {f.street1, f.community1, f.grid1, micro, sibling, f.street2}, "district"},
        {f.street1, {f.street1, f.community1, f.grid1, micro, sibling}, "street behind a storm"},
        {f.community1, {f.community1, f.grid1, micro, sibling}, "community"},
        {f.grid1, {f.grid1, micro}, "grid"},
        {micro, {micro}, "micro-grid"},
        {f.street2, {f.street2}, "the storm's street"},
        {street3, {0}, "a street with no cases"},
    };
    size_t n = list(&f, (struct case_filter){.limit = 50}, U_ADMIN, every, N + 1, NULL);
    CHECK_INT_EQ(n, N, "every case");
    for (size_t r = 0; r < ARRAY_SIZE(rows); r++) {
        size_t nwant = 0;
        int64_t want[N];
        for (size_t i = 0; i < n; i++)
            for (int j = 0; j < N; j++)
                if (every[i] == ids[j])
                    for (int k = 0; k < 7 && rows[r].holds[k]; k++)
                        if (where[j] == rows[r].holds[k])
                            want[nwant++] = ids[j];
        same_pages(&f, (struct case_filter){.region_id = rows[r].region, .limit = 2}, U_ADMIN, want,
                   nwant, rows[r].what);
        /* The same pages for the staff of that street with no filter (their scope, walked). */
        int who = rows[r].region == f.street2   ? U_STREET2
                  : rows[r].region == f.street1 ? U_GRID
                                                : -1;
        if (who < 0)
            continue;
        char staff[96];
        snprintf(staff, sizeof(staff), "%s, as its staff", rows[r].what);
        same_pages(&f, (struct case_filter){.limit = 2}, who, want, nwant, staff);
    }
    teardown(&f);
}

/* A region-bound actor's scope with no filter but states (scope_plan()): their region's cases
 * and their own anywhere, collected past an exact bound, page for page the cases of the order
 * of every case that case_visible() lets them see, with a storm of new cases elsewhere newer
 * than all; and the count, read from the two branches, is theirs (capped at the cap). */
TEST(case_list_scope_collected)
{
    struct fixture f;
    enum { N = 48 };
    int64_t ids[N], where[N], every[N + 1];
    int by[N];
    enum case_state state[N];
    setup(&f, "query_scope_collected.db");
    int64_t micro = region(&f, "33010000100101.1", ORG_REGION_MICRO, f.grid1);
    int64_t sibling = region(&f, "33010000100101-A", ORG_REGION_GRID, f.community1);
    user(&f, U_STREET2, "grid1_worker", ROLE_GRID_WORKER, "33010000100101", NULL, 0);
    int64_t places[6] = {f.street1, f.community1, f.grid1, micro, sibling, f.street2};
    for (int i = 0; i < N; i++) {
        /* The last twelve: a storm of new cases in street 2, newer than the rest. Every fifth
         * of the others is the grid worker's, every seventh the street's grid worker's. */
        int storm = i >= N - 12;
        where[i] = storm ? f.street2 : places[i % 6];
        by[i] = storm ? U_OPERATOR : i % 5 == 0 ? U_STREET2 : i % 7 == 0 ? U_GRID : U_OPERATOR;
        ids[i] = make(&f, &(struct spec){by[i], CH_HOTLINE, "范围工单", NULL, f.cat_2, CU_NORMAL,
                                         where[i], storm ? 1000 + i : i * 10});
        state[i] = CASE_NEW;
        if (!storm && i % 3 != 0) {
            act(&f, ids[i],
                (struct case_action_in){.action = CA_DISPATCH, .department_id = f.dept_a},
                2000 + i);
            state[i] = CASE_DISPATCHED;
            if (i % 3 == 2) {
                act(&f, ids[i], (struct case_action_in){.action = CA_RETURN, .note = "退回"},
                    3000 + i);
                state[i] = CASE_RETURNED;
            }
        }
    }
    const struct {
        int who;
        int64_t holds[5]; /* the regions of its scope, 0-terminated */
    } actors[] = {
        {U_GRID, {f.street1, f.community1, f.grid1, micro, sibling}}, /* bound to street 1 */
        {U_STREET2, {f.grid1, micro}},                                /* bound to grid 1 */
    };
    const struct {
        unsigned states;
        enum case_queue queue;
        const char *what;
    } lists[] = {
        {0, CQ_NONE, "every state"},
        {1u << CASE_NEW, CQ_NONE, "new"},
        {(1u << CASE_NEW) | (1u << CASE_RETURNED), CQ_NONE, "new and returned"},
        {0, CQ_TO_DISPATCH, "the queue to dispatch"},
        {0, CQ_RETURNED, "the returned queue"},
        {1u << CASE_CLOSED, CQ_NONE, "closed (none)"},
    };
    size_t n = list(&f, (struct case_filter){.limit = 60}, U_ADMIN, every, N + 1, NULL);
    CHECK_INT_EQ(n, N, "every case");
    for (size_t a = 0; a < ARRAY_SIZE(actors); a++)
        for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
            unsigned states = lists[l].queue == CQ_TO_DISPATCH ? 1u << CASE_NEW
                              : lists[l].queue == CQ_RETURNED  ? 1u << CASE_RETURNED
                                                               : lists[l].states;
            size_t nwant = 0;
            int64_t want[N];
            for (size_t i = 0; i < n; i++)
                for (int j = 0; j < N; j++) {
                    if (every[i] != ids[j] || (states && !(states & (1u << state[j]))))
                        continue;
                    int sees = by[j] == actors[a].who;
                    for (int k = 0; k < 5 && actors[a].holds[k]; k++)
                        sees |= where[j] == actors[a].holds[k];
                    if (sees)
                        want[nwant++] = ids[j];
                }
            char what[96];
            snprintf(what, sizeof(what), "%s, %s", f.actors[actors[a].who].name, lists[l].what);
            struct case_filter flt = {
                .states = lists[l].states, .queue = lists[l].queue, .limit = 2};
            same_pages(&f, flt, actors[a].who, want, nwant, what);
            int64_t total = -1;
            int capped = -1;
            struct err e = ERR_INIT;
            CHECK_INT_EQ(case_list_total(f.c, &flt, &f.actors[actors[a].who], 0, 0, &f.a, &total,
                                         &capped, &e),
                         0, "%s: total: %s", what, e.msg);
            CHECK_INT_EQ(total, (int64_t)nwant, "%s: total", what);
            if (nwant > 2) {
                CHECK_INT_EQ(case_list_total(f.c, &flt, &f.actors[actors[a].who], 2, 0, &f.a,
                                             &total, &capped, &e),
                             0, "%s: capped total: %s", what, e.msg);
                CHECK(total == 2 && capped == 1, "%s: capped total %lld (%d)", what,
                      (long long)total, capped);
            }
        }
    teardown(&f);
}

/* A region and a category together are collected past an exact bound over their pairs
 * (pair_plan()), or on PostgreSQL as the newest of each pair's own page: the pages equal the
 * two filters' cases in the order of every case, and the count, read from the pairs' index
 * ranges, is theirs. */
static void region_and_category_on(const char *db)
{
    struct fixture f;
    enum { N = 40 };
    int64_t ids[N], where[N], what[N], every[N + 1];
    setup(&f, db);
    int64_t micro = region(&f, "33010000100101.1", ORG_REGION_MICRO, f.grid1);
    int64_t places[5] = {f.street1, f.community1, f.grid1, micro, f.street2};
    int64_t kinds[3] = {f.cat_1, f.cat_11, f.cat_2};
    for (int i = 0; i < N; i++) {
        /* The last ten: a storm of category 2 in street 2, newer than the rest. */
        where[i] = i < N - 10 ? places[i % 5] : f.street2;
        what[i] = i < N - 10 ? kinds[i % 3] : f.cat_2;
        ids[i] = make(&f, &(struct spec){U_OPERATOR, CH_HOTLINE, "区域分类工单", NULL, what[i],
                                         CU_NORMAL, where[i], i < N - 10 ? i * 10 : 1000 + i});
    }
    const struct {
        int64_t region, category;
        int64_t holds[5], of[3]; /* its regions and categories, 0-terminated */
        const char *what;
    } rows[] = {
        {f.street1,
         f.cat_1,
         {f.street1, f.community1, f.grid1, micro},
         {f.cat_1, f.cat_11},
         "street, category subtree"},
        {f.community1, f.cat_11, {f.community1, f.grid1, micro}, {f.cat_11}, "community, leaf"},
        {f.grid1, f.cat_1, {f.grid1, micro}, {f.cat_1, f.cat_11}, "grid, subtree"},
        {f.street2, f.cat_2, {f.street2}, {f.cat_2}, "the storm's street and category"},
        {f.street2, f.cat_11, {f.street2}, {f.cat_11}, "street 2, leaf"},
        {micro, f.cat_2, {micro}, {f.cat_2}, "micro-grid"},
    };
    size_t n = list(&f, (struct case_filter){.limit = 50}, U_ADMIN, every, N + 1, NULL);
    CHECK_INT_EQ(n, N, "every case");
    for (size_t r = 0; r < ARRAY_SIZE(rows); r++) {
        size_t nwant = 0;
        int64_t want[N];
        for (size_t i = 0; i < n; i++)
            for (int j = 0; j < N; j++) {
                if (every[i] != ids[j])
                    continue;
                int in_region = 0, in_category = 0;
                for (int k = 0; k < 5 && rows[r].holds[k]; k++)
                    in_region |= where[j] == rows[r].holds[k];
                for (int k = 0; k < 3 && rows[r].of[k]; k++)
                    in_category |= what[j] == rows[r].of[k];
                if (in_region && in_category)
                    want[nwant++] = ids[j];
            }
        struct case_filter flt = {
            .region_id = rows[r].region, .category_id = rows[r].category, .limit = 2};
        same_pages(&f, flt, U_ADMIN, want, nwant, rows[r].what);
        int64_t total = -1;
        int capped = -1;
        struct err e = ERR_INIT;
        CHECK_INT_EQ(
            case_list_total(f.c, &flt, &f.actors[U_ADMIN], 0, 0, &f.a, &total, &capped, &e), 0,
            "%s: total: %s", rows[r].what, e.msg);
        CHECK_INT_EQ(total, (int64_t)nwant, "%s: total", rows[r].what);
    }
    teardown(&f);
}

TEST(case_list_region_and_category)
{
    const char *pg = getenv("GRIDLOOP_TEST_PG");
    region_and_category_on("query_region_category.db");
    if (pg && *pg)
        region_and_category_on("pg:query_region_category");
}

struct seen {
    int64_t ids[8];
    size_t n;
};

static void seen_open(void *ctx, const struct case_open *k)
{
    struct seen *s = ctx;
    if (s->n < ARRAY_SIZE(s->ids))
        s->ids[s->n++] = k->id;
}

/* case_scan_open reads the window a range of ids at a time (one statement's result is held
 * whole by libpq): cases far apart in ids, an old one and a closed one. */
static void scan_open_on(const char *db)
{
    struct fixture f;
    struct err e = ERR_INIT;
    setup(&f, db);
    int64_t old = make(&f, &(struct spec){U_OPERATOR, CH_HOTLINE, "旧的工单", NULL, f.cat_1,
                                          CU_NORMAL, f.street1, 0});
    int64_t open1 = make(&f, &(struct spec){U_OPERATOR, CH_HOTLINE, "窗口内的工单", NULL, f.cat_1,
                                            CU_NORMAL, f.street1, 200});
    int64_t shut = make(&f, &(struct spec){U_OPERATOR, CH_HOTLINE, "已关闭的工单", NULL, f.cat_2,
                                           CU_NORMAL, f.street1, 300});
    /* A copy of open1 far beyond it in ids (several ranges of the scan away). */
    int64_t far = open1 + 123457;
    CHECK_INT_EQ(store_run(f.c, "UPDATE cases SET state = 'closed' WHERE id = ?",
                           STORE_ARGS(store_i64(shut)), &e),
                 1, "close: %s", e.msg);
    const char *copy[] = {
        "CREATE TEMP TABLE far_case AS SELECT * FROM cases WHERE 1 = 0",
        "INSERT INTO far_case SELECT * FROM cases WHERE id = ?",
        "UPDATE far_case SET id = ?, number = number || 'F', title = '远处的工单'",
        "INSERT INTO cases SELECT * FROM far_case",
    };
    for (size_t i = 0; i < ARRAY_SIZE(copy); i++)
        CHECK(store_run(f.c, copy[i],
                        i == 1   ? STORE_ARGS(store_i64(open1))
                        : i == 2 ? STORE_ARGS(store_i64(far))
                                 : STORE_NO_ARGS,
                        &e) >= 0,
              "%s: %s", copy[i], e.msg);
    int64_t open2 = make(&f, &(struct spec){U_OPERATOR, CH_HOTLINE, "最新的工单", NULL, f.cat_2,
                                            CU_NORMAL, f.street2, 400});
    struct seen got = {0};
    CHECK_INT_EQ(case_scan_open(f.c, T0 + 100, seen_open, &got, &e), 0, "scan: %s", e.msg);
    int64_t want[] = {open1, far, open2, 0};
    check_set(got.ids, got.n, want, "open cases of the window");
    CHECK(!has(got.ids, got.n, old) && !has(got.ids, got.n, shut), "old and closed left out");
    got.n = 0;
    CHECK_INT_EQ(case_scan_open(f.c, T0 + 100000, seen_open, &got, &e), 0, "scan: %s", e.msg);
    CHECK_INT_EQ(got.n, 0, "an empty window");
    teardown(&f);
}

TEST(case_scan_open_reads_the_window_in_id_ranges)
{
    const char *pg = getenv("GRIDLOOP_TEST_PG");
    scan_open_on("scan_open.db");
    if (pg && *pg)
        scan_open_on("pg:scan_open");
}

TEST(case_list_bad_filters)
{
    struct fixture f;
    struct case_rec *recs;
    size_t n;
    char cursor[CASE_CURSOR_MAX];
    setup(&f, "query_bad.db");
    char long_text[CASE_TEXT_MAX * 3 + 4];
    memset(long_text, 0, sizeof(long_text));
    for (int i = 0; i <= CASE_TEXT_MAX; i++)
        strcat(long_text, "路");
    static const struct {
        struct case_filter f;
        const char *field;
    } bad[] = {
        {{.limit = CASE_LIST_MAX + 1}, "limit"},
        {{.limit = -1}, "limit"},
        {{.region_id = 999}, "region"},
        {{.category_id = 999}, "category"},
        {{.text = "\xff\xfe"}, "q"},
        {{.states = 1u << CASE_STATE_COUNT}, "state"},
        {{.sort = CASE_SORT_COUNT}, "sort"},
        {{.queue = CASE_QUEUE_COUNT}, "queue"},
        {{.created_from = T0 + 10, .created_to = T0}, "to"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct err e = ERR_INIT;
        CHECK_INT_EQ(
            case_list(f.c, &bad[i].f, &f.actors[U_ADMIN], &f.a, &recs, &n, cursor, NULL, &e),
            ERR_BAD_REQUEST, "row %zu", i);
        CHECK_STR_EQ(e.field, bad[i].field, "row %zu: %s", i, e.msg);
    }
    struct err e = ERR_INIT;
    struct case_filter lf = {.text = long_text};
    CHECK_INT_EQ(case_list(f.c, &lf, &f.actors[U_ADMIN], &f.a, &recs, &n, cursor, NULL, &e),
                 ERR_BAD_REQUEST, "long text");
    CHECK_STR_EQ(e.field, "q", "long text");
    long_text[strlen(long_text) - 3] = '\0';
    CHECK_INT_EQ(case_list(f.c, &lf, &f.actors[U_ADMIN], &f.a, &recs, &n, cursor, NULL, &e), 0,
                 "%d characters: %s", CASE_TEXT_MAX, e.msg);
    teardown(&f);
}

/* case_get_many_brief() for every count of ids from 1 to CASE_MANY_MAX (on SQLite one
 * statement per count), ids that are no case among them, and a case with an assisting
 * department: the rows found are exactly the cases asked for, each with its own fields. */
static void many_brief_on(const char *name)
{
    struct fixture f;
    struct err e = ERR_INIT;
    setup(&f, name);
    int64_t ids[CASE_MANY_MAX + 1];
    for (int i = 0; i < CASE_MANY_MAX; i++) {
        char *title = arena_printf(&f.a, "第%d件", i);
        ids[i] = make(&f, &(struct spec){U_OPERATOR, CH_HOTLINE, title, NULL, f.cat_11, CU_NORMAL,
                                         f.grid1, i});
    }
    static int64_t assist_b[1];
    assist_b[0] = f.dept_b;
    act(&f, ids[3],
        (struct case_action_in){.action = CA_DISPATCH,
                                .department_id = f.dept_a,
                                .assisting = assist_b,
                                .nassisting = 1},
        60);
    struct case_rec out[CASE_MANY_MAX];
    for (int k = 1; k <= CASE_MANY_MAX; k++) {
        int64_t ask[CASE_MANY_MAX];
        int found = 0, n = -1;
        /* Every third one is no case: a removed id, or one beyond the last. */
        for (int i = 0; i < k; i++)
            ask[i] = i % 3 == 2 ? ids[CASE_MANY_MAX - 1] + 1000 + i : ids[(i * 7 + k) % 16];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < i; j++)
                if (ask[j] == ask[i])
                    ask[i] = ids[CASE_MANY_MAX - 1] + 2000 + i; /* ids are never asked twice */
        CHECK_INT_EQ(case_get_many_brief(f.c, ask, k, &f.a, out, &n, &e), 0, "%d ids: %s", k,
                     e.msg);
        for (int i = 0; i < k; i++)
            found += ask[i] <= ids[CASE_MANY_MAX - 1];
        CHECK_INT_EQ(n, found, "%d ids", k);
        for (int r = 0; r < n; r++) {
            int at = -1;
            for (int i = 0; i < CASE_MANY_MAX; i++)
                if (ids[i] == out[r].id)
                    at = i;
            CHECK(at >= 0, "%d ids: row %d is case %lld, not one asked", k, r,
                  (long long)out[r].id);
            int asked = 0;
            for (int i = 0; i < k; i++)
                asked |= ask[i] == out[r].id;
            CHECK(asked, "%d ids: case %lld was not asked for", k, (long long)out[r].id);
            CHECK_STR_EQ(out[r].title, arena_printf(&f.a, "第%d件", at), "%d ids: title", k);
            CHECK_INT_EQ(out[r].created_at, T0 + at, "%d ids: created_at", k);
            CHECK_STR_EQ(out[r].region_code, "33010000100101", "%d ids: region", k);
            CHECK_INT_EQ(out[r].lead_department_id, at == 3 ? f.dept_a : 0, "%d ids: lead", k);
            CHECK_INT_EQ(out[r].nassisting, at == 3, "%d ids: assisting", k);
            if (at == 3)
                CHECK_INT_EQ(out[r].assisting[0], f.dept_b, "%d ids: the assisting department", k);
        }
    }
    int n = -1;
    CHECK_INT_EQ(case_get_many_brief(f.c, ids, 0, &f.a, out, &n, &e), 0, "no ids");
    CHECK_INT_EQ(n, 0, "no ids, no rows");
    CHECK_INT_EQ(case_get_many_brief(f.c, ids, CASE_MANY_MAX + 1, &f.a, out, &n, &e), ERR_INTERNAL,
                 "more than CASE_MANY_MAX");
    teardown(&f);
}

TEST(case_get_many_brief_reads_the_cases_asked_for)
{
    const char *pg = getenv("GRIDLOOP_TEST_PG");
    many_brief_on("query_brief.db");
    if (pg && *pg)
        many_brief_on("pg:query_brief");
}
