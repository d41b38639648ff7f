/*
 * table.h - the library's one hash table (core/table.c). Never installed.
 *
 * An open-addressed table of item pointers with linear probing: the slot
 * count is a power of two and the table doubles when an insert would fill
 * more than 13/16 of it. Removal shifts the rest of the probe
 * run back (no tombstones in a settled table, so lookups never slow down
 * after removals).
 *
 * Beside each item pointer the table keeps the item's hash (0 read as
 * 1, so that 0 marks an empty slot): a probe compares hashes in one
 * compact array and touches an item only when its hash matches, which
 * keeps a lookup in a table of millions to about one cache miss.
 *
 * Growth is incremental so that no insert pays for copying or zeroing
 * the whole table. Shortly before a large table is full, the twice as
 * large array is allocated and each insert zeroes a piece of it; when the
 * table must grow, that array becomes
 * the current one and the old array stays beside it, read-only, until
 * each later insert has copied a few of its slots over (TABLE_MOVE_STEP
 * in table.c, enough to finish before the new array fills). Meanwhile a
 * lookup looks in both arrays (in the old one only at the slots not yet
 * copied), and a removal takes the item out of the new array and leaves
 * a tombstone in its old slot. The memory of the copied part of a large
 * old array is given back to the system as the copy goes on, so that
 * freeing it at the end costs little too.
 *
 * The table is intrusive: each item carries its own 32-bit hash at a
 * fixed offset (given at init), which the table reads when it places an
 * item; the caller computes hashes (extatus__hash_text) and decides key
 * equality through a callback at lookup. The table takes no lock and
 * owns only its slot arrays, never the items.
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

/* One slot array: item pointers and, in the same allocation, their hashes. */
typedef struct extatus__table_slots {
    void **items;     /* slot count item pointers, NULL when empty */
    uint32_t *hashes; /* the stored hash of each slot, 0 when empty */
    size_t mask;      /* slot count - 1 (slot count is a power of two) */
} extatus__table_slots;

typedef struct extatus__table {
    extatus__table_slots now;  /* where inserts go */
    extatus__table_slots old;  /* while growing: the array being copied, else items NULL */
    size_t moved;              /* while growing: old slots copied so far */
    size_t released;           /* while growing: old slots whose memory was given back */
    extatus__table_slots next; /* before growing: the next array, being zeroed, else NULL */
    size_t zeroed;             /* bytes of `next` zeroed so far */
    size_t count;              /* items in the table */
    size_t hash_offset;        /* where each item keeps its uint32_t hash */
} extatus__table;

/* True when `item` is the one `key` names; `item` has the key's hash. */
typedef bool (*extatus__table_equal_fn)(const void *item, const void *key);

/*
 * The one-slot, always empty arrays of a table that holds nothing yet: a
 * lookup needs no special case, and the first insert allocates.
 */
extern void *extatus__table_no_items[1];
extern uint32_t extatus__table_no_hashes[1];
/* What a removal leaves in the old array while the table grows. */
extern char extatus__table_tombstone;

/* A static initialiser for an empty table of items of `type`, hash in `field`. */
#define EXTATUS__TABLE_INIT(type, field)                                                           \
    {                                                                                              \
        {extatus__table_no_items, extatus__table_no_hashes, 0}, {NULL, NULL, 0}, 0, 0,             \
            {NULL, NULL, 0}, 0, 0, offsetof(type, field)                                           \
    }

/* An empty table (allocates nothing, cannot fail). */
void extatus__table_init(extatus__table *table, size_t hash_offset);
/* Free the slot arrays (not the items) and leave the table empty. */
void extatus__table_dispose(extatus__table *table);

/* The hash a slot stores for an item hash: never 0, the empty mark. */
static inline uint32_t extatus__table_stored_hash(uint32_t hash)
{
    return hash ? hash : 1u;
}

static inline uint32_t extatus__table_item_hash(const extatus__table *table, const void *item)
{
    uint32_t hash;
    memcpy(&hash, (const char *)item + table->hash_offset, sizeof(hash));
    return hash;
}

/*
 * Look in the current array (which never holds tombstones); `stored` is
 * extatus__table_stored_hash of the key's hash.
 */
static inline void *extatus__table_find_in(const extatus__table_slots *slots, uint32_t stored,
                                           extatus__table_equal_fn equal, const void *key)
{
    size_t mask = slots->mask;
    for (size_t i = stored & mask; slots->hashes[i]; i = (i + 1) & mask)
        if (slots->hashes[i] == stored && equal(slots->items[i], key))
            return slots->items[i];
    return NULL;
}

/*
 * Look in the old array while growing. Only its slots from `moved` on
 * count: those before are copied (their memory may be given back
 * already). A probe whose home is before `moved` starts there, and one
 * that runs off the end goes on at `moved`; the slots skipped held only
 * copied items, so a run that reaches an item still here is unbroken
 * from `moved` on. A probe may pass slots of other runs, which is
 * harmless: a live item equal to the key is the one wanted.
 */
static inline void *extatus__table_find_in_old(const extatus__table *table, uint32_t stored,
                                               extatus__table_equal_fn equal, const void *key)
{
    const extatus__table_slots *old = &table->old;
    size_t end = old->mask + 1;
    size_t moved = table->moved;
    size_t i = stored & old->mask;
    if (i < moved)
        i = moved;
    for (size_t left = end - moved; left; left--) {
        uint32_t slot_hash = old->hashes[i];
        if (!slot_hash)
            return NULL;
        if (slot_hash == stored) {
            void *item = old->items[i];
            if (item != &extatus__table_tombstone && equal(item, key))
                return item;
        }
        if (++i == end)
            i = moved;
    }
    return NULL;
}

/*
 * The item with `hash` for which equal(item, key) holds, or NULL. Inline
 * so the probe loop and the equality callback compile into the caller
 * (the series lookup of every labelled update).
 */
static inline void *extatus__table_find(const extatus__table *table, uint32_t hash,
                                        extatus__table_equal_fn equal, const void *key)
{
    uint32_t stored = extatus__table_stored_hash(hash);
    void *item = extatus__table_find_in(&table->now, stored, equal, key);
    if (!item && table->old.items)
        item = extatus__table_find_in_old(table, stored, equal, key);
    return item;
}

/*
 * Make room for `count` items in all without allocating again.
 * EXTATUS_OK, or EXTATUS_ERR_NOMEM with the table unchanged (sets no
 * message).
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

/* Take every item out, keeping the current slot array. */
void extatus__table_clear(extatus__table *table);

#endif /* EXTATUS_TABLE_H */
