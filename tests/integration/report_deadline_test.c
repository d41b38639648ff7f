/*
 * report_deadline_test.c - reporters against receivers that misbehave:
 * one frozen with SIGSTOP (it stops reading, its socket buffers fill) and
 * one whose accept queue is full (connects hang). No public call may wait
 * for the receiver: extatus_reporter_get_status() answers at once,
 * extatus_reporter_remove() and extatus_shutdown() return within their
 * bound, and what could not be sent is counted as dropped with its
 * reason. Also: the restart gaps (restart_delay, doubling) and a receiver
 * that closes its connection (the batch written after that is not
 * counted as delivered).
 *
 * Timed with real clocks: bounds are generous for a loaded machine, yet
 * far below what the receiver would make a blocking call wait (forever
 * while frozen; a watchdog thaws and kills it after WATCHDOG_MS so that a
 * failing run ends).
 */
#include "test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SERIES       20000 /* about 1 MB of lines per delivery */
#define STATUS_BOUND 250   /* ms: a status call never waits for I/O */
#define STOP_BOUND   1000  /* ms: removal and shutdown (20 ms of waiting plus the batch work) */
#define WATCHDOG_MS  8000  /* a frozen receiver is killed after this, ending a failing run */
#define DEADLINE_MS  400   /* connect_timeout and send_timeout of the reporters under test */

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
    struct timespec delay = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&delay, &delay) != 0) {
    }
}

static int setup(void **state)
{
    (void)state;
    if (extatus_process_collector_set_default(0) != EXTATUS_OK)
        return -1;
    return extatus_init();
}

static int teardown(void **state)
{
    (void)state;
    extatus_shutdown();
    return 0;
}

/* A loopback listener on a free port; rcvbuf > 0 shrinks the buffers of accepted sockets. */
static int listen_local(int backlog, int rcvbuf, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    if (rcvbuf > 0)
        assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(fd, backlog), 0);
    socklen_t length = sizeof(addr);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &length), 0);
    *port = ntohs(addr.sin_port);
    return fd;
}

/* A receiver process that accepts and reads everything, until it is frozen or killed. */
static pid_t spawn_reader(int listener)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        static char sink[65536];
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a test that failed */
        for (;;) {
            int conn = accept(listener, NULL, NULL);
            if (conn < 0)
                continue;
            while (read(conn, sink, sizeof(sink)) > 0) {
            }
            close(conn);
        }
    }
    return pid;
}

/* Kills the receiver after WATCHDOG_MS unless disarmed (so a blocked call comes back). */
typedef struct watchdog {
    pthread_t thread;
    pid_t victim;
    atomic_bool disarmed;
    atomic_bool fired;
} watchdog;

static void *watchdog_run(void *arg)
{
    watchdog *w = arg;
    for (int waited = 0; waited < WATCHDOG_MS; waited += 10) {
        if (atomic_load(&w->disarmed))
            return NULL;
        sleep_ms(10);
    }
    atomic_store(&w->fired, true);
    kill(w->victim, SIGKILL);
    return NULL;
}

static void watchdog_start(watchdog *w, pid_t victim)
{
    w->victim = victim;
    atomic_store(&w->disarmed, false);
    atomic_store(&w->fired, false);
    assert_int_equal(pthread_create(&w->thread, NULL, watchdog_run, w), 0);
}

static void watchdog_stop(watchdog *w)
{
    atomic_store(&w->disarmed, true);
    pthread_join(w->thread, NULL);
}

static void reap(pid_t pid)
{
    kill(pid, SIGKILL);
    kill(pid, SIGCONT);
    waitpid(pid, NULL, 0);
}

/* SERIES series of one gauge: each delivery is about 1 MB of lines. */
static void make_bulk_metric(void)
{
    const char *labels[] = {"id"};
    extatus_option family[] = {EXTATUS_OPT_STRINGS("labels", labels, 1),
                               EXTATUS_OPT_NUMBER("max_series", SERIES)};
    assert_ok(extatus_new(NULL, "bulk_level", "gauge", family, 2));
    for (int i = 0; i < SERIES; i++) {
        char id[32];
        snprintf(id, sizeof(id), "series-%05d", i);
        const char *values[] = {id};
        assert_ok(extatus_update(NULL, "bulk_level", extatus_labels_of(values, 1), i));
    }
}

static void add_line_reporter(const char *name, int port, double interval_ms)
{
    char address[64];
    snprintf(address, sizeof(address), "127.0.0.1:%d", port);
    extatus_option options[] = {
        EXTATUS_OPT_STRING("address", address), EXTATUS_OPT_NUMBER("connect_timeout", DEADLINE_MS),
        EXTATUS_OPT_NUMBER("send_timeout", DEADLINE_MS), EXTATUS_OPT_NUMBER("restart_delay", 100)};
    assert_ok(extatus_reporter_add(name, extatus_reporter_line(), options, 4));
    extatus_subscription sub = EXTATUS_SUBSCRIPTION_INIT;
    sub.metric = "bulk_level";
    sub.interval_ms = (int64_t)interval_ms;
    assert_ok(extatus_subscribe(name, &sub));
}

static extatus_reporter_status status_of(const char *name)
{
    extatus_reporter_status status;
    assert_ok(extatus_reporter_get_status(name, &status));
    return status;
}

/* Wait until the reporter delivered something (the receiver reads). */
static void wait_delivered(const char *name)
{
    for (int i = 0; i < 500 && status_of(name).delivered == 0; i++)
        sleep_ms(10);
    assert_true(status_of(name).delivered > 0);
}

/* Time a status call; it must not wait for the reporter's delivery in progress. */
static void assert_status_prompt(const char *name, extatus_reporter_status *status)
{
    double start = now_ms();
    assert_ok(extatus_reporter_get_status(name, status));
    double took = now_ms() - start;
    print_message("get_status took %.1f ms\n", took);
    assert_true(took < STATUS_BOUND);
}

/* A receiver "frozen" got deliveries, then was frozen with SIGSTOP under a watchdog. */
typedef struct frozen {
    int listener;
    pid_t reader;
    watchdog dog;
} frozen;

static void freeze_receiver(frozen *f)
{
    int port = 0;
    f->listener = listen_local(16, 4096, &port);
    f->reader = spawn_reader(f->listener);
    make_bulk_metric();
    add_line_reporter("frozen", port, 100);
    wait_delivered("frozen");
    assert_int_equal(kill(f->reader, SIGSTOP), 0);
    watchdog_start(&f->dog, f->reader);
    sleep_ms(1500); /* buffers full: every delivery now waits on the receiver */
}

static void thaw_and_end(frozen *f)
{
    watchdog_stop(&f->dog);
    reap(f->reader);
    close(f->listener);
}

/* A frozen receiver: status answers at once, loss is counted as timeouts, removal is prompt. */
static void test_frozen_receiver_remove(void **state)
{
    (void)state;
    frozen f;
    freeze_receiver(&f);

    extatus_reporter_status status;
    assert_status_prompt("frozen", &status);
    assert_false(atomic_load(&f.dog.fired));
    print_message("delivered %llu, dropped: timeout %llu, error %llu, down %llu\n",
                  (unsigned long long)status.delivered, (unsigned long long)status.dropped_timeout,
                  (unsigned long long)status.dropped_error,
                  (unsigned long long)status.dropped_down);
    assert_true(status.dropped_timeout >= SERIES); /* at least one whole batch timed out */
    assert_int_equal(status.last_error, EXTATUS_ERR_SYSTEM);

    double start = now_ms();
    assert_ok(extatus_reporter_remove("frozen"));
    double took = now_ms() - start;
    print_message("remove took %.1f ms\n", took);
    assert_false(atomic_load(&f.dog.fired));
    assert_true(took < STOP_BOUND);

    thaw_and_end(&f);
}

/* A frozen receiver: extatus_shutdown() returns within its bound. */
static void test_frozen_receiver_shutdown(void **state)
{
    (void)state;
    frozen f;
    freeze_receiver(&f);

    double start = now_ms();
    extatus_shutdown();
    double took = now_ms() - start;
    print_message("shutdown took %.1f ms\n", took);
    assert_false(atomic_load(&f.dog.fired));
    assert_true(took < STOP_BOUND);

    thaw_and_end(&f);
    assert_ok(extatus_init()); /* for the teardown */
}

/*
 * A listener whose accept queue is full (nobody accepts): connects hang in
 * SYN_SENT. The connect deadline ends each attempt; status, removal and
 * shutdown never wait for it.
 */
static void test_full_accept_queue(void **state)
{
    (void)state;
    int port = 0;
    int listener = listen_local(0, 0, &port);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((uint16_t)port);
    int fillers[8];
    for (int i = 0; i < 8; i++) { /* the queue (backlog 0 holds one) fills; the rest hang */
        fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        assert_true(fillers[i] >= 0);
        (void)connect(fillers[i], (struct sockaddr *)&addr, sizeof(addr));
    }
    sleep_ms(100);

    assert_ok(extatus_new(NULL, "queue_level", "gauge", NULL, 0));
    char address[64];
    snprintf(address, sizeof(address), "127.0.0.1:%d", port);
    extatus_option options[] = {EXTATUS_OPT_STRING("address", address),
                                EXTATUS_OPT_NUMBER("connect_timeout", DEADLINE_MS),
                                EXTATUS_OPT_NUMBER("restart_delay", 100)};
    assert_ok(extatus_reporter_add("queued", extatus_reporter_line(), options, 3));
    extatus_subscription sub = EXTATUS_SUBSCRIPTION_INIT;
    sub.metric = "queue_level";
    sub.interval_ms = 100;
    assert_ok(extatus_subscribe("queued", &sub));

    sleep_ms(1500); /* several connect attempts, each ended by the deadline */
    extatus_reporter_status status;
    assert_status_prompt("queued", &status);
    print_message("delivered %llu, dropped: timeout %llu, error %llu, down %llu\n",
                  (unsigned long long)status.delivered, (unsigned long long)status.dropped_timeout,
                  (unsigned long long)status.dropped_error,
                  (unsigned long long)status.dropped_down);
    assert_int_equal(status.delivered, 0);
    assert_true(status.dropped_timeout >= 2); /* at least two attempts timed out */
    assert_true(status.failures >= 2);

    /* Shut down while a connect is (most likely) waiting. */
    double start = now_ms();
    extatus_shutdown();
    double took = now_ms() - start;
    print_message("shutdown took %.1f ms\n", took);
    assert_true(took < STOP_BOUND);
    assert_ok(extatus_init());

    for (int i = 0; i < 8; i++)
        close(fillers[i]);
    close(listener);
}

/* ---- restart gaps ----------------------------------------------------------------- */

#define GAP_INTERVAL 300 /* ms, also the restart_delay */

typedef struct call_times {
    pthread_mutex_t lock;
    double at[8];
    int count;
} call_times;

static int always_fail(const extatus_report_item *items, size_t count, void *user_data)
{
    (void)items;
    (void)count;
    call_times *times = user_data;
    pthread_mutex_lock(&times->lock);
    if (times->count < 8)
        times->at[times->count++] = now_ms();
    pthread_mutex_unlock(&times->lock);
    return -1;
}

/*
 * A reporter that fails at every delivery is tried again after
 * restart_delay, 2, 4 times restart_delay...: with the interval equal to
 * restart_delay the gaps between attempts are 1, 2, 4 intervals, not one
 * interval more each.
 */
static void test_restart_gaps(void **state)
{
    (void)state;
    call_times times = {.count = 0};
    pthread_mutex_init(&times.lock, NULL);
    assert_ok(extatus_new(NULL, "gap_level", "gauge", NULL, 0));
    extatus_option options[] = {EXTATUS_OPT_FUNCTION("function", always_fail),
                                EXTATUS_OPT_POINTER("user_data", &times),
                                EXTATUS_OPT_NUMBER("restart_delay", GAP_INTERVAL)};
    assert_ok(extatus_reporter_add("failing", extatus_reporter_callback(), options, 3));
    extatus_subscription sub = EXTATUS_SUBSCRIPTION_INIT;
    sub.metric = "gap_level";
    sub.interval_ms = GAP_INTERVAL;
    assert_ok(extatus_subscribe("failing", &sub));

    for (int i = 0; i < 600; i++) { /* 1 + 2 + 4 intervals after the first, plus slack */
        pthread_mutex_lock(&times.lock);
        int count = times.count;
        pthread_mutex_unlock(&times.lock);
        if (count >= 4)
            break;
        sleep_ms(10);
    }
    assert_ok(extatus_reporter_remove("failing"));
    assert_true(times.count >= 4);
    for (int i = 1; i < 4; i++) {
        double gap = times.at[i] - times.at[i - 1];
        double expected = GAP_INTERVAL * (double)(1 << (i - 1));
        print_message("gap %d: %.0f ms (expected %.0f)\n", i, gap, expected);
        /* One interval more (the defect) is outside; scheduler lateness is inside. */
        assert_true(gap > expected - GAP_INTERVAL / 2.0);
        assert_true(gap < expected + GAP_INTERVAL / 2.0);
    }
    pthread_mutex_destroy(&times.lock);
}

/* ---- a receiver that closes its connection -------------------------------------- */

/*
 * The receiver reads one delivery, then closes the connection and stops
 * listening. The next batch must not be written into the dead connection
 * and counted as delivered: it is counted as dropped.
 */
static void test_closed_connection_not_delivered(void **state)
{
    (void)state;
    int port = 0;
    int listener = listen_local(4, 0, &port);
    assert_ok(extatus_new(NULL, "closing_level", "gauge", NULL, 0));
    assert_ok(extatus_update(NULL, "closing_level", EXTATUS_NO_LABELS, 7));
    char address[64];
    snprintf(address, sizeof(address), "127.0.0.1:%d", port);
    extatus_option options[] = {EXTATUS_OPT_STRING("address", address),
                                EXTATUS_OPT_NUMBER("restart_delay", 100)};
    assert_ok(extatus_reporter_add("closing", extatus_reporter_line(), options, 2));
    extatus_subscription sub = EXTATUS_SUBSCRIPTION_INIT;
    sub.metric = "closing_level";
    sub.interval_ms = 400;
    assert_ok(extatus_subscribe("closing", &sub));

    struct pollfd p = {listener, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 3000), 1);
    int conn = accept(listener, NULL, NULL);
    assert_true(conn >= 0);
    char text[256] = "";
    size_t used = 0;
    while (!strchr(text, '\n') && used < sizeof(text) - 1) {
        ssize_t n = read(conn, text + used, sizeof(text) - 1 - used);
        assert_true(n > 0);
        used += (size_t)n;
        text[used] = '\0';
    }
    assert_non_null(strstr(text, "closing_level.value 7 "));
    sleep_ms(100); /* the reporter counts the batch once it is acknowledged */
    uint64_t first_batch = status_of("closing").delivered;
    assert_true(first_batch >= 1);
    double first = now_ms();
    close(conn);
    close(listener);

    sleep_ms(1000); /* two more intervals */
    extatus_reporter_status status = status_of("closing");
    print_message("after %.0f ms: reports %llu, delivered %llu, dropped error %llu, down %llu\n",
                  now_ms() - first, (unsigned long long)status.reports,
                  (unsigned long long)status.delivered, (unsigned long long)status.dropped_error,
                  (unsigned long long)status.dropped_down);
    assert_int_equal(status.reports, 1);
    assert_int_equal(status.delivered, first_batch);
    assert_true(status.dropped_error >= 1);
    assert_ok(extatus_reporter_remove("closing"));
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_frozen_receiver_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frozen_receiver_shutdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_accept_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_gaps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closed_connection_not_delivered, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
