/*
 * libFuzzer target: the small text parsers fed from query strings and bodies: RFC 3339
 * times, dates, working periods, role lists and UTF-8 validation.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "org/org.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = xmalloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    struct err err = ERR_INIT;
    int64_t t, day;
    unsigned roles;
    struct cal_period p[CAL_MAX_PERIODS];
    int n;

    if (clock_parse_rfc3339(s, &t) == 0) {
        char back[32];
        clock_format_utc(t, back);
    }
    if (org_date_parse(s, &day) == 0) {
        char back[16];
        org_date_format(day, back);
        if (strcmp(back, s) != 0)
            abort();
    }
    if (org_calendar_periods_parse(s, p, CAL_MAX_PERIODS, &n, &err) == 0) {
        char back[ORG_PERIODS_TEXT_MAX];
        org_calendar_periods_format(p, n, back);
        int n2;
        struct cal_period p2[CAL_MAX_PERIODS];
        if (org_calendar_periods_parse(back, p2, CAL_MAX_PERIODS, &n2, &err) != 0 || n2 != n)
            abort();
    }
    auth_roles_parse(s, &roles, &err);
    utf8_invalid_at((const char *)data, size);
    free(s);
    return 0;
}
