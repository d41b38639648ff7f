/*
 * probe.c - probe-kind entries on the scheduler.
 *
 * Each series of a probe-kind type gets a scheduler task that calls the
 * entry's sample every sample_interval ms. The task holds the series
 * pointer; the layer's series_removed hook, called before the series'
 * entry is destroyed, removes the task and waits for a sample in progress,
 * so a sample never runs on a freed ref.
 *
 * The probe layer joins core through extatus__probe_layer: it registers
 * the built-in probe types and the process collector at init, takes the
 * family option sample_interval (kept in its family slot) and gives each
 * probe series its state (in its series slot).
 *
 * Failures and skipped turns are counted per series (extatus_probe_stats)
 * and, per probe name, in two counters of the default registry.
 */
#include "probe/probe.h"

#include <stdatomic.h>
#include <string.h>

#define ERRORS_NAME "extatus_probe_sample_errors_total"
#define SKIPS_NAME  "extatus_probe_sample_skips_total"

struct extatus__probe {
    extatus_series *series;          /* the sampled series */
    const char *metric;              /* its family's name, for the self-metrics */
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
    int rc = extatus__series_sample(probe->series);
    atomic_fetch_add(&probe->samples, 1);
    if (rc != EXTATUS_OK) {
        atomic_fetch_add(&probe->errors, 1);
        count_metric(ERRORS_NAME, probe->metric, 1);
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
        count_metric(SKIPS_NAME, probe->metric, (double)(skips - seen));
    }
}

static size_t family_slot; /* index of the layer's slot in a family: the interval */
static size_t series_slot; /* index of the layer's slot in a series: its probe */

/* The sample interval of a probe family, in ms (0: sampled by hand only). */
static int64_t family_interval_ms(const extatus_family *family)
{
    return (int64_t)extatus__family_attachment(family, family_slot);
}

static struct extatus__probe *series_probe(const extatus_series *series)
{
    return extatus__series_attachment(series, series_slot);
}

/* Check and keep the option sample_interval of a family being registered. */
static int probe_family_created(extatus_family *family, const extatus_option *options, size_t count)
{
    const extatus_option *opt = extatus_option_find(options, count, "sample_interval");
    extatus__family_view view;
    extatus__family_view_of(family, &view);
    bool probe_kind = view.kind == EXTATUS_ENTRY_KIND_PROBE;
    if (opt && !probe_kind)
        return extatus__error(EXTATUS_ERR_OPTION,
                              "metric '%s': option 'sample_interval' is for probe types, and "
                              "type '%s' is not one",
                              view.name, view.type_name);
    int64_t interval = EXTATUS_PROBE_DEFAULT_INTERVAL_MS;
    if (opt && extatus__option_ms(&interval, opt, 0, INT32_MAX, "metric", view.name) != EXTATUS_OK)
        return EXTATUS_ERR_OPTION;
    extatus__family_attach(family, family_slot, probe_kind ? (uintptr_t)interval : 0);
    return EXTATUS_OK;
}

static int probe_series_created(extatus_series *series)
{
    extatus__series_view series_view;
    extatus__family_view view;
    extatus__series_describe(series, &series_view);
    extatus__family_view_of(series_view.family, &view);
    if (view.kind != EXTATUS_ENTRY_KIND_PROBE)
        return EXTATUS_OK;
    struct extatus__probe *probe = extatus__calloc(1, sizeof(*probe));
    if (!probe)
        return extatus__error(EXTATUS_ERR_NOMEM, "metric '%s': out of memory for its probe",
                              view.name);
    probe->series = series;
    probe->metric = view.name;
    /*
     * The error counter exists at 0 from the start, so that rate() and
     * alerts work from the first scrape; the skip counter appears at the
     * first skip (most probes never skip, and it would double the lines).
     */
    count_metric(ERRORS_NAME, view.name, 0);
    int64_t interval = family_interval_ms(series_view.family);
    if (interval > 0) {
        int rc = extatus__sched_add(&probe->task, interval, 0, probe_run, probe);
        if (rc != EXTATUS_OK) {
            extatus__free(probe);
            return rc;
        }
    }
    extatus__series_attach(series, series_slot, probe);
    return EXTATUS_OK;
}

static void probe_series_removed(extatus_series *series)
{
    struct extatus__probe *probe = series_probe(series);
    if (!probe)
        return;
    extatus__sched_remove(probe->task);
    extatus__series_attach(series, series_slot, NULL);
    extatus__free(probe);
}

/* The built-in probe types (probe/process.c, probe/cpu.c), then the
 * process collector in the default registry unless it is switched off. */
static int probe_init(void)
{
    int rc = extatus__probes_register_builtin();
    return rc == EXTATUS_OK ? extatus__process_collector_init() : rc;
}

static const char *const probe_family_options[] = {"sample_interval", NULL};

const extatus__layer extatus__probe_layer = {
    .name = "probe",
    .init = probe_init,
    .family_options = probe_family_options,
    .family_slot = &family_slot,
    .series_slot = &series_slot,
    .family_created = probe_family_created,
    .series_created = probe_series_created,
    .series_removed = probe_series_removed,
};

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
                              extatus_registry_name(registry));
    extatus__family_view view;
    extatus__family_view_of(*family, &view);
    if (view.kind != EXTATUS_ENTRY_KIND_PROBE) {
        rc = extatus__error(EXTATUS_ERR_TYPE, "metric '%s' is of type '%s', not a probe", name,
                            view.type_name);
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
    if (series_probe(series)) {
        uint64_t mark = extatus__error_mark();
        rc = probe_sample(series_probe(series));
        if (rc != EXTATUS_OK)
            (void)extatus__error_unless_since(mark, rc, "metric '%s': sample failed (%s)", name,
                                              extatus_strerror(rc));
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
    struct extatus__probe *probe = series_probe(series);
    if (probe) {
        stats->samples = atomic_load(&probe->samples);
        stats->errors = atomic_load(&probe->errors);
        if (probe->task)
            extatus__sched_stats(probe->task, NULL, &stats->skips);
    }
    stats->interval_ms = family_interval_ms(family);
    extatus__series_unpin(series);
    extatus__family_drop(family);
    return EXTATUS_OK;
}
