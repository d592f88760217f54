/*
 * The app without any HTTP around it: the clock with its test offset, the organisation
 * version and the state derived from it, the sweep as the system, rate windows, and intake
 * from preparation to commit, on a real SQLite store with the demo organisation.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "case/case.h"
#include "cal/cal.h"
#include "core/conf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "demo/demo.h"
#include "store/store.h"
#include "test.h"

/* 2026-09-24 (Thursday) 16:00 +08:00 */
#define T_NOW 1790236800

struct fixture {
    struct conf cf;
    struct store *st;
    struct store_conn *c;
    struct app *app;
    struct arena a;
    struct err e;
    struct app_ctx x;
    unsigned char key[32];
};

static void setup(struct fixture *f, const char *name)
{
    char path[512];
    memset(f, 0, sizeof(*f));
    log_set_level(LOG_WARN);
    CHECK(sodium_init() >= 0, "libsodium");
    conf_defaults(&f->cf);
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&f->st, &o, &f->e), 0, "open: %s", f->e.msg);
    CHECK_INT_EQ(store_conn(f->st, &f->c, &f->e), 0, "conn: %s", f->e.msg);
    struct demo_report rep;
    randombytes_buf(f->key, sizeof(f->key));
    CHECK_INT_EQ(demo_load(f->st, "demo-password", f->key, T_NOW, &rep, &f->e), 0, "demo: %s",
                 f->e.msg);
    struct app_deps d = {
        .conf = &f->cf, .store = f->st, .clock = clock_fixed(T_NOW), .data_key = f->key};
    CHECK_INT_EQ(app_new(&f->app, &d, &f->e), 0, "app: %s", f->e.msg);
    arena_init(&f->a, 4096);
    f->x = (struct app_ctx){f->app, f->c, &f->a, app_now(f->app), NULL, &f->e};
}

static void teardown(struct fixture *f)
{
    app_free(f->app);
    arena_release(&f->a);
    store_close(f->st);
    conf_release(&f->cf);
}

TEST(app_clock_offset_moves_now)
{
    struct fixture f;
    setup(&f, "app_clock.db");
    CHECK_INT_EQ(app_now(f.app), T_NOW, "the app's clock is the one it was given");
    app_clock_set(f.app, T_NOW + 86400);
    CHECK_INT_EQ(app_now(f.app), T_NOW + 86400, "the test clock moves it a day");
    teardown(&f);
}

TEST(app_calendar_rebuilt_after_org_change)
{
    struct fixture f;
    const struct cal *c1, *c2, *c3;
    setup(&f, "app_cal.db");
    CHECK_INT_EQ(app_calendar(&f.x, &c1), 0, "calendar: %s", f.e.msg);
    CHECK_INT_EQ(app_calendar(&f.x, &c2), 0, "calendar again");
    CHECK(c1 == c2, "unchanged organisation: the same calendar");
    int64_t v = app_org_version(f.app);
    app_org_changed(f.app);
    CHECK_INT_EQ(app_org_version(f.app), v + 1, "version bumped");
    CHECK_INT_EQ(app_calendar(&f.x, &c3), 0, "calendar after a change");
    CHECK(c3 != c1, "a new calendar after an organisation write");
    teardown(&f);
}

TEST(app_locate_region_uses_demo_grids)
{
    struct fixture f;
    int64_t id = -1;
    setup(&f, "app_geo.db");
    CHECK_INT_EQ(app_locate_region(&f.x, 0.0, 0.0, &id), 0, "locate: %s", f.e.msg);
    CHECK_INT_EQ(id, 0, "a point in the sea lies in no region");
    teardown(&f);
}

TEST(app_rate_window_per_client_and_minute)
{
    struct fixture f;
    int retry = 0;
    setup(&f, "app_rate.db");
    int64_t t = T_NOW - T_NOW % 60 + 10;
    CHECK_INT_EQ(app_rate_take(f.app, APP_RATE_OPEN311, 7, 2, t, &retry), 1, "first");
    CHECK_INT_EQ(app_rate_take(f.app, APP_RATE_OPEN311, 7, 2, t, &retry), 1, "second");
    CHECK_INT_EQ(app_rate_take(f.app, APP_RATE_OPEN311, 7, 2, t, &retry), 0,
                 "third is over the limit");
    CHECK_INT_EQ(retry, 50, "retry when the minute turns");
    CHECK_INT_EQ(app_rate_take(f.app, APP_RATE_OPEN311, 8, 2, t, &retry), 1,
                 "another client has its own window");
    CHECK_INT_EQ(app_rate_take(f.app, APP_RATE_OPEN311, 7, 2, t + 60, &retry), 1, "a new minute");
    teardown(&f);
}

TEST(app_intake_and_sweep_without_http)
{
    struct fixture f;
    struct app_intake *it;
    struct case_sweep_report rep;
    setup(&f, "app_intake.db");
    struct case_new in = {.channel = CH_HOTLINE,
                          .title = "路灯不亮",
                          .description = "小区门口路灯坏了三天",
                          .urgency = -1,
                          .citizen_name = "张三",
                          .citizen_phone = "13800000000"};
    CHECK_INT_EQ(app_intake_prepare(&f.x, &in, NULL, NULL, &it), 0, "prepare: %s", f.e.msg);
    CHECK_INT_EQ(store_begin(f.c, &f.e), 0, "begin");
    CHECK_INT_EQ(app_intake_run(it, f.c, &f.e), 0, "run: %s", f.e.msg);
    CHECK_INT_EQ(case_index_pending(f.c, &f.e), 0, "index");
    CHECK_INT_EQ(store_commit(f.c, &f.e), 0, "commit");
    app_intake_done(f.app, it);
    const struct case_created *cr = app_intake_created(it);
    CHECK(cr->id > 0, "a case was created");
    struct case_rec r;
    CHECK_INT_EQ(case_get(f.c, cr->id, &f.a, &r, &f.e), 0, "read back: %s", f.e.msg);
    CHECK_STR_EQ(r.title, "路灯不亮", "the title");
    CHECK(app_intake_suggestion(it) != NULL, "triage ran (urgency rules at least)");
    struct app_sweep_report all = {&rep, -1};
    CHECK_INT_EQ(app_sweep(&f.x, &all), 0, "sweep: %s", f.e.msg);
    CHECK_INT_EQ(all.devices_offline, 0, "no devices: none offline");
    CHECK(rep.checked >= 0, "the sweep reports");
    teardown(&f);
}
