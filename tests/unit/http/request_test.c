/*
 * request_test.c - the framing rules of a request head
 * (src/http/request.c), as a table of header sets and the answer RFC 9112
 * calls for: 0 (serve), 400 or 501.
 */
#include "test_support.h"

#include <stdio.h>
#include <string.h>

#include "http/http.h"

#define MAX_LINES 4

typedef struct framing_case {
    const char *why;
    bool http_1_0;
    const char *lines[MAX_LINES][2]; /* name, value; NULL name ends */
    unsigned expected;
} framing_case;

static const framing_case cases[] = {
    {"plain GET", false, {{"Host", "x"}, {"Accept", "*/*"}}, 0},
    {"one Content-Length", false, {{"Host", "x"}, {"Content-Length", "34"}}, 0},
    {"chunked alone", false, {{"Host", "x"}, {"Transfer-Encoding", "chunked"}}, 0},
    {"chunked, any case and spaces", false, {{"Transfer-Encoding", " Chunked "}}, 0},
    {"CL then TE", false, {{"Content-Length", "34"}, {"Transfer-Encoding", "chunked"}}, 400},
    {"TE then CL", false, {{"Transfer-Encoding", "chunked"}, {"Content-Length", "34"}}, 400},
    {"two different CL", false, {{"Content-Length", "0"}, {"Content-Length", "34"}}, 400},
    {"two equal CL", false, {{"Content-Length", "34"}, {"Content-Length", "34"}}, 400},
    {"CL list", false, {{"Content-Length", "34, 34"}}, 400},
    {"CL empty", false, {{"Content-Length", ""}}, 400},
    {"CL signed", false, {{"Content-Length", "+34"}}, 400},
    {"space before the colon", false, {{"Content-Length ", "34"}}, 400},
    {"tab before the colon", false, {{"Host\t", "x"}}, 400},
    {"name with a slash", false, {{"X/Y", "1"}}, 400},
    {"empty name", false, {{"", "1"}}, 400},
    {"duplicate Host", false, {{"Host", "x"}, {"host", "y"}}, 400},
    {"unknown coding", false, {{"Transfer-Encoding", "gzip"}}, 501},
    {"unknown before chunked", false, {{"Transfer-Encoding", "gzip, chunked"}}, 501},
    {"chunked not last", false, {{"Transfer-Encoding", "chunked, gzip"}}, 400},
    {"chunked twice", false, {{"Transfer-Encoding", "chunked, chunked"}}, 400},
    {"chunked then gzip on two lines",
     false,
     {{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "gzip"}},
     400},
    {"chunked with a parameter", false, {{"Transfer-Encoding", "chunked;x=1"}}, 0},
    {"empty Transfer-Encoding", false, {{"Transfer-Encoding", ""}}, 400},
    {"TE in HTTP/1.0", true, {{"Transfer-Encoding", "chunked"}}, 400},
    {"CL in HTTP/1.0", true, {{"Content-Length", "3"}}, 0},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        extatus__http_framing framing;
        const char *reason = NULL;
        extatus__http_framing_init(&framing, cases[i].http_1_0);
        for (size_t l = 0; l < MAX_LINES && cases[i].lines[l][0]; l++)
            extatus__http_framing_add(&framing, cases[i].lines[l][0], strlen(cases[i].lines[l][0]),
                                      cases[i].lines[l][1], strlen(cases[i].lines[l][1]));
        unsigned status = extatus__http_framing_verdict(&framing, &reason);
        if (status != cases[i].expected)
            fail_msg("%s: %u, expected %u", cases[i].why, status, cases[i].expected);
        if (status != 0 && (!reason || !reason[0]))
            fail_msg("%s: refused without a reason", cases[i].why);
    }
}

/* A NUL inside a value (given with its length) is refused; a NULL value is empty. */
static void test_nul_and_null_value(void **state)
{
    extatus__http_framing framing;
    (void)state;
    extatus__http_framing_init(&framing, false);
    extatus__http_framing_add(&framing, "X-A", 3, "a\0b", 3);
    assert_int_equal(extatus__http_framing_verdict(&framing, NULL), 400);
    extatus__http_framing_init(&framing, false);
    extatus__http_framing_add(&framing, "X-A", 3, NULL, 0);
    assert_int_equal(extatus__http_framing_verdict(&framing, NULL), 0);
    extatus__http_framing_init(&framing, false);
    extatus__http_framing_add(&framing, "Content-Length", 14, NULL, 0);
    assert_int_equal(extatus__http_framing_verdict(&framing, NULL), 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_nul_and_null_value),
    };
    return cmocka_run_group_tests_name("http/request", tests, NULL, NULL);
}
