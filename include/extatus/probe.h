/*
 * extatus/probe.h - probes: entries that sample on their own.
 *
 * A probe is an entry whose type has kind EXTATUS_ENTRY_KIND_PROBE (see
 * extatus/sys/entry.h). Each series of it is sampled by the library's one
 * scheduler clock every `sample_interval` ms (option, default
 * EXTATUS_PROBE_DEFAULT_INTERVAL_MS; 0 means "only when asked", through
 * extatus_sample()), first right after it is created. A small pool of
 * threads runs the samples, so a slow probe delays no other; a probe still
 * sampling when its next turn comes is skipped, not stacked. A failing
 * sample is counted in the counter extatus_probe_sample_errors_total{probe}
 * (skipped turns in extatus_probe_sample_skips_total{probe}), both in the
 * default registry, and never stops the other probes.
 */
#ifndef EXTATUS_PROBE_H
#define EXTATUS_PROBE_H

#include "common.h"
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
 * Sample the series `label_values` of probe `name` now, in the calling
 * thread (exometer's sample). The result counts as a sample.
 * Errors: EXTATUS_ERR_NOT_FOUND, _TYPE (not a probe), or the probe's error.
 * Thread safety: any thread; may overlap a scheduled sample of the same
 * series (entries of kind probe must allow that, see extatus/sys/entry.h).
 */
EXTATUS_API int extatus_sample(extatus_registry *registry, const char *name,
                               const char *const *label_values);

/*
 * Copy the counters of a probe series into *stats.
 * Errors: EXTATUS_ERR_NOT_FOUND, _TYPE (not a probe).
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_probe_get_stats(extatus_registry *registry, const char *name,
                                        const char *const *label_values,
                                        extatus_probe_stats *stats);

EXTATUS_END_DECLS

#endif /* EXTATUS_PROBE_H */
