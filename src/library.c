/*
 * library.c - the assembly: the one file that names every layer of
 * libextatus. It hands core the list of layers above it, in the order
 * they start (shutdown walks it backwards), when the library is loaded,
 * so that core itself never names a layer.
 *
 *   core      registries, families, series, cells, types, the scheduler
 *   entries   the built-in types (counter, gauge, histogram, ...)
 *   expose    the text and OpenMetrics writers (no hooks: called, never calls)
 *   probe     probe-kind entries on the scheduler, the process collector
 *   process   worker status: the handler, its gauge and events
 *   report    subscriptions and reporters
 */
#include "entries/common.h"
#include "probe/probe.h"
#include "process/process_internal.h"
#include "report/report.h"

static const extatus__layer *const layers[] = {
    &extatus__entries_layer,
    &extatus__probe_layer,
    &extatus__process_layer,
    &extatus__report_layer,
};

__attribute__((constructor)) static void join_layers(void)
{
    /* Fails only when the slots of core are too few: a build error in effect. */
    if (extatus__layers_join(layers, sizeof(layers) / sizeof(layers[0])) != EXTATUS_OK)
        __builtin_trap();
}
