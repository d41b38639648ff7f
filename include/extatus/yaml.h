/*
 * extatus/yaml.h - predefined metrics, type defaults, reporters and
 * subscriptions from a YAML file (library extatus-yaml, which links
 * libyaml; libextatus itself does not depend on it).
 *
 * The format is described in docs/configuration.md:
 *
 *     defaults:
 *       - {pattern: "db_*_seconds", type: histogram, options: {buckets: [0.01, 0.1, 1]}}
 *     metrics:
 *       - {name: node_load, type: cpu, options: {sample_interval: 5000}}
 *     reporters:
 *       - {name: graphite, type: line, options: {address: "localhost:2003"}}
 *     subscriptions:
 *       - {reporter: graphite, metric: node_load, datapoint: avg1, interval: 10000}
 */
#ifndef EXTATUS_YAML_H
#define EXTATUS_YAML_H

#include "common.h"

EXTATUS_BEGIN_DECLS

/*
 * Read the YAML file `path` and apply it: type defaults first, then
 * metrics (creating named registries that do not exist), reporters and
 * subscriptions, in file order. The first problem stops the load and is
 * returned; the message (extatus_error_last) starts with "path:line:" of
 * the offending entry. What was applied before it stays applied.
 * Errors: EXTATUS_ERR_SYSTEM (cannot read the file), _INVALID (not YAML,
 * or not the documented structure), or the error of the call the entry
 * made (for example EXTATUS_ERR_OPTION, _EXISTS).
 * Thread safety: any thread; not concurrent with extatus_shutdown().
 */
EXTATUS_API int extatus_config_load(const char *path);

EXTATUS_END_DECLS

#endif /* EXTATUS_YAML_H */
