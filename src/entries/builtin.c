/*
 * builtin.c - the entries layer: registers the built-in types at start-up,
 * through the same public extatus_type_register() a user's type goes
 * through.
 */
#include "entries/common.h"

int extatus__counter_register(void);
int extatus__gauge_register(void);
int extatus__function_register(void);
int extatus__histogram_register(void);
int extatus__native_histogram_register(void);
int extatus__summary_register(void);
int extatus__spiral_register(void);

static int register_builtin(void)
{
    static int (*const registrations[])(void) = {
        extatus__counter_register,          extatus__gauge_register,
        extatus__function_register,         extatus__histogram_register,
        extatus__native_histogram_register, extatus__summary_register,
        extatus__spiral_register,
    };
    for (size_t i = 0; i < sizeof(registrations) / sizeof(registrations[0]); i++) {
        int rc = registrations[i]();
        if (rc != EXTATUS_OK)
            return rc;
    }
    return EXTATUS_OK;
}

const extatus__layer extatus__entries_layer = {
    .name = "entries",
    .init = register_builtin,
};
