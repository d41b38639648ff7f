/*
 * cells.c - sharded 64-bit cells for the hot path (see internal.h).
 *
 * Memory: a block holds EXTATUS__CELL_CHUNK cells for each of the
 * extatus__shard_count shards, so one cell costs 8 bytes per shard. The
 * shard count is fixed at set-up from the number of CPUs and capped
 * (MAX_EXCLUSIVE + MAX_SHARED), so memory per series does not grow with
 * the core count beyond that cap.
 *
 * Ownership: a thread's first update claims a free exclusive shard (it is
 * then the only writer of that shard and may use plain load+store); when
 * none is free it is given one of the shared shards (atomic add). A
 * thread-specific-data destructor gives the exclusive shard back when the
 * thread exits; the mutex orders the old owner's last store before the new
 * owner's first load. Ownership survives extatus_shutdown(), since threads
 * keep their claim across a re-initialisation.
 */
#include "core/internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_EXCLUSIVE 16
#define MAX_SHARED    4
#define CACHE_LINE    64

__thread uintptr_t extatus__tls_shard EXTATUS__TLS_FAST;
unsigned extatus__shard_count;

static unsigned exclusive_count;
static unsigned shared_count;

/* Shard ownership: lives for the whole process (see above). */
static pthread_mutex_t shard_lock = PTHREAD_MUTEX_INITIALIZER;
static bool exclusive_taken[MAX_EXCLUSIVE];
static unsigned next_shared;
static pthread_key_t shard_key;
static pthread_once_t shard_key_once = PTHREAD_ONCE_INIT;
static int shard_key_error;

/* Blocks and free runs, guarded by cells_lock. */
typedef struct block {
    void *raw;            /* allocation to free */
    extatus__cell *cells; /* cache-line aligned start: shard 0's chunk */
} block;

typedef struct run_list {
    extatus__cell **runs; /* shard-0 pointers of free runs of one length */
    size_t count;         /* entries used */
    size_t capacity;      /* entries allocated */
} run_list;

static pthread_mutex_t cells_lock = PTHREAD_MUTEX_INITIALIZER;
static block *blocks;
static size_t block_count;
static size_t block_capacity;
static size_t last_block_used; /* cells handed out from the newest block */
static run_list free_runs[EXTATUS__CELL_CHUNK + 1];

static void release_shard(void *value)
{
    unsigned shard = (unsigned)(uintptr_t)value - 1;
    pthread_mutex_lock(&shard_lock);
    if (shard < MAX_EXCLUSIVE)
        exclusive_taken[shard] = false;
    pthread_mutex_unlock(&shard_lock);
    extatus__tls_shard = 0;
}

static void create_shard_key(void)
{
    shard_key_error = pthread_key_create(&shard_key, release_shard);
}

static unsigned clamp_unsigned(long value, unsigned low, unsigned high)
{
    if (value < (long)low)
        return low;
    if (value > (long)high)
        return high;
    return (unsigned)value;
}

int extatus__cells_init(void)
{
    pthread_once(&shard_key_once, create_shard_key);
    if (shard_key_error)
        return extatus__error(EXTATUS_ERR_SYSTEM, "cannot create the thread shard key");
#ifdef EXTATUS_BENCH_CPUS
    long cpus = EXTATUS_BENCH_CPUS; /* a benchmark build sized for a bigger machine */
#else
    long cpus = sysconf(_SC_NPROCESSORS_CONF);
#endif
    if (cpus < 1)
        cpus = 1;
    exclusive_count = clamp_unsigned(2 * cpus, 2, MAX_EXCLUSIVE);
    shared_count = clamp_unsigned(cpus / 4, 1, MAX_SHARED);
    extatus__shard_count = exclusive_count + shared_count;
    return EXTATUS_OK;
}

void extatus__cells_shutdown(void)
{
    pthread_mutex_lock(&cells_lock);
    for (size_t i = 0; i < block_count; i++)
        extatus__free(blocks[i].raw);
    extatus__free(blocks);
    blocks = NULL;
    block_count = block_capacity = last_block_used = 0;
    for (size_t i = 0; i <= EXTATUS__CELL_CHUNK; i++) {
        extatus__free(free_runs[i].runs);
        free_runs[i] = (run_list){NULL, 0, 0};
    }
    pthread_mutex_unlock(&cells_lock);
}

uintptr_t extatus__shard_claim(void)
{
    unsigned shard = 0;
    bool exclusive = false;
    pthread_mutex_lock(&shard_lock);
    for (unsigned s = 0; s < exclusive_count; s++) {
        if (!exclusive_taken[s]) {
            exclusive_taken[s] = true;
            shard = s;
            exclusive = true;
            break;
        }
    }
    if (!exclusive)
        shard = exclusive_count + (next_shared++ % shared_count);
    pthread_mutex_unlock(&shard_lock);
    /* Only an exclusive claim needs giving back at thread exit. */
    if (exclusive && pthread_setspecific(shard_key, (void *)(uintptr_t)(shard + 1)) != 0) {
        pthread_mutex_lock(&shard_lock);
        exclusive_taken[shard] = false;
        pthread_mutex_unlock(&shard_lock);
        shard = exclusive_count;
        exclusive = false;
    }
    uintptr_t word = ((uintptr_t)shard * EXTATUS__CELL_CHUNK << 2) | 2u | (exclusive ? 1u : 0u);
    extatus__tls_shard = word;
    return word;
}

void extatus__cell_add_double_shared(extatus__cell *mine, double amount)
{
    uint64_t old = atomic_load_explicit(mine, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(
        mine, &old, extatus__double_bits(extatus__bits_double(old) + amount), memory_order_relaxed,
        memory_order_relaxed)) {
    }
}

uint64_t extatus__cell_sum(const extatus__cell *cell)
{
    uint64_t sum = 0;
    for (size_t s = 0; s < extatus__shard_count; s++)
        sum += atomic_load_explicit((extatus__cell *)(uintptr_t)(cell + s * EXTATUS__CELL_CHUNK),
                                    memory_order_relaxed);
    return sum;
}

double extatus__cell_sum_double(const extatus__cell *cell)
{
    double sum = 0;
    for (size_t s = 0; s < extatus__shard_count; s++)
        sum += extatus__bits_double(atomic_load_explicit(
            (extatus__cell *)(uintptr_t)(cell + s * EXTATUS__CELL_CHUNK), memory_order_relaxed));
    return sum;
}

static void zero_run(extatus__cell *cells, size_t count)
{
    for (size_t s = 0; s < extatus__shard_count; s++)
        for (size_t i = 0; i < count; i++)
            atomic_store_explicit(cells + s * EXTATUS__CELL_CHUNK + i, 0, memory_order_relaxed);
}

static int add_block(void)
{
    if (block_count == block_capacity) {
        size_t capacity = block_capacity ? block_capacity * 2 : 8;
        block *grown = extatus__realloc(blocks, capacity * sizeof(*grown));
        if (!grown)
            return EXTATUS_ERR_NOMEM;
        blocks = grown;
        block_capacity = capacity;
    }
    size_t bytes = (size_t)EXTATUS__CELL_CHUNK * extatus__shard_count * sizeof(extatus__cell);
    void *raw = extatus__calloc(1, bytes + CACHE_LINE);
    if (!raw)
        return EXTATUS_ERR_NOMEM;
    uintptr_t aligned = ((uintptr_t)raw + CACHE_LINE - 1) & ~(uintptr_t)(CACHE_LINE - 1);
    blocks[block_count].raw = raw;
    blocks[block_count].cells = (extatus__cell *)aligned;
    block_count++;
    last_block_used = 0;
    return EXTATUS_OK;
}

int extatus__cells_alloc(size_t count, extatus__cell **out)
{
    if (count == 0 || count > EXTATUS__CELL_CHUNK)
        return extatus__error(EXTATUS_ERR_INVALID, "cannot allocate %zu cells (1..%u)", count,
                              EXTATUS__CELL_CHUNK);
    pthread_mutex_lock(&cells_lock);
    run_list *list = &free_runs[count];
    if (list->count) {
        *out = list->runs[--list->count];
        zero_run(*out, count);
        pthread_mutex_unlock(&cells_lock);
        return EXTATUS_OK;
    }
    if (block_count == 0 || EXTATUS__CELL_CHUNK - last_block_used < count) {
        if (add_block() != EXTATUS_OK) {
            pthread_mutex_unlock(&cells_lock);
            return extatus__error(EXTATUS_ERR_NOMEM, "cannot allocate a block of cells");
        }
    }
    *out = blocks[block_count - 1].cells + last_block_used;
    last_block_used += count;
    pthread_mutex_unlock(&cells_lock);
    return EXTATUS_OK;
}

void extatus__cells_free(extatus__cell *cells, size_t count)
{
    if (!cells || count == 0 || count > EXTATUS__CELL_CHUNK)
        return;
    pthread_mutex_lock(&cells_lock);
    run_list *list = &free_runs[count];
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 16;
        extatus__cell **grown = extatus__realloc(list->runs, capacity * sizeof(*grown));
        if (!grown) {
            /* Keep the cells unused rather than fail a free: a bounded leak until shutdown. */
            pthread_mutex_unlock(&cells_lock);
            return;
        }
        list->runs = grown;
        list->capacity = capacity;
    }
    list->runs[list->count++] = cells;
    pthread_mutex_unlock(&cells_lock);
}
