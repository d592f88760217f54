/*
 * cal: the working calendar. Deadlines in gridloop are counted in working hours, working
 * days or natural hours; this module turns "N units after instant t" into an instant.
 *
 * A calendar is a weekly pattern (which weekdays are working days, and the working periods
 * of a working day, e.g. 09:00-12:00 and 13:30-17:30) plus date overrides: public holidays
 * (a weekday that is off) and make-up working days (调休: a weekend day that is worked).
 * Local time is UTC plus a fixed offset (China has no daylight saving; +480 minutes).
 *
 * Threading: build a calendar, then treat it as read-only; reads from many threads are safe.
 * Ownership: cal_new() returns a calendar owned by the caller, released with cal_free().
 */
#ifndef GRIDLOOP_CAL_CAL_H
#define GRIDLOOP_CAL_CAL_H

#include <stdint.h>

struct err;
struct cal;

enum cal_unit {
    CAL_WORK_HOURS,   /* hours counted only inside working periods of working days */
    CAL_WORK_DAYS,    /* whole working days: same local time-of-day on the Nth next working day */
    CAL_HOURS,        /* natural hours, around the clock */
};

enum cal_day_kind {
    CAL_DAY_HOLIDAY = 1,   /* not worked, whatever the weekday */
    CAL_DAY_WORKDAY = 2,   /* worked, whatever the weekday (调休) */
};

#define CAL_MAX_PERIODS 4

struct cal_period {
    int start_min;   /* minutes after local midnight, inclusive */
    int end_min;     /* exclusive; start_min < end_min <= 1440 */
};

/* A new calendar: Monday-Friday, 09:00-12:00 and 13:30-17:30, UTC+8, no overrides. */
int cal_new(struct cal **out, struct err *err);
void cal_free(struct cal *c);

/* Offset of local time from UTC in minutes (-720..840). */
int cal_set_utc_offset(struct cal *c, int minutes, struct err *err);
int cal_utc_offset(const struct cal *c);

/* Bit d set = weekday d is a working day (0 = Sunday ... 6 = Saturday). */
int cal_set_week_mask(struct cal *c, unsigned mask, struct err *err);
unsigned cal_week_mask(const struct cal *c);

/* Replace the working periods; they must be sorted, non-overlapping and non-empty. */
int cal_set_periods(struct cal *c, const struct cal_period *p, int n, struct err *err);
int cal_periods(const struct cal *c, struct cal_period *out, int max);

/* Mark one local date (days since 1970-01-01) as holiday or make-up working day;
 * kind 0 removes the override. */
int cal_set_day(struct cal *c, int64_t day, enum cal_day_kind kind, struct err *err);

/* 1 if the local date is a working day after weekly pattern and overrides. */
int cal_is_workday(const struct cal *c, int64_t day);

/* Local date (days since epoch) of an instant (seconds since epoch, UTC). */
int64_t cal_local_day(const struct cal *c, int64_t t);

/*
 * The instant 'amount' units after 't'. amount may be 0 (for working hours: t itself if it
 * lies in a working period, else the start of the next one). Fractions of hours are given as
 * minutes: amount_min is in minutes for CAL_WORK_HOURS and CAL_HOURS, in days for CAL_WORK_DAYS.
 * Returns 0 and stores the result, or a negative ERR_* (negative amount, no working time
 * within ten years, e.g. an empty week mask).
 */
int cal_add(const struct cal *c, int64_t t, int64_t amount_min, enum cal_unit unit, int64_t *out,
            struct err *err);

/* Working seconds between a and b (a <= b), counting only working periods of working days. */
int64_t cal_work_seconds_between(const struct cal *c, int64_t a, int64_t b);

/* Names for enum cal_unit ("work_hours", "work_days", "hours"); parse returns -1 if unknown. */
const char *cal_unit_name(enum cal_unit u);
int cal_unit_from_name(const char *name);

#endif /* GRIDLOOP_CAL_CAL_H */
