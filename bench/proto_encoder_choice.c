/*
 * proto_encoder_choice.c - the measurement behind the choice of protobuf
 * encoder for remote write: one prometheus.WriteRequest of 100,000
 * series (four labels, one sample each) encoded by
 *  - extatus's streaming writer (src/push/proto_encode.c), straight from
 *    the series, and
 *  - Debian's protobuf-c runtime with code that protoc-c generates from
 *    src/push/proto/remote_write_v1.proto: the message objects are filled
 *    from the same series (as a sender must), then sized and packed.
 * Prints the median time of 21 runs of each, the bytes, and whether the
 * two bodies are identical. See docs/push.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"
#include "push/proto_encode.h"
#include "push/remote_write_encode.h"
#include "remote_write_v1.pb-c.h"

#define SERIES 100000u
#define LABELS 4u
#define RUNS   21

static extatus__rw_label labels[SERIES][LABELS];
static extatus__rw_sample samples[SERIES];
static extatus__rw_series series[SERIES];
static char worker_values[SERIES][16];
static char shard_values[100][8];

static void make_series(void)
{
    for (unsigned i = 0; i < 100; i++)
        snprintf(shard_values[i], sizeof(shard_values[i]), "s%u", i);
    for (unsigned i = 0; i < SERIES; i++) {
        snprintf(worker_values[i], sizeof(worker_values[i]), "w%u", i / 100);
        labels[i][0] = (extatus__rw_label){.name = "__name__", .value = "bench_requests_total"};
        labels[i][1] = (extatus__rw_label){.name = "job", .value = "bench"};
        labels[i][2] = (extatus__rw_label){.name = "shard", .value = shard_values[i % 100]};
        labels[i][3] = (extatus__rw_label){.name = "worker", .value = worker_values[i]};
        samples[i] = (extatus__rw_sample){(double)i * 1.5, 1700000000000 + i};
        series[i] = (extatus__rw_series){labels[i], LABELS, &samples[i], 1, 0, NULL, NULL, 0};
    }
}

static size_t encode_extatus(extatus__proto_writer *w)
{
    extatus__proto_reset(w);
    if (extatus__rw_encode_v1(w, series, SERIES) != 0)
        return 0;
    return w->size;
}

/* protobuf-c: objects filled from the series, then packed into `out`. */
static Prometheus__TimeSeries pc_series[SERIES];
static Prometheus__TimeSeries *pc_series_ptr[SERIES];
static Prometheus__Label pc_labels[SERIES][LABELS];
static Prometheus__Label *pc_labels_ptr[SERIES][LABELS];
static Prometheus__Sample pc_samples[SERIES];
static Prometheus__Sample *pc_samples_ptr[SERIES];

static size_t encode_protobuf_c(uint8_t **out, size_t *room)
{
    Prometheus__WriteRequest request = PROMETHEUS__WRITE_REQUEST__INIT;
    for (unsigned i = 0; i < SERIES; i++) {
        prometheus__time_series__init(&pc_series[i]);
        for (unsigned l = 0; l < LABELS; l++) {
            prometheus__label__init(&pc_labels[i][l]);
            pc_labels[i][l].name = (char *)(uintptr_t)labels[i][l].name;
            pc_labels[i][l].value = (char *)(uintptr_t)labels[i][l].value;
            pc_labels_ptr[i][l] = &pc_labels[i][l];
        }
        prometheus__sample__init(&pc_samples[i]);
        pc_samples[i].value = samples[i].value;
        pc_samples[i].timestamp = samples[i].timestamp_ms;
        pc_samples_ptr[i] = &pc_samples[i];
        pc_series[i].n_labels = LABELS;
        pc_series[i].labels = pc_labels_ptr[i];
        pc_series[i].n_samples = 1;
        pc_series[i].samples = &pc_samples_ptr[i];
        pc_series_ptr[i] = &pc_series[i];
    }
    request.n_timeseries = SERIES;
    request.timeseries = pc_series_ptr;
    size_t size = prometheus__write_request__get_packed_size(&request);
    if (size > *room) {
        free(*out);
        *out = malloc(size);
        *room = *out ? size : 0;
        if (!*out)
            return 0;
    }
    return prometheus__write_request__pack(&request, *out);
}

int main(void)
{
    make_series();
    extatus__proto_writer w;
    extatus__proto_init(&w);
    uint8_t *pc_out = NULL;
    size_t pc_room = 0;
    double ours[RUNS], theirs[RUNS];
    size_t our_size = 0, their_size = 0;
    for (int run = 0; run < RUNS; run++) {
        /* Alternate the order so neither side always runs on a warm cache. */
        for (int side = 0; side < 2; side++) {
            int which = (run + side) % 2;
            double start = bench_now_ms();
            if (which == 0)
                our_size = encode_extatus(&w);
            else
                their_size = encode_protobuf_c(&pc_out, &pc_room);
            double took = bench_now_ms() - start;
            (which == 0 ? ours : theirs)[run] = took;
        }
    }
    double our_median = bench_median(ours, RUNS);
    double their_median = bench_median(theirs, RUNS);
    int same = our_size == their_size && our_size && memcmp(w.data, pc_out, our_size) == 0;
    printf("proto_encoder_choice: %u series, %u labels and 1 sample each, median of %d runs\n",
           SERIES, LABELS, RUNS);
    printf("  extatus streaming writer: %8.2f ms  %zu bytes\n", our_median, our_size);
    printf("  protobuf-c (fill + pack): %8.2f ms  %zu bytes\n", their_median, their_size);
    printf("  bodies identical: %s\n", same ? "yes" : "no");
    printf("BENCH name=proto_encode_100k unit=ms extatus=%.2f protobuf_c=%.2f\n", our_median,
           their_median);
    extatus__proto_dispose(&w);
    free(pc_out);
    return same ? 0 : 1;
}
