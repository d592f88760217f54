/*
 * clock_sleep_ms: a wait of a second or more really waits (a timespec with tv_nsec of 1e9 made
 * nanosleep fail at once, and the cluster thread spun on a dead database at full CPU).
 */
#include "core/clock.h"
#include "test.h"

TEST(clock_sleep_ms_waits_whole_seconds)
{
    uint64_t t0 = clock_mono_ns();
    clock_sleep_ms(1000);
    uint64_t waited = clock_mono_ns() - t0;
    CHECK(waited >= 1000000000u, "slept at least the second asked for");
    t0 = clock_mono_ns();
    clock_sleep_ms(0);
    clock_sleep_ms(-5);
    CHECK(clock_mono_ns() - t0 < 1000000000u, "nothing to wait for returns");
}
