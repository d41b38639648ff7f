/*
 * layer.c - the worker-status layer as core sees it: at shutdown its
 * handler is stopped first, before core takes its own locks, because the
 * handler runs user reports that call the library.
 */
#include "process/process_internal.h"

static void process_layer_stop(void)
{
    (void)extatus_process_stop();
}

const extatus__layer extatus__process_layer = {
    .name = "process",
    .stop = process_layer_stop,
};
