/* Project-wide basics: the time type and its unit helpers, the error codes
 * every module returns, and cm_fatal for broken invariants. */
#ifndef CM_H
#define CM_H

#include <stdint.h>
#include <stddef.h>

/* Virtual or monotonic time, in nanoseconds. */
typedef int64_t cm_time;

#define CM_NS(x) ((cm_time)(x))
#define CM_US(x) ((cm_time)(x) * 1000LL)
#define CM_MS(x) ((cm_time)(x) * 1000000LL)
#define CM_S(x) ((cm_time)(x) * 1000000000LL)
#define CM_TIME_MAX INT64_MAX

/* Seconds (double) to nanoseconds, rounded to nearest; saturates. */
cm_time cm_time_from_s(double s);
static inline double cm_time_to_s(cm_time t) { return (double)t / 1e9; }
/* a + b for b >= 0, saturating at CM_TIME_MAX instead of overflowing
 * (a delay read off the wire can be as large as CM_TIME_MAX). */
static inline cm_time cm_time_add_sat(cm_time a, cm_time b) { return b > CM_TIME_MAX - a ? CM_TIME_MAX : a + b; }

/* Errors: 0 on success, a negative CM_E* code otherwise. */
enum {
  CM_OK = 0,
  CM_EINVAL = -1,    /* bad argument */
  CM_ENOMEM = -2,    /* allocation failed */
  CM_ENOSYS = -3,    /* not supported by this backend (yet) */
  CM_ENOENT = -4,    /* no such key, file, address or timer */
  CM_EIO = -5,       /* an operating-system call failed */
  CM_EPARSE = -6,    /* malformed input */
  CM_ERANGE = -7,    /* value out of range */
  CM_EEXIST = -8,    /* already bound / already present */
  CM_EDB = -9,       /* results store error */
};

/* A static string describing err (one of the CM_E* codes). */
const char *cm_strerror(int err);

/* Marks a parameter a callback signature requires but this body ignores. */
#define CM_UNUSED __attribute__((unused))

/* Where a fatal error happened. */
#define CM_LOC __FILE__, __LINE__

/* Report a broken invariant and abort. Never returns. */
_Noreturn void cm_fatal(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Exit codes of the cloudmix program. */
enum { CM_EXIT_OK = 0, CM_EXIT_FAILED = 1, CM_EXIT_USAGE = 2, CM_EXIT_NOT_FOUND = 3 /* store: no such key */ };

/* Code version, `git describe --always --dirty` at build time. */
extern const char cm_version[];

#endif
