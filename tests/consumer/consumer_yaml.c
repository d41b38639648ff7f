/*
 * consumer_yaml.c - a tiny program built against an installed extatus-yaml:
 * it loads a configuration file that declares a gauge, checks that the
 * gauge is exposed, and that a file with an unknown type is refused with
 * a message naming the file and line.
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp */

#include <extatus.h>
#include <extatus/yaml.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int write_file(char *path, const char *text)
{
    int fd = mkstemp(path);
    size_t length = strlen(text);

    if (fd < 0) {
        perror("consumer_yaml: mkstemp");
        return -1;
    }
    if (write(fd, text, length) != (ssize_t)length) {
        perror("consumer_yaml: write");
        close(fd);
        return -1;
    }
    return close(fd);
}

int main(void)
{
    char good[] = "/tmp/extatus-consumer-yaml-XXXXXX";
    char bad[] = "/tmp/extatus-consumer-yaml-XXXXXX";
    extatus_buf text = EXTATUS_BUF_INIT;
    int status = 1;
    int rc;

    if (write_file(good, "metrics:\n  - {name: consumer_yaml_depth, type: gauge}\n") != 0 ||
        write_file(bad, "metrics:\n  - {name: consumer_yaml_other, type: no_such_type}\n") != 0)
        goto out;

    rc = extatus_config_load(good);
    if (rc != EXTATUS_OK) {
        fprintf(stderr, "consumer_yaml: extatus_config_load: %s: %s\n", extatus_strerror(rc),
                extatus_error_last());
        goto out;
    }
    rc = extatus_expose(&text, NULL, 0, NULL);
    if (rc != EXTATUS_OK || text.ptr == NULL ||
        strstr(text.ptr, "# TYPE consumer_yaml_depth gauge\n") == NULL) {
        fprintf(stderr, "consumer_yaml: the gauge from the file is not exposed:\n%s\n",
                text.ptr ? text.ptr : "(no text)");
        goto out;
    }

    rc = extatus_config_load(bad);
    if (rc == EXTATUS_OK || strncmp(extatus_error_last(), bad, strlen(bad)) != 0 ||
        strstr(extatus_error_last(), ":2:") == NULL) {
        fprintf(stderr, "consumer_yaml: the bad file gave %d, \"%s\"\n", rc, extatus_error_last());
        goto out;
    }
    printf("consumer_yaml: ok (refused: %s)\n", extatus_error_last());
    status = 0;

out:
    extatus_buf_dispose(&text);
    unlink(good);
    unlink(bad);
    extatus_shutdown();
    return status;
}
