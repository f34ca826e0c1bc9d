/* Importer of the Azure Functions 2019 trace (Shahrad et al., "Serverless
 * in the Wild", USENIX ATC'20; schema from the release's description,
 * AzurePublicDataset's AzureFunctionsDataset2019.md, revision 2). A day is
 * three CSV files: invocations per function per minute
 * (invocations_per_function_md.anon.dNN.csv: HashOwner, HashApp,
 * HashFunction, Trigger, then the counts of minutes 1..1440), function
 * execution time percentiles in ms (function_durations_percentiles.anon.dNN.csv:
 * HashOwner, HashApp, HashFunction, Average, Count, Minimum, Maximum,
 * percentile_Average_0, _1, _25, _50, _75, _99, _100) and application
 * memory percentiles in MB (app_memory_percentiles.anon.dNN.csv: HashOwner,
 * HashApp, SampleCount, AverageAllocatedMb, AverageAllocatedMb_pct1, _pct5,
 * _pct25, _pct50, _pct75, _pct95, _pct99, _pct100).
 *
 * Method: the counts of the window's minutes are held per function (1, 2
 * or 4 bytes a minute, whichever its largest count needs); arrivals are
 * made one at a time per function (trace_spread.h) and merged by a heap,
 * so memory grows with the functions, not the invocations. Each
 * invocation's duration is drawn from its function's percentile table and
 * its memory from its app's, by piecewise-linear inverse CDF. The function
 * emitted is HashFunction: the release hashes a function's name with its
 * app, so it is unique on its own. */
#include "trace_csv.h"
#include "trace_spread.h"

#include <string.h>

#define MINUTES_MAX 1440
#define MINUTE CM_S(60)

static const char *const inv_head[] = {"HashOwner", "HashApp", "HashFunction", "Trigger"};
static const char *const dur_head[] = {"HashOwner", "HashApp", "HashFunction", "Average", "Count",
                                       "Minimum", "Maximum", "percentile_Average_0", "percentile_Average_1",
                                       "percentile_Average_25", "percentile_Average_50", "percentile_Average_75",
                                       "percentile_Average_99", "percentile_Average_100"};
static const char *const mem_head[] = {"HashOwner", "HashApp", "SampleCount", "AverageAllocatedMb",
                                       "AverageAllocatedMb_pct1", "AverageAllocatedMb_pct5",
                                       "AverageAllocatedMb_pct25", "AverageAllocatedMb_pct50",
                                       "AverageAllocatedMb_pct75", "AverageAllocatedMb_pct95",
                                       "AverageAllocatedMb_pct99", "AverageAllocatedMb_pct100"};
static const char *const triggers[] = {"http", "timer", "event", "queue", "storage", "orchestration", "others"};
#define DUR_N 7
#define MEM_N 8
static const double dur_p[DUR_N] = {0, 0.01, 0.25, 0.50, 0.75, 0.99, 1};
static const double mem_p[MEM_N] = {0.01, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99, 1};

struct fn {
  const char *name;            /* HashFunction, in the string chunk */
  const char *key_fn, *key_app; /* owner\x1fapp\x1ffunc, owner\x1fapp */
  uint8_t width;               /* bytes per minute count */
  void *counts;                /* minutes [m0, m1) of the window */
  const double *dur, *mem;     /* percentile values in ms / MB; NULL = unknown */
  uint32_t minute;             /* current minute, from m0 */
  struct trace_spreader sp;
};

struct az19 {
  trace_src base;
  struct trace_opts o;
  GStringChunk *strings;
  GArray *fns;             /* struct fn */
  GHashTable *dur, *mem;   /* key -> double[] (owned) */
  uint32_t m0, m1;         /* window in minutes */
  struct trace_heap heap;
  rng *r;
  uint64_t id;
  bool head_failed; /* a header was refused: trace_open fails (a bad row fails trace_next) */
};

static uint64_t count_at(const struct fn *f, uint32_t i) {
  switch (f->width) {
  case 1: return ((const uint8_t *)f->counts)[i];
  case 2: return ((const uint16_t *)f->counts)[i];
  default: return ((const uint32_t *)f->counts)[i];
  }
}

/* f's next arrival, moving through its minutes: true with *t. */
static bool fn_advance(struct az19 *a, struct fn *f, cm_time *t) {
  for (;;) {
    if (trace__spread_next(&f->sp, a->r, t)) return true;
    if (++f->minute >= a->m1) return false;
    trace__spread_begin(&f->sp, a->o.spread, (cm_time)f->minute * MINUTE, MINUTE,
                        count_at(f, f->minute - a->m0));
  }
}

static int check_head_fields(trace_src *s, struct trace_csv *c, const char *const *names, size_t n, bool exact);

static bool set_has(GHashTable *set, const char *name) { return !set || g_hash_table_contains(set, name); }

static int check_head(trace_src *s, struct trace_csv *c, const char *const *names, size_t n, bool exact) {
  ((struct az19 *)s)->head_failed = true;
  int rc = check_head_fields(s, c, names, n, exact);
  if (!rc) ((struct az19 *)s)->head_failed = false;
  return rc;
}

static int check_head_fields(trace_src *s, struct trace_csv *c, const char *const *names, size_t n, bool exact) {
  if (trace__csv_next(c, s) <= 0) return s->failed ? -1 : trace__fail(s, c->path, 1, 1, "expected a header line");
  for (size_t i = 0; i < n; i++)
    if (i >= c->nfields || strcmp(c->field[i], names[i]))
      return trace__csv_fail(s, c, i, "expected the column \"%s\"", names[i]);
  if (exact && c->nfields != n) return trace__csv_fail(s, c, n, "expected %zu columns, found %zu", n, c->nfields);
  return 0;
}

static int check_fields(trace_src *s, struct trace_csv *c, size_t n) {
  if (c->nfields == n) return 0;
  return trace__csv_fail(s, c, c->nfields < n ? c->nfields : n, "expected %zu fields, found %zu", n, c->nfields);
}

/* Fields [first, first + n) as a non-decreasing table of non-negative values. */
static int read_pcts(trace_src *s, struct trace_csv *c, size_t first, size_t n, double *v) {
  for (size_t i = 0; i < n; i++) {
    if (!trace__parse_real(c->field[first + i], 0, 1e12, &v[i]))
      return trace__csv_fail(s, c, first + i, "expected a non-negative number");
    if (i && v[i] < v[i - 1])
      return trace__csv_fail(s, c, first + i, "expected percentiles in non-decreasing order");
  }
  return 0;
}

static int empty_field(trace_src *s, struct trace_csv *c, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!c->field[i][0]) return trace__csv_fail(s, c, i, "expected a non-empty id");
  return 0;
}

static int read_invocations(struct az19 *a, const char *path, GHashTable *want, GHashTable *keys, char **err) {
  struct trace_csv c;
  int rc = trace__csv_open(&c, path, err);
  if (rc) return rc;
  trace_src *s = &a->base;
  rc = -1;
  if (check_head(s, &c, inv_head, 4, false)) goto out;
  size_t nmin = c.nfields - 4;
  a->head_failed = true;
  if (nmin < 1 || nmin > MINUTES_MAX) {
    trace__csv_fail(s, &c, 4, "expected 1 to %d minute columns, found %zu", MINUTES_MAX, nmin);
    goto out;
  }
  for (size_t i = 0; i < nmin; i++) {
    char want_name[16];
    g_snprintf(want_name, sizeof want_name, "%zu", i + 1);
    if (strcmp(c.field[4 + i], want_name)) {
      trace__csv_fail(s, &c, 4 + i, "expected the column \"%s\"", want_name);
      goto out;
    }
  }
  a->head_failed = false;
  if (a->m1 > nmin) a->m1 = (uint32_t)nmin;
  uint32_t span = a->m1 > a->m0 ? a->m1 - a->m0 : 0;
  uint64_t *tmp = g_new(uint64_t, span ? span : 1);
  int r;
  while ((r = trace__csv_next(&c, s)) == 1) {
    if (check_fields(s, &c, 4 + nmin) || empty_field(s, &c, 3)) break;
    size_t t;
    for (t = 0; t < G_N_ELEMENTS(triggers) && strcmp(c.field[3], triggers[t]); t++) {}
    if (t == G_N_ELEMENTS(triggers)) {
      trace__csv_fail(s, &c, 3, "expected a trigger (http, timer, event, queue, storage, orchestration, others)");
      break;
    }
    uint64_t max = 0;
    size_t i;
    for (i = 0; i < nmin; i++) {
      uint64_t v;
      if (!trace__parse_count(c.field[4 + i], TRACE_COUNT_MAX, &v)) {
        trace__csv_fail(s, &c, 4 + i, "expected a count of invocations from 0 to %llu",
                        (unsigned long long)TRACE_COUNT_MAX);
        break;
      }
      if (i >= a->m0 && i < a->m1) {
        tmp[i - a->m0] = v;
        if (v > max) max = v;
      }
    }
    if (i < nmin) break;
    if (!max || !set_has(want, c.field[2])) continue;
    if (a->fns->len >= UINT32_MAX - 1) {
      trace__csv_fail(s, &c, 0, "expected fewer functions");
      break;
    }
    struct fn f = {0};
    f.name = g_string_chunk_insert_const(a->strings, c.field[2]);
    char *k = g_strjoin("\x1f", c.field[0], c.field[1], c.field[2], NULL);
    f.key_fn = g_string_chunk_insert_const(a->strings, k);
    k[strlen(c.field[0]) + 1 + strlen(c.field[1])] = 0;
    f.key_app = g_string_chunk_insert_const(a->strings, k);
    g_free(k);
    g_hash_table_add(keys, (char *)f.key_fn);
    g_hash_table_add(keys, (char *)f.key_app);
    f.width = max <= UINT8_MAX ? 1 : max <= UINT16_MAX ? 2 : 4;
    f.counts = g_malloc((size_t)span * f.width);
    for (uint32_t m = 0; m < span; m++) {
      if (f.width == 1) ((uint8_t *)f.counts)[m] = (uint8_t)tmp[m];
      else if (f.width == 2) ((uint16_t *)f.counts)[m] = (uint16_t)tmp[m];
      else ((uint32_t *)f.counts)[m] = (uint32_t)tmp[m];
    }
    g_array_append_val(a->fns, f);
  }
  g_free(tmp);
  rc = r == 0 ? 0 : -1;
out:
  trace__csv_close(&c);
  return rc;
}

/* The durations (mem false) or memory table, kept for the keys in use. */
static int read_table(struct az19 *a, const char *path, bool mem, GHashTable *keys, char **err) {
  struct trace_csv c;
  int rc = trace__csv_open(&c, path, err);
  if (rc) return rc;
  trace_src *s = &a->base;
  const char *const *head = mem ? mem_head : dur_head;
  size_t nf = mem ? G_N_ELEMENTS(mem_head) : G_N_ELEMENTS(dur_head);
  size_t nid = mem ? 2 : 3, npct = mem ? MEM_N : DUR_N;
  GHashTable *t = mem ? a->mem : a->dur;
  rc = -1;
  if (check_head(s, &c, head, nf, true)) goto out;
  int r;
  while ((r = trace__csv_next(&c, s)) == 1) {
    if (check_fields(s, &c, nf) || empty_field(s, &c, nid)) break;
    double v[DUR_N > MEM_N ? DUR_N : MEM_N], x;
    uint64_t n;
    if (!trace__parse_count(c.field[nid + (mem ? 0 : 1)], UINT64_MAX, &n)) {
      trace__csv_fail(s, &c, nid + (mem ? 0 : 1), "expected a whole number of samples");
      break;
    }
    if (!trace__parse_real(c.field[3], 0, 1e12, &x)) {
      trace__csv_fail(s, &c, 3, "expected a non-negative number");
      break;
    }
    if (!mem) { /* Minimum, Maximum: the release notes they are sometimes not recorded */
      size_t i;
      for (i = 5; i <= 6; i++)
        if (c.field[i][0] && !trace__parse_real(c.field[i], 0, 1e12, &x)) break;
      if (i <= 6) {
        trace__csv_fail(s, &c, i, "expected a non-negative number or nothing");
        break;
      }
    }
    if (read_pcts(s, &c, nf - npct, npct, v)) break;
    char *k = nid == 3 ? g_strjoin("\x1f", c.field[0], c.field[1], c.field[2], NULL)
                       : g_strjoin("\x1f", c.field[0], c.field[1], NULL);
    if (!g_hash_table_contains(keys, k)) {
      g_free(k);
      continue;
    }
    if (g_hash_table_contains(t, k)) {
      g_free(k);
      trace__csv_fail(s, &c, 0, "expected one row per %s; this one repeats", mem ? "app" : "function");
      break;
    }
    g_hash_table_insert(t, k, g_memdup2(v, npct * sizeof(double)));
  }
  rc = r == 0 ? 0 : -1;
out:
  trace__csv_close(&c);
  return rc;
}

static void az19_free(trace_src *s) {
  struct az19 *a = (struct az19 *)s;
  if (a->fns)
    for (guint i = 0; i < a->fns->len; i++) g_free(g_array_index(a->fns, struct fn, i).counts);
  if (a->fns) g_array_free(a->fns, TRUE);
  if (a->dur) g_hash_table_destroy(a->dur);
  if (a->mem) g_hash_table_destroy(a->mem);
  if (a->strings) g_string_chunk_free(a->strings);
  trace__heap_free(&a->heap);
  if (a->r) rng_free(a->r);
  g_free(a);
}

#define INV_PREFIX "invocations_per_function_md.anon."
#define DUR_PREFIX "function_durations_percentiles.anon."
#define MEM_PREFIX "app_memory_percentiles.anon."

/* The day's three files from path (a folder, or the invocations file whose
 * siblings of the same day are used when present). */
static int find_files(const char *path, char **inv, char **dur, char **mem, char **err) {
  *inv = *dur = *mem = NULL;
  if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
    *inv = g_strdup(path);
    char *dir = g_path_get_dirname(path), *base = g_path_get_basename(path);
    if (g_str_has_prefix(base, INV_PREFIX)) {
      const char *day = base + strlen(INV_PREFIX);
      char *d = g_strconcat(DUR_PREFIX, day, NULL), *m = g_strconcat(MEM_PREFIX, day, NULL);
      *dur = g_build_filename(dir, d, NULL);
      *mem = g_build_filename(dir, m, NULL);
      g_free(d);
      g_free(m);
      if (!g_file_test(*dur, G_FILE_TEST_IS_REGULAR)) g_clear_pointer(dur, g_free);
      if (!g_file_test(*mem, G_FILE_TEST_IS_REGULAR)) g_clear_pointer(mem, g_free);
    }
    g_free(dir);
    g_free(base);
    return 0;
  }
  GDir *d = g_dir_open(path, 0, NULL);
  if (!d) {
    *err = g_strdup_printf("%s: cannot read the folder", path);
    return CM_EIO;
  }
  const char *e;
  int ninv = 0, ndur = 0, nmem = 0;
  while ((e = g_dir_read_name(d))) {
    char **slot = g_str_has_prefix(e, INV_PREFIX) ? inv : g_str_has_prefix(e, DUR_PREFIX) ? dur
                  : g_str_has_prefix(e, MEM_PREFIX) ? mem : NULL;
    if (!slot) continue;
    int *n = slot == inv ? &ninv : slot == dur ? &ndur : &nmem;
    ++*n;
    g_free(*slot);
    *slot = g_build_filename(path, e, NULL);
  }
  g_dir_close(d);
  if (ninv != 1 || ndur > 1 || nmem > 1) {
    *err = g_strdup_printf("%s: expected one day: one %s*.csv (found %d), at most one %s*.csv (%d) and %s*.csv (%d); "
                           "give the invocations file of the day to read", path, INV_PREFIX, ninv, DUR_PREFIX, ndur,
                           MEM_PREFIX, nmem);
    g_clear_pointer(inv, g_free);
    g_clear_pointer(dur, g_free);
    g_clear_pointer(mem, g_free);
    return CM_ENOENT;
  }
  return 0;
}

static trace_src *az19_open(const char *path, const struct trace_opts *o, char **err);

static int az19_next(trace_src *s, struct trace_inv *out) {
  struct az19 *a = (struct az19 *)s;
  cm_time t, end = a->o.length ? cm_time_add_sat(a->o.start, a->o.length) : CM_TIME_MAX;
  uint32_t i;
  while (trace__heap_pop(&a->heap, &t, &i)) {
    struct fn *f = &g_array_index(a->fns, struct fn, i);
    cm_time nt;
    if (fn_advance(a, f, &nt)) trace__heap_push(&a->heap, nt, i);
    if (t < a->o.start || t >= end) continue;
    memset(out, 0, sizeof *out);
    out->id = ++a->id;
    out->t = t;
    out->function = f->name;
    out->fn = i;
    if (f->dur) out->duration = cm_time_from_s(trace__pct_draw(dur_p, f->dur, DUR_N, rng_uniform(a->r)) / 1e3);
    if (f->mem) out->memory_mb = trace__pct_draw(mem_p, f->mem, MEM_N, rng_uniform(a->r));
    out->latency = -1;
    return 1;
  }
  return 0;
}

static bool az19_sniff(const char *path, const char *head, size_t n) {
  static const char sig[] = "HashOwner,HashApp,HashFunction,Trigger,";
  if (n >= sizeof sig - 1 && !memcmp(head, sig, sizeof sig - 1)) return true;
  if (!g_file_test(path, G_FILE_TEST_IS_DIR)) return false;
  char *inv, *dur, *mem, *err = NULL;
  bool ok = find_files(path, &inv, &dur, &mem, &err) == 0;
  g_free(inv);
  g_free(dur);
  g_free(mem);
  g_free(err);
  return ok;
}

const struct trace_src_ops trace__azure2019_ops = {"azure2019", az19_sniff, az19_open, az19_next, az19_free};

static trace_src *az19_open(const char *path, const struct trace_opts *o, char **err) {
  if (o->start < 0 || o->length < 0) {
    *err = g_strdup_printf("%s: expected a window with start and length >= 0", path);
    return NULL;
  }
  char *inv, *dur, *mem;
  if (find_files(path, &inv, &dur, &mem, err)) return NULL;
  struct az19 *a = g_new0(struct az19, 1);
  a->base.ops = &trace__azure2019_ops;
  a->o = *o;
  a->o.functions = NULL;
  a->strings = g_string_chunk_new(4096);
  a->fns = g_array_new(FALSE, FALSE, sizeof(struct fn));
  a->dur = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  a->mem = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  a->r = rng_new(o->seed, "trace");
  a->m0 = (uint32_t)(o->start / MINUTE < MINUTES_MAX ? o->start / MINUTE : MINUTES_MAX);
  cm_time end = o->length ? cm_time_add_sat(o->start, o->length) : CM_TIME_MAX;
  a->m1 = (uint32_t)(end / MINUTE + (end % MINUTE != 0) < MINUTES_MAX ? end / MINUTE + (end % MINUTE != 0) : MINUTES_MAX);
  GHashTable *want = NULL, *keys = g_hash_table_new(g_str_hash, g_str_equal);
  want = trace__names_new(o->functions);
  int rc = read_invocations(a, inv, want, keys, err);
  if (!rc && dur) rc = read_table(a, dur, false, keys, err);
  if (!rc && mem) rc = read_table(a, mem, true, keys, err);
  if (want) g_hash_table_destroy(want);
  g_hash_table_destroy(keys);
  g_free(inv);
  g_free(dur);
  g_free(mem);
  if (rc && !a->head_failed && a->base.failed) rc = 0; /* a bad row: the source fails at trace_next */
  if (rc) {
    if (a->base.err) *err = a->base.err;
    a->base.err = NULL;
    az19_free(&a->base);
    return NULL;
  }
  for (guint i = 0; i < a->fns->len; i++) {
    struct fn *f = &g_array_index(a->fns, struct fn, i);
    f->dur = g_hash_table_lookup(a->dur, f->key_fn);
    f->mem = g_hash_table_lookup(a->mem, f->key_app);
    f->minute = a->m0;
    trace__spread_begin(&f->sp, o->spread, (cm_time)a->m0 * MINUTE, MINUTE, count_at(f, 0));
    cm_time t;
    if (fn_advance(a, f, &t)) trace__heap_push(&a->heap, t, i);
  }
  return &a->base;
}
