/*
 * worker_status.c - process status in one program: the seed's counter
 * server as a worker in checkpoint mode, a mutex-guarded queue in lock
 * mode, and the status events read from a file descriptor.
 *
 * The counter server answers from its own loop; after a while it gets
 * busy (idle), recovers (up) and ends (down). The program prints every
 * event it reads, then the process metrics as Prometheus would scrape them.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep, poll */

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include <extatus.h>

static extatus_family *instrument; /* instrument_gauge{label} */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* ---- a counter server in checkpoint mode ---------------------------------- */

typedef struct counter_server {
    long n;               /* the state: inc, dec, value */
    extatus_gauge *gauge; /* instrument_gauge{label="Label"} */
} counter_server;

static const char *counter_name(void *state)
{
    (void)state;
    return "instrumented_process"; /* unique */
}

/* Runs inside extatus_worker_checkpoint(), on the server's own thread. */
static void counter_report(void *state)
{
    counter_server *server = state;
    extatus_gauge_set(server->gauge, (double)server->n);
}

static const extatus_worker_ops counter_ops = {
    .version = EXTATUS_WORKER_OPS_VERSION,
    .get_name = counter_name,
    .report = counter_report,
};

static void *counter_main(void *arg)
{
    counter_server *server = arg;
    extatus_worker *self;
    if (extatus_process_register(&self, &counter_ops, server, NULL) != EXTATUS_OK) {
        fprintf(stderr, "register: %s\n", extatus_error_last());
        return NULL;
    }
    for (int tick = 0; tick < 120; tick++) {
        server->n++;                     /* handle_call(:inc) */
        extatus_worker_checkpoint(self); /* answer the handler if it asked */
        sleep_ms(tick == 40 ? 400 : 5);  /* once, busy for four periods */
    }
    extatus_process_deregister(self, EXTATUS_REASON_NORMAL);
    return NULL;
}

/* ---- a mutex-guarded queue in lock mode ----------------------------------- */

typedef struct job_queue {
    pthread_mutex_t lock; /* guards depth */
    int depth;            /* jobs waiting */
    extatus_gauge *gauge; /* instrument_gauge{label="queue"} */
} job_queue;

static const char *queue_name(void *state)
{
    (void)state;
    return "job_queue";
}

/* Runs on a library thread while the library holds queue->lock. */
static void queue_report(void *state)
{
    job_queue *queue = state;
    extatus_gauge_set(queue->gauge, queue->depth);
}

static const extatus_worker_ops queue_ops = {
    .version = EXTATUS_WORKER_OPS_VERSION,
    .get_name = queue_name,
    .report = queue_report,
};

int main(void)
{
    const char *label[] = {"label"};
    extatus_option options[] = {
        EXTATUS_OPT_STRING("help", "Instrument gauge"),
        EXTATUS_OPT_STRINGS("labels", label, 1),
    };
    extatus_process_options process = EXTATUS_PROCESS_OPTIONS_INIT;
    process.timeout_ms = 100; /* poll ten times a second */
    extatus_subscriber *events;
    counter_server server = {0, NULL};
    job_queue queue = {PTHREAD_MUTEX_INITIALIZER, 3, NULL};
    extatus_worker *queue_worker;
    pthread_t thread;

    if (extatus_family_new(&instrument, NULL, "instrument_gauge", "gauge", options, 2) ||
        extatus_gauge_get(&server.gauge, instrument, EXTATUS_LABELS("Label")) ||
        extatus_gauge_get(&queue.gauge, instrument, EXTATUS_LABELS("queue")) ||
        extatus_process_start(&process) || extatus_events_open(&events, 0, 0)) {
        fprintf(stderr, "set-up: %s\n", extatus_error_last());
        return 1;
    }
    extatus_worker_options lock_mode = EXTATUS_WORKER_OPTIONS_INIT;
    lock_mode.mode = EXTATUS_WORKER_LOCK;
    lock_mode.lock = &queue.lock;
    lock_mode.watch_thread = 0; /* main registers it; only deregistration ends it */
    if (extatus_process_register(&queue_worker, &queue_ops, &queue, &lock_mode) != EXTATUS_OK) {
        fprintf(stderr, "register: %s\n", extatus_error_last());
        return 1;
    }
    pthread_create(&thread, NULL, counter_main, &server);

    /* Read events until the counter server is down. */
    for (int done = 0; !done;) {
        struct pollfd pfd = {extatus_events_fd(events), POLLIN, 0};
        if (poll(&pfd, 1, 5000) != 1)
            break;
        extatus_process_event event[8];
        int count = extatus_events_read(events, event, 8);
        for (int i = 0; i < count; i++) {
            printf("event: %s %s (%s)\n", event[i].name, extatus_process_state_name(event[i].state),
                   extatus_process_reason_name(event[i].reason));
            done |= event[i].state == EXTATUS_PROCESS_DOWN;
        }
    }
    pthread_join(thread, NULL);

    extatus_buf text = EXTATUS_BUF_INIT;
    if (extatus_expose(&text, NULL, 0, NULL) == EXTATUS_OK)
        fputs(text.ptr, stdout);
    extatus_buf_dispose(&text);
    extatus_events_unsubscribe(events);
    extatus_process_stop(); /* the queue goes down too, reason "shutdown" */
    extatus_shutdown();
    return 0;
}
