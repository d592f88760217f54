/*
 * Tests for src/cal: calendar arithmetic against hand-computed deadlines (weekends, the 2026
 * Chinese holidays and their 调休 days, period boundaries), a brute-force minute-by-minute
 * reference, and input validation. Instants are written in RFC 3339 so each row reads like
 * the case it models.
 */
#include "cal/cal.h"
#include "cal/cal_cn.h"
#include "core/clock.h"
#include "core/err.h"

#include <stdint.h>

#include "test.h"

/* Calendars the rows can run against. */
enum cfg {
    CFG_CN2026, /* default pattern plus the 2026 holiday table */
    CFG_PLAIN,  /* default pattern, no overrides */
    CFG_NY,     /* UTC-05:00, one period 08:00-16:00 */
    CFG_SIXDAY, /* Monday-Saturday, default periods */
    CFG_NIGHT,  /* one period 22:00-24:00, every day */
    CFG_NCFG
};

static struct cal *make_cal(enum cfg which)
{
    struct err err = ERR_INIT;
    struct cal *c = NULL;
    CHECK(cal_new(&c, &err) == 0, "cal_new: %s", err.msg);
    switch (which) {
    case CFG_CN2026: CHECK(cal_cn_load_2026(c, &err) == 0, "cal_cn_load_2026: %s", err.msg); break;
    case CFG_PLAIN: break;
    case CFG_NY: {
        const struct cal_period p[] = {{8 * 60, 16 * 60}};
        CHECK(cal_set_utc_offset(c, -300, &err) == 0, "offset: %s", err.msg);
        CHECK(cal_set_periods(c, p, 1, &err) == 0, "periods: %s", err.msg);
        break;
    }
    case CFG_SIXDAY: CHECK(cal_set_week_mask(c, 0x7e, &err) == 0, "mask: %s", err.msg); break;
    case CFG_NIGHT: {
        const struct cal_period p[] = {{22 * 60, 24 * 60}};
        CHECK(cal_set_week_mask(c, 0x7f, &err) == 0, "mask: %s", err.msg);
        CHECK(cal_set_periods(c, p, 1, &err) == 0, "periods: %s", err.msg);
        break;
    }
    case CFG_NCFG: break;
    }
    return c;
}

static int64_t ts(const char *s)
{
    int64_t t = 0;
    CHECK(clock_parse_rfc3339(s, &t) == 0, "bad timestamp in test table: %s", s);
    return t;
}

static int64_t day_of(int y, int m, int d)
{
    return clock_days_from_civil(y, m, d);
}

struct add_row {
    const char *name;
    enum cfg cfg;
    const char *from;
    int64_t amount;
    enum cal_unit unit;
    const char *want;
};

static const struct add_row add_rows[] = {
    /* Working hours within one day. */
    {"inside morning period", CFG_PLAIN, "2026-03-10T10:00:00+08:00", 60, CAL_WORK_HOURS,
     "2026-03-10T11:00:00+08:00"},
    {"minutes as fractions of hours", CFG_PLAIN, "2026-03-10T10:00:00+08:00", 45, CAL_WORK_HOURS,
     "2026-03-10T10:45:00+08:00"},
    {"exactly to period end stays at end", CFG_PLAIN, "2026-03-10T09:00:00+08:00", 180,
     CAL_WORK_HOURS, "2026-03-10T12:00:00+08:00"},
    {"across lunch break", CFG_PLAIN, "2026-03-10T11:00:00+08:00", 120, CAL_WORK_HOURS,
     "2026-03-10T14:30:00+08:00"},
    {"start in lunch break", CFG_PLAIN, "2026-03-10T12:30:00+08:00", 60, CAL_WORK_HOURS,
     "2026-03-10T14:30:00+08:00"},
    {"start before work hours", CFG_PLAIN, "2026-03-10T07:00:00+08:00", 60, CAL_WORK_HOURS,
     "2026-03-10T10:00:00+08:00"},
    {"start after work hours", CFG_PLAIN, "2026-03-10T19:00:00+08:00", 60, CAL_WORK_HOURS,
     "2026-03-11T10:00:00+08:00"},
    {"seconds inside the start are kept", CFG_PLAIN, "2026-03-10T10:00:30+08:00", 60,
     CAL_WORK_HOURS, "2026-03-10T11:00:30+08:00"},
    {"utc input and output", CFG_PLAIN, "2026-03-10T01:00:00Z", 60, CAL_WORK_HOURS,
     "2026-03-10T02:00:00Z"},
    /* Amount 0. */
    {"zero inside period is t", CFG_PLAIN, "2026-03-10T10:15:00+08:00", 0, CAL_WORK_HOURS,
     "2026-03-10T10:15:00+08:00"},
    {"zero at period end is next start", CFG_PLAIN, "2026-03-10T12:00:00+08:00", 0, CAL_WORK_HOURS,
     "2026-03-10T13:30:00+08:00"},
    {"zero at period start is t", CFG_PLAIN, "2026-03-10T13:30:00+08:00", 0, CAL_WORK_HOURS,
     "2026-03-10T13:30:00+08:00"},
    {"zero friday evening is monday", CFG_PLAIN, "2026-03-13T18:00:00+08:00", 0, CAL_WORK_HOURS,
     "2026-03-16T09:00:00+08:00"},
    /* Weekends, months, years. */
    {"across weekend", CFG_PLAIN, "2026-03-13T16:00:00+08:00", 180, CAL_WORK_HOURS,
     "2026-03-16T10:30:00+08:00"},
    {"start on saturday", CFG_PLAIN, "2026-03-14T10:00:00+08:00", 60, CAL_WORK_HOURS,
     "2026-03-16T10:00:00+08:00"},
    {"72 work hours is ten days and two hours", CFG_PLAIN, "2026-03-02T09:00:00+08:00", 72 * 60,
     CAL_WORK_HOURS, "2026-03-16T11:00:00+08:00"},
    {"month boundary over weekend", CFG_CN2026, "2026-07-31T17:00:00+08:00", 60, CAL_WORK_HOURS,
     "2026-08-03T09:30:00+08:00"},
    {"plain calendar works on national day", CFG_PLAIN, "2026-10-01T10:00:00+08:00", 60,
     CAL_WORK_HOURS, "2026-10-01T11:00:00+08:00"},
    /* 2026 holidays and 调休. */
    {"year boundary into 元旦 and sunday jan 4", CFG_CN2026, "2025-12-31T16:00:00+08:00", 240,
     CAL_WORK_HOURS, "2026-01-04T11:30:00+08:00"},
    {"friday before 春节 into saturday feb 14", CFG_CN2026, "2026-02-13T17:00:00+08:00", 60,
     CAL_WORK_HOURS, "2026-02-14T09:30:00+08:00"},
    {"saturday feb 14 over 春节 break", CFG_CN2026, "2026-02-14T17:00:00+08:00", 60, CAL_WORK_HOURS,
     "2026-02-24T09:30:00+08:00"},
    {"劳动节 break", CFG_CN2026, "2026-04-30T17:00:00+08:00", 60, CAL_WORK_HOURS,
     "2026-05-06T09:30:00+08:00"},
    {"24h across 中秋 and 国庆", CFG_CN2026, "2026-09-24T16:00:00+08:00", 24 * 60, CAL_WORK_HOURS,
     "2026-10-08T10:30:00+08:00"},
    {"24h through sunday sep 20", CFG_CN2026, "2026-09-18T16:00:00+08:00", 24 * 60, CAL_WORK_HOURS,
     "2026-09-23T10:30:00+08:00"},
    {"7h into saturday oct 10", CFG_CN2026, "2026-10-09T16:00:00+08:00", 7 * 60, CAL_WORK_HOURS,
     "2026-10-10T16:00:00+08:00"},
    {"start on a holiday", CFG_CN2026, "2026-10-03T10:00:00+08:00", 60, CAL_WORK_HOURS,
     "2026-10-08T10:00:00+08:00"},
    {"start on a 调休 saturday", CFG_CN2026, "2026-10-10T11:30:00+08:00", 60, CAL_WORK_HOURS,
     "2026-10-10T14:00:00+08:00"},
    /* Other calendars. */
    {"utc-5 single period", CFG_NY, "2026-03-10T20:00:00Z", 120, CAL_WORK_HOURS,
     "2026-03-11T14:00:00Z"},
    {"six-day week works saturday", CFG_SIXDAY, "2026-03-13T16:00:00+08:00", 180, CAL_WORK_HOURS,
     "2026-03-14T10:30:00+08:00"},
    {"period ending at midnight", CFG_NIGHT, "2026-03-10T23:00:00+08:00", 120, CAL_WORK_HOURS,
     "2026-03-11T23:00:00+08:00"},
    {"midnight end exactly", CFG_NIGHT, "2026-03-10T22:00:00+08:00", 120, CAL_WORK_HOURS,
     "2026-03-11T00:00:00+08:00"},
    /* Working days. */
    {"one work day inside hours", CFG_PLAIN, "2026-03-12T10:00:00+08:00", 1, CAL_WORK_DAYS,
     "2026-03-13T10:00:00+08:00"},
    {"work day across weekend", CFG_PLAIN, "2026-03-13T10:00:00+08:00", 1, CAL_WORK_DAYS,
     "2026-03-16T10:00:00+08:00"},
    {"work day from friday evening", CFG_PLAIN, "2026-03-13T20:00:00+08:00", 1, CAL_WORK_DAYS,
     "2026-03-17T09:00:00+08:00"},
    {"work day from lunch break", CFG_PLAIN, "2026-03-10T12:30:00+08:00", 1, CAL_WORK_DAYS,
     "2026-03-11T13:30:00+08:00"},
    {"zero work days on saturday", CFG_PLAIN, "2026-03-14T10:00:00+08:00", 0, CAL_WORK_DAYS,
     "2026-03-16T09:00:00+08:00"},
    {"zero work days inside hours", CFG_PLAIN, "2026-03-12T10:00:00+08:00", 0, CAL_WORK_DAYS,
     "2026-03-12T10:00:00+08:00"},
    {"work day onto sunday sep 20", CFG_CN2026, "2026-09-18T10:00:00+08:00", 1, CAL_WORK_DAYS,
     "2026-09-20T10:00:00+08:00"},
    {"work day over 国庆", CFG_CN2026, "2026-09-30T10:00:00+08:00", 1, CAL_WORK_DAYS,
     "2026-10-08T10:00:00+08:00"},
    {"three work days onto saturday oct 10", CFG_CN2026, "2026-09-30T10:00:00+08:00", 3,
     CAL_WORK_DAYS, "2026-10-10T10:00:00+08:00"},
    {"three work days over 春节", CFG_CN2026, "2026-02-12T10:00:00+08:00", 3, CAL_WORK_DAYS,
     "2026-02-24T10:00:00+08:00"},
    {"work days from a holiday", CFG_CN2026, "2026-05-02T15:00:00+08:00", 1, CAL_WORK_DAYS,
     "2026-05-07T09:00:00+08:00"},
    /* Natural hours. */
    {"hours ignore holidays", CFG_CN2026, "2026-10-03T10:00:00+08:00", 90, CAL_HOURS,
     "2026-10-03T11:30:00+08:00"},
    {"zero hours", CFG_CN2026, "2026-10-03T10:00:00+08:00", 0, CAL_HOURS,
     "2026-10-03T10:00:00+08:00"},
    {"hours across year end", CFG_CN2026, "2026-12-31T23:00:00+08:00", 120, CAL_HOURS,
     "2027-01-01T01:00:00+08:00"},
};

TEST(cal_add_table)
{
    struct cal *cals[CFG_NCFG];
    for (int i = 0; i < CFG_NCFG; i++)
        cals[i] = make_cal((enum cfg)i);
    for (size_t i = 0; i < ARRAY_SIZE(add_rows); i++) {
        const struct add_row *r = &add_rows[i];
        struct err err = ERR_INIT;
        int64_t got = 0, want = ts(r->want);
        int rc = cal_add(cals[r->cfg], ts(r->from), r->amount, r->unit, &got, &err);
        char gs[32], ws[32];
        clock_format_utc(got, gs);
        clock_format_utc(want, ws);
        CHECK(rc == 0 && got == want, "row '%s': %s + %lld %s = %s (rc %d %s), want %s", r->name,
              r->from, (long long)r->amount, cal_unit_name(r->unit), gs, rc, err.msg, ws);
    }
    for (int i = 0; i < CFG_NCFG; i++)
        cal_free(cals[i]);
}

struct between_row {
    const char *name;
    const char *a, *b;
    int64_t want_sec;
};

static const struct between_row between_rows[] = {
    {"same period", "2026-03-10T09:00:00+08:00", "2026-03-10T10:00:00+08:00", 3600},
    {"across lunch", "2026-03-10T11:00:00+08:00", "2026-03-10T14:00:00+08:00", 5400},
    {"empty interval", "2026-03-10T11:00:00+08:00", "2026-03-10T11:00:00+08:00", 0},
    {"inside lunch only", "2026-03-10T12:05:00+08:00", "2026-03-10T13:25:00+08:00", 0},
    {"whole plain week", "2026-03-09T00:00:00+08:00", "2026-03-16T00:00:00+08:00", 5 * 7 * 3600},
    {"weekend only", "2026-03-14T00:00:00+08:00", "2026-03-16T00:00:00+08:00", 0},
    {"make-up sunday sep 20", "2026-09-20T00:00:00+08:00", "2026-09-21T00:00:00+08:00", 7 * 3600},
    {"国庆 week", "2026-10-01T00:00:00+08:00", "2026-10-08T00:00:00+08:00", 0},
    {"24h across 中秋 and 国庆", "2026-09-24T16:00:00+08:00", "2026-10-08T10:30:00+08:00",
     24 * 3600},
    {"reversed is negative", "2026-03-10T10:00:00+08:00", "2026-03-10T09:00:00+08:00", -3600},
    {"partial seconds", "2026-03-10T11:59:59+08:00", "2026-03-10T13:30:01+08:00", 2},
};

TEST(cal_work_seconds_between_table)
{
    struct cal *c = make_cal(CFG_CN2026);
    for (size_t i = 0; i < ARRAY_SIZE(between_rows); i++) {
        const struct between_row *r = &between_rows[i];
        int64_t got = cal_work_seconds_between(c, ts(r->a), ts(r->b));
        CHECK(got == r->want_sec, "row '%s': %s..%s = %lld s, want %lld s", r->name, r->a, r->b,
              (long long)got, (long long)r->want_sec);
    }
    /* Extreme inputs are clamped rather than overflowing (UBSan watches this). */
    CHECK(cal_work_seconds_between(c, INT64_MIN, INT64_MIN + 1) == 0, "extreme inputs");
    cal_free(c);
}

/* Minute [t, t+60) is working time, decided from the public API only. */
static int ref_working_minute(const struct cal *c, int64_t t)
{
    struct cal_period p[CAL_MAX_PERIODS];
    int n = cal_periods(c, p, CAL_MAX_PERIODS);
    int64_t day = cal_local_day(c, t);
    int64_t sod = t + (int64_t)cal_utc_offset(c) * 60 - day * 86400;
    if (!cal_is_workday(c, day))
        return 0;
    for (int i = 0; i < n; i++)
        if (sod >= p[i].start_min * 60 && sod < p[i].end_min * 60)
            return 1;
    return 0;
}

/* The obvious, slow definition of working-hours addition for minute-aligned starts. */
static int64_t ref_add(const struct cal *c, int64_t t, int64_t amount_min)
{
    if (amount_min == 0) {
        while (!ref_working_minute(c, t))
            t += 60;
        return t;
    }
    while (amount_min > 0) {
        if (ref_working_minute(c, t))
            amount_min--;
        t += 60;
    }
    return t;
}

TEST(cal_add_matches_minute_reference)
{
    static const int64_t amounts[] = {0, 1, 150, 181, 420, 24 * 60};
    struct cal *c = make_cal(CFG_CN2026);
    int64_t from = ts("2026-09-17T00:00:00+08:00"), to = ts("2026-10-12T00:00:00+08:00");
    int fails = 0;
    for (int64_t t = from; t < to && fails < 5; t += 131 * 60) {
        for (size_t k = 0; k < ARRAY_SIZE(amounts); k++) {
            int64_t got = 0, want = ref_add(c, t, amounts[k]);
            struct err err = ERR_INIT;
            int rc = cal_add(c, t, amounts[k], CAL_WORK_HOURS, &got, &err);
            int64_t between = cal_work_seconds_between(c, t, got);
            if (rc != 0 || got != want || between != amounts[k] * 60) {
                char ss[32], gs[32], ws[32];
                clock_format_utc(t, ss);
                clock_format_utc(got, gs);
                clock_format_utc(want, ws);
                CHECK(0, "start %s + %lld min: got %s want %s, %lld working s between (rc %d)", ss,
                      (long long)amounts[k], gs, ws, (long long)between, rc);
                fails++;
            }
        }
    }
    cal_free(c);
}

TEST(cal_add_errors)
{
    static const struct {
        const char *name;
        unsigned mask;
        int nperiods; /* -1 keeps the default periods */
        int64_t t;
        int64_t amount;
        int unit;
        int want_rc;
        const char *want_field;
    } rows[] = {
        {"negative work hours", 0x3e, -1, 1773100800, -1, CAL_WORK_HOURS, ERR_BAD_REQUEST,
         "amount"},
        {"negative hours", 0x3e, -1, 1773100800, -60, CAL_HOURS, ERR_BAD_REQUEST, "amount"},
        {"negative work days", 0x3e, -1, 1773100800, -1, CAL_WORK_DAYS, ERR_BAD_REQUEST, "amount"},
        {"empty week mask, work hours", 0, -1, 1773100800, 60, CAL_WORK_HOURS, ERR_BAD_REQUEST, ""},
        {"empty week mask, work days", 0, -1, 1773100800, 1, CAL_WORK_DAYS, ERR_BAD_REQUEST, ""},
        {"empty week mask, zero work hours", 0, -1, 1773100800, 0, CAL_WORK_HOURS, ERR_BAD_REQUEST,
         ""},
        {"empty week mask, natural hours fine", 0, -1, 1773100800, 60, CAL_HOURS, 0, ""},
        {"no periods, work hours", 0x3e, 0, 1773100800, 60, CAL_WORK_HOURS, ERR_BAD_REQUEST,
         "periods"},
        {"no periods, work days", 0x3e, 0, 1773100800, 1, CAL_WORK_DAYS, ERR_BAD_REQUEST,
         "periods"},
        {"unknown unit", 0x3e, -1, 1773100800, 60, 99, ERR_BAD_REQUEST, "unit"},
        {"amount beyond a century", 0x3e, -1, 1773100800, INT64_MAX, CAL_WORK_HOURS,
         ERR_BAD_REQUEST, "amount"},
        {"instant beyond year 9999", 0x3e, -1, INT64_MAX, 60, CAL_HOURS, ERR_BAD_REQUEST, "t"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct cal *c = make_cal(CFG_PLAIN);
        struct err err = ERR_INIT;
        int64_t out = 0;
        CHECK(cal_set_week_mask(c, rows[i].mask, &err) == 0, "row '%s': mask", rows[i].name);
        if (rows[i].nperiods == 0)
            CHECK(cal_set_periods(c, NULL, 0, &err) == 0, "row '%s': periods", rows[i].name);
        int rc = cal_add(c, rows[i].t, rows[i].amount, (enum cal_unit)rows[i].unit, &out, &err);
        CHECK(rc == rows[i].want_rc, "row '%s': rc %d, want %d (%s)", rows[i].name, rc,
              rows[i].want_rc, err.msg);
        if (rc < 0) {
            CHECK(err.code == rc && err.msg[0], "row '%s': err not filled", rows[i].name);
            if (rows[i].want_field[0])
                CHECK_STR_EQ(err.field, rows[i].want_field, "row '%s'", rows[i].name);
        }
        cal_free(c);
    }
}

TEST(cal_set_periods_validation)
{
    static const struct {
        const char *name;
        struct cal_period p[CAL_MAX_PERIODS + 1];
        int n;
        int ok;
    } rows[] = {
        {"default shape", {{540, 720}, {810, 1050}}, 2, 1},
        {"touching periods", {{540, 720}, {720, 1050}}, 2, 1},
        {"whole day", {{0, 1440}}, 1, 1},
        {"no periods", {{0, 0}}, 0, 1},
        {"four periods", {{0, 60}, {120, 180}, {240, 300}, {360, 420}}, 4, 1},
        {"overlapping", {{540, 720}, {700, 1050}}, 2, 0},
        {"unsorted", {{810, 1050}, {540, 720}}, 2, 0},
        {"empty period", {{540, 540}}, 1, 0},
        {"reversed period", {{720, 540}}, 1, 0},
        {"negative start", {{-1, 540}}, 1, 0},
        {"end past midnight", {{1380, 1441}}, 1, 0},
        {"too many", {{0, 60}, {120, 180}, {240, 300}, {360, 420}, {480, 540}}, 5, 0},
        {"negative count", {{540, 720}}, -1, 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct cal *c = make_cal(CFG_PLAIN);
        struct err err = ERR_INIT;
        struct cal_period back[CAL_MAX_PERIODS];
        int rc = cal_set_periods(c, rows[i].p, rows[i].n, &err);
        int n = cal_periods(c, back, CAL_MAX_PERIODS);
        if (rows[i].ok) {
            CHECK(rc == 0, "row '%s': rejected: %s", rows[i].name, err.msg);
            CHECK(n == rows[i].n, "row '%s': %d periods read back", rows[i].name, n);
            for (int k = 0; k < n && k < rows[i].n; k++)
                CHECK(back[k].start_min == rows[i].p[k].start_min &&
                          back[k].end_min == rows[i].p[k].end_min,
                      "row '%s': period %d read back differently", rows[i].name, k);
        } else {
            CHECK(rc == ERR_BAD_REQUEST, "row '%s': rc %d, want bad request", rows[i].name, rc);
            CHECK_STR_EQ(err.field, "periods", "row '%s'", rows[i].name);
            /* A rejected call leaves the calendar as it was. */
            CHECK(n == 2 && back[0].start_min == 540 && back[1].end_min == 1050,
                  "row '%s': calendar changed by a rejected call", rows[i].name);
        }
        cal_free(c);
    }
}

TEST(cal_setters_validation)
{
    static const struct {
        const char *name;
        int offset;
        int ok;
    } offsets[] = {
        {"china", 480, 1}, {"utc", 0, 1},      {"min", -720, 1},
        {"max", 840, 1},   {"below", -721, 0}, {"above", 841, 0},
    };
    struct cal *c = make_cal(CFG_PLAIN);
    struct err err = ERR_INIT;
    for (size_t i = 0; i < ARRAY_SIZE(offsets); i++) {
        int rc = cal_set_utc_offset(c, offsets[i].offset, &err);
        CHECK((rc == 0) == offsets[i].ok, "offset row '%s': rc %d", offsets[i].name, rc);
        if (offsets[i].ok)
            CHECK_INT_EQ(cal_utc_offset(c), offsets[i].offset, "offset row '%s'", offsets[i].name);
        else
            CHECK_STR_EQ(err.field, "utc_offset", "offset row '%s'", offsets[i].name);
    }

    CHECK(cal_set_week_mask(c, 0x7f, &err) == 0, "full week mask");
    CHECK_INT_EQ(cal_week_mask(c), 0x7f, "full week mask read back");
    CHECK(cal_set_week_mask(c, 0x80, &err) == ERR_BAD_REQUEST, "mask bit 7 accepted");
    CHECK_INT_EQ(cal_week_mask(c), 0x7f, "rejected mask changed the calendar");

    CHECK(cal_set_day(c, day_of(2026, 3, 10), (enum cal_day_kind)3, &err) == ERR_BAD_REQUEST,
          "unknown day kind accepted");
    CHECK(cal_set_day(c, day_of(10000, 1, 1), CAL_DAY_HOLIDAY, &err) == ERR_BAD_REQUEST,
          "day in year 10000 accepted");
    CHECK_STR_EQ(err.field, "day", "day range error field");
    cal_free(c);
}

TEST(cal_defaults_and_overrides)
{
    struct cal *c = make_cal(CFG_PLAIN);
    struct err err = ERR_INIT;
    struct cal_period p[CAL_MAX_PERIODS];

    CHECK_INT_EQ(cal_utc_offset(c), 480, "default offset");
    CHECK_INT_EQ(cal_week_mask(c), 0x3e, "default mask is Monday..Friday");
    CHECK_INT_EQ(cal_periods(c, p, 1), 2, "cal_periods returns the full count when truncated");
    CHECK(p[0].start_min == 540 && p[0].end_min == 720, "first default period");

    int64_t tue = day_of(2026, 3, 10), sat = day_of(2026, 3, 14);
    CHECK(cal_is_workday(c, tue) && !cal_is_workday(c, sat), "plain weekday/weekend");
    CHECK(cal_set_day(c, tue, CAL_DAY_HOLIDAY, &err) == 0, "set holiday");
    CHECK(cal_set_day(c, sat, CAL_DAY_WORKDAY, &err) == 0, "set workday");
    CHECK(!cal_is_workday(c, tue) && cal_is_workday(c, sat), "overrides apply");
    CHECK(cal_set_day(c, tue, CAL_DAY_WORKDAY, &err) == 0, "replace override");
    CHECK(cal_is_workday(c, tue), "replaced override applies");
    CHECK(cal_set_day(c, sat, 0, &err) == 0 && cal_set_day(c, sat, 0, &err) == 0,
          "removing twice is fine");
    CHECK(!cal_is_workday(c, sat), "removed override falls back to the week mask");

    /* Many overrides, inserted out of order, keep lookups right (the array stays sorted). */
    for (int k = 199; k >= 0; k--)
        CHECK(cal_set_day(c, day_of(2030, 1, 1) + 2 * k, CAL_DAY_WORKDAY, &err) == 0, "bulk");
    CHECK(cal_is_workday(c, day_of(2030, 1, 5)) && !cal_is_workday(c, day_of(2030, 1, 6)),
          "bulk: sat jan 5 worked, sun jan 6 not");

    CHECK_INT_EQ(cal_local_day(c, ts("2026-03-10T16:30:00Z")), day_of(2026, 3, 11),
                 "00:30 +08:00 is the next local day");
    CHECK_INT_EQ(cal_local_day(c, ts("1969-12-31T15:59:59Z")), -1, "before the epoch");
    CHECK(cal_set_utc_offset(c, -300, &err) == 0, "offset -05:00");
    CHECK_INT_EQ(cal_local_day(c, ts("2026-03-10T03:00:00Z")), day_of(2026, 3, 9),
                 "22:00 -05:00 is the previous local day");
    CHECK(cal_local_day(c, INT64_MAX) > 0 && cal_local_day(c, INT64_MIN) < 0,
          "extreme instants do not overflow");
    cal_free(c);
}

TEST(cal_unit_names)
{
    static const enum cal_unit units[] = {CAL_WORK_HOURS, CAL_WORK_DAYS, CAL_HOURS};
    static const char *const names[] = {"work_hours", "work_days", "hours"};
    for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
        CHECK_STR_EQ(cal_unit_name(units[i]), names[i], "unit %zu", i);
        CHECK_INT_EQ(cal_unit_from_name(names[i]), units[i], "name '%s'", names[i]);
    }
    static const char *const bad[] = {"", "Hours", "work_hour", "days", "unknown"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        CHECK_INT_EQ(cal_unit_from_name(bad[i]), -1, "name '%s' should be unknown", bad[i]);
    CHECK_INT_EQ(cal_unit_from_name(NULL), -1, "NULL name");
    CHECK_STR_EQ(cal_unit_name((enum cal_unit)42), "unknown", "out-of-range unit");
}

TEST(cal_cn_2026_table)
{
    size_t n = 0;
    const struct cal_cn_holiday *h = cal_cn_holidays_2026(&n);
    static const char *const names[] = {"元旦",   "春节",   "清明节", "劳动节",
                                        "端午节", "中秋节", "国庆节"};
    static const int days_off[] = {3, 9, 3, 5, 3, 3, 7};
    CHECK_INT_EQ(n, ARRAY_SIZE(names), "holiday count");
    for (size_t i = 0; i < n && i < ARRAY_SIZE(names); i++) {
        CHECK_STR_EQ(h[i].name, names[i], "row %zu", i);
        int64_t len = day_of(h[i].to.y, h[i].to.m, h[i].to.d) -
                      day_of(h[i].from.y, h[i].from.m, h[i].from.d) + 1;
        CHECK_INT_EQ(len, days_off[i], "row '%s' length", names[i]);
    }

    struct cal *c = make_cal(CFG_CN2026);
    static const struct {
        int m, d;
        int work;
    } days[] = {
        {1, 1, 0},  {1, 2, 0},  {1, 4, 1},  {1, 5, 1},  {2, 14, 1},  {2, 16, 0},  {2, 23, 0},
        {2, 24, 1}, {2, 28, 1}, {4, 6, 0},  {4, 7, 1},  {5, 5, 0},   {5, 9, 1},   {6, 19, 0},
        {9, 20, 1}, {9, 25, 0}, {10, 7, 0}, {10, 8, 1}, {10, 10, 1}, {10, 11, 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(days); i++)
        CHECK_INT_EQ(cal_is_workday(c, day_of(2026, days[i].m, days[i].d)), days[i].work,
                     "2026-%02d-%02d", days[i].m, days[i].d);

    /* 365 days - 104 weekend days - 13 statutory holidays: the published total. */
    int workdays = 0;
    for (int64_t d = day_of(2026, 1, 1); d < day_of(2027, 1, 1); d++)
        workdays += cal_is_workday(c, d);
    CHECK_INT_EQ(workdays, 248, "working days in 2026");
    cal_free(c);
}

TEST(cal_cn_load_rejects_bad_rows)
{
    static const struct cal_cn_holiday bad[] = {
        {"bad date", "x", {2026, 2, 30}, {2026, 3, 1}, 0, {{0, 0, 0}}},
        {"reversed", "x", {2026, 3, 5}, {2026, 3, 1}, 0, {{0, 0, 0}}},
        {"too many", "x", {2026, 3, 1}, {2026, 3, 1}, 4, {{0, 0, 0}}},
        {"bad workday", "x", {2026, 3, 1}, {2026, 3, 1}, 1, {{2026, 13, 1}}},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct cal *c = make_cal(CFG_PLAIN);
        struct err err = ERR_INIT;
        CHECK_INT_EQ(cal_cn_load(c, &bad[i], 1, &err), ERR_BAD_REQUEST, "row '%s'", bad[i].name);
        CHECK_STR_EQ(err.field, "holidays", "row '%s'", bad[i].name);
        cal_free(c);
    }
}

TEST(cal_add_long_amounts_are_fast_and_exact)
{
    struct cal *c = make_cal(CFG_PLAIN);
    struct err err = ERR_INIT;
    int64_t out = 0, t = ts("2026-03-02T09:00:00+08:00");
    /* 52 weeks of 35 working hours, no overrides: exactly 52 weeks later at period end. */
    CHECK(cal_add(c, t, 52LL * 35 * 60, CAL_WORK_HOURS, &out, &err) == 0, "%s", err.msg);
    CHECK_INT_EQ(out, ts("2027-02-26T17:30:00+08:00"), "a year of working hours");
    CHECK(cal_add(c, t, 260, CAL_WORK_DAYS, &out, &err) == 0, "%s", err.msg);
    CHECK_INT_EQ(out, ts("2027-03-01T09:00:00+08:00"), "260 working days");
    uint64_t t0 = clock_mono_ns();
    for (int i = 0; i < 1000; i++)
        CHECK(cal_add(c, t + i * 61, 72 * 60, CAL_WORK_HOURS, &out, &err) == 0, "%s", err.msg);
    CHECK(clock_mono_ns() - t0 < 2000000000ull, "1000 x 72h deadlines took over 2 s");
    cal_free(c);
}
