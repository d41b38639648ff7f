/*
 * remote_write_encode.c - remote write request bodies (see remote_write_encode.h).
 *
 * Field numbers come from the schemas in src/push/proto/, written from the
 * Remote-Write 1.0 and 2.0 specifications.
 */
#include "remote_write_encode.h"

#include <extatus/alloc.h>
#include <extatus/errors.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* prometheus.WriteRequest (1.0). */
enum { V1_REQUEST_TIMESERIES = 1 };
enum { V1_SERIES_LABELS = 1, V1_SERIES_SAMPLES = 2 };
enum { V1_LABEL_NAME = 1, V1_LABEL_VALUE = 2 };
enum { SAMPLE_VALUE = 1, SAMPLE_TIMESTAMP = 2 }; /* the same in 1.0 and 2.0 */

/* io.prometheus.write.v2.Request (2.0). */
enum { V2_REQUEST_SYMBOLS = 1, V2_REQUEST_TIMESERIES = 2 };
enum {
    V2_SERIES_LABELS_REFS = 1,
    V2_SERIES_SAMPLES = 2,
    V2_SERIES_METADATA = 5,
    V2_SERIES_CREATED_TIMESTAMP = 6
};
enum { V2_METADATA_TYPE = 1, V2_METADATA_HELP_REF = 3, V2_METADATA_UNIT_REF = 4 };

static int label_compare(const void *a, const void *b)
{
    return strcmp(((const extatus__rw_label *)a)->name, ((const extatus__rw_label *)b)->name);
}

void extatus__rw_labels_sort(extatus__rw_label *labels, size_t count)
{
    /* Insertion sort: label sets are short and mostly sorted already. */
    for (size_t i = 1; i < count; i++) {
        extatus__rw_label moving = labels[i];
        size_t j = i;
        while (j > 0 && label_compare(&labels[j - 1], &moving) > 0) {
            labels[j] = labels[j - 1];
            j--;
        }
        labels[j] = moving;
    }
}

int extatus__rw_labels_check(const extatus__rw_label *labels, size_t count, char *why,
                             size_t why_size)
{
    int has_name = 0;
    for (size_t i = 0; i < count; i++) {
        const extatus__rw_label *label = &labels[i];
        if (!label->name || !label->name[0]) {
            snprintf(why, why_size, "empty label name (value \"%s\")",
                     label->value ? label->value : "");
            return EXTATUS_ERR_LABEL;
        }
        if (!label->value || !label->value[0]) {
            snprintf(why, why_size, "label \"%s\" has an empty value", label->name);
            return EXTATUS_ERR_LABEL;
        }
        if (i > 0) {
            int order = strcmp(labels[i - 1].name, label->name);
            if (order == 0) {
                snprintf(why, why_size, "label \"%s\" given twice (\"%s\" and \"%s\")", label->name,
                         labels[i - 1].value, label->value);
                return EXTATUS_ERR_LABEL;
            }
            if (order > 0) {
                snprintf(why, why_size, "labels not sorted: \"%s\" before \"%s\"",
                         labels[i - 1].name, label->name);
                return EXTATUS_ERR_LABEL;
            }
        }
        if (strcmp(label->name, "__name__") == 0)
            has_name = 1;
    }
    if (!has_name) {
        snprintf(why, why_size, "no __name__ label");
        return EXTATUS_ERR_LABEL;
    }
    return EXTATUS_OK;
}

/*
 * A guess of a series body's size, only to reserve its length bytes: two
 * when it has a few labels (a wrong guess costs a move of the body).
 */
static size_t series_guess(const extatus__rw_series *s)
{
    return s->sample_count * 20 + s->label_count * 32;
}

/* A sample; like every proto3 encoder, zero fields are left out (-0.0 is not zero: its bits are
 * kept). */
static void write_sample(extatus__proto_writer *w, uint32_t field, const extatus__rw_sample *s)
{
    uint64_t bits;
    memcpy(&bits, &s->value, sizeof(bits));
    extatus__proto_begin(w, field, 0);
    if (bits != 0)
        extatus__proto_double(w, SAMPLE_VALUE, s->value);
    if (s->timestamp_ms != 0)
        extatus__proto_int64(w, SAMPLE_TIMESTAMP, s->timestamp_ms);
    extatus__proto_end(w);
}

int extatus__rw_encode_v1(extatus__proto_writer *w, const extatus__rw_series *series, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const extatus__rw_series *s = &series[i];
        extatus__proto_begin(w, V1_REQUEST_TIMESERIES, series_guess(s));
        for (size_t l = 0; l < s->label_count; l++) {
            extatus__proto_begin(w, V1_SERIES_LABELS, 0);
            const extatus__rw_label *label = &s->labels[l];
            extatus__proto_bytes(w, V1_LABEL_NAME, label->name,
                                 label->name_size ? label->name_size : strlen(label->name));
            extatus__proto_bytes(w, V1_LABEL_VALUE, label->value,
                                 label->value_size ? label->value_size : strlen(label->value));
            extatus__proto_end(w);
        }
        for (size_t k = 0; k < s->sample_count; k++)
            write_sample(w, V1_SERIES_SAMPLES, &s->samples[k]);
        extatus__proto_end(w);
    }
    return extatus__proto_failed(w) ? EXTATUS_ERR_NOMEM : EXTATUS_OK;
}

/* The 2.0 symbols table: each distinct string once, found again by a hash. */
typedef struct symbols {
    const char **strings; /* in table order; strings[0] is "" */
    size_t count;         /* strings in the table */
    uint32_t *slots;      /* open addressing: index + 1, 0 for empty */
    size_t slot_count;    /* a power of two, at least twice count */
} symbols;

static uint64_t string_hash(const char *text)
{
    uint64_t hash = UINT64_C(1469598103934665603); /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        hash = (hash ^ *p) * UINT64_C(1099511628211);
    return hash;
}

static int symbols_init(symbols *table, size_t most)
{
    memset(table, 0, sizeof(*table));
    size_t slots = 16;
    while (slots < 2 * most + 2)
        slots *= 2;
    table->strings = extatus_malloc((most + 1) * sizeof(*table->strings));
    table->slots = extatus_malloc(slots * sizeof(*table->slots));
    if (!table->strings || !table->slots)
        return EXTATUS_ERR_NOMEM;
    memset(table->slots, 0, slots * sizeof(*table->slots));
    table->slot_count = slots;
    table->strings[table->count++] = "";
    return EXTATUS_OK;
}

static void symbols_dispose(symbols *table)
{
    extatus_free(table->strings);
    extatus_free(table->slots);
}

/* The index of `text`, added when new (the table was sized for every string). */
static uint32_t symbols_ref(symbols *table, const char *text)
{
    if (!text || !text[0])
        return 0;
    size_t mask = table->slot_count - 1;
    for (size_t slot = (size_t)string_hash(text) & mask;; slot = (slot + 1) & mask) {
        uint32_t held = table->slots[slot];
        if (held == 0) {
            table->strings[table->count] = text;
            table->slots[slot] = (uint32_t)(++table->count);
            return (uint32_t)(table->count - 1);
        }
        if (strcmp(table->strings[held - 1], text) == 0)
            return held - 1;
    }
}

int extatus__rw_encode_v2(extatus__proto_writer *w, const extatus__rw_series *series, size_t count)
{
    size_t most = 0;
    for (size_t i = 0; i < count; i++)
        most += 2 * series[i].label_count + 2;
    symbols table;
    uint32_t *refs = extatus_malloc((most ? most : 1) * sizeof(*refs));
    int rc = symbols_init(&table, most);
    if (rc != EXTATUS_OK || !refs) {
        symbols_dispose(&table);
        extatus_free(refs);
        return EXTATUS_ERR_NOMEM;
    }
    /* First pass: intern every string, so the table can be written first. */
    size_t r = 0;
    for (size_t i = 0; i < count; i++) {
        const extatus__rw_series *s = &series[i];
        for (size_t l = 0; l < s->label_count; l++) {
            refs[r++] = symbols_ref(&table, s->labels[l].name);
            refs[r++] = symbols_ref(&table, s->labels[l].value);
        }
        refs[r++] = symbols_ref(&table, s->help);
        refs[r++] = symbols_ref(&table, s->unit);
    }
    for (size_t i = 0; i < table.count; i++)
        extatus__proto_string(w, V2_REQUEST_SYMBOLS, table.strings[i]);
    r = 0;
    for (size_t i = 0; i < count; i++) {
        const extatus__rw_series *s = &series[i];
        extatus__proto_begin(w, V2_REQUEST_TIMESERIES,
                             s->label_count * 3 + s->sample_count * 20 + 8);
        extatus__proto_begin(w, V2_SERIES_LABELS_REFS, s->label_count * 2);
        for (size_t l = 0; l < 2 * s->label_count; l++)
            extatus__proto_raw_varint(w, refs[r++]);
        extatus__proto_end(w);
        for (size_t k = 0; k < s->sample_count; k++)
            write_sample(w, V2_SERIES_SAMPLES, &s->samples[k]);
        uint32_t help_ref = refs[r++];
        uint32_t unit_ref = refs[r++];
        extatus__proto_begin(w, V2_SERIES_METADATA, 0);
        if (s->metric_type != EXTATUS_RW_TYPE_UNSPECIFIED)
            extatus__proto_uint64(w, V2_METADATA_TYPE, (uint64_t)s->metric_type);
        if (help_ref)
            extatus__proto_uint64(w, V2_METADATA_HELP_REF, help_ref);
        if (unit_ref)
            extatus__proto_uint64(w, V2_METADATA_UNIT_REF, unit_ref);
        extatus__proto_end(w);
        if (s->created_ms != 0)
            extatus__proto_int64(w, V2_SERIES_CREATED_TIMESTAMP, s->created_ms);
        extatus__proto_end(w);
    }
    symbols_dispose(&table);
    extatus_free(refs);
    return extatus__proto_failed(w) ? EXTATUS_ERR_NOMEM : EXTATUS_OK;
}
