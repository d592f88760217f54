/*
 * The centre's controls in the case module: 督办单 (who sees an order and may take which step, when
 * it is overdue, its names) and 办结审核 (which rule decides whether a reply waits for review: the
 * nearest up the category tree, then the default; on a real SQLite store), and a reply walked
 * through review with the real workflow.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "cal/cal.h"
#include "case/case.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "org/org.h"
#include "store/store.h"
#include "test.h"

#define NOW 1800000000LL

TEST(case_order_names_round_trip)
{
    for (int i = 0; i < CASE_ORDER_LEVEL_COUNT; i++)
        CHECK_INT_EQ(case_order_level_from_name(case_order_level_name((enum case_order_level)i)), i,
                     "level %d", i);
    for (int i = 0; i < CASE_ORDER_STATE_COUNT; i++)
        CHECK_INT_EQ(case_order_state_from_name(case_order_state_name((enum case_order_state)i)), i,
                     "state %d", i);
    CHECK_STR_EQ(case_order_level_name(COL_LISTED), "listed", "挂牌");
    CHECK_STR_EQ(case_order_step_name(COP_SEND_BACK), "send_back", "step");
    CHECK_INT_EQ(case_order_level_from_name("urgent"), -1, "unknown level");
    CHECK_INT_EQ(case_order_state_from_name(NULL), -1, "NULL state");
}

TEST(case_order_who_sees_and_acts)
{
    int64_t cgj = 2, other = 3;
    struct case_order o = {.id = 1,
                           .department_id = 2,
                           .region_code = "330179001",
                           .state = COS_ISSUED,
                           .deadline = NOW + 3600};
    struct case_actor sup = {1, "s", ROLE_SUPERVISOR, NULL, 0, NULL};
    struct case_actor sup_here = {1, "s", ROLE_SUPERVISOR, NULL, 0, "330179"};
    struct case_actor sup_there = {1, "s", ROLE_SUPERVISOR, NULL, 0, "330180"};
    struct case_actor lead = {2, "h", ROLE_HANDLER, &cgj, 1, NULL};
    struct case_actor stranger = {3, "h", ROLE_HANDLER, &other, 1, NULL};
    struct case_actor citizen = {4, "c", ROLE_CITIZEN, NULL, 0, NULL};
    struct case_actor admin = {5, "a", ROLE_ADMIN, NULL, 0, NULL};
    CHECK(case_order_visible(&sup, &o) && case_order_visible(&sup_here, &o), "the centre sees it");
    CHECK(!case_order_visible(&sup_there, &o), "not outside a bound supervisor's region");
    CHECK(case_order_visible(&lead, &o) && !case_order_visible(&stranger, &o),
          "its department only");
    CHECK(!case_order_visible(&citizen, &o), "never a citizen");
    /* Issued: the department answers; nobody decides yet. */
    CHECK_INT_EQ(case_order_steps(&lead, &o), 1u << COP_ANSWER, "lead answers");
    CHECK_INT_EQ(case_order_steps(&sup, &o), 0, "supervisor waits");
    CHECK_INT_EQ(case_order_steps(&stranger, &o), 0, "another department nothing");
    CHECK_INT_EQ(case_order_steps(&admin, &o), 1u << COP_ANSWER, "admin may answer");
    /* Answered: the supervisor accepts or sends back; the department waits. */
    o.state = COS_ANSWERED;
    CHECK_INT_EQ(case_order_steps(&sup, &o), 1u << COP_ACCEPT | 1u << COP_SEND_BACK, "decide");
    CHECK_INT_EQ(case_order_steps(&sup_there, &o), 0, "not outside the region");
    CHECK_INT_EQ(case_order_steps(&lead, &o), 0, "lead waits");
    o.state = COS_ACCEPTED;
    CHECK_INT_EQ(case_order_steps(&sup, &o) | case_order_steps(&lead, &o), 0, "done");
}

TEST(case_order_overdue_only_while_waiting_for_the_answer)
{
    struct case_order o = {.state = COS_ISSUED, .deadline = NOW};
    CHECK(!case_order_overdue(&o, NOW), "at the deadline it is not late yet");
    CHECK(case_order_overdue(&o, NOW + 1), "after it");
    o.state = COS_ANSWERED;
    CHECK(!case_order_overdue(&o, NOW + 1), "answered: the supervisor's turn");
    o.state = COS_ACCEPTED;
    CHECK(!case_order_overdue(&o, NOW + 1), "done");
}

/* ---- 办结审核 on a real store ---- */

struct fixture {
    struct store *st;
    struct store_conn *c;
    struct cal *cal;
    int64_t dept, top, mid, leaf, other;
    unsigned char key[32];
    struct case_config cfg;
    struct case_actor actor;
    struct case_env env;
};

static int64_t category(struct fixture *f, const char *code, int level, int64_t parent)
{
    struct err e = ERR_INIT;
    int64_t id = 0;
    struct org_category_in k = {.code = code,
                                .name = code,
                                .level = level,
                                .parent_id = parent,
                                .department_id = f->dept,
                                .sla = {1, 4, 8, CAL_WORK_HOURS},
                                .active = 1};
    CHECK_INT_EQ(org_category_create(f->c, &k, 1, &id, &e), 0, "cat %s: %s", code, e.msg);
    return id;
}

static void setup(struct fixture *f, const char *name)
{
    char path[512];
    struct err e = ERR_INIT;
    memset(f, 0, sizeof(*f));
    log_set_level(LOG_WARN);
    CHECK(sodium_init() >= 0, "libsodium");
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&f->st, &o, &e), 0, "open: %s", e.msg);
    store_conn(f->st, &f->c, &e);
    CHECK_INT_EQ(cal_new(&f->cal, &e), 0, "cal");
    store_begin(f->c, &e);
    struct org_department_in d = {"CGJ", "城管局", 0, "", 1};
    CHECK_INT_EQ(org_department_create(f->c, &d, 1, &f->dept, &e), 0, "dept: %s", e.msg);
    f->top = category(f, "01", 1, 0);
    f->mid = category(f, "0101", 2, f->top);
    f->leaf = category(f, "010101", 3, f->mid);
    f->other = category(f, "02", 1, 0);
    int64_t user;
    struct auth_user_input u = {.name = "tester", .password = "tester-pass", .roles = ROLE_ADMIN};
    CHECK_INT_EQ(auth_user_create(f->c, &u, 1, &user, &e), 0, "user: %s", e.msg);
    store_commit(f->c, &e);
    randombytes_buf(f->key, sizeof(f->key));
    f->cfg = (struct case_config){2, 24, 72, f->key};
    f->actor = (struct case_actor){user, "tester", ROLE_ADMIN, &f->dept, 1, NULL};
    f->env = (struct case_env){f->c, f->cal, &f->cfg, &f->actor, NOW, NULL, NULL};
}

static int needed(struct fixture *f, int64_t cat)
{
    struct err e = ERR_INIT;
    int n = -1;
    CHECK_INT_EQ(case_review_needed(f->c, cat, &n, &e), 0, "needed: %s", e.msg);
    return n;
}

static void rule(struct fixture *f, int64_t cat, int review)
{
    struct err e = ERR_INIT;
    CHECK_INT_EQ(case_review_rule_set(f->c, cat, review, NOW, 0, &e), 0, "set: %s", e.msg);
}

TEST(case_review_nearest_rule_decides)
{
    struct fixture f;
    struct err e = ERR_INIT;
    setup(&f, "review_rules.db");
    CHECK_INT_EQ(needed(&f, f.leaf) | needed(&f, 0), 0, "no rule: no review");
    rule(&f, f.top, 1);
    CHECK(needed(&f, f.leaf) && needed(&f, f.mid) && needed(&f, f.top), "the subtree of 01");
    CHECK(!needed(&f, f.other) && !needed(&f, 0), "not another branch, nor no category");
    rule(&f, f.mid, 0);
    CHECK(!needed(&f, f.leaf) && !needed(&f, f.mid) && needed(&f, f.top), "0101 exempted");
    rule(&f, f.leaf, 1);
    CHECK(needed(&f, f.leaf), "the leaf's own rule is nearest");
    rule(&f, 0, 1);
    CHECK(needed(&f, f.other) && needed(&f, 0), "the default covers the rest");
    CHECK(!needed(&f, f.mid), "but not a branch exempted");
    CHECK_INT_EQ(case_review_rule_delete(f.c, f.mid, &e), 0, "delete");
    CHECK(needed(&f, f.mid), "0101 follows its parent again");
    CHECK_INT_EQ(case_review_rule_delete(f.c, f.mid, &e), ERR_NOT_FOUND, "deleted twice");
    CHECK_INT_EQ(case_review_rule_set(f.c, 999, 1, NOW, 0, &e), ERR_BAD_REQUEST,
                 "unknown category");
    CHECK_STR_EQ(e.field, "category", "named");
    struct arena a;
    struct case_review_rule *v;
    size_t n;
    arena_init(&a, 1024);
    CHECK_INT_EQ(case_review_rule_list(f.c, &a, &v, &n, &e), 0, "list");
    CHECK(n == 3 && v[0].category_id == 0 && v[0].review, "the default first, of %zu", n);
    arena_release(&a);
    cal_free(f.cal);
    store_close(f.st);
}

TEST(case_review_reply_waits_for_the_centre)
{
    struct fixture f;
    struct err e = ERR_INIT;
    struct arena a;
    struct case_rec r;
    setup(&f, "review_walk.db");
    arena_init(&a, 4096);
    rule(&f, f.top, 1);
    struct case_new in = {.channel = CH_HOTLINE,
                          .title = "路面垃圾",
                          .description = "青石路垃圾堆积",
                          .category_id = f.leaf,
                          .urgency = -1,
                          .citizen_phone = "13800138000"};
    struct case_created out;
    CHECK_INT_EQ(case_create(&f.env, &in, &out, &e), 0, "create: %s", e.msg);
    struct case_action_in steps[] = {
        {.action = CA_DISPATCH, .department_id = f.dept, .contacted = -1, .solved = -1},
        {.action = CA_SIGN, .contacted = -1, .solved = -1},
        {.action = CA_REPLY, .result = "已清理", .contacted = 1, .solved = 1},
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        case_get(f.c, out.id, &a, &r, &e);
        steps[i].version = r.version;
        CHECK_INT_EQ(case_act(&f.env, out.id, &steps[i], &e), 0, "step %zu: %s", i, e.msg);
    }
    CHECK_INT_EQ(case_get(f.c, out.id, &a, &r, &e), 0, "get");
    CHECK_INT_EQ(r.state, CASE_REVIEWING, "waits for review");
    CHECK(r.replied_at == 0, "not replied yet");
    struct case_action_in back = {
        .action = CA_SEND_BACK, .version = r.version, .contacted = -1, .solved = -1};
    CHECK_INT_EQ(case_act(&f.env, out.id, &back, &e), ERR_BAD_REQUEST, "a reason is required");
    back.note = "请写明措施";
    CHECK_INT_EQ(case_act(&f.env, out.id, &back, &e), 0, "send back: %s", e.msg);
    CHECK_INT_EQ(case_get(f.c, out.id, &a, &r, &e), 0, "get");
    CHECK_INT_EQ(r.state, CASE_PROCESSING, "processing again");
    struct case_action_in reply = {.action = CA_REPLY,
                                   .version = r.version,
                                   .result = "已清理并巡查",
                                   .contacted = 1,
                                   .solved = 1};
    f.env.now = NOW + 600;
    CHECK_INT_EQ(case_act(&f.env, out.id, &reply, &e), 0, "reply: %s", e.msg);
    f.env.now = NOW + 3600;
    CHECK_INT_EQ(case_get(f.c, out.id, &a, &r, &e), 0, "get");
    struct case_action_in ok = {
        .action = CA_ACCEPT, .version = r.version, .contacted = -1, .solved = -1};
    CHECK_INT_EQ(case_act(&f.env, out.id, &ok, &e), 0, "accept: %s", e.msg);
    CHECK_INT_EQ(case_get(f.c, out.id, &a, &r, &e), 0, "get");
    CHECK_INT_EQ(r.state, CASE_REPLIED, "replied");
    CHECK_INT_EQ(r.replied_at, NOW + 600, "from the department's reply, not the review");
    struct case_event_rec *ev;
    size_t n;
    CHECK_INT_EQ(case_timeline(f.c, out.id, &a, &ev, &n, &e), 0, "timeline");
    CHECK(n > 0 && strcmp(ev[n - 1].action, "accept") == 0 &&
              strcmp(ev[n - 1].note, "已清理并巡查") == 0,
          "the accept event carries the accepted reply");
    arena_release(&a);
    cal_free(f.cal);
    store_close(f.st);
}
