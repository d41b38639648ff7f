/*
 * extatus/version.h - compile-time version of the headers.
 *
 * Compare with extatus_version() at run time to detect a header/library
 * mismatch. The library's SONAME follows EXTATUS_VERSION_MAJOR.
 */
#ifndef EXTATUS_VERSION_H
#define EXTATUS_VERSION_H

#include "common.h"

#define EXTATUS_VERSION_MAJOR  0
#define EXTATUS_VERSION_MINOR  1
#define EXTATUS_VERSION_PATCH  0
#define EXTATUS_VERSION_STRING "0.1.0"

/* One comparable number: 0xMMmmpp. */
#define EXTATUS_VERSION_HEX                                                                        \
    ((EXTATUS_VERSION_MAJOR << 16) | (EXTATUS_VERSION_MINOR << 8) | EXTATUS_VERSION_PATCH)

/* True when the headers are at least version major.minor.patch. */
#define EXTATUS_VERSION_AT_LEAST(major, minor, patch)                                              \
    (EXTATUS_VERSION_HEX >= (((major) << 16) | ((minor) << 8) | (patch)))

EXTATUS_BEGIN_DECLS

/*
 * The library's version as EXTATUS_VERSION_HEX; if `text` is not NULL it
 * receives the version string (static storage).
 * Thread safety: any thread.
 */
EXTATUS_API unsigned extatus_version(const char **text);

EXTATUS_END_DECLS

#endif /* EXTATUS_VERSION_H */
