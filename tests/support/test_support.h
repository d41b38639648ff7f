/*
 * test_support.h - helpers shared by the tests.
 */
#ifndef EXTATUS_TEST_SUPPORT_H
#define EXTATUS_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "extatus.h"

/* Assert that `call` returned `code`; print the thread's error message if not. */
#define assert_extatus(code, call)                                                                 \
    do {                                                                                           \
        int extatus_test_rc_ = (call);                                                             \
        if (extatus_test_rc_ != (code))                                                            \
            print_error("%s returned %d (%s), last error: %s\n", #call, extatus_test_rc_,          \
                        extatus_strerror(extatus_test_rc_), extatus_error_last());                 \
        assert_int_equal(extatus_test_rc_, (code));                                                \
    } while (0)

#define assert_ok(call) assert_extatus(EXTATUS_OK, call)

/* Read a whole file into a NUL-terminated malloc'd string (NULL on error). */
char *test_read_file(const char *path, size_t *size);

/* Path of a file under tests/data (static buffer). */
const char *test_data_path(const char *name);

/*
 * An allocator that fails the Nth allocation (1-based; 0 never fails) and
 * counts live allocations, for failure-injection tests.
 */
void test_alloc_install(void);
void test_alloc_fail_at(unsigned long nth);
/*
 * As test_alloc_fail_at, counting only the calling thread's allocations:
 * for calls that start threads of their own (the worker-status handler),
 * whose allocations must not take the failure meant for the call.
 */
void test_alloc_fail_at_on_this_thread(unsigned long nth);
unsigned long test_alloc_count(void); /* allocations attempted since install */
long test_alloc_live(void);           /* allocations not yet freed */

#endif /* EXTATUS_TEST_SUPPORT_H */
