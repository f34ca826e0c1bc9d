/* Inside traces/: the comma-separated reader the public traces' importers
 * share (Azure Functions 2019 and 2021, Huawei Cloud 2023: plain CSV, no
 * quoting), with the line and byte column of every field for the
 * "FILE:LINE:COL: expected ..." messages, and the number parsers they use.
 * A line is read into a buffer that grows up to TRACE_CSV_LINE_MAX bytes;
 * a longer line is an error, never an unbounded allocation. */
#ifndef CM_TRACE_CSV_H
#define CM_TRACE_CSV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "trace_impl.h"

/* Longest line accepted (the widest public file, Huawei's 5,095-column
 * public requests table, has lines of some tens of KB). */
#define TRACE_CSV_LINE_MAX (4u << 20)
/* Most fields on a line. */
#define TRACE_CSV_FIELDS_MAX 65536u

struct trace_csv {
  FILE *f;
  char *path;     /* owned */
  uint64_t line;  /* 1-based number of the line in fields */
  char *buf;      /* the line, split in place: each field NUL-terminated */
  size_t cap;
  char **field;   /* nfields pointers into buf */
  uint32_t *col;  /* each field's 1-based byte column */
  size_t nfields, fcap;
  uint64_t eol_col; /* the column just past the line's last byte (for a missing field) */
};

/* 0, or CM_EIO with *err (g_malloc'd, naming the file). */
int trace__csv_open(struct trace_csv *c, const char *path, char **err);
/* The next line that is not empty (a "\r\n" ending is accepted), split at
 * commas: 1, 0 at the end, -1 after trace__fail(s, ...) for a line over
 * TRACE_CSV_LINE_MAX bytes or TRACE_CSV_FIELDS_MAX fields, or a NUL byte. */
int trace__csv_next(struct trace_csv *c, trace_src *s);
void trace__csv_close(struct trace_csv *c); /* a zeroed struct is fine */

/* Fail s at field i of c's line ("expected ..."), or just past the line's
 * end when the line has no field i. Returns -1. */
int trace__csv_fail(trace_src *s, const struct trace_csv *c, size_t i, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

/* Whole numbers in [0, max] written as digits, optionally with a ".0"
 * fraction of zeros (pandas writes counts as "2.0"). */
bool trace__parse_count(const char *s, uint64_t max, uint64_t *out);
/* A finite decimal number in [lo, hi] (C locale, no hex, no inf/nan). */
bool trace__parse_real(const char *s, double lo, double hi, double *out);

/* trace_opts.functions as a set of names (each trimmed of blanks; empty
 * ones skipped): a GHashTable of g_malloc'd keys, NULL for NULL. */
GHashTable *trace__names_new(const char *list);

#endif
