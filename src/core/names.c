/*
 * names.c - the names a family takes in an exposition, and clashes
 * between families over them.
 *
 * A family is exposed under a base name with suffixes fixed by its
 * exposition type. OpenMetrics calls the base the family name (it is what
 * TYPE, UNIT and HELP lines carry); the samples add the suffixes:
 *
 *   counter    base = name without "_total"   "", _total, _created
 *   histogram  base = name                    "", _bucket, _sum, _count, _created
 *   summary    base = name                    "", _sum, _count, _created
 *   gauge, unknown                            ""
 *
 * Two families clash when one name appears in both sets (counter x and
 * counter x_total; gauge x_count and histogram x; gauge x and counter
 * x_total): an exposition holding both is invalid OpenMetrics and
 * ambiguous text. The test is symmetric by construction.
 */
#include "core/internal.h"

#include <string.h>

static const char *const counter_suffixes[] = {"", "_total", "_created", NULL};
static const char *const histogram_suffixes[] = {"", "_bucket", "_sum", "_count", "_created", NULL};
static const char *const summary_suffixes[] = {"", "_sum", "_count", "_created", NULL};
static const char *const single_suffixes[] = {"", NULL};
/* Every suffix of any type: what may stand between a base and a taken name. */
static const char *const any_suffixes[] = {"",     "_total", "_created", "_bucket",
                                           "_sum", "_count", NULL};

extatus_metric_type extatus__exposed_type(extatus_metric_type type)
{
    switch (type) {
    case EXTATUS_METRIC_COUNTER:
    case EXTATUS_METRIC_GAUGE:
    case EXTATUS_METRIC_HISTOGRAM:
    case EXTATUS_METRIC_SUMMARY:
        return type;
    default:
        return EXTATUS_METRIC_UNKNOWN;
    }
}

size_t extatus__exposed_base_length(const char *name, extatus_metric_type exposed)
{
    size_t length = strlen(name);
    if (exposed == EXTATUS_METRIC_COUNTER && length > 6 &&
        memcmp(name + length - 6, "_total", 6) == 0)
        length -= 6;
    return length;
}

const char *const *extatus__exposed_suffixes(extatus_metric_type exposed)
{
    switch (exposed) {
    case EXTATUS_METRIC_COUNTER:
        return counter_suffixes;
    case EXTATUS_METRIC_HISTOGRAM:
        return histogram_suffixes;
    case EXTATUS_METRIC_SUMMARY:
        return summary_suffixes;
    default:
        return single_suffixes;
    }
}

size_t extatus__families_search(extatus_family *const *families, size_t count, const char *name,
                                bool *found)
{
    size_t low = 0;
    size_t high = count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        int order = strcmp(families[mid]->name, name);
        if (order == 0) {
            *found = true;
            return mid;
        }
        if (order < 0)
            low = mid + 1;
        else
            high = mid;
    }
    *found = false;
    return low;
}

/* Does `family` take the name text[0..length) in an exposition? */
static bool takes(const extatus_family *family, const char *text, size_t length)
{
    extatus_metric_type exposed = extatus__exposed_type(family->type->metric_type);
    size_t base = extatus__exposed_base_length(family->name, exposed);
    if (length < base || memcmp(family->name, text, base) != 0)
        return false;
    for (const char *const *suffix = extatus__exposed_suffixes(exposed); *suffix; suffix++)
        if (strlen(*suffix) == length - base && memcmp(text + base, *suffix, length - base) == 0)
            return true;
    return false;
}

/* The family of families[0..count) named buffer[0..length), or NULL. */
static extatus_family *find(extatus_family *const *families, size_t count, char *buffer,
                            size_t length)
{
    char kept = buffer[length];
    buffer[length] = '\0';
    bool found;
    size_t index = extatus__families_search(families, count, buffer, &found);
    buffer[length] = kept;
    return found ? families[index] : NULL;
}

int extatus__clash_find(extatus_family **clash, const char **suffix,
                        extatus_family *const *families, size_t count, const char *name,
                        extatus_metric_type type)
{
    *clash = NULL;
    extatus_metric_type exposed = extatus__exposed_type(type);
    size_t base = extatus__exposed_base_length(name, exposed);
    /* A taken name, then a candidate family name (a base plus "_total"). */
    char *taken = extatus__malloc(base + 16);
    char *candidate = extatus__malloc(base + 16);
    if (!taken || !candidate) {
        extatus__free(taken);
        extatus__free(candidate);
        return extatus__error(EXTATUS_ERR_NOMEM, "metric '%s': out of memory", name);
    }
    memcpy(taken, name, base);
    for (const char *const *mine = extatus__exposed_suffixes(exposed); *mine && !*clash; mine++) {
        size_t length = base + strlen(*mine);
        memcpy(taken + base, *mine, strlen(*mine) + 1);
        /* Another family takes `taken` only from a base that `taken` starts with. */
        for (const char *const *any = any_suffixes; *any && !*clash; any++) {
            size_t any_length = strlen(*any);
            if (any_length >= length || memcmp(taken + length - any_length, *any, any_length) != 0)
                continue;
            size_t other_base = length - any_length;
            memcpy(candidate, taken, other_base);
            memcpy(candidate + other_base, "_total", 7);
            for (size_t with_total = 0; with_total < 2 && !*clash; with_total++) {
                extatus_family *other =
                    find(families, count, candidate, other_base + (with_total ? 6 : 0));
                if (other && strcmp(other->name, name) != 0 && takes(other, taken, length)) {
                    *clash = other;
                    *suffix = *mine;
                }
            }
        }
    }
    extatus__free(taken);
    extatus__free(candidate);
    return EXTATUS_OK;
}
