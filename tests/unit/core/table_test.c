/*
 * table_test.c - the library's one hash table (src/core/table.c,
 * src/core/table.h): lookups, growth by doubling at 13/16 full
 * (incremental: the old slots are copied a few per insert),
 * removal that shifts the rest of a probe run back (also across the end
 * of the slot array), reserve and clear, allocation failure, and a long
 * random run against a plain array as the model.
 */
#include "test_support.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/internal.h"
#include "core/table.h"

/* A test item; the hash is not the first field, so the offset matters. */
typedef struct item {
    int key;       /* what lookups compare */
    uint32_t hash; /* as the table reads it */
} item;

static bool item_has_key(const void *stored, const void *key)
{
    return ((const item *)stored)->key == *(const int *)key;
}

static item *find(const extatus__table *table, const item *wanted)
{
    return extatus__table_find(table, wanted->hash, item_has_key, &wanted->key);
}

static void table_setup(extatus__table *table)
{
    extatus__table_init(table, offsetof(item, hash));
}

/* Index of `wanted` in the slot array (it must be there). */
static size_t slot_of(const extatus__table *table, const item *wanted)
{
    for (size_t i = 0; i <= table->now.mask; i++)
        if (table->now.items[i] == wanted)
            return i;
    fail_msg("item %d is in no slot", wanted->key);
    return SIZE_MAX;
}

/*
 * Every item is reachable: no empty slot lies between its home slot and
 * the slot it sits in, each slot's stored hash is its item's, and the
 * count matches the occupied slots of the current array plus the items
 * of the old one (while growing) that are neither copied nor buried.
 */
static void assert_runs_intact(const extatus__table *table)
{
    size_t occupied = 0;
    const extatus__table_slots *now = &table->now;
    for (size_t i = 0; i <= now->mask; i++) {
        const item *stored = now->items[i];
        if (!stored) {
            assert_int_equal(now->hashes[i], 0);
            continue;
        }
        occupied++;
        uint32_t hash = extatus__table_stored_hash(stored->hash);
        assert_int_equal(now->hashes[i], hash);
        for (size_t j = hash & now->mask; j != i; j = (j + 1) & now->mask)
            if (!now->hashes[j])
                fail_msg("item %d in slot %zu is cut off from its home by empty slot %zu",
                         stored->key, i, j);
    }
    const extatus__table_slots *old = &table->old;
    if (old->items)
        for (size_t i = table->moved; i <= old->mask; i++)
            if (old->hashes[i] && old->items[i] != &extatus__table_tombstone)
                occupied++;
    assert_int_equal(occupied, table->count);
}

static void test_empty(void **state)
{
    (void)state;
    extatus__table table;
    table_setup(&table);
    item absent = {1, 7};
    assert_null(find(&table, &absent));
    assert_false(extatus__table_remove(&table, &absent));
    assert_int_equal(table.count, 0);
    extatus__table_clear(&table);
    extatus__table_dispose(&table);
    extatus__table_dispose(&table); /* a disposed table is empty again */
    assert_null(find(&table, &absent));

    /* The static initialiser gives the same empty table. */
    extatus__table fixed = EXTATUS__TABLE_INIT(item, hash);
    assert_int_equal(fixed.hash_offset, offsetof(item, hash));
    assert_null(find(&fixed, &absent));
}

static void test_growth_doubles_at_thirteen_sixteenths(void **state)
{
    (void)state;
    extatus__table table;
    table_setup(&table);
    item items[27];
    /* Slot count after inserting the (i+1)-th item: 8 holds 6, 16 holds 13, 32 holds 26. */
    for (int i = 0; i < 27; i++) {
        items[i] = (item){i, (uint32_t)i * 2654435761u};
        assert_ok(extatus__table_insert(&table, &items[i]));
        size_t expected = i < 6 ? 8 : i < 13 ? 16 : i < 26 ? 32 : 64;
        assert_int_equal(table.now.mask + 1, expected);
        assert_int_equal(table.count, (size_t)i + 1);
    }
    for (int i = 0; i < 27; i++)
        assert_ptr_equal(find(&table, &items[i]), &items[i]);
    item absent = {99, 99u * 2654435761u};
    assert_null(find(&table, &absent));
    assert_runs_intact(&table);
    extatus__table_dispose(&table);
}

static void test_same_hash_other_key(void **state)
{
    (void)state;
    extatus__table table;
    table_setup(&table);
    item a = {1, 42};
    item b = {2, 42};
    assert_ok(extatus__table_insert(&table, &a));
    assert_ok(extatus__table_insert(&table, &b));
    item lookup_b = {2, 42};
    item lookup_c = {3, 42};
    assert_ptr_equal(find(&table, &lookup_b), &b);
    assert_null(find(&table, &lookup_c));
    /* Same key but another hash is another entry for the table. */
    item other_hash = {1, 43};
    assert_null(find(&table, &other_hash));
    extatus__table_dispose(&table);
}

static void test_remove_shifts_run_back(void **state)
{
    (void)state;
    extatus__table table;
    table_setup(&table);
    /* Homes 1, 1, 2, 1 in 8 slots: slots 1, 2, 3, 4. */
    item x1 = {1, 1}, x2 = {2, 9}, y = {3, 2}, x3 = {4, 17};
    assert_ok(extatus__table_insert(&table, &x1));
    assert_ok(extatus__table_insert(&table, &x2));
    assert_ok(extatus__table_insert(&table, &y));
    assert_ok(extatus__table_insert(&table, &x3));
    assert_int_equal(table.now.mask, 7);
    assert_int_equal(slot_of(&table, &x1), 1);
    assert_int_equal(slot_of(&table, &x2), 2);
    assert_int_equal(slot_of(&table, &y), 3);
    assert_int_equal(slot_of(&table, &x3), 4);

    /* Removing the head of the run moves each later item back by one. */
    assert_true(extatus__table_remove(&table, &x1));
    assert_int_equal(slot_of(&table, &x2), 1);
    assert_int_equal(slot_of(&table, &y), 2);
    assert_int_equal(slot_of(&table, &x3), 3);
    assert_null(table.now.items[4]);
    assert_null(find(&table, &x1));
    assert_ptr_equal(find(&table, &x3), &x3);
    assert_false(extatus__table_remove(&table, &x1));
    assert_int_equal(table.count, 3);
    extatus__table_dispose(&table);
}

static void test_remove_keeps_items_at_home(void **state)
{
    (void)state;
    extatus__table table;
    table_setup(&table);
    /* Homes 1, 1, 3: slots 1, 2, 3. */
    item a = {1, 1}, b = {2, 1}, c = {3, 3};
    assert_ok(extatus__table_insert(&table, &a));
    assert_ok(extatus__table_insert(&table, &b));
    assert_ok(extatus__table_insert(&table, &c));
    assert_true(extatus__table_remove(&table, &a));
    /* b moves into the hole; c stays in its home slot, leaving slot 2 empty. */
    assert_int_equal(slot_of(&table, &b), 1);
    assert_null(table.now.items[2]);
    assert_int_equal(slot_of(&table, &c), 3);
    assert_ptr_equal(find(&table, &b), &b);
    assert_ptr_equal(find(&table, &c), &c);
    extatus__table_dispose(&table);
}

static void test_remove_across_the_end(void **state)
{
    (void)state;
    extatus__table table;
    table_setup(&table);
    /* Homes 7, 0, 7 in 8 slots: slots 7, 0, 1 (the run wraps). */
    item p = {1, 7}, q = {2, 8}, r = {3, 15};
    assert_ok(extatus__table_insert(&table, &p));
    assert_ok(extatus__table_insert(&table, &q));
    assert_ok(extatus__table_insert(&table, &r));
    assert_int_equal(slot_of(&table, &p), 7);
    assert_int_equal(slot_of(&table, &q), 0);
    assert_int_equal(slot_of(&table, &r), 1);
    assert_true(extatus__table_remove(&table, &p));
    /* q is at home (0) and stays; r (home 7) moves back over the end into 7. */
    assert_int_equal(slot_of(&table, &q), 0);
    assert_int_equal(slot_of(&table, &r), 7);
    assert_null(table.now.items[1]);
    assert_ptr_equal(find(&table, &r), &r);
    assert_null(find(&table, &p));

    /* Removing in the middle of a wrapped run of one hash. */
    item s = {4, 7}, t = {5, 7};
    assert_ok(extatus__table_insert(&table, &s)); /* slot 1 */
    assert_ok(extatus__table_insert(&table, &t)); /* slot 2 */
    assert_int_equal(slot_of(&table, &s), 1);
    assert_int_equal(slot_of(&table, &t), 2);
    assert_true(extatus__table_remove(&table, &q));
    assert_int_equal(slot_of(&table, &r), 7);
    assert_int_equal(slot_of(&table, &s), 0);
    assert_int_equal(slot_of(&table, &t), 1);
    assert_null(table.now.items[2]);
    assert_runs_intact(&table);
    extatus__table_dispose(&table);
}

static void test_reserve_and_clear(void **state)
{
    (void)state;
    extatus__table table;
    table_setup(&table);
    assert_ok(extatus__table_reserve(&table, 100));
    /* 64 slots hold 52 at 13/16: 100 need 128 (which hold 104). */
    assert_int_equal(table.now.mask + 1, 128);
    item items[100];
    for (int i = 0; i < 100; i++) {
        items[i] = (item){i, (uint32_t)i % 7u}; /* long runs */
        assert_ok(extatus__table_insert(&table, &items[i]));
    }
    assert_int_equal(table.now.mask + 1, 128); /* reserved: no growth */
    assert_runs_intact(&table);
    for (int i = 0; i < 100; i++)
        assert_ptr_equal(find(&table, &items[i]), &items[i]);

    extatus__table_clear(&table);
    assert_int_equal(table.count, 0);
    assert_int_equal(table.now.mask + 1, 128); /* the slots stay */
    for (int i = 0; i < 100; i++)
        assert_null(find(&table, &items[i]));
    assert_ok(extatus__table_insert(&table, &items[3]));
    assert_ptr_equal(find(&table, &items[3]), &items[3]);
    extatus__table_dispose(&table);
}

static void test_failed_growth_changes_nothing(void **state)
{
    (void)state;
    test_alloc_install();
    extatus__table table;
    table_setup(&table);
    item items[7];
    for (int i = 0; i < 6; i++) {
        items[i] = (item){i, (uint32_t)i};
        assert_ok(extatus__table_insert(&table, &items[i]));
    }
    void **slots = table.now.items;
    items[6] = (item){6, 6};
    test_alloc_fail_at(1); /* the doubling */
    assert_int_equal(extatus__table_insert(&table, &items[6]), EXTATUS_ERR_NOMEM);
    assert_ptr_equal(table.now.items, slots);
    assert_int_equal(table.now.mask, 7);
    assert_int_equal(table.count, 6);
    assert_null(find(&table, &items[6]));
    for (int i = 0; i < 6; i++)
        assert_ptr_equal(find(&table, &items[i]), &items[i]);
    test_alloc_fail_at(1);
    assert_int_equal(extatus__table_reserve(&table, 7), EXTATUS_ERR_NOMEM);
    assert_int_equal(table.now.mask, 7);

    test_alloc_fail_at(0);
    assert_ok(extatus__table_insert(&table, &items[6]));
    assert_int_equal(table.now.mask, 15);
    extatus__table_dispose(&table);
    assert_int_equal(test_alloc_live(), 0);
    extatus_set_allocator(NULL);
}

/* xorshift64: a fixed sequence, so a failure repeats. */
static uint64_t next_random(uint64_t *seed)
{
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    return *seed;
}

static void test_many_keys_against_a_model(void **state)
{
    (void)state;
    enum { KEYS = 4000, STEPS = 60000 };
    item *items = calloc(KEYS, sizeof(*items));
    bool *present = calloc(KEYS, sizeof(*present));
    assert_non_null(items);
    assert_non_null(present);
    /* Only 300 distinct hashes for 4000 keys: long runs of equal hashes. */
    for (int i = 0; i < KEYS; i++)
        items[i] = (item){i, (uint32_t)(i % 300) * 40503u};
    extatus__table table;
    table_setup(&table);
    size_t expected = 0;
    size_t largest = 0;
    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (int step = 0; step < STEPS; step++) {
        int key = (int)(next_random(&seed) % KEYS);
        if (present[key]) {
            assert_true(extatus__table_remove(&table, &items[key]));
            present[key] = false;
            expected--;
        } else {
            assert_ptr_equal(find(&table, &items[key]), NULL);
            assert_ok(extatus__table_insert(&table, &items[key]));
            present[key] = true;
            expected++;
        }
        assert_int_equal(table.count, expected);
        if (expected > largest)
            largest = expected;
        /* Spot-check a key with a hash shared by many others. */
        int probe = (int)(next_random(&seed) % KEYS);
        assert_ptr_equal(find(&table, &items[probe]), present[probe] ? &items[probe] : NULL);
        if (step % 5000 == 0)
            assert_runs_intact(&table);
    }
    assert_runs_intact(&table);
    for (int i = 0; i < KEYS; i++) {
        assert_ptr_equal(find(&table, &items[i]), present[i] ? &items[i] : NULL);
        assert_true(extatus__table_remove(&table, &items[i]) == present[i]);
    }
    assert_int_equal(table.count, 0);
    /* The table never shrinks: it is the smallest power of two that held the peak. */
    size_t slots = 8;
    while (largest > slots * 13 / 16)
        slots *= 2;
    assert_int_equal(table.now.mask + 1, slots);
    for (size_t i = 0; i <= table.now.mask; i++)
        assert_null(table.now.items[i]);
    extatus__table_dispose(&table);
    free(items);
    free(present);
}

/*
 * A large table allocates its next array before it is full and zeroes it
 * a piece per insert; growth then copies the old slots a few per insert:
 * right after the growing insert the old array is still there and
 * lookups find items in both
 * arrays; removals during growth (of copied and not yet copied items)
 * hold; the old array goes once the inserts have copied all of it.
 */
static void growth_is_incremental(const int OLD_SLOTS)
{
    const int FULL = OLD_SLOTS / 16 * 13;
    const int MORE = OLD_SLOTS / 4;
    item *items = calloc((size_t)(FULL + MORE), sizeof(*items));
    assert_non_null(items);
    extatus__table table;
    table_setup(&table);
    for (int i = 0; i < FULL; i++) {
        items[i] = (item){i, (uint32_t)i * 2654435761u};
        assert_ok(extatus__table_insert(&table, &items[i]));
    }
    assert_int_equal(table.now.mask + 1, OLD_SLOTS);
    assert_null(table.old.items);
    void **prepared = table.next.items; /* allocated early, zeroed by the inserts since */
    assert_non_null(prepared);
    assert_int_equal(table.next.mask + 1, 2 * OLD_SLOTS);
    assert_int_equal(table.zeroed, 2 * (size_t)OLD_SLOTS * (sizeof(void *) + sizeof(uint32_t)));

    items[FULL] = (item){FULL, (uint32_t)FULL * 2654435761u};
    assert_ok(extatus__table_insert(&table, &items[FULL]));
    assert_int_equal(table.now.mask + 1, 2 * OLD_SLOTS);
    assert_ptr_equal(table.now.items, prepared);
    assert_null(table.next.items);
    assert_non_null(table.old.items); /* not copied in one go */
    assert_int_equal(table.old.mask + 1, OLD_SLOTS);
    assert_true(table.moved < (size_t)OLD_SLOTS);
    assert_runs_intact(&table);
    for (int i = 0; i <= FULL; i++)
        assert_ptr_equal(find(&table, &items[i]), &items[i]);

    /* Remove every third item, whichever array holds it. */
    size_t expected = FULL + 1;
    for (int i = 0; i <= FULL; i += 3) {
        assert_true(extatus__table_remove(&table, &items[i]));
        assert_false(extatus__table_remove(&table, &items[i]));
        expected--;
    }
    assert_int_equal(table.count, expected);
    assert_runs_intact(&table);

    int inserted = FULL + 1;
    size_t released = 0;
    while (table.old.items) {
        if (table.released > released) { /* pages of the copied part went back */
            released = table.released;
            assert_true(released <= table.moved);
            for (int i = 0; i < inserted; i++)
                assert_ptr_equal(find(&table, &items[i]),
                                 i <= FULL && i % 3 == 0 ? NULL : &items[i]);
            assert_runs_intact(&table);
        }
        assert_true(inserted < FULL + MORE); /* the copy finishes well before the array fills */
        items[inserted] = (item){inserted, (uint32_t)inserted * 2654435761u};
        assert_ok(extatus__table_insert(&table, &items[inserted]));
        inserted++;
        expected++;
    }
    assert_int_equal(table.now.mask + 1, 2 * OLD_SLOTS);
    assert_int_equal(table.count, expected);
    assert_runs_intact(&table);
    for (int i = 0; i < inserted; i++)
        assert_ptr_equal(find(&table, &items[i]), i <= FULL && i % 3 == 0 ? NULL : &items[i]);
    if (OLD_SLOTS >= 2 * 65536)
        assert_true(released > 0);
    extatus__table_dispose(&table);
    free(items);
}

static void test_growth_is_incremental(void **state)
{
    (void)state;
    growth_is_incremental(8192);
}

/* A large old array gives the memory of its copied part back while the copy goes on. */
static void test_large_growth_gives_memory_back(void **state)
{
    (void)state;
    growth_is_incremental(262144);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_growth_doubles_at_thirteen_sixteenths),
        cmocka_unit_test(test_same_hash_other_key),
        cmocka_unit_test(test_remove_shifts_run_back),
        cmocka_unit_test(test_remove_keeps_items_at_home),
        cmocka_unit_test(test_remove_across_the_end),
        cmocka_unit_test(test_reserve_and_clear),
        cmocka_unit_test(test_failed_growth_changes_nothing),
        cmocka_unit_test(test_many_keys_against_a_model),
        cmocka_unit_test(test_growth_is_incremental),
        cmocka_unit_test(test_large_growth_gives_memory_back),
    };
    return cmocka_run_group_tests_name("core/table", tests, NULL, NULL);
}
