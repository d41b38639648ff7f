/*
 * delivery.h - what the report layer tells its network helpers (io.c)
 * about the delivery the calling thread is in: its deadlines and whether
 * the reporter is being stopped; and what the helpers tell it back (why a
 * delivery failed).
 */
#ifndef EXTATUS_REPORT_DELIVERY_H
#define EXTATUS_REPORT_DELIVERY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "extatus/sys/reporter.h"

/* Why the items of a delivery were lost. */
typedef enum extatus__drop_reason {
    EXTATUS__DROP_ERROR,   /* the method failed: refused, reset, closed, or its own error */
    EXTATUS__DROP_TIMEOUT, /* a connect or send deadline passed */
    EXTATUS__DROP_STOPPED, /* the reporter was being removed or the library shut down */
} extatus__drop_reason;

/* Defaults of the library options connect_timeout and send_timeout (ms). */
#define EXTATUS__CONNECT_TIMEOUT_MS 2000
#define EXTATUS__SEND_TIMEOUT_MS    5000
/* Longest a helper waits before it looks at the stop flag again. */
#define EXTATUS__STOP_SLICE_MS EXTATUS_REPORTER_STOP_SLICE_MS

typedef struct extatus__delivery {
    int64_t connect_timeout_ns;   /* per connect */
    int64_t send_timeout_ns;      /* per delivery, from its first send */
    int64_t send_deadline_ns;     /* CLOCK_MONOTONIC; 0 until the first send */
    const _Atomic bool *stopping; /* set when the reporter is being stopped; may be NULL */
    extatus__drop_reason reason;  /* set by a helper that failed */
} extatus__delivery;

/* The delivery of the calling thread (NULL outside one); set by report.c. */
extern __thread extatus__delivery *extatus__current_delivery;

#endif /* EXTATUS_REPORT_DELIVERY_H */
