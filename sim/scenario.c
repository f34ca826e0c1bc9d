/* Scenario loading: reading files with their includes, merging them and the
 * --set overrides, filling defaults, the effective text, and the public API. */
#include "scenario.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cm.h"
#include "scenario_impl.h"

static const struct scn_key builtin_keys[] = {
    {"scenario", "description", SCN_STRING, -INFINITY, INFINITY, NULL, NULL,
     "free-text description of the scenario"},
    {"scenario", "include", SCN_STRING, -INFINITY, INFINITY, NULL, NULL,
     "files loaded first, ';'-separated, relative to this file"},
};

static void item_free(void *p) {
  struct item *it = p;
  g_free(it->group);
  g_free(it->key);
  g_free(it->raw);
  g_free(it->str);
  g_free(it->file);
  g_free(it);
}

/* The index key of (group, key): "group" or "group\x1fkey", in buf when it
 * fits, else g_malloc'd (*heap set, to be freed). */
static char *index_key(const char *group, const char *key, char *buf, size_t n, char **heap) {
  *heap = NULL;
  if ((size_t)snprintf(buf, n, "%s%s%s", group, key ? "\x1f" : "", key ? key : "") < n) return buf;
  return *heap = g_strdup_printf("%s%s%s", group, key ? "\x1f" : "", key ? key : "");
}

/* O(1): a hash index over the items (a linear scan made loading 1,000
 * providers quadratic). */
static struct item *item_find(const scenario *s, const char *group, const char *key) {
  char buf[256], *heap;
  struct item *it = g_hash_table_lookup(s->index, index_key(group, key, buf, sizeof buf, &heap));
  g_free(heap);
  return it;
}

/* Adds group (key NULL; kept if present) or sets group.key, taking raw and
 * str; a later set replaces value and origin. */
static struct item *item_set(scenario *s, const char *group, const char *key, char *raw, char *str,
                             const char *file, int line) {
  if (key && !item_find(s, group, NULL)) item_set(s, group, NULL, NULL, NULL, file, 0);
  struct item *it = item_find(s, group, key);
  if (it && !key) return it;
  if (!it) {
    it = g_new0(struct item, 1);
    it->group = g_strdup(group);
    it->key = g_strdup(key);
    g_ptr_array_add(s->items, it);
    char buf[256], *heap;
    const char *k = index_key(group, key, buf, sizeof buf, &heap);
    g_hash_table_insert(s->index, heap ? heap : g_strdup(k), it);
  }
  g_free(it->raw);
  g_free(it->str);
  g_free(it->file);
  it->raw = raw;
  it->str = str;
  it->file = g_strdup(file);
  it->line = line;
  return it;
}

/* Where each group and key of a file is written, from one pass over its
 * lines (searching the text per key made loading quadratic): "group" ->
 * 1-based line of its first "[group]", "group\x1fkey" -> line of the last
 * "key =" inside a [group] section (as GKeyFile keeps the last value). */
static GHashTable *line_index(char **lines) {
  GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  char *group = NULL;
  for (int n = 0; lines[n]; n++) {
    const char *p = lines[n], *end;
    while (g_ascii_isspace(*p)) p++;
    if (*p == '[') {
      end = strrchr(p, ']');
      g_free(group);
      group = end ? g_strndup(p + 1, (gsize)(end - p - 1)) : NULL;
      if (group && !g_hash_table_contains(h, group)) g_hash_table_insert(h, g_strdup(group), GINT_TO_POINTER(n + 1));
    } else if (group && *p != '#' && (end = strchr(p, '='))) {
      while (end > p && g_ascii_isspace(end[-1])) end--;
      g_hash_table_replace(h, g_strdup_printf("%s\x1f%.*s", group, (int)(end - p), p), GINT_TO_POINTER(n + 1));
    }
  }
  g_free(group);
  return h;
}

/* 1-based line of "[group]" (key NULL; the first) or of "key =" inside it
 * (the last); 0 if not found. */
static int text_line(GHashTable *lines, const char *group, const char *key) {
  char buf[256], *heap;
  int n = GPOINTER_TO_INT(g_hash_table_lookup(lines, index_key(group, key, buf, sizeof buf, &heap)));
  g_free(heap);
  return n;
}

static char *read_file(const char *path, size_t *len, char **err) {
  FILE *f = fopen(path, "rb");
  bool opened = f != NULL;
  int e = opened ? 0 : errno;
  GString *buf = g_string_new(NULL);
  char chunk[8192];
  for (size_t n; opened && (n = fread(chunk, 1, sizeof chunk, f)) > 0;)
    g_string_append_len(buf, chunk, n);
  if (opened && ferror(f)) e = errno;
  if (opened) fclose(f);
  *len = buf->len;
  if (!e) return g_string_free(buf, FALSE);
  scenario__fail(err, path, 0, "cannot %s: %s", opened ? "read" : "open", g_strerror(e));
  g_string_free(buf, TRUE);
  return NULL;
}

static int load_file(scenario *s, const char *path, bool top, char **err);

/* Loads the files named by [scenario] include of kf (read from path). */
static int load_includes(scenario *s, GKeyFile *kf, const char *path, GHashTable *lines, char **err) {
  int rc = 0, line = text_line(lines, "scenario", "include");
  char **inc = g_key_file_get_string_list(kf, "scenario", "include", NULL, NULL);
  char *dir = g_path_get_dirname(path);
  for (int i = 0; !rc && inc && inc[i]; i++) {
    char *item = g_strstrip(inc[i]), *rp, *ip;
    if (!*item) continue;
    ip = g_path_is_absolute(item) ? g_strdup(item) : g_build_filename(dir, item, NULL);
    if (!(rp = realpath(ip, NULL))) {
      int e = errno;
      rc = scenario__fail(err, path, line,
                          "[scenario] include: found '%.80s', expected a readable file (%s: %s)",
                          item, ip, g_strerror(e));
    }
    for (guint j = 0; !rc && j < s->chain->len; j++) {
      char *other = realpath(s->chain->pdata[j], NULL);
      if (other && !strcmp(other, rp)) {
        GString *c = g_string_new(NULL);
        for (guint k = j; k < s->chain->len; k++)
          g_string_append_printf(c, "%s -> ", (char *)s->chain->pdata[k]);
        rc = scenario__fail(err, path, line,
                            "[scenario] include: found '%.80s', expected no include cycle (%s%s)",
                            item, c->str, ip);
        g_string_free(c, TRUE);
      }
      free(other);
    }
    if (!rc) rc = load_file(s, ip, false, err);
    free(rp);
    g_free(ip);
  }
  g_free(dir);
  g_strfreev(inc);
  return rc;
}

/* Copies every group and key of kf (read from path) into s. */
static int merge_keys(scenario *s, GKeyFile *kf, const char *path, GHashTable *lines, char **err) {
  int rc = 0;
  char **groups = g_key_file_get_groups(kf, NULL);
  for (int g = 0; !rc && groups[g]; g++) {
    const char *gn = groups[g];
    item_set(s, gn, NULL, NULL, NULL, path, text_line(lines, gn, NULL));
    char **keys = g_key_file_get_keys(kf, gn, NULL, NULL);
    for (int k = 0; !rc && keys && keys[k]; k++) {
      if (!s->plain && !strcmp(gn, "scenario") && !strcmp(keys[k], "include")) continue;
      GError *ge = NULL;
      char *raw = g_key_file_get_value(kf, gn, keys[k], NULL);
      char *str = g_key_file_get_string(kf, gn, keys[k], &ge);
      int line = text_line(lines, gn, keys[k]);
      if (str) {
        item_set(s, gn, keys[k], raw, str, path, line);
        continue;
      }
      rc = scenario__fail(err, path, line, "[%s] %s: found '%.80s', expected valid escapes (%s)",
                          gn, keys[k], raw, ge->message);
      g_error_free(ge);
      g_free(raw);
    }
    g_strfreev(keys);
  }
  g_strfreev(groups);
  return rc;
}

/* Reads path and its includes into s; the top file must not be blank. */
static int load_file(scenario *s, const char *path, bool top, char **err) {
  size_t len = 0;
  char *data = read_file(path, &len, err), **lines = NULL;
  if (!data) return CM_ENOENT;
  GKeyFile *kf = g_key_file_new();
  GError *ge = NULL;
  const char *bad = NULL;
  char *start = NULL;
  int rc = 0;
  if (memchr(data, '\0', len)) {
    rc = scenario__fail(err, path, 0, "not a scenario file (contains NUL bytes)");
  } else if (!g_utf8_validate(data, (gssize)len, &bad)) {
    int line = 1;
    for (const char *p = data; p < bad; p++) line += *p == '\n';
    rc = scenario__fail(err, path, 0, "not a scenario file (invalid UTF-8 on line %d)", line);
  } else if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &ge)) {
    rc = scenario__fail(err, path, 0, "not a scenario file (%s)", ge->message);
    g_error_free(ge);
  } else if (top && !(start = g_key_file_get_start_group(kf))) { /* blanks and comments */
    char *exp = s->plain ? NULL : scenario__expected(&s->model_key);
    if (s->plain)
      rc = scenario__fail(err, path, 0, "empty file; expected a [%s] group",
                          ((const struct scn_key *)s->schema->pdata[0])->group);
    else
      rc = scenario__fail(err, path, 0, "empty scenario; expected a [run] group with model = %s",
                          exp);
    g_free(exp);
  } else {
    lines = g_strsplit(data, "\n", -1);
    GHashTable *where = line_index(lines);
    g_ptr_array_add(s->chain, g_strdup(path));
    if (!s->plain && g_key_file_has_key(kf, "scenario", "include", NULL))
      rc = load_includes(s, kf, path, where, err);
    if (!rc) rc = merge_keys(s, kf, path, where, err);
    g_hash_table_unref(where);
    g_ptr_array_set_size(s->chain, s->chain->len - 1);
  }
  g_free(start);
  g_strfreev(lines);
  g_key_file_free(kf);
  g_free(data);
  return rc;
}

/* Applies "group.key=value" (split at the first '=', then the last '.');
 * the value is literal text. */
static int apply_override(scenario *s, const char *ov, char **err) {
  const char *eq = strchr(ov, '='), *dot = NULL;
  for (const char *p = ov; eq && p < eq; p++)
    if (*p == '.') dot = p;
  char *group = dot ? g_strstrip(g_strndup(ov, (gsize)(dot - ov))) : NULL;
  char *key = dot ? g_strstrip(g_strndup(dot + 1, (gsize)(eq - dot - 1))) : NULL;
  char *origin = g_strdup_printf("--set %s", ov);
  int rc = 0;
  if (!dot || !*group || !*key || !g_utf8_validate(ov, -1, NULL)) {
    rc = scenario__fail(err, NULL, 0, "--set '%.80s': expected group.key=value", ov);
  } else if (!strcmp(group, "scenario") && !strcmp(key, "include")) {
    rc = scenario__fail(err, origin, 0,
                        "[scenario] include: cannot be set by --set; include from a file");
  } else {
    GKeyFile *t = g_key_file_new(); /* escape the literal value as GKeyFile would */
    g_key_file_set_string(t, "g", "k", eq + 1);
    item_set(s, group, key, g_key_file_get_value(t, "g", "k", NULL), g_strdup(eq + 1), origin, 0);
    g_key_file_free(t);
  }
  g_free(group);
  g_free(key);
  g_free(origin);
  return rc;
}

/* Key k of group name: its default filled in, or an error if required. */
static int fill_default(scenario *s, const struct scn_key *k, const char *name, const char *file,
                        int line, char **err) {
  if (item_find(s, name, k->key) ||
      (k >= builtin_keys && k < builtin_keys + G_N_ELEMENTS(builtin_keys)))
    return 0;
  if (!k->def) {
    char *exp = scenario__expected(k);
    int rc = scenario__fail(err, file, line, "[%s] %s: missing; expected %s%s%s%s", name, k->key, exp,
                            k->doc ? " (meaning: " : "", k->doc ? k->doc : "", k->doc ? ")" : "");
    g_free(exp);
    return rc;
  }
  char *bad = NULL;
  struct item *it = item_set(s, name, k->key, g_strdup(k->def), g_strdup(k->def), "(default)", 0);
  if (scenario__check_value(it, k, &bad))
    cm_fatal(CM_LOC, "scenario: schema default of [%s] %s is invalid: %s", name, k->key, bad);
  return 0;
}

static int fill_defaults(scenario *s, char **err) {
  int rc = 0;
  guint n = s->items->len; /* defaults never add pattern groups */
  for (guint i = 0; !rc && i < s->schema->len; i++) {
    const struct scn_key *k = s->schema->pdata[i];
    struct item *g = s->plain ? item_find(s, k->group, NULL) : NULL; /* plain: at the group */
    if (!scenario__is_pattern(k->group))
      rc = fill_default(s, k, k->group, g && g->line ? g->file : s->path, g ? g->line : 0, err);
    for (guint j = 0; !rc && scenario__is_pattern(k->group) && j < n; j++) {
      g = s->items->pdata[j];
      if (!g->key && scenario__group_matches(k->group, g->group) &&
          scenario__schema_find(s, g->group, k->key) == k)
        rc = fill_default(s, k, g->group, g->line ? g->file : s->path, s->plain ? g->line : 0, err);
    }
  }
  return rc;
}

static void emit_group(const scenario *s, GString *t, const char *name, GHashTable *done) {
  if (!g_hash_table_add(done, (char *)name)) return;
  bool header = false;
  for (guint i = 0; i < s->schema->len; i++) {
    const struct scn_key *k = s->schema->pdata[i];
    struct item *it = item_find(s, name, k->key);
    if (!it || scenario__schema_find(s, name, k->key) != k) continue;
    if (!header) g_string_append_printf(t, "%s[%s]\n", t->len ? "\n" : "", name);
    header = true;
    g_string_append_printf(t, "%s = %s\n", k->key, it->raw);
  }
}

/* Groups in schema order (a pattern's groups in file order), keys in
 * schema order. */
static char *build_text(const scenario *s) {
  GString *t = g_string_new(NULL);
  GHashTable *done = g_hash_table_new(g_str_hash, g_str_equal);
  GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < s->schema->len; i++) {
    const char *group = ((const struct scn_key *)s->schema->pdata[i])->group;
    if (!g_hash_table_add(seen, (char *)group)) continue;
    if (!scenario__is_pattern(group)) emit_group(s, t, group, done);
    for (guint j = 0; scenario__is_pattern(group) && j < s->items->len; j++) {
      struct item *g = s->items->pdata[j];
      if (!g->key && scenario__group_matches(group, g->group)) emit_group(s, t, g->group, done);
    }
  }
  g_hash_table_unref(seen);
  g_hash_table_unref(done);
  return g_string_free(t, FALSE);
}

/* [run] model is always a required enum over the models' names; common's
 * entry for it, if any, gives its doc and its place in the text. */
static void schema_init(scenario *s, const struct scn_key *common, size_t ncommon,
                        const struct scn_model *models, size_t nmodels) {
  const char **names = g_new0(const char *, nmodels + 1);
  for (size_t i = 0; i < nmodels; i++) names[i] = models[i].name;
  s->choices = g_strjoinv("|", (char **)names);
  g_free(names);
  s->model_key = (struct scn_key){.group = "run", .key = "model", .min = -INFINITY,
                                  .max = INFINITY, .doc = "the model to simulate"};
  s->schema = g_ptr_array_new();
  for (size_t i = 0; i < G_N_ELEMENTS(builtin_keys); i++)
    g_ptr_array_add(s->schema, (void *)&builtin_keys[i]);
  g_ptr_array_add(s->schema, &s->model_key);
  for (size_t i = 0; i < ncommon; i++) {
    bool is_model = !strcmp(common[i].group, "run") && !strcmp(common[i].key, "model");
    if (is_model) { /* move it to common's place */
      s->model_key = common[i];
      g_ptr_array_remove(s->schema, &s->model_key);
    }
    g_ptr_array_add(s->schema, is_model ? &s->model_key : (void *)&common[i]);
  }
  s->model_key.type = SCN_ENUM;
  s->model_key.choices = s->choices;
  s->model_key.def = NULL;
}

static scenario *scenario_new(const char *path) {
  scenario *s = g_new0(scenario, 1);
  s->path = g_strdup(path);
  s->items = g_ptr_array_new_with_free_func(item_free);
  s->index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  s->chain = g_ptr_array_new_with_free_func(g_free);
  s->lists =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
  return s;
}

/* The checks after reading: every item against the schema, defaults, text. */
static scenario *scenario_finish(scenario *s, int rc, char **errp, char *local) {
  for (guint i = 0; !rc && i < s->items->len; i++)
    rc = scenario__check_item(s, s->items->pdata[i], errp);
  if (!rc) rc = fill_defaults(s, errp);
  if (!rc) s->text = build_text(s);
  if (!rc) return s;
  scenario_free(s);
  g_free(local);
  return NULL;
}

scenario *scenario_load_schema(const char *path, const struct scn_key *keys, size_t nkeys,
                               char **err) {
  char *local = NULL, **errp = err ? err : &local;
  *errp = NULL;
  if (!nkeys) cm_fatal(CM_LOC, "scenario_load_schema: empty schema");
  scenario *s = scenario_new(path);
  s->plain = true;
  s->schema = g_ptr_array_new();
  for (size_t i = 0; i < nkeys; i++) g_ptr_array_add(s->schema, (void *)&keys[i]);
  return scenario_finish(s, load_file(s, path, true, errp), errp, local);
}

scenario *scenario_load(const char *path, const struct scn_key *common, size_t ncommon,
                        const struct scn_model *models, size_t nmodels,
                        const char *const *overrides, char **err) {
  char *local = NULL, **errp = err ? err : &local;
  *errp = NULL;
  scenario *s = scenario_new(path);
  schema_init(s, common, ncommon, models, nmodels);
  int rc = load_file(s, path, true, errp);
  for (size_t i = 0; !rc && overrides && overrides[i]; i++)
    rc = apply_override(s, overrides[i], errp);
  struct item *me = rc ? NULL : item_find(s, "run", "model");
  if (!rc && !me) {
    char *exp = scenario__expected(&s->model_key);
    rc = scenario__fail(errp, path, 0, "[run] model: missing; expected %s (meaning: %s)", exp,
                        s->model_key.doc ? s->model_key.doc : "the model to simulate");
    g_free(exp);
  }
  if (!rc && !(rc = scenario__check_value(me, &s->model_key, errp))) {
    const struct scn_model *m = models;
    while (m < models + nmodels - 1 && strcmp(m->name, me->str)) m++; /* it is there */
    s->model = g_strdup(m->name);
    for (size_t i = 0; i < m->nkeys; i++) g_ptr_array_add(s->schema, (void *)&m->keys[i]);
  }
  return scenario_finish(s, rc, errp, local);
}

void scenario_free(scenario *s) {
  if (!s) return;
  g_hash_table_unref(s->index);
  g_ptr_array_unref(s->items);
  g_ptr_array_unref(s->schema);
  g_ptr_array_unref(s->chain);
  g_hash_table_unref(s->lists);
  g_free(s->path);
  g_free(s->model);
  g_free(s->text);
  g_free(s->choices);
  g_free(s);
}

const char *scenario_path(const scenario *s) { return s->path; }
const char *scenario_model(const scenario *s) { return s->model; }
const char *scenario_text(const scenario *s) { return s->text; }

/* The item for a schema key of the given type (-1: any); cm_fatal if not. */
static const struct item *find_value(const scenario *s, const char *group, const char *key,
                                     int type, const char *fn) {
  const struct scn_key *k = scenario__schema_find(s, group, key);
  if (!k)
    cm_fatal(CM_LOC, "%s: [%s] %s is not in the schema of model %s", fn, group, key,
             s->model ? s->model : "(one schema)");
  if (type >= 0 && (int)k->type != type)
    cm_fatal(CM_LOC, "%s: [%s] %s has another type in the schema", fn, group, key);
  const struct item *it = item_find(s, group, key);
  if (!it) cm_fatal(CM_LOC, "%s: [%s] %s has no value (group absent?)", fn, group, key);
  return it;
}

int64_t scenario_int(const scenario *s, const char *group, const char *key) {
  return find_value(s, group, key, SCN_INT, __func__)->i;
}

double scenario_double(const scenario *s, const char *group, const char *key) {
  return find_value(s, group, key, SCN_DOUBLE, __func__)->d;
}

bool scenario_bool(const scenario *s, const char *group, const char *key) {
  return find_value(s, group, key, SCN_BOOL, __func__)->b;
}

const char *scenario_string(const scenario *s, const char *group, const char *key) {
  return find_value(s, group, key, -1, __func__)->str;
}

bool scenario_has(const scenario *s, const char *group, const char *key) {
  return scenario__schema_find(s, group, key) && item_find(s, group, key);
}

int scenario_line(const scenario *s, const char *group, const char *key, const char **file) {
  const struct item *it = item_find(s, group, key);
  bool here = it && it->line > 0;
  if (file) *file = here ? it->file : s->path;
  return here ? it->line : 0;
}

int scenario_error(const scenario *s, const char *group, const char *key, char **err,
                   const char *fmt, ...) {
  char *local = NULL, **errp = err ? err : &local;
  const char *file = NULL;
  int line = scenario_line(s, group, key, &file);
  if (!line) line = scenario_line(s, group, NULL, &file);
  va_list ap;
  va_start(ap, fmt);
  char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  scenario__fail(errp, file, line, "[%s]%s%s: %s", group, key ? " " : "", key ? key : "", msg);
  g_free(msg);
  g_free(local);
  return CM_EPARSE;
}

const char *const *scenario_groups(const scenario *s, const char *pattern) {
  GPtrArray *a = g_hash_table_lookup(s->lists, pattern);
  if (!a) {
    a = g_ptr_array_new();
    for (guint i = 0; i < s->items->len; i++) {
      struct item *it = s->items->pdata[i];
      if (!it->key && scenario__group_matches(pattern, it->group)) g_ptr_array_add(a, it->group);
    }
    g_ptr_array_add(a, NULL);
    g_hash_table_insert(s->lists, g_strdup(pattern), a);
  }
  return (const char *const *)a->pdata;
}
