/*
 * push_util.c - small helpers shared by the files of the push library.
 */
#include "push_util.h"

#include "extatus.h"

#include <string.h>

char *extatus__push_strdup(const char *text)
{
    if (!text)
        return NULL;
    size_t size = strlen(text) + 1;
    char *copy = extatus_malloc(size);
    if (copy)
        memcpy(copy, text, size);
    return copy;
}
