/*
 * Tests for warn: the negative-binomial tail, the seasonal weights, the test on flat, spiking
 * and weekly series, and the scan over the cases table (SQLite; PostgreSQL too when
 * GRIDLOOP_TEST_PG is set, as scripts/with-pg.sh does).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"
#include "test.h"
#include "warn/warn.h"

#define NEAR(x, want, tol) (fabs((x) - (want)) <= (tol))

TEST(warn_nb_tail_known_values)
{
    /* Poisson(2): P(Y >= 5) = 1 - 7 e^-2. */
    double p = warn_nb_tail(5, 2.0, INFINITY);
    CHECK(NEAR(p, 1 - 7 * exp(-2.0), 1e-12), "poisson tail %.15f", p);
    /* NB mean 2, size 1 is the geometric with success 1/3: P(Y >= k) = (2/3)^k. */
    p = warn_nb_tail(5, 2.0, 1.0);
    CHECK(NEAR(p, pow(2.0 / 3, 5), 1e-12), "geometric tail %.15f", p);
    p = warn_nb_tail(1, 2.0, 1.0); /* below the mean: summed the other way */
    CHECK(NEAR(p, 2.0 / 3, 1e-12), "geometric tail at 1 %.15f", p);
    /* Far in the tail: Poisson(1), P(Y >= 20) ≈ e^-1 / 20! · (1 + 1/21 + ...) */
    p = warn_nb_tail(20, 1.0, INFINITY);
    CHECK(NEAR(p / (exp(-1.0) / tgamma(21.0)), 1.0 + 1.0 / 21 + 1.0 / (21 * 22), 1e-4),
          "deep tail %.3g", p);
    CHECK(warn_nb_tail(0, 3.0, INFINITY) == 1.0, "y = 0 is certain");
    CHECK(warn_nb_tail(1, 0.0, INFINITY) == 0.0, "mean 0 never reaches 1");
}

TEST(warn_flat_series_does_not_alarm)
{
    double y[35];
    struct warn_result r;
    struct err e = ERR_INIT;
    struct warn_params p = {1, 2, 28, 0.001, 3};
    for (size_t i = 0; i < 35; i++)
        y[i] = 2;
    CHECK_INT_EQ(warn_test(y, NULL, 35, &p, &r, &e), 0, "test: %s", e.msg);
    /* S = 56 over 28 days: m = 56.5 / 28, NB size 56.5, no over-dispersion. */
    CHECK(NEAR(r.expected, 56.5 / 28, 1e-12), "expected %f", r.expected);
    CHECK(NEAR(r.dispersion, 1, 1e-12), "dispersion %f", r.dispersion);
    CHECK_INT_EQ(r.observed, 2, "observed");
    CHECK_INT_EQ(r.alarm, 0, "a flat series is no spike");
    /* The threshold: P(Y >= 8) = 0.0015 > alpha, P(Y >= 9) below it. */
    CHECK_INT_EQ(r.threshold, 9, "threshold");
    y[34] = 8;
    CHECK_INT_EQ(warn_test(y, NULL, 35, &p, &r, &e), 0, "test: %s", e.msg);
    CHECK(NEAR(r.p_value, 0.0015017757508809515, 1e-9), "p of 8: %.12f", r.p_value);
    CHECK_INT_EQ(r.alarm, 0, "8 against 2 a day is not yet below alpha 0.001");
    y[34] = 10;
    CHECK_INT_EQ(warn_test(y, NULL, 35, &p, &r, &e), 0, "test: %s", e.msg);
    CHECK(NEAR(r.p_value, 8.003233447118063e-05, 1e-10), "p of 10: %.12g", r.p_value);
    CHECK_INT_EQ(r.alarm, 1, "10 against 2 a day is a spike");
}

TEST(warn_guard_keeps_the_rise_out_of_the_baseline)
{
    double y[35];
    struct warn_result r;
    struct err e = ERR_INIT;
    struct warn_params p = {1, 2, 28, 0.001, 3};
    for (size_t i = 0; i < 35; i++)
        y[i] = 1;
    y[32] = y[33] = 9; /* the surge started two days ago: in the guard, not the baseline */
    y[34] = 9;
    CHECK_INT_EQ(warn_test(y, NULL, 35, &p, &r, &e), 0, "test: %s", e.msg);
    CHECK(NEAR(r.baseline, 28, 1e-12), "baseline cases %f", r.baseline);
    CHECK_INT_EQ(r.alarm, 1, "third day of a surge still alarms");
}

TEST(warn_min_count_and_empty_baseline)
{
    double y[31] = {0};
    struct warn_result r;
    struct err e = ERR_INIT;
    struct warn_params p = {1, 2, 28, 0.001, 3};
    y[30] = 2; /* two cases where there were none: unusual, but below the minimum */
    CHECK_INT_EQ(warn_test(y, NULL, 31, &p, &r, &e), 0, "test: %s", e.msg);
    CHECK(r.p_value < 0.001, "two cases after a silent month are improbable: %g", r.p_value);
    CHECK_INT_EQ(r.alarm, 0, "but fewer than min_count");
    CHECK_INT_EQ(r.threshold, 3, "threshold is min_count");
    y[30] = 3;
    CHECK_INT_EQ(warn_test(y, NULL, 31, &p, &r, &e), 0, "test: %s", e.msg);
    CHECK_INT_EQ(r.alarm, 1, "three cases after a silent month");
}

TEST(warn_overdispersion_raises_the_threshold)
{
    /* Weekly bursts: 0 0 0 0 0 0 14 → mean 2 a day but a variance far above it. */
    double y[35];
    struct warn_result r, flat;
    struct err e = ERR_INIT;
    struct warn_params p = {1, 2, 28, 0.001, 3};
    for (size_t i = 0; i < 35; i++)
        y[i] = i % 7 == 6 ? 14 : 0;
    y[34] = 0;
    CHECK_INT_EQ(warn_test(y, NULL, 35, &p, &r, &e), 0, "test: %s", e.msg);
    CHECK(r.dispersion > 5, "dispersion %f", r.dispersion);
    for (size_t i = 0; i < 35; i++)
        y[i] = 2;
    CHECK_INT_EQ(warn_test(y, NULL, 35, &p, &flat, &e), 0, "test: %s", e.msg);
    CHECK(r.threshold > flat.threshold + 5, "bursty %lld vs flat %lld", (long long)r.threshold,
          (long long)flat.threshold);
}

TEST(warn_day_of_week_weights)
{
    /* Five weeks from a Monday: 10 cases on weekdays, 4 at weekends. */
    double pooled[35], w[35], y[35];
    struct err e = ERR_INIT;
    for (size_t i = 0; i < 35; i++)
        pooled[i] = i % 7 < 5 ? 10 : 4;
    CHECK_INT_EQ(warn_season(pooled, 35, 35, 24, 0, w, &e), 0, "season: %s", e.msg);
    /* rates (50.5 / 5, 20.5 / 5) around their mean over the seven days */
    double wd = 50.5 / 5, we = 20.5 / 5, mean = (5 * wd + 2 * we) / 7;
    CHECK(NEAR(w[0], wd / mean, 1e-12), "monday %f", w[0]);
    CHECK(NEAR(w[6], we / mean, 1e-12), "sunday %f", w[6]);
    CHECK(NEAR(w[13], w[6], 1e-12), "every sunday alike");
    CHECK_INT_EQ(warn_season(pooled, 35, 35, 24, 12, w, &e), ERR_BAD_REQUEST, "slot inside a day");
    CHECK_STR_EQ(e.field, "first_slot", "field");
    CHECK_INT_EQ(warn_season(pooled, 35, 35, 24, 0, w, &e), 0, "season again");

    /* A series with the same weekly shape, ending on a Sunday (bin 34): a weekday's count on a
     * Sunday (9) is a spike with the weights and not without them. */
    struct warn_params p = {1, 2, 28, 0.001, 3};
    struct warn_result with, without;
    for (size_t i = 0; i < 35; i++)
        y[i] = i % 7 < 5 ? 5 : 1;
    y[34] = 9;
    CHECK_INT_EQ(warn_test(y, w, 35, &p, &with, &e), 0, "test: %s", e.msg);
    CHECK_INT_EQ(warn_test(y, NULL, 35, &p, &without, &e), 0, "test: %s", e.msg);
    CHECK(with.expected < 2 && without.expected > 3, "expected %f / %f", with.expected,
          without.expected);
    CHECK_INT_EQ(with.alarm, 1, "9 on a Sunday that expects ~1.9");
    CHECK_INT_EQ(without.alarm, 0, "9 against a flat 3.9");
}

TEST(warn_bad_parameters)
{
    double y[10] = {0};
    struct warn_result r;
    struct err e = ERR_INIT;
    struct warn_params p = {1, 2, 28, 0.001, 3};
    CHECK_INT_EQ(warn_test(y, NULL, 10, &p, &r, &e), ERR_BAD_REQUEST, "too short");
    CHECK_STR_EQ(e.field, "baseline", "field");
    p = (struct warn_params){1, 0, 5, 0.7, 3};
    CHECK_INT_EQ(warn_test(y, NULL, 10, &p, &r, &e), ERR_BAD_REQUEST, "alpha");
    CHECK_STR_EQ(e.field, "alpha", "field");
    p = (struct warn_params){1, 0, 5, 0.001, 3};
    y[7] = -1;
    CHECK_INT_EQ(warn_test(y, NULL, 10, &p, &r, &e), ERR_BAD_REQUEST, "negative count");
    CHECK_STR_EQ(e.field, "counts", "field");
}

TEST(warn_window_words)
{
    struct arena a;
    arena_init(&a, 1024);
    CHECK_STR_EQ(warn_window_words(24, &a), "24 小时", "day");
    CHECK_STR_EQ(warn_window_words(72, &a), "3 天", "days");
    CHECK_STR_EQ(warn_window_words(6, &a), "6 小时", "hours");
    arena_release(&a);
}

/* ---------------------------------------------------------------- the scan */

/* 2026-11-30 00:00 Beijing time, a Monday; the scan ends 35 days later at 12:00. */
#define MON0 ((int64_t)1795968000)
#define NOW (MON0 + 35 * 86400 + 12 * 3600)

struct world {
    struct store *st;
    struct store_conn *c;
    int64_t noise, roads, noise_top;
};

static void exec(struct world *w, const char *sql, struct store_args args)
{
    struct err e = ERR_INIT;
    CHECK(store_run(w->c, sql, args, &e) >= 0, "%s: %s", sql, e.msg);
}

static int64_t category(struct world *w, const char *code, const char *name, int level,
                        int64_t parent)
{
    struct err e = ERR_INIT;
    int64_t id = 0;
    CHECK_INT_EQ(store_one_i64(w->c,
                               "INSERT INTO categories(code, name, level, parent_id, sla_sign,"
                               " sla_reply, sla_resolve, sla_unit, created_at, updated_at)"
                               " VALUES (?, ?, ?, nullif(?, 0), 1, 1, 1, 'hours', 0, 0)"
                               " RETURNING id",
                               STORE_ARGS(store_text(code), store_text(name), store_i64(level),
                                          store_i64(parent)),
                               &id, &e),
                 1, "category %s: %s", code, e.msg);
    return id;
}

static void add_cases(struct world *w, int n, int64_t at, int64_t category_id, const char *region,
                      const char *state)
{
    static int seq;
    for (int i = 0; i < n; i++) {
        char number[32];
        snprintf(number, sizeof(number), "20261201-%06d", ++seq);
        exec(w,
             "INSERT INTO cases(number, check_code, channel, title, description, urgency, state,"
             " category_id, region_code, created_at, updated_at)"
             " VALUES (?, 'x', 'hotline', '测试', '测试', 'normal', ?, ?, ?, ?, ?)",
             STORE_ARGS(store_text(number), store_text(state), store_i64(category_id),
                        store_text(region), store_i64(at + i * 60), store_i64(at + i * 60)));
    }
}

static int open_world(struct world *w)
{
    struct err e = ERR_INIT;
    char path[512];
    const char *pg = getenv("GRIDLOOP_TEST_PG");
    memset(w, 0, sizeof(*w));
    log_set_level(LOG_OFF);
    if (pg && *pg) {
        /* A database of its own on the throwaway server of scripts/with-pg.sh. */
        char cmd[700];
        snprintf(path, sizeof(path), "%s/gridloop_warn_%ld", pg, (long)getpid());
        snprintf(cmd, sizeof(cmd), "createdb --maintenance-db='%s/postgres' gridloop_warn_%ld", pg,
                 (long)getpid());
        CHECK_INT_EQ(system(cmd), 0, "%s", cmd);
    } else
        snprintf(path, sizeof(path), "%s/warn.db", test_tmpdir());
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&w->st, &o, &e), 0, "open: %s", e.msg);
    if (!w->st)
        return -1;
    CHECK_INT_EQ(store_conn(w->st, &w->c, &e), 0, "conn: %s", e.msg);
    const char *regions[][4] = {
        {"330179", "测试区", "district", ""},
        {"330179001", "青石街道", "street", "330179"},
        {"330179002", "白沙街道", "street", "330179"},
        {"330179001001", "一社区", "community", "330179001"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(regions); i++)
        exec(w,
             "INSERT INTO regions(code, name, level, parent_id, created_at, updated_at)"
             " VALUES (?, ?, ?, (SELECT id FROM regions WHERE code = ?), 0, 0)",
             STORE_ARGS(store_text(regions[i][0]), store_text(regions[i][1]),
                        store_text(regions[i][2]), store_text(regions[i][3])));
    w->noise_top = category(w, "T-ENV", "环境保护", 1, 0);
    w->noise = category(w, "T-NOISE", "噪声扰民", 2, w->noise_top);
    int64_t city = category(w, "T-CITY", "城乡建设", 1, 0);
    w->roads = category(w, "T-ROAD", "道路破损", 2, city);
    return 0;
}

static void count_pause(void *ctx)
{
    (*(int *)ctx)++;
}

TEST(warn_spike_scan_finds_the_spike_and_explains_it)
{
    struct world w;
    struct err e = ERR_INIT;
    struct arena a;
    if (open_world(&w) < 0)
        return;
    arena_init(&a, 1 << 16);
    /* Steady background: every day 2 noise cases in 青石街道's community, 2 road cases in
     * 白沙街道, at 10:00 local. Today (day 35) 14 noise cases in the morning, and 10 more
     * cancelled ones (not counted); 白沙 stays normal. */
    for (int d = 0; d < 35; d++) {
        add_cases(&w, 2, MON0 + d * 86400 + 10 * 3600, w.noise, "330179001001", "closed");
        add_cases(&w, 2, MON0 + d * 86400 + 10 * 3600, w.roads, "330179002", "closed");
    }
    add_cases(&w, 14, MON0 + 35 * 86400 + 9 * 3600, w.noise, "330179001001", "processing");
    add_cases(&w, 10, MON0 + 35 * 86400 + 9 * 3600, w.noise, "330179001001", "cancelled");
    add_cases(&w, 2, MON0 + 35 * 86400 + 10 * 3600, w.roads, "330179002", "processing");

    struct warn_alarm *al = NULL;
    size_t n = 0;
    struct warn_scan_opts o = {.now = NOW};
    CHECK_INT_EQ(warn_spike_scan(w.c, &o, &a, &al, &n, &e), 0, "scan: %s", e.msg);
    CHECK_INT_EQ(n, 1, "one alarm");
    if (n == 1) {
        CHECK_STR_EQ(al[0].region_code, "330179001", "street");
        CHECK_STR_EQ(al[0].region_name, "青石街道", "street name");
        CHECK_INT_EQ(al[0].category_id, w.noise, "leaf category");
        CHECK_INT_EQ(al[0].observed, 14, "this morning's 14; yesterday's came before noon");
        CHECK(al[0].expected > 1.5 && al[0].expected < 2.5, "expected %f", al[0].expected);
        CHECK_INT_EQ(al[0].window_end - al[0].window_start, 86400, "window");
        char want[128];
        snprintf(want, sizeof(want), "青石街道 噪声扰民 24 小时内 14 件，同期预期 %.1f 件",
                 al[0].expected);
        CHECK_STR_EQ(al[0].explanation, want, "explanation");
    }

    /* Read in slices of a day (as the sweeper does, pausing in between): the same alarm. */
    {
        struct warn_alarm *sl = NULL;
        size_t sn = 0;
        int pauses = 0;
        struct warn_scan_opts so = {
            .now = NOW, .slice_hours = 24, .between = count_pause, .between_ctx = &pauses};
        CHECK_INT_EQ(warn_spike_scan(w.c, &so, &a, &sl, &sn, &e), 0, "sliced scan: %s", e.msg);
        CHECK_INT_EQ(sn, n, "sliced: as many alarms");
        /* window 24 h + guard + 28 days of baseline, by the day: a pause between slices */
        CHECK(pauses >= 28, "paused %d times", pauses);
        for (size_t i = 0; i < sn && i < n; i++) {
            CHECK_STR_EQ(sl[i].region_code, al[i].region_code, "sliced: region");
            CHECK_INT_EQ(sl[i].observed, al[i].observed, "sliced: observed");
            CHECK(sl[i].expected == al[i].expected, "sliced: expected %f vs %f", sl[i].expected,
                  al[i].expected);
            CHECK(sl[i].p_value == al[i].p_value, "sliced: p");
        }
    }

    /* Top-level category, community level, and a scope outside the spike. */
    o.category_level = WARN_TOP_CATEGORY;
    o.region_level = WARN_COMMUNITY;
    CHECK_INT_EQ(warn_spike_scan(w.c, &o, &a, &al, &n, &e), 0, "scan: %s", e.msg);
    CHECK_INT_EQ(n, 1, "one alarm at community level");
    if (n == 1) {
        CHECK_STR_EQ(al[0].region_name, "一社区", "community");
        CHECK_STR_EQ(al[0].category_name, "环境保护", "top category");
    }
    o.within = "330179002";
    CHECK_INT_EQ(warn_spike_scan(w.c, &o, &a, &al, &n, &e), 0, "scan: %s", e.msg);
    CHECK_INT_EQ(n, 0, "白沙街道 has no spike");

    /* A day later, the surge is in the guard: still no baseline contamination, and the
     * window (the last 24 hours) holds only the normal 2. */
    o = (struct warn_scan_opts){.now = NOW + 86400};
    add_cases(&w, 2, MON0 + 36 * 86400 + 10 * 3600, w.noise, "330179001001", "closed");
    CHECK_INT_EQ(warn_spike_scan(w.c, &o, &a, &al, &n, &e), 0, "scan: %s", e.msg);
    CHECK_INT_EQ(n, 0, "no alarm the day after");

    o.region_level = 6;
    CHECK_INT_EQ(warn_spike_scan(w.c, &o, &a, &al, &n, &e), ERR_BAD_REQUEST, "district level");
    CHECK_STR_EQ(e.field, "region_level", "field");
    arena_release(&a);
    store_close(w.st);
}
