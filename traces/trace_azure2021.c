/* Importer of the Azure Functions invocation trace 2021 (Zhang et al.,
 * "Faster and Cheaper Serverless Computing on Harvested Resources",
 * SOSP'21; schema from the release's description, AzurePublicDataset's
 * AzureFunctionsInvocationTrace2021.md, revision 1): one CSV row per
 * invocation, header app,func,end_timestamp,duration, times in seconds
 * (two weeks, about 2 M rows). A function id is unique only within its app,
 * so the function emitted is "APP/FUNC".
 *
 * Method: the arrival is end_timestamp - duration; rows come ordered by
 * end time, not arrival, so every row is loaded (24 bytes each, function
 * names interned: about 50 MB for the whole trace) and sorted by arrival,
 * ties in file order. The trace's clock starts at 0 of end_timestamp, or
 * at the earliest arrival when that is earlier (an invocation that ended
 * at 3 s after running 5 s arrived at -2 s). */
#include "trace_csv.h"

#include <stdlib.h>
#include <string.h>

/* Most rows loaded (24 bytes each: 400 MB at most). */
#define ROWS_MAX (16u << 20)
/* Largest time or duration accepted, in seconds (int64 ns holds 292 years). */
#define SECONDS_MAX 1e9

struct rec {
  cm_time t, duration;
  uint32_t fn, row;
};

struct az21 {
  trace_src base;
  struct trace_opts o;
  GArray *recs; /* struct rec, sorted */
  GPtrArray *names;
  size_t next;
  uint64_t id;
};

static const char *const head[] = {"app", "func", "end_timestamp", "duration"};

static int rec_cmp(const void *a, const void *b) {
  const struct rec *x = a, *y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  return x->row < y->row ? -1 : x->row > y->row;
}

static void az21_free(trace_src *s) {
  struct az21 *a = (struct az21 *)s;
  if (a->recs) g_array_free(a->recs, TRUE);
  if (a->names) g_ptr_array_free(a->names, TRUE);
  g_free(a);
}

/* 0, or -1 after trace__fail (*head_bad when the header was refused). */
static int load(struct az21 *a, struct trace_csv *c, bool *head_bad) {
  trace_src *s = &a->base;
  *head_bad = true;
  if (trace__csv_next(c, s) <= 0) return s->failed ? -1 : trace__fail(s, c->path, 1, 1, "expected a header line");
  for (size_t i = 0; i < G_N_ELEMENTS(head); i++)
    if (i >= c->nfields || strcmp(c->field[i], head[i]))
      return trace__csv_fail(s, c, i, "expected the column \"%s\"", head[i]);
  if (c->nfields != G_N_ELEMENTS(head)) return trace__csv_fail(s, c, 4, "expected 4 columns, found %zu", c->nfields);
  *head_bad = false;
  GHashTable *want = trace__names_new(a->o.functions);
  GHashTable *ids = g_hash_table_new(g_str_hash, g_str_equal); /* name (in names) -> index + 1 */
  GString *name = g_string_new(NULL);
  int r, rc = -1;
  cm_time origin = 0;
  while ((r = trace__csv_next(c, s)) == 1) {
    if (c->nfields != 4) {
      trace__csv_fail(s, c, c->nfields < 4 ? c->nfields : 4, "expected 4 fields, found %zu", c->nfields);
      break;
    }
    if (!c->field[0][0] || !c->field[1][0]) {
      trace__csv_fail(s, c, c->field[0][0] ? 1 : 0, "expected a non-empty id");
      break;
    }
    double end, dur;
    if (!trace__parse_real(c->field[2], 0, SECONDS_MAX, &end)) {
      trace__csv_fail(s, c, 2, "expected an end time in seconds from 0 to %g", SECONDS_MAX);
      break;
    }
    if (!trace__parse_real(c->field[3], 0, SECONDS_MAX, &dur)) {
      trace__csv_fail(s, c, 3, "expected a duration in seconds from 0 to %g", SECONDS_MAX);
      break;
    }
    cm_time t = cm_time_from_s(end) - cm_time_from_s(dur);
    if (t < origin) origin = t; /* over every row, so the clock does not depend on the filter */
    g_string_printf(name, "%s/%s", c->field[0], c->field[1]);
    if (want && !g_hash_table_contains(want, name->str)) continue;
    if (a->recs->len >= ROWS_MAX) {
      trace__csv_fail(s, c, 0, "expected at most %u invocations", ROWS_MAX);
      break;
    }
    uintptr_t id = (uintptr_t)g_hash_table_lookup(ids, name->str);
    if (!id) {
      char *n = g_strdup(name->str);
      g_ptr_array_add(a->names, n);
      id = a->names->len;
      g_hash_table_insert(ids, n, (void *)id);
    }
    struct rec rec = {t, cm_time_from_s(dur), (uint32_t)(id - 1), a->recs->len};
    g_array_append_val(a->recs, rec);
  }
  if (r == 0) {
    rc = 0;
    if (a->recs->len > 1) qsort(a->recs->data, a->recs->len, sizeof(struct rec), rec_cmp);
    for (guint i = 0; i < a->recs->len; i++) g_array_index(a->recs, struct rec, i).t -= origin;
  }
  g_string_free(name, TRUE);
  g_hash_table_destroy(ids);
  if (want) g_hash_table_destroy(want);
  return rc;
}

static trace_src *az21_open(const char *path, const struct trace_opts *o, char **err);

static int az21_next(trace_src *s, struct trace_inv *out) {
  struct az21 *a = (struct az21 *)s;
  cm_time end = a->o.length ? cm_time_add_sat(a->o.start, a->o.length) : CM_TIME_MAX;
  while (a->next < a->recs->len) {
    const struct rec *r = &g_array_index(a->recs, struct rec, a->next++);
    if (r->t < a->o.start) continue;
    if (r->t >= end) break;
    memset(out, 0, sizeof *out);
    out->id = ++a->id;
    out->t = r->t;
    out->function = g_ptr_array_index(a->names, r->fn);
    out->fn = r->fn;
    out->duration = r->duration;
    out->latency = -1;
    return 1;
  }
  a->next = a->recs->len;
  return 0;
}

static bool az21_sniff(const char *path, const char *h, size_t n) {
  static const char sig[] = "app,func,end_timestamp,duration";
  (void)path;
  return n >= sizeof sig - 1 && !memcmp(h, sig, sizeof sig - 1) &&
         (n == sizeof sig - 1 || h[sizeof sig - 1] == '\n' || h[sizeof sig - 1] == '\r');
}

const struct trace_src_ops trace__azure2021_ops = {"azure2021", az21_sniff, az21_open, az21_next, az21_free};

static trace_src *az21_open(const char *path, const struct trace_opts *o, char **err) {
  if (o->start < 0 || o->length < 0) {
    *err = g_strdup_printf("%s: expected a window with start and length >= 0", path);
    return NULL;
  }
  struct trace_csv c;
  if (trace__csv_open(&c, path, err)) return NULL;
  struct az21 *a = g_new0(struct az21, 1);
  a->base.ops = &trace__azure2021_ops;
  a->o = *o;
  a->recs = g_array_new(FALSE, FALSE, sizeof(struct rec));
  a->names = g_ptr_array_new_with_free_func(g_free);
  bool head_bad;
  int rc = load(a, &c, &head_bad);
  trace__csv_close(&c);
  a->o.functions = NULL;
  if (rc && head_bad) {
    *err = a->base.err;
    a->base.err = NULL;
    az21_free(&a->base);
    return NULL;
  }
  return &a->base; /* a bad row: failed, trace_next says where */
}
