/*
 * test_support.c - helpers shared by the tests.
 */
#include "test_support.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *test_read_file(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    char *text = NULL;
    size_t used = 0, capacity = 0;
    for (;;) {
        if (capacity - used < 4096) {
            capacity = capacity ? capacity * 2 : 8192;
            char *grown = realloc(text, capacity);
            if (!grown) {
                free(text);
                fclose(file);
                return NULL;
            }
            text = grown;
        }
        size_t got = fread(text + used, 1, capacity - used - 1, file);
        used += got;
        if (got == 0)
            break;
    }
    fclose(file);
    text[used] = '\0';
    if (size)
        *size = used;
    return text;
}

const char *test_data_path(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/%s", EXTATUS_TEST_DATA_DIR, name);
    return path;
}

static atomic_ulong alloc_attempts;
static atomic_ulong alloc_fail_at;
static atomic_long alloc_live;
static atomic_bool alloc_one_thread; /* count and fail only alloc_thread's allocations */
static pthread_t alloc_thread;

/* Whether this allocation is the one to fail (and count it). */
static bool alloc_should_fail(void)
{
    if (atomic_load(&alloc_one_thread) && !pthread_equal(pthread_self(), alloc_thread))
        return false;
    unsigned long n = atomic_fetch_add(&alloc_attempts, 1) + 1;
    return atomic_load(&alloc_fail_at) == n;
}

static void *counting_malloc(size_t size, void *user)
{
    (void)user;
    if (alloc_should_fail())
        return NULL;
    void *ptr = malloc(size);
    if (ptr)
        atomic_fetch_add(&alloc_live, 1);
    return ptr;
}

static void *counting_realloc(void *ptr, size_t size, void *user)
{
    (void)user;
    if (alloc_should_fail())
        return NULL;
    void *grown = realloc(ptr, size);
    if (grown && !ptr)
        atomic_fetch_add(&alloc_live, 1);
    return grown;
}

static void counting_free(void *ptr, void *user)
{
    (void)user;
    if (ptr)
        atomic_fetch_sub(&alloc_live, 1);
    free(ptr);
}

void test_alloc_install(void)
{
    static const extatus_allocator allocator = {counting_malloc, counting_realloc, counting_free,
                                                NULL};
    atomic_store(&alloc_attempts, 0);
    atomic_store(&alloc_fail_at, 0);
    atomic_store(&alloc_live, 0);
    extatus_set_allocator(&allocator);
}

void test_alloc_fail_at(unsigned long nth)
{
    atomic_store(&alloc_one_thread, false);
    atomic_store(&alloc_attempts, 0);
    atomic_store(&alloc_fail_at, nth);
}

void test_alloc_fail_at_on_this_thread(unsigned long nth)
{
    atomic_store(&alloc_one_thread, false);
    alloc_thread = pthread_self();
    atomic_store(&alloc_attempts, 0);
    atomic_store(&alloc_fail_at, nth);
    atomic_store(&alloc_one_thread, nth != 0);
}

unsigned long test_alloc_count(void)
{
    return atomic_load(&alloc_attempts);
}

long test_alloc_live(void)
{
    return atomic_load(&alloc_live);
}
