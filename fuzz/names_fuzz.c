/*
 * names_fuzz.c - arbitrary metric names, help, unit, label names and
 * label values through validation and both exposition formats.
 *
 * Input: fields separated by '\n': type selector, name, help, unit, then
 * label names up to an empty field, then label values. Whatever the
 * library accepts must expose as valid text and OpenMetrics; whatever it
 * refuses must come with an error message.
 */
#include <string.h>

#include "check.h"

#define MAX_FIELDS 12

static const char *const types[] = {"counter", "gauge", "histogram", "summary", "spiral"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *fields[MAX_FIELDS];
    size_t count;
    char *copy = fuzz_lines(data, size, fields, MAX_FIELDS, &count);
    if (!copy)
        return 0;
    if (count < 2) {
        free(copy);
        return 0;
    }
    const char *type = types[(unsigned char)fields[0][0] % 5];
    const char *labels[MAX_FIELDS], *values[MAX_FIELDS];
    size_t label_count = 0, value_count = 0, i = 4;
    for (; i < count && fields[i][0] != '\0'; i++)
        labels[label_count++] = fields[i];
    for (i++; i < count; i++)
        values[value_count++] = fields[i];
    while (value_count < label_count)
        values[value_count++] = "";

    extatus_option options[4];
    size_t option_count = 0;
    if (count > 2)
        options[option_count++] = (extatus_option)EXTATUS_OPT_STRING("help", fields[2]);
    if (count > 3 && fields[3][0])
        options[option_count++] = (extatus_option)EXTATUS_OPT_STRING("unit", fields[3]);
    options[option_count++] = (extatus_option)EXTATUS_OPT_STRINGS("labels", labels, label_count);

    extatus_family *family = NULL;
    int rc = extatus_family_new(&family, NULL, fields[1], type, options, option_count);
    if (rc != EXTATUS_OK) {
        FUZZ_CHECK(rc < 0 && extatus_error_last()[0] != '\0');
    } else {
        extatus_series *series = NULL;
        rc = extatus_family_series(&series, family, extatus_labels_of(values, label_count));
        if (rc == EXTATUS_OK)
            FUZZ_CHECK(extatus_series_update(series, 2) == EXTATUS_OK);
        else
            FUZZ_CHECK(rc == EXTATUS_ERR_LABEL && extatus_error_last()[0] != '\0');
        fuzz_expose_and_check();
    }
    extatus_shutdown();
    free(copy);
    return 0;
}
