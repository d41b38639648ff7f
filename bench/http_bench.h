/*
 * http_bench.h - what the two servers of the HTTP benchmark share: the
 * metric, its 10,000 series and how their label values are spelled.
 */
#ifndef EXTATUS_HTTP_BENCH_H
#define EXTATUS_HTTP_BENCH_H

#include <stdio.h>

#define HTTP_BENCH_METRIC    "bench_requests_total"
#define HTTP_BENCH_HANDLERS  100u /* values of the label handler */
#define HTTP_BENCH_INSTANCES 100u /* values of the label instance */
#define HTTP_BENCH_THREADS   2u   /* server threads on both sides */

/* "<prefix><index>" with three digits, as both sides name their label values. */
static inline void http_bench_label(char *out, size_t size, const char *prefix, unsigned index)
{
    snprintf(out, size, "%s%03u", prefix, index);
}

#endif /* EXTATUS_HTTP_BENCH_H */
