/* Importer of the Huawei Cloud serverless traces of 2023 (Joosen et al.,
 * "How Does It Function? Characterizing Long-term Trends in Production
 * Serverless Workloads", SoCC'23; schema from the publishers' description,
 * sir-lab/data-release README_data_release_2023.md, and the layout their
 * demo notebooks load): one CSV file per day (day_NN.csv) in a folder per
 * metric (requests_minute, requests_second, function_delay_minute,
 * function_delay_second, ...). A file's header is day,time then one column
 * per function id; each row is one interval (time in seconds from the
 * trace's start, a minute or a second long) and a cell holds that
 * function's value for it, empty where the function had none. requests_*
 * cells are invocation counts; function_delay_* cells the function's
 * execution time averaged over its pods. The release does not state the
 * delay's unit: it is read as milliseconds here (an assumption).
 *
 * path: a requests file, a requests_minute or requests_second folder (its
 * day files in name order), or the release folder holding them
 * (requests_second when present, else requests_minute). The interval comes
 * from the folder's name. Delays come from the sibling function_delay_*
 * folder's file of the same name, row for row, when it exists; without it
 * durations are 0 (unknown). Rows stream: one interval's arrivals at a
 * time, spread by trace_spread.h and merged by a heap. Function names are
 * the column ids ("0" .. "5092"). */
#include "trace_csv.h"
#include "trace_spread.h"

#include <string.h>

#define TIME_MAX_S 9000000000ull /* int64 ns holds 292 years */

struct hw {
  trace_src base;
  struct trace_opts o;
  GHashTable *want;     /* filter; NULL = all */
  GHashTable *names;    /* interned function names */
  cm_time interval;
  GPtrArray *files;     /* requests files, in order */
  guint fi;             /* the next file to open */
  char *delay_dir;      /* NULL = no delays */
  struct trace_csv req, del;
  bool req_open, del_open;
  size_t ncols;         /* fields in the current file's rows */
  const char **col;     /* per field: function name, NULL for day, time and filtered columns */
  size_t *dcol;         /* per field: the delay file's field, 0 = none */
  size_t dfields;       /* fields in the delay file's rows */
  struct trace_spreader *sp;
  cm_time *dur;
  struct trace_heap heap;
  rng *r;
  uint64_t id;
  cm_time prev;         /* the previous row's time; -1 before the first */
  bool head_failed;
};

static void cols_free(struct hw *h) {
  g_free(h->col);
  g_free(h->dcol);
  g_free(h->sp);
  g_free(h->dur);
  h->col = NULL;
  h->dcol = NULL;
  h->sp = NULL;
  h->dur = NULL;
  h->ncols = 0;
}

static void hw_free(trace_src *s) {
  struct hw *h = (struct hw *)s;
  trace__csv_close(&h->req);
  trace__csv_close(&h->del);
  cols_free(h);
  if (h->want) g_hash_table_destroy(h->want);
  if (h->names) g_hash_table_destroy(h->names);
  if (h->files) g_ptr_array_free(h->files, TRUE);
  g_free(h->delay_dir);
  trace__heap_free(&h->heap);
  if (h->r) rng_free(h->r);
  g_free(h);
}

static int head_read(trace_src *s, struct trace_csv *c) {
  if (trace__csv_next(c, s) <= 0) return s->failed ? -1 : trace__fail(s, c->path, 1, 1, "expected a header line");
  if (c->nfields < 2 || strcmp(c->field[0], "day")) return trace__csv_fail(s, c, 0, "expected the column \"day\"");
  if (strcmp(c->field[1], "time")) return trace__csv_fail(s, c, 1, "expected the column \"time\"");
  GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
  int rc = 0;
  for (size_t i = 2; i < c->nfields && !rc; i++) {
    if (!c->field[i][0]) rc = trace__csv_fail(s, c, i, "expected a function id");
    else if (!g_hash_table_add(seen, c->field[i])) rc = trace__csv_fail(s, c, i, "expected each function once");
  }
  g_hash_table_destroy(seen);
  return rc;
}

/* Open the next requests file (and its delays) and read their headers. */
static int file_open(struct hw *h) {
  trace_src *s = &h->base;
  const char *path = g_ptr_array_index(h->files, h->fi++);
  char *err = NULL;
  h->head_failed = true;
  trace__csv_close(&h->req);
  trace__csv_close(&h->del);
  h->req_open = h->del_open = false;
  cols_free(h);
  if (trace__csv_open(&h->req, path, &err)) {
    int rc = trace__fail(s, path, 1, 1, "expected a readable file (%s)", err);
    g_free(err);
    return rc;
  }
  h->req_open = true;
  if (head_read(s, &h->req)) return -1;
  h->ncols = h->req.nfields;
  h->col = g_new0(const char *, h->ncols);
  h->dcol = g_new0(size_t, h->ncols);
  h->sp = g_new0(struct trace_spreader, h->ncols);
  h->dur = g_new0(cm_time, h->ncols);
  for (size_t i = 2; i < h->ncols; i++) {
    const char *n = h->req.field[i];
    if (h->want && !g_hash_table_contains(h->want, n)) continue;
    const char *in = g_hash_table_lookup(h->names, n);
    if (!in) {
      char *d = g_strdup(n);
      g_hash_table_add(h->names, d);
      in = d;
    }
    h->col[i] = in;
  }
  if (h->delay_dir) {
    char *base = g_path_get_basename(path), *dp = g_build_filename(h->delay_dir, base, NULL);
    g_free(base);
    int rc = trace__csv_open(&h->del, dp, &err);
    g_free(dp);
    if (rc) {
      rc = trace__fail(s, path, 1, 1, "expected its function delay file (%s)", err);
      g_free(err);
      return rc;
    }
    h->del_open = true;
    if (head_read(s, &h->del)) return -1;
    h->dfields = h->del.nfields;
    for (size_t j = 2; j < h->del.nfields; j++)
      for (size_t i = 2; i < h->ncols; i++)
        if (h->col[i] && !strcmp(h->col[i], h->del.field[j])) h->dcol[i] = j;
  }
  h->head_failed = false;
  return 0;
}

/* Read the next interval into the heap: 1, 0 at the end, -1 failed. */
static int row_read(struct hw *h) {
  trace_src *s = &h->base;
  cm_time end = h->o.length ? cm_time_add_sat(h->o.start, h->o.length) : CM_TIME_MAX;
  for (;;) {
    int r = h->req_open ? trace__csv_next(&h->req, s) : 0;
    if (r < 0) return -1;
    if (r == 0) {
      if (h->req_open && h->del_open) {
        int d = trace__csv_next(&h->del, s);
        if (d < 0) return -1;
        if (d) return trace__csv_fail(s, &h->del, 0, "expected no more rows than %s", h->req.path);
      }
      if (h->fi >= h->files->len) return 0;
      if (file_open(h)) return -1;
      continue;
    }
    struct trace_csv *c = &h->req;
    if (c->nfields != h->ncols)
      return trace__csv_fail(s, c, c->nfields < h->ncols ? c->nfields : h->ncols, "expected %zu fields, found %zu",
                             h->ncols, c->nfields);
    uint64_t day, ts;
    if (!trace__parse_count(c->field[0], UINT32_MAX, &day)) return trace__csv_fail(s, c, 0, "expected a day number");
    if (!trace__parse_count(c->field[1], TIME_MAX_S, &ts))
      return trace__csv_fail(s, c, 1, "expected a time in whole seconds from 0 to %llu", (unsigned long long)TIME_MAX_S);
    cm_time t = CM_S((cm_time)ts);
    if (h->prev >= 0 && t < h->prev + h->interval)
      return trace__csv_fail(s, c, 1, "expected a time at least %lld s after the previous row's",
                             (long long)(h->interval / CM_S(1)));
    h->prev = t;
    if (h->del_open) {
      struct trace_csv *d = &h->del;
      int dr = trace__csv_next(d, s);
      if (dr < 0) return -1;
      if (dr == 0) return trace__fail(s, d->path, d->line, 1, "expected a row for time %llu", (unsigned long long)ts);
      uint64_t dts;
      if (d->nfields != h->dfields)
        return trace__csv_fail(s, d, d->nfields < h->dfields ? d->nfields : h->dfields,
                               "expected %zu fields, found %zu", h->dfields, d->nfields);
      if (!trace__parse_count(d->field[1], TIME_MAX_S, &dts) || dts != ts)
        return trace__csv_fail(s, d, 1, "expected the time %llu of %s line %llu", (unsigned long long)ts, c->path,
                               (unsigned long long)c->line);
    }
    for (size_t i = 2; i < h->ncols; i++) {
      uint64_t n = 0;
      if (c->field[i][0] && !trace__parse_count(c->field[i], TRACE_COUNT_MAX, &n))
        return trace__csv_fail(s, c, i, "expected a count of requests from 0 to %llu, or nothing",
                               (unsigned long long)TRACE_COUNT_MAX);
      h->dur[i] = 0;
      if (h->dcol[i] && h->del.field[h->dcol[i]][0]) {
        double ms;
        if (!trace__parse_real(h->del.field[h->dcol[i]], 0, 1e12, &ms))
          return trace__csv_fail(s, &h->del, h->dcol[i], "expected a non-negative delay, or nothing");
        h->dur[i] = cm_time_from_s(ms / 1e3);
      }
      if (!h->col[i] || !n || t + h->interval <= h->o.start || t >= end) continue;
      trace__spread_begin(&h->sp[i], h->o.spread, t, h->interval, n);
      cm_time a;
      if (trace__spread_next(&h->sp[i], h->r, &a)) trace__heap_push(&h->heap, a, (uint32_t)i);
    }
    if (t >= end) return 0;
    if (h->heap.n) return 1;
  }
}

static int hw_next(trace_src *s, struct trace_inv *out) {
  struct hw *h = (struct hw *)s;
  cm_time end = h->o.length ? cm_time_add_sat(h->o.start, h->o.length) : CM_TIME_MAX;
  for (;;) {
    cm_time t;
    uint32_t i;
    if (!trace__heap_pop(&h->heap, &t, &i)) {
      int r = row_read(h);
      if (r <= 0) return r;
      continue;
    }
    cm_time nt;
    if (trace__spread_next(&h->sp[i], h->r, &nt)) trace__heap_push(&h->heap, nt, i);
    if (t < h->o.start || t >= end) continue;
    memset(out, 0, sizeof *out);
    out->id = ++h->id;
    out->t = t;
    out->function = h->col[i];
    out->fn = i - 2; /* columns 0 and 1 are day and time */
    out->duration = h->dur[i];
    out->latency = -1;
    return 1;
  }
}

static int name_cmp(gconstpointer a, gconstpointer b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The requests files and the interval from path; 0 or CM_E* with *err. */
static int resolve(struct hw *h, const char *path, char **err) {
  char *dir = NULL;
  if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
    *err = g_strdup_printf("%s: cannot open: no such file or folder", path);
    return CM_ENOENT;
  }
  if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
    char *sec = g_build_filename(path, "requests_second", NULL), *min = g_build_filename(path, "requests_minute", NULL);
    if (g_file_test(sec, G_FILE_TEST_IS_DIR)) dir = g_strdup(sec);
    else if (g_file_test(min, G_FILE_TEST_IS_DIR)) dir = g_strdup(min);
    else dir = g_strdup(path);
    g_free(sec);
    g_free(min);
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d) {
      const char *e;
      while ((e = g_dir_read_name(d)))
        if (g_str_has_suffix(e, ".csv")) g_ptr_array_add(h->files, g_build_filename(dir, e, NULL));
      g_dir_close(d);
    }
    g_ptr_array_sort(h->files, name_cmp);
  } else {
    dir = g_path_get_dirname(path);
    g_ptr_array_add(h->files, g_strdup(path));
  }
  char *base = g_path_get_basename(dir), *up = g_path_get_dirname(dir);
  const char *gran = g_str_has_suffix(base, "_second") ? "second" : g_str_has_suffix(base, "_minute") ? "minute" : NULL;
  int rc = 0;
  if (!gran || !g_str_has_prefix(base, "requests_")) {
    *err = g_strdup_printf("%s: expected a requests_minute or requests_second folder (or a day file in one, or the "
                           "release folder holding one)", path);
    rc = CM_EINVAL;
  } else if (!h->files->len) {
    *err = g_strdup_printf("%s: expected day files (*.csv) in %s", path, dir);
    rc = CM_ENOENT;
  } else {
    h->interval = strcmp(gran, "second") ? CM_S(60) : CM_S(1);
    char *dn = g_strconcat("function_delay_", gran, NULL);
    char *dd = g_build_filename(up, dn, NULL);
    g_free(dn);
    if (g_file_test(dd, G_FILE_TEST_IS_DIR)) h->delay_dir = dd;
    else g_free(dd);
  }
  g_free(base);
  g_free(up);
  g_free(dir);
  return rc;
}

static bool hw_sniff(const char *path, const char *head, size_t n) {
  if (n >= 9 && !memcmp(head, "day,time,", 9)) return true;
  if (!g_file_test(path, G_FILE_TEST_IS_DIR)) return false;
  const char *sub[] = {"requests_minute", "requests_second"};
  bool ok = g_str_has_suffix(path, "requests_minute") || g_str_has_suffix(path, "requests_second");
  for (int i = 0; i < 2 && !ok; i++) {
    char *p = g_build_filename(path, sub[i], NULL);
    ok = g_file_test(p, G_FILE_TEST_IS_DIR);
    g_free(p);
  }
  return ok;
}

static trace_src *hw_open(const char *path, const struct trace_opts *o, char **err) {
  if (o->start < 0 || o->length < 0) {
    *err = g_strdup_printf("%s: expected a window with start and length >= 0", path);
    return NULL;
  }
  struct hw *h = g_new0(struct hw, 1);
  h->base.ops = &trace__huawei2023_ops;
  h->o = *o;
  h->o.functions = NULL;
  h->prev = -1;
  h->files = g_ptr_array_new_with_free_func(g_free);
  h->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  h->r = rng_new(o->seed, "trace");
  h->want = trace__names_new(o->functions);
  if (resolve(h, path, err)) {
    hw_free(&h->base);
    return NULL;
  }
  if (file_open(h) && h->head_failed) { /* a bad header fails here; a bad row at trace_next */
    *err = h->base.err;
    h->base.err = NULL;
    hw_free(&h->base);
    return NULL;
  }
  return &h->base;
}

const struct trace_src_ops trace__huawei2023_ops = {"huawei2023", hw_sniff, hw_open, hw_next, hw_free};
