/* Inside traces/: what a trace source implements. A source is a struct
 * whose first member is struct trace_src (its ops and error), made by the
 * format's open function, which trace.c's table names. */
#ifndef CM_TRACE_IMPL_H
#define CM_TRACE_IMPL_H

#include <stddef.h>

#include <glib.h>

#include "trace.h"

struct trace_src_ops {
  const char *name;                                /* "azure2019", ... */
  /* Whether the first bytes of path's file look like this format (for "auto"). */
  bool (*sniff)(const char *path, const char *head, size_t n);
  trace_src *(*open)(const char *path, const struct trace_opts *o, char **err);
  int (*next)(trace_src *s, struct trace_inv *out); /* 1, 0, or -1 after trace__fail */
  void (*free)(trace_src *s);                       /* the format's own parts; trace_free frees the rest */
};

struct trace_src {
  const struct trace_src_ops *ops;
  char *err;     /* set once by trace__fail */
  bool failed;
};

/* Stop s with "FILE:LINE:COL: what" (printf format); returns -1. */
int trace__fail(trace_src *s, const char *file, uint64_t line, uint64_t col, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);

/* The formats, one file each (trace_cm.c, trace_azure2019.c, ...), each
 * declared here and named in trace.c's table. */
extern const struct trace_src_ops trace__azure2019_ops;  /* trace_azure2019.c */
extern const struct trace_src_ops trace__azure2021_ops;  /* trace_azure2021.c */
extern const struct trace_src_ops trace__huawei2023_ops; /* trace_huawei2023.c */
extern const struct trace_src_ops trace_cm_ops; /* "cloudmix": ours (trace_cm.c) */

/* The checks our format's reader and writer share (trace_cm.c): a name of
 * 1..max bytes without spaces, control bytes, commas, quotes or '#'; an
 * outcome "completed", "cached", "failed:REASON" or "dropped:REASON". */
bool trace__cm_name_ok(const char *s, size_t max);
bool trace__cm_outcome_ok(const char *s);

#endif
