/*
 * series.c - the lifetime of series: finding a series by its label values
 * (creating it on first use), pinning, removal and destruction.
 *
 * A family keeps its live series in a hash table keyed by the label
 * values (core/table.h; the lookup of every labelled update) and in an
 * array in creation order (for the exposition: a snapshot copies it
 * instead of chasing a list through a million allocations). The array is
 * made of fixed chunks, so growing it never copies it; a removal leaves a
 * hole, and the holes are squeezed out when they outnumber the live
 * series. Both change only under the family lock.
 *
 * A reader of one series (a name-based call) pins it (pins, under the
 * lock); a reader of the whole family (a scrape) takes a snapshot, which
 * pins the family's series all at once (family->snapshots, see
 * core/snapshot.c) rather than one by one, so that a scrape of a million
 * series does not write to each of them twice. Removing a series only
 * unlinks it while anyone may hold it: a pinned one is marked removed and
 * the last unpin lets it go; an unpinned one while a snapshot is out goes
 * to the family's graveyard, freed when the last snapshot is released.
 */
#include "core/series.h"

#include "core/format.h"

#include <string.h>

/* ---- the series table ------------------------------------------------- */

/*
 * The hash of the values, eight bytes at a time (the lookup of every
 * labelled update hashes them; a byte-wise hash costs a multiplication
 * per byte). Each value ends with a word holding its last bytes and its
 * length in the top byte, so ("ab", "c") and ("a", "bc") differ. Only
 * this file's table uses it; equality is still decided by comparing.
 */
static uint32_t hash_values(const char *const *values, size_t count)
{
    const uint64_t multiplier = 0x9e3779b97f4a7c15u;
    uint64_t hash = count;
    for (size_t i = 0; i < count; i++) {
        const char *p = values[i];
        size_t length = strlen(p);
        size_t left = length;
        for (; left >= 8; left -= 8, p += 8) {
            uint64_t word;
            memcpy(&word, p, 8);
            hash = (hash ^ word) * multiplier;
            hash ^= hash >> 32;
        }
        uint64_t last = (uint64_t)(length & 0xffu) << 56;
        for (size_t b = 0; b < left; b++)
            last |= (uint64_t)(unsigned char)p[b] << (8 * b);
        hash = (hash ^ last) * multiplier;
        hash ^= hash >> 32;
    }
    return (uint32_t)hash;
}

/* What a lookup compares a series with: the family's label values. */
typedef struct series_key {
    const char *const *values; /* one per label */
    size_t count;              /* the family's label count */
} series_key;

static bool series_has_values(const void *item, const void *key)
{
    const extatus_series *series = item;
    const series_key *wanted = key;
    /* count > 0 means label_values holds count strings. */
    for (size_t i = 0; i < wanted->count; i++) {
        // NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker)
        if (strcmp(series->label_values[i], wanted->values[i]) != 0)
            return false;
    }
    return true;
}

/* The live series with these values, or NULL; call with the family lock held. */
static inline extatus_series *series_find_locked(const extatus_family *family, uint32_t hash,
                                                 const char *const *values)
{
    series_key key = {values, family->label_count};
    return extatus__table_find(&family->series_table, hash, series_has_values, &key);
}

#define ORDER_CHUNK_BITS 12u
#define ORDER_CHUNK      ((size_t)1 << ORDER_CHUNK_BITS)

static extatus_series **order_slot(const extatus_family *family, size_t position)
{
    return &family->order[position >> ORDER_CHUNK_BITS][position & (ORDER_CHUNK - 1)];
}

/* Room for one more position at the end; false when out of memory (nothing changed). */
static bool order_reserve_locked(extatus_family *family)
{
    size_t chunk = family->order_end >> ORDER_CHUNK_BITS;
    if (family->order_end >= UINT32_MAX)
        return false;
    if (chunk < family->order_chunks && family->order[chunk])
        return true;
    if (chunk >= family->order_chunks) {
        size_t grown = family->order_chunks ? 2 * family->order_chunks : 4;
        extatus_series ***order = extatus__realloc(family->order, grown * sizeof(*order));
        if (!order)
            return false;
        memset(order + family->order_chunks, 0, (grown - family->order_chunks) * sizeof(*order));
        family->order = order;
        family->order_chunks = grown;
    }
    family->order[chunk] = extatus__malloc(ORDER_CHUNK * sizeof(extatus_series *));
    return family->order[chunk] != NULL;
}

static void order_append_locked(extatus_family *family, extatus_series *series)
{
    series->position = (uint32_t)family->order_end;
    *order_slot(family, family->order_end++) = series;
}

/* Free the chunks from position `from` on (rounded up to a whole chunk). */
static void order_trim(extatus_family *family, size_t from)
{
    for (size_t c = (from + ORDER_CHUNK - 1) >> ORDER_CHUNK_BITS; c < family->order_chunks; c++) {
        extatus__free(family->order[c]);
        family->order[c] = NULL;
    }
}

/* Leave a hole; squeeze the holes out (keeping the order) once they outnumber the live. */
static void order_remove_locked(extatus_family *family, extatus_series *series)
{
    *order_slot(family, series->position) = NULL;
    family->order_holes++;
    size_t live = family->order_end - family->order_holes;
    if (family->order_holes < ORDER_CHUNK || family->order_holes <= live)
        return;
    size_t to = 0;
    for (size_t from = 0; from < family->order_end; from++) {
        extatus_series *kept = *order_slot(family, from);
        if (kept) {
            kept->position = (uint32_t)to;
            *order_slot(family, to++) = kept;
        }
    }
    family->order_end = to;
    family->order_holes = 0;
    order_trim(family, to);
}

/* Forget the order (every series is unlinked): free its memory. */
static void order_dispose(extatus_family *family)
{
    order_trim(family, 0);
    extatus__free(family->order);
    family->order = NULL;
    family->order_chunks = family->order_end = family->order_holes = 0;
}

size_t extatus__family_order_copy(const extatus_family *family, extatus_series **out)
{
    size_t n = 0;
    for (size_t c = 0; c << ORDER_CHUNK_BITS < family->order_end; c++) {
        extatus_series *const *chunk = family->order[c];
        size_t end = family->order_end - (c << ORDER_CHUNK_BITS);
        if (end > ORDER_CHUNK)
            end = ORDER_CHUNK;
        for (size_t i = 0; i < end; i++)
            if (chunk[i])
                out[n++] = chunk[i];
    }
    return n;
}

/* ---- building and destroying -------------------------------------------- */

void extatus__series_destroy(extatus_series *series)
{
    extatus_family *family = series->family;
    extatus__layers_series_removed(series); /* no layer uses the ref after this */
    extatus__cache_detach(series);
    if (family->type->ops.destroy) {
        extatus_entry_ctx ctx;
        extatus__entry_ctx(&ctx, family, series);
        family->type->ops.destroy(series->ref, &ctx);
    }
    extatus__free(series);
}

void extatus__series_destroy_list(extatus_series *first)
{
    while (first) {
        extatus_series *next = first->next;
        extatus__series_destroy(first);
        first = next;
    }
}

/*
 * A series that nothing links any more and no single reader pins: to
 * `doomed` (for the caller to destroy after unlocking), or to the
 * graveyard while a snapshot may still hold it. Call with the lock held.
 */
static void series_let_go_locked(extatus_family *family, extatus_series *series,
                                 extatus_series **doomed)
{
    extatus_series **list = family->snapshots ? &family->graveyard : doomed;
    series->next = *list;
    *list = series;
}

void extatus__family_series_free(extatus_family *family)
{
    for (size_t position = 0; position < family->order_end; position++)
        if (*order_slot(family, position))
            extatus__series_destroy(*order_slot(family, position));
    order_dispose(family);
    extatus__series_destroy_list(family->graveyard);
    family->graveyard = NULL;
    extatus__table_dispose(&family->series_table);
}

/* Validate the values and build an unlinked series with its entry. */
static int series_build(extatus_series **out, extatus_family *family, const char *const *values,
                        uint32_t hash)
{
    size_t count = family->label_count;
    size_t values_bytes = 0;
    size_t text_bytes = 0;
    for (size_t i = 0; i < count; i++) {
        /* series_get refused NULL values before we get here. */
        size_t length = strlen(values[i]); // NOLINT(clang-analyzer-core.NonNullParamChecker)
        size_t bad;
        if (extatus__check_utf8(values[i], length, &bad) != EXTATUS_OK)
            return extatus__error(EXTATUS_ERR_LABEL,
                                  "metric '%s': value of label '%s' is not valid UTF-8 (byte %zu)",
                                  family->name, family->label_names[i], bad);
        values_bytes += length + 1;
        text_bytes += (i ? 1 : 0) + strlen(family->label_names[i]) + 2 +
                      extatus__escape_size(values[i], length, true) + 1;
    }
    if (text_bytes > UINT32_MAX)
        return extatus__error(EXTATUS_ERR_LABEL, "metric '%s': label values too long",
                              family->name);
    size_t size = sizeof(extatus_series) + count * sizeof(char *) + values_bytes + text_bytes + 1;
    extatus_series *series = extatus__calloc(1, size);
    if (!series)
        return extatus__error(EXTATUS_ERR_NOMEM, "metric '%s': cannot allocate a series",
                              family->name);
    series->family = family;
    series->hash = hash;
    const char **pointers = (const char **)(series + 1);
    char *strings = (char *)(pointers + count);
    for (size_t i = 0; i < count; i++) {
        size_t length = strlen(values[i]) + 1;
        memcpy(strings, values[i], length);
        pointers[i] = strings;
        strings += length;
    }
    series->label_values = count ? pointers : NULL;
    char *text = strings;
    char *to = text;
    for (size_t i = 0; i < count; i++) {
        if (i)
            *to++ = ',';
        size_t name_length = strlen(family->label_names[i]);
        memcpy(to, family->label_names[i], name_length);
        to += name_length;
        *to++ = '=';
        *to++ = '"';
        to = extatus__escape(to, values[i], strlen(values[i]), true);
        *to++ = '"';
    }
    *to = '\0';
    series->labels_text = text;
    series->labels_text_len = (uint32_t)(to - text);

    extatus_entry_ctx ctx;
    extatus__entry_ctx(&ctx, family, series);
    uint64_t mark = extatus__error_mark();
    pthread_mutex_lock(&family->options_lock);
    int rc = family->type->ops.create(&series->ref, &ctx, family->options, family->option_count);
    pthread_mutex_unlock(&family->options_lock);
    if (rc != EXTATUS_OK) {
        extatus__free(series);
        (void)extatus__error_unless_since(
            mark, rc, "metric '%s': entry of type '%s' refused to create a series (%s)",
            family->name, family->type_name, extatus_strerror(rc));
        return rc;
    }
    if ((rc = extatus__cache_attach(series)) != EXTATUS_OK ||
        (rc = extatus__layers_series_created(series)) != EXTATUS_OK) {
        extatus__series_destroy(series);
        return rc;
    }
    *out = series;
    return EXTATUS_OK;
}

/* ---- finding and creating --------------------------------------------- */

/*
 * Check that `labels` holds one non-NULL value per label name of the family
 * and return the values to hash (a one-element dummy for a family without
 * labels). EXTATUS_ERR_LABEL names the family and both counts otherwise.
 */
static int labels_check(const char *const **out, const extatus_family *family,
                        extatus_labels labels)
{
    static const char *const no_values[1] = {NULL};
    size_t count = family->label_count;
    if (labels.count == count && count && !labels.values)
        return extatus__error(EXTATUS_ERR_LABEL,
                              "metric '%s': %zu label values announced but the array is NULL",
                              family->name, count);
    if (labels.count != count) {
        if (labels.count == EXTATUS_LABELS_COUNT_ALL)
            return extatus__error(EXTATUS_ERR_LABEL,
                                  "metric '%s': every series (EXTATUS_ALL_SERIES) is only "
                                  "accepted by reset and setopts",
                                  family->name);
        return extatus__error(EXTATUS_ERR_LABEL,
                              "metric '%s' has %zu label%s but %zu label value%s %s given",
                              family->name, count, count == 1 ? "" : "s", labels.count,
                              labels.count == 1 ? "" : "s", labels.count == 1 ? "was" : "were");
    }
    for (size_t i = 0; i < count; i++)
        if (!labels.values[i])
            return extatus__error(EXTATUS_ERR_LABEL, "metric '%s': value of label '%s' is NULL",
                                  family->name, family->label_names[i]);
    *out = count ? labels.values : no_values;
    return EXTATUS_OK;
}

/* Find (or create) a series; with `pin` it is returned pinned (see extatus__series_unpin). */
static int series_get(extatus_series **out, extatus_family *family, extatus_labels labels,
                      bool create, bool pin)
{
    const char *const *values = NULL;
    int rc = labels_check(&values, family, labels);
    if (rc != EXTATUS_OK)
        return rc;
    size_t count = family->label_count;
    uint32_t hash = hash_values(values, count);

    pthread_mutex_lock(&family->lock);
    extatus_series *found = series_find_locked(family, hash, values);
    if (found && pin)
        found->pins++;
    size_t series_count = family->series_table.count;
    pthread_mutex_unlock(&family->lock);
    if (found) {
        *out = found;
        return EXTATUS_OK;
    }
    if (!create)
        return extatus__error(EXTATUS_ERR_NOT_FOUND, "metric '%s': no such series", family->name);
    if (series_count >= family->max_series)
        goto limit;

    extatus_series *series = NULL;
    rc = series_build(&series, family, values, hash);
    if (rc != EXTATUS_OK)
        return rc;

    pthread_mutex_lock(&family->lock);
    found = series_find_locked(family, hash, values);
    if (found) { /* another thread created it meanwhile */
        if (pin)
            found->pins++;
        pthread_mutex_unlock(&family->lock);
        extatus__series_destroy(series);
        *out = found;
        return EXTATUS_OK;
    }
    if (family->series_table.count >= family->max_series) {
        pthread_mutex_unlock(&family->lock);
        extatus__series_destroy(series);
        goto limit;
    }
    if (!order_reserve_locked(family) ||
        extatus__table_insert(&family->series_table, series) != EXTATUS_OK) {
        pthread_mutex_unlock(&family->lock);
        extatus__series_destroy(series);
        return extatus__error(EXTATUS_ERR_NOMEM, "metric '%s': cannot grow the series table",
                              family->name);
    }
    series->pins = pin ? 1 : 0;
    order_append_locked(family, series);
    pthread_mutex_unlock(&family->lock);
    *out = series;
    return EXTATUS_OK;

limit:
    return extatus__error(EXTATUS_ERR_LIMIT,
                          "metric '%s': series limit %zu reached (raise it with the max_series "
                          "option)",
                          family->name, family->max_series);
}

/* ---- removing ---------------------------------------------------------- */

/* Unlink every series; returns the list of those nobody pins (to destroy). */
static extatus_series *unlink_all_locked(extatus_family *family)
{
    extatus_series *doomed = NULL;
    for (size_t position = 0; position < family->order_end; position++) {
        extatus_series *series = *order_slot(family, position);
        if (!series)
            continue;
        if (series->pins)
            series->removed = 1;
        else
            series_let_go_locked(family, series, &doomed);
    }
    order_dispose(family);
    extatus__table_clear(&family->series_table);
    return doomed;
}

/* Called when the family leaves its registry: drop all its series. */
void extatus__family_detach(extatus_family *family)
{
    pthread_mutex_lock(&family->lock);
    family->unregistered = true;
    extatus_series *doomed = unlink_all_locked(family);
    pthread_mutex_unlock(&family->lock);
    extatus__series_destroy_list(doomed);
}

int extatus_family_series(extatus_series **out, extatus_family *family, extatus_labels labels)
{
    if (!out || !family)
        return extatus__error(EXTATUS_ERR_INVALID, "family series: NULL argument");
    *out = NULL;
    return series_get(out, family, labels, true, false);
}

int extatus__series_acquire(extatus_series **out, extatus_family *family, extatus_labels labels,
                            bool create)
{
    return series_get(out, family, labels, create, true);
}

void extatus__series_unpin(extatus_series *series)
{
    extatus_family *family = series->family;
    extatus_series *doomed = NULL;
    pthread_mutex_lock(&family->lock);
    uint32_t pins = series->pins - 1u;
    series->pins = pins;
    if (pins == 0 && series->removed)
        series_let_go_locked(family, series, &doomed);
    pthread_mutex_unlock(&family->lock);
    extatus__series_destroy_list(doomed);
}

int extatus_family_remove(extatus_family *family, extatus_labels labels)
{
    if (!family)
        return extatus__error(EXTATUS_ERR_INVALID, "family remove: NULL family");
    const char *const *values = NULL;
    int rc = labels_check(&values, family, labels);
    if (rc != EXTATUS_OK)
        return rc;
    uint32_t hash = hash_values(values, family->label_count);
    pthread_mutex_lock(&family->lock);
    extatus_series *series = series_find_locked(family, hash, values);
    extatus_series *doomed = NULL;
    if (series) {
        extatus__table_remove(&family->series_table, series);
        order_remove_locked(family, series);
        if (series->pins)
            series->removed = 1; /* the last single reader lets it go */
        else
            series_let_go_locked(family, series, &doomed);
    }
    pthread_mutex_unlock(&family->lock);
    if (!series)
        return extatus__error(EXTATUS_ERR_NOT_FOUND, "metric '%s': no such series", family->name);
    extatus__series_destroy_list(doomed);
    return EXTATUS_OK;
}

int extatus_family_clear(extatus_family *family)
{
    if (!family)
        return extatus__error(EXTATUS_ERR_INVALID, "family clear: NULL family");
    pthread_mutex_lock(&family->lock);
    extatus_series *doomed = unlink_all_locked(family);
    pthread_mutex_unlock(&family->lock);
    extatus__series_destroy_list(doomed);
    if (family->label_count == 0) {
        extatus_series *series = NULL;
        return extatus_family_series(&series, family, EXTATUS_NO_LABELS);
    }
    return EXTATUS_OK;
}
