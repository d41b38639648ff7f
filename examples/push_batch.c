/*
 * push_batch.c - a batch program that pushes its results once, at its
 * end, to a Prometheus Pushgateway (no scraper would catch it alive).
 *
 *   EXTATUS_PUSHGATEWAY_URL=http://localhost:9091 ./push_batch [FILES...]
 *
 * It "processes" the files named on its command line (it counts their
 * bytes), then pushes three metrics to the group {job="push_batch"}: the
 * files done, the bytes read and the time it finished. The URL (and
 * optionally EXTATUS_PUSHGATEWAY_GROUPING, _USERNAME, _PASSWORD) come
 * from the environment. A failed push is reported and makes the
 * exit status 1; it never takes longer than the timeouts (2 s to connect,
 * 5 s in all).
 */
#include <stdio.h>

#include <extatus.h>

int main(int argc, char **argv)
{
    extatus_counter *files;
    extatus_counter *bytes;
    extatus_gauge *finished;
    if (extatus_counter_new(&files, NULL, "batch_files_total", "Files processed.") != EXTATUS_OK ||
        extatus_counter_new(&bytes, NULL, "batch_bytes_total", "Bytes read.") != EXTATUS_OK ||
        extatus_gauge_new(&finished, NULL, "batch_finished_timestamp_seconds",
                          "When the batch ended.") != EXTATUS_OK) {
        fprintf(stderr, "push_batch: %s\n", extatus_error_last());
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            continue;
        }
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
            extatus_counter_add(bytes, n);
        fclose(f);
        extatus_counter_inc(files);
    }
    extatus_gauge_set_to_current_time(finished);

    extatus_push_options push = EXTATUS_PUSH_OPTIONS_INIT; /* url from the environment */
    push.job = "push_batch";
    int rc = extatus_push_once(&push);
    if (rc == EXTATUS_OK)
        printf("push_batch: %.0f files, %.0f bytes pushed\n", extatus_counter_value(files),
               extatus_counter_value(bytes));
    else
        fprintf(stderr, "push_batch: push failed: %s\n", extatus_error_last());
    extatus_shutdown();
    return rc == EXTATUS_OK ? 0 : 1;
}
