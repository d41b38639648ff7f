/*
 * wait_test.c - extatus_worker_wait(): a worker waiting for work stays up
 * and its report runs while it waits, under its mutex, with its state
 * standing still; a worker busy or stuck outside the wait still goes
 * idle; timeouts, passed deadlines, spurious wake-ups, cancellation of
 * the waiting thread and the wake-up at stop.
 *
 * Real threads, a 50 ms period, generous bounds (a noisy 2-core machine).
 */
#include "recorder_fixture.h"

#include <errno.h>
#include <stdio.h>

#define PERIOD 50   /* ms */
#define WAIT   2000 /* ms: longest wait for one expected transition */

/* A realtime instant `ms` from now (pthread_cond_timedwait's default clock). */
static struct timespec realtime_after(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    return ts;
}

/* ---- a queue worker ---------------------------------------------------------------- */

/*
 * One worker serving a queue: it waits in extatus_worker_wait() while
 * the queue is empty and takes `work_ms` per job outside the wait.
 */
typedef struct queue_worker {
    pthread_mutex_t lock;       /* guards everything below but the atomics */
    pthread_cond_t more;        /* jobs arrived, or stop */
    int jobs;                   /* waiting jobs */
    bool stop;                  /* leave the loop */
    bool in_wait;               /* the worker is inside extatus_worker_wait() */
    long done;                  /* jobs done: the state report reads */
    long work_ms;               /* time per job, outside the wait */
    extatus_worker *handle;     /* registration */
    pthread_t thread;           /* the worker */
    atomic_int registered;      /* 1 registered, -1 failed */
    atomic_int wait_rc;         /* last result of the wait */
    atomic_int reports;         /* report calls */
    atomic_int reports_in_wait; /* of which while the worker was inside the wait */
    atomic_int report_bad;      /* a report ran without the mutex or with the worker running */
    atomic_int cancel_cleanup;  /* the thread's cleanup handler ran */
} queue_worker;

static const char *queue_worker_name(void *state)
{
    (void)state;
    return "queue_worker";
}

static void queue_worker_report(void *state)
{
    queue_worker *q = state;
    /* The mutex is held here (by the library or by the worker itself). */
    if (pthread_mutex_trylock(&q->lock) == 0) {
        atomic_store(&q->report_bad, 1);
        pthread_mutex_unlock(&q->lock);
    }
    if (!pthread_equal(pthread_self(), q->thread)) {
        /* On a library thread: only while the worker sits in its wait. */
        if (!q->in_wait)
            atomic_store(&q->report_bad, 1);
        long before = q->done;
        sleep_ms(5); /* the worker must not move meanwhile */
        if (q->done != before || !q->in_wait)
            atomic_store(&q->report_bad, 1);
        atomic_fetch_add(&q->reports_in_wait, 1);
    }
    atomic_fetch_add(&q->reports, 1);
}

static const extatus_worker_ops queue_worker_ops = {EXTATUS_WORKER_OPS_VERSION, queue_worker_name,
                                                    queue_worker_report};

static void unlock_on_cancel(void *arg)
{
    queue_worker *q = arg;
    atomic_store(&q->cancel_cleanup, 1);
    pthread_mutex_unlock(&q->lock); /* a cancelled wait returns with the mutex held */
}

static void *queue_worker_main(void *arg)
{
    queue_worker *q = arg;
    if (extatus_process_register(&q->handle, &queue_worker_ops, q, NULL) != EXTATUS_OK) {
        atomic_store(&q->registered, -1);
        return NULL;
    }
    atomic_store(&q->registered, 1);
    pthread_mutex_lock(&q->lock);
    pthread_cleanup_push(unlock_on_cancel, q);
    while (!q->stop) {
        while (q->jobs == 0 && !q->stop) {
            q->in_wait = true;
            int rc = extatus_worker_wait(q->handle, &q->more, &q->lock, NULL);
            q->in_wait = false;
            atomic_store(&q->wait_rc, rc);
            if (rc == EXTATUS_ERR_STATE) {
                q->stop = true; /* taken down (the handler stopped) */
                break;
            }
        }
        if (q->stop)
            break;
        q->jobs--;
        pthread_mutex_unlock(&q->lock);
        sleep_ms(q->work_ms); /* the job, outside the wait: no answer meanwhile */
        pthread_mutex_lock(&q->lock);
        q->done++;
    }
    pthread_cleanup_pop(0);
    bool taken_down = atomic_load(&q->wait_rc) == EXTATUS_ERR_STATE;
    pthread_mutex_unlock(&q->lock);
    if (!taken_down)
        extatus_process_deregister(q->handle, EXTATUS_REASON_NORMAL);
    return NULL;
}

static void queue_worker_start(queue_worker *q, long work_ms)
{
    memset(q, 0, sizeof(*q));
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->more, NULL);
    q->work_ms = work_ms;
    assert_int_equal(pthread_create(&q->thread, NULL, queue_worker_main, q), 0);
    while (atomic_load(&q->registered) == 0)
        sleep_ms(1);
    assert_int_equal(atomic_load(&q->registered), 1);
}

static void queue_worker_push(queue_worker *q)
{
    pthread_mutex_lock(&q->lock);
    q->jobs++;
    pthread_cond_signal(&q->more);
    pthread_mutex_unlock(&q->lock);
}

static void queue_worker_stop(queue_worker *q)
{
    pthread_mutex_lock(&q->lock);
    q->stop = true;
    pthread_cond_signal(&q->more);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->thread, NULL);
}

static int64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Idle events of `name` stamped between `from_ns` and `to_ns` (realtime):
 * the verdicts made while a wait was surely in progress. A thread slowed
 * down between two waits (valgrind on a loaded machine) may be idle there,
 * rightly, so tests look only inside the waits.
 */
static int idle_events_between(const char *name, int64_t from_ns, int64_t to_ns)
{
    int idle = 0;
    pthread_mutex_lock(&rec.lock);
    for (size_t i = 0; i < rec.count; i++)
        idle += strcmp(rec.events[i].name, name) == 0 &&
                rec.events[i].state == EXTATUS_PROCESS_IDLE && rec.events[i].time_ns >= from_ns &&
                rec.events[i].time_ns <= to_ns;
    pthread_mutex_unlock(&rec.lock);
    return idle;
}

/* Poll the activity of `name` for `ms`: how many samples were 2, and how many in all. */
static void sample_activity(const char *name, long ms, int *up, int *samples)
{
    *up = *samples = 0;
    int64_t until = now_ms() + ms;
    while (now_ms() < until) {
        if (activity_of(name) == 2)
            (*up)++;
        (*samples)++;
        sleep_ms(5);
    }
}

/* ---- tests ---------------------------------------------------------------------------- */

/*
 * Waiting for 20 periods with an empty queue: always 2, never an idle
 * event, and the report ran on a library thread while the worker was
 * in the wait, under its mutex, with the state standing still. Then a
 * job that keeps it outside the wait for 6 periods: idle; back in the
 * wait: up again. Its mutex held by another thread: idle too.
 */
static void test_waiting_worker_is_up_stuck_one_is_idle(void **state)
{
    (void)state;
    start_handler(PERIOD, 0, 5000);
    static queue_worker q;
    queue_worker_start(&q, 6 * PERIOD);
    int up, samples;
    int64_t started = now_ms();
    sample_activity("queue_worker", 20 * PERIOD, &up, &samples);
    assert_int_equal(up, samples); /* 2 all along */
    assert_true(recorder_wait(&rec, 0, "queue_worker", EXTATUS_PROCESS_IDLE, 0) < 0);
    /* Reports ran during the wait (about one a period; a slow machine may drop some). */
    int64_t until = now_ms() + WAIT;
    while (atomic_load(&q.reports_in_wait) < 5 && now_ms() < until)
        sleep_ms(5);
    assert_true(atomic_load(&q.reports_in_wait) >= 5);
    int64_t periods = (now_ms() - started) / PERIOD;
    assert_true(atomic_load(&q.reports) <= periods + 5); /* and only when asked */
    assert_int_equal(atomic_load(&q.report_bad), 0);

    queue_worker_push(&q); /* 6 periods of work outside the wait */
    long idle = recorder_wait(&rec, 0, "queue_worker", EXTATUS_PROCESS_IDLE, WAIT);
    assert_true(idle >= 0);
    assert_int_equal(rec.events[idle].reason, EXTATUS_REASON_TIMEOUT);
    long back = recorder_wait(&rec, (size_t)idle, "queue_worker", EXTATUS_PROCESS_UP, WAIT);
    assert_true(back > idle);
    pthread_mutex_lock(&q.lock);
    assert_int_equal(q.done, 1);
    pthread_mutex_unlock(&q.lock);
    assert_int_equal(atomic_load(&q.report_bad), 0);

    /*
     * Inside the wait, but its mutex held by another thread for 6
     * periods: no report can reach it, idle; released: up again.
     */
    long before = (long)rec.count;
    pthread_mutex_lock(&q.lock);
    long blocked = recorder_wait(&rec, (size_t)before, "queue_worker", EXTATUS_PROCESS_IDLE, WAIT);
    sleep_ms(2 * PERIOD);
    pthread_mutex_unlock(&q.lock);
    assert_true(blocked >= before);
    back = recorder_wait(&rec, (size_t)blocked, "queue_worker", EXTATUS_PROCESS_UP, WAIT);
    assert_true(back > blocked);

    queue_worker_stop(&q);
    long down = recorder_wait(&rec, (size_t)back, "queue_worker", EXTATUS_PROCESS_DOWN, WAIT);
    assert_true(down > back);
    assert_int_equal(rec.events[down].reason, EXTATUS_REASON_NORMAL);
}

static const char *plain_name(void *state)
{
    return state;
}

static const extatus_worker_ops plain_ops = {EXTATUS_WORKER_OPS_VERSION, plain_name, NULL};

/*
 * On the test thread: a deadline reached returns EXTATUS_WAIT_TIMEDOUT
 * no earlier than the deadline, with the mutex held; a deadline already
 * passed returns at once but still answers a pending question; bad
 * arguments are refused; a NULL or lock-mode worker just waits.
 */
static void test_wait_timeouts_and_passed_deadline(void **state)
{
    (void)state;
    start_handler(PERIOD, 0, 5000);
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK); /* unlock tells who holds it */
    pthread_mutex_t lock;
    pthread_mutex_init(&lock, &attr);
    pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
    extatus_worker *worker;
    extatus_worker_options unwatched = EXTATUS_WORKER_OPTIONS_INIT;
    unwatched.watch_thread = 0;
    assert_ok(
        extatus_process_register(&worker, &plain_ops, (void *)(uintptr_t) "timed", &unwatched));

    pthread_mutex_lock(&lock);
    int64_t started = now_ms();
    int64_t entered_ns = realtime_ns();
    struct timespec deadline = realtime_after(6 * PERIOD);
    assert_int_equal(extatus_worker_wait(worker, &cond, &lock, &deadline), EXTATUS_WAIT_TIMEDOUT);
    int64_t returned_ns = realtime_ns();
    assert_true(now_ms() - started >= 6 * PERIOD - 2);
    assert_int_equal(pthread_mutex_unlock(&lock), 0); /* returned with the mutex held */
    assert_int_equal(idle_events_between("timed", entered_ns, returned_ns), 0); /* up meanwhile */

    /* Busy outside any wait for 4 periods: idle. Then a wait whose deadline passed. */
    sleep_ms(4 * PERIOD);
    long idle = recorder_wait(&rec, 0, "timed", EXTATUS_PROCESS_IDLE, WAIT);
    assert_true(idle >= 0);
    pthread_mutex_lock(&lock);
    struct timespec past = realtime_after(0);
    past.tv_sec -= 10;
    started = now_ms();
    assert_int_equal(extatus_worker_wait(worker, &cond, &lock, &past), EXTATUS_WAIT_TIMEDOUT);
    assert_true(now_ms() - started < 1000); /* at once */
    assert_int_equal(pthread_mutex_unlock(&lock), 0);
    /* The question pending at the call was answered by it: up at the next verdict. */
    assert_true(recorder_wait(&rec, (size_t)idle, "timed", EXTATUS_PROCESS_UP, WAIT) > idle);

    assert_extatus(EXTATUS_ERR_INVALID, extatus_worker_wait(worker, NULL, &lock, NULL));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_worker_wait(worker, &cond, NULL, NULL));
    /* A deadline the wait refuses is an error, not a wake-up (it spun a caller's loop). */
    pthread_mutex_lock(&lock);
    struct timespec bad = realtime_after(PERIOD);
    bad.tv_nsec = 2000000000L;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_worker_wait(worker, &cond, &lock, &bad));
    assert_non_null(strstr(extatus_error_last(), "worker wait"));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_worker_wait(NULL, &cond, &lock, &bad));
    assert_int_equal(pthread_mutex_unlock(&lock), 0); /* still held after the refusal */
    pthread_mutex_lock(&lock);
    deadline = realtime_after(PERIOD);
    assert_int_equal(extatus_worker_wait(NULL, &cond, &lock, &deadline), EXTATUS_WAIT_TIMEDOUT);
    assert_int_equal(pthread_mutex_unlock(&lock), 0);
    assert_ok(extatus_process_deregister(worker, EXTATUS_REASON_NORMAL));
    pthread_mutex_destroy(&lock);
    pthread_mutexattr_destroy(&attr);
}

typedef struct waker {
    pthread_mutex_t *lock;
    pthread_cond_t *cond;
    long after_ms;
} waker;

static void *wake_later(void *arg)
{
    waker *w = arg;
    sleep_ms(w->after_ms);
    pthread_mutex_lock(w->lock);
    pthread_cond_signal(w->cond); /* nothing changed: a spurious wake-up for the waiter */
    pthread_mutex_unlock(w->lock);
    return NULL;
}

/*
 * A signal without work wakes the wait with EXTATUS_OK long before its
 * deadline; the caller rechecks its condition and waits again, up all
 * the while.
 */
static void test_wait_spurious_wakeup(void **state)
{
    (void)state;
    start_handler(PERIOD, 0, 5000);
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
    extatus_worker *worker;
    extatus_worker_options unwatched = EXTATUS_WORKER_OPTIONS_INIT;
    unwatched.watch_thread = 0;
    assert_ok(
        extatus_process_register(&worker, &plain_ops, (void *)(uintptr_t) "woken", &unwatched));
    waker w = {&lock, &cond, 4 * PERIOD};
    pthread_t thread;
    pthread_mutex_lock(&lock);
    assert_int_equal(pthread_create(&thread, NULL, wake_later, &w), 0);
    int64_t started = now_ms();
    int64_t entered_ns = realtime_ns();
    struct timespec deadline = realtime_after(20000);
    assert_int_equal(extatus_worker_wait(worker, &cond, &lock, &deadline), EXTATUS_OK);
    int64_t returned_ns = realtime_ns();
    int64_t woken_after = now_ms() - started;
    assert_true(woken_after <
                10000); /* by the signal (or a real spurious wake-up), not the deadline */
    /* Nothing to do: wait again, a short while. */
    int64_t again_ns = realtime_ns();
    deadline = realtime_after(4 * PERIOD);
    assert_int_equal(extatus_worker_wait(worker, &cond, &lock, &deadline), EXTATUS_WAIT_TIMEDOUT);
    int64_t timed_out_ns = realtime_ns();
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    /* Never idle inside either wait. */
    assert_int_equal(idle_events_between("woken", entered_ns, returned_ns), 0);
    assert_int_equal(idle_events_between("woken", again_ns, timed_out_ns), 0);
    assert_ok(extatus_process_deregister(worker, EXTATUS_REASON_NORMAL));
}

/*
 * extatus_process_stop() while the worker waits with no deadline: the
 * wait returns EXTATUS_ERR_STATE, stop returns within its bound (twice
 * the deadline, plus slack for a loaded machine), the worker is down with
 * "shutdown"; nothing is used after it is freed (ASan, valgrind).
 */
static void test_wait_cancelled_at_stop(void **state)
{
    (void)state;
    start_handler(PERIOD, 0, 5000);
    static queue_worker q;
    queue_worker_start(&q, 0);
    sleep_ms(3 * PERIOD);
    int64_t started = now_ms();
    assert_ok(extatus_process_stop());
    int64_t took = now_ms() - started;
    printf("stop with a worker in extatus_worker_wait: %lld ms\n", (long long)took);
    assert_true(took < 2 * PERIOD + 1500);
    pthread_join(q.thread, NULL); /* it left its loop: the wait returned */
    assert_int_equal(atomic_load(&q.wait_rc), EXTATUS_ERR_STATE);
    long down = recorder_wait(&rec, 0, "queue_worker", EXTATUS_PROCESS_DOWN, 0);
    assert_true(down >= 0);
    assert_int_equal(rec.events[down].reason, EXTATUS_REASON_SHUTDOWN);
    assert_true(activity_of("queue_worker") == 0);
}

/*
 * pthread_cancel of a thread inside the wait (a cancellation point): its
 * cleanup handlers run, the worker goes down with "thread_exit", and the
 * library keeps nothing pointing into the dead wait.
 */
static void test_wait_thread_cancelled(void **state)
{
    (void)state;
    start_handler(PERIOD, 0, 5000);
    static queue_worker q;
    queue_worker_start(&q, 0);
    sleep_ms(3 * PERIOD);
    assert_int_equal(pthread_cancel(q.thread), 0);
    pthread_join(q.thread, NULL);
    assert_int_equal(atomic_load(&q.cancel_cleanup), 1);
    long down = recorder_wait(&rec, 0, "queue_worker", EXTATUS_PROCESS_DOWN, WAIT);
    assert_true(down >= 0);
    assert_int_equal(rec.events[down].reason, EXTATUS_REASON_THREAD_EXIT);
    /* The mutex is free again and no job takes it for a worker that is gone. */
    sleep_ms(3 * PERIOD);
    assert_int_equal(pthread_mutex_trylock(&q.lock), 0);
    pthread_mutex_unlock(&q.lock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_waiting_worker_is_up_stuck_one_is_idle, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_wait_timeouts_and_passed_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_spurious_wakeup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_cancelled_at_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_thread_cancelled, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
