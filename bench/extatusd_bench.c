/*
 * extatusd_bench.c - the CPU of extatusd with 10,000 reporting processes.
 *
 * Usage: extatusd-bench EXTATUSD [SECONDS]
 *
 * Starts EXTATUSD on a temporary socket and a free port, then ten sender
 * processes with 1,000 names each (simulated senders share processes but
 * use distinct names, X_EXTATUS_NAME=): every name sends READY=1 with
 * WATCHDOG_USEC=2000000 once, then WATCHDOG=1 once a second, spread evenly
 * over the second. After a 5 s warm-up it checks through /metrics that all
 * 10,000 are watched and up, measures the daemon's CPU time (every thread:
 * the loop, the worker-status handler, the exporter) over SECONDS (default
 * 20) of wall time, checks again, and prints
 *
 *   BENCH name=extatusd_10k_processes unit=pct_core extatus=<percent of one core>
 *
 * Exit status 0, or 1 when the daemon did not keep every process up.
 *
 *   extatusd-bench --floor[=MS] [SECONDS]
 *
 * measures the same way, with the same senders, a receiver that does
 * nothing but take the datagrams off the socket as the daemon does (a
 * unix datagram socket with SO_PASSCRED, read at most every MS ms
 * (default 5; 0: as soon as readable), 32 datagrams a recvmmsg call): the kernel's share of the
 * daemon's cost, which no change in the daemon can remove. It prints BENCH name=extatusd_10k_floor.
 */
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SENDERS          10
#define NAMES_PER_SENDER 1000
#define BATCHES          100 /* per second: 10 names every 10 ms */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_until(double when)
{
    double left = when - now_s();
    if (left > 0) {
        struct timespec t = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
        nanosleep(&t, NULL);
    }
}

/* One sender process: NAMES_PER_SENDER names, each pinging once a second. */
static void run_sender(const char *path, int index)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    snprintf(address.sun_path, sizeof address.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    char message[128];
    for (int i = 0; i < NAMES_PER_SENDER; i++) {
        int n = snprintf(message, sizeof message,
                         "READY=1\nWATCHDOG_USEC=2000000\nX_EXTATUS_NAME=bench-%d-%d", index, i);
        while (sendto(fd, message, (size_t)n, 0, (struct sockaddr *)&address, sizeof address) < 0 &&
               errno == EAGAIN)
            usleep(1000);
    }
    double start = now_s();
    for (long round = 0;; round++) {
        for (int batch = 0; batch < BATCHES; batch++) {
            sleep_until(start + (double)round + (double)batch / BATCHES);
            for (int i = batch; i < NAMES_PER_SENDER; i += BATCHES) {
                int n = snprintf(message, sizeof message, "WATCHDOG=1\nX_EXTATUS_NAME=bench-%d-%d",
                                 index, i);
                sendto(fd, message, (size_t)n, 0, (struct sockaddr *)&address, sizeof address);
            }
        }
    }
}

/*
 * The floor's receiver: bind `path`, then read every datagram with its
 * credentials like extatusd's loop (epoll, at most every `coalesce_s`,
 * recvmmsg of 32), apply nothing. Writes "port 0" when ready; runs until killed.
 */
static void run_floor(const char *path, double coalesce_s)
{
    enum { BATCH = 32, DATAGRAM_MAX = 4096 };
    static char buffers[BATCH][DATAGRAM_MAX];
    static char controls[BATCH][CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
    static struct iovec iovs[BATCH];
    static struct mmsghdr messages[BATCH];
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    snprintf(address.sun_path, sizeof address.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int on = 1;
    int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event event = {.events = EPOLLIN};
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0 ||
        bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || epoll_fd < 0 ||
        epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0)
        _exit(1);
    printf("port 0\n");
    fflush(stdout);
    double last_read = 0;
    for (;;) {
        sleep_until(last_read + coalesce_s);
        if (epoll_wait(epoll_fd, &event, 1, -1) != 1)
            continue;
        for (int round = 0; round < 4096 / BATCH; round++) {
            for (int i = 0; i < BATCH; i++) {
                iovs[i] = (struct iovec){.iov_base = buffers[i], .iov_len = DATAGRAM_MAX};
                messages[i].msg_hdr = (struct msghdr){.msg_iov = &iovs[i],
                                                      .msg_iovlen = 1,
                                                      .msg_control = controls[i],
                                                      .msg_controllen = sizeof controls[i]};
            }
            int got =
                recvmmsg(fd, messages, BATCH, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC, NULL);
            if (got < BATCH)
                break;
        }
        last_read = now_s();
    }
}

/* The daemon's CPU time (user + system, all threads) in seconds. */
static double cpu_seconds(pid_t pid)
{
    char path[64], buffer[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *file = fopen(path, "re");
    if (!file)
        return -1;
    size_t got = fread(buffer, 1, sizeof buffer - 1, file);
    fclose(file);
    buffer[got] = '\0';
    char *field = strrchr(buffer, ')');
    for (int i = 2; field && i < 14; i++)
        field = strchr(field + 1, ' ');
    if (!field)
        return -1;
    unsigned long long user = 0, system = 0;
    if (sscanf(field + 1, "%llu %llu", &user, &system) != 2)
        return -1;
    return (double)(user + system) / (double)sysconf(_SC_CLK_TCK);
}

/* GET /metrics and count the activity series equal to `value` ("2"); -1 on failure. */
static long count_activity(unsigned port, const char *value)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    const char *request = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (write(fd, request, strlen(request)) < 0) {
        close(fd);
        return -1;
    }
    size_t size = 0, capacity = 1 << 20;
    char *body = malloc(capacity + 1);
    ssize_t got;
    while (body && (got = read(fd, body + size, capacity - size)) > 0) {
        size += (size_t)got;
        if (size == capacity) {
            char *grown = realloc(body, capacity * 2 + 1);
            if (!grown)
                break;
            body = grown;
            capacity *= 2;
        }
    }
    close(fd);
    if (!body)
        return -1;
    body[size] = '\0';
    long count = 0;
    char pattern[32];
    snprintf(pattern, sizeof pattern, "} %s\n", value);
    for (char *line = strstr(body, "\nextatus_process_activity{name=\"bench-"); line;
         line = strstr(line + 1, "\nextatus_process_activity{name=\"bench-")) {
        char *end = strchr(line + 1, '\n');
        char *match = strstr(line, pattern);
        if (match && end && match < end)
            count++;
    }
    free(body);
    return count;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: extatusd-bench EXTATUSD|--floor [SECONDS]\n");
        return 2;
    }
    bool floor_only = strncmp(argv[1], "--floor", 7) == 0;
    double floor_coalesce_ms = strncmp(argv[1], "--floor=", 8) == 0 ? atof(argv[1] + 8) : 5;
    double seconds = argc > 2 ? atof(argv[2]) : 20;
    char directory[] = "/tmp/extatusd-bench.XXXXXX";
    if (!mkdtemp(directory))
        return 1;
    char socket_path[96], socket_flag[128];
    snprintf(socket_path, sizeof socket_path, "%s/notify.sock", directory);
    snprintf(socket_flag, sizeof socket_flag, "--socket=%s", socket_path);

    int out[2];
    if (pipe(out) != 0)
        return 1;
    pid_t daemon = fork();
    if (daemon == 0) {
        dup2(out[1], 1);
        close(out[0]);
        if (floor_only)
            run_floor(socket_path, floor_coalesce_ms / 1000.0);
        execl(argv[1], argv[1], socket_flag, "--port=0", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    FILE *daemon_out = fdopen(out[0], "r");
    char line[256];
    unsigned port = 0;
    if (!daemon_out || !fgets(line, sizeof line, daemon_out) ||
        sscanf(strstr(line, "port ") ? strstr(line, "port ") : "", "port %u", &port) != 1) {
        fprintf(stderr, "extatusd-bench: the daemon did not start\n");
        kill(daemon, SIGKILL);
        return 1;
    }

    pid_t senders[SENDERS];
    for (int i = 0; i < SENDERS; i++) {
        senders[i] = fork();
        if (senders[i] == 0) {
            run_sender(socket_path, i);
            _exit(0);
        }
    }
    sleep(5);
    long up_before = floor_only ? 0 : count_activity(port, "2");
    double cpu_start = cpu_seconds(daemon), wall_start = now_s();
    sleep_until(wall_start + seconds);
    double cpu_end = cpu_seconds(daemon), wall_end = now_s();
    long up_after = floor_only ? 0 : count_activity(port, "2");
    for (int i = 0; i < SENDERS; i++) {
        kill(senders[i], SIGKILL);
        waitpid(senders[i], NULL, 0);
    }
    kill(daemon, SIGTERM);
    int status = 0;
    waitpid(daemon, &status, 0);
    char path[160];
    snprintf(path, sizeof path, "%s", socket_path);
    unlink(path);
    rmdir(directory);

    double percent = 100.0 * (cpu_end - cpu_start) / (wall_end - wall_start);
    if (floor_only) {
        printf("BENCH name=extatusd_10k_floor unit=pct_core extatus=%.2f\n", percent);
        printf("extatusd-bench: the receive loop alone: %.2f s CPU over %.1f s\n",
               cpu_end - cpu_start, wall_end - wall_start);
        return 0;
    }
    printf("BENCH name=extatusd_10k_processes unit=pct_core extatus=%.2f\n", percent);
    printf("extatusd-bench: %ld of %d up before, %ld after; %.1f s CPU over %.1f s; daemon "
           "exit status %d\n",
           up_before, SENDERS * NAMES_PER_SENDER, up_after, cpu_end - cpu_start,
           wall_end - wall_start, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return up_before == SENDERS * NAMES_PER_SENDER && up_after == SENDERS * NAMES_PER_SENDER &&
                   WIFEXITED(status) && WEXITSTATUS(status) == 0
               ? 0
               : 1;
}
