/* `cloudmix replay TRACE --scenario S`: drive the cloudless broker of
 * scenario S, in simulation, with a trace's arrivals and durations in place
 * of its workload's arrival process. Two passes over the trace: the first
 * counts its functions and their mean durations and maps each to a
 * function of the scenario by the chosen rule (recorded in trace_map and
 * printed); the second feeds the trace-driven workload
 * (models/cloudless/workload.h) one arrival at a time during the run,
 * which is the cloudless runner's own (cli/run_cloudless.c, same tables). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cloudless.h"
#include "tab_trace_map.h"
#include "trace.h"

enum map_rule { MAP_NAME, MAP_DURATION, MAP_ROUND_ROBIN };
#define NRULES 3
static const char *const rule_names[NRULES] = {"name", "duration", "round-robin"};

/* One function of the trace. */
struct tfn {
  char *name;
  uint64_t n, nknown; /* invocations; of them with a known duration */
  double sum_s;       /* of the known durations */
  uint32_t fn;        /* the scenario function it maps to (cfg->functions index) */
  double fn_mean_s;   /* rule duration: that function's mean exec; else NAN */
};

struct replay {
  const char *path, *format;
  struct trace_opts opts;
  enum map_rule rule;
  GPtrArray *tfns;     /* struct tfn *, in order of first appearance */
  GHashTable *by_name; /* name -> struct tfn * */
  GPtrArray *by_fn;    /* pass 2: the source's function number (trace_inv.fn) -> struct tfn *, as met */
  uint64_t n;          /* invocations */
  cm_time last;        /* the last arrival */
  bool sizes_given;    /* our format: 0 bytes is a size; the public traces' 0 = unknown */
  /* the run */
  trace_src *src;
  char **fnames; /* the scenario's function names, by index */
  size_t req, resp; /* the scenario's sizes, for the trace's unknown ones */
  uint64_t pulled;
  char *failed;  /* why the second pass stopped */
};

static void tfn_free(gpointer p) {
  struct tfn *f = p;
  g_free(f->name);
  g_free(f);
}

/* Pass 1: the trace's functions, counts, durations and last arrival. */
static int scan(struct replay *rp, char **err) {
  trace_src *s = trace_open(rp->format, rp->path, &rp->opts, err);
  if (!s) return -1;
  rp->sizes_given = !strcmp(trace_format(s), "cloudmix");
  struct trace_inv v;
  int rc;
  while ((rc = trace_next(s, &v)) == 1) {
    struct tfn *f = g_hash_table_lookup(rp->by_name, v.function);
    if (!f) {
      f = g_new0(struct tfn, 1);
      f->name = g_strdup(v.function);
      f->fn_mean_s = NAN;
      g_ptr_array_add(rp->tfns, f);
      g_hash_table_insert(rp->by_name, f->name, f);
    }
    f->n++;
    if (v.duration > 0) {
      f->nknown++;
      f->sum_s += cm_time_to_s(v.duration);
    }
    rp->n++;
    rp->last = v.t;
  }
  if (rc < 0) *err = g_strdup(trace_error(s));
  else if (rp->n == 0) *err = g_strdup_printf("%s: no invocations to replay", rp->path);
  trace_free(s);
  return rc < 0 || rp->n == 0 ? -1 : 0;
}

/* Mean exec of function f over the scenario's providers at their broker
 * bins (the model's mean: overhead + gflop / speed; the noise has mean 1). */
static double function_mean_s(const struct cl_config *c, uint32_t f) {
  double sum = 0;
  for (uint32_t i = 0; i < c->nproviders; i++) {
    const struct faas_provider *p = &c->providers[i];
    const struct faas_bin *b = &p->bins[c->sched_providers[i].bin];
    sum += cm_time_to_s(p->exec_overhead) + c->functions[f].gflop / (p->gflops_per_vcpu * b->vcpu);
  }
  return sum / c->nproviders;
}

static char *function_list(const struct cl_config *c, uint32_t n) {
  GString *g = g_string_new(NULL);
  for (uint32_t i = 0; i < n; i++) g_string_append_printf(g, "%s%s", i ? ", " : "", c->functions[i].name);
  return g_string_free(g, FALSE);
}

/* Each trace function to a scenario function by rp->rule. ncand: the
 * scenario's own [function.*] (the broker's "empty" added after them is
 * not a candidate of duration and round-robin). */
static int map_functions(struct replay *rp, const scenario *s, const struct cl_config *c, char **err) {
  uint32_t ncand = g_strv_length((gchar **)scenario_groups(s, "function.*"));
  if (ncand == 0 || ncand > c->nfunctions) ncand = c->nfunctions;
  for (guint k = 0; k < rp->tfns->len; k++) {
    struct tfn *f = g_ptr_array_index(rp->tfns, k);
    if (rp->rule == MAP_ROUND_ROBIN) {
      f->fn = k % ncand;
    } else if (rp->rule == MAP_NAME) {
      uint32_t i = 0;
      while (i < c->nfunctions && strcmp(c->functions[i].name, f->name) != 0) i++;
      if (i == c->nfunctions) {
        char *known = function_list(c, c->nfunctions);
        *err = g_strdup_printf("%s: trace function '%s' (%llu invocations) is not a function of %s (expected one of: "
                               "%s); --map duration or --map round-robin map functions of other names",
                               rp->path, f->name, (unsigned long long)f->n, scenario_path(s), known);
        g_free(known);
        return -1;
      }
      f->fn = i;
    } else {
      if (f->nknown == 0) {
        *err = g_strdup_printf("%s: trace function '%s' (%llu invocations) has no known duration, so --map duration "
                               "cannot place it; use --map name or --map round-robin", rp->path, f->name,
                               (unsigned long long)f->n);
        return -1;
      }
      double want = log(fmax(f->sum_s / (double)f->nknown, 1e-9)), best = INFINITY;
      for (uint32_t i = 0; i < ncand; i++) {
        double m = function_mean_s(c, i), d = fabs(log(fmax(m, 1e-9)) - want);
        if (d < best) {
          best = d;
          f->fn = i;
          f->fn_mean_s = m;
        }
      }
    }
  }
  return 0;
}

/* The workload's pull (workload_next_fn): the trace's next arrival as the
 * scenario function it maps to. */
static int pull(void *arg, struct workload_arrival *out) {
  struct replay *rp = arg;
  struct trace_inv v;
  int rc = trace_next(rp->src, &v);
  if (rc == 0) return 0;
  struct tfn *f = NULL;
  if (rc > 0) { /* by the function's number; its name only the first time the number is met */
    if (v.fn < rp->by_fn->len) f = g_ptr_array_index(rp->by_fn, v.fn);
    if (!f && (f = g_hash_table_lookup(rp->by_name, v.function)) != NULL) {
      if (v.fn >= rp->by_fn->len) g_ptr_array_set_size(rp->by_fn, v.fn + 1);
      g_ptr_array_index(rp->by_fn, v.fn) = f;
    }
  }
  if (!f) {
    if (!rp->failed)
      rp->failed = rc < 0 ? g_strdup(trace_error(rp->src))
                          : g_strdup_printf("%s: function '%s' not seen in the first pass (the file changed?)",
                                            rp->path, v.function);
    return CM_EPARSE;
  }
  *out = (struct workload_arrival){
      .t = v.t, .function = rp->fnames[f->fn], .exec_hint = v.duration,
      .request_bytes = rp->sizes_given || v.request_bytes ? (size_t)v.request_bytes : rp->req,
      .response_bytes = rp->sizes_given || v.response_bytes ? (size_t)v.response_bytes : rp->resp};
  rp->pulled++;
  return 1;
}

/* run_ctx.cl_adjust: the trace in place of the workload's arrivals. */
static int adjust(void *arg, struct cl_config *cfg, char **err) {
  struct replay *rp = arg;
  if (cfg->per_provider) {
    *err = g_strdup("replay: [workload] mode = per_provider has no arrival process to replace; use open or closed");
    return -1;
  }
  if (!(rp->src = trace_open(rp->format, rp->path, &rp->opts, err))) return -1;
  rp->fnames = g_new0(char *, cfg->nfunctions + 1);
  for (uint32_t i = 0; i < cfg->nfunctions; i++) rp->fnames[i] = g_strdup(cfg->functions[i].name);
  rp->req = cfg->work.request_bytes;
  rp->resp = cfg->work.response_bytes;
  cfg->work.mode = WORKLOAD_TRACE;
  cfg->work.next = pull;
  cfg->work.next_arg = rp;
  cfg->work.until = CM_TIME_MAX;
  cfg->work.max_calls = 0;
  cfg->duration = rp->last + 1; /* the horizon: every arrival made by then; then the drain */
  return 0;
}

static void print_map(const struct replay *rp, const struct cl_config *c, const char *scn) {
  printf("replay: %llu invocations of %u functions from %s, mapped to %s by %s:\n", (unsigned long long)rp->n,
         rp->tfns->len, rp->path, scn, rule_names[rp->rule]);
  for (guint k = 0; k < rp->tfns->len && k < 20; k++) {
    const struct tfn *f = g_ptr_array_index(rp->tfns, k);
    printf("  %-24s -> %-16s %8llu invocations", f->name, c->functions[f->fn].name, (unsigned long long)f->n);
    if (f->nknown) printf(", mean %.3f s", f->sum_s / (double)f->nknown);
    if (!isnan(f->fn_mean_s)) printf(" (function %.3f s)", f->fn_mean_s);
    printf("\n");
  }
  if (rp->tfns->len > 20) printf("  ... and %u more (table trace_map)\n", rp->tfns->len - 20);
}

static int write_map(const struct replay *rp, const struct cl_config *c, results *db, int64_t run_id) {
  struct tab_trace_map t;
  if (tab_trace_map_open(db, &t) != 0) return -1;
  for (guint k = 0; k < rp->tfns->len; k++) {
    const struct tfn *f = g_ptr_array_index(rp->tfns, k);
    struct tab_trace_map_row row = {.run_id = run_id, .trace_function = f->name, .function = c->functions[f->fn].name,
                                    .rule = rule_names[rp->rule], .invocations = (int64_t)f->n,
                                    .trace_mean_s = f->nknown ? f->sum_s / (double)f->nknown : NAN,
                                    .function_mean_s = f->fn_mean_s};
    if (tab_trace_map_add(&t, &row) != 0) return -1;
  }
  return 0;
}

/* Open the store, record the run and the map, run; an exit code. */
static int replay_run(struct replay *rp, const scenario *s, const struct cl_config *cfg, const char *out,
                      uint64_t seed, bool quiet, const char *record) {
  char *err = NULL;
  char *dir = g_path_get_dirname(out);
  int rc = g_mkdir_with_parents(dir, 0755);
  g_free(dir);
  results *db = rc == 0 ? results_open(out, &err) : NULL;
  if (!db) {
    fprintf(stderr, "cloudmix: %s\n", err ? err : "cannot create the results' directory");
    g_free(err);
    return CM_EXIT_USAGE;
  }
  if (!quiet) print_map(rp, cfg, scenario_path(s));
  struct run_ctx c = {.s = s, .db = db, .seed = seed, .quiet = quiet, .record_trace = record, .cl_adjust = adjust,
                      .cl_adjust_arg = rp};
  rc = cloudless_run_recorded(&c, NULL);
  if (c.run_id > 0 && write_map(rp, cfg, db, c.run_id) != 0) {
    fprintf(stderr, "cloudmix: %s: writing trace_map failed: %s\n", out, results_errmsg(db));
    rc = CM_EXIT_FAILED;
  }
  if (rp->failed) {
    fprintf(stderr, "cloudmix: replay stopped: %s\n", rp->failed);
    rc = CM_EXIT_FAILED;
  } else if (rc == CM_EXIT_OK && rp->pulled != rp->n) {
    fprintf(stderr, "cloudmix: replay: %llu of %llu invocations made\n", (unsigned long long)rp->pulled,
            (unsigned long long)rp->n);
    rc = CM_EXIT_FAILED;
  }
  if (results_close(db) != 0 && rc == CM_EXIT_OK) {
    fprintf(stderr, "cloudmix: %s: closing the results store failed\n", out);
    rc = CM_EXIT_FAILED;
  }
  if (rc == CM_EXIT_OK && !quiet)
    printf("replay run %lld: %llu invocations in %.3f s of simulated time; results in %s\n", (long long)c.run_id,
           (unsigned long long)rp->pulled, cm_time_to_s(c.sim_end), out);
  return rc;
}

int cli_replay(int argc, char **argv) {
  gchar *scn = NULL, *policy = NULL, *format = NULL, *spread = NULL, *map = NULL, *out = NULL, *record = NULL;
  gchar **sets = NULL;
  gint64 seed = -1;
  gboolean quiet = FALSE;
  GOptionEntry entries[] = {
      {"scenario", 0, 0, G_OPTION_ARG_FILENAME, &scn,
       "The cloudless scenario whose world and broker replay the trace (required)", "S.ini"},
      {"policy", 0, 0, G_OPTION_ARG_STRING, &policy, "Scheduling policy (= --set cloudless.policy=P)", "P"},
      {"format", 0, 0, G_OPTION_ARG_STRING, &format,
       "Trace format: auto (default: sniff the file), cloudmix, or an importer's name", "F"},
      {"spread", 0, 0, G_OPTION_ARG_STRING, &spread,
       "Per-interval counts of the public traces become arrivals: equidistant (default), uniform, poisson", "RULE"},
      {"map", 0, 0, G_OPTION_ARG_STRING, &map,
       "Trace functions to scenario functions: name (default: the same name), duration (the nearest mean "
       "execution time), round-robin (in order of first appearance)", "RULE"},
      {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Master seed (default: [run] seed of the scenario)", "N"},
      {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Results database (default: results/SCENARIO-replay.db)", "FILE.db"},
      {"record-trace", 0, 0, G_OPTION_ARG_FILENAME, &record,
       "Write the replayed calls and their outcomes as a trace (our format)", "FILE.csv"},
      {"set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override a scenario key (repeatable)", "GROUP.KEY=VALUE"},
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No map, progress bar or summary", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx =
      g_option_context_new("TRACE - replay an invocation trace through a cloudless scenario's broker, in simulation");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(
      ctx, "The trace's arrivals (times, functions, sizes) replace the scenario workload's arrival process; its\n"
           "durations are the calls' execution times (sim/faas.h: exec_hint), 0 = the scenario's model. Results\n"
           "go to the tables of `cloudmix run` plus trace_map (analysis/SCHEMA.md). Formats: traces/README.md.\n"
           "Exit codes: 0 ok, 1 run failed, 2 bad usage or input (a malformed trace row: FILE:LINE:COL).\n");
  char *perr = NULL;
  int rc = CM_EXIT_USAGE;
  struct replay rp = {.format = "auto", .tfns = g_ptr_array_new_with_free_func(tfn_free),
                      .by_name = g_hash_table_new(g_str_hash, g_str_equal), .by_fn = g_ptr_array_new()};
  scenario *s = NULL;
  struct cl_config *cfg = NULL;
  char *err = NULL;
  GPtrArray *allsets = g_ptr_array_new_with_free_func(g_free);
  if (!cli_options_parse(ctx, entries, &argc, &argv, &perr)) {
    rc = cli_usage_error("replay", ctx, perr);
    ctx = NULL;
    g_free(perr);
    goto done;
  }
  g_option_context_free(ctx);
  ctx = NULL;
  if (argc != 2) {
    rc = cli_usage_error("replay", NULL, argc < 2 ? "missing TRACE file" : "expected exactly one TRACE file");
    goto done;
  }
  if (!scn) {
    rc = cli_usage_error("replay", NULL, "missing --scenario S.ini (the world and broker that replay the trace)");
    goto done;
  }
  rp.path = argv[1];
  if (format) rp.format = format;
  if (spread && trace_spread_parse(spread, &rp.opts.spread) != 0) {
    rc = cli_usage_error("replay", NULL, "--spread: expected equidistant, uniform or poisson");
    goto done;
  }
  rp.rule = NRULES;
  for (int i = 0; i < NRULES; i++)
    if (!strcmp(map ? map : "name", rule_names[i])) rp.rule = (enum map_rule)i;
  if (rp.rule == NRULES) {
    rc = cli_usage_error("replay", NULL, "--map: expected name, duration or round-robin");
    goto done;
  }
  for (gchar **k = sets; k && *k; k++) g_ptr_array_add(allsets, g_strdup(*k));
  if (policy) g_ptr_array_add(allsets, g_strdup_printf("cloudless.policy=%s", policy));
  g_ptr_array_add(allsets, NULL);
  if (!(s = cli_scenario_load(scn, (const char *const *)allsets->pdata, &err))) goto fail;
  if (strcmp(scenario_model(s), "cloudless") != 0) {
    err = g_strdup_printf("%s: [run] model = %s: replay drives a cloudless scenario", scn, scenario_model(s));
    goto fail;
  }
  if (!(cfg = cl_config_new(s, &err))) goto fail;
  if (strcmp(cfg->experiment, "live") != 0 || cfg->per_provider) {
    err = g_strdup_printf("%s: replay drives a live broker's arrivals: %s", scn,
                          cfg->per_provider ? "[workload] mode = per_provider has none to replace (use open or closed)"
                                            : "[cloudless] experiment must be live");
    goto fail;
  }
  uint64_t run_seed = seed >= 0 ? (uint64_t)seed : (uint64_t)scenario_int(s, "run", "seed");
  rp.opts.seed = run_seed;
  if (scan(&rp, &err) != 0 || map_functions(&rp, s, cfg, &err) != 0) goto fail;
  if (!out) {
    char *d = cli_default_out(scn);
    out = g_strdup_printf("%.*s-replay.db", (int)strlen(d) - 3, d);
    g_free(d);
  }
  rc = replay_run(&rp, s, cfg, out, run_seed, quiet, record);
  goto done;
fail:
  fprintf(stderr, "cloudmix: %s\n", err);
  rc = CM_EXIT_USAGE;
done:
  g_free(err);
  trace_free(rp.src);
  g_free(rp.failed);
  g_strfreev(rp.fnames);
  g_hash_table_destroy(rp.by_name);
  g_ptr_array_free(rp.by_fn, TRUE);
  g_ptr_array_free(rp.tfns, TRUE);
  g_ptr_array_free(allsets, TRUE);
  if (cfg) cl_config_free(cfg);
  scenario_free(s);
  g_free(scn);
  g_free(policy);
  g_free(format);
  g_free(spread);
  g_free(map);
  g_free(out);
  g_free(record);
  g_strfreev(sets);
  return rc;
}
