/* A trace as a stream of invocations in arrival order: our own recorded
 * format and the public traces' importers (Azure Functions 2019 and 2021,
 * Huawei Cloud 2023) behind one pull interface, so a replay holds one
 * invocation at a time however long the trace (memory flat). Every source
 * is a small ops table (one file each) registered in trace.c.
 *
 * Errors: a malformed row stops the source; trace_next returns -1 and
 * trace_error says "FILE:LINE:COL: expected ..." (LINE and COL 1-based,
 * COL the byte of the offending field). trace_open fails the same way for
 * a missing or unreadable file, an unknown format, a bad header. */
#ifndef CM_TRACE_H
#define CM_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "cm.h"

/* How a per-minute (or per-second) count becomes arrival times within its
 * interval (the load generators' rules, e.g. vHive's loader): evenly
 * spaced (interval/count apart, the first at the interval's start),
 * uniformly at random, or as a Poisson process of the interval's rate
 * (exponential gaps; the count is then the expected one). */
enum trace_spread { TRACE_SPREAD_EQUIDISTANT, TRACE_SPREAD_UNIFORM, TRACE_SPREAD_POISSON };
#define TRACE_NSPREADS 3
/* "equidistant", "uniform", "poisson"; trace_spread_parse: 0 or CM_EINVAL. */
const char *trace_spread_name(enum trace_spread s);
int trace_spread_parse(const char *name, enum trace_spread *out);

/* One invocation. Strings are owned by the source and valid until the
 * next trace_next or trace_free (function: until trace_free). */
struct trace_inv {
  uint64_t id;              /* the source's own numbering, from 1 in arrival order */
  cm_time t;                /* arrival, ns from the trace's start (non-decreasing) */
  const char *function;     /* the trace's name for the function (a hash for the public traces) */
  uint32_t fn;              /* the function's number in this source: from 0, below the number of
                               functions the file holds, the same for every invocation of the function
                               (and one function per number), so a replay maps functions by array
                               index rather than by hashing names */
  cm_time duration;         /* execution time the trace gives or implies; 0 = unknown */
  double memory_mb;         /* memory the trace gives; 0 = unknown */
  uint64_t request_bytes;   /* 0 = unknown (the scenario's sizes apply) */
  uint64_t response_bytes;
  /* Our own format only (NULL / -1 / 0 for the public traces): what happened. */
  const char *outcome;      /* "completed", "failed:REASON" or "dropped:REASON" */
  const char *provider;     /* where it ended; NULL if nowhere */
  cm_time latency;          /* submitted to finished, ns */
};

/* Options of an importer; zero is every default. */
struct trace_opts {
  enum trace_spread spread; /* per-interval counts: how arrivals spread (default equidistant) */
  uint64_t seed;            /* the draws of spreading and of durations and memory from
                               percentile tables (stream "trace" of this seed) */
  const char *functions;    /* comma-separated trace function names to keep; NULL = all */
  cm_time start, length;    /* window of the trace to read: from start, length long (0 = to the end) */
};

typedef struct trace_src trace_src;

/* Formats: "cloudmix" (ours, traces/README.md), "azure2019", "azure2021",
 * "huawei2023"; "auto" sniffs the file's header. path names the format's
 * file (or folder: azure2019's day, huawei2023's release). NULL with *err
 * (g_malloc'd, one line naming the file) on failure. opts may be NULL. */
trace_src *trace_open(const char *format, const char *path, const struct trace_opts *opts, char **err);
/* The next invocation: 1 (out filled), 0 at the end, -1 on a malformed row
 * (trace_error says where; every later call returns -1 too). */
int trace_next(trace_src *s, struct trace_inv *out);
const char *trace_error(const trace_src *s);
/* The format's name ("azure2019", ...). */
const char *trace_format(const trace_src *s);
void trace_free(trace_src *s); /* NULL-safe */

#endif
