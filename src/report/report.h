/*
 * report.h - private interfaces of the report layer (src/report/).
 */
#ifndef EXTATUS_REPORT_REPORT_H
#define EXTATUS_REPORT_REPORT_H

#include "core/layer.h"

/* The report layer as core sees it (report.c); src/library.c joins it. */
extern const extatus__layer extatus__report_layer;

#endif /* EXTATUS_REPORT_REPORT_H */
