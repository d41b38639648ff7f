/*
 * callback.c - the callback reporter: every interval's items go to a
 * function of the program, in one call.
 */
#include "core/util.h"
#include "extatus/sys/reporter.h"

#include <string.h>

typedef struct callback_state {
    extatus_report_fn fn; /* the program's function */
    void *user_data;      /* handed to it */
} callback_state;

static int callback_init(void **state, const char *name, const extatus_option *options,
                         size_t option_count)
{
    extatus_report_fn fn = NULL;
    void *user_data = NULL;
    for (size_t i = 0; i < option_count; i++) {
        const extatus_option *opt = &options[i];
        if (strcmp(opt->key, "function") == 0 && opt->kind == EXTATUS_OPTION_FUNCTION)
            fn = (extatus_report_fn)opt->function;
        else if (strcmp(opt->key, "user_data") == 0 && opt->kind == EXTATUS_OPTION_POINTER)
            user_data = opt->pointer;
        else
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "reporter '%s': callback reporters take 'function' "
                                       "(FUNCTION) and 'user_data' (POINTER), not '%s'",
                                       name, opt->key);
    }
    if (!fn)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "reporter '%s': option 'function' is required", name);
    callback_state *self = extatus__malloc(sizeof(*self));
    if (!self)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "reporter '%s': out of memory", name);
    self->fn = fn;
    self->user_data = user_data;
    *state = self;
    return EXTATUS_OK;
}

static int callback_bulk(void *state, const extatus_report_item *items, size_t count)
{
    callback_state *self = state;
    if (self->fn(items, count, self->user_data) != 0)
        return extatus_entry_error(EXTATUS_ERR_CALLBACK, "report callback returned an error");
    return EXTATUS_OK;
}

static int callback_report(void *state, const extatus_report_item *item)
{
    return callback_bulk(state, item, 1);
}

static void callback_terminate(void *state, int reason)
{
    (void)reason;
    extatus__free(state);
}

static const extatus_reporter_ops callback_ops = {
    .version = EXTATUS_REPORTER_OPS_VERSION,
    .init = callback_init,
    .report = callback_report,
    .report_bulk = callback_bulk,
    .subscribe = NULL,
    .unsubscribe = NULL,
    .new_entry = NULL,
    .setopts = NULL,
    .terminate = callback_terminate,
};

const extatus_reporter_ops *extatus_reporter_callback(void)
{
    return &callback_ops;
}
