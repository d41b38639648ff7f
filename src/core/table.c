/*
 * table.c - the library's one hash table: growth (incremental, see
 * table.h), insertion and removal (lookup is inline in table.h). Owns
 * nothing but slot arrays.
 */
#include "core/internal.h"

#include "core/table.h"

#include <sys/mman.h>
#include <unistd.h>

#define TABLE_MIN_SLOTS 8u
/*
 * Old slots each insert copies while the table grows. A growth starts at
 * 13/16 of S old slots with 2S new ones, which take 13/16 S more inserts
 * before they must grow again; copying at least 4/3 slots per insert
 * finishes in time, and 8 keeps the old array alive briefly.
 */
#define TABLE_MOVE_STEP 8u
/*
 * Tables of at least TABLE_PREPARE_SLOTS slots allocate their next array
 * early, at 25/32 full, and each insert zeroes TABLE_ZERO_STEP bytes of
 * it: the 1/32 of the slots left before 13/16 take S/32 inserts, and the
 * 24 S bytes of the next array need only S/42 steps. Smaller tables
 * simply allocate zeroed memory when they grow (a few microseconds).
 */
#define TABLE_PREPARE_SLOTS 4096u
/*
 * While a large old array is copied, the whole pages of its copied part
 * go back to the system every TABLE_RELEASE_SLOTS slots (768 KB), so the
 * final free does not have to give back the whole array at once.
 */
#define TABLE_RELEASE_SLOTS 65536u
#define TABLE_ZERO_STEP     1024u

void *extatus__table_no_items[1];
uint32_t extatus__table_no_hashes[1];
char extatus__table_tombstone;

static const extatus__table_slots no_slots = {extatus__table_no_items, extatus__table_no_hashes, 0};

void extatus__table_init(extatus__table *table, size_t hash_offset)
{
    *table = (extatus__table){no_slots, {NULL, NULL, 0}, 0, 0, {NULL, NULL, 0}, 0, 0, hash_offset};
}

static void slots_free(extatus__table_slots *slots)
{
    if (slots->items && slots->items != extatus__table_no_items)
        extatus__free(slots->items);
    *slots = (extatus__table_slots){NULL, NULL, 0};
}

void extatus__table_dispose(extatus__table *table)
{
    slots_free(&table->now);
    slots_free(&table->old);
    slots_free(&table->next);
    extatus__table_init(table, table->hash_offset);
}

static size_t slot_count(const extatus__table_slots *slots)
{
    return slots->items == extatus__table_no_items ? 0 : slots->mask + 1;
}

/*
 * Does a table of `count_of_slots` slots hold `count` items at most 13/16
 * full? Probes compare hashes in a compact array, so a fuller table than
 * the usual 3/4 costs little time and saves a fifth of the slots.
 */
static bool fits(size_t count, size_t count_of_slots)
{
    return count <= count_of_slots / 16 * 13 + count_of_slots % 16 * 13 / 16;
}

/* Place an item known to be absent: the first free slot of its probe run. */
static void place(extatus__table_slots *slots, void *item, uint32_t stored)
{
    size_t i = stored & slots->mask;
    while (slots->hashes[i])
        i = (i + 1) & slots->mask;
    slots->items[i] = item;
    slots->hashes[i] = stored;
}

/* Give back the whole pages of [from, to) (the memory reads as zeros if touched again). */
static void release_pages(void *from, void *to)
{
#ifdef MADV_DONTNEED
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = ((uintptr_t)from + page - 1) / page * page;
    uintptr_t end = (uintptr_t)to / page * page;
    if (end > start)
        (void)madvise((void *)start, end - start, MADV_DONTNEED);
#else
    (void)from;
    (void)to;
#endif
}

/* Copy up to `steps` old slots into the current array; drop the old array when done. */
static void move_some(extatus__table *table, size_t steps)
{
    extatus__table_slots *old = &table->old;
    size_t end = old->mask + 1;
    for (; steps && table->moved < end; steps--, table->moved++) {
        void *item = old->items[table->moved];
        if (old->hashes[table->moved] && item != &extatus__table_tombstone)
            place(&table->now, item, old->hashes[table->moved]);
    }
    if (table->moved == end) {
        slots_free(old);
        table->moved = table->released = 0;
    } else if (table->moved - table->released >= TABLE_RELEASE_SLOTS) {
        release_pages(old->items + table->released, old->items + table->moved);
        release_pages(old->hashes + table->released, old->hashes + table->moved);
        table->released = table->moved;
    }
}

static size_t slots_bytes(size_t count_of_slots)
{
    return count_of_slots * (sizeof(void *) + sizeof(uint32_t));
}

/* Items first, hashes after them: the hashes stay 4-byte aligned. */
static extatus__table_slots slots_at(void **items, size_t count_of_slots)
{
    return (extatus__table_slots){items, (uint32_t *)(items + count_of_slots), count_of_slots - 1};
}

/* Zero up to `bytes` more of the next array. */
static void zero_some(extatus__table *table, size_t bytes)
{
    size_t total = slots_bytes(table->next.mask + 1);
    if (bytes > total - table->zeroed)
        bytes = total - table->zeroed;
    memset((char *)table->next.items + table->zeroed, 0, bytes);
    table->zeroed += bytes;
}

int extatus__table_reserve(extatus__table *table, size_t count)
{
    size_t current = slot_count(&table->now);
    if (current && fits(count, current))
        return EXTATUS_OK;
    size_t grown = current ? current : TABLE_MIN_SLOTS;
    while (!fits(count, grown)) {
        if (grown > SIZE_MAX / 2 / (sizeof(void *) + sizeof(uint32_t)))
            return EXTATUS_ERR_NOMEM;
        grown *= 2;
    }
    extatus__table_slots fresh;
    if (table->next.items && table->next.mask + 1 >= grown) {
        zero_some(table, SIZE_MAX); /* normally done already */
        fresh = table->next;
        table->next = (extatus__table_slots){NULL, NULL, 0};
    } else {
        void **items = extatus__calloc(grown, sizeof(void *) + sizeof(uint32_t));
        if (!items)
            return EXTATUS_ERR_NOMEM;
        slots_free(&table->next);
        fresh = slots_at(items, grown);
    }
    table->zeroed = 0;
    if (table->old.items) /* still growing (only a reserve far ahead gets here) */
        move_some(table, SIZE_MAX);
    if (current) {
        table->old = table->now;
        table->moved = table->released = 0;
    }
    table->now = fresh;
    return EXTATUS_OK;
}

/* Before a large table grows: allocate the next array early and zero a piece of it. */
static void prepare_some(extatus__table *table)
{
    size_t current = slot_count(&table->now);
    if (!table->next.items) {
        if (current < TABLE_PREPARE_SLOTS || table->count + 1 < current / 32 * 25 ||
            current > SIZE_MAX / 2 / (sizeof(void *) + sizeof(uint32_t)))
            return;
        void **items = extatus__malloc(slots_bytes(2 * current));
        if (!items)
            return; /* the growth will try a zeroed allocation again */
        table->next = slots_at(items, 2 * current);
        table->zeroed = 0;
    }
    zero_some(table, TABLE_ZERO_STEP);
}

int extatus__table_insert(extatus__table *table, void *item)
{
    prepare_some(table);
    int rc = extatus__table_reserve(table, table->count + 1);
    if (rc != EXTATUS_OK)
        return rc;
    if (table->old.items)
        move_some(table, TABLE_MOVE_STEP);
    place(&table->now, item, extatus__table_stored_hash(extatus__table_item_hash(table, item)));
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
static bool remove_from(extatus__table_slots *slots, const void *item, uint32_t stored)
{
    size_t mask = slots->mask;
    size_t hole = stored & mask;
    while (slots->items[hole] != item) {
        if (!slots->hashes[hole])
            return false;
        hole = (hole + 1) & mask;
    }
    slots->items[hole] = NULL;
    slots->hashes[hole] = 0;
    for (size_t i = (hole + 1) & mask; slots->hashes[i]; i = (i + 1) & mask) {
        size_t home = slots->hashes[i] & mask;
        bool reachable = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!reachable) {
            slots->items[hole] = slots->items[i];
            slots->hashes[hole] = slots->hashes[i];
            slots->items[i] = NULL;
            slots->hashes[i] = 0;
            hole = i;
        }
    }
    return true;
}

/*
 * In the old array while growing: leave a tombstone (the array is only
 * read and copied). Only slots not yet copied matter, walked as
 * extatus__table_find_in_old walks them.
 */
static bool bury_in_old(extatus__table *table, const void *item, uint32_t stored)
{
    extatus__table_slots *old = &table->old;
    size_t end = old->mask + 1;
    size_t i = stored & old->mask;
    if (i < table->moved)
        i = table->moved;
    for (size_t left = end - table->moved; left && old->hashes[i]; left--) {
        if (old->items[i] == item) {
            old->items[i] = &extatus__table_tombstone;
            return true;
        }
        if (++i == end)
            i = table->moved;
    }
    return false;
}

bool extatus__table_remove(extatus__table *table, const void *item)
{
    uint32_t stored = extatus__table_stored_hash(extatus__table_item_hash(table, item));
    bool found = remove_from(&table->now, item, stored);
    if (table->old.items && bury_in_old(table, item, stored))
        found = true;
    if (found)
        table->count--;
    return found;
}

void extatus__table_clear(extatus__table *table)
{
    slots_free(&table->old);
    slots_free(&table->next);
    table->moved = table->released = 0;
    size_t current = slot_count(&table->now);
    if (current)
        memset(table->now.items, 0, current * (sizeof(void *) + sizeof(uint32_t)));
    table->count = 0;
}
