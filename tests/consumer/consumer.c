/*
 * consumer.c - a tiny program built against an installed extatus, as a
 * user would build it: it creates a counter, increments it, exposes the
 * default registry and checks that the sample is in the text.
 */
#include <extatus.h>

#include <stdio.h>
#include <string.h>

#define CONSUMER_METRIC "extatus_consumer_requests"

static int check_exposition(const char *text)
{
    /* The TYPE line may name the family with or without _total. */
    static const char *const expected[] = {
        "# TYPE " CONSUMER_METRIC,
        "\n" CONSUMER_METRIC "_total 3\n",
    };
    size_t i;

    for (i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        if (strstr(text, expected[i]) == NULL) {
            const char *line = expected[i][0] == '\n' ? expected[i] + 1 : expected[i];
            size_t length = strlen(line);

            if (length > 0 && line[length - 1] == '\n')
                length--;
            fprintf(stderr, "consumer: the exposition lacks \"%.*s\"\n", (int)length, line);
            return -1;
        }
    }
    return 0;
}

int main(void)
{
    extatus_counter *counter = NULL;
    extatus_buf text = EXTATUS_BUF_INIT;
    const char *version = NULL;
    unsigned hex;
    int rc;
    int status = 1;

    hex = extatus_version(&version);
    if (hex != EXTATUS_VERSION_HEX) {
        fprintf(stderr, "consumer: library version %s (0x%06x) does not match headers %s\n",
                version ? version : "?", hex, EXTATUS_VERSION_STRING);
        return 1;
    }

    rc = extatus_counter_new(&counter, NULL, CONSUMER_METRIC, "Requests seen by the consumer.");
    if (rc != EXTATUS_OK) {
        fprintf(stderr, "consumer: extatus_counter_new: %s: %s\n", extatus_strerror(rc),
                extatus_error_last());
        goto out;
    }
    extatus_counter_inc(counter);
    extatus_counter_inc(counter);
    extatus_counter_inc(counter);

    rc = extatus_expose(&text, NULL, 0, NULL);
    if (rc != EXTATUS_OK) {
        fprintf(stderr, "consumer: extatus_expose: %s: %s\n", extatus_strerror(rc),
                extatus_error_last());
        goto out_dispose_text;
    }
    if (text.ptr == NULL) {
        fprintf(stderr, "consumer: extatus_expose produced no text\n");
        goto out_dispose_text;
    }
    if (check_exposition(text.ptr) != 0) {
        fprintf(stderr, "consumer: the exposition was:\n%s\n", text.ptr);
        goto out_dispose_text;
    }
    printf("consumer: ok, extatus %s\n", version);
    status = 0;

out_dispose_text:
    extatus_buf_dispose(&text);
out:
    extatus_shutdown();
    return status;
}
