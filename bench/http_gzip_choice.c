/*
 * http_gzip_choice.c - the measurement behind the choice of gzip library
 * for the exporter: the text exposition of 10,000 counter series (the
 * body of the HTTP benchmark) compressed as one gzip member by zlib and
 * by libdeflate at several levels. Prints the median time of 51 runs and
 * the compressed size of each. See docs/exporter.md.
 */
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include <extatus.h>

#include "bench_clock.h"
#include "http_bench.h"

#define RUNS 51

static size_t zlib_gzip(const char *in, size_t size, unsigned char *out, size_t room, int level)
{
    z_stream z;
    size_t written;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return 0;
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)size;
    z.next_out = out;
    z.avail_out = (uInt)room;
    written = deflate(&z, Z_FINISH) == Z_STREAM_END ? z.total_out : 0;
    deflateEnd(&z);
    return written;
}

static size_t deflate_gzip(const char *in, size_t size, unsigned char *out, size_t room, int level)
{
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
    size_t written = c ? libdeflate_gzip_compress(c, in, size, out, room) : 0;
    libdeflate_free_compressor(c);
    return written;
}

int main(void)
{
    static const struct {
        const char *library;
        int level;
        size_t (*compress)(const char *, size_t, unsigned char *, size_t, int);
    } candidates[] = {
        {"zlib", 1, zlib_gzip},          {"zlib", 6, zlib_gzip},
        {"libdeflate", 1, deflate_gzip}, {"libdeflate", 4, deflate_gzip},
        {"libdeflate", 6, deflate_gzip},
    };
    const char *labels[] = {"handler", "instance"};
    extatus_option options[] = {
        EXTATUS_OPT_STRING("help", "Requests handled."),
        EXTATUS_OPT_STRINGS("labels", labels, 2),
    };
    extatus_family *family;
    extatus_buf body = EXTATUS_BUF_INIT;
    char handler[32];
    char instance[32];
    const char *values[] = {handler, instance};
    unsigned char *out;
    size_t room;

    if (extatus_family_new(&family, NULL, HTTP_BENCH_METRIC, "counter", options, 2) != EXTATUS_OK)
        return 1;
    for (unsigned i = 0; i < HTTP_BENCH_HANDLERS; i++) {
        for (unsigned j = 0; j < HTTP_BENCH_INSTANCES; j++) {
            extatus_counter *counter;
            http_bench_label(handler, sizeof handler, "handler_", i);
            http_bench_label(instance, sizeof instance, "node_", j);
            if (extatus_counter_get(&counter, family, extatus_labels_of(values, 2)) != EXTATUS_OK)
                return 1;
            extatus_counter_add(counter, 1 + i * HTTP_BENCH_INSTANCES + j);
        }
    }
    if (extatus_expose(&body, NULL, 0, NULL) != EXTATUS_OK)
        return 1;
    room = body.size + body.size / 2 + 4096;
    out = malloc(room);
    printf("gzip of a %zu-byte exposition (10,000 series), median of %d runs:\n", body.size, RUNS);
    for (size_t k = 0; k < sizeof candidates / sizeof candidates[0]; k++) {
        double times[RUNS];
        size_t written = 0;
        for (int r = 0; r < RUNS; r++) {
            double start = bench_now_ms();
            written = candidates[k].compress(body.ptr, body.size, out, room, candidates[k].level);
            times[r] = bench_now_ms() - start;
        }
        double median = bench_median(times, RUNS);
        printf("GZIP library=%s level=%d ms=%.3f bytes=%zu\n", candidates[k].library,
               candidates[k].level, median, written);
    }
    free(out);
    extatus_buf_dispose(&body);
    extatus_shutdown();
    return 0;
}
