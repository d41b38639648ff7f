/*
 * cells.h - sharded 64-bit cells, the hot-path state of the built-in
 * entries (core/cells.c). For core and the entries layer.
 */
#ifndef EXTATUS_CORE_CELLS_H
#define EXTATUS_CORE_CELLS_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/util.h"

/* ---- sharded cells (core/cells.c) ------------------------------------
 *
 * Hot-path state lives in 64-bit cells replicated once per shard. Cells of
 * many series are packed in blocks; a block holds EXTATUS__CELL_CHUNK cells
 * for every shard, shard s at offset s * EXTATUS__CELL_CHUNK from shard 0.
 * A series keeps one pointer (its shard-0 cell); a thread adds its shard's
 * offset. A thread owns an exclusive shard when one is free (plain
 * load+store, no lock prefix: it is the only writer) and otherwise shares
 * one of a few shared shards (atomic read-modify-write). Readers sum the
 * shards with relaxed loads.
 */
#define EXTATUS__CELL_CHUNK 512u

typedef _Atomic uint64_t extatus__cell;

/* Thread's shard word: 0 = none yet; else (offset << 2) | 2 | exclusive. */
extern __thread uintptr_t extatus__tls_shard EXTATUS__TLS_FAST;
uintptr_t extatus__shard_claim(void);

/* Number of shards (exclusive + shared); fixed after init. */
extern unsigned extatus__shard_count;

int extatus__cells_init(void);
void extatus__cells_shutdown(void);

/* Allocate `count` (<= EXTATUS__CELL_CHUNK) zeroed consecutive cells in every shard. */
int extatus__cells_alloc(size_t count, extatus__cell **out);
void extatus__cells_free(extatus__cell *cells, size_t count);

static inline uintptr_t extatus__shard_word(void)
{
    uintptr_t word = extatus__tls_shard;
    if (EXTATUS__UNLIKELY(word == 0))
        word = extatus__shard_claim();
    return word;
}

/* Add an integer to this thread's copy of cell `cells[index]`. */
static inline void extatus__cell_add(extatus__cell *cell, uint64_t amount)
{
    uintptr_t word = extatus__shard_word();
    extatus__cell *mine = cell + (word >> 2);
    if (word & 1u)
        atomic_store_explicit(mine, atomic_load_explicit(mine, memory_order_relaxed) + amount,
                              memory_order_relaxed);
    else
        atomic_fetch_add_explicit(mine, amount, memory_order_relaxed);
}

/* Add a double to this thread's copy of a cell holding double bits. */
void extatus__cell_add_double_shared(extatus__cell *mine, double amount);

static inline uint64_t extatus__double_bits(double value)
{
    union {
        double d;
        uint64_t u;
    } pun = {.d = value};
    return pun.u;
}

static inline double extatus__bits_double(uint64_t bits)
{
    union {
        uint64_t u;
        double d;
    } pun = {.u = bits};
    return pun.d;
}

static inline void extatus__cell_add_double(extatus__cell *cell, double amount)
{
    uintptr_t word = extatus__shard_word();
    extatus__cell *mine = cell + (word >> 2);
    if (word & 1u) {
        double now = extatus__bits_double(atomic_load_explicit(mine, memory_order_relaxed));
        atomic_store_explicit(mine, extatus__double_bits(now + amount), memory_order_relaxed);
    } else {
        extatus__cell_add_double_shared(mine, amount);
    }
}

/* Sum of a cell over all shards (integers / doubles). */
uint64_t extatus__cell_sum(const extatus__cell *cell);
double extatus__cell_sum_double(const extatus__cell *cell);

#endif /* EXTATUS_CORE_CELLS_H */
