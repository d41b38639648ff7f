/*
 * extatus/sys/reporter.h - the reporter behaviour: the plug-in interface
 * of reporters (after exometer_report's callbacks).
 *
 * A reporter is an operations table plus the state its init makes. The
 * library calls the methods of one reporter one at a time (never two
 * at once), from its scheduler's threads for deliveries and from the
 * calling thread for subscribe, unsubscribe, new_entry and terminate. A
 * method returning an error (init, report, report_bulk) marks the reporter
 * failed: terminate runs, and init runs again later, followed by subscribe
 * for every subscription it had. Methods must not call
 * extatus_reporter_add/_remove, extatus_subscribe/_unsubscribe or create
 * metrics (they would wait for themselves).
 *
 * Stability: systems API, like extatus/sys/entry.h. The table is
 * versioned; methods are only appended; a table with an older version
 * keeps working.
 */
#ifndef EXTATUS_SYS_REPORTER_H
#define EXTATUS_SYS_REPORTER_H

#include "../common.h"
#include "../options.h"
#include "../report.h"

EXTATUS_BEGIN_DECLS

#define EXTATUS_REPORTER_OPS_VERSION 1

struct extatus_reporter_ops {
    /* EXTATUS_REPORTER_OPS_VERSION the table was written against. */
    unsigned version;

    /*
     * exometer_init (required). Make the state from the options given to
     * extatus_reporter_add (minus restart_delay) and store it in *state.
     * Refuse a bad option with EXTATUS_ERR_OPTION and a reason
     * (extatus_entry_error sets it).
     */
    int (*init)(void **state, const char *name, const extatus_option *options, size_t option_count);

    /*
     * exometer_report (required). Deliver one value. Return EXTATUS_OK,
     * or an error to mark the reporter failed.
     */
    int (*report)(void *state, const extatus_report_item *item);

    /*
     * exometer_report_bulk (optional; NULL: report is called per item).
     * Deliver every item of one interval at once.
     */
    int (*report_bulk)(void *state, const extatus_report_item *items, size_t count);

    /* exometer_subscribe (optional). A subscription was added (or handed back after a restart). */
    int (*subscribe)(void *state, const extatus_subscription *subscription);

    /* exometer_unsubscribe (optional). A subscription was removed. */
    void (*unsubscribe)(void *state, const extatus_subscription *subscription);

    /* exometer_newentry (optional). A family was created in registry `registry`. */
    void (*new_entry)(void *state, const char *registry, const char *metric, const char *type);

    /*
     * exometer_setopts (optional). extatus_setopts() changed options of
     * metric `metric` in registry `registry` (of one series or all).
     */
    void (*setopts)(void *state, const char *registry, const char *metric,
                    const extatus_option *options, size_t option_count);

    /*
     * exometer_terminate (optional). Free the state. `reason` is
     * EXTATUS_OK when the reporter is removed or the library shuts down,
     * or the error that made it fail.
     */
    void (*terminate)(void *state, int reason);
};

EXTATUS_END_DECLS

#endif /* EXTATUS_SYS_REPORTER_H */
