/*
 * remote_write_encode.h - the bodies of Prometheus remote write requests:
 * label checks, the 1.0 prometheus.WriteRequest and the 2.0
 * io.prometheus.write.v2.Request, encoded with the protobuf writer
 * (proto_encode.h) against the schemas in src/push/proto/.
 *
 * Thread safety: every function works on the caller's objects only.
 */
#ifndef EXTATUS_PUSH_REMOTE_WRITE_ENCODE_H
#define EXTATUS_PUSH_REMOTE_WRITE_ENCODE_H

#include "proto_encode.h"

#include <stddef.h>
#include <stdint.h>

/* The stale marker: the NaN with these bits ends a series at the receiver. */
#define EXTATUS_RW_STALE_NAN_BITS UINT64_C(0x7ff0000000000002)

/* Metadata.type of Remote-Write 2.0. */
enum {
    EXTATUS_RW_TYPE_UNSPECIFIED = 0,
    EXTATUS_RW_TYPE_COUNTER = 1,
    EXTATUS_RW_TYPE_GAUGE = 2,
    EXTATUS_RW_TYPE_HISTOGRAM = 3,
    EXTATUS_RW_TYPE_SUMMARY = 5
};

typedef struct extatus__rw_label {
    const char *name;  /* label name, "__name__" for the metric name */
    const char *value; /* its value */
    size_t name_size;  /* bytes of name; 0: strlen(name) */
    size_t value_size; /* bytes of value; 0: strlen(value) */
} extatus__rw_label;

typedef struct extatus__rw_sample {
    double value;         /* the value (the stale NaN ends the series) */
    int64_t timestamp_ms; /* milliseconds since the Unix epoch */
} extatus__rw_sample;

/* One series of a request; labels sorted and checked by extatus__rw_labels_check. */
typedef struct extatus__rw_series {
    const extatus__rw_label *labels;   /* label_count labels, sorted by name */
    size_t label_count;                /* labels, __name__ included */
    const extatus__rw_sample *samples; /* sample_count samples, oldest first */
    size_t sample_count;               /* at least one */
    int metric_type;                   /* 2.0 only: EXTATUS_RW_TYPE_* */
    const char *help;                  /* 2.0 only: HELP text, or NULL */
    const char *unit;                  /* 2.0 only: unit, or NULL */
    int64_t created_ms;                /* 2.0 only: created timestamp, 0 when unknown */
} extatus__rw_series;

/* Sort labels by name (byte order), in place. */
void extatus__rw_labels_sort(extatus__rw_label *labels, size_t count);

/*
 * Check sorted labels as the specification demands: `__name__` present
 * with a non-empty value, no empty name, no name twice, no empty value.
 * Returns EXTATUS_OK, or EXTATUS_ERR_LABEL with the reason written to
 * `why` (at most why_size bytes, NUL-terminated).
 */
int extatus__rw_labels_check(const extatus__rw_label *labels, size_t count, char *why,
                             size_t why_size);

/* Append a 1.0 WriteRequest of `count` series to `w`. Errors: EXTATUS_ERR_NOMEM. */
int extatus__rw_encode_v1(extatus__proto_writer *w, const extatus__rw_series *series, size_t count);

/*
 * Append a 2.0 Request of `count` series to `w`: every string once in the
 * symbols table (the empty string first), series pointing into it,
 * metadata and created timestamps. Errors: EXTATUS_ERR_NOMEM.
 */
int extatus__rw_encode_v2(extatus__proto_writer *w, const extatus__rw_series *series, size_t count);

#endif /* EXTATUS_PUSH_REMOTE_WRITE_ENCODE_H */
