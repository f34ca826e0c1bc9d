/* Scenario validation and its messages: schema matching, typed parsing and
 * range checks, "expected ..." descriptions and "did you mean" hints. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cm.h"
#include "scenario_impl.h"

/* Sets *err (the first error wins) to "file:line: msg", "file: msg" (line
 * 0) or msg (file NULL), made one line of valid UTF-8. Returns CM_EPARSE. */
int scenario__fail(char **err, const char *file, int line, const char *fmt, ...) {
  if (*err) return CM_EPARSE;
  va_list ap;
  va_start(ap, fmt);
  char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  char *full = !file      ? g_strdup(msg)
               : line > 0 ? g_strdup_printf("%s:%d: %s", file, line, msg)
                          : g_strdup_printf("%s: %s", file, msg);
  *err = g_utf8_make_valid(full, -1);
  for (char *p = *err; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
  g_free(msg);
  g_free(full);
  return CM_EPARSE;
}

static size_t edit_distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b), *row = g_new(size_t, m + 1);
  for (size_t j = 0; j <= m; j++) row[j] = j;
  for (size_t i = 1; i <= n; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= m; j++) {
      size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  size_t d = row[m];
  g_free(row);
  return d;
}

char *scenario_word_suggest(const char *word, char *const *cands, const char *o, const char *c,
                            const char *what) {
  size_t len = strlen(word), best = SIZE_MAX;
  const char *pick = NULL;
  for (int i = 0; cands[i] && len <= 256; i++) {
    size_t d = edit_distance(word, cands[i]);
    if (d < best) best = d, pick = cands[i];
  }
  if (pick && best <= MAX(2, len / 3)) return g_strdup_printf("did you mean %s%s%s?", o, pick, c);
  if (!what) return g_strdup("");
  GString *t = g_string_new(NULL);
  g_string_printf(t, "known %s: ", what);
  for (int i = 0; cands[i]; i++)
    g_string_append_printf(t, "%s%s%s%s", i ? ", " : "", o, cands[i], c);
  return g_string_free(t, FALSE);
}

static void add_unique(GPtrArray *a, char *s) {
  if (g_ptr_array_find_with_equal_func(a, s, g_str_equal, NULL))
    g_free(s);
  else
    g_ptr_array_add(a, s);
}

bool scenario__is_pattern(const char *group) {
  size_t n = strlen(group);
  return n >= 2 && !strcmp(group + n - 2, ".*");
}

bool scenario__group_matches(const char *pattern, const char *name) {
  size_t n = strlen(pattern);
  if (scenario__is_pattern(pattern)) return !strncmp(name, pattern, n - 1) && name[n - 1];
  return !strcmp(pattern, name);
}

/* The schema key for (group, key): exact group names win over patterns. */
const struct scn_key *scenario__schema_find(const scenario *s, const char *group, const char *key) {
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; s->schema && i < s->schema->len; i++) {
      const struct scn_key *k = s->schema->pdata[i];
      if (!strcmp(k->key, key) &&
          (pass ? scenario__group_matches(k->group, group) : !strcmp(k->group, group)))
        return k;
    }
  return NULL;
}

char *scenario__expected(const struct scn_key *k) {
  const char *what = k->type == SCN_INT ? "an integer" : "a number";
  if (k->type == SCN_BOOL) return g_strdup("true or false");
  if (k->type == SCN_STRING) return g_strdup("a string");
  if (k->type == SCN_ENUM) {
    char **ch = g_strsplit(k->choices ? k->choices : "", "|", -1);
    char *list = g_strjoinv(", ", ch), *r = g_strdup_printf("one of: %s", list);
    g_strfreev(ch);
    g_free(list);
    return r;
  }
  if (isfinite(k->min) && isfinite(k->max))
    return g_strdup_printf("%s in [%g, %g]", what, k->min, k->max);
  if (isfinite(k->min)) return g_strdup_printf("%s >= %g", what, k->min);
  if (isfinite(k->max)) return g_strdup_printf("%s <= %g", what, k->max);
  return g_strdup(what);
}

/* Base-10 integers only: no "1.5", "1e3", hex or junk. */
static bool parse_int(const char *v, int64_t *out) {
  char *end = NULL;
  if (!*v || v[strspn(v, "0123456789+-")]) return false;
  errno = 0;
  *out = strtoll(v, &end, 10);
  return end != v && !*end && !errno;
}

/* Decimal and exponent forms only: no nan, inf, hex, junk or empty. */
static bool parse_double(const char *v, double *out) {
  char *end = NULL;
  if (!*v || v[strspn(v, "0123456789+-.eE")]) return false;
  *out = g_ascii_strtod(v, &end);
  return end != v && !*end && isfinite(*out);
}

/* Parses it against k into its typed fields; an error message otherwise. */
int scenario__check_value(struct item *it, const struct scn_key *k, char **err) {
  char *v = g_strstrip(g_strdup(it->str)), *hint = NULL;
  bool ok = true;
  if (k->type == SCN_INT) {
    ok = parse_int(v, &it->i) && it->i >= k->min && it->i <= k->max;
  } else if (k->type == SCN_DOUBLE) {
    ok = parse_double(v, &it->d) && it->d >= k->min && it->d <= k->max;
  } else if (k->type == SCN_BOOL) {
    it->b = !strcmp(v, "true");
    ok = it->b || !strcmp(v, "false");
  } else if (k->type == SCN_ENUM) {
    char **ch = g_strsplit(k->choices ? k->choices : "", "|", -1);
    ok = g_strv_contains((const char *const *)ch, v);
    if (!ok) hint = scenario_word_suggest(v, ch, "'", "'", NULL);
    g_strfreev(ch);
  }
  int rc = 0;
  if (ok && k->type != SCN_STRING) { /* keep the stripped spelling */
    g_free(it->raw);
    g_free(it->str);
    it->raw = g_strdup(v);
    it->str = g_strdup(v);
  }
  if (!ok) {
    char *exp = scenario__expected(k);
    const char *sep = hint && *hint ? "; " : "";
    rc = scenario__fail(err, it->file, it->line, "[%s] %s: found '%.80s', expected %s%s%s",
                        it->group, it->key, it->str, exp, sep, hint ? hint : "");
    g_free(exp);
  }
  g_free(hint);
  g_free(v);
  return rc;
}

/* Checks a group or key of the file against the schema. */
int scenario__check_item(scenario *s, struct item *it, char **err) {
  const struct scn_key *k = NULL;
  bool known = false;
  for (guint i = 0; i < s->schema->len && !known; i++)
    known =
        scenario__group_matches(((const struct scn_key *)s->schema->pdata[i])->group, it->group);
  if (known && it->key && (k = scenario__schema_find(s, it->group, it->key)))
    return scenario__check_value(it, k, err);
  if (known && !it->key) return 0;
  GPtrArray *cands = g_ptr_array_new_with_free_func(g_free);
  const char *dot = strchr(it->group, '.');
  for (guint i = 0; i < s->schema->len; i++) {
    const struct scn_key *c = s->schema->pdata[i];
    if (it->key && scenario__group_matches(c->group, it->group))
      add_unique(cands, g_strdup(c->key));
    else if (!it->key && dot && scenario__is_pattern(c->group)) /* providr.aws: provider.aws */
      add_unique(cands, g_strdup_printf("%.*s%s", (int)strlen(c->group) - 1, c->group, dot + 1));
    else if (!it->key)
      add_unique(cands, g_strdup(c->group));
  }
  g_ptr_array_add(cands, NULL);
  char **cv = (char **)cands->pdata;
  char *hint =
      it->key ? scenario_word_suggest(it->key, cv, "'", "'", "keys") : scenario_word_suggest(it->group, cv, "[", "]", "groups");
  int rc =
      scenario__fail(err, it->file, it->line, "[%s]%s%s: unknown %s; %s", it->group,
                     it->key ? " " : "", it->key ? it->key : "", it->key ? "key" : "group", hint);
  g_free(hint);
  g_ptr_array_unref(cands);
  return rc;
}
