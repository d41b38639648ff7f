/*
 * notify_test.c - extatusd's parser of notification datagrams
 * (tools/extatusd/notify.c): what each key sets, what is ignored, what is
 * refused, and the bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "notify.h"

static int parse(const char *text, notify_message *m)
{
    return notify_parse(text, strlen(text), m);
}

static void test_keys(void **state)
{
    (void)state;
    notify_message m;
    assert_int_equal(parse("READY=1\nSTATUS=Serving 3 clients\nMAINPID=4711\n"
                           "WATCHDOG_USEC=2500000\nERRNO=2\nX_EXTATUS_NAME=backup",
                           &m),
                     0);
    assert_true(m.ready);
    assert_false(m.stopping);
    assert_int_equal(m.mainpid, 4711);
    assert_int_equal(m.watchdog_usec, 2500000);
    assert_int_equal(m.errno_value, 2);
    assert_int_equal(m.status_length, strlen("Serving 3 clients"));
    assert_memory_equal(m.status, "Serving 3 clients", m.status_length);
    assert_int_equal(m.name_length, 6);
    assert_memory_equal(m.name, "backup", 6);
    assert_false(m.name_invalid);
    assert_int_equal(m.assignments, 6);

    assert_int_equal(parse("WATCHDOG=1", &m), 0);
    assert_true(m.watchdog);
    assert_false(m.watchdog_trigger);
    assert_int_equal(parse("WATCHDOG=trigger", &m), 0);
    assert_true(m.watchdog_trigger);
    assert_false(m.watchdog);
    assert_int_equal(parse("STOPPING=1\nBARRIER=1", &m), 0);
    assert_true(m.stopping);
    assert_true(m.barrier);
    assert_null(m.name);
    assert_int_equal(m.errno_value, -1);
}

static void test_ignored_and_refused(void **state)
{
    (void)state;
    notify_message m;
    /* Unknown keys, lines without '=', READY=0: read but without effect. */
    assert_int_equal(parse("FDSTORE=1\nno equals\n=x\nREADY=0\n", &m), 0);
    assert_false(m.ready);
    assert_int_equal(m.assignments, 2); /* FDSTORE=1 and READY=0 */
    /* Nothing to read, or a NUL byte: refused whole. */
    assert_int_equal(parse("", &m), -1);
    assert_int_equal(parse("just text\n\n", &m), -1);
    assert_int_equal(notify_parse("READY=1\0X", 9, &m), -1);
    /* Bad numbers are ignored, not wrapped. */
    assert_int_equal(parse("MAINPID=-5\nWATCHDOG_USEC=12x\nERRNO=5000", &m), 0);
    assert_int_equal(m.mainpid, 0);
    assert_int_equal(m.watchdog_usec, 0);
    assert_int_equal(m.errno_value, -1);
    assert_int_equal(parse("MAINPID=99999999999999999999", &m), 0);
    assert_int_equal(m.mainpid, 0);
    /* A later assignment wins. */
    assert_int_equal(parse("X_EXTATUS_NAME=a\nX_EXTATUS_NAME=bb", &m), 0);
    assert_int_equal(m.name_length, 2);
}

static void test_bounds(void **state)
{
    (void)state;
    notify_message m;
    char text[NOTIFY_DATAGRAM_MAX];
    /* A name of 127 bytes is fine, 128 or none is refused. */
    strcpy(text, "X_EXTATUS_NAME=");
    memset(text + 15, 'n', NOTIFY_NAME_MAX);
    text[15 + NOTIFY_NAME_MAX] = '\0';
    assert_int_equal(parse(text, &m), 0);
    assert_false(m.name_invalid);
    strcat(text, "n");
    assert_int_equal(parse(text, &m), 0);
    assert_true(m.name_invalid);
    assert_int_equal(parse("X_EXTATUS_NAME=", &m), 0);
    assert_true(m.name_invalid);
    /* STATUS= is cut to its bound, never inside a character: 'é' is two bytes. */
    strcpy(text, "STATUS=");
    size_t at = 7;
    memset(text + at, 'x', NOTIFY_STATUS_MAX - 1);
    at += NOTIFY_STATUS_MAX - 1;
    strcpy(text + at, "\xc3\xa9tail");
    assert_int_equal(parse(text, &m), 0);
    assert_int_equal(m.status_length, NOTIFY_STATUS_MAX - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_ignored_and_refused),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
