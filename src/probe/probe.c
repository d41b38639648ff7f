/*
 * probe.c - probe-kind entries on the scheduler.
 *
 * Each series of a probe-kind type gets a scheduler task that calls the
 * entry's sample every sample_interval ms. The task holds the series
 * pointer; extatus__probe_detach, called before the series' entry is
 * destroyed, removes the task and waits for a sample in progress, so a
 * sample never runs on a freed ref.
 *
 * Failures and skipped turns are counted per series (extatus_probe_stats)
 * and, per probe name, in two counters of the default registry.
 */
#include "core/internal.h"

#include <string.h>

#define ERRORS_NAME "extatus_probe_sample_errors_total"
#define SKIPS_NAME  "extatus_probe_sample_skips_total"

struct extatus__probe {
    extatus_series *series;          /* the sampled series */
    extatus__task *task;             /* its scheduler task (NULL when manual only) */
    atomic_uint_fast64_t samples;    /* sample calls */
    atomic_uint_fast64_t errors;     /* failed sample calls */
    atomic_uint_fast64_t skips_seen; /* skips already added to the skips counter */
};

/* The two self-metrics; create them (and the probe's series at 0) if missing. */
static void count_metric(const char *metric, const char *probe, double amount)
{
    static const char *const label_names[] = {"probe"};
    const char *help = strcmp(metric, ERRORS_NAME) == 0
                           ? "Probe samples that failed, by probe."
                           : "Probe turns skipped because the previous sample was still running, "
                             "by probe.";
    extatus_option options[] = {
        EXTATUS_OPT_STRING("help", help),
        EXTATUS_OPT_STRINGS("labels", label_names, 1),
    };
    /* Best effort, so its failures leave no message: the caller's call did not fail. */
    extatus__error_quiet_begin();
    int rc = extatus_update(NULL, metric, EXTATUS_LABELS(probe), amount);
    if (rc == EXTATUS_ERR_NOT_FOUND &&
        extatus_new(NULL, metric, "counter", options, 2) == EXTATUS_OK)
        rc = extatus_update(NULL, metric, EXTATUS_LABELS(probe), amount);
    (void)rc; /* the per-series stats count regardless */
    extatus__error_quiet_end();
}

/* One sample of the series; counts it and its failure. */
static int probe_sample(struct extatus__probe *probe)
{
    extatus_series *series = probe->series;
    const extatus_family *family = series->family;
    int rc = EXTATUS_OK;
    if (family->type->ops.sample) {
        extatus_entry_ctx ctx;
        extatus__entry_ctx(&ctx, family, series);
        rc = family->type->ops.sample(series->ref, &ctx);
    }
    atomic_fetch_add(&probe->samples, 1);
    if (rc != EXTATUS_OK) {
        atomic_fetch_add(&probe->errors, 1);
        count_metric(ERRORS_NAME, family->name, 1);
    }
    return rc;
}

static void probe_run(void *arg)
{
    struct extatus__probe *probe = arg;
    probe_sample(probe);
    /* Turns skipped since the last run go to the counter now, off the clock thread. */
    uint64_t skips = 0;
    extatus__sched_stats(extatus__sched_current(), NULL, &skips);
    uint64_t seen = atomic_load(&probe->skips_seen);
    if (skips > seen) {
        atomic_store(&probe->skips_seen, skips);
        count_metric(SKIPS_NAME, probe->series->family->name, (double)(skips - seen));
    }
}

int extatus__probe_attach(extatus_series *series)
{
    extatus_family *family = series->family;
    if (family->type->ops.kind != EXTATUS_ENTRY_KIND_PROBE)
        return EXTATUS_OK;
    struct extatus__probe *probe = extatus__calloc(1, sizeof(*probe));
    if (!probe)
        return extatus__error(EXTATUS_ERR_NOMEM, "metric '%s': out of memory for its probe",
                              family->name);
    probe->series = series;
    /*
     * The error counter exists at 0 from the start, so that rate() and
     * alerts work from the first scrape; the skip counter appears at the
     * first skip (most probes never skip, and it would double the lines).
     */
    count_metric(ERRORS_NAME, family->name, 0);
    if (family->sample_interval_ms > 0) {
        int rc = extatus__sched_add(&probe->task, family->sample_interval_ms, 0, probe_run, probe);
        if (rc != EXTATUS_OK) {
            extatus__free(probe);
            return rc;
        }
    }
    series->probe = probe;
    return EXTATUS_OK;
}

void extatus__probe_detach(extatus_series *series)
{
    struct extatus__probe *probe = series->probe;
    if (!probe)
        return;
    extatus__sched_remove(probe->task);
    series->probe = NULL;
    extatus__free(probe);
}

/* Find a probe series by name, pinned; release with put(). */
static int find_probe(extatus_family **family, extatus_series **series, extatus_registry *registry,
                      const char *name, extatus_labels labels)
{
    int rc = extatus__ensure_init();
    if (rc != EXTATUS_OK)
        return rc;
    if (!name)
        return extatus__error(EXTATUS_ERR_INVALID, "probe: metric name is NULL");
    registry = extatus__registry_resolve(registry);
    if (!registry)
        return extatus__error(EXTATUS_ERR_NOMEM, "cannot initialise the default registry");
    *family = extatus__family_acquire(registry, name);
    if (!*family)
        return extatus__error(EXTATUS_ERR_NOT_FOUND, "no metric '%s' in registry '%s'", name,
                              registry->name);
    if ((*family)->type->ops.kind != EXTATUS_ENTRY_KIND_PROBE) {
        rc = extatus__error(EXTATUS_ERR_TYPE, "metric '%s' is of type '%s', not a probe", name,
                            (*family)->type_name);
        extatus__family_drop(*family);
        return rc;
    }
    rc = extatus__series_acquire(series, *family, labels, false);
    if (rc != EXTATUS_OK)
        extatus__family_drop(*family);
    return rc;
}

int extatus_sample(extatus_registry *registry, const char *name, extatus_labels labels)
{
    extatus_family *family = NULL;
    extatus_series *series = NULL;
    int rc = find_probe(&family, &series, registry, name, labels);
    if (rc != EXTATUS_OK)
        return rc;
    if (series->probe) {
        rc = probe_sample(series->probe);
        if (rc != EXTATUS_OK && extatus_error_last_code() != rc)
            (void)extatus__error(rc, "metric '%s': sample failed (%s)", name, extatus_strerror(rc));
    }
    extatus__series_unpin(series);
    extatus__family_drop(family);
    return rc;
}

int extatus_probe_get_stats(extatus_registry *registry, const char *name, extatus_labels labels,
                            extatus_probe_stats *stats)
{
    if (!stats)
        return extatus__error(EXTATUS_ERR_INVALID, "probe stats: NULL argument");
    memset(stats, 0, sizeof(*stats));
    extatus_family *family = NULL;
    extatus_series *series = NULL;
    int rc = find_probe(&family, &series, registry, name, labels);
    if (rc != EXTATUS_OK)
        return rc;
    struct extatus__probe *probe = series->probe;
    if (probe) {
        stats->samples = atomic_load(&probe->samples);
        stats->errors = atomic_load(&probe->errors);
        if (probe->task)
            extatus__sched_stats(probe->task, NULL, &stats->skips);
    }
    stats->interval_ms = family->sample_interval_ms;
    extatus__series_unpin(series);
    extatus__family_drop(family);
    return EXTATUS_OK;
}
