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
    CAL_WORK_HOURS, /* hours counted only inside working periods of working days */
    CAL_WORK_DAYS,  /* whole working days: same local time-of-day on the Nth next working day */
    CAL_HOURS,      /* natural hours, around the clock */
};

enum cal_day_kind {
    CAL_DAY_HOLIDAY = 1, /* not worked, whatever the weekday */
    CAL_DAY_WORKDAY = 2, /* worked, whatever the weekday (调休) */
};

#define CAL_MAX_PERIODS 4

struct cal_period {
    int start_min; /* minutes after local midnight, inclusive */
    int end_min;   /* exclusive; start_min < end_min <= 1440 */
};

/* A new calendar: Monday-Friday, 09:00-12:00 and 13:30-17:30, UTC+8, no overrides.
 * Release it with cal_free(); cal_free(NULL) is a no-op. */
int cal_new(struct cal **out, struct err *err);
void cal_free(struct cal *c);

/* Offset of local time from UTC in minutes (-720..840); ERR_BAD_REQUEST outside that. */
int cal_set_utc_offset(struct cal *c, int minutes, struct err *err);
int cal_utc_offset(const struct cal *c);

/* Bit d set = weekday d is a working day (0 = Sunday ... 6 = Saturday). Bits above 6 are
 * ERR_BAD_REQUEST. 0 is accepted (only overrides are worked) but then cal_add() fails once
 * the overrides run out. */
int cal_set_week_mask(struct cal *c, unsigned mask, struct err *err);
unsigned cal_week_mask(const struct cal *c);

/* Replace the working periods (0..CAL_MAX_PERIODS); they must be sorted, non-overlapping
 * (touching is fine) and non-empty, else ERR_BAD_REQUEST and the calendar is unchanged.
 * n == 0 is accepted, but working-time arithmetic then fails. */
int cal_set_periods(struct cal *c, const struct cal_period *p, int n, struct err *err);

/* Copy at most 'max' periods into 'out'; returns how many the calendar has (may be > max). */
int cal_periods(const struct cal *c, struct cal_period *out, int max);

/* Mark one local date (days since 1970-01-01, years 1..9999) as holiday or make-up working
 * day; a later call for the same date replaces the earlier one, kind 0 removes it. Overrides
 * are kept in a sorted array: O(log n) lookup, O(n) insert. */
int cal_set_day(struct cal *c, int64_t day, enum cal_day_kind kind, struct err *err);

/* 1 if the local date is a working day after weekly pattern and overrides. */
int cal_is_workday(const struct cal *c, int64_t day);

/* Local date (days since epoch) of an instant (seconds since epoch, UTC). */
int64_t cal_local_day(const struct cal *c, int64_t t);

/*
 * The instant 'amount' units after 't'. Fractions of hours are given as minutes: amount_min
 * is in minutes for CAL_WORK_HOURS and CAL_HOURS, in days for CAL_WORK_DAYS.
 *
 * CAL_WORK_HOURS: the instant at which that much working time has elapsed since t. amount 0
 *   gives t itself if it lies in a working period, else the start of the next one. When the
 *   amount runs out exactly at the end of a period the result is that end (3 hours from
 *   09:00 is 12:00, not 13:30).
 * CAL_WORK_DAYS: the same local time of day on the Nth next working day. If t is outside
 *   working time (evening, lunch break, weekend, holiday) it first moves to the start of the
 *   next working period, so 1 working day from Friday 20:00 is Tuesday 09:00. amount 0 gives
 *   that adjusted instant.
 * CAL_HOURS: t + amount_min * 60; the week mask, periods and overrides play no part.
 *
 * Returns 0 and stores the result in *out, or ERR_BAD_REQUEST: negative amount, amount over a
 * century (36600 days / 52704000 minutes), t outside years 1..9999, unknown unit, no working
 * periods, or ten years (3653 consecutive days) without a working day, e.g. an empty week mask.
 */
int cal_add(const struct cal *c, int64_t t, int64_t amount_min, enum cal_unit unit, int64_t *out,
            struct err *err);

/* Working seconds between a and b, counting only working periods of working days. If b < a
 * the result is negative (minus the working seconds from b to a), so "time left until a
 * deadline" can go below zero. Inputs are clamped to years 1..9999. */
int64_t cal_work_seconds_between(const struct cal *c, int64_t a, int64_t b);

/* Names for enum cal_unit ("work_hours", "work_days", "hours"); an out-of-range unit is named
 * "unknown". Parsing is exact (case-sensitive) and returns -1 for unknown names or NULL. */
const char *cal_unit_name(enum cal_unit u);
int cal_unit_from_name(const char *name);

#endif /* GRIDLOOP_CAL_CAL_H */
