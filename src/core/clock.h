/*
 * clock: the source of "now". Everything that compares against deadlines takes a
 * struct clock so tests can move time; the real clock reads CLOCK_REALTIME.
 * A clock is a plain value; the test clock's state lives in the caller's struct.
 */
#ifndef GRIDLOOP_CORE_CLOCK_H
#define GRIDLOOP_CORE_CLOCK_H

#include <stdint.h>

struct clock {
    int64_t (*now)(const struct clock *c); /* seconds since the Unix epoch, UTC */
    int64_t fixed;                         /* used by clock_fixed() */
};

struct clock clock_real(void);
struct clock clock_fixed(int64_t t);

static inline int64_t clock_now(const struct clock *c)
{
    return c->now(c);
}

/* Monotonic nanoseconds, for measuring durations only. */
uint64_t clock_mono_ns(void);

/* Sleep at least 'ms' milliseconds (through signals); any length, unlike a hand-built timespec
 * whose tv_nsec of a second or more makes nanosleep fail at once. */
void clock_sleep_ms(int64_t ms);

/* Format 't' as RFC 3339 UTC ("2026-11-25T09:19:22Z") into out (at least 21 bytes). */
void clock_format_utc(int64_t t, char out[32]);

/* Parse RFC 3339 ("2026-11-25T09:19:22Z", "...+08:00", or a bare "2026-11-25").
 * Returns 0 and stores seconds since the epoch, or -1 on malformed input. */
int clock_parse_rfc3339(const char *s, int64_t *out);

/* Days since 1970-01-01 for a proleptic Gregorian civil date, and back. */
int64_t clock_days_from_civil(int y, int m, int d);
void clock_civil_from_days(int64_t days, int *y, int *m, int *d);

#endif /* GRIDLOOP_CORE_CLOCK_H */
