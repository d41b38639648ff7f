/*
 * request.c - the framing rules of a request head that libmicrohttpd
 * does not enforce itself (RFC 9112): a message whose body length two
 * parts of the chain could read differently is refused and its
 * connection closed, so that no bytes of it are taken for a second
 * request (request smuggling).
 *
 *   - a header name that is not a token (whitespace before the colon,
 *     5.1), or a field value holding a NUL: 400;
 *   - more than one Host line (3.2), more than one Content-Length line, or
 *     one that is not a decimal number (6.3 item 5): 400;
 *   - Transfer-Encoding together with Content-Length (6.3 item 3), with
 *     chunked not the final coding (6.3 item 4), or in an HTTP/1.0
 *     request (6.1): 400;
 *   - Transfer-Encoding naming any coding but chunked (6.1): 501.
 */
#include "http.h"

#include <string.h>
#include <strings.h>

void extatus__http_framing_init(extatus__http_framing *framing, bool http_1_0)
{
    memset(framing, 0, sizeof *framing);
    framing->http_1_0 = http_1_0;
}

static bool token_char(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool same_name(const char *name, size_t length, const char *expected)
{
    return length == strlen(expected) && strncasecmp(name, expected, length) == 0;
}

static void refuse(extatus__http_framing *framing, unsigned status, const char *reason)
{
    if (framing->status == 0) { /* the first fault is the one reported */
        framing->status = status;
        framing->reason = reason;
    }
}

/* Read the codings of one Transfer-Encoding line, in order. */
static void add_codings(extatus__http_framing *framing, const char *value, size_t length)
{
    size_t i = 0;
    while (i < length) {
        while (i < length && (value[i] == ' ' || value[i] == '\t' || value[i] == ','))
            i++;
        size_t start = i;
        while (i < length && value[i] != ',' && value[i] != ';' && value[i] != ' ' &&
               value[i] != '\t')
            i++;
        if (i == start)
            continue;
        if (framing->chunked_seen) /* something follows chunked */
            framing->chunked_not_last = true;
        if (same_name(value + start, i - start, "chunked"))
            framing->chunked_seen = true;
        else
            framing->unknown_coding = true;
        while (i < length && value[i] != ',') /* parameters: a coding we do not know anyway */
            i++;
    }
}

void extatus__http_framing_add(extatus__http_framing *framing, const char *name, size_t name_length,
                               const char *value, size_t value_length)
{
    if (!value) {
        value = "";
        value_length = 0;
    }
    if (name_length == 0)
        refuse(framing, 400, "a header line has no name");
    for (size_t i = 0; i < name_length; i++)
        if (!token_char((unsigned char)name[i])) {
            refuse(framing, 400,
                   "a header name holds whitespace or a character that is not allowed");
            break;
        }
    if (memchr(value, '\0', value_length))
        refuse(framing, 400, "a header value holds a NUL byte");

    if (same_name(name, name_length, "Host")) {
        if (++framing->hosts > 1)
            refuse(framing, 400, "more than one Host header");
    } else if (same_name(name, name_length, "Content-Length")) {
        bool digits = value_length > 0;
        for (size_t i = 0; i < value_length; i++)
            digits = digits && value[i] >= '0' && value[i] <= '9';
        if (++framing->content_lengths > 1)
            refuse(framing, 400, "more than one Content-Length header");
        else if (!digits)
            refuse(framing, 400, "Content-Length is not a decimal number");
    } else if (same_name(name, name_length, "Transfer-Encoding")) {
        framing->transfer_encoding = true;
        add_codings(framing, value, value_length);
    }
}

unsigned extatus__http_framing_verdict(const extatus__http_framing *framing, const char **reason)
{
    unsigned status = framing->status;
    const char *why = framing->reason;
    if (status == 0 && framing->transfer_encoding) {
        if (framing->content_lengths > 0) {
            status = 400;
            why = "Transfer-Encoding and Content-Length together";
        } else if (framing->http_1_0) {
            status = 400;
            why = "Transfer-Encoding in an HTTP/1.0 request";
        } else if (framing->chunked_not_last) {
            status = 400;
            why = "chunked is not the last transfer coding";
        } else if (framing->unknown_coding) {
            status = 501;
            why = "a transfer coding other than chunked";
        } else if (!framing->chunked_seen) {
            status = 400;
            why = "an empty Transfer-Encoding";
        }
    }
    if (reason)
        *reason = why;
    return status;
}
