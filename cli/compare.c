/* `cloudmix compare SCENARIO`: run the scenario under each policy and each
 * seed (seeds first_seed .. first_seed + n - 1, the same for every policy),
 * then print, per policy, the mean over seeds of each headline figure with
 * its 95% confidence interval (Student t, analysis/stats.h), and store
 * every run plus the table (compare_results, analysis/tab_compare.h) in
 * the results store. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "cloudless.h"
#include "cloudless/policy.h"
#include "stats.h"
#include "tab_compare.h"

enum { M_MEAN, M_P50, M_P95, M_P99, M_COST, M_THRU, M_FAIL, M_N };
static const char *const metric_names[M_N] = {"mean_latency_s", "p50_latency_s", "p95_latency_s", "p99_latency_s",
                                               "cost_per_1000_usd", "throughput_per_s", "failed"};

static double pick(const struct cl_summary *m, int k) {
  switch (k) {
  case M_MEAN: return m->mean_s;
  case M_P50: return m->p50_s;
  case M_P95: return m->p95_s;
  case M_P99: return m->p99_s;
  case M_COST: return m->cost_per_1000_usd;
  case M_THRU: return m->throughput_per_s;
  default: return (double)m->failed;
  }
}

/* One (policy, seed) run recorded in db. */
static int run_one(results *db, const char *path, char **sets, const char *policy, uint64_t seed,
                   struct cl_summary *out, int64_t *run_id) {
  guint n = sets ? g_strv_length(sets) : 0;
  const char **all = g_new0(const char *, n + 3);
  for (guint i = 0; i < n; i++) all[i] = sets[i];
  /* "only:PROVIDER" is the single-provider baseline: the latency policy
   * (moot with one provider) restricted to that provider */
  const char *only = g_str_has_prefix(policy, "only:") ? policy + 5 : NULL;
  char *pol = g_strdup_printf("cloudless.policy=%s", only ? "latency" : policy);
  char *onl = only ? g_strdup_printf("cloudless.only=%s", only) : NULL;
  all[n] = pol;
  all[n + 1] = onl;
  all[n + 2] = NULL;
  char *err = NULL;
  int rc = CM_EXIT_USAGE;
  scenario *s = cli_scenario_load(path, all, &err);
  if (!s) {
    fprintf(stderr, "cloudmix: %s\n", err);
  } else if (strcmp(scenario_model(s), "cloudless") != 0) {
    fprintf(stderr, "cloudmix compare: %s: model '%s'; compare needs a cloudless scenario\n", path, scenario_model(s));
  } else {
    struct run_ctx c = {.s = s, .db = db, .seed = seed, .quiet = true};
    rc = cloudless_run_recorded(&c, out);
    if (c.run_id > 0) *run_id = c.run_id;
  }
  g_free(err);
  scenario_free(s);
  g_free(pol);
  g_free(onl);
  g_free(all);
  return rc;
}

int cli_compare(int argc, char **argv) {
  gchar *policies = NULL, *out = NULL;
  gchar **sets = NULL;
  gint seeds = 10;
  gint64 first_seed = 1;
  gboolean quiet = FALSE;
  GOptionEntry entries[] = {
      {"policies", 'p', 0, G_OPTION_ARG_STRING, &policies,
       "Comma-separated policies (default: all built-in); only:PROVIDER is a single-provider baseline", "A,B,..."},
      {"seeds", 'n', 0, G_OPTION_ARG_INT, &seeds, "Seeds per policy (default 10)", "N"},
      {"first-seed", 0, 0, G_OPTION_ARG_INT64, &first_seed, "First seed (default 1); seeds are consecutive", "S"},
      {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Results database (default: results/SCENARIO-compare.db)", "FILE.db"},
      {"set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override a scenario key (repeatable)", "GROUP.KEY=VALUE"},
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print only the table", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("SCENARIO.ini - compare live scheduling policies across seeds");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(
      ctx, "Each policy runs on the same seeds; the table gives the mean over seeds and the\n"
           "half-width of its 95% confidence interval (Student t). Every run and the table\n"
           "(compare_results) go to the results store. Exit codes: 0 ok, 1 a run failed,\n"
           "2 bad usage or input.");
  char *perr = NULL;
  if (!cli_options_parse(ctx, entries, &argc, &argv, &perr)) {
    int rc = cli_usage_error("compare", ctx, perr);
    g_free(perr);
    return rc;
  }
  char *bad = NULL;
  if (argc != 2) bad = g_strdup(argc < 2 ? "missing SCENARIO file" : "expected exactly one SCENARIO file");
  else if (seeds < 1 || seeds > 100000) bad = g_strdup("--seeds: expected a number in [1, 100000]");
  else if (first_seed < 0) bad = g_strdup("--first-seed: expected a number >= 0");
  gchar **pols = g_strsplit(policies ? policies : "loi,cost,latency,mix,random", ",", -1);
  for (gchar **p = pols; *p && !bad; p++) {
    g_strstrip(*p);
    if (!policy_find(*p) && !(g_str_has_prefix(*p, "only:") && (*p)[5]))
      bad = g_strdup_printf("--policies: unknown policy '%s'; expected some of: %s, or only:PROVIDER", *p,
                            policy_names());
  }
  if (bad) {
    int rc = cli_usage_error("compare", ctx, bad);
    g_free(bad);
    g_strfreev(pols);
    g_strfreev(sets);
    g_free(policies);
    g_free(out);
    return rc;
  }
  g_option_context_free(ctx);
  guint np = g_strv_length(pols);
  if (!out) {
    char *d = cli_default_out(argv[1]);
    d[strlen(d) - 3] = 0;
    out = g_strdup_printf("%s-compare.db", d);
    g_free(d);
  }
  char *dir = g_path_get_dirname(out), *err = NULL;
  g_mkdir_with_parents(dir, 0755);
  g_free(dir);
  results *db = results_open(out, &err);
  int rc = CM_EXIT_OK;
  if (!db) {
    fprintf(stderr, "cloudmix: %s\n", err);
    g_free(err);
    rc = CM_EXIT_USAGE;
    goto done;
  }
  double *vals = g_new0(double, (gsize)np * M_N * (gsize)seeds);
  int64_t first_run = 0;
  double t0 = cli_wall_s();
  for (guint p = 0; p < np && rc == 0; p++)
    for (gint k = 0; k < seeds && rc == 0; k++) {
      struct cl_summary m;
      int64_t id = 0;
      rc = run_one(db, argv[1], sets, pols[p], (uint64_t)(first_seed + k), &m, &id);
      if (!first_run) first_run = id;
      for (int j = 0; j < M_N && rc == 0; j++) vals[((gsize)p * M_N + j) * (gsize)seeds + k] = pick(&m, j);
      if (!quiet && rc == 0 && isatty(2))
        fprintf(stderr, "\rcompare: %s seed %lld done (%u/%u runs, %.1f s)   ", pols[p], (long long)(first_seed + k),
                p * (guint)seeds + (guint)k + 1, np * (guint)seeds, cli_wall_s() - t0);
    }
  if (!quiet && isatty(2)) fprintf(stderr, "\n");
  if (rc == 0) {
    struct tab_compare_results t = {0};
    if (tab_compare_results_open(db, &t) != 0) {
      fprintf(stderr, "cloudmix: %s: cannot create compare_results: %s\n", out, results_errmsg(db));
      rc = CM_EXIT_FAILED;
    }
    printf("%s: %d seeds per policy (%lld..%lld); mean over seeds +- 95%% CI half-width\n", argv[1], seeds,
           (long long)first_seed, (long long)(first_seed + seeds - 1));
    printf("%-24s %17s %17s %17s %17s %19s %17s %13s\n", "policy", "mean lat (s)", "p50 (s)", "p95 (s)", "p99 (s)",
           "$ per 1000 calls", "throughput (/s)", "failures");
    for (guint p = 0; p < np; p++) {
      printf("%-24s", pols[p]);
      for (int j = 0; j < M_N; j++) {
        struct stats_summary ss;
        stats_summary(&vals[((gsize)p * M_N + j) * (gsize)seeds], (size_t)seeds, &ss);
        if (j == M_COST) printf(" %10.5f +-%6.5f", ss.mean, isnan(ss.ci95) ? 0.0 : ss.ci95);
        else if (j == M_FAIL) printf(" %6.1f +-%5.1f", ss.mean, isnan(ss.ci95) ? 0.0 : ss.ci95);
        else printf(" %8.3f +-%6.3f", ss.mean, isnan(ss.ci95) ? 0.0 : ss.ci95);
        struct tab_compare_result row = {.first_run_id = first_run, .scenario = argv[1], .policy = pols[p],
                                         .metric = metric_names[j], .seeds = seeds, .first_seed = first_seed,
                                         .mean = ss.mean, .ci95 = ss.ci95};
        if (tab_compare_results_add(&t, &row) != 0) rc = CM_EXIT_FAILED;
      }
      printf("\n");
    }
    if (!quiet) printf("runs %lld.. and table compare_results in %s\n", (long long)first_run, out);
  }
  g_free(vals);
  if (results_close(db) != 0 && rc == 0) rc = CM_EXIT_FAILED;
done:
  g_strfreev(pols);
  g_strfreev(sets);
  g_free(policies);
  g_free(out);
  return rc;
}
