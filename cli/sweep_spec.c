/* A sweep spec read and expanded into jobs (cli/sweep.h): the [sweep]
 * group's scenarios, policies, seeds and set.GROUP.KEY grid axes, every
 * combination checked by loading its scenario with its overrides before
 * anything runs. Job names read as scenario.policy.KEY=VALUE.sSEED plus eight
 * hex digits of a SHA-256 of everything the job runs, so a changed spec
 * never takes an old job's file for its own. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cloudless/policy.h"
#include "sweep.h"

#define SWEEP_MAX_JOBS 1000000

static void axis_free(void *p) {
  struct sweep_axis *a = p;
  g_free(a->key);
  g_ptr_array_free(a->values, TRUE);
  g_free(a);
}

void sweep_spec_free(struct sweep_spec *s) {
  g_free(s->path);
  if (s->scenarios) g_ptr_array_free(s->scenarios, TRUE);
  if (s->policies) g_ptr_array_free(s->policies, TRUE);
  if (s->seeds) g_array_free(s->seeds, TRUE);
  if (s->axes) g_ptr_array_free(s->axes, TRUE);
  memset(s, 0, sizeof *s);
}

void sweep_job_free(void *p) {
  struct sweep_job *j = p;
  g_free(j->name);
  g_free(j->scenario);
  g_strfreev(j->sets);
  g_free(j->out);
  g_free(j->line);
  g_free(j);
}

/* A list value: items separated by ';' when it holds one, else by ','
 * (so a value with commas in it is written with ';' between items). Items
 * are trimmed; an empty item or list is an error. */
static GPtrArray *list_split(const char *path, const char *key, const char *v, char **err) {
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  gchar **items = g_strsplit(v, strchr(v, ';') ? ";" : ",", -1);
  for (gchar **p = items; *p && !*err; p++) {
    g_strstrip(*p);
    if (**p) g_ptr_array_add(out, g_strdup(*p));
    else if (p[1] || out->len) /* "a,,b" or "a," */
      *err = g_strdup_printf("%s: [sweep] %s: an empty item in '%s'; expected a list separated by ',' (or ';')",
                             path, key, v);
  }
  g_strfreev(items);
  if (!*err && out->len == 0)
    *err = g_strdup_printf("%s: [sweep] %s: no values; expected a list separated by ',' (or ';')", path, key);
  if (*err) {
    g_ptr_array_free(out, TRUE);
    return NULL;
  }
  return out;
}

static bool seed_parse(const char *t, uint64_t *v) {
  guint64 x = 0;
  if (!g_ascii_string_to_unsigned(t, 10, 0, INT64_MAX, &x, NULL)) return false;
  *v = x;
  return true;
}

/* "1-5, 9, 12-13": seeds, each once. */
static int seeds_parse(struct sweep_spec *s, const GPtrArray *items, char **err) {
  GHashTable *seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  for (guint i = 0; i < items->len && !*err; i++) {
    const char *it = g_ptr_array_index(items, i);
    const char *dash = strchr(it, '-');
    uint64_t a = 0, b = 0;
    bool ok;
    if (dash) {
      char *lo = g_strstrip(g_strndup(it, (gsize)(dash - it))), *hi = g_strstrip(g_strdup(dash + 1));
      ok = seed_parse(lo, &a) && seed_parse(hi, &b) && a <= b;
      g_free(lo);
      g_free(hi);
    } else {
      ok = seed_parse(it, &a);
      b = a;
    }
    if (!ok) {
      *err = g_strdup_printf("%s: [sweep] seeds: '%s' is not a seed or a range A-B with A <= B (seeds are "
                             "integers from 0 to %lld)", s->path, it, (long long)INT64_MAX);
      break;
    }
    if (b - a >= SWEEP_MAX_JOBS || s->seeds->len + (b - a) >= SWEEP_MAX_JOBS) {
      *err = g_strdup_printf("%s: [sweep] seeds: '%s': more than %d seeds", s->path, it, SWEEP_MAX_JOBS);
      break;
    }
    for (uint64_t x = a;; x++) {
      gint64 *k = g_new(gint64, 1);
      *k = (gint64)x;
      if (!g_hash_table_add(seen, k)) {
        *err = g_strdup_printf("%s: [sweep] seeds: seed %llu listed twice", s->path, (unsigned long long)x);
        break;
      }
      g_array_append_val(s->seeds, x);
      if (x == b) break;
    }
  }
  g_hash_table_destroy(seen);
  return *err ? CM_EINVAL : CM_OK;
}

static int scenarios_resolve(struct sweep_spec *s, GPtrArray *items, char **err) {
  char *rel = g_path_get_dirname(s->path), *base = g_canonicalize_filename(rel, NULL);
  g_free(rel);
  for (guint i = 0; i < items->len && !*err; i++) {
    const char *it = g_ptr_array_index(items, i);
    char *abs = g_canonicalize_filename(it, base);
    if (!g_file_test(abs, G_FILE_TEST_IS_REGULAR))
      *err = g_strdup_printf("%s: [sweep] scenarios: '%s' not found (looked for %s; relative paths are from the "
                             "spec's folder)", s->path, it, abs);
    for (guint k = 0; k < s->scenarios->len && !*err; k++)
      if (!strcmp(s->scenarios->pdata[k], abs))
        *err = g_strdup_printf("%s: [sweep] scenarios: %s listed twice", s->path, abs);
    g_ptr_array_add(s->scenarios, abs);
  }
  g_free(base);
  return *err ? CM_EINVAL : CM_OK;
}

static int policies_check(struct sweep_spec *s, char **err) {
  for (guint i = 0; i < s->policies->len; i++) {
    const char *p = g_ptr_array_index(s->policies, i);
    if (!policy_find(p) && !(g_str_has_prefix(p, "only:") && p[5])) {
      *err = g_strdup_printf("%s: [sweep] policies: unknown policy '%s'; expected some of %s, or only:PROVIDER",
                             s->path, p, policy_names());
      return CM_EINVAL;
    }
  }
  return CM_OK;
}

int sweep_spec_load(const char *path, struct sweep_spec *s, char **err) {
  memset(s, 0, sizeof *s);
  *err = NULL;
  s->path = g_strdup(path);
  s->scenarios = g_ptr_array_new_with_free_func(g_free);
  s->policies = g_ptr_array_new_with_free_func(g_free);
  s->seeds = g_array_new(FALSE, FALSE, sizeof(uint64_t));
  s->axes = g_ptr_array_new_with_free_func(axis_free);
  GKeyFile *kf = g_key_file_new();
  GError *ge = NULL;
  gchar **groups = NULL, **keys = NULL;
  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &ge)) {
    *err = g_strdup_printf("%s: %s", path, ge->message);
    g_error_free(ge);
    goto out;
  }
  groups = g_key_file_get_groups(kf, NULL);
  for (gchar **g = groups; *g && !*err; g++)
    if (strcmp(*g, "sweep") != 0)
      *err = g_strdup_printf("%s: unknown group [%s]; a sweep spec has one group, [sweep]", path, *g);
  if (*err) goto out;
  if (!g_key_file_has_group(kf, "sweep")) {
    *err = g_strdup_printf("%s: no [sweep] group; expected [sweep] with scenarios, seeds, and optionally policies "
                           "and set.GROUP.KEY", path);
    goto out;
  }
  keys = g_key_file_get_keys(kf, "sweep", NULL, NULL);
  bool have_scn = false, have_seeds = false;
  for (gchar **k = keys; *k && !*err; k++) {
    char *v = g_key_file_get_string(kf, "sweep", *k, NULL);
    GPtrArray *items = list_split(path, *k, v ? v : "", err);
    if (!strcmp(*k, "scenarios")) {
      have_scn = true;
      if (items) scenarios_resolve(s, items, err);
    } else if (!strcmp(*k, "seeds")) {
      have_seeds = true;
      if (items) seeds_parse(s, items, err);
    } else if (!strcmp(*k, "policies")) {
      for (guint i = 0; items && i < items->len; i++) g_ptr_array_add(s->policies, g_strdup(items->pdata[i]));
      if (items) policies_check(s, err);
    } else if (g_str_has_prefix(*k, "set.")) {
      const char *gk = *k + 4, *dot = strchr(gk, '.');
      if (!dot || dot == gk || !dot[1]) {
        g_free(*err);
        *err = g_strdup_printf("%s: [sweep] %s: expected set.GROUP.KEY (a scenario key, as in --set GROUP.KEY=VALUE)",
                               path, *k);
      } else if (!strcmp(gk, "run.seed")) {
        g_free(*err);
        *err = g_strdup_printf("%s: [sweep] %s: the seeds key sets each job's seed", path, *k);
      } else if (items) {
        struct sweep_axis *a = g_new0(struct sweep_axis, 1);
        a->key = g_strdup(gk);
        a->values = items;
        items = NULL;
        g_ptr_array_add(s->axes, a);
      }
    } else {
      g_free(*err);
      *err = g_strdup_printf("%s: [sweep] unknown key '%s'; expected scenarios, seeds, policies or set.GROUP.KEY",
                             path, *k);
    }
    if (items) g_ptr_array_free(items, TRUE);
    g_free(v);
  }
  if (!*err && !have_scn) *err = g_strdup_printf("%s: [sweep] scenarios: missing; expected a list of scenario files", path);
  if (!*err && !have_seeds) *err = g_strdup_printf("%s: [sweep] seeds: missing; expected a list such as 1-5 or 1, 4, 9", path);
  for (guint i = 0; !*err && s->policies->len && i < s->axes->len; i++) {
    const char *k = ((struct sweep_axis *)s->axes->pdata[i])->key;
    if (!strcmp(k, "cloudless.policy") || !strcmp(k, "cloudless.only"))
      *err = g_strdup_printf("%s: [sweep] set.%s and policies both choose the policy; keep one", path, k);
  }
out:
  g_strfreev(groups);
  g_strfreev(keys);
  g_key_file_free(kf);
  return *err ? CM_EINVAL : CM_OK;
}

/* Name characters kept as they are; others become '_'. */
static void name_append(GString *n, const char *part) {
  if (n->len) g_string_append_c(n, '.');
  for (const char *p = part; *p; p++)
    g_string_append_c(n, g_ascii_isalnum(*p) || strchr("._=+-", *p) ? *p : '_');
}

static char *job_name(const struct sweep_spec *s, const char *scn, const char *policy, const GPtrArray *point,
                      char **sets, uint64_t seed) {
  GString *n = g_string_new(NULL);
  char *base = g_path_get_basename(scn);
  if (g_str_has_suffix(base, ".ini")) base[strlen(base) - 4] = 0;
  name_append(n, base);
  g_free(base);
  if (policy) name_append(n, policy);
  for (guint i = 0; i < s->axes->len; i++) {
    const struct sweep_axis *a = s->axes->pdata[i];
    if (a->values->len < 2) continue; /* a fixed override: in the hash only */
    const char *last = strrchr(a->key, '.') + 1;
    char *kv = g_strdup_printf("%s=%s", last, (const char *)point->pdata[i]);
    name_append(n, kv);
    g_free(kv);
  }
  if (n->len > 160) g_string_truncate(n, 160);
  char *sd = g_strdup_printf("s%llu", (unsigned long long)seed);
  name_append(n, sd);
  g_free(sd);
  GString *what = g_string_new(scn);
  for (char **p = sets; *p; p++) g_string_append_printf(what, "\n%s", *p);
  g_string_append_printf(what, "\n%llu", (unsigned long long)seed);
  char *h = g_compute_checksum_for_string(G_CHECKSUM_SHA256, what->str, (gssize)what->len);
  g_string_append_printf(n, ".%.8s", h);
  g_free(h);
  g_string_free(what, TRUE);
  return g_string_free(n, FALSE);
}

static char *job_line(const char *exe, const struct sweep_job *j) {
  GString *l = g_string_new(NULL);
  char *seed = g_strdup_printf("%llu", (unsigned long long)j->seed);
  const char *head[] = {exe, "run", j->scenario, "--quiet", "--seed", seed};
  for (size_t i = 0; i < G_N_ELEMENTS(head); i++) {
    char *q = g_shell_quote(head[i]);
    g_string_append_printf(l, "%s%s", i ? " " : "", q);
    g_free(q);
  }
  for (char **p = j->sets; *p; p++) {
    char *q = g_shell_quote(*p);
    g_string_append_printf(l, " --set %s", q);
    g_free(q);
  }
  char *q = g_shell_quote(j->out);
  g_string_append_printf(l, " --out %s", q);
  g_free(q);
  g_free(seed);
  return g_string_free(l, FALSE);
}

/* The overrides of one (grid point, policy). */
static char **sets_make(const struct sweep_spec *s, const GPtrArray *point, const char *policy) {
  GPtrArray *v = g_ptr_array_new();
  for (guint i = 0; i < s->axes->len; i++)
    g_ptr_array_add(v, g_strdup_printf("%s=%s", ((struct sweep_axis *)s->axes->pdata[i])->key,
                                       (const char *)point->pdata[i]));
  if (policy && g_str_has_prefix(policy, "only:")) { /* as `cloudmix compare`: latency restricted to one provider */
    g_ptr_array_add(v, g_strdup("cloudless.policy=latency"));
    g_ptr_array_add(v, g_strdup_printf("cloudless.only=%s", policy + 5));
  } else if (policy) {
    g_ptr_array_add(v, g_strdup_printf("cloudless.policy=%s", policy));
  }
  g_ptr_array_add(v, NULL);
  return (char **)g_ptr_array_free(v, FALSE);
}

/* Load scn with sets as `cloudmix run` would; *err names the job on failure. */
static int combo_check(const struct sweep_spec *s, const char *scn, char **sets, const char *policy, char **err) {
  char *why = NULL;
  scenario *sc = cli_scenario_load(scn, (const char *const *)sets, &why);
  if (sc && policy && strcmp(scenario_model(sc), "cloudless") != 0)
    why = g_strdup_printf("%s: model %s; [sweep] policies apply to cloudless scenarios only", scn, scenario_model(sc));
  if (why) {
    GString *w = g_string_new(NULL);
    for (char **p = sets; *p; p++) g_string_append_printf(w, " --set %s", *p);
    *err = g_strdup_printf("%s: a job does not load (%s%s): %s", s->path, scn, w->str, why);
    g_string_free(w, TRUE);
    g_free(why);
  }
  scenario_free(sc);
  return *err ? CM_EINVAL : CM_OK;
}

int sweep_jobs_expand(const struct sweep_spec *s, const char *exe, const char *dir, GPtrArray *jobs, char **err) {
  *err = NULL;
  guint64 points = 1;
  for (guint i = 0; i < s->axes->len; i++) points *= ((struct sweep_axis *)s->axes->pdata[i])->values->len;
  guint64 npol = s->policies->len ? s->policies->len : 1;
  if (points > SWEEP_MAX_JOBS || s->scenarios->len * points * npol * s->seeds->len > SWEEP_MAX_JOBS) {
    *err = g_strdup_printf("%s: more than %d jobs", s->path, SWEEP_MAX_JOBS);
    return CM_EINVAL;
  }
  GHashTable *names = g_hash_table_new(g_str_hash, g_str_equal);
  GPtrArray *point = g_ptr_array_new();
  guint *at = g_new0(guint, s->axes->len + 1);
  for (guint si = 0; si < s->scenarios->len && !*err; si++) {
    const char *scn = s->scenarios->pdata[si];
    for (guint64 gp = 0; gp < points && !*err; gp++) {
      g_ptr_array_set_size(point, 0); /* grid point gp: mixed radix over the axes, the last axis fastest */
      guint64 rest = gp;
      for (guint i = s->axes->len; i-- > 0;) {
        const struct sweep_axis *a = s->axes->pdata[i];
        at[i] = (guint)(rest % a->values->len);
        rest /= a->values->len;
      }
      for (guint i = 0; i < s->axes->len; i++)
        g_ptr_array_add(point, ((struct sweep_axis *)s->axes->pdata[i])->values->pdata[at[i]]);
      for (guint pi = 0; pi < npol && !*err; pi++) {
        const char *pol = s->policies->len ? s->policies->pdata[pi] : NULL;
        char **sets = sets_make(s, point, pol);
        if (combo_check(s, scn, sets, pol, err) != 0) {
          g_strfreev(sets);
          break;
        }
        for (guint k = 0; k < s->seeds->len && !*err; k++) {
          struct sweep_job *j = g_new0(struct sweep_job, 1);
          j->scenario = g_strdup(scn);
          j->sets = g_strdupv(sets);
          j->seed = g_array_index(s->seeds, uint64_t, k);
          j->name = job_name(s, scn, pol, point, sets, j->seed);
          char *file = g_strdup_printf("%s.db", j->name);
          j->out = g_build_filename(dir, "runs", file, NULL);
          g_free(file);
          j->line = job_line(exe, j);
          g_ptr_array_add(jobs, j);
          if (!g_hash_table_add(names, j->name))
            *err = g_strdup_printf("%s: two jobs are the same (%s): a policy or a value listed twice?", s->path,
                                   j->name);
        }
        g_strfreev(sets);
      }
    }
  }
  g_free(at);
  g_ptr_array_free(point, TRUE);
  g_hash_table_destroy(names);
  return *err ? CM_EINVAL : CM_OK;
}
