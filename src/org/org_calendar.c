/*
 * The stored working calendar: one row of weekly pattern (calendar_settings) plus date
 * overrides (calendar_days), and the bridge that turns them into a struct cal.
 */
#include "org/org.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/vec.h"
#include "org/org_internal.h"
#include "store/store.h"

void org_calendar_settings_default(struct org_calendar_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->utc_offset_min = 480;
    s->week_mask = 0x3e; /* Monday..Friday */
    s->nperiods = 2;
    s->periods[0] = (struct cal_period){9 * 60, 12 * 60};
    s->periods[1] = (struct cal_period){13 * 60 + 30, 17 * 60 + 30};
}

static int check_periods(const struct cal_period *p, int n, struct err *err)
{
    if (n < 1 || n > CAL_MAX_PERIODS)
        return err_field(err, ERR_BAD_REQUEST, "periods", "between 1 and %d working periods",
                         CAL_MAX_PERIODS);
    for (int i = 0; i < n; i++) {
        if (p[i].start_min < 0 || p[i].end_min > 1440 || p[i].start_min >= p[i].end_min)
            return err_field(err, ERR_BAD_REQUEST, "periods",
                             "working period %d must end after it starts, within the day", i + 1);
        if (i > 0 && p[i].start_min < p[i - 1].end_min)
            return err_field(err, ERR_BAD_REQUEST, "periods",
                             "working periods must be in order and must not overlap");
    }
    return 0;
}

int org_calendar_settings_check(const struct org_calendar_settings *s, struct err *err)
{
    if (s->utc_offset_min < -720 || s->utc_offset_min > 840)
        return err_field(err, ERR_BAD_REQUEST, "utc_offset_min",
                         "utc_offset_min must be -720..840");
    if (s->week_mask == 0 || s->week_mask > 0x7f)
        return err_field(err, ERR_BAD_REQUEST, "week_mask",
                         "week_mask needs at least one working weekday (bits 0-6)");
    return check_periods(s->periods, s->nperiods, err);
}

/* "HH:MM" at *p, hours 0..24 (24 only as 24:00); advances *p. -1 if malformed. */
static int parse_hhmm(const char **p)
{
    const char *s = *p;
    for (int i = 0; i < 5; i++)
        if (i == 2 ? s[i] != ':' : (s[i] < '0' || s[i] > '9'))
            return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m != 0))
        return -1;
    *p = s + 5;
    return h * 60 + m;
}

int org_calendar_periods_parse(const char *text, struct cal_period *out, int max, int *n,
                               struct err *err)
{
    const char *p = text ? text : "";
    int count = 0;

    for (;;) {
        struct cal_period per;
        while (*p == ' ')
            p++;
        if (count == max || count == CAL_MAX_PERIODS)
            return err_field(err, ERR_BAD_REQUEST, "periods", "more than %d working periods",
                             count);
        if ((per.start_min = parse_hhmm(&p)) < 0 || *p++ != '-' ||
            (per.end_min = parse_hhmm(&p)) < 0)
            return err_field(err, ERR_BAD_REQUEST, "periods",
                             "working periods are written HH:MM-HH:MM[,HH:MM-HH:MM...]");
        out[count++] = per;
        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        if (*p++ != ',')
            return err_field(err, ERR_BAD_REQUEST, "periods",
                             "working periods are written HH:MM-HH:MM[,HH:MM-HH:MM...]");
    }
    int rc = check_periods(out, count, err);
    if (rc < 0)
        return rc;
    *n = count;
    return 0;
}

void org_calendar_periods_format(const struct cal_period *p, int n, char out[ORG_PERIODS_TEXT_MAX])
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n && i < CAL_MAX_PERIODS; i++)
        len += (size_t)snprintf(out + len, ORG_PERIODS_TEXT_MAX - len, "%s%02d:%02d-%02d:%02d",
                                i ? "," : "", p[i].start_min / 60, p[i].start_min % 60,
                                p[i].end_min / 60, p[i].end_min % 60);
}

int org_date_parse(const char *s, int64_t *day)
{
    int y, m, d, yy, mm, dd;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1970 || y > 2999 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    int64_t days = clock_days_from_civil(y, m, d);
    /* A round trip rejects 02-30 and friends without a month-length table. */
    clock_civil_from_days(days, &yy, &mm, &dd);
    if (yy != y || mm != m || dd != d)
        return -1;
    *day = days;
    return 0;
}

void org_date_format(int64_t day, char out[16])
{
    int y, m, d;
    clock_civil_from_days(day, &y, &m, &d);
    snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
}

const char *org_calendar_day_kind_name(enum cal_day_kind kind)
{
    switch (kind) {
    case CAL_DAY_HOLIDAY: return "holiday";
    case CAL_DAY_WORKDAY: return "workday";
    }
    return "";
}

int org_calendar_day_kind_from_name(const char *name)
{
    if (name && strcmp(name, "holiday") == 0)
        return CAL_DAY_HOLIDAY;
    if (name && strcmp(name, "workday") == 0)
        return CAL_DAY_WORKDAY;
    return 0;
}

int org_calendar_settings_get(struct store_conn *c, struct org_calendar_settings *out,
                              struct err *err)
{
    struct store_stmt *s = NULL;
    struct err perr = ERR_INIT;
    int rc;

    org_calendar_settings_default(out);
    if ((rc = store_prepare(c,
                            "SELECT utc_offset_min, week_mask, periods, updated_at"
                            " FROM calendar_settings WHERE id = 1",
                            STORE_NO_ARGS, &s, err)) < 0)
        goto out;
    if ((rc = store_step(s, err)) <= 0)
        goto out;
    out->utc_offset_min = (int)store_col_int(s, 0);
    out->week_mask = (unsigned)store_col_int(s, 1);
    out->updated_at = store_col_int(s, 3);
    if (org_calendar_periods_parse(store_col_text(s, 2), out->periods, CAL_MAX_PERIODS,
                                   &out->nperiods, &perr) < 0 ||
        org_calendar_settings_check(out, &perr) < 0) {
        rc = err_set(err, ERR_INTEGRITY, "stored calendar settings are invalid: %s", perr.msg);
        goto out;
    }
    rc = 0;
out:
    store_done(s);
    return rc;
}

int org_calendar_settings_set(struct store_conn *c, const struct org_calendar_settings *s,
                              int64_t now, struct err *err)
{
    char text[ORG_PERIODS_TEXT_MAX];
    int64_t changed;
    int rc;

    if ((rc = org_calendar_settings_check(s, err)) < 0)
        return rc;
    org_calendar_periods_format(s->periods, s->nperiods, text);
    changed = store_run(c,
                        "INSERT INTO calendar_settings (id, utc_offset_min, week_mask, periods,"
                        " updated_at) VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                        " utc_offset_min = excluded.utc_offset_min,"
                        " week_mask = excluded.week_mask, periods = excluded.periods,"
                        " updated_at = excluded.updated_at",
                        STORE_ARGS(store_i64(s->utc_offset_min), store_i64((int)s->week_mask),
                                   store_text(text), store_i64(now)),
                        err);
    return changed < 0 ? (int)changed : 0;
}

static int check_day(const char *day, const char *field, struct err *err)
{
    int64_t d;
    if (org_date_parse(day, &d) < 0)
        return err_field(err, ERR_BAD_REQUEST, field, "%s must be a date written YYYY-MM-DD",
                         field);
    return 0;
}

int org_calendar_day_set(struct store_conn *c, const char *day, enum cal_day_kind kind,
                         const char *name, struct err *err)
{
    int64_t changed;
    int rc;

    if ((rc = check_day(day, "day", err)) < 0)
        return rc;
    if (!org_calendar_day_kind_name(kind)[0])
        return err_field(err, ERR_BAD_REQUEST, "kind", "kind must be holiday or workday");
    if ((rc = org_check_text(name, "name", ORG_DAY_NAME_MAX, 0, err)) < 0)
        return rc;
    changed = store_run(c,
                        "INSERT INTO calendar_days (day, kind, name) VALUES (?, ?, ?)"
                        " ON CONFLICT (day) DO UPDATE SET kind = excluded.kind,"
                        " name = excluded.name",
                        STORE_ARGS(store_text(day), store_text(org_calendar_day_kind_name(kind)),
                                   store_text(name ? name : "")),
                        err);
    return changed < 0 ? (int)changed : 0;
}

int org_calendar_day_delete(struct store_conn *c, const char *day, struct err *err)
{
    int64_t changed;
    int rc;

    if ((rc = check_day(day, "day", err)) < 0)
        return rc;
    changed =
        store_run(c, "DELETE FROM calendar_days WHERE day = ?", STORE_ARGS(store_text(day)), err);
    if (changed < 0)
        return (int)changed;
    if (changed == 0)
        return err_set(err, ERR_NOT_FOUND, "no calendar override on %s", day);
    return 0;
}

static void read_day(struct store_stmt *s, struct arena *a, void *slot)
{
    struct org_calendar_day *d = slot;
    d->day = arena_strdup(a, store_col_text(s, 0));
    d->kind = org_calendar_day_kind_from_name(store_col_text(s, 1));
    d->name = arena_strdup(a, store_col_text(s, 2));
}

int org_calendar_day_list(struct store_conn *c, const char *from, const char *to, struct arena *a,
                          struct org_calendar_day **out, size_t *n, struct err *err)
{
    void *p;
    int rc;

    if ((from && (rc = check_day(from, "from", err)) < 0) ||
        (to && (rc = check_day(to, "to", err)) < 0))
        return rc;
    /* ISO dates sort as text, so the bounds are plain string comparisons. */
    rc = org_read_all(
        c,
        "SELECT day, kind, name FROM calendar_days"
        " WHERE day >= ? AND day <= ? ORDER BY day",
        STORE_ARGS(store_text(from ? from : "0000-00-00"), store_text(to ? to : "9999-99-99")),
        sizeof(**out), read_day, a, &p, n, err);
    if (rc == 0)
        *out = p;
    return rc;
}

int org_calendar_load(struct store_conn *c, struct cal **out, struct err *err)
{
    struct org_calendar_settings set;
    struct store_stmt *s = NULL;
    struct cal *cal = NULL;
    int rc;

    if ((rc = org_calendar_settings_get(c, &set, err)) < 0)
        goto fail;
    if ((rc = cal_new(&cal, err)) < 0 ||
        (rc = cal_set_utc_offset(cal, set.utc_offset_min, err)) < 0 ||
        (rc = cal_set_week_mask(cal, set.week_mask, err)) < 0 ||
        (rc = cal_set_periods(cal, set.periods, set.nperiods, err)) < 0)
        goto fail;
    if ((rc = store_prepare(c, "SELECT day, kind FROM calendar_days", STORE_NO_ARGS, &s, err)) < 0)
        goto fail;
    while ((rc = store_step(s, err)) == 1) {
        int64_t day;
        int kind = org_calendar_day_kind_from_name(store_col_text(s, 1));
        if (org_date_parse(store_col_text(s, 0), &day) < 0 || !kind) {
            rc = err_set(err, ERR_INTEGRITY, "stored calendar override '%.20s' is invalid",
                         store_col_text(s, 0));
            goto fail;
        }
        if ((rc = cal_set_day(cal, day, (enum cal_day_kind)kind, err)) < 0)
            goto fail;
    }
    if (rc < 0)
        goto fail;
    store_done(s);
    *out = cal;
    return 0;
fail:
    store_done(s);
    cal_free(cal);
    return rc;
}
