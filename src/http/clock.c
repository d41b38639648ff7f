/*
 * clock.c - the exporter's one monotonic clock: deadlines of connections
 * and event streams, and scrape durations.
 */
#include "http.h"

#include <time.h>

int64_t extatus__http_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

double extatus__http_now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

void extatus__http_timespec_of_ms(struct timespec *out, int64_t ms)
{
    out->tv_sec = (time_t)(ms / 1000);
    out->tv_nsec = (long)(ms % 1000) * 1000000L;
}
