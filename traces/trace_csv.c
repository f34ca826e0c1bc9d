/* The plain-CSV reader and number parsers of the public traces' importers
 * (trace_csv.h): bounded lines split in place, each field's column kept. */
#include "trace_csv.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int trace__csv_open(struct trace_csv *c, const char *path, char **err) {
  memset(c, 0, sizeof *c);
  c->f = fopen(path, "rb");
  if (!c->f) {
    *err = g_strdup_printf("%s: cannot open: %s", path, g_strerror(errno));
    return CM_EIO;
  }
  c->path = g_strdup(path);
  return 0;
}

void trace__csv_close(struct trace_csv *c) {
  if (c->f) fclose(c->f);
  g_free(c->path);
  g_free(c->buf);
  g_free(c->field);
  g_free(c->col);
  memset(c, 0, sizeof *c);
}

/* One raw line into c->buf (without its "\n" or "\r\n"): its length, or -1
 * at the end of the file, -2 too long, -3 a NUL byte (at *bad). */
static long line_read(struct trace_csv *c, size_t *bad) {
  size_t n = 0;
  int ch = getc_unlocked(c->f);
  if (ch == EOF) return -1;
  while (ch != EOF && ch != '\n') {
    if (ch == 0) {
      *bad = n;
      return -3;
    }
    if (n + 1 >= c->cap) {
      if (c->cap >= TRACE_CSV_LINE_MAX) return -2;
      c->cap = c->cap ? c->cap * 2 : 4096;
      if (c->cap > TRACE_CSV_LINE_MAX) c->cap = TRACE_CSV_LINE_MAX;
      c->buf = g_realloc(c->buf, c->cap);
    }
    c->buf[n++] = (char)ch;
    ch = getc_unlocked(c->f);
  }
  if (n && c->buf[n - 1] == '\r') n--;
  if (!c->buf) c->buf = g_malloc(c->cap = 4096);
  c->buf[n] = 0;
  return (long)n;
}

int trace__csv_next(struct trace_csv *c, trace_src *s) {
  for (;;) {
    size_t bad = 0;
    c->line++;
    long n = line_read(c, &bad);
    if (n == -1) return 0;
    if (n == -2)
      return trace__fail(s, c->path, c->line, TRACE_CSV_LINE_MAX, "expected a line of at most %u bytes",
                         TRACE_CSV_LINE_MAX);
    if (n == -3) return trace__fail(s, c->path, c->line, bad + 1, "expected text, not a NUL byte");
    if (n == 0) continue;
    c->nfields = 0;
    c->eol_col = (uint64_t)n + 1;
    char *p = c->buf;
    for (;;) {
      if (c->nfields == TRACE_CSV_FIELDS_MAX)
        return trace__fail(s, c->path, c->line, (uint64_t)(p - c->buf) + 1, "expected at most %u fields",
                           TRACE_CSV_FIELDS_MAX);
      if (c->nfields == c->fcap) {
        c->fcap = c->fcap ? c->fcap * 2 : 64;
        c->field = g_renew(char *, c->field, c->fcap);
        c->col = g_renew(uint32_t, c->col, c->fcap);
      }
      c->field[c->nfields] = p;
      c->col[c->nfields++] = (uint32_t)(p - c->buf) + 1;
      char *comma = strchr(p, ',');
      if (!comma) break;
      *comma = 0;
      p = comma + 1;
    }
    return 1;
  }
}

int trace__csv_fail(trace_src *s, const struct trace_csv *c, size_t i, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *what = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  uint64_t col = i < c->nfields ? c->col[i] : c->eol_col;
  int rc = trace__fail(s, c->path, c->line, col, "%s", what);
  g_free(what);
  return rc;
}

bool trace__parse_count(const char *s, uint64_t max, uint64_t *out) {
  uint64_t v = 0;
  const char *p = s;
  if (*p < '0' || *p > '9') return false;
  for (; *p >= '0' && *p <= '9'; p++) {
    uint64_t d = (uint64_t)(*p - '0');
    if (d > max || v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  if (*p == '.') {
    p++;
    if (*p != '0') return false;
    while (*p == '0') p++;
  }
  if (*p) return false;
  *out = v;
  return true;
}

bool trace__parse_real(const char *s, double lo, double hi, double *out) {
  /* digits, one optional '.', optional exponent: no hex, inf or nan */
  const char *p = s;
  if (*p == '-' || *p == '+') p++;
  if (!((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9'))) return false;
  for (const char *q = p; *q; q++)
    if (!strchr("0123456789.eE+-", *q)) return false;
  char *end;
  double v = g_ascii_strtod(s, &end);
  if (*end || !isfinite(v) || v < lo || v > hi) return false;
  *out = v;
  return true;
}

GHashTable *trace__names_new(const char *list) {
  if (!list) return NULL;
  GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  char **v = g_strsplit(list, ",", -1);
  for (char **p = v; *p; p++) {
    g_strstrip(*p);
    if (**p) g_hash_table_add(set, g_strdup(*p));
  }
  g_strfreev(v);
  return set;
}
