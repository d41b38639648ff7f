/*
 * negotiate_test.c - Accept and Accept-Encoding negotiation
 * (src/http/negotiate.c), as tables of header values and the answer
 * RFC 9110 and the Prometheus exposition rules call for.
 */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

#define TEXT EXTATUS_FORMAT_TEXT
#define OM   EXTATUS_FORMAT_OPENMETRICS

typedef struct accept_case {
    const char *accept; /* Accept value; NULL: no header */
    extatus_format expected;
    const char *why;
} accept_case;

static const accept_case accept_cases[] = {
    {NULL, TEXT, "no header: text"},
    {"", TEXT, "empty header: text"},
    {"*/*", TEXT, "anything: our default, text"},
    {"text/plain", TEXT, "text without version is 0.0.4"},
    {"text/plain;version=0.0.4", TEXT, "text 0.0.4"},
    {"application/openmetrics-text;version=1.0.0", OM, "OpenMetrics 1.0.0"},
    {"application/openmetrics-text; version=1.0.0; charset=utf-8", OM, "with charset"},
    {"APPLICATION/OpenMetrics-Text;VERSION=1.0.0", OM, "type and parameter names ignore case"},
    {"application/openmetrics-text;version=\"1.0.0\"", OM, "quoted version"},
    {"application/openmetrics-text", TEXT, "OpenMetrics without version is 0.0.1: not served"},
    {"application/openmetrics-text;version=0.0.1", TEXT, "OpenMetrics 0.0.1: not served"},
    {"application/openmetrics-text;version=2.0.0", TEXT, "OpenMetrics 2.0.0: not served"},
    {"application/openmetrics-text;version=1.0.0;charset=latin1", TEXT, "other charset"},
    {"application/openmetrics-text;version=1.0.0;charset=UTF-8", OM, "charset ignores case"},
    /* Prometheus 2.x default */
    {"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
     "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
     OM, "Prometheus 2 default"},
    /* Prometheus 3.x default */
    {"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/"
     "openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
     "text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
     OM, "Prometheus 3 default"},
    /* Prometheus 3 with protobuf first */
    {"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;"
     "q=0.6,application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3",
     OM, "protobuf first: the best we have is OpenMetrics"},
    {"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
     TEXT, "protobuf only: fall back to text"},
    {"text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.8", TEXT,
     "text ranked higher"},
    {"text/plain;q=0.2, application/openmetrics-text;version=1.0.0", OM,
     "OpenMetrics ranked higher"},
    {"application/openmetrics-text;version=1.0.0;q=0", TEXT, "q=0 excludes OpenMetrics"},
    {"application/openmetrics-text;version=1.0.0;q=0.000, */*", TEXT, "q=0.000 excludes too"},
    {"application/openmetrics-text;version=1.0.0;q=0.001", OM, "q=0.001 is still acceptable"},
    {"*/*;q=0.1, application/openmetrics-text;version=1.0.0;q=0", TEXT,
     "the specific q=0 overrides */*"},
    {"application/*", OM, "application/* covers every application type"},
    {"application/*;q=0.9, text/*;q=0.5", OM, "wildcard subtypes, OpenMetrics ranked higher"},
    {"application/*;q=0.4, text/*;q=0.5", TEXT, "wildcard subtypes, text ranked higher"},
    {"application/*, application/openmetrics-text;version=1.0.0;q=0", TEXT,
     "the more specific range decides"},
    {"text/plain;version=1.0.0", TEXT, "text 1.0.0 only: nothing matches, fall back to text"},
    {"text/plain;version=0.0.4;q=0, application/openmetrics-text;version=1.0.0;q=0.1", OM,
     "text excluded, OpenMetrics acceptable"},
    {"text/plain;version=0.0.4;q=0, application/openmetrics-text;q=1", TEXT,
     "nothing acceptable: text anyway"},
    {"application/openmetrics-text;version=1.0.0, text/plain;version=0.0.4", OM,
     "equal weights and specificity: the first listed"},
    {"text/plain;version=0.0.4, application/openmetrics-text;version=1.0.0", TEXT,
     "equal weights and specificity: the first listed (text)"},
    {"*/*, application/openmetrics-text;version=1.0.0", OM, "equal weights: the more specific"},
    {"application/openmetrics-text ; version=1.0.0 ; q=0.5 , text/plain ; q=0.4", OM,
     "optional whitespace"},
    {"application/openmetrics-text;version=1.0.0;q=0.5;ext=1, text/plain;q=0.4", OM,
     "parameters after q are extensions"},
    {"application/openmetrics-text;version=1.0.0;q=1.5", TEXT, "q above 1 is invalid: ignored"},
    {"application/openmetrics-text;version=1.0.0;q=0.1234", TEXT, "four decimals: invalid"},
    {"application/openmetrics-text;version=1.0.0;q=abc, text/plain;q=0.1", TEXT, "bad q"},
    {"application/openmetrics-text;version=1.0.0;q=1.000", OM, "q=1.000"},
    {"application/openmetrics-text;version=1.0.0;q=1.001", TEXT, "q=1.001 invalid"},
    {"application/openmetrics-text;version=1.0.0;q=", TEXT, "empty q"},
    {"application/openmetrics-text;version=1.0.0;foo=bar", TEXT, "unknown parameter"},
    {"garbage, application/openmetrics-text;version=1.0.0", OM, "a bad element is skipped"},
    {"application/openmetrics-text;version=\"1.0.0, text/plain", TEXT, "unterminated quote"},
    {"*/plain", TEXT, "*/subtype is invalid"},
    {",,, ,application/openmetrics-text;version=1.0.0,,", OM, "empty elements"},
    {"application/openmetrics-text;version=1.0.0;;q=0.5, text/plain;q=0.4", OM, "empty parameter"},
    {"application/openmetrics-text;version=\"1.\\0.0\"", OM, "quoted-pair in a value"},
    {"application/openmetrics-text;version=1.0.0;escaping=underscores", OM, "escaping ignored"},
    {"application/openmetrics-text;version=1.0.0 x, text/plain", TEXT, "trailing junk: invalid"},
    {";;;", TEXT, "only separators"},
    {"application/openmetrics-text;version=1.0.0;a=1;b=2;c=3;d=4;e=5;f=6;g=7;h=8;i=9", TEXT,
     "too many parameters"},
};

static void test_accept_table(void **state)
{
    size_t failed = 0;
    (void)state;
    for (size_t i = 0; i < sizeof accept_cases / sizeof accept_cases[0]; i++) {
        const accept_case *c = &accept_cases[i];
        extatus_format got = extatus__http_negotiate_format(c->accept);
        if (got != c->expected) {
            print_error("Accept \"%s\" (%s): got %s, expected %s\n",
                        c->accept ? c->accept : "(none)", c->why,
                        got == OM ? "OpenMetrics" : "text",
                        c->expected == OM ? "OpenMetrics" : "text");
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

/* A long value is never read past its end, and a long parameter never matches. */
static void test_accept_long(void **state)
{
    char header[8192];
    size_t used;
    (void)state;

    used = (size_t)snprintf(header, sizeof header, "application/openmetrics-text;version=");
    memset(header + used, '1', 1000);
    header[used + 1000] = '\0';
    assert_int_equal(extatus__http_negotiate_format(header), TEXT);

    used = 0;
    while (used + 64 < sizeof header)
        used += (size_t)snprintf(header + used, sizeof header - used, "text/x%zu;q=0.1,", used);
    snprintf(header + used, sizeof header - used, "application/openmetrics-text;version=1.0.0");
    assert_int_equal(extatus__http_negotiate_format(header), OM);
}

typedef struct encoding_case {
    const char *accept_encoding; /* NULL: no header */
    bool gzip;
    const char *why;
} encoding_case;

static const encoding_case encoding_cases[] = {
    {NULL, false, "no header: identity"},
    {"", false, "empty header: identity"},
    {"gzip", true, "gzip"},
    {"GZIP", true, "case-insensitive"},
    {"x-gzip", true, "x-gzip means gzip"},
    {"gzip, deflate, br", true, "Prometheus / browsers"},
    {"deflate, br, zstd", false, "codings we do not have"},
    {"*", true, "anything"},
    {"*;q=0", false, "nothing but identity? *;q=0 excludes gzip"},
    {"gzip;q=0", false, "gzip excluded"},
    {"gzip;q=0.000", false, "gzip excluded, three decimals"},
    {"gzip;q=0, *", false, "explicit q=0 beats *"},
    {"*, gzip;q=0", false, "explicit q=0 beats *, any order"},
    {"gzip;q=0.5, identity;q=1", false, "identity preferred"},
    {"gzip;q=1, identity;q=0.5", true, "gzip preferred"},
    {"gzip;q=0.5, identity;q=0.5", true, "tie: gzip"},
    {"gzip;q=0.5", true, "gzip only, low weight: identity is not listed"},
    {"identity", false, "identity only"},
    {"identity;q=0, gzip;q=0.1", true, "identity excluded"},
    {"identity;q=0, *;q=0", false, "nothing acceptable: identity anyway"},
    {"*;q=0.5, identity;q=0.4", true, "gzip through *, above identity"},
    {"*;q=0.3, identity;q=0.4", false, "gzip through *, below identity"},
    {"gzip;q=2", false, "invalid weight: ignored"},
    {"gzip;q=abc", false, "bad weight: ignored"},
    {"gzip ; q=0.8", true, "whitespace"},
    {"gzip;level=9", true, "unknown parameter ignored"},
    {"gzip x", false, "junk after the coding"},
    {",, gzip ,,", true, "empty elements"},
    {"gzip;q=0, x-gzip;q=0.5", true, "the higher of the two spellings"},
    {"br;q=1.0, gzip;q=0.8, *;q=0.1", true, "curl --compressed style"},
};

static void test_encoding_table(void **state)
{
    size_t failed = 0;
    (void)state;
    for (size_t i = 0; i < sizeof encoding_cases / sizeof encoding_cases[0]; i++) {
        const encoding_case *c = &encoding_cases[i];
        bool got = extatus__http_accepts_gzip(c->accept_encoding);
        if (got != c->gzip) {
            print_error("Accept-Encoding \"%s\" (%s): got %s, expected %s\n",
                        c->accept_encoding ? c->accept_encoding : "(none)", c->why,
                        got ? "gzip" : "identity", c->gzip ? "gzip" : "identity");
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

/*
 * Random headers built from the characters that matter to the parser:
 * neither function may read outside the value (the ASan build of this test
 * checks that) or answer anything but one of its two results.
 */
static void test_random_headers(void **state)
{
    static const char alphabet[] = "/*;,=\"\\ \tq0123.456789abcdegilmnoprstxzAGOPT-\x01\xff";
    uint64_t seed = 0x2545f4914f6cdd1dull;
    char header[96];
    (void)state;

    for (int round = 0; round < 200000; round++) {
        size_t length;
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        length = (size_t)(seed % sizeof header);
        for (size_t i = 0; i < length; i++) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            header[i] = alphabet[seed % (sizeof alphabet - 1)];
        }
        header[length] = '\0';
        /* Exactly as long as the string: a read past the end is a heap overflow. */
        char *exact = malloc(length + 1);
        memcpy(exact, header, length + 1);
        extatus_format format = extatus__http_negotiate_format(exact);
        assert_true(format == TEXT || format == OM);
        bool gzip = extatus__http_accepts_gzip(exact);
        assert_true(gzip == true || gzip == false);
        free(exact);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_table),
        cmocka_unit_test(test_accept_long),
        cmocka_unit_test(test_encoding_table),
        cmocka_unit_test(test_random_headers),
    };
    return cmocka_run_group_tests_name("http/negotiate", tests, NULL, NULL);
}
