/*
 * om_check.c - a strict checker of OpenMetrics 1.0.0 text, for tests.
 *
 * Usage: om_check FILE...   Exit status 0 when every file is valid, 1
 * otherwise, with "FILE:LINE: reason" on stderr for the first problem.
 *
 * It checks the grammar of every line and the structure the spec asks
 * for: TYPE/UNIT/HELP before the samples and in that order, each at most
 * once; a UNIT the family name ends in; escapes limited to \\ \" \n; no
 * blank line, carriage return outside a quoted string, or other comment;
 * families and metric points never interleaved or repeated; no name
 * taken by two families (counter x: x, x_total, x_created; histogram x:
 * x, x_bucket, x_sum, x_count, x_created; ...); sample names matching the
 * family type; histogram buckets increasing with non-decreasing counts, a
 * +Inf bucket equal to _count, _sum and _count both or neither, no _sum
 * with a negative bucket; summary quantiles increasing within [0, 1] with
 * values that are not negative; counts integral and non-negative;
 * counters and sums neither NaN nor negative; "# EOF" last.
 *
 * Where extatus promises more than the spec, so does the checker: every
 * family starts with TYPE; within a point the order is buckets or
 * quantiles, _sum, _count, _created (counters: _total, _created); le and
 * quantile values are written as floats ("1.0", not "1").
 *
 * Exemplars ("# {labels} value [timestamp]" after a value) are checked
 * for their grammar, their place (a counter's _total, a histogram
 * bucket) and the 128-character limit of their labels.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LABELS 64
#define MAX_TEXT   4096

typedef enum family_type {
    TYPE_COUNTER,
    TYPE_GAUGE,
    TYPE_HISTOGRAM,
    TYPE_SUMMARY,
    TYPE_UNKNOWN,
    TYPE_OTHER /* gaugehistogram, info, stateset: valid OM, never written by extatus */
} family_type;

/* A growable list of strings. */
typedef struct names {
    char **items;
    size_t count;
    size_t capacity;
} names;

static bool names_has(const names *list, const char *name)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i], name) == 0)
            return true;
    return false;
}

static void names_add(names *list, const char *name)
{
    if (list->count == list->capacity) {
        list->capacity = list->capacity ? list->capacity * 2 : 16;
        list->items = realloc(list->items, list->capacity * sizeof(*list->items));
        if (!list->items)
            abort();
    }
    list->items[list->count] = strdup(name);
    if (!list->items[list->count])
        abort();
    list->count++;
}

static void names_clear(names *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    list->count = 0;
}

/* The metric point being read: samples of one family and one label set. */
typedef struct point {
    bool open;           /* a point has started */
    char key[MAX_TEXT];  /* its labels without le/quantile */
    int stage;           /* 0 buckets/quantiles/total, 1 sum, 2 count, 3 created */
    size_t bounds;       /* buckets or quantiles seen */
    double last_bound;   /* le or quantile of the previous one */
    double last_value;   /* bucket count of the previous one */
    bool negative_bound; /* a bucket with le < 0 */
    bool has_inf;        /* the +Inf bucket was seen */
    double inf_value;    /* its count */
    bool has_sum;        /* _sum seen */
    bool has_count;      /* _count seen */
    double count;        /* its value */
    bool has_total;      /* counter _total seen */
} metric_point;

typedef struct checker {
    const char *file;      /* for messages */
    size_t line;           /* current line number */
    bool failed;           /* a problem was reported */
    names families;        /* family names seen */
    names taken;           /* every name the families seen take (family and sample names) */
    names keys;            /* label sets of points seen in the current family */
    bool in_family;        /* a TYPE line opened a family */
    char family[MAX_TEXT]; /* current family name */
    family_type type;      /* its type */
    int meta;              /* 1 TYPE, 2 UNIT, 3 HELP seen last */
    bool has_samples;      /* the family has samples */
    metric_point current;  /* the open point */
} checker;

static bool report(checker *c, const char *format, ...)
{
    if (c->failed)
        return false;
    va_list args;
    va_start(args, format);
    fprintf(stderr, "%s:%zu: ", c->file, c->line);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    c->failed = true;
    return false;
}

static bool metric_name_char(char ch, bool first)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == ':' ||
           (!first && ch >= '0' && ch <= '9');
}

static bool label_name_char(char ch, bool first)
{
    return ch != ':' && metric_name_char(ch, first);
}

/* Read a metric name at *p into out; advances *p. */
static bool read_name(const char **p, char *out, bool label)
{
    const char *s = *p;
    size_t n = 0;
    while ((label ? label_name_char(s[n], n == 0) : metric_name_char(s[n], n == 0)) &&
           n + 1 < MAX_TEXT)
        n++;
    if (n == 0)
        return false;
    memcpy(out, s, n);
    out[n] = '\0';
    *p = s + n;
    return true;
}

/*
 * Read an escaped string up to `end` (a quote, or the end of the line
 * for HELP) into out, checking the escapes. Returns false on a bad escape
 * or a raw character that must be escaped.
 */
static bool read_escaped(checker *c, const char **p, char end, char *out)
{
    const char *s = *p;
    size_t n = 0;
    while (*s != end) {
        if (*s == '\0' || *s == '\n')
            return report(c, "unterminated string");
        if (*s == '"' && end != '"')
            return report(c, "unescaped double quote in HELP or UNIT");
        char ch = *s++;
        if (ch == '\\') {
            if (*s == '\\' || *s == '"')
                ch = *s++;
            else if (*s == 'n') {
                ch = '\n';
                s++;
            } else
                return report(c, "invalid escape \\%c", *s ? *s : '0');
        }
        if (n + 1 >= MAX_TEXT)
            return report(c, "string too long");
        out[n++] = ch;
    }
    out[n] = '\0';
    *p = s;
    return true;
}

static bool ci_equal(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return *a == *b;
}

/*
 * Parse an OpenMetrics number (realnumber, [+-]inf(inity), nan, any case).
 * *integer is set when it has neither point, exponent nor sign '-'...
 */
static bool parse_number(const char *text, double *value, bool *integer)
{
    const char *s = text;
    *integer = false;
    if (ci_equal(s, "nan")) {
        *value = NAN;
        return true;
    }
    bool negative = *s == '-';
    if (*s == '+' || *s == '-')
        s++;
    if (ci_equal(s, "inf") || ci_equal(s, "infinity")) {
        *value = negative ? -INFINITY : INFINITY;
        return true;
    }
    size_t digits = 0;
    bool has_point = false, exponent = false;
    while (isdigit((unsigned char)*s)) {
        s++;
        digits++;
    }
    if (*s == '.') {
        has_point = true;
        s++;
        while (isdigit((unsigned char)*s)) {
            s++;
            digits++;
        }
    }
    if (digits == 0)
        return false;
    if (*s == 'e' || *s == 'E') {
        exponent = true;
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!isdigit((unsigned char)*s))
            return false;
        while (isdigit((unsigned char)*s))
            s++;
    }
    if (*s != '\0')
        return false;
    *value = strtod(text, NULL);
    *integer = !has_point && !exponent && text[0] != '+';
    return true;
}

static const char *type_names[] = {"counter", "gauge", "histogram", "summary", "unknown"};

/* Record the names a family of type `type` takes; report one another family took. */
static bool take_names(checker *c, const char *family, const char *type)
{
    static const char *const counter[] = {"", "_total", "_created", NULL};
    static const char *const histogram[] = {"", "_bucket", "_sum", "_count", "_created", NULL};
    static const char *const gaugehistogram[] = {"", "_bucket", "_gsum", "_gcount", NULL};
    static const char *const summary[] = {"", "_sum", "_count", "_created", NULL};
    static const char *const info[] = {"", "_info", NULL};
    static const char *const single[] = {"", NULL};
    const char *const *suffixes = strcmp(type, "counter") == 0          ? counter
                                  : strcmp(type, "histogram") == 0      ? histogram
                                  : strcmp(type, "gaugehistogram") == 0 ? gaugehistogram
                                  : strcmp(type, "summary") == 0        ? summary
                                  : strcmp(type, "info") == 0           ? info
                                                                        : single;
    for (; *suffixes; suffixes++) {
        char name[MAX_TEXT];
        snprintf(name, sizeof(name), "%s%s", family, *suffixes);
        if (names_has(&c->taken, name))
            return report(c, "family %s takes the name %s another family took", family, name);
        names_add(&c->taken, name);
    }
    return true;
}

/* Validate the finished point of the current family. */
static bool close_point(checker *c)
{
    metric_point *pt = &c->current;
    if (!pt->open)
        return true;
    pt->open = false;
    switch (c->type) {
    case TYPE_COUNTER:
        if (!pt->has_total)
            return report(c, "counter point {%s} without _total", pt->key);
        break;
    case TYPE_HISTOGRAM:
        if (!pt->has_inf)
            return report(c, "histogram point {%s} without a +Inf bucket", pt->key);
        if (pt->has_count && pt->count != pt->inf_value)
            return report(c, "histogram point {%s}: _count %g differs from +Inf bucket %g", pt->key,
                          pt->count, pt->inf_value);
        if (pt->negative_bound && pt->has_sum)
            return report(c, "histogram point {%s} has _sum and a negative bucket", pt->key);
        if (pt->has_count != pt->has_sum)
            return report(c, "histogram point {%s} has one of _sum and _count", pt->key);
        break;
    case TYPE_SUMMARY:
        if (!pt->has_count)
            return report(c, "summary point {%s} without _count", pt->key);
        break;
    default:
        break;
    }
    return true;
}

static bool close_family(checker *c)
{
    if (!close_point(c))
        return false;
    names_clear(&c->keys);
    c->in_family = false;
    return true;
}

static bool check_meta(checker *c, const char *line)
{
    const char *p = line + 2;
    char keyword[8] = {0};
    if (strncmp(p, "TYPE ", 5) == 0 || strncmp(p, "UNIT ", 5) == 0 || strncmp(p, "HELP ", 5) == 0)
        memcpy(keyword, p, 4);
    else
        return report(c, "comment other than TYPE, UNIT, HELP or EOF: %s", line);
    p += 5;
    char name[MAX_TEXT];
    if (!read_name(&p, name, false))
        return report(c, "bad metric family name in %s line", keyword);
    if (*p != ' ')
        return report(c, "missing space after the family name");
    p++;
    if (strcmp(keyword, "TYPE") == 0) {
        if (!close_family(c))
            return false;
        if (names_has(&c->families, name))
            return report(c, "family %s appears twice (interleaved or repeated)", name);
        names_add(&c->families, name);
        if (!take_names(c, name, p))
            return false;
        size_t t = 0;
        while (t < 5 && strcmp(p, type_names[t]) != 0)
            t++;
        if (t == 5) {
            if (strcmp(p, "gaugehistogram") && strcmp(p, "info") && strcmp(p, "stateset"))
                return report(c, "unknown type '%s'", p);
            c->type = TYPE_OTHER;
        } else {
            c->type = (family_type)t;
        }
        snprintf(c->family, sizeof(c->family), "%s", name);
        c->in_family = true;
        c->meta = 1;
        c->has_samples = false;
        return true;
    }
    if (!c->in_family || strcmp(name, c->family) != 0)
        return report(c, "%s for %s outside its family (TYPE must come first)", keyword, name);
    if (c->has_samples)
        return report(c, "%s after the samples of %s", keyword, name);
    int rank = strcmp(keyword, "UNIT") == 0 ? 2 : 3;
    if (rank <= c->meta)
        return report(c, "%s out of order or repeated (order: TYPE, UNIT, HELP)", keyword);
    c->meta = rank;
    char text[MAX_TEXT];
    if (!read_escaped(c, &p, '\0', text))
        return false;
    if (rank == 2) {
        size_t unit = strlen(text), length = strlen(name);
        if (unit == 0 || unit + 1 >= length || name[length - unit - 1] != '_' ||
            strcmp(name + length - unit, text) != 0)
            return report(c, "family %s does not end in its unit _%s", name, text);
    }
    return true;
}

/* The suffix of `name` after the family name, or NULL if it is not the family's. */
static const char *sample_suffix(const checker *c, const char *name)
{
    size_t length = strlen(c->family);
    if (strncmp(name, c->family, length) != 0)
        return NULL;
    return name + length;
}

/* UTF-8 characters in `text`: the bytes that do not continue one. */
static size_t utf8_chars(const char *text)
{
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        chars += (*p & 0xC0u) != 0x80u;
    return chars;
}

/*
 * An exemplar after a sample's value: " # {labels} value [timestamp]",
 * its label names and values together at most 128 UTF-8 characters.
 * Leaves *p after it.
 */
static bool check_exemplar(checker *c, const char **pp)
{
    const char *p = *pp + 3;
    static char exemplar_names[MAX_LABELS][MAX_TEXT];
    size_t labels = 0;
    size_t chars = 0;
    if (*p++ != '{')
        return report(c, "exemplar without {");
    while (*p != '}') {
        char value[MAX_TEXT];
        if (labels == MAX_LABELS)
            return report(c, "too many exemplar labels");
        if (!read_name(&p, exemplar_names[labels], true))
            return report(c, "bad exemplar label name");
        for (size_t i = 0; i < labels; i++)
            if (strcmp(exemplar_names[i], exemplar_names[labels]) == 0)
                return report(c, "exemplar label %s repeated", exemplar_names[i]);
        if (p[0] != '=' || p[1] != '"')
            return report(c, "expected =\" after exemplar label %s", exemplar_names[labels]);
        p += 2;
        if (!read_escaped(c, &p, '"', value))
            return false;
        p++;
        chars += utf8_chars(exemplar_names[labels]) + utf8_chars(value);
        labels++;
        if (*p == ',')
            p++;
        else if (*p != '}')
            return report(c, "expected , or } in exemplar labels");
    }
    if (chars > 128)
        return report(c, "exemplar labels have %zu characters, more than 128", chars);
    p++;
    if (*p++ != ' ')
        return report(c, "expected a space before the exemplar value");
    for (int field = 0; field < 2; field++) { /* value, then an optional timestamp */
        char number[128];
        size_t n = 0;
        double parsed;
        bool integer;
        while (p[n] && p[n] != ' ' && n + 1 < sizeof(number))
            n++;
        memcpy(number, p, n);
        number[n] = '\0';
        if (!parse_number(number, &parsed, &integer) || (field == 1 && !isfinite(parsed)))
            return report(c, "bad exemplar %s '%s'", field ? "timestamp" : "value", number);
        p += n;
        if (*p != ' ')
            break;
        if (field == 1)
            return report(c, "garbage after the exemplar");
        p++;
    }
    *pp = p;
    return true;
}

static bool check_sample(checker *c, const char *line)
{
    const char *p = line;
    char name[MAX_TEXT];
    if (!read_name(&p, name, false))
        return report(c, "bad metric name");
    if (!c->in_family)
        return report(c, "sample %s before any TYPE line", name);
    const char *suffix = sample_suffix(c, name);
    if (!suffix)
        return report(c, "sample %s does not belong to family %s", name, c->family);

    static char label_names[MAX_LABELS][MAX_TEXT];
    static char label_values[MAX_LABELS][MAX_TEXT];
    size_t labels = 0;
    char key[MAX_TEXT] = "";
    const char *le = NULL, *quantile = NULL;
    if (*p == '{') {
        p++;
        while (*p != '}') {
            if (labels == MAX_LABELS)
                return report(c, "too many labels");
            char label[MAX_TEXT];
            if (!read_name(&p, label, true) || strlen(label) >= sizeof(label_names[0]))
                return report(c, "bad label name");
            for (size_t i = 0; i < labels; i++)
                if (strcmp(label_names[i], label) == 0)
                    return report(c, "label %s repeated", label);
            if (p[0] != '=' || p[1] != '"')
                return report(c, "expected =\" after label %s", label);
            p += 2;
            if (!read_escaped(c, &p, '"', label_values[labels]))
                return false;
            p++;
            strcpy(label_names[labels], label);
            if (strcmp(label, "le") == 0)
                le = label_values[labels];
            else if (strcmp(label, "quantile") == 0)
                quantile = label_values[labels];
            else {
                size_t used = strlen(key);
                int wrote = snprintf(key + used, sizeof(key) - used, "%s%s=\"%s\"", used ? "," : "",
                                     label, label_values[labels]);
                if (wrote < 0 || (size_t)wrote >= sizeof(key) - used)
                    return report(c, "labels longer than the checker's %d bytes", MAX_TEXT);
            }
            labels++;
            if (*p == ',') {
                p++;
                if (*p == '}')
                    return report(c, "trailing comma in labels");
            } else if (*p != '}') {
                return report(c, "expected , or } in labels");
            }
        }
        p++;
    }
    if (*p != ' ')
        return report(c, "expected a space before the value");
    p++;
    char number[128];
    size_t n = 0;
    while (p[n] && p[n] != ' ' && n + 1 < sizeof(number))
        n++;
    memcpy(number, p, n);
    number[n] = '\0';
    p += n;
    double value;
    bool integer;
    if (!parse_number(number, &value, &integer))
        return report(c, "bad value '%s'", number);
    bool has_exemplar = strncmp(p, " # ", 3) == 0;
    if (has_exemplar && !check_exemplar(c, &p))
        return false;
    if (*p == ' ') { /* a timestamp */
        double ts;
        bool ts_integer;
        if (!parse_number(p + 1, &ts, &ts_integer) || !isfinite(ts))
            return report(c, "bad timestamp '%s'", p + 1);
    } else if (*p != '\0') {
        return report(c, "garbage after the value");
    }

    /* Exemplars only on a counter's _total and a histogram's buckets. */
    if (has_exemplar && !((c->type == TYPE_COUNTER && strcmp(suffix, "_total") == 0) ||
                          (c->type == TYPE_HISTOGRAM && strcmp(suffix, "_bucket") == 0)))
        return report(c, "exemplar on %s, which is not a counter's _total or a bucket", name);

    /* Which part of the point this sample is, by suffix and type. */
    int stage;
    bool bound_sample = false;
    switch (c->type) {
    case TYPE_COUNTER:
        if (strcmp(suffix, "_total") == 0)
            stage = 0;
        else if (strcmp(suffix, "_created") == 0)
            stage = 3;
        else
            return report(c, "counter sample %s is not _total or _created", name);
        break;
    case TYPE_GAUGE:
    case TYPE_UNKNOWN:
        if (*suffix)
            return report(c, "sample %s of %s has a suffix", name, type_names[c->type]);
        stage = 0;
        break;
    case TYPE_HISTOGRAM:
    case TYPE_SUMMARY: {
        bool histogram = c->type == TYPE_HISTOGRAM;
        if (histogram ? strcmp(suffix, "_bucket") == 0 : *suffix == '\0') {
            stage = 0;
            bound_sample = true;
        } else if (strcmp(suffix, "_sum") == 0) {
            stage = 1;
        } else if (strcmp(suffix, "_count") == 0) {
            stage = 2;
        } else if (strcmp(suffix, "_created") == 0) {
            stage = 3;
        } else {
            return report(c, "sample %s does not fit a %s", name, type_names[c->type]);
        }
        const char *bound_text = histogram ? le : quantile;
        const char *bound_label = histogram ? "le" : "quantile";
        if (bound_sample && !bound_text)
            return report(c, "%s without %s label", name, bound_label);
        if (!bound_sample && bound_text)
            return report(c, "%s with a %s label", name, bound_label);
        break;
    }
    default:
        stage = 0;
        break;
    }
    /* le and quantile are reserved only in histograms and summaries. */

    /* Points are contiguous: a new label set must not have been seen. */
    metric_point *pt = &c->current;
    if (!pt->open || strcmp(pt->key, key) != 0) {
        if (!close_point(c))
            return false;
        if (names_has(&c->keys, key))
            return report(c, "metric point {%s} of %s is interleaved or repeated", key, c->family);
        names_add(&c->keys, key);
        memset(pt, 0, sizeof(*pt));
        pt->open = true;
        snprintf(pt->key, sizeof(pt->key), "%s", key);
    } else if (c->type == TYPE_GAUGE || c->type == TYPE_UNKNOWN) {
        return report(c, "second sample for the same %s point {%s}", type_names[c->type], key);
    }
    c->has_samples = true;
    if (stage < pt->stage || (stage == pt->stage && !bound_sample && stage > 0) ||
        (stage == 0 && !bound_sample && pt->has_total))
        return report(c, "sample %s out of order or repeated in point {%s}", name, key);
    pt->stage = stage;

    if (stage == 3 && !isfinite(value))
        return report(c, "_created is not finite");
    if (c->type == TYPE_COUNTER && stage == 0) {
        if (isnan(value) || value < 0)
            return report(c, "counter value %s is NaN or negative", number);
        pt->has_total = true;
    }
    if (stage == 2 || (bound_sample && c->type == TYPE_HISTOGRAM)) {
        if (!integer || value < 0)
            return report(c, "count '%s' of %s is not a non-negative integer", number, name);
    }
    if (stage == 1) {
        if (isnan(value) || value < 0)
            return report(c, "%s _sum is NaN or negative", type_names[c->type]);
        pt->has_sum = true;
    }
    if (stage == 2) {
        pt->has_count = true;
        pt->count = value;
    }
    if (bound_sample) {
        const char *text = c->type == TYPE_HISTOGRAM ? le : quantile;
        double bound;
        bool bound_integer;
        if (!parse_number(text, &bound, &bound_integer) || isnan(bound))
            return report(c, "bad bound \"%s\"", text);
        if (isfinite(bound) && !strchr(text, '.') && !strchr(text, 'e'))
            return report(c, "bound \"%s\" is not written as a float", text);
        if (pt->bounds > 0 && bound <= pt->last_bound)
            return report(c, "bound %s not above the previous one", text);
        if (c->type == TYPE_HISTOGRAM) {
            if (pt->has_inf)
                return report(c, "bucket after +Inf");
            if (pt->bounds > 0 && value < pt->last_value)
                return report(c, "bucket counts decrease at le=\"%s\"", text);
            if (bound < 0)
                pt->negative_bound = true;
            if (bound == INFINITY) {
                pt->has_inf = true;
                pt->inf_value = value;
            }
        } else if (!(bound >= 0 && bound <= 1)) {
            return report(c, "quantile %s outside [0, 1]", text);
        } else if (value < 0) {
            return report(c, "quantile %s has a negative value %s", text, number);
        }
        pt->bounds++;
        pt->last_bound = bound;
        pt->last_value = value;
    }
    return true;
}

static bool check_text(checker *c, char *text, size_t size)
{
    if (size >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        return report(c, "byte order mark");
    if (memchr(text, '\0', size))
        return report(c, "NUL byte in the exposition");
    static const char eof[] = "# EOF\n";
    if (size < sizeof(eof) - 1 || memcmp(text + size - (sizeof(eof) - 1), eof, sizeof(eof) - 1) ||
        (size > sizeof(eof) - 1 && text[size - sizeof(eof)] != '\n')) {
        c->line = 0;
        return report(c, "does not end with the line \"# EOF\"");
    }
    char *line = text;
    char *end = text + size - (sizeof(eof) - 1);
    while (line < end) {
        char *newline = memchr(line, '\n', (size_t)(end - line));
        *newline = '\0';
        c->line++;
        if (*line == '\0')
            return report(c, "blank line");
        bool ok = line[0] == '#' ? (line[1] == ' ' ? check_meta(c, line)
                                                   : report(c, "comment without a space"))
                                 : check_sample(c, line);
        if (!ok)
            return false;
        line = newline + 1;
    }
    c->line++;
    return close_family(c);
}

static char *read_file(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    size_t capacity = 65536, used = 0;
    char *text = malloc(capacity);
    size_t got;
    while (text && (got = fread(text + used, 1, capacity - used, file)) > 0) {
        used += got;
        if (used == capacity) {
            capacity *= 2;
            text = realloc(text, capacity);
        }
    }
    fclose(file);
    *size = used;
    return text;
}

/*
 * Check one exposition held in memory (modified in place); problems are
 * printed on stderr under `name`. True when it is valid OpenMetrics.
 */
bool om_check_buffer(const char *name, char *text, size_t size);
bool om_check_buffer(const char *name, char *text, size_t size)
{
    checker c;
    memset(&c, 0, sizeof(c));
    c.file = name;
    bool ok = check_text(&c, text, size);
    names_clear(&c.families);
    names_clear(&c.keys);
    names_clear(&c.taken);
    free(c.families.items);
    free(c.keys.items);
    free(c.taken.items);
    return ok;
}

#ifndef OM_CHECK_NO_MAIN
int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE...\n", argv[0]);
        return 2;
    }
    int status = 0;
    for (int i = 1; i < argc; i++) {
        size_t size = 0;
        char *text = read_file(argv[i], &size);
        if (!text) {
            fprintf(stderr, "%s: cannot read\n", argv[i]);
            return 2;
        }
        if (!om_check_buffer(argv[i], text, size))
            status = 1;
        free(text);
    }
    return status;
}
#endif
