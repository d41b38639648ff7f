/*
 * expose_fuzz.c - a random program of registry operations (families of
 * every type, series with arbitrary label values, updates with any double
 * including NaN and infinities, removal, clear, reset, unregister), then
 * both exposition formats, which must stay valid.
 */
#include <string.h>

#include "check.h"

static const char *const type_names[] = {"counter", "gauge", "histogram", "summary", "spiral"};
static const char *const family_names[] = {"alpha_total", "beta", "gamma_seconds", "delta",
                                           "epsilon"};
static const char *const label_sets[][2] = {{"a", "b"}, {"path", "code"}, {"x", "y"}};

static double fuzz_double(fuzz_input *in)
{
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++)
        bits = bits << 8 | fuzz_byte(in);
    double value;
    memcpy(&value, &bits, sizeof(value));
    return value;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size, 0};
    extatus_family *families[5] = {NULL};
    for (int steps = 0; steps < 64 && !fuzz_done(&in); steps++) {
        uint8_t op = fuzz_byte(&in);
        size_t slot = fuzz_byte(&in) % 5;
        char value_a[24], value_b[24];
        const char *values[2] = {value_a, value_b};
        switch (op % 8) {
        case 0: { /* create family */
            size_t labels = fuzz_byte(&in) % 3;
            const double quantiles[] = {0.5, 0.99};
            extatus_option options[3] = {
                EXTATUS_OPT_STRINGS("labels", label_sets[slot % 3], labels),
                EXTATUS_OPT_STRING("help", "fuzz \\ help \"quoted\"\nnext"),
                EXTATUS_OPT_DOUBLES("quantiles", quantiles, 2),
            };
            size_t type = fuzz_byte(&in) % 5;
            extatus_family *family = NULL;
            int rc = extatus_family_new(&family, NULL, family_names[slot], type_names[type],
                                        options, type == 3 ? 3 : 2);
            if (rc == EXTATUS_OK)
                families[slot] = family;
            else
                FUZZ_CHECK(rc == EXTATUS_ERR_EXISTS || rc == EXTATUS_ERR_OPTION);
            break;
        }
        case 1:
        case 2: { /* update a series (created on demand) */
            fuzz_string(&in, value_a, 8);
            fuzz_string(&in, value_b, 8);
            double value = fuzz_double(&in);
            if (families[slot]) {
                extatus_series *series = NULL;
                if (extatus_family_series(&series, families[slot], extatus_labels_of(values, 2)) ==
                    EXTATUS_OK)
                    (void)extatus_series_update(series, value);
            }
            break;
        }
        case 3: /* remove a series */
            fuzz_string(&in, value_a, 8);
            fuzz_string(&in, value_b, 8);
            if (families[slot])
                (void)extatus_family_remove(families[slot], extatus_labels_of(values, 2));
            break;
        case 4:
            if (families[slot])
                FUZZ_CHECK(extatus_family_clear(families[slot]) == EXTATUS_OK);
            break;
        case 5:
            if (families[slot])
                (void)extatus_family_reset(families[slot]);
            break;
        case 6:
            if (families[slot]) {
                FUZZ_CHECK(extatus_family_unregister(families[slot]) == EXTATUS_OK);
                families[slot] = NULL;
            }
            break;
        default:
            fuzz_expose_and_check();
            break;
        }
    }
    fuzz_expose_and_check();
    extatus_shutdown();
    return 0;
}
