/* Our own trace format ("cloudmix", traces/README.md): a CSV file with a
 * versioned first line and a column line, one row per invocation, rows in
 * any order (a recorder writes them as calls end). The reader loads every
 * row, checks each field, and sorts them by (arrival, id) before serving
 * them, so a replay sees arrivals in order. Memory grows with the file
 * (unlike the public traces' importers, which stream). */
#include "trace_impl.h"
#include "trace_write.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct row {
  struct trace_inv inv; /* strings point into the source's chunk */
  uint64_t line;
};

struct cm_src {
  struct trace_src base;
  GStringChunk *strings;
  GHashTable *fns; /* function name (in strings) -> its number + 1, at load */
  GArray *rows; /* struct row, sorted */
  guint next;
};

bool trace__cm_name_ok(const char *s, size_t max) {
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n > max) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c <= ' ' || c == ',' || c == '"' || c == '#' || c == 0x7f) return false;
  }
  return true;
}

static bool sniff(const char *path CM_UNUSED, const char *head, size_t n) {
  size_t k = strlen(TRACE_CM_MAGIC);
  return n >= k && memcmp(head, TRACE_CM_MAGIC, k) == 0;
}

/* An unsigned decimal of digits only, at most max. */
static bool parse_u64(const char *s, uint64_t max, uint64_t *out) {
  if (!*s) return false;
  uint64_t v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return false;
    uint64_t d = (uint64_t)(*s - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

static bool parse_mb(const char *s, double *out) {
  if (!*s || *s == '-' || *s == '+' || *s == ' ') return false;
  char *end = NULL;
  errno = 0;
  double v = g_ascii_strtod(s, &end);
  if (errno || *end || !isfinite(v) || v < 0) return false;
  *out = v;
  return true;
}

/* "completed", "cached", "failed:REASON" or "dropped:REASON", REASON of [a-z0-9_]. */
bool trace__cm_outcome_ok(const char *s) {
  if (!strcmp(s, "completed") || !strcmp(s, "cached")) return true;
  const char *r = g_str_has_prefix(s, "failed:") ? s + 7 : g_str_has_prefix(s, "dropped:") ? s + 8 : NULL;
  if (!r || !*r || strlen(r) > 64) return false;
  for (; *r; r++)
    if (!g_ascii_islower(*r) && !g_ascii_isdigit(*r) && *r != '_') return false;
  return true;
}

static int cmp_rows(const void *a, const void *b) {
  const struct trace_inv *x = &((const struct row *)a)->inv, *y = &((const struct row *)b)->inv;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

static bool wanted(const struct trace_opts *o, const struct trace_inv *v) {
  if (v->t < o->start) return false;
  if (o->length > 0 && v->t - o->start >= o->length) return false;
  if (!o->functions) return true;
  for (const char *p = o->functions; *p;) {
    const char *q = strchr(p, ',');
    size_t n = q ? (size_t)(q - p) : strlen(p);
    if (n == strlen(v->function) && !strncmp(p, v->function, n)) return true;
    if (!q) break;
    p = q + 1;
  }
  return false;
}

/* One data row (NUL-terminated, no line end) into *v; -1 after failing s. */
static int parse_row(struct cm_src *s, const char *path, uint64_t ln, char *line, struct trace_inv *v) {
  char *f[TRACE_CM_NCOLS];
  size_t col[TRACE_CM_NCOLS];
  size_t n = 0, len = strlen(line);
  char *p = line;
  for (;;) {
    if (n == TRACE_CM_NCOLS)
      return trace__fail(&s->base, path, ln, (uint64_t)(p - line) + 1, "expected %d fields, found more",
                         TRACE_CM_NCOLS);
    f[n] = p;
    col[n] = (size_t)(p - line) + 1;
    n++;
    char *c = strchr(p, ',');
    if (!c) break;
    *c = 0;
    p = c + 1;
  }
  if (n < TRACE_CM_NCOLS)
    return trace__fail(&s->base, path, ln, (uint64_t)len + 1, "expected %d fields, found %zu (missing %s)",
                       TRACE_CM_NCOLS, n, trace_cm_columns[n]);
  uint64_t u;
  *v = (struct trace_inv){.latency = -1};
  if (!parse_u64(f[0], UINT64_MAX, &v->id) || v->id == 0)
    return trace__fail(&s->base, path, ln, col[0], "expected id: an integer >= 1, found '%s'", f[0]);
  if (!parse_u64(f[1], (uint64_t)CM_TIME_MAX, &u))
    return trace__fail(&s->base, path, ln, col[1], "expected arrival_ns: an integer >= 0, found '%s'", f[1]);
  v->t = (cm_time)u;
  if (!trace__cm_name_ok(f[2], TRACE_CM_NAME_MAX))
    return trace__fail(&s->base, path, ln, col[2],
                       "expected function: a name of 1 to %d bytes without spaces, commas, quotes or '#', found '%s'",
                       TRACE_CM_NAME_MAX, f[2]);
  v->function = f[2];
  if (!parse_u64(f[3], SIZE_MAX, &v->request_bytes))
    return trace__fail(&s->base, path, ln, col[3], "expected request_bytes: an integer >= 0, found '%s'", f[3]);
  if (!parse_u64(f[4], SIZE_MAX, &v->response_bytes))
    return trace__fail(&s->base, path, ln, col[4], "expected response_bytes: an integer >= 0, found '%s'", f[4]);
  if (!parse_u64(f[5], (uint64_t)CM_TIME_MAX, &u))
    return trace__fail(&s->base, path, ln, col[5], "expected exec_ns: an integer >= 0 (0 = unknown), found '%s'", f[5]);
  v->duration = (cm_time)u;
  if (!parse_mb(f[6], &v->memory_mb))
    return trace__fail(&s->base, path, ln, col[6], "expected memory_mb: a number >= 0 (0 = unknown), found '%s'", f[6]);
  if (!trace__cm_outcome_ok(f[7]))
    return trace__fail(&s->base, path, ln, col[7],
                       "expected outcome: completed, cached, failed:REASON or dropped:REASON (REASON of a-z, 0-9, _), "
                       "found '%s'", f[7]);
  v->outcome = f[7];
  if (*f[8] && !trace__cm_name_ok(f[8], TRACE_CM_NAME_MAX))
    return trace__fail(&s->base, path, ln, col[8], "expected provider: empty or a name without spaces, commas or "
                                                   "quotes, found '%s'", f[8]);
  v->provider = *f[8] ? f[8] : NULL;
  if (!parse_u64(f[9], (uint64_t)CM_TIME_MAX, &u))
    return trace__fail(&s->base, path, ln, col[9], "expected latency_ns: an integer >= 0, found '%s'", f[9]);
  v->latency = (cm_time)u;
  return 0;
}

/* Reads and checks the whole file; 0, or -1 after failing s. */
static int load(struct cm_src *s, const char *path, FILE *f, const struct trace_opts *o) {
  GString *line = g_string_new(NULL);
  GHashTable *ids = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  uint64_t ln = 0;
  int rc = 0, ch = 0;
  while (rc == 0 && ch != EOF) {
    g_string_truncate(line, 0);
    while ((ch = fgetc(f)) != EOF && ch != '\n') g_string_append_c(line, (char)ch);
    if (ch == EOF && line->len == 0) break;
    ln++;
    if (line->len && line->str[line->len - 1] == '\r') g_string_truncate(line, line->len - 1);
    if (memchr(line->str, 0, line->len)) {
      rc = trace__fail(&s->base, path, ln, (uint64_t)(strlen(line->str) + 1), "expected text, found a NUL byte");
      break;
    }
    if (ln == 1) {
      uint64_t ver = 0;
      const char *m = TRACE_CM_MAGIC;
      if (!g_str_has_prefix(line->str, m) || !parse_u64(line->str + strlen(m), 1000000, &ver))
        rc = trace__fail(&s->base, path, 1, 1, "expected the header '%s%d'", m, TRACE_CM_VERSION);
      else if (ver != TRACE_CM_VERSION)
        rc = trace__fail(&s->base, path, 1, strlen(m) + 1, "expected version %d, found %llu (a newer cloudmix wrote "
                         "this trace?)", TRACE_CM_VERSION, (unsigned long long)ver);
      continue;
    }
    if (ln == 2) {
      if (strcmp(line->str, trace_cm_header) != 0) rc = trace__fail(&s->base, path, 2, 1, "expected the column line '%s'", trace_cm_header);
      continue;
    }
    if (line->len == 0 || line->str[0] == '#') continue;
    struct row r = {.line = ln};
    if ((rc = parse_row(s, path, ln, line->str, &r.inv)) != 0) break;
    uint64_t *first = g_hash_table_lookup(ids, &r.inv.id);
    if (first) {
      rc = trace__fail(&s->base, path, ln, 1, "expected a new id, found %llu again (first on line %llu)",
                       (unsigned long long)r.inv.id, (unsigned long long)first[1]);
      break;
    }
    uint64_t *k = g_new(uint64_t, 2);
    k[0] = r.inv.id;
    k[1] = ln;
    g_hash_table_add(ids, k);
    if (!wanted(o, &r.inv)) continue;
    r.inv.function = g_string_chunk_insert_const(s->strings, r.inv.function);
    uintptr_t fn = (uintptr_t)g_hash_table_lookup(s->fns, r.inv.function);
    if (!fn) g_hash_table_insert(s->fns, (char *)r.inv.function, (void *)(fn = g_hash_table_size(s->fns) + 1));
    r.inv.fn = (uint32_t)(fn - 1);
    r.inv.outcome = g_string_chunk_insert_const(s->strings, r.inv.outcome);
    if (r.inv.provider) r.inv.provider = g_string_chunk_insert_const(s->strings, r.inv.provider);
    g_array_append_val(s->rows, r);
  }
  if (rc == 0 && ferror(f)) rc = trace__fail(&s->base, path, ln + 1, 1, "expected a readable file: %s", g_strerror(errno));
  if (rc == 0 && ln < 2)
    rc = trace__fail(&s->base, path, ln + 1, 1, "expected %s", ln == 0 ? "the header line" : "the column line");
  g_string_free(line, TRUE);
  g_hash_table_destroy(ids);
  if (rc == 0) qsort(s->rows->data, s->rows->len, sizeof(struct row), cmp_rows);
  return rc;
}

static void cm_free(trace_src *base) {
  struct cm_src *s = (struct cm_src *)base;
  g_string_chunk_free(s->strings);
  if (s->fns) g_hash_table_destroy(s->fns);
  g_array_free(s->rows, TRUE);
  g_free(s);
}

static trace_src *cm_open(const char *path, const struct trace_opts *o, char **err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    *err = g_strdup_printf("%s: cannot open: %s", path, g_strerror(errno));
    return NULL;
  }
  struct cm_src *s = g_new0(struct cm_src, 1);
  s->base.ops = &trace_cm_ops;
  s->strings = g_string_chunk_new(4096);
  s->fns = g_hash_table_new(g_direct_hash, g_direct_equal); /* names are interned: one pointer each */
  s->rows = g_array_new(FALSE, FALSE, sizeof(struct row));
  int rc = load(s, path, f, o);
  fclose(f);
  if (rc != 0) {
    *err = g_strdup(trace_error(&s->base));
    g_free(s->base.err);
    cm_free(&s->base);
    return NULL;
  }
  return &s->base;
}

static int cm_next(trace_src *base, struct trace_inv *out) {
  struct cm_src *s = (struct cm_src *)base;
  if (s->next >= s->rows->len) return 0;
  *out = g_array_index(s->rows, struct row, s->next++).inv;
  return 1;
}

const struct trace_src_ops trace_cm_ops = {
    .name = "cloudmix", .sniff = sniff, .open = cm_open, .next = cm_next, .free = cm_free};

const char *const trace_cm_columns[TRACE_CM_NCOLS] = {"id", "arrival_ns", "function", "request_bytes",
                                                       "response_bytes", "exec_ns", "memory_mb", "outcome",
                                                       "provider", "latency_ns"};
const char trace_cm_header[] =
    "id,arrival_ns,function,request_bytes,response_bytes,exec_ns,memory_mb,outcome,provider,latency_ns";
