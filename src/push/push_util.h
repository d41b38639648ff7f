/*
 * push_util.h - small helpers shared by the files of the push library
 * (internal).
 */
#ifndef EXTATUS_PUSH_UTIL_H
#define EXTATUS_PUSH_UTIL_H

/* A copy of `text` on the library's allocator (extatus_free it); NULL for NULL or out of memory. */
char *extatus__push_strdup(const char *text);

#endif /* EXTATUS_PUSH_UTIL_H */
