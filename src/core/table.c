/*
 * table.c - the library's one hash table: growth, insertion and removal
 * (lookup is inline in table.h). Owns nothing but slot arrays.
 */
#include "core/internal.h"

#include "core/table.h"

#define TABLE_MIN_SLOTS 8u

void *extatus__table_no_slots[1];

void extatus__table_init(extatus__table *table, size_t hash_offset)
{
    *table = (extatus__table){extatus__table_no_slots, 0, 0, hash_offset};
}

void extatus__table_dispose(extatus__table *table)
{
    if (table->slots != extatus__table_no_slots)
        extatus__free(table->slots);
    extatus__table_init(table, table->hash_offset);
}

/* Does a table of `slot_count` slots hold `count` items at most 3/4 full? */
static bool fits(size_t count, size_t slot_count)
{
    return count <= slot_count / 4 * 3;
}

/* Place an item known to be absent: the first free slot of its probe run. */
static void place(void **slots, size_t mask, void *item, uint32_t hash)
{
    size_t i = hash & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = item;
}

int extatus__table_reserve(extatus__table *table, size_t count)
{
    size_t slot_count = table->slots == extatus__table_no_slots ? 0 : table->mask + 1;
    if (slot_count && fits(count, slot_count))
        return EXTATUS_OK;
    size_t grown = slot_count ? slot_count : TABLE_MIN_SLOTS;
    while (!fits(count, grown)) {
        if (grown > SIZE_MAX / 2 / sizeof(void *))
            return EXTATUS_ERR_NOMEM;
        grown *= 2;
    }
    void **slots = extatus__calloc(grown, sizeof(*slots));
    if (!slots)
        return EXTATUS_ERR_NOMEM;
    for (size_t i = 0; i < slot_count; i++)
        if (table->slots[i])
            place(slots, grown - 1, table->slots[i],
                  extatus__table_item_hash(table, table->slots[i]));
    if (slot_count)
        extatus__free(table->slots);
    table->slots = slots;
    table->mask = grown - 1;
    return EXTATUS_OK;
}

int extatus__table_insert(extatus__table *table, void *item)
{
    int rc = extatus__table_reserve(table, table->count + 1);
    if (rc != EXTATUS_OK)
        return rc;
    place(table->slots, table->mask, item, extatus__table_item_hash(table, item));
    table->count++;
    return EXTATUS_OK;
}

/*
 * Linear probing cannot simply empty a slot: an item further along the
 * same run would become unreachable. So after emptying the slot (the
 * hole), walk on to the end of the run and move back every item whose
 * home slot is not cyclically in (hole, i], i.e. whose probe from home
 * passes over the hole; its old slot becomes the new hole.
 */
bool extatus__table_remove(extatus__table *table, const void *item)
{
    void **slots = table->slots;
    size_t mask = table->mask;
    size_t hole = extatus__table_item_hash(table, item) & mask;
    while (slots[hole] != item) {
        if (!slots[hole])
            return false;
        hole = (hole + 1) & mask;
    }
    slots[hole] = NULL;
    for (size_t i = (hole + 1) & mask; slots[i]; i = (i + 1) & mask) {
        size_t home = extatus__table_item_hash(table, slots[i]) & mask;
        bool reachable = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!reachable) {
            slots[hole] = slots[i];
            slots[i] = NULL;
            hole = i;
        }
    }
    table->count--;
    return true;
}

void extatus__table_clear(extatus__table *table)
{
    if (table->count)
        memset(table->slots, 0, (table->mask + 1) * sizeof(*table->slots));
    table->count = 0;
}
