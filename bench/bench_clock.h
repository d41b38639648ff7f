/*
 * bench_clock.h - timing helpers of the single-purpose measurements
 * (http_gzip_choice.c, proto_encoder_choice.c): a monotonic clock in
 * milliseconds and the median of a set of runs.
 */
#ifndef EXTATUS_BENCH_CLOCK_H
#define EXTATUS_BENCH_CLOCK_H

#include <stdlib.h>
#include <time.h>

static inline double bench_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static inline int bench_compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of `count` times (sorts them in place). */
static inline double bench_median(double *times, size_t count)
{
    qsort(times, count, sizeof(times[0]), bench_compare_doubles);
    return times[count / 2];
}

#endif /* EXTATUS_BENCH_CLOCK_H */
