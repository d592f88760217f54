/*
 * cal_cn: mainland China's statutory public holidays and make-up working days (调休).
 *
 * The State Council's General Office (国务院办公厅) publishes each year's dates every
 * November; they follow the lunar calendar and a yearly political decision, so they cannot be
 * computed and live here as hand-maintained tables, one file per year (cal_cn2026.c). A new
 * year means a new table plus its cal_cn_holidays_YYYY()/cal_cn_load_YYYY() pair.
 *
 * Threading: the tables are constant and may be read from any thread. Loading writes to the
 * calendar, so it belongs to the build phase described in cal.h.
 * Ownership: tables and their strings are static; callers never free them.
 */
#ifndef GRIDLOOP_CAL_CAL_CN_H
#define GRIDLOOP_CAL_CAL_CN_H

#include <stddef.h>

struct cal;
struct err;

/* A civil date. */
struct cal_cn_date {
    int y, m, d;
};

#define CAL_CN_MAX_WORKDAYS 3

/*
 * One holiday as announced: a block of consecutive days off (weekends inside the block
 * included, as the notice counts them) and the weekend days worked in exchange. Make-up
 * days may fall outside the block's month or even year.
 */
struct cal_cn_holiday {
    const char *name;        /* Chinese name as in the notice, UTF-8: "春节" */
    const char *name_en;     /* English name for logs and foreign-language UIs: "Spring Festival" */
    struct cal_cn_date from; /* first day off, inclusive */
    struct cal_cn_date to;   /* last day off, inclusive */
    int nworkdays;           /* entries used in workdays[] */
    struct cal_cn_date workdays[CAL_CN_MAX_WORKDAYS]; /* 调休 working days, ascending */
};

/*
 * Apply 'n' holidays to the calendar: every day of each block becomes CAL_DAY_HOLIDAY and
 * every make-up day CAL_DAY_WORKDAY. Existing overrides for other dates are kept, so several
 * years can be loaded into one calendar. Returns 0, or ERR_BAD_REQUEST for a malformed row
 * (invalid date, 'to' before 'from', too many make-up days); rows before the bad one stay
 * applied.
 */
int cal_cn_load(struct cal *c, const struct cal_cn_holiday *h, size_t n, struct err *err);

/* The 2026 holidays in date order (notice of November 2025); stores the row count in *n. */
const struct cal_cn_holiday *cal_cn_holidays_2026(size_t *n);

/* cal_cn_load() with the 2026 table. */
int cal_cn_load_2026(struct cal *c, struct err *err);

#endif /* GRIDLOOP_CAL_CAL_CN_H */
