/*
 * exemplar_fuzz.c - native histogram options, observations and exemplar
 * label sets from arbitrary input, through both exposition formats.
 *
 * Input: fields separated by '\n': the options ("schema max_buckets
 * zero_threshold" as numbers), the observations (numbers separated by
 * spaces), then exemplar label names and values alternating. A refused
 * option or exemplar must come with an error message (and a refused
 * exemplar still counts its observation); whatever is accepted must
 * expose as valid text and OpenMetrics, exemplars included.
 */
#include <string.h>

#include "check.h"

#define MAX_FIELDS       16
#define MAX_OBSERVATIONS 64

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
    double settings[3] = {3, 100, 0};
    char *p = fields[0];
    for (size_t i = 0; i < 3; i++) {
        char *end;
        double value = strtod(p, &end);
        if (end == p)
            break;
        settings[i] = value;
        p = end;
    }
    extatus_option options[] = {
        EXTATUS_OPT_STRING("help", "Fuzzed."),
        EXTATUS_OPT_NUMBER("schema", settings[0]),
        EXTATUS_OPT_NUMBER("max_buckets", settings[1]),
        EXTATUS_OPT_NUMBER("zero_threshold", settings[2]),
    };
    const char *names[MAX_FIELDS], *values[MAX_FIELDS];
    size_t label_count = 0;
    for (size_t i = 2; i + 1 < count; i += 2) {
        names[label_count] = fields[i];
        values[label_count++] = fields[i + 1];
    }
    extatus_exemplar exemplar = {names, values, label_count, 1700000000.5};

    extatus_family *family = NULL;
    int rc = extatus_family_new(&family, NULL, "fuzz_seconds", "native_histogram", options, 4);
    if (rc != EXTATUS_OK) {
        FUZZ_CHECK(rc == EXTATUS_ERR_OPTION && extatus_error_last()[0] != '\0');
    } else {
        extatus_native_histogram *histogram = NULL;
        FUZZ_CHECK(extatus_native_histogram_get(&histogram, family, EXTATUS_NO_LABELS) ==
                   EXTATUS_OK);
        p = fields[1];
        for (size_t n = 0; n < MAX_OBSERVATIONS; n++) {
            char *end;
            double value = strtod(p, &end);
            if (end == p)
                break;
            p = end;
            rc = extatus_native_histogram_observe_exemplar(histogram, value, &exemplar);
            FUZZ_CHECK(rc == EXTATUS_OK ||
                       ((rc == EXTATUS_ERR_LABEL || rc == EXTATUS_ERR_INVALID) &&
                        extatus_error_last()[0] != '\0'));
        }
        fuzz_expose_and_check();
    }
    extatus_shutdown();
    free(copy);
    return 0;
}
