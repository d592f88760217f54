/*
 * cal: working-calendar arithmetic.
 *
 * All arithmetic runs on "local seconds" (UTC seconds plus the fixed offset), so a local date
 * is a plain floor division by 86400 and there is no time-zone database to consult. Walking
 * forward is done a whole day at a time: each day costs one override lookup (binary search
 * over a sorted array) and at most CAL_MAX_PERIODS interval checks, so a 72-hour deadline
 * takes a dozen steps whatever the minute resolution.
 */
#include "cal/cal.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

#define DAY_SECS 86400

/*
 * Years 1..9999: wide enough for any real deadline, and narrow enough that adding the offset,
 * a hundred years of amount and ten idle years can never overflow int64_t.
 */
#define T_MIN (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define T_MAX (253402300799LL) /* 9999-12-31T23:59:59Z */
#define DAY_MIN (-719162LL)    /* 0001-01-01 */
#define DAY_MAX (2932896LL)    /* 9999-12-31 */

/* "No working time within ten years": 3653 covers ten years with the most leap days. */
#define HORIZON_DAYS 3653

/* Deadlines are hours to months; a hundred years of amount is a client bug, not a deadline. */
#define MAX_AMOUNT_MIN (100LL * 366 * 1440)
#define MAX_AMOUNT_DAYS (100LL * 366)

struct override {
    int64_t day; /* local days since 1970-01-01 */
    int kind;    /* enum cal_day_kind */
};

struct cal {
    int utc_offset_min;
    unsigned week_mask;
    int nperiods;
    struct cal_period periods[CAL_MAX_PERIODS];
    struct override *ov; /* sorted by day, one entry per day; owned */
    size_t nov;
    size_t ovcap;
};

static const char *const unit_names[] = {
    [CAL_WORK_HOURS] = "work_hours",
    [CAL_WORK_DAYS] = "work_days",
    [CAL_HOURS] = "hours",
};

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* 1970-01-01 was a Thursday. */
static int weekday(int64_t day)
{
    return (int)(((day + 4) % 7 + 7) % 7);
}

/* Index of the first override whose day is >= 'day' (nov if none). */
static size_t lower_bound(const struct cal *c, int64_t day)
{
    size_t lo = 0, hi = c->nov;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->ov[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int is_workday(const struct cal *c, int64_t day)
{
    size_t i = lower_bound(c, day);
    if (i < c->nov && c->ov[i].day == day)
        return c->ov[i].kind == CAL_DAY_WORKDAY;
    return (c->week_mask >> weekday(day)) & 1u;
}

static int64_t to_local(const struct cal *c, int64_t t)
{
    return t + (int64_t)c->utc_offset_min * 60;
}

static int64_t from_local(const struct cal *c, int64_t l)
{
    return l - (int64_t)c->utc_offset_min * 60;
}

static int in_working_time(const struct cal *c, int64_t l)
{
    int64_t day = floor_div(l, DAY_SECS);
    int64_t sod = l - day * DAY_SECS;
    if (!is_workday(c, day))
        return 0;
    for (int i = 0; i < c->nperiods; i++)
        if (sod >= c->periods[i].start_min * 60 && sod < c->periods[i].end_min * 60)
            return 1;
    return 0;
}

/*
 * Consume 'need' working seconds starting at local second 'pos'. need == 0 yields pos itself
 * when it lies in a period, else the next period start. A result that exhausts a period
 * exactly is that period's end (12:00), not the next start (13:30): both are the same
 * working instant, and the end is what a person reading "3 hours from 09:00" expects.
 */
static int walk_work(const struct cal *c, int64_t pos, int64_t need, int64_t *out, struct err *err)
{
    int64_t day = floor_div(pos, DAY_SECS);
    int idle = 0;

    if (c->nperiods == 0)
        return err_field(err, ERR_BAD_REQUEST, "periods", "calendar has no working periods");
    for (;;) {
        if (is_workday(c, day)) {
            int64_t base = day * DAY_SECS;
            for (int i = 0; i < c->nperiods; i++) {
                int64_t ps = base + c->periods[i].start_min * 60;
                int64_t pe = base + c->periods[i].end_min * 60;
                if (pos >= pe)
                    continue;
                if (pos < ps)
                    pos = ps;
                if (need <= pe - pos) {
                    *out = pos + need;
                    return 0;
                }
                need -= pe - pos;
                pos = pe;
            }
            idle = 0;
        } else if (++idle > HORIZON_DAYS) {
            return err_set(err, ERR_BAD_REQUEST, "calendar has no working time within ten years");
        }
        day++;
        pos = day * DAY_SECS;
    }
}

/*
 * Working days keep the local time of day. An instant outside working time first moves to
 * the next period start, because a case that arrives at 20:00 on Friday is in practice
 * received at 09:00 on Monday; counting from the raw instant would instead make "one
 * working day" end on Saturday evening, a time nobody works.
 */
static int walk_days(const struct cal *c, int64_t pos, int64_t n, int64_t *out, struct err *err)
{
    int ret;

    if (!in_working_time(c, pos)) {
        ret = walk_work(c, pos, 0, &pos, err);
        if (ret < 0)
            return ret;
    }
    int64_t day = floor_div(pos, DAY_SECS);
    int64_t sod = pos - day * DAY_SECS;
    int idle = 0;
    while (n > 0) {
        day++;
        if (is_workday(c, day)) {
            n--;
            idle = 0;
        } else if (++idle > HORIZON_DAYS) {
            return err_set(err, ERR_BAD_REQUEST, "calendar has no working time within ten years");
        }
    }
    *out = day * DAY_SECS + sod;
    return 0;
}

int cal_new(struct cal **out, struct err *err)
{
    (void)err; /* nothing can fail today; kept so callers need not change if loading can */
    struct cal *c = xcalloc(1, sizeof(*c));
    c->utc_offset_min = 480;
    c->week_mask = 0x3e; /* Monday..Friday */
    c->nperiods = 2;
    c->periods[0] = (struct cal_period){9 * 60, 12 * 60};
    c->periods[1] = (struct cal_period){13 * 60 + 30, 17 * 60 + 30};
    *out = c;
    return 0;
}

void cal_free(struct cal *c)
{
    if (!c)
        return;
    free(c->ov);
    free(c);
}

int cal_set_utc_offset(struct cal *c, int minutes, struct err *err)
{
    if (minutes < -720 || minutes > 840)
        return err_field(err, ERR_BAD_REQUEST, "utc_offset",
                         "utc offset %d minutes is outside -720..840", minutes);
    c->utc_offset_min = minutes;
    return 0;
}

int cal_utc_offset(const struct cal *c)
{
    return c->utc_offset_min;
}

int cal_set_week_mask(struct cal *c, unsigned mask, struct err *err)
{
    if (mask & ~0x7fu)
        return err_field(err, ERR_BAD_REQUEST, "week_mask",
                         "week mask 0x%x has bits beyond Saturday", mask);
    c->week_mask = mask;
    return 0;
}

unsigned cal_week_mask(const struct cal *c)
{
    return c->week_mask;
}

int cal_set_periods(struct cal *c, const struct cal_period *p, int n, struct err *err)
{
    if (n < 0 || n > CAL_MAX_PERIODS)
        return err_field(err, ERR_BAD_REQUEST, "periods", "%d periods, at most %d allowed", n,
                         CAL_MAX_PERIODS);
    for (int i = 0; i < n; i++) {
        if (p[i].start_min < 0 || p[i].end_min > 1440 || p[i].start_min >= p[i].end_min)
            return err_field(err, ERR_BAD_REQUEST, "periods",
                             "period %d (%d-%d) is not a non-empty range within 0..1440", i,
                             p[i].start_min, p[i].end_min);
        /* Touching periods are allowed: they merely split one stretch of work in two. */
        if (i > 0 && p[i].start_min < p[i - 1].end_min)
            return err_field(err, ERR_BAD_REQUEST, "periods",
                             "period %d starts at %d, before period %d ends at %d", i,
                             p[i].start_min, i - 1, p[i - 1].end_min);
    }
    if (n > 0)
        memcpy(c->periods, p, (size_t)n * sizeof(*p));
    c->nperiods = n;
    return 0;
}

int cal_periods(const struct cal *c, struct cal_period *out, int max)
{
    for (int i = 0; i < c->nperiods && i < max; i++)
        out[i] = c->periods[i];
    return c->nperiods;
}

int cal_set_day(struct cal *c, int64_t day, enum cal_day_kind kind, struct err *err)
{
    if (day < DAY_MIN || day > DAY_MAX)
        return err_field(err, ERR_BAD_REQUEST, "day", "day %lld is outside years 1..9999",
                         (long long)day);
    if (kind != 0 && kind != CAL_DAY_HOLIDAY && kind != CAL_DAY_WORKDAY)
        return err_field(err, ERR_BAD_REQUEST, "kind", "unknown day kind %d", (int)kind);

    size_t i = lower_bound(c, day);
    int found = i < c->nov && c->ov[i].day == day;
    if (kind == 0) {
        if (found) {
            memmove(&c->ov[i], &c->ov[i + 1], (c->nov - i - 1) * sizeof(*c->ov));
            c->nov--;
        }
        return 0;
    }
    if (found) {
        c->ov[i].kind = kind;
        return 0;
    }
    if (c->nov == c->ovcap) {
        c->ovcap = c->ovcap ? mem_size_mul(c->ovcap, 2) : 32;
        c->ov = xrealloc(c->ov, mem_size_mul(c->ovcap, sizeof(*c->ov)));
    }
    memmove(&c->ov[i + 1], &c->ov[i], (c->nov - i) * sizeof(*c->ov));
    c->ov[i] = (struct override){day, kind};
    c->nov++;
    return 0;
}

int cal_is_workday(const struct cal *c, int64_t day)
{
    return is_workday(c, day);
}

int64_t cal_local_day(const struct cal *c, int64_t t)
{
    /* Split before adding the offset so that no int64_t value of t can overflow. */
    int64_t q = t / DAY_SECS, r = t % DAY_SECS;
    if (r < 0) {
        r += DAY_SECS;
        q--;
    }
    return q + floor_div(r + (int64_t)c->utc_offset_min * 60, DAY_SECS);
}

int cal_add(const struct cal *c, int64_t t, int64_t amount_min, enum cal_unit unit, int64_t *out,
            struct err *err)
{
    int64_t l;
    int ret;

    if (unit != CAL_WORK_HOURS && unit != CAL_WORK_DAYS && unit != CAL_HOURS)
        return err_field(err, ERR_BAD_REQUEST, "unit", "unknown calendar unit %d", (int)unit);
    if (t < T_MIN || t > T_MAX)
        return err_field(err, ERR_BAD_REQUEST, "t", "instant %lld is outside years 1..9999",
                         (long long)t);
    if (amount_min < 0)
        return err_field(err, ERR_BAD_REQUEST, "amount", "amount %lld is negative",
                         (long long)amount_min);
    if (amount_min > (unit == CAL_WORK_DAYS ? MAX_AMOUNT_DAYS : MAX_AMOUNT_MIN))
        return err_field(err, ERR_BAD_REQUEST, "amount", "amount %lld %s is more than a century",
                         (long long)amount_min, unit == CAL_WORK_DAYS ? "days" : "minutes");

    if (unit == CAL_HOURS) {
        *out = t + amount_min * 60;
        return 0;
    }
    if (unit == CAL_WORK_HOURS)
        ret = walk_work(c, to_local(c, t), amount_min * 60, &l, err);
    else
        ret = walk_days(c, to_local(c, t), amount_min, &l, err);
    if (ret < 0)
        return ret;
    *out = from_local(c, l);
    return 0;
}

int64_t cal_work_seconds_between(const struct cal *c, int64_t a, int64_t b)
{
    if (b < a)
        return -cal_work_seconds_between(c, b, a);
    a = a < T_MIN ? T_MIN : a > T_MAX ? T_MAX : a;
    b = b < T_MIN ? T_MIN : b > T_MAX ? T_MAX : b;

    int64_t la = to_local(c, a), lb = to_local(c, b);
    int64_t total = 0;
    for (int64_t day = floor_div(la, DAY_SECS); day * DAY_SECS < lb; day++) {
        if (!is_workday(c, day))
            continue;
        int64_t base = day * DAY_SECS;
        for (int i = 0; i < c->nperiods; i++) {
            int64_t ps = base + c->periods[i].start_min * 60;
            int64_t pe = base + c->periods[i].end_min * 60;
            if (ps < la)
                ps = la;
            if (pe > lb)
                pe = lb;
            if (pe > ps)
                total += pe - ps;
        }
    }
    return total;
}

const char *cal_unit_name(enum cal_unit u)
{
    if ((unsigned)u >= sizeof(unit_names) / sizeof(unit_names[0]))
        return "unknown";
    return unit_names[u];
}

int cal_unit_from_name(const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < sizeof(unit_names) / sizeof(unit_names[0]); i++)
        if (strcmp(name, unit_names[i]) == 0)
            return (int)i;
    return -1;
}
