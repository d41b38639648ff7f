/*
 * table.h - the library's one hash table (core/table.c). Never installed.
 *
 * An open-addressed table of item pointers with linear probing: the slot
 * count is a power of two, the table doubles when an insert would fill
 * more than three quarters of it, and removal shifts the rest of the probe
 * run back (no tombstones, so lookups never slow down after removals).
 *
 * The table is intrusive: each item carries its own 32-bit hash at a
 * fixed offset (given at init), which the table reads to place items,
 * to grow and to remove; the caller computes hashes (extatus__hash_text)
 * and decides key equality through a callback at lookup. The table takes
 * no lock and owns only its slot array, never the items.
 *
 * Users: the series of a family (core/series.c) and the worker names of
 * the process layer (process/process.c).
 */
#ifndef EXTATUS_TABLE_H
#define EXTATUS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct extatus__table {
    void **slots;       /* slot count item pointers, NULL when empty */
    size_t mask;        /* slot count - 1 (slot count is a power of two) */
    size_t count;       /* items in the table */
    size_t hash_offset; /* where each item keeps its uint32_t hash */
} extatus__table;

/* True when `item` is the one `key` names; `item` has the key's hash. */
typedef bool (*extatus__table_equal_fn)(const void *item, const void *key);

/*
 * The one-slot, always empty array of a table that holds nothing yet: a
 * lookup needs no special case, and the first insert allocates.
 */
extern void *extatus__table_no_slots[1];

/* A static initialiser for an empty table of items of `type`, hash in `field`. */
#define EXTATUS__TABLE_INIT(type, field)                                                           \
    {                                                                                              \
        extatus__table_no_slots, 0, 0, offsetof(type, field)                                       \
    }

/* An empty table (allocates nothing, cannot fail). */
void extatus__table_init(extatus__table *table, size_t hash_offset);
/* Free the slot array (not the items) and leave the table empty. */
void extatus__table_dispose(extatus__table *table);

static inline uint32_t extatus__table_item_hash(const extatus__table *table, const void *item)
{
    uint32_t hash;
    memcpy(&hash, (const char *)item + table->hash_offset, sizeof(hash));
    return hash;
}

/*
 * The item with `hash` for which equal(item, key) holds, or NULL. Inline
 * so the probe loop and the equality callback compile into the caller
 * (the series lookup of every labelled update).
 */
static inline void *extatus__table_find(const extatus__table *table, uint32_t hash,
                                        extatus__table_equal_fn equal, const void *key)
{
    size_t mask = table->mask;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        void *item = table->slots[i];
        if (!item)
            return NULL;
        if (extatus__table_item_hash(table, item) == hash && equal(item, key))
            return item;
    }
}

/*
 * Make room for `count` items in all without growing again. EXTATUS_OK,
 * or EXTATUS_ERR_NOMEM with the table unchanged (sets no message).
 */
int extatus__table_reserve(extatus__table *table, size_t count);

/*
 * Add `item` (with its hash already set), which must not be in the table
 * yet. EXTATUS_ERR_NOMEM when the table had to grow and could not (table
 * unchanged, no message); never fails after extatus__table_reserve(table,
 * table->count + 1) succeeded.
 */
int extatus__table_insert(extatus__table *table, void *item);

/* Take `item` out (found by identity); false when it was not in the table. */
bool extatus__table_remove(extatus__table *table, const void *item);

/* Take every item out, keeping the slot array. */
void extatus__table_clear(extatus__table *table);

#endif /* EXTATUS_TABLE_H */
