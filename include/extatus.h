/*
 * extatus.h - the umbrella header: report a C program's health and
 * metrics to Prometheus.
 */
#ifndef EXTATUS_H
#define EXTATUS_H

#include "extatus/common.h"
#include "extatus/version.h"
#include "extatus/errors.h"
#include "extatus/alloc.h"
#include "extatus/buf.h"
#include "extatus/labels.h"
#include "extatus/options.h"
#include "extatus/metric.h"
#include "extatus/registry.h"
#include "extatus/family.h"
#include "extatus/exemplar.h"
#include "extatus/counter.h"
#include "extatus/gauge.h"
#include "extatus/histogram.h"
#include "extatus/native_histogram.h"
#include "extatus/summary.h"
#include "extatus/function.h"
#include "extatus/spiral.h"
#include "extatus/expose.h"
#include "extatus/process.h"
#include "extatus/events.h"
#include "extatus/exporter.h" /* in the extatus-http library */
#include "extatus/config.h"
#include "extatus/yaml.h" /* in the extatus-yaml library */
#include "extatus/push.h" /* in the extatus-push library */
#include "extatus/probe.h"
#include "extatus/report.h"
#include "extatus/remote_write.h" /* in the extatus-push library */

#endif /* EXTATUS_H */
