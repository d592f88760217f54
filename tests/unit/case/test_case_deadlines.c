/*
 * Deadlines through the real workflow: dispatch on the 2026 calendar across weekends,
 * holidays and 调休, the 挂账 pause and resume, the rectification limit, and the sweeper's
 * idempotent urge levels. A real SQLite store in the test directory, a fixed clock.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "cal/cal.h"
#include "cal/cal_cn.h"
#include "case/case.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "org/org.h"
#include "store/store.h"
#include "test.h"

/* 2026-09-24 (Thursday) 16:00 +08:00 */
#define T_THU_1600 1790236800

struct fixture {
    struct store *st;
    struct store_conn *c;
    struct cal *cal;
    int64_t dept, cat_hours, cat_days;
    unsigned char key[32];
    struct case_config cfg;
    struct case_actor actor;
    struct case_env env;
};

static int64_t local(int y, int m, int d, int hh, int mm)
{
    return clock_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 - 8 * 3600;
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
    CHECK_INT_EQ(cal_cn_load_2026(f->cal, &e), 0, "holidays");
    store_begin(f->c, &e);
    struct org_department_in d = {"CGJ", "城管局", 0, "", 1};
    CHECK_INT_EQ(org_department_create(f->c, &d, 1, &f->dept, &e), 0, "dept: %s", e.msg);
    struct org_category_in k1 = {.code = "01",
                                 .name = "市容",
                                 .level = 1,
                                 .department_id = f->dept,
                                 .sla = {1, 4, 8, CAL_WORK_HOURS},
                                 .active = 1};
    CHECK_INT_EQ(org_category_create(f->c, &k1, 1, &f->cat_hours, &e), 0, "cat: %s", e.msg);
    struct org_category_in k2 = {.code = "02",
                                 .name = "违建",
                                 .level = 1,
                                 .department_id = f->dept,
                                 .sla = {1, 5, 10, CAL_WORK_DAYS},
                                 .active = 1};
    CHECK_INT_EQ(org_category_create(f->c, &k2, 1, &f->cat_days, &e), 0, "cat: %s", e.msg);
    int64_t user;
    struct auth_user_input u = {.name = "tester", .password = "tester-pass", .roles = ROLE_ADMIN};
    CHECK_INT_EQ(auth_user_create(f->c, &u, 1, &user, &e), 0, "user: %s", e.msg);
    store_commit(f->c, &e);
    randombytes_buf(f->key, sizeof(f->key));
    f->cfg = (struct case_config){2, 24, 72, f->key};
    f->actor = (struct case_actor){user, "tester", ROLE_ADMIN, &f->dept, 1, NULL};
    f->env = (struct case_env){f->c, f->cal, &f->cfg, &f->actor, T_THU_1600, NULL, NULL};
}

static void teardown(struct fixture *f)
{
    cal_free(f->cal);
    store_close(f->st);
}

static int64_t new_case(struct fixture *f, int64_t category)
{
    struct case_new in = {.channel = CH_HOTLINE,
                          .title = "路面垃圾",
                          .description = "青石路垃圾堆积",
                          .category_id = category,
                          .urgency = -1,
                          .citizen_phone = "13800138000"};
    struct case_created out;
    struct err e = ERR_INIT;
    CHECK_INT_EQ(case_create(&f->env, &in, &out, &e), 0, "create: %s", e.msg);
    return out.id;
}

static int act(struct fixture *f, int64_t id, struct case_action_in in, struct err *e)
{
    struct arena a;
    struct case_rec r;
    arena_init(&a, 1024);
    case_get(f->c, id, &a, &r, e);
    in.version = r.version;
    if (in.contacted == 0 && in.solved == 0 && in.action != CA_REPLY && in.action != CA_EVALUATE)
        in.contacted = in.solved = -1;
    int rc = case_act(&f->env, id, &in, e);
    arena_release(&a);
    return rc;
}

static struct case_rec get(struct fixture *f, int64_t id, struct arena *a)
{
    struct case_rec r;
    struct err e = ERR_INIT;
    CHECK_INT_EQ(case_get(f->c, id, a, &r, &e), 0, "get: %s", e.msg);
    return r;
}

TEST(case_deadlines_over_the_national_day_break)
{
    struct fixture f;
    struct err e = ERR_INIT;
    struct arena a;
    setup(&f, "deadlines1.db");
    arena_init(&a, 4096);
    int64_t hours = new_case(&f, f.cat_hours), days = new_case(&f, f.cat_days);
    CHECK_INT_EQ(
        act(&f, hours, (struct case_action_in){.action = CA_DISPATCH, .department_id = f.dept}, &e),
        0, "%s", e.msg);
    CHECK_INT_EQ(
        act(&f, days, (struct case_action_in){.action = CA_DISPATCH, .department_id = f.dept}, &e),
        0, "%s", e.msg);
    struct case_rec h = get(&f, hours, &a), d = get(&f, days, &a);
    /* Thu 16:00 + 1 working hour = Thu 17:00. 8 working hours: Thu 16:00-17:30 (1.5 h);
     * Fri 25 to Sun 27 are 中秋 days off; Mon 28 09:00-12:00 (3 h) and 13:30-17:00 (3.5 h). */
    CHECK_INT_EQ(h.sign_deadline, local(2026, 9, 24, 17, 0), "sign: 1 working hour");
    CHECK_INT_EQ(h.resolve_deadline, local(2026, 9, 28, 17, 0),
                 "resolve: 8 working hours over 中秋");
    /* 10 working days from Thu 24 Sep: 28, 29, 30 Sep, then 国庆 1-7 Oct off, Sat 10 Oct worked
     * (调休) — 8, 9, 10, 12, 13, 14, 15 → the 10th working day is Thu 15 Oct at 16:00. */
    CHECK_INT_EQ(d.resolve_deadline, local(2026, 10, 15, 16, 0),
                 "resolve: 10 working days over 国庆 and 调休");
    CHECK_STR_EQ(d.sla_unit, "work_days", "unit kept");
    teardown(&f);
    arena_release(&a);
}

TEST(case_hang_pauses_the_clock)
{
    struct fixture f;
    struct err e = ERR_INIT;
    struct arena a;
    setup(&f, "deadlines2.db");
    arena_init(&a, 4096);
    int64_t id = new_case(&f, f.cat_hours);
    CHECK_INT_EQ(
        act(&f, id, (struct case_action_in){.action = CA_DISPATCH, .department_id = f.dept}, &e), 0,
        "%s", e.msg);
    CHECK_INT_EQ(act(&f, id, (struct case_action_in){.action = CA_SIGN}, &e), 0, "%s", e.msg);
    CHECK_INT_EQ(
        act(&f, id, (struct case_action_in){.action = CA_HANG, .note = "等待管线改造"}, &e), 0,
        "%s", e.msg);
    /* Approved Thu 16:30: 7.5 working hours remain until the deadline, Mon 28 17:00. */
    f.env.now = local(2026, 9, 24, 16, 30);
    CHECK_INT_EQ(act(&f, id, (struct case_action_in){.action = CA_APPROVE}, &e), 0, "%s", e.msg);
    struct case_rec r = get(&f, id, &a);
    CHECK_INT_EQ(r.state, CASE_HANGING, "hanging");
    CHECK(r.paused_at != 0, "paused");
    /* Resumed two weeks later, Mon 12 Oct 09:00: 7 working hours that day, the last half
     * hour on Tue 13 Oct → 09:30. */
    f.env.now = local(2026, 10, 12, 9, 0);
    CHECK_INT_EQ(act(&f, id, (struct case_action_in){.action = CA_RESUME}, &e), 0, "%s", e.msg);
    r = get(&f, id, &a);
    CHECK_INT_EQ(r.state, CASE_PROCESSING, "processing again");
    CHECK_INT_EQ(r.resolve_deadline, local(2026, 10, 13, 9, 30), "the paused time does not count");
    CHECK_INT_EQ(r.paused_at, 0, "no longer paused");
    teardown(&f);
    arena_release(&a);
}

TEST(case_rectification_deadline_and_sweeper_levels)
{
    struct fixture f;
    struct err e = ERR_INIT;
    struct arena a;
    struct case_sweep_report rep;
    setup(&f, "deadlines3.db");
    arena_init(&a, 4096);
    int64_t id = new_case(&f, f.cat_hours);
    act(&f, id, (struct case_action_in){.action = CA_DISPATCH, .department_id = f.dept}, &e);
    act(&f, id, (struct case_action_in){.action = CA_SIGN}, &e);
    CHECK_INT_EQ(act(&f, id,
                     (struct case_action_in){
                         .action = CA_REPLY, .result = "已清理", .contacted = 1, .solved = 1},
                     &e),
                 0, "%s", e.msg);
    CHECK_INT_EQ(act(&f, id,
                     (struct case_action_in){.action = CA_EVALUATE,
                                             .satisfaction = CS_UNSATISFIED,
                                             .contacted = -1,
                                             .solved = -1},
                     &e),
                 0, "%s", e.msg);
    struct case_rec r = get(&f, id, &a);
    CHECK_INT_EQ(r.state, CASE_RECTIFYING, "rectifying");
    CHECK_INT_EQ(r.rectify_round, 1, "round");
    CHECK_INT_EQ(r.resolve_deadline, T_THU_1600 + 24 * 3600, "24 natural hours to rectify");
    /* Nothing is overdue yet. */
    CHECK_INT_EQ(case_sweep(&f.env, &rep, &e), 0, "sweep");
    CHECK_INT_EQ(rep.urged, 0, "not overdue");
    /* Fri 25 Sep 17:00 is one hour late (a holiday, but the rectify limit is natural time):
     * level 1 → one urge. A second sweep at the same time writes nothing. */
    f.env.now = T_THU_1600 + 25 * 3600;
    CHECK_INT_EQ(case_sweep(&f.env, &rep, &e), 0, "sweep");
    CHECK_INT_EQ(rep.urged, 1, "urged once");
    CHECK_INT_EQ(rep.escalated, 0, "not escalated on day one");
    CHECK_INT_EQ(case_sweep(&f.env, &rep, &e), 0, "sweep again");
    CHECK_INT_EQ(rep.urged, 0, "idempotent");
    /* Two working days later (Tue 29 Sep): level ≥ 2 → a new urge and escalation. */
    f.env.now = local(2026, 9, 29, 18, 0);
    CHECK_INT_EQ(case_sweep(&f.env, &rep, &e), 0, "sweep");
    CHECK_INT_EQ(rep.urged, 1, "urged at the next level");
    CHECK_INT_EQ(rep.escalated, 1, "escalated");
    r = get(&f, id, &a);
    CHECK(r.overdue && r.escalated && r.urge_count == 2, "overdue %d escalated %d urges %d",
          r.overdue, r.escalated, r.urge_count);
    teardown(&f);
    arena_release(&a);
}

TEST(case_phone_is_encrypted_at_rest)
{
    struct fixture f;
    struct err e = ERR_INIT;
    struct arena a;
    const char *phone;
    setup(&f, "phone.db");
    arena_init(&a, 1024);
    int64_t id = new_case(&f, 0);
    int64_t found = 0;
    CHECK_INT_EQ(
        store_one_i64(f.c,
                      "SELECT count(*) FROM cases WHERE instr(citizen_phone_enc, '13800138000') > 0"
                      " OR instr(citizen_phone_hash, '13800138000') > 0",
                      STORE_NO_ARGS, &found, &e),
        1, "query");
    CHECK_INT_EQ(found, 0, "the number is not stored in clear");
    struct case_rec r = get(&f, id, &a);
    CHECK_STR_EQ(r.citizen_phone_mask, "138****8000", "mask");
    CHECK_INT_EQ(case_reveal_phone(&f.env, id, &a, &phone, &e), 0, "reveal: %s", e.msg);
    CHECK_STR_EQ(phone, "13800138000", "decrypts");
    unsigned char other[32] = {1};
    f.cfg.key = other;
    CHECK_INT_EQ(case_reveal_phone(&f.env, id, &a, &phone, &e), ERR_INTEGRITY,
                 "a wrong key does not decrypt");
    teardown(&f);
    arena_release(&a);
}
