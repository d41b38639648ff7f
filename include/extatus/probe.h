/*
 * extatus/probe.h - probes: entries that sample on their own, the
 * process collector and exometer's cpu probe.
 *
 * A probe is an entry whose type has kind EXTATUS_ENTRY_KIND_PROBE (see
 * extatus/sys/entry.h). Each series of it is sampled by the library's one
 * scheduler clock every `sample_interval` ms (option, default
 * EXTATUS_PROBE_DEFAULT_INTERVAL_MS; 0 means "only when asked", through
 * extatus_sample()), first right after it is created. A small pool of
 * threads runs the samples, so a slow probe delays no other; a probe still
 * sampling when its next turn comes is skipped, not stacked. A failing
 * sample is counted in the counter extatus_probe_sample_errors_total{probe}
 * (0 from the probe's creation on) and never stops the other probes;
 * skipped turns are counted in extatus_probe_sample_skips_total{probe}
 * (from the first skip on). Both live in the default registry.
 *
 * Built-in probe types:
 *   "cpu"      exometer's cpu probe: datapoints avg1 (exposed), avg5,
 *              avg15 (load averages), nprocs (processes, as exometer),
 *              ncpus (online processors).
 *   "process_gauge", "process_counter"
 *              one value of the process collector each (option "field");
 *              create them with extatus_process_collector_register().
 */
#ifndef EXTATUS_PROBE_H
#define EXTATUS_PROBE_H

#include "common.h"
#include "labels.h"
#include "options.h"
#include "registry.h"

EXTATUS_BEGIN_DECLS

/* sample_interval of a probe that does not set it. */
#define EXTATUS_PROBE_DEFAULT_INTERVAL_MS 1000

/* Counters of one probe series (a snapshot). */
typedef struct extatus_probe_stats {
    uint64_t samples;     /* sample calls made, scheduled or through extatus_sample() */
    uint64_t errors;      /* of those, calls that returned an error */
    uint64_t skips;       /* turns skipped because the previous sample was still running */
    int64_t interval_ms;  /* sample_interval in force; 0: only on request */
    uint64_t reserved[4]; /* for later fields; zero */
} extatus_probe_stats;

/*
 * Sample the series `labels` of probe `name` now, in the calling
 * thread (exometer's sample). The result counts as a sample.
 * Errors: EXTATUS_ERR_NOT_FOUND, _LABEL, _TYPE (not a probe), or the probe's error.
 * Thread safety: any thread; may overlap a scheduled sample of the same
 * series (entries of kind probe must allow that, see extatus/sys/entry.h).
 */
EXTATUS_API int extatus_sample(extatus_registry *registry, const char *name, extatus_labels labels);

/*
 * Copy the counters of a probe series into *stats.
 * Errors: EXTATUS_ERR_NOT_FOUND, _LABEL, _TYPE (not a probe).
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_probe_get_stats(extatus_registry *registry, const char *name,
                                        extatus_labels labels, extatus_probe_stats *stats);

/*
 * Create the process collector's families in `registry` (NULL: default):
 * process_cpu_seconds_total, process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_virtual_memory_max_bytes,
 * process_open_fds, process_max_fds, process_start_time_seconds and
 * process_threads. A value this system cannot give (no /proc) is left
 * out: its family is not created. `options` (may be NULL) go to every
 * family, for example sample_interval or cache. Calling it again for the
 * same registry changes nothing.
 * Errors: EXTATUS_ERR_EXISTS (a name taken by another definition),
 * _OPTION, _NOMEM.
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_process_collector_register(extatus_registry *registry,
                                                   const extatus_option *options,
                                                   size_t option_count);

/*
 * Whether initialisation registers the process collector in the default
 * registry: 1 yes, 0 no, negative: as the environment says (the default).
 * Without a call, it is registered unless the environment variable
 * EXTATUS_PROCESS_COLLECTOR is "0", "off", "false" or "no"; a call wins
 * over the environment. Takes effect at the next initialisation
 * (extatus_init(), the first call that needs the library, or the first
 * after extatus_shutdown()).
 * Errors: EXTATUS_ERR_STATE when the library is already initialised.
 * Thread safety: any thread, before initialisation.
 */
EXTATUS_API int extatus_process_collector_set_default(int enabled);

EXTATUS_END_DECLS

#endif /* EXTATUS_PROBE_H */
