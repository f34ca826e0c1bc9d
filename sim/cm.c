/* Error strings, cm_fatal and time conversion helpers. */
#include "cm.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const char *cm_strerror(int err) {
  switch (err) {
  case CM_OK: return "success";
  case CM_EINVAL: return "invalid argument";
  case CM_ENOMEM: return "out of memory";
  case CM_ENOSYS: return "not supported by this backend";
  case CM_ENOENT: return "not found";
  case CM_EIO: return "input/output error";
  case CM_EPARSE: return "malformed input";
  case CM_ERANGE: return "value out of range";
  case CM_EEXIST: return "already exists";
  case CM_EDB: return "results store error";
  default: return "unknown error";
  }
}

void cm_fatal(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "cloudmix: fatal at %s:%d: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  abort();
}

cm_time cm_time_from_s(double s) {
  double ns = s * 1e9;
  if (!(ns < 9.2e18)) return ns != ns ? 0 : CM_TIME_MAX;
  if (ns < -9.2e18) return -CM_TIME_MAX;
  return (cm_time)llround(ns);
}
