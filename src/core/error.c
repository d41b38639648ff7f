/*
 * error.c - error codes, their descriptions and the per-thread message.
 */
#include "core/internal.h"

#include <stdio.h>

/* Longest message kept; longer ones are truncated with "...". */
#define ERROR_MESSAGE_MAX 512

static __thread char thread_message[ERROR_MESSAGE_MAX];
static __thread int thread_code;
/* Depth of quiet sections: failures inside them leave the message as it was. */
static __thread unsigned thread_quiet;
/* Messages recorded by this thread so far (see extatus__error_mark). */
static __thread uint64_t thread_sets;

uint64_t extatus__error_mark(void)
{
    return thread_sets;
}

int extatus__error_unless_since(uint64_t mark, int code, const char *format, ...)
{
    if (thread_sets != mark)
        return code; /* the callback said why itself */
    va_list args;
    va_start(args, format);
    extatus__error_v(code, format, args);
    va_end(args);
    return code;
}

void extatus__error_quiet_begin(void)
{
    thread_quiet++;
}

void extatus__error_quiet_end(void)
{
    thread_quiet--;
}

const char *extatus_strerror(int code)
{
    switch ((extatus_err)code) {
    case EXTATUS_OK:
        return "success";
    case EXTATUS_ERR_NOMEM:
        return "out of memory";
    case EXTATUS_ERR_INVALID:
        return "invalid argument";
    case EXTATUS_ERR_NAME:
        return "invalid metric name";
    case EXTATUS_ERR_LABEL:
        return "invalid label name or value";
    case EXTATUS_ERR_EXISTS:
        return "already registered with a different definition";
    case EXTATUS_ERR_NOT_FOUND:
        return "not found";
    case EXTATUS_ERR_TYPE:
        return "wrong metric type";
    case EXTATUS_ERR_LIMIT:
        return "limit reached";
    case EXTATUS_ERR_RANGE:
        return "value out of range";
    case EXTATUS_ERR_OPTION:
        return "unknown option or bad option value";
    case EXTATUS_ERR_STATE:
        return "not allowed in the current state";
    case EXTATUS_ERR_NOSPACE:
        return "buffer too small";
    case EXTATUS_ERR_CALLBACK:
        return "a callback failed";
    case EXTATUS_ERR_UNSUPPORTED:
        return "operation not supported";
    case EXTATUS_ERR_SYSTEM:
        return "system call failed";
    }
    return "unknown error";
}

int extatus__error_v(int code, const char *format, va_list args)
{
    if (thread_quiet)
        return code;
    /* Callers va_start `args`; the analyzer cannot follow that across calls. */
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
    int length = vsnprintf(thread_message, sizeof(thread_message), format, args);
    if (length >= (int)sizeof(thread_message))
        snprintf(thread_message + sizeof(thread_message) - 4, 4, "...");
    thread_code = code;
    thread_sets++;
    return code;
}

void extatus__error_set(int code, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    extatus__error_v(code, format, args);
    va_end(args);
}

int extatus_entry_error(int code, const char *format, ...)
{
    va_list args;
    if (!format)
        return extatus__error(code, "%s", extatus_strerror(code));
    va_start(args, format);
    extatus__error_v(code, format, args);
    va_end(args);
    return code;
}

const char *extatus_error_last(void)
{
    return thread_message;
}

int extatus_error_last_code(void)
{
    return thread_code;
}

void extatus_error_clear(void)
{
    thread_message[0] = '\0';
    thread_code = EXTATUS_OK;
}

unsigned extatus_version(const char **text)
{
    if (text)
        *text = EXTATUS_VERSION_STRING;
    return EXTATUS_VERSION_HEX;
}
