/*
 * composite.c - what the composite entries share: sharded totals read
 * against the baseline of the last reset, the sum kept apart from its
 * non-finite observations, and the datapoint array of histogram-like
 * series with the reads that answer it (see entries.h).
 */
#include <string.h>

#include "entries/entries.h"

/* The names and roles every histogram-like series ends with. */
static const extatus_datapoint totals[EXTATUS__DATAPOINT_TOTALS] = {
    {.name = "count", .role = EXTATUS_SAMPLE_COUNT, .bound = 0.0},
    {.name = "sum", .role = EXTATUS_SAMPLE_SUM, .bound = 0.0},
    {.name = "created", .role = EXTATUS_SAMPLE_CREATED, .bound = 0.0},
};

/* ---- cells and baseline ---------------------------------------------------- */

int extatus__composite_init(extatus__composite *composite, const char *type, uint32_t count_cells,
                            bool with_sum, uint64_t *base, const extatus_datapoint *datapoints,
                            size_t datapoint_count)
{
    uint32_t cell_count = extatus__composite_cell_count(count_cells, with_sum);
    int rc;

    composite->count_cells = count_cells;
    composite->cell_count = cell_count;
    composite->base = base;
    memset(base, 0, cell_count * sizeof(*base)); /* the bits of 0.0 too */
    composite->datapoints = datapoints;
    composite->datapoint_count = datapoint_count;
    rc = extatus__cells_alloc(cell_count, &composite->cells);
    if (rc != EXTATUS_OK)
        goto out_error;
    if (pthread_mutex_init(&composite->lock, NULL) != 0) {
        rc = EXTATUS_ERR_SYSTEM;
        goto out_free_cells;
    }
    composite->created = extatus__created_now();
    return EXTATUS_OK;

out_free_cells:
    extatus__cells_free(composite->cells, cell_count);
    composite->cells = NULL;
out_error:
    return extatus_entry_error(rc, "%s: cannot create series (%s)", type, extatus_strerror(rc));
}

void extatus__composite_dispose(extatus__composite *composite)
{
    pthread_mutex_destroy(&composite->lock);
    extatus__cells_free(composite->cells, composite->cell_count);
}

void extatus__composite_reset(extatus__composite *composite)
{
    const extatus__cell *cells = composite->cells;
    uint32_t sum = composite->count_cells + EXTATUS__SUM_FINITE; /* the one double cell */
    uint32_t i;

    pthread_mutex_lock(&composite->lock);
    for (i = 0; i < composite->cell_count; i++)
        composite->base[i] = i == sum ? extatus__double_bits(extatus__cell_sum_double(&cells[i]))
                                      : extatus__cell_sum(&cells[i]);
    composite->created = extatus__created_now();
    pthread_mutex_unlock(&composite->lock);
}

void extatus__composite_read(extatus__composite *composite, uint64_t *counts, double *sum,
                             double *created)
{
    const extatus__cell *cells = composite->cells;
    const uint64_t *base = composite->base;
    uint32_t first = composite->count_cells; /* the first sum cell */
    uint32_t i;

    pthread_mutex_lock(&composite->lock);
    for (i = 0; i < first; i++)
        counts[i] = extatus__cell_sum(&cells[i]) - base[i];
    if (sum != NULL)
        *sum = extatus__sum_combine(
            extatus__cell_sum_double(&cells[first + EXTATUS__SUM_FINITE]) -
                extatus__bits_double(base[first + EXTATUS__SUM_FINITE]),
            extatus__cell_sum(&cells[first + EXTATUS__SUM_NAN]) - base[first + EXTATUS__SUM_NAN],
            extatus__cell_sum(&cells[first + EXTATUS__SUM_PINF]) - base[first + EXTATUS__SUM_PINF],
            extatus__cell_sum(&cells[first + EXTATUS__SUM_NINF]) - base[first + EXTATUS__SUM_NINF]);
    *created = composite->created;
    pthread_mutex_unlock(&composite->lock);
}

void extatus__composite_read_buckets(extatus__composite *composite, uint64_t *counts,
                                     uint32_t buckets, extatus__composite_values *read)
{
    double sum;
    double created;
    uint32_t i;

    extatus__composite_read(composite, counts, &sum, &created);
    read->sum = sum;
    read->created = created;
    read->count = 0;
    for (i = 0; i < buckets; i++) {
        read->count += counts[i];
        counts[i] = read->count;
    }
}

int extatus__composite_get_datapoints(const extatus__composite *composite,
                                      const extatus_datapoint **datapoints, size_t *count)
{
    *datapoints = composite->datapoints;
    *count = composite->datapoint_count;
    return EXTATUS_OK;
}

/* ---- the sum --------------------------------------------------------------- */

double extatus__sum_combine(double finite, uint64_t nans, uint64_t pinfs, uint64_t ninfs)
{
    if (nans > 0 || (pinfs > 0 && ninfs > 0))
        return NAN;
    if (pinfs > 0)
        return INFINITY;
    if (ninfs > 0)
        return -INFINITY;
    return finite;
}

void extatus__sum_add_nonfinite(extatus__cell *sum_cells, double value)
{
    if (isnan(value))
        extatus__cell_add(&sum_cells[EXTATUS__SUM_NAN], 1);
    else if (value > 0)
        extatus__cell_add(&sum_cells[EXTATUS__SUM_PINF], 1);
    else
        extatus__cell_add(&sum_cells[EXTATUS__SUM_NINF], 1);
}

/* ---- classic buckets ------------------------------------------------------ */

int extatus__check_bounds(const double *bounds, size_t count)
{
    size_t i;

    if (count > EXTATUS_HISTOGRAM_MAX_BUCKETS)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "option 'buckets': %zu bounds given, at most %d allowed", count,
                                   EXTATUS_HISTOGRAM_MAX_BUCKETS);
    if (count > 0 && bounds == NULL)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "option 'buckets': list is NULL but count is %zu", count);
    for (i = 0; i < count; i++) {
        if (!isfinite(bounds[i]))
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "option 'buckets': bound %zu is %g; bounds must be finite "
                                       "(the +Inf bucket is always added)",
                                       i, bounds[i]);
        if (i > 0 && !(bounds[i] > bounds[i - 1]))
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "option 'buckets': bound %zu (%.17g) is not greater than "
                                       "bound %zu (%.17g); bounds must be strictly increasing",
                                       i, bounds[i], i - 1, bounds[i - 1]);
    }
    return EXTATUS_OK;
}

size_t extatus__bounds_store(double *out, const double *bounds, size_t bound_count,
                             size_t *scan_count)
{
    size_t stored_count;
    size_t i;

    *scan_count = (bound_count + 3) & ~(size_t)3;
    stored_count = *scan_count > bound_count ? *scan_count : bound_count + 1; /* room for +Inf */
    for (i = 0; i < bound_count; i++)
        out[i] = bounds[i] + 0.0; /* -0 becomes +0 */
    for (i = bound_count; i < stored_count; i++)
        out[i] = INFINITY; /* never below a finite value; the +Inf bucket's bound */
    return stored_count;
}

/* ---- datapoints ------------------------------------------------------------ */

size_t extatus__datapoints_size(const double *values, size_t value_count)
{
    char text[EXTATUS__CANONICAL_MAX];
    size_t size = (value_count + EXTATUS__DATAPOINT_TOTALS) * sizeof(extatus_datapoint);
    size_t i;

    for (i = 0; i < value_count; i++)
        size += (size_t)extatus__format_canonical(text, values[i]) + 1;
    return size;
}

extatus_datapoint *extatus__datapoints_build(void *block, const double *values, size_t value_count,
                                             extatus_sample_role role)
{
    extatus_datapoint *points = block;
    char *names = (char *)(points + value_count + EXTATUS__DATAPOINT_TOTALS);
    size_t i;

    for (i = 0; i < value_count; i++) {
        points[i].name = names;
        points[i].role = role;
        points[i].bound = values[i];
        names += extatus__format_canonical(names, values[i]) + 1;
    }
    memcpy(&points[value_count], totals, sizeof(totals)); /* static names */
    return points;
}

void extatus__composite_answer(const extatus__composite *composite,
                               const extatus__composite_values *read, const char *const *names,
                               size_t count, extatus_value *values)
{
    size_t i;

    for (i = 0; i < count; i++) {
        size_t index =
            extatus__datapoint_wanted(composite->datapoints, composite->datapoint_count, names, i);
        if (index < read->head)
            values[i] = read->head_ints != NULL
                            ? extatus__int_value((int64_t)read->head_ints[index])
                            : extatus__double_value(read->head_doubles[index]);
        else if (index == read->head)
            values[i] = extatus__int_value((int64_t)read->count);
        else if (index == read->head + 1)
            values[i] = extatus__double_value(read->sum);
        else if (index == read->head + 2)
            values[i] = extatus__double_value(read->created);
        else
            values[i] = extatus__undefined_value();
    }
}
