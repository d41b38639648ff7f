/*
 * proto_encode_test.c - the streaming protobuf writer (src/push/proto_encode.c):
 * every wire type against byte strings worked out by hand from the
 * protobuf encoding rules, embedded messages whose length needs more or
 * fewer bytes than reserved, and allocation failures.
 */
#include "test_support.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "push/proto_encode.h"

static void assert_bytes(const extatus__proto_writer *w, const unsigned char *want, size_t size)
{
    assert_false(extatus__proto_failed(w));
    assert_int_equal(w->size, size);
    assert_memory_equal(w->data, want, size);
}

/* Scalars: {field, value, expected bytes}. */
static void test_varints(void **state)
{
    (void)state;
    static const struct {
        uint32_t field;
        uint64_t value;
        unsigned char bytes[12];
        size_t size;
    } cases[] = {
        {1, 0, {0x08, 0x00}, 2},
        {1, 1, {0x08, 0x01}, 2},
        {1, 127, {0x08, 0x7f}, 2},
        {1, 128, {0x08, 0x80, 0x01}, 3},
        {1, 150, {0x08, 0x96, 0x01}, 3},
        {2, 300, {0x10, 0xac, 0x02}, 3},
        {15, 1, {0x78, 0x01}, 2},
        {16, 1, {0x80, 0x01, 0x01}, 3},
        {1, UINT64_MAX, {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 11},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        extatus__proto_writer w;
        extatus__proto_init(&w);
        extatus__proto_uint64(&w, cases[i].field, cases[i].value);
        assert_bytes(&w, cases[i].bytes, cases[i].size);
        extatus__proto_dispose(&w);
    }
}

static void test_signed(void **state)
{
    (void)state;
    extatus__proto_writer w;
    extatus__proto_init(&w);
    /* int64 -1: ten bytes of two's complement. */
    extatus__proto_int64(&w, 1, -1);
    static const unsigned char minus_one[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
                                              0xff, 0xff, 0xff, 0xff, 0x01};
    assert_bytes(&w, minus_one, sizeof(minus_one));
    /* sint64 zigzag: 0 -> 0, -1 -> 1, 1 -> 2, -2 -> 3, INT64_MIN -> UINT64_MAX. */
    extatus__proto_reset(&w);
    extatus__proto_sint64(&w, 1, 0);
    extatus__proto_sint64(&w, 1, -1);
    extatus__proto_sint64(&w, 1, 1);
    extatus__proto_sint64(&w, 1, -2);
    static const unsigned char zigzag[] = {0x08, 0x00, 0x08, 0x01, 0x08, 0x02, 0x08, 0x03};
    assert_bytes(&w, zigzag, sizeof(zigzag));
    extatus__proto_reset(&w);
    extatus__proto_sint64(&w, 1, INT64_MIN);
    assert_int_equal(w.size, 11);
    assert_int_equal(w.data[10], 0x01);
    extatus__proto_dispose(&w);
}

static void test_fixed_and_double(void **state)
{
    (void)state;
    extatus__proto_writer w;
    extatus__proto_init(&w);
    extatus__proto_double(&w, 1, 1.0); /* 0x3ff0000000000000 little-endian */
    extatus__proto_double(&w, 1, -0.0);
    uint64_t stale_bits = UINT64_C(0x7ff0000000000002);
    double stale;
    memcpy(&stale, &stale_bits, sizeof(stale));
    extatus__proto_double(&w, 2, stale);
    extatus__proto_fixed32(&w, 3, 0x01020304);
    static const unsigned char want[] = {
        0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, /* 1.0 */
        0x09, 0, 0, 0, 0, 0, 0, 0,    0x80, /* -0.0 keeps its sign */
        0x11, 2, 0, 0, 0, 0, 0, 0xf0, 0x7f, /* the stale NaN keeps its payload */
        0x1d, 4, 3, 2, 1,
    };
    assert_bytes(&w, want, sizeof(want));
    extatus__proto_dispose(&w);
}

static void test_strings(void **state)
{
    (void)state;
    extatus__proto_writer w;
    extatus__proto_init(&w);
    extatus__proto_string(&w, 2, "testing");
    extatus__proto_string(&w, 1, "");
    static const unsigned char want[] = {0x12, 7, 't', 'e', 's', 't', 'i', 'n', 'g', 0x0a, 0};
    assert_bytes(&w, want, sizeof(want));
    extatus__proto_dispose(&w);
}

static size_t varint_size(size_t value)
{
    return value < 128 ? 1 : value < 16384 ? 2 : value < 2097152 ? 3 : 4;
}

/*
 * An embedded message (field 3) holding one bytes field of `filler_length`
 * bytes, between two varint fields, with the writer guessing `guess`.
 */
static void check_embedded(size_t filler_length, size_t guess)
{
    extatus__proto_writer w;
    extatus__proto_init(&w);
    extatus__proto_uint64(&w, 1, 5);
    extatus__proto_begin(&w, 3, guess);
    char *filler = test_malloc(filler_length + 1);
    memset(filler, 'x', filler_length);
    extatus__proto_bytes(&w, 1, filler, filler_length);
    extatus__proto_end(&w);
    extatus__proto_uint64(&w, 2, 7);
    assert_false(extatus__proto_failed(&w));
    size_t body_size = 1 + varint_size(filler_length) + filler_length;
    size_t length_size = varint_size(body_size);
    /* 08 05 | 1a <length> 0a <filler length> <filler> | 10 07 */
    assert_int_equal(w.size, 2 + 1 + length_size + body_size + 2);
    assert_int_equal(w.data[2], 0x1a);
    uint64_t length = 0;
    for (size_t i = 0; i < length_size; i++) {
        assert_int_equal(w.data[3 + i] & 0x80, i + 1 < length_size ? 0x80 : 0);
        length |= (uint64_t)(w.data[3 + i] & 0x7f) << (7 * i);
    }
    assert_int_equal(length, body_size);
    assert_int_equal(w.data[3 + length_size], 0x0a);
    assert_int_equal(w.data[w.size - 2], 0x10);
    assert_int_equal(w.data[w.size - 1], 0x07);
    assert_int_equal(w.data[w.size - 3], 'x');
    test_free(filler);
    extatus__proto_dispose(&w);
}

static void test_embedded_lengths(void **state)
{
    (void)state;
    /* Bodies of 3, 127, 128, 16382, 16383, 16384 bytes and larger. */
    static const size_t fillers[] = {1, 125, 126, 200, 16379, 16380, 16381, 20000, 3000000};
    static const size_t guesses[] = {0, 100, 1000, 100000};
    for (size_t f = 0; f < sizeof(fillers) / sizeof(fillers[0]); f++)
        for (size_t g = 0; g < sizeof(guesses) / sizeof(guesses[0]); g++)
            check_embedded(fillers[f], guesses[g]);
}

static void test_nested_and_packed(void **state)
{
    (void)state;
    extatus__proto_writer w;
    extatus__proto_init(&w);
    extatus__proto_begin(&w, 1, 0); /* outer */
    extatus__proto_begin(&w, 2, 0); /* inner */
    extatus__proto_uint64(&w, 1, 150);
    extatus__proto_end(&w);
    extatus__proto_begin(&w, 4, 0); /* packed 3, 270, 86942 */
    extatus__proto_raw_varint(&w, 3);
    extatus__proto_raw_varint(&w, 270);
    extatus__proto_raw_varint(&w, 86942);
    extatus__proto_end(&w);
    extatus__proto_end(&w);
    static const unsigned char want[] = {0x0a, 13,   0x12, 3,    0x08, 0x96, 0x01, 0x22,
                                         6,    0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05};
    assert_bytes(&w, want, sizeof(want));
    extatus__proto_dispose(&w);
}

static void test_unpaired(void **state)
{
    (void)state;
    extatus__proto_writer w;
    extatus__proto_init(&w);
    extatus__proto_begin(&w, 1, 0);
    assert_true(extatus__proto_failed(&w)); /* still open */
    extatus__proto_end(&w);
    assert_false(extatus__proto_failed(&w));
    extatus__proto_end(&w); /* one end too many */
    assert_true(extatus__proto_failed(&w));
    extatus__proto_reset(&w);
    for (int i = 0; i <= EXTATUS_PROTO_MAX_DEPTH; i++)
        extatus__proto_begin(&w, 1, 0);
    assert_true(extatus__proto_failed(&w));
    extatus__proto_dispose(&w);
}

static void test_allocation_failure(void **state)
{
    (void)state;
    test_alloc_install();
    for (unsigned long nth = 1; nth <= 4; nth++) {
        test_alloc_fail_at(nth);
        extatus__proto_writer w;
        extatus__proto_init(&w);
        char big[600];
        memset(big, 'y', sizeof(big));
        for (int i = 0; i < 8; i++)
            extatus__proto_bytes(&w, 1, big, sizeof(big));
        assert_true(extatus__proto_failed(&w)); /* sticky: checked once at the end */
        extatus__proto_dispose(&w);
        assert_int_equal(test_alloc_live(), 0);
    }
    test_alloc_fail_at(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varints),          cmocka_unit_test(test_signed),
        cmocka_unit_test(test_fixed_and_double), cmocka_unit_test(test_strings),
        cmocka_unit_test(test_embedded_lengths), cmocka_unit_test(test_nested_and_packed),
        cmocka_unit_test(test_unpaired),         cmocka_unit_test(test_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
