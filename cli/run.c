/* `cloudmix run SCENARIO`: load and validate the scenario, open the results
 * store, record the run, hand over to the model's runner, close the run. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cli.h"

/* results/<scenario basename without .ini>.db */
char *cli_default_out(const char *path) {
  char *base = g_path_get_basename(path);
  if (g_str_has_suffix(base, ".ini")) base[strlen(base) - 4] = 0;
  char *out = g_strdup_printf("results/%s.db", base);
  g_free(base);
  return out;
}

static void print_keys(const struct scn_key *k, size_t n) {
  const char *group = NULL;
  for (size_t i = 0; i < n; i++) {
    if (!group || strcmp(group, k[i].group) != 0) {
      group = k[i].group;
      printf("\n[%s]\n", group);
    }
    char what[96];
    switch (k[i].type) {
    case SCN_INT: snprintf(what, sizeof what, "integer in [%g, %g]", k[i].min, k[i].max); break;
    case SCN_DOUBLE: snprintf(what, sizeof what, "number in [%g, %g]", k[i].min, k[i].max); break;
    case SCN_BOOL: snprintf(what, sizeof what, "true|false"); break;
    case SCN_STRING: snprintf(what, sizeof what, "text"); break;
    case SCN_ENUM: snprintf(what, sizeof what, "%s", k[i].choices); break;
    }
    printf("  %-20s %s; %s%s%s\n      %s\n", k[i].key, what, k[i].def ? "default '" : "required",
           k[i].def ? k[i].def : "", k[i].def ? "'" : "", k[i].doc);
  }
}

/* `cloudmix run --keys [MODEL]`: the schema, as documentation. */
static int list_keys(const char *model) {
  bool any = false;
  for (size_t i = 0; i < cli_nmodels; i++) {
    if (model && strcmp(model, cli_models[i].name) != 0) continue;
    if (!any) {
      printf("# common to every model");
      print_keys(cli_run_keys, cli_nrun_keys);
    }
    any = true;
    printf("\n# model %s: %s", cli_models[i].name, cli_models[i].summary);
    print_keys(cli_models[i].keys, *cli_models[i].nkeys);
  }
  if (!any) {
    fprintf(stderr, "cloudmix run: --keys: unknown model '%s'; expected one of:", model);
    for (size_t i = 0; i < cli_nmodels; i++) fprintf(stderr, " %s", cli_models[i].name);
    fprintf(stderr, "\n");
    return CM_EXIT_USAGE;
  }
  return CM_EXIT_OK;
}

scenario *cli_scenario_load(const char *path, const char *const *sets, char **err) {
  struct scn_model *models = g_new(struct scn_model, cli_nmodels);
  for (size_t i = 0; i < cli_nmodels; i++)
    models[i] = (struct scn_model){cli_models[i].name, cli_models[i].keys, *cli_models[i].nkeys};
  scenario *s = scenario_load(path, cli_run_keys, cli_nrun_keys, models, cli_nmodels, sets, err);
  g_free(models);
  for (size_t i = 0; s && i < cli_nmodels; i++)
    if (!strcmp(cli_models[i].name, scenario_model(s)) && cli_models[i].check && cli_models[i].check(s, err) != 0) {
      scenario_free(s);
      return NULL;
    }
  return s;
}

int cli_run(int argc, char **argv) {
  gint64 seed = -1;
  gchar *out = NULL, *real = NULL, *record = NULL;
  gchar **sets = NULL;
  gboolean quiet = FALSE, keys = FALSE;
  GOptionEntry entries[] = {
      {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Master seed (default: [run] seed of the scenario, else 1)", "N"},
      {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Results database (default: results/SCENARIO.db)", "FILE.db"},
      {"set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override a scenario key (repeatable)", "GROUP.KEY=VALUE"},
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress bar and no summary table", NULL},
      {"real", 0, 0, G_OPTION_ARG_FILENAME, &real,
       "Real mode: invoke the endpoints of this real-mode profile (real/profile.h) in wall-clock time instead of "
       "simulating them (cloudless live runs)", "PROFILE.ini"},
      {"record-trace", 0, 0, G_OPTION_ARG_FILENAME, &record,
       "Cloudless live runs: write every call the workload made, with its outcome, to this trace (our CSV format, "
       "traces/README.md; `cloudmix replay` reads it)", "FILE.csv"},
      {"keys", 0, 0, G_OPTION_ARG_NONE, &keys, "List every scenario key of MODEL (or of all models): type, range, default, meaning; then exit", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("SCENARIO.ini - run a scenario in simulation (or, with --real, against real endpoints)");
  g_option_context_add_main_entries(ctx, entries, NULL);
  GString *desc = g_string_new("Models:\n");
  for (size_t i = 0; i < cli_nmodels; i++) g_string_append_printf(desc, "  %-8s %s\n", cli_models[i].name, cli_models[i].summary);
  g_string_append(desc, "\nThe results store is SQLite (tables in analysis/SCHEMA.md); a second run into\n"
                        "the same file appends. Exit codes: 0 ok, 1 run failed, 2 bad usage or input.");
  g_option_context_set_description(ctx, desc->str);
  g_string_free(desc, TRUE);
  char *perr = NULL;
  if (!cli_options_parse(ctx, entries, &argc, &argv, &perr)) {
    int rc = cli_usage_error("run", ctx, perr);
    g_free(perr);
    return rc;
  }
  if (keys) {
    g_option_context_free(ctx);
    g_strfreev(sets);
    g_free(out);
    g_free(real);
    g_free(record);
    return list_keys(argc > 1 ? argv[1] : NULL);
  }
  if (argc != 2) {
    g_strfreev(sets);
    g_free(out);
    g_free(real);
    g_free(record);
    return cli_usage_error("run", ctx, argc < 2 ? "missing SCENARIO file" : "expected exactly one SCENARIO file");
  }
  g_option_context_free(ctx);

  int rc = CM_EXIT_USAGE;
  char *err = NULL;
  results *db = NULL;
  scenario *s = cli_scenario_load(argv[1], (const char *const *)sets, &err);
  if (!s) {
    fprintf(stderr, "cloudmix: %s\n", err);
    goto out;
  }
  if (!out) out = cli_default_out(argv[1]);
  char *dir = g_path_get_dirname(out);
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    fprintf(stderr, "cloudmix: cannot create directory '%s' for the results\n", dir);
    g_free(dir);
    goto out;
  }
  g_free(dir);
  db = results_open(out, &err);
  if (!db) {
    fprintf(stderr, "cloudmix: %s\n", err);
    goto out;
  }
  const int64_t *gone = NULL;
  size_t ngone = results_marked_incomplete(db, &gone);
  for (size_t i = 0; i < ngone && !quiet; i++)
    fprintf(stderr, "cloudmix: %s: run %lld was left running by a process of this host that is gone; marked incomplete\n",
            out, (long long)gone[i]);
  if (real && strcmp(scenario_model(s), "cloudless") != 0) {
    fprintf(stderr, "cloudmix: --real: model %s runs in simulation only here (real Mixclaves nodes are `cloudmix "
            "node` and `cloudmix client`)\n", scenario_model(s));
    goto out;
  }
  if (record && strcmp(scenario_model(s), "cloudless") != 0) {
    fprintf(stderr, "cloudmix: --record-trace: model %s makes no function calls to record (cloudless only)\n",
            scenario_model(s));
    goto out;
  }
  struct run_ctx c = {.s = s, .db = db, .quiet = quiet, .real = real, .record_trace = record};
  c.seed = seed >= 0 ? (uint64_t)seed : (uint64_t)scenario_int(s, "run", "seed");
  c.run_id = results_run_begin(db, scenario_model(s), scenario_path(s), scenario_text(s), c.seed);
  if (c.run_id <= 0) {
    fprintf(stderr, "cloudmix: %s: cannot record the run: %s\n", out, results_errmsg(db));
    rc = CM_EXIT_FAILED;
    goto out;
  }
  const struct model_entry *m = NULL;
  for (size_t i = 0; i < cli_nmodels; i++)
    if (!strcmp(cli_models[i].name, scenario_model(s))) m = &cli_models[i];
  double t0 = cli_wall_s();
  rc = m->run(&c);
  double wall = cli_wall_s() - t0;
  if (results_run_end(db, c.run_id, rc == 0 ? "complete" : "failed", wall, c.events, c.sim_end) != 0) {
    fprintf(stderr, "cloudmix: %s: cannot finish the run record: %s\n", out, results_errmsg(db));
    rc = CM_EXIT_FAILED;
  }
  if (!quiet && rc == 0 && real)
    printf("run %lld (real mode): %.3f s wall; results in %s\n", (long long)c.run_id, wall, out);
  else if (!quiet && rc == 0)
    printf("run %lld: %llu events in %.3f s wall (%.2f M events/s); results in %s\n", (long long)c.run_id,
           (unsigned long long)c.events, wall, wall > 0 ? (double)c.events / wall / 1e6 : 0.0, out);
out:
  if (db && results_close(db) != 0 && rc == 0) {
    fprintf(stderr, "cloudmix: %s: closing the results store failed\n", out);
    rc = CM_EXIT_FAILED;
  }
  g_free(err);
  scenario_free(s);
  g_strfreev(sets);
  g_free(out);
  g_free(real);
  g_free(record);
  return rc;
}
