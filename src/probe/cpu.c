/*
 * cpu.c - exometer's cpu probe: load averages and counts.
 *
 * Datapoints: avg1, avg5, avg15 (the load averages of /proc/loadavg, as
 * plain numbers: exometer's cpu_sup gives them scaled by 256, a detail of
 * Erlang's os_mon that a C program has no use for), nprocs (the number of
 * processes, as exometer's nprocs; /proc/loadavg counts every task) and
 * ncpus (online processors). avg1 is the exposed value of the gauge; the
 * others are read by name (extatus_get_value, subscriptions).
 */
#include "entries/common.h"
#include "probe/probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { AVG1, AVG5, AVG15, NPROCS, NCPUS, CPU_POINTS };

static const extatus_datapoint cpu_datapoints[CPU_POINTS] = {
    {"avg1", EXTATUS_SAMPLE_VALUE, 0}, {"avg5", EXTATUS_SAMPLE_NONE, 0},
    {"avg15", EXTATUS_SAMPLE_NONE, 0}, {"nprocs", EXTATUS_SAMPLE_NONE, 0},
    {"ncpus", EXTATUS_SAMPLE_NONE, 0},
};

typedef struct cpu_state {
    _Atomic double values[CPU_POINTS]; /* last sample */
    atomic_bool valid;                 /* a sample succeeded */
} cpu_state;

/* Read /proc/loadavg: "0.20 0.18 0.12 1/80 11206". */
static bool read_loadavg(double out[CPU_POINTS])
{
    char buf[256];
    FILE *file = fopen("/proc/loadavg", "re");
    if (!file)
        return false;
    size_t length = fread(buf, 1, sizeof(buf) - 1, file);
    fclose(file);
    buf[length] = '\0';
    char *p = buf;
    char *end = NULL;
    for (int i = AVG1; i <= AVG15; i++) {
        out[i] = strtod(p, &end);
        if (end == p)
            return false;
        p = end;
    }
    strtoul(p, &end, 10); /* running tasks */
    if (end == p || *end != '/')
        return false;
    p = end + 1;
    unsigned long total = strtoul(p, &end, 10);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (end == p || cpus < 1)
        return false;
    out[NPROCS] = (double)total;
    out[NCPUS] = (double)cpus;
    return true;
}

static bool cpu_refresh(cpu_state *state)
{
    double values[CPU_POINTS];
    if (!read_loadavg(values))
        return false;
    for (int i = 0; i < CPU_POINTS; i++)
        atomic_store(&state->values[i], values[i]);
    atomic_store(&state->valid, true);
    return true;
}

static int cpu_create(void **ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                      size_t option_count)
{
    int rc = extatus__entry_no_options(ctx, options, option_count);
    if (rc != EXTATUS_OK)
        return rc;
    cpu_state *state = extatus__calloc(1, sizeof(*state));
    if (!state)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "metric '%s': out of memory", ctx->name);
    for (int i = 0; i < CPU_POINTS; i++)
        atomic_init(&state->values[i], 0.0);
    atomic_init(&state->valid, false);
    *ref = state;
    return EXTATUS_OK;
}

static void cpu_destroy(void *ref, const extatus_entry_ctx *ctx)
{
    (void)ctx;
    extatus__free(ref);
}

static int cpu_sample(void *ref, const extatus_entry_ctx *ctx)
{
    if (!cpu_refresh(ref))
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "metric '%s': cannot read /proc/loadavg",
                                   ctx->name);
    return EXTATUS_OK;
}

static int cpu_get_value(void *ref, const extatus_entry_ctx *ctx, const char *const *datapoints,
                         size_t count, extatus_value *values)
{
    cpu_state *state = ref;
    if (!atomic_load(&state->valid))
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "metric '%s': not sampled yet", ctx->name);
    for (size_t i = 0; i < count; i++) {
        int index = datapoints ? extatus__datapoint_index(cpu_datapoints, CPU_POINTS, datapoints[i])
                               : (i < CPU_POINTS ? (int)i : -1);
        if (index < 0)
            values[i] = (extatus_value){EXTATUS_VALUE_UNDEFINED, 0, 0};
        else if (index >= NPROCS)
            values[i] = extatus__int_value((int64_t)atomic_load(&state->values[index]));
        else
            values[i] = extatus__double_value(atomic_load(&state->values[index]));
    }
    return EXTATUS_OK;
}

static int cpu_get_datapoints(void *ref, const extatus_entry_ctx *ctx,
                              const extatus_datapoint **datapoints, size_t *count)
{
    (void)ref;
    (void)ctx;
    *datapoints = cpu_datapoints;
    *count = CPU_POINTS;
    return EXTATUS_OK;
}

static const extatus_entry_ops cpu_ops = {
    .version = EXTATUS_ENTRY_OPS_VERSION,
    .kind = EXTATUS_ENTRY_KIND_PROBE,
    .metric_type = EXTATUS_METRIC_GAUGE,
    .create = cpu_create,
    .destroy = cpu_destroy,
    .get_value = cpu_get_value,
    .update = NULL,
    .reset = NULL,
    .sample = cpu_sample,
    .get_datapoints = cpu_get_datapoints,
    .setopts = NULL,
};

int extatus__cpu_register(void)
{
    return extatus_type_register("cpu", &cpu_ops, NULL);
}
