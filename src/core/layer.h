/*
 * layer.h - the one table through which a layer above core joins it
 * (core/layer.c). Core calls the layers above it only through this table.
 */
#ifndef EXTATUS_CORE_LAYER_H
#define EXTATUS_CORE_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "extatus.h"

/* ---- layers (core/layer.c) ---------------------------------------------
 *
 * A layer above core (entries, probes, worker status, reporters) joins
 * through one table; core calls it only through the table. Every hook may
 * be NULL. Families and series offer each layer that asks for one an
 * attachment slot: core writes the slot's index to *family_slot or
 * *series_slot when the layer joins.
 */
typedef struct extatus__layer {
    const char *name; /* for messages */
    /* At library init, after core (registries included), in join order. */
    int (*init)(void);
    /* First in extatus_shutdown, outside core's locks, in reverse order:
     * stop threads that call into the library. */
    void (*stop)(void);
    /* Next, under the init lock, in reverse order, while registries exist. */
    void (*shutdown)(void);
    /* NULL-terminated family option keys the layer takes (not the entry's). */
    const char *const *family_options;
    size_t *family_slot; /* receives the index of this layer's family slot; NULL: none */
    size_t *series_slot; /* receives the index of this layer's series slot; NULL: none */
    /* A family is being registered (not yet visible), with all its options:
     * check and keep what is the layer's; an error cancels the registration. */
    int (*family_created)(extatus_family *family, const extatus_option *options, size_t count);
    /* Outside core's locks: a family was added (options NULL) or setopts
     * changed its options. */
    void (*family_changed)(extatus_family *family, const extatus_option *options, size_t count);
    /* A series was built and is not yet visible; an error cancels it. */
    int (*series_created)(extatus_series *series);
    /* A series is going: after this no call of the layer may use it. */
    void (*series_removed)(extatus_series *series);
} extatus__layer;

/* Called once, by the library's assembly when the library is loaded. */
int extatus__layers_join(const extatus__layer *const *list, size_t count);
int extatus__layers_init(void);
void extatus__layers_stop(void);
void extatus__layers_shutdown(void);
bool extatus__layers_take_option(const char *key);
int extatus__layers_family_created(extatus_family *family, const extatus_option *options,
                                   size_t count);
void extatus__layers_family_changed(extatus_family *family, const extatus_option *options,
                                    size_t count);
int extatus__layers_series_created(extatus_series *series);
void extatus__layers_series_removed(extatus_series *series);

#endif /* EXTATUS_CORE_LAYER_H */
