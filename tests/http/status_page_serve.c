/*
 * status_page_serve.c - the program the status page test drives: the
 * exporter on a free port and lock-mode workers named on the command
 * line, changed by commands read from standard input, one per line:
 *
 *   idle NAME           hold NAME's mutex: its polls time out (idle)
 *   up NAME             release it: up again
 *   text NAME TEXT...   set NAME's status text (the rest of the line)
 *   down NAME REASON    deregister NAME with REASON (normal, error, signal, ...)
 *
 * It prints "port N" once serving and "ok" (or "error: ...") after each
 * command; at end of input it stops the handler and the exporter.
 *
 * Usage: status_page_serve NAME...
 */
#include <extatus.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define WORKERS_MAX 16

typedef struct test_worker {
    const char *name;
    pthread_mutex_t lock;
    extatus_worker *handle;
    int held;
} test_worker;

static const char *worker_name(void *state)
{
    return ((test_worker *)state)->name;
}

static const extatus_worker_ops ops = {EXTATUS_WORKER_OPS_VERSION, worker_name, NULL};

static test_worker *find(test_worker *workers, int count, const char *name)
{
    for (int i = 0; i < count; i++)
        if (strcmp(workers[i].name, name) == 0 && workers[i].handle)
            return &workers[i];
    return NULL;
}

static int reason_of(const char *name)
{
    for (int r = EXTATUS_REASON_NORMAL; r <= EXTATUS_REASON_ABSENT; r++)
        if (r != EXTATUS_REASON_THREAD_EXIT &&
            strcmp(extatus_process_reason_name((extatus_process_reason)r), name) == 0)
            return r;
    return 0;
}

/* Apply one command line; returns NULL or what went wrong. */
static const char *apply(test_worker *workers, int count, char *line)
{
    char *save = NULL;
    char *verb = strtok_r(line, " ", &save);
    char *name = strtok_r(NULL, " ", &save);
    test_worker *w = verb && name ? find(workers, count, name) : NULL;
    if (!w)
        return "no such live worker";
    if (strcmp(verb, "idle") == 0 && !w->held) {
        pthread_mutex_lock(&w->lock);
        w->held = 1;
    } else if (strcmp(verb, "up") == 0 && w->held) {
        pthread_mutex_unlock(&w->lock);
        w->held = 0;
    } else if (strcmp(verb, "text") == 0) {
        const char *text = save ? save : "";
        if (extatus_worker_set_status_text(w->handle, text) != EXTATUS_OK)
            return extatus_error_last();
    } else if (strcmp(verb, "down") == 0) {
        const char *reason_name = strtok_r(NULL, " ", &save);
        int reason = reason_name ? reason_of(reason_name) : 0;
        if (!reason)
            return "no such exit reason";
        if (w->held) {
            pthread_mutex_unlock(&w->lock);
            w->held = 0;
        }
        if (extatus_process_deregister(w->handle, (extatus_process_reason)reason) != EXTATUS_OK)
            return extatus_error_last();
        w->handle = NULL;
    } else {
        return "unknown command";
    }
    return NULL;
}

int main(int argc, char **argv)
{
    static test_worker workers[WORKERS_MAX];
    int count = argc - 1 < WORKERS_MAX ? argc - 1 : WORKERS_MAX;
    extatus_process_options process = EXTATUS_PROCESS_OPTIONS_INIT;
    process.timeout_ms = 100;
    process.retention_ms = EXTATUS_PROCESS_RETAIN_FOREVER;
    extatus_exporter_options http = EXTATUS_EXPORTER_OPTIONS_INIT;
    http.port = 0;
    extatus_exporter *exporter;
    if (extatus_init() != EXTATUS_OK || extatus_process_start(&process) != EXTATUS_OK ||
        extatus_exporter_start(&exporter, &http) != EXTATUS_OK) {
        fprintf(stderr, "status_page_serve: %s\n", extatus_error_last());
        return 1;
    }
    for (int i = 0; i < count; i++) {
        extatus_worker_options options = EXTATUS_WORKER_OPTIONS_INIT;
        workers[i].name = argv[i + 1];
        pthread_mutex_init(&workers[i].lock, NULL);
        options.mode = EXTATUS_WORKER_LOCK;
        options.lock = &workers[i].lock;
        options.watch_thread = 0;
        if (extatus_process_register(&workers[i].handle, &ops, &workers[i], &options) !=
            EXTATUS_OK) {
            fprintf(stderr, "status_page_serve: %s\n", extatus_error_last());
            return 1;
        }
    }
    printf("port %u\n", extatus_exporter_port(exporter));
    fflush(stdout);
    char line[512];
    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\n")] = '\0';
        const char *error = apply(workers, count, line);
        if (error)
            printf("error: %s\n", error);
        else
            puts("ok");
        fflush(stdout);
    }
    for (int i = 0; i < count; i++)
        if (workers[i].held)
            pthread_mutex_unlock(&workers[i].lock);
    extatus_process_stop();
    extatus_exporter_stop(exporter);
    extatus_shutdown();
    return 0;
}
