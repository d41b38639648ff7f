/*
 * expose.c - the Prometheus text 0.0.4 and OpenMetrics 1.0.0 writers.
 *
 * One writer serves both formats; they differ only in the metadata lines
 * (order, escaping, UNIT, the counter family name), in _created samples,
 * in ".0" on integral floats and in the final "# EOF".
 *
 * The writer reads the registries through reader snapshots (families
 * sorted by name, series in creation order) and each series through its
 * entry's get_datapoints and one get_value call, so every series is one
 * consistent snapshot. Each output line is written straight into the
 * buffer: reserve the line's upper bound, then copy; nothing is allocated
 * per sample.
 */
#include "core/format.h"
#include "core/reader.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The self-metric counting families skipped for clashing (see choose_families). */
#define EXTATUS__EXPOSE_SKIPPED_NAME "extatus_expose_skipped_families_total"

/* State of one extatus_expose() call. */
typedef struct writer {
    extatus_buf *out;                /* destination */
    bool openmetrics;                /* OpenMetrics 1.0.0 rather than text 0.0.4 */
    bool created;                    /* write <name>_created samples (OpenMetrics only) */
    char *scratch;                   /* a line that does not fit a fixed buffer is staged here */
    size_t scratch_size;             /* bytes at scratch */
    extatus_value *values;           /* one series' values */
    size_t values_size;              /* entries at values */
    size_t *order;                   /* bucket or quantile datapoints sorted by bound */
    size_t order_size;               /* entries at order */
    extatus_series *series;          /* the series being written (its exemplars) */
    extatus_exemplar_value exemplar; /* one exemplar, staged */
    const extatus_exemplar_value *pending_exemplar; /* for the next sample written, or NULL */
} writer;

/* What a family's samples need, worked out once per family. */
typedef struct family_info {
    extatus__family_view family; /* what the family is */
    extatus_metric_type type;    /* how it is exposed */
    const char *name;            /* family name as registered */
    size_t name_length;          /* strlen(name) */
    size_t base_length;          /* name without a counter's "_total" */
} family_info;

static int grow(void **array, size_t *size, size_t need, size_t element)
{
    if (*size >= need)
        return EXTATUS_OK;
    size_t capacity = *size ? *size : 16;
    while (capacity < need)
        capacity *= 2;
    void *grown = extatus__realloc(*array, capacity * element);
    if (!grown)
        return extatus__error(EXTATUS_ERR_NOMEM, "exposition: cannot allocate %zu bytes",
                              capacity * element);
    *array = grown;
    *size = capacity;
    return EXTATUS_OK;
}

/*
 * Room for a line of at most `max` bytes: inside the buffer when it can
 * grow or has room, else the scratch area (a full fixed buffer). NULL when
 * memory ran out.
 */
static char *line_begin(writer *w, size_t max)
{
    extatus_buf *out = w->out;
    if (!out->fixed) {
        if (extatus__buf_reserve(out, max) != EXTATUS_OK)
            return NULL;
        return out->ptr + out->size;
    }
    if (out->size < out->capacity && max < out->capacity - out->size)
        return out->ptr + out->size;
    if (grow((void **)&w->scratch, &w->scratch_size, max, 1) != EXTATUS_OK)
        return NULL;
    return w->scratch;
}

/* Account for the line [start, end) begun with line_begin(). */
static void line_end(writer *w, const char *start, const char *end)
{
    size_t length = (size_t)(end - start);
    if (start == w->scratch) {
        /* A fixed buffer keeps what fits and counts the rest. */
        extatus__buf_append(w->out, start, length);
        return;
    }
    w->out->size += length;
}

static char *put(char *p, const char *text, size_t length)
{
    memcpy(p, text, length);
    return p + length;
}

#define PUT_LITERAL(p, literal) put((p), (literal), sizeof(literal) - 1)

static const char *type_word(extatus_metric_type type, bool openmetrics)
{
    switch (type) {
    case EXTATUS_METRIC_COUNTER:
        return "counter";
    case EXTATUS_METRIC_GAUGE:
        return "gauge";
    case EXTATUS_METRIC_HISTOGRAM:
        return "histogram";
    case EXTATUS_METRIC_SUMMARY:
        return "summary";
    default:
        return openmetrics ? "unknown" : "untyped";
    }
}

/* True when name[0..length) ends with "_<unit>". */
static bool ends_with_unit(const char *name, size_t length, const char *unit)
{
    size_t unit_length = strlen(unit);
    return unit_length + 1 < length && name[length - unit_length - 1] == '_' &&
           memcmp(name + length - unit_length, unit, unit_length) == 0;
}

/* "# <keyword> <name> <escaped text>\n" */
static int write_meta(writer *w, const char *keyword, const char *name, size_t name_length,
                      const char *suffix, const char *text)
{
    if (!suffix)
        suffix = "";
    size_t text_length = strlen(text);
    size_t suffix_length = strlen(suffix);
    size_t max = 2 + 4 + 1 + name_length + suffix_length + 1 + 2 * text_length + 1;
    char *start = line_begin(w, max);
    if (!start)
        return EXTATUS_ERR_NOMEM;
    char *p = PUT_LITERAL(start, "# ");
    p = put(p, keyword, 4);
    *p++ = ' ';
    p = put(p, name, name_length);
    p = put(p, suffix, suffix_length);
    *p++ = ' ';
    p = extatus__escape(p, text, text_length, w->openmetrics);
    *p++ = '\n';
    line_end(w, start, p);
    return EXTATUS_OK;
}

/*
 * The metadata of a family. Text 0.0.4: HELP then TYPE, under the sample
 * name (a counter's <base>_total). OpenMetrics: TYPE, UNIT, HELP under the
 * family name (a counter's name without _total). Empty help is left out.
 */
static int write_header(writer *w, const family_info *f)
{
    const extatus__family_view *family = &f->family;
    const char *type = type_word(f->type, w->openmetrics);
    bool counter = f->type == EXTATUS_METRIC_COUNTER;
    int rc = EXTATUS_OK;
    if (w->openmetrics) {
        rc = write_meta(w, "TYPE", f->name, f->base_length, NULL, type);
        /* A unit the name does not end in would make the family invalid. */
        if (rc == EXTATUS_OK && family->unit && family->unit[0] &&
            ends_with_unit(f->name, f->base_length, family->unit))
            rc = write_meta(w, "UNIT", f->name, f->base_length, NULL, family->unit);
        if (rc == EXTATUS_OK && family->help && family->help[0])
            rc = write_meta(w, "HELP", f->name, f->base_length, NULL, family->help);
        return rc;
    }
    const char *suffix = counter ? "_total" : NULL;
    if (family->help && family->help[0])
        rc = write_meta(w, "HELP", f->name, f->base_length, suffix, family->help);
    if (rc == EXTATUS_OK)
        rc = write_meta(w, "TYPE", f->name, f->base_length, suffix, type);
    return rc;
}

/* Which label a sample carries after the series' own labels. */
typedef enum extra_label { EXTRA_NONE = 0, EXTRA_LE = 1, EXTRA_QUANTILE = 2 } extra_label;

/*
 * Whether a value must be written as an integer: counts and buckets are
 * integers in OpenMetrics, so an integral double there is written without
 * a fraction.
 */
static char *put_value(char *p, const extatus_value *value, bool integer, bool openmetrics)
{
    if (value->kind == EXTATUS_VALUE_INT)
        return extatus__format_int(p, value->integer);
    double number = value->number;
    if (integer && number == floor(number) && fabs(number) < 9223372036854775808.0)
        return extatus__format_int(p, (int64_t)number);
    return extatus__format_double(p, number, openmetrics);
}

/*
 * An exemplar's timestamp: epoch seconds in plain decimal with up to nine
 * fractional digits ("1700000000.125"), never an exponent, which
 * OpenMetrics allows but some parsers (python prometheus_client) misread.
 * Integer formatting only, so the C locale cannot change the point.
 */
static char *put_timestamp(char *p, double seconds)
{
    long long whole = (long long)floor(seconds);
    long long nanos = llround((seconds - (double)whole) * 1e9);
    if (nanos >= 1000000000LL) {
        whole++;
        nanos -= 1000000000LL;
    }
    int digits = 9;
    while (digits > 1 && nanos % 10 == 0) {
        nanos /= 10;
        digits--;
    }
    return p + sprintf(p, "%lld.%0*lld", whole, digits, nanos);
}

/* " # {<labels>} <value> <timestamp>" */
static char *put_exemplar(char *p, const extatus_exemplar_value *exemplar, size_t labels_length)
{
    p = PUT_LITERAL(p, " # {");
    p = put(p, exemplar->labels, labels_length);
    p = PUT_LITERAL(p, "} ");
    p = extatus__format_double(p, exemplar->value, true);
    *p++ = ' ';
    return put_timestamp(p, exemplar->timestamp);
}

/*
 * The exemplar of datapoint `index` of the series being written, staged
 * in w->exemplar; NULL when there is none or the format is not
 * OpenMetrics (text 0.0.4 has no exemplars).
 */
static const extatus_exemplar_value *exemplar_of(writer *w, size_t index)
{
    if (!w->openmetrics || !extatus__series_exemplar(w->series, index, &w->exemplar))
        return NULL;
    return &w->exemplar;
}

/* "<name><suffix>{<labels>[,le="b"]} <value>[ # {<exemplar labels>} <value> <time>]\n" */
static int write_sample(writer *w, const family_info *f, size_t name_length, const char *suffix,
                        const extatus__series_view *series, extra_label extra, double bound,
                        const extatus_value *value, bool integer)
{
    const extatus_exemplar_value *exemplar = w->pending_exemplar; /* for this sample only */
    w->pending_exemplar = NULL;
    if (!suffix)
        suffix = "";
    size_t suffix_length = strlen(suffix);
    size_t labels_length = series->labels_text_len;
    size_t exemplar_length = exemplar ? strlen(exemplar->labels) : 0;
    /* name, suffix, braces, labels, ",quantile=\"b\"", space, value, newline, exemplar */
    size_t max = name_length + suffix_length + 2 + labels_length + 12 +
                 2 * (size_t)EXTATUS__NUMBER_MAX + 2 +
                 (exemplar ? exemplar_length + 6 + 2 * (size_t)EXTATUS__NUMBER_MAX + 2 : 0);
    char *start = line_begin(w, max);
    if (!start)
        return EXTATUS_ERR_NOMEM;
    char *p = put(start, f->name, name_length);
    p = put(p, suffix, suffix_length);
    if (labels_length || extra != EXTRA_NONE) {
        *p++ = '{';
        p = put(p, series->labels_text, labels_length);
        if (extra != EXTRA_NONE) {
            if (labels_length)
                *p++ = ',';
            p = extra == EXTRA_LE ? PUT_LITERAL(p, "le=\"") : PUT_LITERAL(p, "quantile=\"");
            p = extatus__format_bound(p, bound);
            *p++ = '"';
        }
        *p++ = '}';
    }
    *p++ = ' ';
    p = put_value(p, value, integer, w->openmetrics);
    if (exemplar)
        p = put_exemplar(p, exemplar, exemplar_length);
    *p++ = '\n';
    line_end(w, start, p);
    return EXTATUS_OK;
}

static bool defined(const extatus_value *value)
{
    return value->kind == EXTATUS_VALUE_INT || value->kind == EXTATUS_VALUE_DOUBLE;
}

/* Index of the first defined datapoint with `role`, or `count` if none. */
static size_t find_role(const extatus_datapoint *points, const extatus_value *values, size_t count,
                        extatus_sample_role role)
{
    for (size_t i = 0; i < count; i++)
        if (points[i].role == role && defined(&values[i]))
            return i;
    return count;
}

/*
 * Collect the defined datapoints with `role` (and a bound that is a
 * number) into w->order, sorted by bound; returns how many. Entries
 * normally list them in order, so the insertion sort is one pass.
 */
static size_t sorted_bounds(writer *w, const extatus_datapoint *points, size_t count,
                            extatus_sample_role role)
{
    size_t used = 0;
    for (size_t i = 0; i < count; i++) {
        if (points[i].role != role || !defined(&w->values[i]) || isnan(points[i].bound))
            continue;
        size_t j = used++;
        while (j > 0 && points[w->order[j - 1]].bound > points[i].bound) {
            w->order[j] = w->order[j - 1];
            j--;
        }
        w->order[j] = i;
    }
    return used;
}

/* A value OpenMetrics accepts where it wants a counter: neither NaN nor negative. */
static bool counter_value(const extatus_value *value)
{
    double number = extatus_value_to_double(value);
    return !isnan(number) && !(number < 0);
}

/*
 * Write _sum, _count and (OpenMetrics) _created of a histogram or summary.
 * `with_sum` and `with_count` say whether _sum and _count may be written.
 */
static int write_totals(writer *w, const family_info *f, const extatus__series_view *series,
                        const extatus_datapoint *points, size_t count, bool with_sum,
                        bool with_count)
{
    const extatus_value *values = w->values;
    int rc = EXTATUS_OK;
    size_t i = find_role(points, values, count, EXTATUS_SAMPLE_SUM);
    if (with_sum && i < count)
        rc = write_sample(w, f, f->name_length, "_sum", series, EXTRA_NONE, 0, &values[i], false);
    i = find_role(points, values, count, EXTATUS_SAMPLE_COUNT);
    if (rc == EXTATUS_OK && with_count && i < count)
        rc = write_sample(w, f, f->name_length, "_count", series, EXTRA_NONE, 0, &values[i], true);
    i = find_role(points, values, count, EXTATUS_SAMPLE_CREATED);
    if (rc == EXTATUS_OK && w->created && i < count)
        rc = write_sample(w, f, f->name_length, "_created", series, EXTRA_NONE, 0, &values[i],
                          false);
    return rc;
}

/* True when the series' _sum is missing or a value OpenMetrics accepts for it. */
static bool sum_is_counter(const writer *w, const extatus_datapoint *points, size_t count)
{
    size_t i = find_role(points, w->values, count, EXTATUS_SAMPLE_SUM);
    return i == count || counter_value(&w->values[i]);
}

static int write_histogram(writer *w, const family_info *f, const extatus__series_view *series,
                           const extatus_datapoint *points, size_t count)
{
    const extatus_value *values = w->values;
    size_t buckets = sorted_bounds(w, points, count, EXTATUS_SAMPLE_BUCKET);
    bool negative = false;
    int rc = EXTATUS_OK;
    for (size_t k = 0; k < buckets && rc == EXTATUS_OK; k++) {
        size_t i = w->order[k];
        if (points[i].bound < 0)
            negative = true;
        w->pending_exemplar = exemplar_of(w, i);
        rc = write_sample(w, f, f->name_length, "_bucket", series, EXTRA_LE, points[i].bound,
                          &values[i], true);
    }
    /* Every histogram has a +Inf bucket; it equals the count. */
    if (rc == EXTATUS_OK && (buckets == 0 || points[w->order[buckets - 1]].bound != INFINITY)) {
        size_t i = find_role(points, values, count, EXTATUS_SAMPLE_COUNT);
        if (i < count)
            rc = write_sample(w, f, f->name_length, "_bucket", series, EXTRA_LE, INFINITY,
                              &values[i], true);
    }
    if (rc != EXTATUS_OK)
        return rc;
    /*
     * OpenMetrics forbids _sum with a negative bucket bound and a NaN or
     * negative _sum, and wants _count only beside _sum: in those states
     * both are left out (the +Inf bucket still gives the count).
     */
    bool totals = !w->openmetrics || (!negative && sum_is_counter(w, points, count));
    return write_totals(w, f, series, points, count, totals, totals);
}

static int write_summary(writer *w, const family_info *f, const extatus__series_view *series,
                         const extatus_datapoint *points, size_t count)
{
    size_t quantiles = sorted_bounds(w, points, count, EXTATUS_SAMPLE_QUANTILE);
    int rc = EXTATUS_OK;
    for (size_t k = 0; k < quantiles && rc == EXTATUS_OK; k++) {
        size_t i = w->order[k];
        /* OpenMetrics forbids negative quantile values: such a quantile is left out there. */
        if (w->openmetrics && extatus_value_to_double(&w->values[i]) < 0)
            continue;
        rc = write_sample(w, f, f->name_length, NULL, series, EXTRA_QUANTILE, points[i].bound,
                          &w->values[i], false);
    }
    if (rc != EXTATUS_OK)
        return rc;
    /* A NaN or negative _sum is left out in OpenMetrics; _count stands alone there. */
    bool with_sum = !w->openmetrics || sum_is_counter(w, points, count);
    return write_totals(w, f, series, points, count, with_sum, true);
}

/* Counter, gauge, unknown: one value; without it the series is left out. */
static int write_single(writer *w, const family_info *f, const extatus__series_view *series,
                        const extatus_datapoint *points, size_t count)
{
    const extatus_value *values = w->values;
    size_t i = find_role(points, values, count, EXTATUS_SAMPLE_VALUE);
    if (i == count)
        return EXTATUS_OK;
    if (f->type != EXTATUS_METRIC_COUNTER)
        return write_sample(w, f, f->name_length, NULL, series, EXTRA_NONE, 0, &values[i], false);
    /*
     * An OpenMetrics counter is neither NaN nor negative; only a callback
     * (function_counter, custom types) can give one, and the series is
     * left out of OpenMetrics then.
     */
    if (w->openmetrics && !counter_value(&values[i]))
        return EXTATUS_OK;
    w->pending_exemplar = exemplar_of(w, i);
    int rc = write_sample(w, f, f->base_length, "_total", series, EXTRA_NONE, 0, &values[i], false);
    i = find_role(points, values, count, EXTATUS_SAMPLE_CREATED);
    if (rc == EXTATUS_OK && w->created && i < count)
        rc = write_sample(w, f, f->base_length, "_created", series, EXTRA_NONE, 0, &values[i],
                          false);
    return rc;
}

/*
 * Read one series through its entry and write its samples. An entry that
 * fails get_datapoints or get_value drops this series only.
 */
static int write_series(writer *w, const family_info *f, extatus_series *pinned)
{
    extatus__series_view view;
    extatus__series_view_of(pinned, &view);
    const extatus__series_view *series = &view;
    const extatus_datapoint *points = view.points;
    size_t count = view.point_count;
    if (count == 0)
        return EXTATUS_OK;
    int rc = grow((void **)&w->values, &w->values_size, count, sizeof(*w->values));
    if (rc == EXTATUS_OK)
        rc = grow((void **)&w->order, &w->order_size, count, sizeof(*w->order));
    if (rc != EXTATUS_OK)
        return rc;
    memset(w->values, 0, count * sizeof(*w->values)); /* all EXTATUS_VALUE_UNDEFINED */
    if (extatus__series_read(pinned, NULL, count, w->values) != EXTATUS_OK)
        return EXTATUS_OK;
    w->series = pinned;
    switch (f->type) {
    case EXTATUS_METRIC_HISTOGRAM:
        return write_histogram(w, f, series, points, count);
    case EXTATUS_METRIC_SUMMARY:
        return write_summary(w, f, series, points, count);
    default:
        return write_single(w, f, series, points, count);
    }
}

static int write_family(writer *w, extatus_family *family)
{
    family_info f;
    extatus__family_view_of(family, &f.family);
    f.type = extatus__exposed_type(f.family.metric_type);
    f.name = f.family.name;
    f.name_length = strlen(f.name);
    /* A counter's family name is its name without "_total"; samples add it back. */
    f.base_length = extatus__exposed_base_length(f.name, f.type);

    int rc = write_header(w, &f);
    if (rc != EXTATUS_OK)
        return rc;
    extatus_series **series = NULL;
    size_t count = 0;
    rc = extatus__family_snapshot(family, &series, &count);
    if (rc != EXTATUS_OK)
        return rc;
    for (size_t i = 0; i < count && rc == EXTATUS_OK; i++)
        rc = write_series(w, &f, series[i]);
    extatus__series_release(family, series, count);
    return rc;
}

/*
 * The families to write, sorted by name: every family of the first
 * registry, then each family of the next registries that does not clash
 * with one already chosen (same name, or a name both would expose, see
 * core/names.c). Returns the chosen count in *chosen_count and the
 * skipped one in *skipped.
 */
static int choose_families(extatus_family ***chosen_out, size_t *chosen_count, size_t *skipped,
                           extatus_family **const *families, const size_t *counts, size_t sources)
{
    size_t total = 0;
    for (size_t i = 0; i < sources; i++)
        total += counts[i];
    *chosen_out = NULL;
    *chosen_count = 0;
    *skipped = 0;
    extatus_family **chosen = extatus__calloc(total ? total : 1, sizeof(*chosen));
    extatus_family **merged = extatus__calloc(total ? total : 1, sizeof(*merged));
    extatus_family **kept = extatus__calloc(total ? total : 1, sizeof(*kept));
    int rc = chosen && merged && kept
                 ? EXTATUS_OK
                 : extatus__error(EXTATUS_ERR_NOMEM, "extatus_expose: out of memory");
    size_t used = 0;
    for (size_t r = 0; r < sources && rc == EXTATUS_OK; r++) {
        /* A registry has no clash within itself (registration refuses one). */
        size_t kept_count = 0;
        for (size_t i = 0; i < counts[r] && rc == EXTATUS_OK; i++) {
            extatus_family *family = families[r][i];
            extatus_family *clash = NULL;
            const char *suffix;
            bool same_name;
            if (used == 0) { /* the first registry: nothing to clash with */
                kept[kept_count++] = family;
                continue;
            }
            extatus__family_view view;
            extatus__family_view_of(family, &view);
            extatus__families_search(chosen, used, view.name, &same_name);
            if (!same_name)
                rc =
                    extatus__clash_find(&clash, &suffix, chosen, used, view.name, view.metric_type);
            if (same_name || clash)
                (*skipped)++;
            else
                kept[kept_count++] = family;
        }
        /* Merge the kept families into the chosen ones, both sorted by name. */
        size_t from_chosen = 0;
        size_t from_kept = 0;
        size_t m = 0;
        while (from_chosen < used || from_kept < kept_count) {
            if (from_kept == kept_count ||
                (from_chosen < used && strcmp(extatus_family_name(chosen[from_chosen]),
                                              extatus_family_name(kept[from_kept])) < 0))
                merged[m++] = chosen[from_chosen++];
            else
                merged[m++] = kept[from_kept++];
        }
        extatus_family **swap = chosen;
        chosen = merged;
        merged = swap;
        used = m;
    }
    extatus__free(merged);
    extatus__free(kept);
    if (rc != EXTATUS_OK) {
        extatus__free(chosen);
        return rc;
    }
    *chosen_out = chosen;
    *chosen_count = used;
    return EXTATUS_OK;
}

/*
 * Count families left out of a scrape for clashing, in a counter of the
 * default registry (created on first use). Best effort: the scrape itself
 * has succeeded.
 */
static void count_skipped(size_t skipped)
{
    extatus_counter *counter = NULL;
    if (extatus_counter_new(&counter, NULL, EXTATUS__EXPOSE_SKIPPED_NAME,
                            "Families left out of an exposition of several registries because "
                            "their names clash with a family of an earlier registry.") ==
        EXTATUS_OK)
        extatus_counter_add(counter, skipped);
}

static int write_registries(writer *w, extatus_family **const *families, const size_t *counts,
                            size_t sources)
{
    if (sources == 1) { /* the usual scrape: one registry, which has no clash within */
        int rc = EXTATUS_OK;
        for (size_t i = 0; i < counts[0] && rc == EXTATUS_OK; i++)
            rc = write_family(w, families[0][i]);
        return rc;
    }
    extatus_family **chosen = NULL;
    size_t count = 0;
    size_t skipped = 0;
    int rc = choose_families(&chosen, &count, &skipped, families, counts, sources);
    for (size_t i = 0; i < count && rc == EXTATUS_OK; i++)
        rc = write_family(w, chosen[i]);
    extatus__free(chosen);
    if (skipped)
        count_skipped(skipped);
    return rc;
}

int extatus_expose(extatus_buf *out, extatus_registry *const *registries, size_t count,
                   const extatus_expose_options *options)
{
    if (!out)
        return extatus__error(EXTATUS_ERR_INVALID, "extatus_expose: out is NULL");
    extatus_expose_options defaults = EXTATUS_EXPOSE_OPTIONS_INIT;
    if (!options)
        options = &defaults;
    if (options->version < 1 || options->version > EXTATUS_EXPOSE_OPTIONS_VERSION)
        return extatus__error(EXTATUS_ERR_INVALID,
                              "extatus_expose: unknown options version %u (this library: %u)",
                              options->version, EXTATUS_EXPOSE_OPTIONS_VERSION);
    if (options->format != EXTATUS_FORMAT_TEXT && options->format != EXTATUS_FORMAT_OPENMETRICS)
        return extatus__error(EXTATUS_ERR_INVALID, "extatus_expose: unknown format %d",
                              (int)options->format);
    if (out->fixed && out->capacity && !out->ptr)
        return extatus__error(EXTATUS_ERR_INVALID, "extatus_expose: fixed buffer without memory");

    /* A growable buffer always ends up with memory, even for empty text. */
    if (!out->fixed && extatus__buf_reserve(out, 0) != EXTATUS_OK)
        return EXTATUS_ERR_NOMEM;
    if (out->size < out->capacity)
        out->ptr[out->size] = '\0';

    extatus_registry *fallback = NULL;
    if (!registries || count == 0) {
        registries = &fallback;
        count = 1;
    }
    extatus_family ***families = extatus__calloc(count, sizeof(*families));
    size_t *counts = extatus__calloc(count, sizeof(*counts));
    if (!families || !counts) {
        extatus__free(families);
        extatus__free(counts);
        return extatus__error(EXTATUS_ERR_NOMEM, "extatus_expose: out of memory");
    }

    writer w;
    memset(&w, 0, sizeof(w));
    w.out = out;
    w.openmetrics = options->format == EXTATUS_FORMAT_OPENMETRICS;
    w.created = w.openmetrics && !options->omit_created;

    int rc = EXTATUS_OK;
    size_t taken = 0;
    for (; taken < count; taken++) {
        extatus_registry *registry = registries[taken];
        if (!registry)
            registry = extatus_registry_default();
        if (!registry) {
            rc = extatus__error(EXTATUS_ERR_NOMEM, "extatus_expose: no default registry");
            break;
        }
        rc = extatus__registry_snapshot(registry, &families[taken], &counts[taken]);
        if (rc != EXTATUS_OK)
            break;
    }
    if (rc == EXTATUS_OK)
        rc = write_registries(&w, families, counts, count);
    if (rc == EXTATUS_OK && w.openmetrics) {
        char *start = line_begin(&w, 6);
        if (start) {
            char *p = PUT_LITERAL(start, "# EOF\n");
            line_end(&w, start, p);
        } else {
            rc = EXTATUS_ERR_NOMEM;
        }
    }
    for (size_t i = 0; i < taken; i++)
        extatus__families_release(families[i], counts[i]);
    extatus__free(families);
    extatus__free(counts);
    extatus__free(w.scratch);
    extatus__free(w.values);
    extatus__free(w.order);

    /* Terminate the text; a fixed buffer that was too small reports the need. */
    if (out->size < out->capacity)
        out->ptr[out->size] = '\0';
    if (rc == EXTATUS_OK && out->fixed && out->size >= out->capacity)
        rc = extatus__error(EXTATUS_ERR_NOSPACE,
                            "extatus_expose: the exposition needs %zu bytes (with the NUL), the "
                            "buffer has %zu",
                            out->size + 1, out->capacity);
    return rc;
}

const char *extatus_format_content_type(extatus_format format)
{
    switch (format) {
    case EXTATUS_FORMAT_OPENMETRICS:
        return "application/openmetrics-text; version=1.0.0; charset=utf-8";
    case EXTATUS_FORMAT_TEXT:
    default:
        return "text/plain; version=0.0.4; charset=utf-8";
    }
}
