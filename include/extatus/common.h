/*
 * extatus/common.h - export macro, C++ guards and shared basic types.
 *
 * Every public header includes this one first.
 */
#ifndef EXTATUS_COMMON_H
#define EXTATUS_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && defined(EXTATUS_BUILDING_SHARED)
#define EXTATUS_API __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define EXTATUS_API __attribute__((visibility("default")))
#else
#define EXTATUS_API
#endif

#ifdef __cplusplus
#define EXTATUS_BEGIN_DECLS extern "C" {
#define EXTATUS_END_DECLS   }
#else
#define EXTATUS_BEGIN_DECLS
#define EXTATUS_END_DECLS
#endif

#if defined(__GNUC__) || defined(__clang__)
#define EXTATUS_DEPRECATED(version) __attribute__((deprecated("since extatus " version)))
#else
#define EXTATUS_DEPRECATED(version)
#endif

EXTATUS_BEGIN_DECLS

/* A registry: a named set of metric families that is exposed together. */
typedef struct extatus_registry extatus_registry;

/* A metric family: name, help, unit, type and label names; holds series. */
typedef struct extatus_family extatus_family;

/* One series of a family: one tuple of label values. */
typedef struct extatus_series extatus_series;

EXTATUS_END_DECLS

#endif /* EXTATUS_COMMON_H */
