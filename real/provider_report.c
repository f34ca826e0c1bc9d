/* The two response parsers the adapters share, both bounded by len and
 * distrustful: the handler's self-report (a strict scanner for the known
 * keys of one flat JSON object, not a JSON parser: other values are skipped,
 * nesting is bounded) and the REPORT line of a Lambda log tail. Every value
 * is range-checked before it is used; a bad one is dropped and flagged. */
#include "provider.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

/* Bounds on values a platform or the handler may report. */
#define REPORT_MS_MAX 1e10  /* 115 days; Lambda stops at 15 minutes */
#define REPORT_MB_MAX 1e7   /* 10 TB */
#define SKIP_DEPTH_MAX 64   /* nesting of a skipped value */

struct scan {
  const uint8_t *p, *end;
};

static void ws(struct scan *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static bool lit(struct scan *s, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n)) return false;
  s->p += n;
  return true;
}

/* A JSON string at s->p: [*b, *b + *n) its raw inside (escapes kept). */
static bool str(struct scan *s, const uint8_t **b, size_t *n) {
  if (!lit(s, "\"")) return false;
  const uint8_t *start = s->p;
  while (s->p < s->end && *s->p != '"') {
    if (*s->p < 0x20) return false;
    if (*s->p == '\\') {
      if (++s->p >= s->end || !strchr("\"\\/bfnrtu", *s->p) || !*s->p) return false;
      if (*s->p == 'u') {
        if (s->end - s->p < 5) return false;
        for (int i = 1; i <= 4; i++)
          if (!g_ascii_isxdigit(s->p[i])) return false;
        s->p += 4;
      }
    }
    s->p++;
  }
  if (s->p >= s->end) return false;
  *b = start;
  *n = (size_t)(s->p - start);
  s->p++;
  return true;
}

static size_t digits(struct scan *s) {
  const uint8_t *d = s->p;
  while (s->p < s->end && g_ascii_isdigit(*s->p)) s->p++;
  return (size_t)(s->p - d);
}

/* A JSON number, by its grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool num(struct scan *s, double *v) {
  const uint8_t *start = s->p;
  char buf[64];
  lit(s, "-");
  const uint8_t *ip = s->p;
  size_t nd = digits(s);
  if (!nd || (nd > 1 && *ip == '0')) return false;
  if (lit(s, ".") && !digits(s)) return false;
  if (lit(s, "e") || lit(s, "E")) {
    if (!lit(s, "+")) lit(s, "-");
    if (!digits(s)) return false;
  }
  size_t n = (size_t)(s->p - start);
  if (n >= sizeof buf) return false;
  memcpy(buf, start, n);
  buf[n] = '\0';
  *v = g_ascii_strtod(buf, NULL);
  return isfinite(*v);
}

/* Any value: a string, a number, a literal, or an object or array skipped
 * bracket by bracket (strings inside honoured, depth bounded). */
static bool skip_value(struct scan *s) {
  const uint8_t *b;
  size_t n;
  double d;
  if (s->p >= s->end) return false;
  if (*s->p == '"') return str(s, &b, &n);
  if (lit(s, "true") || lit(s, "false") || lit(s, "null")) return true;
  if (*s->p != '{' && *s->p != '[') return num(s, &d);
  int depth = 0;
  while (s->p < s->end) {
    uint8_t c = *s->p;
    if (c == '"') {
      if (!str(s, &b, &n)) return false;
      continue;
    }
    if (c == '{' || c == '[') {
      if (++depth > SKIP_DEPTH_MAX) return false;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) {
        s->p++;
        return true;
      }
    }
    s->p++;
  }
  return false;
}

enum { F_CM, F_EXEC, F_INIT, F_COLD, F_PEAK, F_MEAN, F_SAMPLES, F_N };
static const char *const fields[F_N] = {"cloudmix",    "exec_ms",     "init_ms",    "cold",
                                        "mem_peak_mb", "mem_mean_mb", "mem_samples"};

/* One known field's value at s->p into r; false if malformed or out of
 * range (s->p then anywhere). */
static bool field(struct scan *s, int f, struct invoke_result *r) {
  double v = 0;
  if (f == F_COLD) {
    bool t = lit(s, "true");
    if (!t && !lit(s, "false")) return false;
    r->cold_start = t;
    return true;
  }
  if (!num(s, &v) || v < 0) return false;
  switch (f) {
  case F_CM: return v == 1;
  case F_EXEC:
  case F_INIT:
    if (v > REPORT_MS_MAX) return false;
    *(f == F_EXEC ? &r->exec_time : &r->init_time) = cm_time_from_s(v / 1e3);
    return true;
  case F_PEAK:
  case F_MEAN:
    if (v > REPORT_MB_MAX) return false;
    *(f == F_PEAK ? &r->mem_peak_mb : &r->mem_mean_mb) = v;
    return true;
  default: /* F_SAMPLES */
    if (v > UINT32_MAX || v != floor(v)) return false;
    r->mem_samples = (uint32_t)v;
    return true;
  }
}

/* A report is an object with "cloudmix":1 and at least one field beyond
 * it. Fields read before a break in the structure (a truncated body) are
 * kept; each bad value is dropped; either sets *malformed. Last key wins. */
bool provider__self_report(const uint8_t *body, size_t len, struct invoke_result *out, bool *malformed) {
  if (!body || !len) return false; /* before body + len: NULL + 0 is undefined */
  struct scan s = {body, body + len};
  struct invoke_result r = *out;
  unsigned seen = 0;
  bool bad = false, done = false;
  ws(&s);
  if (!lit(&s, "{")) return false;
  ws(&s);
  done = lit(&s, "}");
  while (!done) {
    const uint8_t *k;
    size_t kn;
    ws(&s);
    if (!str(&s, &k, &kn)) break;
    ws(&s);
    if (!lit(&s, ":")) break;
    ws(&s);
    int f = 0;
    while (f < F_N && (strlen(fields[f]) != kn || memcmp(fields[f], k, kn))) f++;
    const uint8_t *v = s.p;
    struct invoke_result t = r;
    bool got = f < F_N && field(&s, f, &t);
    ws(&s);
    if (got && s.p < s.end && (*s.p == ',' || *s.p == '}')) { /* whole: not cut short */
      r = t;
      seen |= 1u << f;
    } else {
      if (f < F_N) { /* a known key with a bad or unfinished value: drop it, skip it */
        bad = true;
        s.p = v;
      }
      if (!skip_value(&s)) break;
      ws(&s);
    }
    if (lit(&s, "}")) done = true;
    else if (!lit(&s, ",")) break;
  }
  bool is_report = (seen & (1u << F_CM)) && (seen & ~(1u << F_CM));
  if ((seen & (1u << F_CM)) && (bad || !done) && malformed) *malformed = true;
  if (!is_report) return false;
  *out = r;
  return true;
}

/* ---- Lambda REPORT ---- */

static bool blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* "REPORT RequestId: <id>" then "Label: <number> <unit>" fields separated
 * by tabs or spaces (docs.aws.amazon.com/lambda/latest/dg/monitoring-
 * cloudwatchlogs.html): Duration, Billed Duration, Memory Size, Max Memory
 * Used, and on a cold start Init Duration (SnapStart: Restore Duration).
 * Other labels and values (Status: timeout, Error Type: ...) are skipped.
 * The last REPORT line of the tail is read. */
bool provider__lambda_report(const char *tail, size_t len, struct invoke_result *out, cm_time *billed) {
  static const char tag[] = "REPORT RequestId:";
  if (!tail || !len) return false;
  const char *end = tail + len, *line = NULL, *q;
  for (const char *p = tail; (p = memmem(p, (size_t)(end - p), tag, sizeof tag - 1)); p++)
    if (p == tail || p[-1] == '\n') line = p;
  if (!line) return false;
  q = line + sizeof tag - 1;
  const char *eol = memchr(q, '\n', (size_t)(end - q));
  if (!eol) eol = end;
  while (q < eol && blank(*q)) q++;
  while (q < eol && !blank(*q)) q++; /* the request id */
  double dur = -1, bill = -1, init = -1, peak = -1;
  while (q < eol) {
    while (q < eol && blank(*q)) q++;
    const char *ls = q, *le;
    while (q < eol && (g_ascii_isalpha(*q) || *q == ' ') && q - ls < 40) q++;
    if (q >= eol || *q != ':') { /* not a label: skip a token */
      while (q < eol && !blank(*q)) q++;
      continue;
    }
    for (le = q++; le > ls && le[-1] == ' '; le--) {}
    while (q < eol && blank(*q)) q++;
    char buf[40], *nend;
    size_t n = 0;
    while (q + n < eol && n < sizeof buf - 1 && (g_ascii_isdigit(q[n]) || q[n] == '.')) n++;
    memcpy(buf, q, n);
    buf[n] = '\0';
    double v = n ? g_ascii_strtod(buf, &nend) : -1;
    if (!n || *nend) v = -1;
    q += n;
    while (q < eol && blank(*q)) q++;
    const char *us = q;
    while (q < eol && g_ascii_isalpha(*q)) q++;
    bool ms = q - us == 2 && !memcmp(us, "ms", 2), mb = q - us == 2 && !memcmp(us, "MB", 2);
    size_t ln = (size_t)(le - ls);
#define LABEL(s) (ln == sizeof(s) - 1 && !memcmp(ls, s, ln))
    if (v < 0 || (!ms && !mb)) continue;
    if (ms && v <= REPORT_MS_MAX) {
      if (LABEL("Duration")) dur = v;
      else if (LABEL("Billed Duration")) bill = v;
      else if (LABEL("Init Duration") || LABEL("Restore Duration")) init = v;
    } else if (mb && v <= REPORT_MB_MAX && LABEL("Max Memory Used")) {
      peak = v;
    }
#undef LABEL
  }
  if (dur < 0) return false;
  out->exec_time = cm_time_from_s(dur / 1e3);
  out->cold_start = init >= 0;
  out->init_time = init >= 0 ? cm_time_from_s(init / 1e3) : 0;
  if (peak >= 0) out->mem_peak_mb = peak;
  if (billed) *billed = bill >= 0 ? cm_time_from_s(bill / 1e3) : 0;
  return true;
}
