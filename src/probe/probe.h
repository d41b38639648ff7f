/*
 * probe.h - private interfaces of the probe layer (src/probe/), for its
 * own files only.
 */
#ifndef EXTATUS_PROBE_PROBE_H
#define EXTATUS_PROBE_PROBE_H

#include "core/layer.h"
#include "core/reader.h"
#include "core/sched.h"
#include "core/util.h"

/* Register the built-in probe types: process_gauge, process_counter, cpu. */
int extatus__probes_register_builtin(void);
int extatus__cpu_register(void);
/* At initialisation: the process collector in the default registry, unless switched off. */
int extatus__process_collector_init(void);

/* The probe layer as core sees it (probe.c); src/library.c joins it. */
extern const extatus__layer extatus__probe_layer;

#endif /* EXTATUS_PROBE_PROBE_H */
