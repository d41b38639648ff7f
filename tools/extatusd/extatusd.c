/*
 * extatusd - up/idle/down for any process that speaks the service
 * notification protocol (READY=1, WATCHDOG=1, STATUS=..., STOPPING=1).
 *
 * A program on the library's public API. Each reporting process becomes a
 * checkpoint-mode worker of the library's worker-status handler: the
 * daemon's loop answers for the worker (extatus_worker_checkpoint) while
 * the process's last ping is within its interval, so the handler judges
 * it up, and stops answering when the ping is overdue, so the handler
 * judges it idle. The process's exit, seen on a pidfd, deregisters the
 * worker with the exit's reason. /metrics, /events and the page are the
 * library's exporter. docs/extatusd.md and extatusd(8) describe it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <yaml.h>

#include <extatus.h>
#include <extatus/yaml.h>

#include "notify.h"
#include "table.h"

#define DEFAULT_SOCKET        "/run/extatus/notify.sock"
#define DEFAULT_MAX_PROCESSES 16384u
#define DEFAULT_RATE          100u /* datagrams per second and process */
#define MAX_HELPERS           8
#define LOG_LINES_PER_SECOND  20
#define COALESCE_NS           5000000 /* least time between two reads of the socket */
#define COALESCE_QUEUE_MIN    128     /* ... when the socket may queue at least this many */

/* ---- settings ------------------------------------------------------------------------ */

typedef struct settings {
    extatus_config library; /* timeout, port, registry */
    const char *socket_path;
    mode_t socket_mode;
    const char *config_path;         /* expected processes (YAML) */
    const char *library_config_path; /* extatus_config_load() file */
    unsigned retention_ms;
    unsigned max_processes;
    unsigned rate;
    const char *helpers[MAX_HELPERS];
    size_t helper_count;
    const char *tls_cert, *tls_key, *auth_user, *auth_password_file;
} settings;

/* ---- the daemon's state ---------------------------------------------------------------- */

enum drop_reason {
    DROP_OVERSIZED,
    DROP_MALFORMED,
    DROP_NO_CREDENTIALS,
    DROP_BAD_NAME,
    DROP_NAME_TAKEN,
    DROP_SENDER_GONE,
    DROP_FLOOD,
    DROP_LIMIT,
    DROP_STOPPED,
    DROP_COUNT
};
static const char *const drop_names[DROP_COUNT] = {
    "oversized",   "malformed", "no_credentials", "bad_name", "name_taken",
    "sender_gone", "flood",     "limit",          "stopped",
};

typedef struct daemon_state {
    settings set;
    process_table table;
    size_t live; /* records with a pidfd */
    int epoll_fd;
    int socket_fd;
    int signal_fd;
    int tick_fd;
    int64_t tick_ns;
    extatus_counter *datagrams;
    extatus_counter *dropped[DROP_COUNT];
    extatus_gauge *watched;
    /* Log rate limit: LOG_LINES_PER_SECOND, the rest counted and summarised. */
    int64_t log_second;
    unsigned log_lines;
    unsigned long log_suppressed;
} daemon_state;

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Log one line to stderr (the journal under systemd), at most LOG_LINES_PER_SECOND. */
__attribute__((format(printf, 2, 3))) static void say(daemon_state *d, const char *format, ...)
{
    int64_t second = now_ns() / 1000000000;
    if (second != d->log_second) {
        if (d->log_suppressed)
            fprintf(stderr, "extatusd: %lu messages suppressed\n", d->log_suppressed);
        d->log_second = second;
        d->log_lines = 0;
        d->log_suppressed = 0;
    }
    if (d->log_lines >= LOG_LINES_PER_SECOND) {
        d->log_suppressed++;
        return;
    }
    d->log_lines++;
    va_list args;
    va_start(args, format);
    fputs("extatusd: ", stderr);
    /* va_start is above; the analyzer loses it on some paths: */
    vfprintf(stderr, format, args); // NOLINT(clang-analyzer-valist.Uninitialized)
    fputc('\n', stderr);
    va_end(args);
}

static void drop(daemon_state *d, enum drop_reason reason)
{
    extatus_counter_inc(d->dropped[reason]);
}

/* ---- processes ----------------------------------------------------------------------- */

static const char *record_name(void *state)
{
    return ((process_record *)state)->name;
}

static const extatus_worker_ops worker_ops = {
    .version = EXTATUS_WORKER_OPS_VERSION,
    .get_name = record_name,
    .report = NULL,
};

static int register_worker(daemon_state *d, process_record *record)
{
    (void)d;
    extatus_worker_options options = EXTATUS_WORKER_OPTIONS_INIT;
    options.watch_thread = 0; /* the process, not this thread, ends it */
    int registered = extatus_process_register(&record->worker, &worker_ops, record, &options);
    if (registered == EXTATUS_OK) /* a new process under an old name: the old text is not its own */
        extatus_worker_set_status_text(record->worker, NULL);
    return registered;
}

/*
 * Set a process's status text (events and the page, never labels), cut
 * to the library's bound at a character boundary.
 */
static void set_status_text(daemon_state *d, process_record *record, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static void set_status_text(daemon_state *d, process_record *record, const char *format, ...)
{
    if (!record->worker)
        return;
    char text[EXTATUS_STATUS_TEXT_MAX + 1 + 128];
    va_list args;
    va_start(args, format);
    /* va_start is above; the analyzer loses it on some paths: */
    int n =
        vsnprintf(text, sizeof(text), format, args); // NOLINT(clang-analyzer-valist.Uninitialized)
    va_end(args);
    size_t length = n < 0 ? 0 : (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1;
    if (length > EXTATUS_STATUS_TEXT_MAX) {
        length = EXTATUS_STATUS_TEXT_MAX;
        while (length > 0 && ((unsigned char)text[length] & 0xc0) == 0x80)
            length--; /* do not split a UTF-8 character */
    }
    text[length] = '\0';
    if (extatus_worker_set_status_text(record->worker, text) != EXTATUS_OK)
        say(d, "'%s' status text not kept: %s", record->name, extatus_error_last());
}

/* Down with reason `absent`: registered and ended at once (the series shows 0). */
static int mark_absent(daemon_state *d, process_record *record, int64_t now)
{
    int rc = register_worker(d, record);
    if (rc == EXTATUS_OK) {
        extatus_process_deregister(record->worker, EXTATUS_REASON_ABSENT);
        record->worker = NULL;
    } else {
        say(d, "cannot mark '%s' absent: %s", record->name, extatus_error_last());
    }
    record->down_ns = now;
    return rc;
}

static void stop_watching(daemon_state *d, process_record *record)
{
    if (record->pidfd >= 0) {
        epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, record->pidfd, NULL);
        close(record->pidfd);
        record->pidfd = -1;
        d->live--;
        extatus_gauge_set(d->watched, (double)d->live);
    }
}

/* Forget a record, or keep an expected one (down, watched again when it reports). */
static void release(daemon_state *d, process_record *record, int64_t now)
{
    stop_watching(d, record);
    if (record->expected) {
        if (record->by_command) { /* leave the pid index */
            table_remove(&d->table, record);
            record->by_command = false;
            table_insert(&d->table, record);
        }
        record->pid = 0;
        record->down_ns = now;
        return;
    }
    table_remove(&d->table, record);
    free(record);
}

static void take_down(daemon_state *d, process_record *record, extatus_process_reason reason)
{
    if (record->worker) {
        if (extatus_process_deregister(record->worker, reason) != EXTATUS_OK)
            say(d, "cannot take '%s' down: %s", record->name, extatus_error_last());
        record->worker = NULL;
    }
}

/*
 * Read /proc/<pid>/stat into `buffer`: returns the text after the command
 * name's closing parenthesis (the state field first) and copies the command
 * name to `comm` when given; NULL when the process is gone.
 */
static const char *read_stat(pid_t pid, char *buffer, size_t size, char *comm, size_t comm_size)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    ssize_t got = read(fd, buffer, size - 1);
    close(fd);
    if (got <= 0)
        return NULL;
    buffer[got] = '\0';
    const char *open_paren = strchr(buffer, '(');
    const char *close_paren = strrchr(buffer, ')');
    if (!open_paren || !close_paren || close_paren < open_paren)
        return NULL;
    if (comm) {
        size_t length = (size_t)(close_paren - open_paren - 1);
        if (length >= comm_size)
            length = comm_size - 1;
        memcpy(comm, open_paren + 1, length);
        comm[length] = '\0';
    }
    return close_paren + 1;
}

/* Field `index` (1-based, the state is 3) of the text read_stat() returned, as a number. */
static bool stat_field(const char *after_comm, int index, long *out)
{
    const char *field = after_comm;
    for (int i = 3; field && i < index; i++)
        field = strchr(field + 1, ' ');
    if (!field)
        return false;
    char *end;
    errno = 0;
    *out = strtol(field + 1, &end, 10);
    return errno == 0 && end != field + 1;
}

/* Linux 6.15+: the exit status a pidfd keeps once its process is reaped (false: none yet). */
static bool pidfd_exit_status(int pidfd, int *status)
{
    struct pidfd_exit_info {
        uint64_t mask, cgroupid;
        uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
        int32_t exit_code;
    } info;
    enum { INFO_EXIT = 1u << 3 };
    memset(&info, 0, sizeof(info));
    info.mask = INFO_EXIT;
    if (ioctl(pidfd, _IOWR(0xFF, 11, struct pidfd_exit_info), &info) != 0 ||
        !(info.mask & INFO_EXIT))
        return false;
    *status = info.exit_code;
    return true;
}

/* The wait status of an exited process that is not our child (false when unknown). */
static bool exit_status(const process_record *record, int *status)
{
    if (pidfd_exit_status(record->pidfd, status))
        return true;
    /* Older kernels, or not reaped yet: the 52nd field of /proc/<pid>/stat of the zombie. */
    char buffer[1024];
    const char *after_comm = read_stat(record->pid, buffer, sizeof buffer, NULL, 0);
    long code;
    if (after_comm && stat_field(after_comm, 52, &code)) {
        *status = (int)code;
        return true;
    }
    /* Reaped between the two looks: the pidfd has the status now. */
    return pidfd_exit_status(record->pidfd, status);
}

static void process_exited(daemon_state *d, process_record *record, int64_t now)
{
    if (!record->worker) { /* said STOPPING=1 before: already down and counted */
        release(d, record, now);
        return;
    }
    int status = 0;
    extatus_process_reason reason;
    if (!exit_status(record, &status)) {
        reason = EXTATUS_REASON_ERROR;
        say(d, "'%s' (pid %d) exited; its exit status is unknown: counted as error", record->name,
            (int)record->pid);
    } else if (WIFSIGNALED(status)) {
        reason = EXTATUS_REASON_SIGNAL;
        const char *signal_name = sigabbrev_np(WTERMSIG(status));
        say(d, "'%s' (pid %d) killed by signal SIG%s", record->name, (int)record->pid,
            signal_name ? signal_name : "?");
        if (signal_name)
            set_status_text(d, record, "killed by SIG%s", signal_name);
        else
            set_status_text(d, record, "killed by signal %d", WTERMSIG(status));
    } else if (WEXITSTATUS(status) != 0) {
        reason = EXTATUS_REASON_ERROR;
        say(d, "'%s' (pid %d) exited with status %d", record->name, (int)record->pid,
            WEXITSTATUS(status));
        set_status_text(d, record, "exited with status %d", WEXITSTATUS(status));
    } else {
        reason = EXTATUS_REASON_NORMAL;
    }
    take_down(d, record, reason);
    release(d, record, now);
}

/* The command name (comm) and parent of `pid`; false when it is gone. */
static bool read_process(pid_t pid, char *comm, size_t comm_size, pid_t *parent)
{
    char buffer[1024];
    const char *after_comm = read_stat(pid, buffer, sizeof buffer, comm, comm_size);
    long ppid;
    if (!after_comm || !stat_field(after_comm, 4, &ppid))
        return false;
    if (parent)
        *parent = (pid_t)ppid;
    return true;
}

static bool is_helper(const daemon_state *d, const char *comm)
{
    for (size_t i = 0; i < d->set.helper_count; i++)
        if (strcmp(comm, d->set.helpers[i]) == 0)
            return true;
    return false;
}

/* Watch `pid` for `record` and register its worker: up. */
static bool start_watching(daemon_state *d, process_record *record, pid_t pid, int64_t now)
{
    if (d->live >= d->set.max_processes) {
        drop(d, DROP_LIMIT);
        say(d, "refused '%s' (pid %d): %u processes are watched already (--max-processes)",
            record->name, (int)pid, d->set.max_processes);
        return false;
    }
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) {
        drop(d, errno == ESRCH ? DROP_SENDER_GONE : DROP_LIMIT);
        say(d, "cannot watch '%s' (pid %d): %s", record->name, (int)pid, strerror(errno));
        return false;
    }
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = record};
    if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, pidfd, &event) != 0) {
        drop(d, DROP_LIMIT);
        say(d, "cannot watch '%s' (pid %d): %s", record->name, (int)pid, strerror(errno));
        close(pidfd);
        return false;
    }
    int registered = register_worker(d, record);
    if (registered != EXTATUS_OK) {
        /* The library refuses a name that is not UTF-8 (EXTATUS_ERR_LABEL). */
        drop(d, registered == EXTATUS_ERR_LABEL ? DROP_BAD_NAME : DROP_NAME_TAKEN);
        say(d, "refused the name of pid %d: %s", (int)pid, extatus_error_last());
        epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, pidfd, NULL);
        close(pidfd);
        return false;
    }
    record->pidfd = pidfd;
    record->pid = pid;
    record->triggered = false;
    record->last_ping_ns = now;
    record->interval_ns = (int64_t)d->set.library.timeout_ms * 1000000;
    record->window_ns = now;
    record->window_count = 0;
    record->status_hash = 0;
    d->live++;
    extatus_gauge_set(d->watched, (double)d->live);
    return true;
}

static process_record *new_record(daemon_state *d, const char *name, size_t length, bool by_command,
                                  pid_t pid)
{
    process_record *record = calloc(1, sizeof(*record));
    if (!record) {
        drop(d, DROP_LIMIT);
        return NULL;
    }
    memcpy(record->name, name, length);
    record->pidfd = -1;
    record->pid = pid;
    record->by_command = by_command;
    table_insert(&d->table, record);
    return record;
}

/* Move a down record into (or out of) the pid index for `pid`. */
static void rekey(daemon_state *d, process_record *record, bool by_command, pid_t pid)
{
    table_remove(&d->table, record);
    record->by_command = by_command;
    record->pid = pid;
    table_insert(&d->table, record);
}

/* The record a datagram of `pid` speaks for, made and watched when new; NULL: dropped. */
static process_record *find_or_start(daemon_state *d, const notify_message *message, pid_t pid,
                                     int64_t now)
{
    process_record *record;
    bool by_command = !message->name;
    char name[EXTATUS_WORKER_NAME_MAX + 1];
    size_t length;
    if (message->name) {
        length = message->name_length;
        memcpy(name, message->name, length);
        record = table_find_name(&d->table, name, length);
        if (record && record->pidfd >= 0 && record->pid != pid) {
            drop(d, DROP_NAME_TAKEN);
            say(d, "refused name '%.*s' from pid %d: pid %d holds it", (int)length, name, (int)pid,
                (int)record->pid);
            return NULL;
        }
    } else {
        record = table_find_pid(&d->table, pid);
        if (record && record->pidfd >= 0)
            return record;
        char comm[64];
        if (!read_process(pid, comm, sizeof comm, NULL)) {
            drop(d, DROP_SENDER_GONE);
            return NULL;
        }
        length = strlen(comm);
        memcpy(name, comm, length);
        record = table_find_name(&d->table, name, length);
        if (record && record->pidfd >= 0 && record->pid != pid) {
            /* The command name is taken by a live process: this one is comm-pid. */
            length = (size_t)snprintf(name, sizeof name, "%s-%d", comm, (int)pid);
            record = table_find_name(&d->table, name, length);
            if (record && record->pidfd >= 0 && record->pid != pid) {
                drop(d, DROP_NAME_TAKEN);
                return NULL;
            }
        }
    }
    name[length] = '\0';
    if (record && record->pidfd >= 0)
        return record;
    if (!record)
        record = new_record(d, name, length, by_command, pid);
    else if (record->by_command != by_command || record->pid != pid)
        rekey(d, record, by_command, pid);
    if (!record)
        return NULL;
    if (!start_watching(d, record, pid, now)) {
        if (!record->expected) {
            table_remove(&d->table, record);
            free(record);
        }
        return NULL;
    }
    return record;
}

/* Whether `sender` is the live process the datagram's name (or its pid) already stands for. */
static bool is_watched_sender(const daemon_state *d, const notify_message *message, pid_t sender)
{
    const process_record *record =
        message->name ? table_find_name(&d->table, message->name, message->name_length)
                      : table_find_pid(&d->table, sender);
    return record && record->pidfd >= 0 && record->pid == sender;
}

/* Apply one parsed datagram from `sender`. */
static void handle_message(daemon_state *d, const notify_message *message, pid_t sender)
{
    if (message->name_invalid) {
        drop(d, DROP_BAD_NAME);
        say(d, "refused a datagram from pid %d: X_EXTATUS_NAME is empty or longer than %d bytes",
            (int)sender, NOTIFY_NAME_MAX);
        return;
    }
    /* Who it speaks for: MAINPID=, else a helper's parent, else the sender. A sender that
     * is itself a watched process (the usual ping) needs no look into /proc. */
    pid_t pid = sender;
    if (message->mainpid > 0) {
        pid = (pid_t)message->mainpid;
    } else if (!is_watched_sender(d, message, sender)) {
        char comm[64];
        pid_t parent;
        if (!read_process(sender, comm, sizeof comm, &parent)) {
            drop(d, DROP_SENDER_GONE);
            return;
        }
        if (is_helper(d, comm))
            pid = parent;
    }
    int64_t now = now_ns();
    process_record *record = find_or_start(d, message, pid, now);
    if (!record)
        return;
    if (!record->worker) { /* said STOPPING=1 and still runs: only READY=1 brings it back */
        if (!message->ready || register_worker(d, record) != EXTATUS_OK) {
            drop(d, DROP_STOPPED);
            return;
        }
    }
    /* At most `rate` datagrams a second per process: the rest are counted, not applied. */
    if (now - record->window_ns >= 1000000000) {
        record->window_ns = now;
        record->window_count = 0;
    }
    if (++record->window_count > d->set.rate) {
        drop(d, DROP_FLOOD);
        return;
    }
    extatus_counter_inc(d->datagrams);
    record->last_ping_ns = now;
    if (message->watchdog_usec)
        record->interval_ns = message->watchdog_usec > (uint64_t)INT64_MAX / 1000
                                  ? INT64_MAX
                                  : (int64_t)message->watchdog_usec * 1000;
    /*
     * STATUS= and ERRNO= become the status text (events and the page) and
     * are logged, when they change: a process may repeat them with every
     * ping.
     */
    size_t status_hash = message->status ? table_hash(message->status, message->status_length) : 0;
    bool status_changed = status_hash && status_hash != record->status_hash;
    if (status_changed)
        say(d, "'%s' status: %.*s", record->name, (int)message->status_length, message->status);
    if (status_hash)
        record->status_hash = status_hash;
    if (message->errno_value >= 0) {
        say(d, "'%s' errno: %d (%s)", record->name, message->errno_value,
            strerror(message->errno_value));
        if (message->status)
            set_status_text(d, record, "%.*s (errno %d: %s)", (int)message->status_length,
                            message->status, message->errno_value, strerror(message->errno_value));
        else
            set_status_text(d, record, "errno %d: %s", message->errno_value,
                            strerror(message->errno_value));
    } else if (status_changed) {
        set_status_text(d, record, "%.*s", (int)message->status_length, message->status);
    }
    if (message->stopping) {
        take_down(d, record, EXTATUS_REASON_STOPPING);
        return;
    }
    record->triggered = message->watchdog_trigger;
    if (!record->triggered)
        extatus_worker_checkpoint(record->worker);
}

/* Datagrams read by one recvmmsg call. */
#define READ_BATCH 32

/* Control data of one datagram: credentials and up to 16 passed descriptors. */
typedef struct datagram_control {
    _Alignas(
        struct cmsghdr) char data[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
} datagram_control;

/* Apply one received datagram: close what it passed, check it, parse it, apply it. */
static void apply_datagram(daemon_state *d, struct msghdr *msg, const char *data, size_t length)
{
    struct ucred *credentials = NULL;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
            credentials = (struct ucred *)(void *)CMSG_DATA(c);
        } else if (c->cmsg_type == SCM_RIGHTS) {
            /* BARRIER=1's descriptor, or any other: closed after every earlier datagram was
             * applied, which releases a sender waiting on the barrier. */
            size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                close(fd);
            }
        }
    }
    if (length > NOTIFY_DATAGRAM_MAX || (msg->msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        drop(d, DROP_OVERSIZED);
        return;
    }
    if (!credentials || credentials->pid <= 0) {
        drop(d, DROP_NO_CREDENTIALS);
        return;
    }
    notify_message message;
    if (notify_parse(data, length, &message) != 0) {
        drop(d, DROP_MALFORMED);
        return;
    }
    /* BARRIER=1 alone is a synchronisation point, not a ping. */
    if (message.barrier && message.assignments == 1)
        return;
    handle_message(d, &message, credentials->pid);
}

/* Read the queued datagrams, READ_BATCH per call, at most 4096 per wake-up (non-blocking). */
static void read_datagrams(daemon_state *d)
{
    static char buffers[READ_BATCH][NOTIFY_DATAGRAM_MAX];
    static datagram_control controls[READ_BATCH];
    static struct iovec iovs[READ_BATCH];
    static struct mmsghdr messages[READ_BATCH];
    for (int round = 0; round < 4096 / READ_BATCH; round++) {
        for (int i = 0; i < READ_BATCH; i++) {
            iovs[i] = (struct iovec){.iov_base = buffers[i], .iov_len = NOTIFY_DATAGRAM_MAX};
            messages[i].msg_hdr = (struct msghdr){.msg_iov = &iovs[i],
                                                  .msg_iovlen = 1,
                                                  .msg_control = controls[i].data,
                                                  .msg_controllen = sizeof controls[i].data};
        }
        int got = recvmmsg(d->socket_fd, messages, READ_BATCH,
                           MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC, NULL);
        if (got <= 0)
            return; /* EAGAIN: drained */
        for (int i = 0; i < got; i++)
            apply_datagram(d, &messages[i].msg_hdr, buffers[i], messages[i].msg_len);
        if (got < READ_BATCH)
            return;
    }
}

/* ---- the tick: answer for every process whose ping is within its interval ------------- */

static void tick_one(process_record *record, void *user)
{
    daemon_state *d = user;
    int64_t now = d->tick_ns;
    if (record->worker && !record->triggered && now - record->last_ping_ns <= record->interval_ns)
        extatus_worker_checkpoint(record->worker);
    /* An expected name that stays down: say `absent` again before its series expires. */
    if (record->expected && !record->worker && record->pidfd < 0 &&
        d->set.retention_ms != EXTATUS_PROCESS_RETAIN_FOREVER &&
        now - record->down_ns >= (int64_t)d->set.retention_ms * 1000000 / 2)
        mark_absent(d, record, now);
}

/* ---- configuration --------------------------------------------------------------------- */

/* The names under `expected:` of the YAML file; other keys are refused. */
static int load_expected(daemon_state *d, const char *path)
{
    FILE *file = fopen(path, "re");
    if (!file) {
        fprintf(stderr, "extatusd: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    yaml_parser_t parser;
    yaml_document_t document;
    int rc = -1;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, file);
    if (!yaml_parser_load(&parser, &document)) {
        fprintf(stderr, "extatusd: %s:%zu: not YAML: %s\n", path, parser.problem_mark.line + 1,
                parser.problem ? parser.problem : "?");
        yaml_parser_delete(&parser);
        fclose(file);
        return -1;
    }
    yaml_node_t *root = yaml_document_get_root_node(&document);
    if (!root) {
        rc = 0; /* empty: nothing expected */
        goto done;
    }
    if (root->type != YAML_MAPPING_NODE) {
        fprintf(stderr, "extatusd: %s:%zu: the file must be a mapping with the key 'expected'\n",
                path, root->start_mark.line + 1);
        goto done;
    }
    for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
         pair < root->data.mapping.pairs.top; pair++) {
        yaml_node_t *key = yaml_document_get_node(&document, pair->key);
        yaml_node_t *value = yaml_document_get_node(&document, pair->value);
        if (key->type != YAML_SCALAR_NODE ||
            strcmp((const char *)key->data.scalar.value, "expected") != 0) {
            fprintf(stderr, "extatusd: %s:%zu: unknown key (only 'expected' is known)\n", path,
                    key->start_mark.line + 1);
            goto done;
        }
        if (value->type != YAML_SEQUENCE_NODE) {
            fprintf(stderr, "extatusd: %s:%zu: 'expected' must be a list of process names\n", path,
                    value->start_mark.line + 1);
            goto done;
        }
        for (yaml_node_item_t *item = value->data.sequence.items.start;
             item < value->data.sequence.items.top; item++) {
            yaml_node_t *entry = yaml_document_get_node(&document, *item);
            const char *name =
                entry->type == YAML_SCALAR_NODE ? (const char *)entry->data.scalar.value : NULL;
            size_t length = name ? entry->data.scalar.length : 0;
            if (!name || length == 0 || length > NOTIFY_NAME_MAX || strlen(name) != length) {
                fprintf(stderr,
                        "extatusd: %s:%zu: a process name is a non-empty text of at most "
                        "%d bytes\n",
                        path, entry->start_mark.line + 1, NOTIFY_NAME_MAX);
                goto done;
            }
            if (table_find_name(&d->table, name, length))
                continue; /* listed twice */
            process_record *record = new_record(d, name, length, false, 0);
            if (!record)
                goto done;
            record->expected = true;
        }
    }
    rc = 0;
done:
    yaml_document_delete(&document);
    yaml_parser_delete(&parser);
    fclose(file);
    return rc;
}

static void usage(FILE *out)
{
    fputs("usage: extatusd [--socket=PATH] [--socket-mode=OCTAL] [--config=FILE]\n"
          "                [--library-config=FILE] [--port=N] [--timeout=MS] [--registry=NAME]\n"
          "                [--retention=MS] [--max-processes=N] [--rate=N] [--helper=COMM]...\n"
          "                [--tls-cert=FILE --tls-key=FILE]\n"
          "                [--auth-user=NAME --auth-password-file=FILE]\n"
          "See extatusd(8).\n",
          out);
}

static bool parse_number(const char *text, unsigned long max, unsigned base, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long value = strtoul(text, &end, (int)base);
    if (errno || end == text || *end || text[0] == '-' || value > max)
        return false;
    *out = value;
    return true;
}

/* Flags after the library's own (--port, --timeout, --registry) were taken out. */
static int parse_flags(settings *s, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = strchr(arg, '=');
        size_t key_length = value ? (size_t)(value - arg) : strlen(arg);
        unsigned long number;
        if (value)
            value++;
#define FLAG(literal) (key_length == sizeof(literal) - 1 && strncmp(arg, literal, key_length) == 0)
        if (FLAG("--help")) {
            usage(stdout);
            exit(0);
        } else if (!value || !*value) {
            fprintf(stderr, "extatusd: unknown argument or missing value: '%s'\n", arg);
            return -1;
        } else if (FLAG("--socket")) {
            s->socket_path = value;
        } else if (FLAG("--socket-mode")) {
            if (!parse_number(value, 0777, 8, &number)) {
                fprintf(stderr, "extatusd: --socket-mode='%s' is not an octal mode\n", value);
                return -1;
            }
            s->socket_mode = (mode_t)number;
        } else if (FLAG("--config")) {
            s->config_path = value;
        } else if (FLAG("--library-config")) {
            s->library_config_path = value;
        } else if (FLAG("--retention")) {
            if (!parse_number(value, EXTATUS_PROCESS_RETAIN_FOREVER, 10, &number) || !number) {
                fprintf(stderr, "extatusd: --retention='%s' is not 1..%u ms\n", value,
                        EXTATUS_PROCESS_RETAIN_FOREVER);
                return -1;
            }
            s->retention_ms = (unsigned)number;
        } else if (FLAG("--max-processes")) {
            if (!parse_number(value, 1u << 20, 10, &number) || !number) {
                fprintf(stderr, "extatusd: --max-processes='%s' is not 1..1048576\n", value);
                return -1;
            }
            s->max_processes = (unsigned)number;
        } else if (FLAG("--rate")) {
            if (!parse_number(value, 1000000, 10, &number) || !number) {
                fprintf(stderr, "extatusd: --rate='%s' is not 1..1000000\n", value);
                return -1;
            }
            s->rate = (unsigned)number;
        } else if (FLAG("--helper")) {
            if (s->helper_count == MAX_HELPERS) {
                fprintf(stderr, "extatusd: at most %d --helper flags\n", MAX_HELPERS);
                return -1;
            }
            s->helpers[s->helper_count++] = value;
        } else if (FLAG("--tls-cert")) {
            s->tls_cert = value;
        } else if (FLAG("--tls-key")) {
            s->tls_key = value;
        } else if (FLAG("--auth-user")) {
            s->auth_user = value;
        } else if (FLAG("--auth-password-file")) {
            s->auth_password_file = value;
        } else {
            fprintf(stderr, "extatusd: unknown argument '%s'\n", arg);
            return -1;
        }
#undef FLAG
    }
    if (!s->tls_cert != !s->tls_key) {
        fprintf(stderr, "extatusd: --tls-cert and --tls-key go together\n");
        return -1;
    }
    if (!s->auth_user != !s->auth_password_file) {
        fprintf(stderr, "extatusd: --auth-user and --auth-password-file go together\n");
        return -1;
    }
    if (s->helper_count == 0)
        s->helpers[s->helper_count++] = "systemd-notify";
    return 0;
}

/* The first line of `path` (the password), or NULL with a message. */
static char *read_secret(const char *path)
{
    FILE *file = fopen(path, "re");
    char *line = NULL;
    size_t size = 0;
    if (!file || getline(&line, &size, file) < 0) {
        fprintf(stderr, "extatusd: cannot read %s: %s\n", path, file ? "empty" : strerror(errno));
        free(line);
        if (file)
            fclose(file);
        return NULL;
    }
    fclose(file);
    line[strcspn(line, "\r\n")] = '\0';
    return line;
}

/* ---- sockets, metrics, the loop ------------------------------------------------------ */

static int open_socket(daemon_state *d)
{
    const char *path = d->set.socket_path;
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof address.sun_path) {
        fprintf(stderr, "extatusd: --socket path is longer than %zu bytes\n",
                sizeof address.sun_path - 1);
        return -1;
    }
    size_t path_length = strlen(path);
    memcpy(address.sun_path, path, path_length + 1);
    /* The directory (for the default /run/extatus), then a stale socket away. */
    char directory[sizeof address.sun_path];
    memcpy(directory, path, path_length + 1);
    char *slash = strrchr(directory, '/');
    if (slash && slash != directory) {
        *slash = '\0';
        if (mkdir(directory, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "extatusd: cannot create %s: %s\n", directory, strerror(errno));
            return -1;
        }
    }
    struct stat old;
    if (lstat(path, &old) == 0) {
        if (!S_ISSOCK(old.st_mode)) {
            fprintf(stderr, "extatusd: %s exists and is not a socket\n", path);
            return -1;
        }
        unlink(path);
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int on = 1;
    int buffer = 1 << 20; /* room for bursts of 10,000 senders */
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0) {
        fprintf(stderr, "extatusd: socket: %s\n", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    /* Bind with no permissions, then give the configured ones: no window of a wider mode. */
    mode_t mask = umask(0777);
    int bound = bind(fd, (struct sockaddr *)&address, sizeof address);
    umask(mask);
    if (bound != 0 || chmod(path, d->set.socket_mode) != 0) {
        fprintf(stderr, "extatusd: cannot bind %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int create_metrics(daemon_state *d, extatus_registry *registry)
{
    const char *reason_label[] = {"reason"};
    extatus_option options[] = {
        EXTATUS_OPT_STRING("help", "Notification datagrams dropped, by reason."),
        EXTATUS_OPT_STRINGS("labels", reason_label, 1),
    };
    extatus_family *dropped;
    int rc = extatus_counter_new(&d->datagrams, registry, "extatusd_datagrams_total",
                                 "Notification datagrams applied.");
    if (rc == EXTATUS_OK)
        rc = extatus_gauge_new(&d->watched, registry, "extatusd_processes",
                               "Processes watched (alive and reporting).");
    if (rc == EXTATUS_OK)
        rc = extatus_family_new(&dropped, registry, "extatusd_datagrams_dropped_total", "counter",
                                options, 2);
    for (int i = 0; rc == EXTATUS_OK && i < DROP_COUNT; i++)
        rc = extatus_counter_get(&d->dropped[i], dropped, EXTATUS_LABELS(drop_names[i]));
    return rc;
}

/* Allow one descriptor per watched process and some for the server. */
static void raise_file_limit(daemon_state *d)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return;
    rlim_t want = (rlim_t)d->set.max_processes + 1024;
    if (limit.rlim_cur < want) {
        limit.rlim_cur = limit.rlim_max < want ? limit.rlim_max : want;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur < want) {
        d->set.max_processes = limit.rlim_cur > 2048 ? (unsigned)(limit.rlim_cur - 1024) : 1024;
        fprintf(stderr, "extatusd: the file limit allows %u processes\n", d->set.max_processes);
    }
}

static void free_record(process_record *record)
{
    if (record->pidfd >= 0)
        close(record->pidfd);
    free(record);
}

/* The socket, the signals, the tick and the epoll set that waits on them. */
static int open_loop(daemon_state *d, const sigset_t *signals, unsigned timeout_ms)
{
    d->socket_fd = open_socket(d);
    if (d->socket_fd < 0)
        return -1;
    d->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    d->signal_fd = signalfd(-1, signals, SFD_CLOEXEC | SFD_NONBLOCK);
    d->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    unsigned tick_ms = timeout_ms / 4 ? timeout_ms / 4 : 1;
    struct itimerspec period = {
        .it_interval = {tick_ms / 1000, (long)(tick_ms % 1000) * 1000000},
        .it_value = {tick_ms / 1000, (long)(tick_ms % 1000) * 1000000},
    };
    struct epoll_event socket_event = {.events = EPOLLIN, .data.ptr = &d->socket_fd};
    struct epoll_event signal_event = {.events = EPOLLIN, .data.ptr = &d->signal_fd};
    struct epoll_event tick_event = {.events = EPOLLIN, .data.ptr = &d->tick_fd};
    if (d->epoll_fd < 0 || d->signal_fd < 0 || d->tick_fd < 0 ||
        timerfd_settime(d->tick_fd, 0, &period, NULL) != 0 ||
        epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, d->socket_fd, &socket_event) != 0 ||
        epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, d->signal_fd, &signal_event) != 0 ||
        epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, d->tick_fd, &tick_event) != 0) {
        fprintf(stderr, "extatusd: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * How long the loop lets datagrams gather before it reads them. A unix
 * datagram socket queues at most net.unix.max_dgram_qlen datagrams (the
 * kernel's default is 10; systemd sets 512); a sender that finds the queue
 * full sleeps, and each read then pays for waking it, which costs more than
 * the wake-ups that gathering saves. So gather only when the queue can hold
 * a burst.
 */
static int64_t coalesce_interval_ns(void)
{
    FILE *file = fopen("/proc/sys/net/unix/max_dgram_qlen", "re");
    char text[32] = "";
    if (file) {
        if (!fgets(text, sizeof text, file))
            text[0] = '\0';
        fclose(file);
    }
    long queue = strtol(text, NULL, 10); /* 0 when unreadable: read at once */
    return queue >= COALESCE_QUEUE_MIN ? COALESCE_NS : 0;
}

/* Wait and dispatch until SIGTERM or SIGINT. */
static void run_loop(daemon_state *d)
{
    int64_t last_read_ns = 0;
    int64_t coalesce_ns = coalesce_interval_ns();
    for (;;) {
        /* Datagrams are read at most every coalesce_ns: a burst of pings from many senders
         * costs one wake-up, not one each (the kernel queues them meanwhile). */
        int64_t since = now_ns() - last_read_ns;
        if (since < coalesce_ns) {
            struct timespec pause = {0, (long)(coalesce_ns - since)};
            nanosleep(&pause, NULL);
        }
        struct epoll_event events[64];
        int ready = epoll_wait(d->epoll_fd, events, 64, -1);
        if (ready < 0 && errno != EINTR)
            return;
        bool stop = false;
        for (int i = 0; i < ready; i++) {
            void *tag = events[i].data.ptr;
            if (tag == &d->socket_fd) {
                read_datagrams(d);
                last_read_ns = now_ns();
            } else if (tag == &d->signal_fd) {
                stop = true;
            } else if (tag == &d->tick_fd) {
                uint64_t expirations;
                if (read(d->tick_fd, &expirations, sizeof expirations) < 0)
                    continue;
                d->tick_ns = now_ns();
                table_each(&d->table, tick_one, d);
            } else {
                /* A pidfd: that process exited. A record freed in this batch is gone from
                 * epoll, so no later event of the batch names it. */
                process_exited(d, tag, now_ns());
            }
        }
        if (stop)
            return;
    }
}

int main(int argc, char **argv)
{
    static daemon_state state;
    daemon_state *d = &state;
    extatus_config library = EXTATUS_CONFIG_INIT;
    d->set.socket_path = DEFAULT_SOCKET;
    d->set.socket_mode = 0660;
    d->set.retention_ms = EXTATUS_PROCESS_DEFAULT_RETENTION_MS;
    d->set.max_processes = DEFAULT_MAX_PROCESSES;
    d->set.rate = DEFAULT_RATE;
    d->socket_fd = d->signal_fd = d->tick_fd = d->epoll_fd = -1;

    if (extatus_config_from_env(&library) != EXTATUS_OK ||
        extatus_config_from_args(&library, &argc, argv) != EXTATUS_OK) {
        fprintf(stderr, "extatusd: %s\n", extatus_error_last());
        return 2;
    }
    d->set.library = library;
    if (parse_flags(&d->set, argc, argv) != 0) {
        usage(stderr);
        return 2;
    }
    raise_file_limit(d);
    if (table_init(&d->table, d->set.max_processes) != 0) {
        fprintf(stderr, "extatusd: out of memory\n");
        return 1;
    }
    if (d->set.config_path && load_expected(d, d->set.config_path) != 0)
        return 2;
    char *password = NULL;
    if (d->set.auth_password_file && !(password = read_secret(d->set.auth_password_file)))
        return 2;

    /* Signals go to the loop's signalfd: block them before any thread starts. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    /*
     * The process collector is registered below by the daemon itself,
     * sampled only when scraped: counting thousands of pidfds in
     * /proc/self/fd every second would be the daemon's largest cost after
     * the datagrams (an option of the library's own registration cannot
     * be changed afterwards). EXTATUS_PROCESS_COLLECTOR=0 still turns it off.
     */
    const char *collector = getenv("EXTATUS_PROCESS_COLLECTOR");
    bool collector_wanted =
        !(collector && (strcmp(collector, "0") == 0 || strcmp(collector, "off") == 0 ||
                        strcmp(collector, "false") == 0 || strcmp(collector, "no") == 0));
    extatus_process_collector_set_default(0);

    int status = 1;
    extatus_exporter *exporter = NULL;
    extatus_registry *registry = NULL;
    if (extatus_registry_lookup(&registry, library.registry) != EXTATUS_OK &&
        extatus_registry_new(&registry, library.registry, NULL) != EXTATUS_OK) {
        fprintf(stderr, "extatusd: %s\n", extatus_error_last());
        goto out;
    }
    if (d->set.library_config_path &&
        extatus_config_load(d->set.library_config_path) != EXTATUS_OK) {
        fprintf(stderr, "extatusd: %s\n", extatus_error_last());
        status = 2;
        goto out;
    }
    extatus_process_options process = EXTATUS_PROCESS_OPTIONS_INIT;
    process.timeout_ms = library.timeout_ms;
    process.retention_ms = d->set.retention_ms;
    process.registry = registry;
    if (create_metrics(d, registry) != EXTATUS_OK ||
        extatus_process_start(&process) != EXTATUS_OK) {
        fprintf(stderr, "extatusd: %s\n", extatus_error_last());
        goto out;
    }
    extatus_option on_scrape[] = {EXTATUS_OPT_NUMBER("sample_interval", 0)};
    if (collector_wanted && extatus_process_collector_register(NULL, on_scrape, 1) != EXTATUS_OK)
        say(d, "process collector: %s", extatus_error_last());
    int64_t start = now_ns();
    /* The expected names, absent until they report; a name the library refuses stops here. */
    for (size_t i = 0; i < d->table.buckets; i++) {
        for (process_record *r = d->table.by_name[i]; r; r = r->next_by_name) {
            if (mark_absent(d, r, start) != EXTATUS_OK) {
                status = 2;
                goto out;
            }
        }
    }

    if (open_loop(d, &signals, library.timeout_ms) != 0)
        goto out;

    extatus_exporter_options exporter_options = EXTATUS_EXPORTER_OPTIONS_INIT;
    exporter_options.port = library.port;
    exporter_options.registries = &registry;
    exporter_options.registry_count = 1;
    exporter_options.tls_cert_file = d->set.tls_cert;
    exporter_options.tls_key_file = d->set.tls_key;
    exporter_options.basic_auth_user = d->set.auth_user;
    exporter_options.basic_auth_password = password;
    if (extatus_exporter_start(&exporter, &exporter_options) != EXTATUS_OK) {
        fprintf(stderr, "extatusd: %s\n", extatus_error_last());
        goto out;
    }
    printf("extatusd: listening on %s, serving port %u\n", d->set.socket_path,
           extatus_exporter_port(exporter));
    fflush(stdout);

    run_loop(d);
    status = 0;
out:
    extatus_process_stop(); /* every watched process: down, reason shutdown */
    extatus_exporter_stop(exporter);
    table_dispose(&d->table, free_record);
    if (d->socket_fd >= 0) {
        close(d->socket_fd);
        unlink(d->set.socket_path);
    }
    if (d->signal_fd >= 0)
        close(d->signal_fd);
    if (d->tick_fd >= 0)
        close(d->tick_fd);
    if (d->epoll_fd >= 0)
        close(d->epoll_fd);
    free(password);
    extatus_shutdown();
    return status;
}
