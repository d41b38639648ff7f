/*
 * remote_write_body_dump.c - writes the uncompressed remote write body of
 * a fixed set of series (the same set remote_write_protoc_test.py
 * expects), for protoc to decode: `remote_write_body_dump 1|2 FILE`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "push/remote_write_encode.h"

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "1") != 0 && strcmp(argv[1], "2") != 0)) {
        fprintf(stderr, "usage: %s 1|2 FILE\n", argv[0]);
        return 2;
    }
    static char long_value[301];
    memset(long_value, 'v', 300);
    uint64_t stale_bits = EXTATUS_RW_STALE_NAN_BITS;
    double stale;
    memcpy(&stale, &stale_bits, sizeof(stale));

    extatus__rw_label requests[] = {{.name = "__name__", .value = "http_requests_total"},
                                    {.name = "instance", .value = "host:9100"},
                                    {.name = "job", .value = "api"},
                                    {.name = "method", .value = "GET"}};
    extatus__rw_sample requests_samples[] = {{3.5, 1700000000000}, {4.0, 1700000001000}};
    extatus__rw_label temperature[] = {{.name = "__name__", .value = "temperature"},
                                       {.name = "job", .value = "api"},
                                       {.name = "note", .value = long_value},
                                       {.name = "unit", .value = "\302\260C"}}; /* degree sign */
    extatus__rw_sample temperature_samples[] = {{-0.0, -5}};
    extatus__rw_label gone[] = {{.name = "__name__", .value = "gone"},
                                {.name = "job", .value = "api"}};
    extatus__rw_sample gone_samples[] = {{stale, 1700000002000}};
    extatus__rw_series series[] = {
        {requests, 4, requests_samples, 2, EXTATUS_RW_TYPE_COUNTER, "Requests served.", NULL,
         1699999999000},
        {temperature, 4, temperature_samples, 1, EXTATUS_RW_TYPE_GAUGE, "Temperature.", "celsius",
         0},
        {gone, 2, gone_samples, 1, EXTATUS_RW_TYPE_GAUGE, NULL, NULL, 0},
    };
    for (size_t i = 0; i < 3; i++) {
        char why[256];
        if (extatus__rw_labels_check(series[i].labels, series[i].label_count, why, sizeof(why))) {
            fprintf(stderr, "series %zu: %s\n", i, why);
            return 1;
        }
    }
    extatus__proto_writer w;
    extatus__proto_init(&w);
    int rc = argv[1][0] == '1' ? extatus__rw_encode_v1(&w, series, 3)
                               : extatus__rw_encode_v2(&w, series, 3);
    FILE *out = fopen(argv[2], "wb");
    if (rc != 0 || !out || fwrite(w.data, 1, w.size, out) != w.size || fclose(out) != 0) {
        fprintf(stderr, "cannot write %s\n", argv[2]);
        return 1;
    }
    extatus__proto_dispose(&w);
    return 0;
}
