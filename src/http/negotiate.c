/*
 * negotiate.c - choosing the format and the content coding of a scrape
 * from the request's Accept and Accept-Encoding values (RFC 9110, 12.5).
 *
 * Both headers are comma-separated lists of elements with optional
 * parameters and a weight "q" (0 to 1, three decimals at most). An
 * element that does not parse is ignored, never fatal: a scraper always
 * gets an answer, at worst text 0.0.4 without compression.
 */
#include "http.h"

#include <string.h>

/* Longest parameter value we compare (ours are short); longer never match. */
#define VALUE_MAX 64

/* Weight of a media range or coding, in thousandths (RFC 9110 qvalue). */
#define Q_ONE 1000

typedef struct token {
    const char *ptr; /* first byte (inside the header value) */
    size_t len;      /* bytes */
} token;

typedef struct param {
    token name;            /* parameter name */
    char value[VALUE_MAX]; /* unquoted value, NUL-terminated */
    bool too_long;         /* the value did not fit in `value` */
} param;

/* ASCII lower case, whatever the locale (header tokens are ASCII). */
static char lower(char c)
{
    if (c >= 'A' && c <= 'Z')
        c = (char)(c | 0x20);
    return c;
}

/* Case-insensitive comparison of a token with a lower-case literal. */
static bool token_is(token t, const char *literal)
{
    size_t n = strlen(literal);
    if (t.len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(t.ptr[i]) != literal[i])
            return false;
    return true;
}

static bool text_is(const char *text, const char *literal)
{
    token t = {text, strlen(text)};
    return token_is(t, literal);
}

/* RFC 9110 tchar. */
static bool is_tchar(char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static void skip_ows(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

static token read_token(const char **p)
{
    token t = {*p, 0};
    while (is_tchar((*p)[t.len]))
        t.len++;
    *p += t.len;
    return t;
}

/* Skip the rest of a list element, up to (not past) the next comma outside quotes. */
static void skip_element(const char **p)
{
    bool quoted = false;
    for (; **p; (*p)++) {
        if (quoted && **p == '\\' && (*p)[1]) {
            (*p)++;
        } else if (**p == '"') {
            quoted = !quoted;
        } else if (!quoted && **p == ',') {
            return;
        }
    }
}

/*
 * Read `name=value` (value a token or a quoted-string) at *p.
 * Returns false on a syntax error.
 */
static bool read_param(const char **p, param *out)
{
    size_t n = 0;

    out->name = read_token(p);
    out->too_long = false;
    if (out->name.len == 0 || **p != '=')
        return false;
    (*p)++;
    if (**p == '"') {
        (*p)++;
        for (;;) {
            char c = **p;
            if (c == '\0')
                return false;
            (*p)++;
            if (c == '"')
                break;
            if (c == '\\') {
                c = **p;
                if (c == '\0')
                    return false;
                (*p)++;
            }
            if (n + 1 < VALUE_MAX)
                out->value[n++] = c;
            else
                out->too_long = true;
        }
    } else {
        token v = read_token(p);
        if (v.len == 0)
            return false;
        if (v.len >= VALUE_MAX) {
            out->too_long = true;
            v.len = VALUE_MAX - 1;
        }
        memcpy(out->value, v.ptr, v.len);
        n = v.len;
    }
    out->value[n] = '\0';
    return true;
}

/* RFC 9110 qvalue: "0" ["." 0*3DIGIT] / "1" ["." 0*3("0")]; -1 if invalid. */
static int parse_q(const param *q)
{
    const char *s = q->value;
    int whole;
    int frac = 0;
    int digits = 0;

    if (q->too_long || (s[0] != '0' && s[0] != '1'))
        return -1;
    whole = s[0] - '0';
    s++;
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9' && digits < 3) {
            frac = frac * 10 + (*s - '0');
            digits++;
            s++;
        }
    }
    if (*s != '\0')
        return -1;
    while (digits++ < 3)
        frac *= 10;
    if (whole == 1 && frac != 0)
        return -1;
    return whole * Q_ONE + frac;
}

/* ---- Accept ------------------------------------------------------------- */

/* A format we can serve, as a media type with its version parameter. */
typedef struct offer {
    const char *type;    /* lower case */
    const char *subtype; /* lower case */
    const char *version; /* the version we produce */
    /* Version a range names when it has no version parameter (NULL: any). */
    const char *implied_version;
    extatus_format format; /* what to render */
} offer;

static const offer offers[2] = {
    /* OpenMetrics without a version means 0.0.1, which we do not produce. */
    {"application", "openmetrics-text", "1.0.0", "0.0.1", EXTATUS_FORMAT_OPENMETRICS},
    /* text/plain without a version is the 0.0.4 text format. */
    {"text", "plain", "0.0.4", NULL, EXTATUS_FORMAT_TEXT},
};

/* How well the best range seen so far matches one offer. */
typedef struct match {
    int specificity; /* -1: no range matched */
    int q;           /* its weight */
    int position;    /* index of the element in the header */
} match;

#define MAX_PARAMS 8

/*
 * Does the media range type/subtype with `params` match `o`? On a match
 * return its specificity (0 for * / *, 1 for type/ *, 2 + parameters for
 * a full type), else -1.
 */
static int range_matches(token type, token subtype, const param *params, size_t count,
                         const offer *o)
{
    bool any_type = type.len == 1 && type.ptr[0] == '*';
    bool any_subtype = subtype.len == 1 && subtype.ptr[0] == '*';
    bool has_version = false;
    size_t i;

    if (!any_type && !token_is(type, o->type))
        return -1;
    if (!any_subtype && !token_is(subtype, o->subtype))
        return -1;
    for (i = 0; i < count; i++) {
        const param *pm = &params[i];
        if (token_is(pm->name, "version")) {
            has_version = true;
            if (pm->too_long || strcmp(pm->value, o->version) != 0)
                return -1;
        } else if (token_is(pm->name, "charset")) {
            if (pm->too_long || !text_is(pm->value, "utf-8"))
                return -1;
        } else if (token_is(pm->name, "escaping")) {
            /* Our names are all legacy names: every escaping scheme leaves them as they are. */
        } else {
            return -1; /* a parameter of a variant we do not produce (proto=, encoding=) */
        }
    }
    if (!any_subtype && !has_version && o->implied_version)
        return -1;
    if (any_type)
        return 0;
    if (any_subtype)
        return 1;
    return 2 + (int)count;
}

extatus_format extatus__http_negotiate_format(const char *accept)
{
    match best[2] = {{-1, 0, 0}, {-1, 0, 0}};
    const char *p = accept;
    int position = 0;

    if (!accept)
        return EXTATUS_FORMAT_TEXT;
    while (*p) {
        param params[MAX_PARAMS];
        size_t count = 0;
        int q = Q_ONE;
        bool ok = true;
        bool weighted = false;
        token type = {NULL, 0};
        token subtype = {NULL, 0};

        skip_ows(&p);
        if (*p == ',') { /* empty list element */
            p++;
            continue;
        }
        type = read_token(&p);
        if (type.len == 0 || *p != '/') {
            ok = false;
            goto next;
        }
        p++;
        subtype = read_token(&p);
        if (subtype.len == 0 ||
            (type.len == 1 && type.ptr[0] == '*' && !(subtype.len == 1 && subtype.ptr[0] == '*'))) {
            ok = false;
            goto next;
        }
        for (;;) {
            param pm;
            skip_ows(&p);
            if (*p != ';')
                break;
            p++;
            skip_ows(&p);
            if (*p == ';' || *p == ',' || *p == '\0')
                continue; /* empty parameter, allowed by the grammar */
            if (!read_param(&p, &pm)) {
                ok = false;
                goto next;
            }
            if (token_is(pm.name, "q")) {
                q = parse_q(&pm);
                if (q < 0)
                    ok = false;
                /* Whatever follows the weight is an extension: ignore it. */
                weighted = true;
                goto next;
            }
            if (count == MAX_PARAMS) {
                ok = false;
                goto next;
            }
            params[count++] = pm;
        }
    next:
        if (!weighted && *p != ',' && *p != '\0')
            ok = false;
        skip_element(&p);
        if (ok) {
            for (size_t i = 0; i < 2; i++) {
                int s = range_matches(type, subtype, params, count, &offers[i]);
                /* The most specific range decides; among equals the higher weight. */
                if (s > best[i].specificity || (s == best[i].specificity && q > best[i].q)) {
                    best[i].specificity = s;
                    best[i].q = q;
                    best[i].position = position;
                }
            }
        }
        position++;
        if (*p == ',')
            p++;
    }

    const match *om = &best[0];
    const match *text = &best[1];
    if (om->specificity < 0 || om->q == 0)
        return EXTATUS_FORMAT_TEXT;
    if (text->specificity < 0 || om->q > text->q)
        return EXTATUS_FORMAT_OPENMETRICS;
    if (om->q < text->q)
        return EXTATUS_FORMAT_TEXT;
    /* Equal weights: the more specific mention, then the earlier one, wins. */
    if (om->specificity != text->specificity)
        return om->specificity > text->specificity ? EXTATUS_FORMAT_OPENMETRICS
                                                   : EXTATUS_FORMAT_TEXT;
    return om->position < text->position ? EXTATUS_FORMAT_OPENMETRICS : EXTATUS_FORMAT_TEXT;
}

/* ---- Accept-Encoding ---------------------------------------------------- */

bool extatus__http_accepts_gzip(const char *accept_encoding)
{
    const char *p = accept_encoding;
    int q_gzip = -1;     /* -1: not listed */
    int q_identity = -1; /* -1: not listed */
    int q_any = -1;      /* "*"; -1: not listed */

    if (!accept_encoding)
        return false; /* no header: the client stated nothing, send it plain */
    while (*p) {
        token coding = {NULL, 0};
        int q = Q_ONE;
        bool ok = true;
        bool weighted = false;

        skip_ows(&p);
        if (*p == ',') {
            p++;
            continue;
        }
        coding = read_token(&p);
        if (coding.len == 0) {
            ok = false;
            goto next;
        }
        for (;;) {
            param pm;
            skip_ows(&p);
            if (*p != ';')
                break;
            p++;
            skip_ows(&p);
            if (!read_param(&p, &pm)) {
                ok = false;
                goto next;
            }
            if (token_is(pm.name, "q")) {
                q = parse_q(&pm);
                if (q < 0)
                    ok = false;
                weighted = true;
                goto next;
            }
            /* Codings have no other parameters; ignore any. */
        }
    next:
        if (!weighted && *p != ',' && *p != '\0')
            ok = false;
        skip_element(&p);
        if (ok) {
            if (token_is(coding, "gzip") || token_is(coding, "x-gzip")) {
                if (q > q_gzip)
                    q_gzip = q;
            } else if (token_is(coding, "identity")) {
                if (q > q_identity)
                    q_identity = q;
            } else if (coding.len == 1 && coding.ptr[0] == '*') {
                if (q > q_any)
                    q_any = q;
            }
        }
        if (*p == ',')
            p++;
    }

    if (q_gzip < 0)
        q_gzip = q_any < 0 ? 0 : q_any;
    if (q_gzip == 0)
        return false;
    /*
     * identity is acceptable unless excluded; when the client gives it no
     * weight of its own (nor through "*") it ranks below every listed coding.
     */
    if (q_identity < 0)
        q_identity = q_any < 0 ? 0 : q_any;
    return q_gzip >= q_identity;
}
