#include "core/num.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

static int digit(char c)
{
    return c >= '0' && c <= '9';
}

int num_parse_int(const char *s, int64_t *out)
{
    const char *p = s;
    if (!s)
        return -1;
    if (*p == '-')
        p++;
    if (!digit(*p) || (*p == '0' && (p[1] || p != s)))
        return -1; /* no digits, a leading zero, or "-0" */
    for (const char *q = p; *q; q++)
        if (!digit(*q))
            return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int num_parse_double(const char *s, double *out)
{
    const char *p = s;
    if (!s)
        return -1;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (digit(*p))
        while (digit(*p))
            p++;
    else
        return -1;
    if (*p == '.') {
        if (!digit(*++p))
            return -1;
        while (digit(*p))
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!digit(*p))
            return -1;
        while (digit(*p))
            p++;
    }
    if (*p)
        return -1;
    char *end;
    double v = strtod(s, &end);
    if (*end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}
