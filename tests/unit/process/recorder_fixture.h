/*
 * recorder_fixture.h - cmocka fixtures for the process-layer tests that
 * record every event of a test in one recorder, `rec`
 * (tests/unit/process/). Include after process_helpers.h.
 */
#ifndef EXTATUS_RECORDER_FIXTURE_H
#define EXTATUS_RECORDER_FIXTURE_H

#include "process_helpers.h"

#include <stdlib.h>

/*
 * Fixtures of a test with one recorder subscribed for its whole length:
 * the library initialised, `rec` empty; afterwards the handler stopped,
 * the subscriber gone, the library shut down, EXTATUS_TIMEOUT unset.
 */
static recorder rec;
static extatus_subscriber *rec_subscriber;

static inline int recorder_setup(void **state)
{
    (void)state;
    recorder_init(&rec);
    if (extatus_init() != EXTATUS_OK)
        return -1;
    return extatus_events_subscribe(&rec_subscriber, recorder_fn, &rec);
}

static inline int recorder_teardown(void **state)
{
    (void)state;
    extatus_process_stop();
    extatus_events_unsubscribe(rec_subscriber);
    extatus_shutdown();
    unsetenv("EXTATUS_TIMEOUT");
    return 0;
}

#define setup    recorder_setup
#define teardown recorder_teardown

#endif /* EXTATUS_RECORDER_FIXTURE_H */
