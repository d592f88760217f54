/*
 * cal_cn: applying holiday tables to a calendar. The tables themselves are in
 * cal_cnYYYY.c.
 */
#include "cal/cal_cn.h"

#include "cal/cal.h"
#include "core/clock.h"
#include "core/err.h"

/* clock_days_from_civil() happily normalises Feb 30; a typo in a table must not. */
static int date_day(struct cal_cn_date dt, int64_t *day)
{
    int y, m, d;
    if (dt.m < 1 || dt.m > 12 || dt.d < 1 || dt.d > 31)
        return -1;
    *day = clock_days_from_civil(dt.y, dt.m, dt.d);
    clock_civil_from_days(*day, &y, &m, &d);
    return y == dt.y && m == dt.m && d == dt.d ? 0 : -1;
}

int cal_cn_load(struct cal *c, const struct cal_cn_holiday *h, size_t n, struct err *err)
{
    int ret;

    for (size_t i = 0; i < n; i++) {
        int64_t from, to, day;
        if (date_day(h[i].from, &from) < 0 || date_day(h[i].to, &to) < 0 || to < from)
            return err_field(err, ERR_BAD_REQUEST, "holidays",
                             "holiday '%s' has an invalid date range", h[i].name);
        if (h[i].nworkdays < 0 || h[i].nworkdays > CAL_CN_MAX_WORKDAYS)
            return err_field(err, ERR_BAD_REQUEST, "holidays", "holiday '%s' has %d make-up days",
                             h[i].name, h[i].nworkdays);
        for (day = from; day <= to; day++) {
            ret = cal_set_day(c, day, CAL_DAY_HOLIDAY, err);
            if (ret < 0)
                return ret;
        }
        for (int k = 0; k < h[i].nworkdays; k++) {
            if (date_day(h[i].workdays[k], &day) < 0)
                return err_field(err, ERR_BAD_REQUEST, "holidays",
                                 "holiday '%s' has an invalid make-up day", h[i].name);
            ret = cal_set_day(c, day, CAL_DAY_WORKDAY, err);
            if (ret < 0)
                return ret;
        }
    }
    return 0;
}
