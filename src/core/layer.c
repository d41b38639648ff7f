/*
 * layer.c - the layers that joined the core, and the walks over them.
 *
 * Core knows nothing of the layers above it (entries, probes, worker
 * status, reporters): each one describes itself in an extatus__layer
 * table, and the library's assembly (src/library.c, the one file that
 * names every layer) hands the list to core when the library is loaded.
 * Core calls a layer only through its table: at init, at shutdown, when a
 * family or a series comes or goes, and for the family options a layer
 * takes. The order of the list is the order of init; shutdown walks it
 * backwards.
 */
#include "core/internal.h"

#include <string.h>

static const extatus__layer *const *layers; /* the joined list, in init order */
static size_t layer_count;                  /* entries in layers */

/* Hand out attachment slots: index `*slot` of a family's or series' `attached`. */
static int assign_slot(size_t *slot, size_t *taken, size_t available)
{
    if (!slot)
        return EXTATUS_OK;
    if (*taken == available)
        return EXTATUS_ERR_INVALID;
    *slot = (*taken)++;
    return EXTATUS_OK;
}

int extatus__layers_join(const extatus__layer *const *list, size_t count)
{
    size_t family_slots = 0;
    size_t series_slots = 0;
    if (layers)
        return EXTATUS_ERR_INVALID; /* once, at load time */
    for (size_t i = 0; i < count; i++)
        if (assign_slot(list[i]->family_slot, &family_slots, EXTATUS__FAMILY_SLOTS) != EXTATUS_OK ||
            assign_slot(list[i]->series_slot, &series_slots, EXTATUS__SERIES_SLOTS) != EXTATUS_OK)
            return EXTATUS_ERR_INVALID;
    layers = list;
    layer_count = count;
    return EXTATUS_OK;
}

int extatus__layers_init(void)
{
    for (size_t i = 0; i < layer_count; i++) {
        if (!layers[i]->init)
            continue;
        int rc = layers[i]->init();
        if (rc != EXTATUS_OK)
            return rc;
    }
    return EXTATUS_OK;
}

void extatus__layers_stop(void)
{
    for (size_t i = layer_count; i-- > 0;)
        if (layers[i]->stop)
            layers[i]->stop();
}

void extatus__layers_shutdown(void)
{
    for (size_t i = layer_count; i-- > 0;)
        if (layers[i]->shutdown)
            layers[i]->shutdown();
}

bool extatus__layers_take_option(const char *key)
{
    for (size_t i = 0; i < layer_count; i++)
        for (const char *const *taken = layers[i]->family_options; taken && *taken; taken++)
            if (strcmp(*taken, key) == 0)
                return true;
    return false;
}

int extatus__layers_family_created(extatus_family *family, const extatus_option *options,
                                   size_t count)
{
    for (size_t i = 0; i < layer_count; i++) {
        if (!layers[i]->family_created)
            continue;
        int rc = layers[i]->family_created(family, options, count);
        if (rc != EXTATUS_OK)
            return rc;
    }
    return EXTATUS_OK;
}

void extatus__layers_family_changed(extatus_family *family, const extatus_option *options,
                                    size_t count)
{
    for (size_t i = 0; i < layer_count; i++)
        if (layers[i]->family_changed)
            layers[i]->family_changed(family, options, count);
}

int extatus__layers_series_created(extatus_series *series)
{
    for (size_t i = 0; i < layer_count; i++) {
        if (!layers[i]->series_created)
            continue;
        int rc = layers[i]->series_created(series);
        if (rc != EXTATUS_OK) {
            /* Undo the layers that already took it, newest first. */
            while (i-- > 0)
                if (layers[i]->series_removed)
                    layers[i]->series_removed(series);
            return rc;
        }
    }
    return EXTATUS_OK;
}

void extatus__layers_series_removed(extatus_series *series)
{
    for (size_t i = layer_count; i-- > 0;)
        if (layers[i]->series_removed)
            layers[i]->series_removed(series);
}
