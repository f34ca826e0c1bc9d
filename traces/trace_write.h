/* The writer of our own trace format ("cloudmix", traces/README.md): one
 * CSV row per invocation with what happened to it, in any order (a run
 * records its calls as they end; the reader, trace_cm.c, sorts them by
 * arrival). Owns its file; rows are buffered and written by close. */
#ifndef CM_TRACE_WRITE_H
#define CM_TRACE_WRITE_H

#include "trace.h"

/* The format: first line TRACE_CM_MAGIC followed by the version, second
 * line the column names trace_cm_header, then the rows. */
#define TRACE_CM_MAGIC "#cloudmix-trace v"
#define TRACE_CM_VERSION 1
#define TRACE_CM_NCOLS 10
#define TRACE_CM_NAME_MAX 255 /* bytes of a function or provider name */
extern const char *const trace_cm_columns[TRACE_CM_NCOLS];
extern const char trace_cm_header[];

typedef struct trace_writer trace_writer;

/* Create (or truncate) path and write the two header lines. NULL with
 * *err (g_malloc'd, naming path) when it cannot be created. */
trace_writer *trace_writer_open(const char *path, char **err);
/* One row: id, t, function, request_bytes, response_bytes, duration
 * (exec_ns), memory_mb, outcome, provider (NULL: empty), latency (< 0
 * written as 0). 0; CM_EINVAL for a row the reader would refuse (id 0,
 * t < 0, a name with a comma or space, an outcome not of the four forms;
 * nothing written); CM_EIO when the write failed (then every later call
 * fails too). */
int trace_writer_add(trace_writer *w, const struct trace_inv *inv);
uint64_t trace_writer_rows(const trace_writer *w);
/* Flush and close (w is freed). 0, or CM_EIO with *err naming the file
 * when a write or the close failed. NULL is a no-op returning 0. */
int trace_writer_close(trace_writer *w, char **err);

#endif
