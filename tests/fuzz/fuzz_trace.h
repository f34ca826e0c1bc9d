/* What the trace importers' fuzz targets share (fuzz_trace_<format>.c):
 * the input's first byte picks the options, the rest is split at NUL bytes
 * into the files of the format's layout, written to a temporary folder of
 * this process (removed at exit); the source is opened and pulled to the
 * end (at most FZ_TRACE_PULLS invocations: a count of 10^8 is a legal, long
 * stream). Invariants: trace_open fails with a message, or trace_next
 * gives ids 1, 2, ..., non-decreasing times inside the window, a named
 * function, non-negative duration and memory; a failure's message reads
 * "FILE:LINE:COL: expected ..."; nothing leaks (ASan's leak check). */
#ifndef CM_FUZZ_TRACE_H
#define CM_FUZZ_TRACE_H

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "fuzz_common.h"
#include "trace.h"

#define FZ_TRACE_PULLS 20000
#define FZ_TRACE_FILES 3

static char *fz_dir;
static const char *fz_names[FZ_TRACE_FILES];
static char *fz_sub[2];

static void fz_trace_cleanup(void) {
  for (int i = 0; i < FZ_TRACE_FILES; i++)
    if (fz_names[i]) {
      char *p = g_build_filename(fz_dir, fz_names[i], NULL);
      g_unlink(p);
      g_free(p);
    }
  for (int i = 0; i < 2; i++)
    if (fz_sub[i]) g_rmdir(fz_sub[i]);
  g_rmdir(fz_dir);
}

/* The folder, with subfolders sub0 and sub1 (either may be NULL), and the
 * file names (relative to it) the input's parts go to. */
static void fz_trace_init(const char *sub0, const char *sub1, const char *n0, const char *n1, const char *n2) {
  if (fz_dir) return;
  fz_dir = g_dir_make_tmp("cm-fuzz-trace-XXXXXX", NULL);
  CHECK(fz_dir);
  const char *subs[2] = {sub0, sub1};
  for (int i = 0; i < 2; i++)
    if (subs[i]) {
      fz_sub[i] = g_build_filename(fz_dir, subs[i], NULL);
      g_mkdir(fz_sub[i], 0700);
    }
  fz_names[0] = n0;
  fz_names[1] = n1;
  fz_names[2] = n2;
  atexit(fz_trace_cleanup);
}

/* Write data's NUL-separated parts to the files (making their folders);
 * a file without a part is removed, and its folder too when empty. */
static void fz_trace_write(const uint8_t *data, size_t size) {
  size_t at = 0;
  bool more = true;
  for (int i = 0; i < FZ_TRACE_FILES; i++) {
    if (!fz_names[i]) continue;
    char *p = g_build_filename(fz_dir, fz_names[i], NULL), *d = g_path_get_dirname(p);
    if (more) {
      const uint8_t *nul = memchr(data + at, 0, size - at);
      size_t n = nul ? (size_t)(nul - (data + at)) : size - at;
      g_mkdir_with_parents(d, 0700);
      CHECK(g_file_set_contents(p, (const char *)data + at, (gssize)n, NULL));
      at += n + (nul != NULL);
      more = nul != NULL;
    } else {
      g_unlink(p);
      if (strcmp(d, fz_dir)) g_rmdir(d); /* fails, harmlessly, while not empty */
    }
    g_free(d);
    g_free(p);
  }
}

/* The options byte: spread, a window of minutes 1-3, a filter, the seed. */
static struct trace_opts fz_trace_opts(uint8_t b, const char *filter) {
  struct trace_opts o = {.spread = (enum trace_spread)(b % 3), .seed = b >> 4};
  if (b & 0x04) {
    o.start = CM_S(60);
    o.length = CM_S(120);
  }
  if (b & 0x08) o.functions = filter;
  return o;
}

static bool fz_trace_where(const char *e) {
  const char *x = strstr(e, ": expected");
  if (!x) return false;
  const char *p = x; /* back over ":LINE:COL" */
  for (int part = 0; part < 2; part++) {
    const char *d = p;
    while (d > e && d[-1] >= '0' && d[-1] <= '9') d--;
    if (d == p || d == e || d[-1] != ':') return false;
    p = d - 1;
  }
  return p > e;
}

static void fz_trace_pull(const char *format, const char *path, const struct trace_opts *o) {
  char *err = NULL;
  trace_src *s = trace_open(format, path, o, &err);
  if (!s) {
    CHECK(err && err[0]);
    g_free(err);
    return;
  }
  CHECK(!err);
  struct trace_inv v;
  cm_time prev = INT64_MIN, end = o->length ? o->start + o->length : CM_TIME_MAX;
  uint64_t n = 0;
  int rc;
  while (n < FZ_TRACE_PULLS && (rc = trace_next(s, &v)) == 1) {
    CHECK(v.id == ++n);
    CHECK(v.t >= prev && v.t >= o->start && v.t < end);
    CHECK(v.function && v.function[0]);
    CHECK(v.duration >= 0 && v.memory_mb >= 0);
    if (o->functions) CHECK(strstr(o->functions, v.function));
    prev = v.t;
  }
  if (n < FZ_TRACE_PULLS && rc < 0) {
    CHECK(fz_trace_where(trace_error(s)));
    CHECK(trace_next(s, &v) == -1);
  }
  trace_free(s);
}

#endif
