/* `cloudmix agree SCENARIO`: the same live cloudless scenario, time-
 * compressed by one factor, run in simulation and in real mode against the
 * provider emulator (started here, in a thread, from the same scenario),
 * then compared: latency distributions (two-sample Kolmogorov-Smirnov,
 * medians, p99), every decision replayed (the policy given the same view
 * and random-stream state must pick the same provider), and each call's
 * cost recomputed from its billed duration. Wiring only: the runs are
 * cloudless_run, the emulator real/emulate.h, the comparison
 * analysis/agree.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gsl/gsl_rng.h>

#include "agree.h"
#include "cloudless.h"
#include "cloudless/policy.h"
#include "emulate.h"
#include "stats.h"

/* Limits of the agreement test (issue 12). */
#define KS_P_MIN 0.01
#define MEDIAN_REL_MAX 0.05
#define P99_REL_MAX 0.10
#define COST_DIFF_MAX 1e-9

struct emu_thread {
  struct emulate_config ec;
  GMutex m;
  GCond c;
  bool ready;
  int port;
  char *err;
  GMainContext *ctx;
  GMainLoop *loop;
  emulate *em;
  GThread *th;
  bool quiet;
};

static gpointer emu_main(gpointer p) {
  struct emu_thread *t = p;
  t->ctx = g_main_context_new();
  g_main_context_push_thread_default(t->ctx);
  char *err = NULL;
  emulate *em = emulate_new(&t->ec, &err);
  if (em) t->loop = g_main_loop_new(t->ctx, FALSE);
  g_mutex_lock(&t->m);
  t->em = em;
  t->err = err;
  t->port = em ? emulate_port(em) : -1;
  t->ready = true;
  g_cond_signal(&t->c);
  g_mutex_unlock(&t->m);
  if (em) {
    g_main_loop_run(t->loop);
    if (!t->quiet) emulate_print_stats(em, stdout);
    emulate_free(em);
    g_main_loop_unref(t->loop);
  }
  g_main_context_pop_thread_default(t->ctx);
  g_main_context_unref(t->ctx);
  return NULL;
}

/* Decisions heard during a run, each replayed at once. */
struct replay {
  const struct policy_ops *policy;
  rng *mine;
  uint64_t made, explored, matched;
};

static void on_decision(void *arg, const struct policy_view *view, int pick, bool explored, rng *before) {
  struct replay *r = arg;
  r->made++;
  if (explored) {
    r->explored++;
    return;
  }
  gsl_rng_memcpy(rng_gsl(r->mine), rng_gsl(before));
  r->matched += r->policy->choose(view, r->mine) == pick;
}

/* One run of s into a fresh results file at path; real: a profile or NULL. */
static int run_once(const scenario *s, const char *path, uint64_t seed, const char *real, struct replay *rp,
                    int64_t *run_id) {
  g_unlink(path);
  char *err = NULL;
  results *db = results_open(path, &err);
  if (!db) {
    fprintf(stderr, "cloudmix agree: %s\n", err);
    g_free(err);
    return CM_EXIT_FAILED;
  }
  struct run_ctx c = {.s = s, .db = db, .seed = seed, .quiet = true, .real = real, .on_decision = on_decision,
                      .decision_arg = rp};
  int rc = cloudless_run_recorded(&c, NULL);
  *run_id = c.run_id;
  if (results_close(db) != 0) rc = CM_EXIT_FAILED;
  return rc;
}

/* A profile putting the emulator behind every provider of cfg (the
 * emulator takes any credentials; the variables named are set here). */
static char *write_profile(const char *dir, const struct cl_config *cfg, int port) {
  GString *g = g_string_new("[profile]\ndescription = cloudmix agree: the emulator on loopback\n");
  for (uint32_t i = 0; i < cfg->nproviders; i++) {
    const struct faas_provider *p = &cfg->providers[i];
    g_string_append_printf(g, "\n[provider.%s]\nkind = %s\nendpoint = http://127.0.0.1:%d/%s\n"
                              "function_name = {function}-{bin}\n",
                           p->name, p->platform, port, p->name);
    if (!strcmp(p->platform, "lambda"))
      g_string_append(g, "access_key_env = CLOUDMIX_AGREE_KEY_ID\nsecret_key_env = CLOUDMIX_AGREE_KEY\n");
    else if (!strcmp(p->platform, "azure")) g_string_append(g, "key_env = CLOUDMIX_AGREE_KEY\n");
    else if (!strcmp(p->platform, "cloudrun")) g_string_append(g, "token_env = CLOUDMIX_AGREE_KEY\n");
  }
  g_setenv("CLOUDMIX_AGREE_KEY_ID", "AKIDAGREE", TRUE);
  g_setenv("CLOUDMIX_AGREE_KEY", "agree-not-a-secret", TRUE);
  char *path = g_build_filename(dir, "emulator-profile.ini", NULL);
  GError *ge = NULL;
  if (!g_file_set_contents(path, g->str, (gssize)g->len, &ge)) {
    fprintf(stderr, "cloudmix agree: %s: %s\n", path, ge->message);
    g_error_free(ge);
    g_free(path);
    path = NULL;
  }
  g_string_free(g, TRUE);
  return path;
}

static double rel(double a, double b) { return b != 0 ? (a - b) / b : (a == b ? 0 : INFINITY); }

/* The table; true if every figure is within its limit. */
static bool report(const char *name, double k, uint64_t seed, const struct agree_side *sim,
                   const struct agree_side *real, const struct replay *rs, const struct replay *rr) {
  double d = NAN, p = NAN;
  stats_ks2(sim->lat_s, sim->n, real->lat_s, real->n, &d, &p);
  double mr = rel(real->median_s, sim->median_s), pr = rel(real->p99_s, sim->p99_s);
  bool ks_ok = p > KS_P_MIN, med_ok = fabs(mr) <= MEDIAN_REL_MAX, p99_ok = fabs(pr) <= P99_REL_MAX;
  bool dec_ok = rs->matched + rs->explored == rs->made && rr->matched + rr->explored == rr->made && rr->made > 0;
  bool cost_ok = sim->cost_max_diff <= COST_DIFF_MAX && real->cost_max_diff <= COST_DIFF_MAX && real->cost_checked > 0;
  printf("agreement: %s, time_scale %g, seed %llu\n", name, k, (unsigned long long)seed);
  printf("  %-34s %14s %14s\n", "", "sim", "real");
  printf("  %-34s %14llu %14llu\n", "calls", (unsigned long long)sim->calls, (unsigned long long)real->calls);
  printf("  %-34s %14llu %14llu\n", "completed", (unsigned long long)sim->completed, (unsigned long long)real->completed);
  printf("  %-34s %14llu %14llu\n", "failed", (unsigned long long)sim->failed, (unsigned long long)real->failed);
  printf("  %-34s %14.6f %14.6f\n", "mean latency (s)", sim->mean_s, real->mean_s);
  printf("  %-34s %14.6f %14.6f  %+.2f%% (limit 5%%) %s\n", "median latency (s)", sim->median_s, real->median_s,
         100 * mr, med_ok ? "ok" : "FAIL");
  printf("  %-34s %14.6f %14.6f  %+.2f%% (limit 10%%) %s\n", "p99 latency (s)", sim->p99_s, real->p99_s, 100 * pr,
         p99_ok ? "ok" : "FAIL");
  printf("  %-34s D = %.4f, p = %.4f (limit p > %.2f) %s\n", "latency distributions (KS)", d, p, KS_P_MIN,
         ks_ok ? "ok" : "FAIL");
  printf("  %-34s %14llu %14llu\n", "decisions made", (unsigned long long)rs->made, (unsigned long long)rr->made);
  printf("  %-34s %14llu %14llu\n", "  of them explorations or probes", (unsigned long long)rs->explored,
         (unsigned long long)rr->explored);
  printf("  %-34s %14llu %14llu  %s\n", "  replayed to the same provider", (unsigned long long)rs->matched,
         (unsigned long long)rr->matched, dec_ok ? "ok (all)" : "FAIL");
  printf("  %-34s %14.3g %14.3g  (limit %g $, over %llu / %llu calls) %s\n", "cost recomputed, max |diff| ($)",
         sim->cost_max_diff, real->cost_max_diff, COST_DIFF_MAX, (unsigned long long)sim->cost_checked,
         (unsigned long long)real->cost_checked, cost_ok ? "ok" : "FAIL");
  printf("  %-34s %14.6f %14.6f  %+.2f%%\n", "total cost ($)", sim->cost_usd, real->cost_usd,
         100 * rel(real->cost_usd, sim->cost_usd));
  bool all = ks_ok && med_ok && p99_ok && dec_ok && cost_ok;
  printf("  verdict: %s\n", all ? "agree" : "DISAGREE");
  return all;
}

int cli_agree(int argc, char **argv) {
  gdouble scale = 0.5;
  gint64 seed = -1;
  gchar *outdir = NULL;
  gchar **sets = NULL;
  gboolean quiet = FALSE;
  GOptionEntry entries[] = {
      {"scale", 'k', 0, G_OPTION_ARG_DOUBLE, &scale,
       "Time compression applied in both modes ([cloudless] time_scale; default 0.5: the smaller K, the more the "
       "real path's fixed cost per call, about 5 ms with 4 MB bodies here, weighs against the model's times)", "K"},
      {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Master seed (default: [run] seed of the scenario)", "N"},
      {"set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override a scenario key (repeatable)", "GROUP.KEY=VALUE"},
      {"out", 'o', 0, G_OPTION_ARG_FILENAME, &outdir,
       "Folder for sim.db, real.db and the emulator's profile (default: results/agree-SCENARIO)", "DIR"},
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Only the table", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("SCENARIO.ini - the same live run in simulation and against the emulator, compared");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(
      ctx, "Runs a live cloudless scenario twice, time-compressed by K in both: in simulation, and in real mode\n"
           "against `cloudmix emulate` (started here on a free loopback port from the same scenario). Prints\n"
           "calls, latency mean / median / p99, the two-sample Kolmogorov-Smirnov test of the latencies, every\n"
           "decision replayed (the policy given the same view and random state must pick the same provider),\n"
           "and each call's cost recomputed from its billed duration. Agreement: KS p > 0.01, medians within\n"
           "5%, p99 within 10%, all decisions replayed identically, costs within 1e-9 $.\n"
           "Exit codes: 0 agree, 1 disagree or a run failed, 2 bad usage or input.");
  char *perr = NULL;
  if (!cli_options_parse(ctx, entries, &argc, &argv, &perr)) {
    int rc = cli_usage_error("agree", ctx, perr);
    g_free(perr);
    return rc;
  }
  if (argc != 2) return cli_usage_error("agree", ctx, argc < 2 ? "missing SCENARIO file" : "expected exactly one SCENARIO file");
  if (!(scale > 0 && scale <= 1)) return cli_usage_error("agree", ctx, "--scale: expected 0 < K <= 1");
  g_option_context_free(ctx);

  int rc = CM_EXIT_USAGE;
  char *err = NULL, *profile = NULL, *simdb = NULL, *realdb = NULL;
  scenario *s = NULL;
  struct cl_config *cfg = NULL;
  struct emu_thread et = {0};
  struct replay rs = {0}, rr = {0};
  struct agree_side a = {0}, b = {0};
  struct agree_price *prices = NULL;
  guint n = sets ? g_strv_length(sets) : 0;
  char **all = g_new0(char *, n + 3);
  for (guint i = 0; i < n; i++) all[i] = sets[i];
  all[n] = g_strdup_printf("cloudless.time_scale=%.17g", scale);
  all[n + 1] = g_strdup("cloudless.record=calls");
  s = cli_scenario_load(argv[1], (const char *const *)all, &err);
  if (!s) {
    fprintf(stderr, "cloudmix agree: %s\n", err);
    goto out;
  }
  if (strcmp(scenario_model(s), "cloudless") != 0) {
    fprintf(stderr, "cloudmix agree: %s: model '%s'; expected a cloudless scenario\n", argv[1], scenario_model(s));
    goto out;
  }
  if (!(cfg = cl_config_new(s, &err))) {
    fprintf(stderr, "cloudmix agree: %s\n", err);
    goto out;
  }
  if (strcmp(cfg->experiment, "live") != 0 || cfg->per_provider) {
    fprintf(stderr, "cloudmix agree: %s: expected a live run with one scheduler (experiment = live, not per-provider)\n",
            argv[1]);
    goto out;
  }
  uint64_t sd = seed >= 0 ? (uint64_t)seed : (uint64_t)scenario_int(s, "run", "seed");
  if (!outdir) {
    char *base = g_path_get_basename(argv[1]);
    if (g_str_has_suffix(base, ".ini")) base[strlen(base) - 4] = 0;
    outdir = g_strdup_printf("results/agree-%s", base);
    g_free(base);
  }
  if (g_mkdir_with_parents(outdir, 0755) != 0) {
    fprintf(stderr, "cloudmix agree: cannot create %s: %s\n", outdir, g_strerror(errno));
    goto out;
  }
  rc = CM_EXIT_FAILED;
  const struct policy_ops *pol = policy_find(cfg->sched.policy);
  rs = (struct replay){.policy = pol, .mine = rng_new(0, "agree:replay")};
  rr = (struct replay){.policy = pol, .mine = rng_new(0, "agree:replay")};
  simdb = g_build_filename(outdir, "sim.db", NULL);
  realdb = g_build_filename(outdir, "real.db", NULL);
  int64_t id_sim = 0, id_real = 0;
  if (!quiet) printf("== simulation (%s)\n", simdb), fflush(stdout);
  if (run_once(s, simdb, sd, NULL, &rs, &id_sim) != 0) goto out;

  struct mobility_config mc = {0};
  et.ec = (struct emulate_config){.providers = cfg->providers, .nproviders = cfg->nproviders,
                                  .functions = cfg->functions, .nfunctions = cfg->nfunctions, .faults = cfg->faults,
                                  .nfaults = cfg->nfaults, .seed = sd, .clock_at_first_request = true};
  if (cfg->nwaypoints) {
    cl_mobility_config(cfg, &mc);
    et.ec.flight = &mc;
  }
  et.quiet = quiet;
  g_mutex_init(&et.m);
  g_cond_init(&et.c);
  et.th = g_thread_new("emulate", emu_main, &et);
  g_mutex_lock(&et.m);
  while (!et.ready) g_cond_wait(&et.c, &et.m);
  g_mutex_unlock(&et.m);
  if (!et.em) {
    fprintf(stderr, "cloudmix agree: the emulator: %s\n", et.err);
    goto out;
  }
  if (!(profile = write_profile(outdir, cfg, et.port))) goto out;
  if (!quiet) printf("== real mode against the emulator on 127.0.0.1:%d (%s)\n", et.port, realdb), fflush(stdout);
  if (run_once(s, realdb, sd, profile, &rr, &id_real) != 0) goto out;

  prices = g_new0(struct agree_price, cfg->nproviders);
  for (uint32_t i = 0; i < cfg->nproviders; i++)
    prices[i] = (struct agree_price){cfg->providers[i].name, cfg->sched_providers[i].price};
  if (agree_load(simdb, id_sim, prices, cfg->nproviders, &a, &err) != 0 ||
      agree_load(realdb, id_real, prices, cfg->nproviders, &b, &err) != 0) {
    fprintf(stderr, "cloudmix agree: %s\n", err);
    goto out;
  }
  char *name = g_path_get_basename(argv[1]);
  rc = report(name, scale, sd, &a, &b, &rs, &rr) ? CM_EXIT_OK : CM_EXIT_FAILED;
  g_free(name);
out:
  if (et.th) {
    if (et.loop) g_main_loop_quit(et.loop);
    g_thread_join(et.th);
    g_mutex_clear(&et.m);
    g_cond_clear(&et.c);
    g_free(et.err);
    if (et.ec.flight) cl_mobility_config_free((struct mobility_config *)et.ec.flight);
  }
  if (rs.mine) rng_free(rs.mine);
  if (rr.mine) rng_free(rr.mine);
  agree_side_free(&a);
  agree_side_free(&b);
  g_free(prices);
  g_free(profile);
  g_free(simdb);
  g_free(realdb);
  cl_config_free(cfg);
  scenario_free(s);
  g_free(err);
  g_free(all[n]);
  g_free(all[n + 1]);
  g_free(all);
  g_strfreev(sets);
  g_free(outdir);
  return rc;
}
