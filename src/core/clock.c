/*
 * clock.c - the clocks the library reads.
 */
#include "core/internal.h"

#include <time.h>

static int64_t read_clock(clockid_t clock)
{
    struct timespec now;
    clock_gettime(clock, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

int64_t extatus__now_realtime_ns(void)
{
    return read_clock(CLOCK_REALTIME);
}

int64_t extatus__now_monotonic_ns(void)
{
    return read_clock(CLOCK_MONOTONIC);
}

int64_t extatus__now_coarse_ns(void)
{
    return read_clock(CLOCK_MONOTONIC_COARSE);
}

int64_t extatus__now_realtime_coarse_ns(void)
{
    return read_clock(CLOCK_REALTIME_COARSE);
}
