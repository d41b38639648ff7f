/*
 * exporter_test.c - starting and stopping the exporter
 * (src/http/exporter.c): the port read back, a custom path, and every
 * refusal at start (bad options, a port in use, a missing registry, no
 * memory) as an error code with a message, never an abort.
 */
#include "test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int teardown(void **state)
{
    (void)state;
    extatus_shutdown();
    return 0;
}

/* GET `path` over a fresh connection to 127.0.0.1:port; the status code (0: no answer). */
static int http_get(unsigned port, const char *path)
{
    struct sockaddr_in address;
    struct timeval timeout = {10, 0};
    char request[256];
    char answer[64] = {0};
    int code = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) == 0) {
        snprintf(request, sizeof request,
                 "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path);
        if (send(fd, request, strlen(request), MSG_NOSIGNAL) > 0 &&
            recv(fd, answer, sizeof answer - 1, MSG_WAITALL) > 0)
            sscanf(answer, "HTTP/1.1 %d", &code);
    }
    close(fd);
    return code;
}

static extatus_exporter_options loopback(void)
{
    extatus_exporter_options options = EXTATUS_EXPORTER_OPTIONS_INIT;
    options.port = 0;
    options.bind_address = "127.0.0.1";
    return options;
}

static void test_defaults(void **state)
{
    extatus_exporter_options options = EXTATUS_EXPORTER_OPTIONS_INIT;
    (void)state;
    assert_int_equal(options.version, EXTATUS_EXPORTER_OPTIONS_VERSION);
    assert_int_equal(options.port, EXTATUS_EXPORTER_PORT_UNSET);
    assert_null(options.bind_address);
    assert_null(options.path);
    assert_null(options.registries);
    assert_int_equal(options.force_text, 0);
    assert_null(options.basic_auth_user);
    assert_null(options.tls_cert_file);
}

static void test_port_zero_and_path(void **state)
{
    extatus_exporter_options options = loopback();
    extatus_exporter *exporter = NULL;
    unsigned port;
    (void)state;

    options.path = "/custom/metrics";
    assert_ok(extatus_exporter_start(&exporter, &options));
    assert_non_null(exporter);
    port = extatus_exporter_port(exporter);
    assert_true(port > 0 && port <= 65535);
    assert_int_equal(http_get(port, "/custom/metrics"), 200);
    assert_int_equal(http_get(port, "/metrics"), 404);
    assert_int_equal(http_get(port, "/"), 200);
    extatus_exporter_stop(exporter);
    /* Stopped: nobody answers on that port any more. */
    assert_int_equal(http_get(port, "/custom/metrics"), 0);

    /* IPv6 loopback, dual-stack default. */
    options.bind_address = "::1";
    options.path = NULL;
    assert_ok(extatus_exporter_start(&exporter, &options));
    extatus_exporter_stop(exporter);
    options.bind_address = NULL;
    assert_ok(extatus_exporter_start(&exporter, &options));
    assert_int_equal(http_get(extatus_exporter_port(exporter), "/metrics"), 200);
    extatus_exporter_stop(exporter);

    extatus_exporter_stop(NULL);
    assert_int_equal(extatus_exporter_port(NULL), 0);
}

static void test_port_in_use(void **state)
{
    extatus_exporter_options options = loopback();
    extatus_exporter *first = NULL;
    extatus_exporter *second = (extatus_exporter *)&options; /* must be reset to NULL */
    char expected[64];
    (void)state;

    assert_ok(extatus_exporter_start(&first, &options));
    options.port = extatus_exporter_port(first);
    assert_extatus(EXTATUS_ERR_SYSTEM, extatus_exporter_start(&second, &options));
    assert_null(second);
    snprintf(expected, sizeof expected, "cannot bind 127.0.0.1 port %u: ", options.port);
    assert_non_null(strstr(extatus_error_last(), expected));
    assert_non_null(strstr(extatus_error_last(), "in use"));
    /* The first one still serves. */
    assert_int_equal(http_get(options.port, "/metrics"), 200);
    extatus_exporter_stop(first);
}

static void test_bad_options(void **state)
{
    extatus_exporter *exporter = NULL;
    extatus_exporter_options options;
    (void)state;

#define EXPECT_REFUSAL(rc_, text_)                                                                 \
    do {                                                                                           \
        assert_extatus((rc_), extatus_exporter_start(&exporter, &options));                        \
        assert_null(exporter);                                                                     \
        if (!strstr(extatus_error_last(), (text_)))                                                \
            print_error("message '%s' lacks '%s'\n", extatus_error_last(), (text_));               \
        assert_non_null(strstr(extatus_error_last(), (text_)));                                    \
    } while (0)

    options = loopback();
    options.bind_address = "localhost";
    EXPECT_REFUSAL(EXTATUS_ERR_OPTION, "bind_address 'localhost'");
    options = loopback();
    options.bind_address = "300.1.1.1";
    EXPECT_REFUSAL(EXTATUS_ERR_OPTION, "'300.1.1.1'");
    options = loopback();
    options.port = 65536;
    EXPECT_REFUSAL(EXTATUS_ERR_OPTION, "port 65536");
    options = loopback();
    options.path = "metrics";
    EXPECT_REFUSAL(EXTATUS_ERR_OPTION, "path 'metrics'");
    options = loopback();
    options.path = "/a\"b";
    EXPECT_REFUSAL(EXTATUS_ERR_OPTION, "path '/a\"b'");
    options = loopback();
    options.basic_auth_user = "alice";
    EXPECT_REFUSAL(EXTATUS_ERR_OPTION, "basic_auth_password");
    options.basic_auth_user = "al:ice";
    options.basic_auth_password = "x";
    EXPECT_REFUSAL(EXTATUS_ERR_OPTION, "'al:ice'");
    options = loopback();
    options.tls_cert_file = "/nonexistent/cert.pem";
    EXPECT_REFUSAL(EXTATUS_ERR_OPTION, "tls_key_file");
    options.tls_key_file = "/nonexistent/key.pem";
    EXPECT_REFUSAL(EXTATUS_ERR_OPTION, "tls_cert_file '/nonexistent/cert.pem'");
    options = loopback();
    options.connection_timeout = 86401; /* in ms it would wrap */
    EXPECT_REFUSAL(EXTATUS_ERR_OPTION, "connection_timeout 86401");
    options = loopback();
    options.max_connections = (1u << 20) + 1;
    EXPECT_REFUSAL(EXTATUS_ERR_OPTION, "max_connections 1048577");
    options = loopback();
    options.gzip_level = 20;
    EXPECT_REFUSAL(EXTATUS_ERR_OPTION, "gzip_level 20");
    options = loopback();
    options.registry_name = "nosuch";
    EXPECT_REFUSAL(EXTATUS_ERR_NOT_FOUND, "registry 'nosuch'");
    options = loopback();
    options.version = 0;
    EXPECT_REFUSAL(EXTATUS_ERR_INVALID, "version");
    options.version = EXTATUS_EXPORTER_OPTIONS_VERSION + 1;
    EXPECT_REFUSAL(EXTATUS_ERR_INVALID, "version");
    assert_extatus(EXTATUS_ERR_INVALID, extatus_exporter_start(NULL, NULL));

    /* A TLS certificate that is not one: the server does not start. */
    {
        char path[] = "/tmp/extatus-exporter-test-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "not a certificate\n", 18), 18);
        close(fd);
        options = loopback();
        options.tls_cert_file = path;
        options.tls_key_file = path;
        EXPECT_REFUSAL(EXTATUS_ERR_SYSTEM, "cannot start the HTTP server");
        unlink(path);
    }
#undef EXPECT_REFUSAL
}

static void test_registry_by_name_and_handle(void **state)
{
    extatus_exporter_options options = loopback();
    extatus_exporter *exporter = NULL;
    extatus_registry *registry;
    (void)state;

    assert_ok(extatus_registry_new(&registry, "served", NULL));
    options.registry_name = "served";
    assert_ok(extatus_exporter_start(&exporter, &options));
    assert_int_equal(http_get(extatus_exporter_port(exporter), "/metrics"), 200);
    extatus_exporter_stop(exporter);
    options.registry_name = NULL;
    options.registries = &registry;
    options.registry_count = 1;
    assert_ok(extatus_exporter_start(&exporter, &options));
    extatus_exporter_stop(exporter);
    extatus_registry_free(registry);
}

/* Every allocation of a start failed in turn: an error, no leak. */
static void test_allocation_failures(void **state)
{
    extatus_exporter_options options = loopback();
    unsigned long nth;
    (void)state;

    assert_ok(extatus_init());
    for (nth = 1; nth < 1000; nth++) {
        extatus_exporter *exporter = NULL;
        long live = test_alloc_live();
        unsigned long before = test_alloc_count();
        int rc;
        test_alloc_fail_at(before + nth);
        rc = extatus_exporter_start(&exporter, &options);
        unsigned long attempts = test_alloc_count() - before;
        test_alloc_fail_at(0);
        if (rc == EXTATUS_OK) {
            extatus_exporter_stop(exporter);
            assert_int_equal(test_alloc_live(), live);
            if (attempts < nth)
                break;
            continue;
        }
        assert_int_equal(rc, EXTATUS_ERR_NOMEM);
        assert_null(exporter);
        assert_int_equal(test_alloc_live(), live);
    }
    assert_true(nth > 3);
    assert_true(nth < 1000);
}

/* A TCP port of 127.0.0.1 that is free right now. */
static unsigned free_port(void)
{
    struct sockaddr_in address;
    socklen_t length = sizeof address;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&address, sizeof address), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&address, &length), 0);
    close(fd);
    return ntohs(address.sin_port);
}

/* EXTATUS_PORT and EXTATUS_REGISTRY: read unless the options set the port or registry. */
static void test_environment(void **state)
{
    extatus_exporter_options options = EXTATUS_EXPORTER_OPTIONS_INIT;
    extatus_exporter *exporter = NULL;
    extatus_registry *other = NULL;
    unsigned port = free_port();
    char text[16];
    (void)state;

    options.bind_address = "127.0.0.1";
    snprintf(text, sizeof text, "%u", port);
    setenv("EXTATUS_PORT", text, 1);
    /* The port left unset: the environment's. */
    assert_ok(extatus_exporter_start(&exporter, &options));
    assert_int_equal(extatus_exporter_port(exporter), port);
    assert_int_equal(http_get(port, "/metrics"), 200);
    extatus_exporter_stop(exporter);
    /* An explicit port wins over the environment. */
    options.port = 0;
    assert_ok(extatus_exporter_start(&exporter, &options));
    assert_int_not_equal(extatus_exporter_port(exporter), port);
    extatus_exporter_stop(exporter);
    /* A bad value is refused, naming the variable and the value. */
    options.port = EXTATUS_EXPORTER_PORT_UNSET;
    setenv("EXTATUS_PORT", "http", 1);
    assert_int_equal(extatus_exporter_start(&exporter, &options), EXTATUS_ERR_OPTION);
    assert_null(exporter);
    assert_non_null(strstr(extatus_error_last(), "EXTATUS_PORT='http'"));
    /* Empty counts as unset; an explicit port still works. */
    setenv("EXTATUS_PORT", "", 1);
    options.port = 0;
    /* EXTATUS_REGISTRY names the registry served when the options name none. */
    setenv("EXTATUS_REGISTRY", "env_served", 1);
    assert_int_equal(extatus_exporter_start(&exporter, &options), EXTATUS_ERR_NOT_FOUND);
    assert_non_null(strstr(extatus_error_last(), "env_served"));
    extatus_registry_options registry_options = EXTATUS_REGISTRY_OPTIONS_INIT;
    assert_ok(extatus_registry_new(&other, "env_served", &registry_options));
    assert_ok(extatus_exporter_start(&exporter, &options));
    extatus_exporter_stop(exporter);
    /* An explicit registry name wins. */
    setenv("EXTATUS_REGISTRY", "no_such_registry", 1);
    options.registry_name = "default";
    assert_ok(extatus_exporter_start(&exporter, &options));
    extatus_exporter_stop(exporter);
    unsetenv("EXTATUS_PORT");
    unsetenv("EXTATUS_REGISTRY");
    extatus_registry_free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_port_zero_and_path),
        cmocka_unit_test(test_environment),
        cmocka_unit_test(test_port_in_use),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_registry_by_name_and_handle),
        cmocka_unit_test(test_allocation_failures),
    };
    test_alloc_install();
    return cmocka_run_group_tests_name("http/exporter", tests, NULL, teardown);
}
