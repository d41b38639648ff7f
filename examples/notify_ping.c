/*
 * notify_ping.c - report to extatusd (or any service manager) over the
 * service notification protocol: a plain unix datagram socket, no library.
 *
 *   NOTIFY_SOCKET=/run/extatus/notify.sock ./notify_ping --name=backup --interval=500
 *
 * It sends READY=1 with its name and watchdog interval, then WATCHDOG=1
 * every half interval, `--count` times (0: forever), then STOPPING=1 when
 * --stopping is given, and exits with --exit's status.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Send one datagram of KEY=VALUE lines to the socket named by NOTIFY_SOCKET. */
static int notify(const char *message)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (!path || !*path || strlen(path) >= sizeof address.sun_path)
        return -1;
    strcpy(address.sun_path, path);
    if (address.sun_path[0] == '@') /* an abstract socket */
        address.sun_path[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    ssize_t sent =
        sendto(fd, message, strlen(message), 0, (struct sockaddr *)&address, sizeof address);
    close(fd);
    return sent < 0 ? -1 : 0;
}

static const char *flag(int argc, char **argv, const char *name, const char *otherwise)
{
    size_t length = strlen(name);
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], name, length) == 0 && argv[i][length] == '=')
            return argv[i] + length + 1;
    return otherwise;
}

int main(int argc, char **argv)
{
    const char *name = flag(argc, argv, "--name", "notify_ping");
    long interval_ms = atol(flag(argc, argv, "--interval", "1000"));
    long count = atol(flag(argc, argv, "--count", "0"));
    int status = atoi(flag(argc, argv, "--exit", "0"));
    int stopping = flag(argc, argv, "--stopping", NULL) != NULL;
    char message[256];

    if (interval_ms <= 0)
        interval_ms = 1000;
    snprintf(message, sizeof message, "READY=1\nX_EXTATUS_NAME=%s\nWATCHDOG_USEC=%ld", name,
             interval_ms * 1000);
    if (notify(message) != 0) {
        perror("notify_ping: cannot send to NOTIFY_SOCKET");
        return 2;
    }
    snprintf(message, sizeof message, "WATCHDOG=1\nX_EXTATUS_NAME=%s", name);
    struct timespec half = {interval_ms / 2000, (interval_ms / 2 % 1000) * 1000000L};
    for (long sent = 0; count == 0 || sent < count; sent++) {
        nanosleep(&half, NULL);
        notify(message);
    }
    if (stopping) {
        snprintf(message, sizeof message, "STOPPING=1\nX_EXTATUS_NAME=%s", name);
        notify(message);
    }
    return status;
}
