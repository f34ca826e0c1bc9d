/* `cloudmix emulate SCENARIO`: parse the arguments, build the scenario's
 * providers, functions and faults (cl_config_new), start the provider
 * emulator (real/emulate.h) and run its main loop until SIGINT or SIGTERM;
 * then print one summary line per provider and exit 0. */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cloudless.h"
#include "emulate.h"

struct loop {
  GMainLoop *loop;
  emulate *em;
  const char *why;
};

static gboolean on_int(gpointer arg) {
  struct loop *l = arg;
  l->why = "SIGINT";
  g_main_loop_quit(l->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean on_term(gpointer arg) {
  struct loop *l = arg;
  l->why = "SIGTERM";
  g_main_loop_quit(l->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean on_stats(gpointer arg) {
  emulate_print_stats(((struct loop *)arg)->em, stderr);
  return G_SOURCE_CONTINUE;
}

int cli_emulate(int argc, char **argv) {
  gchar *listen = NULL;
  gchar **sets = NULL;
  gint64 seed = -1;
  gdouble stats_every = 0;
  gboolean allow_remote = FALSE;
  gchar *clock = NULL;
  GOptionEntry entries[] = {
      {"listen", 'l', 0, G_OPTION_ARG_STRING, &listen, "Address to serve on (default 127.0.0.1:0: a free port)",
       "HOST:PORT"},
      {"set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override a scenario key (repeatable)", "GROUP.KEY=VALUE"},
      {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the model's draws (default: [run] seed, else 1)", "N"},
      {"stats-every", 0, 0, G_OPTION_ARG_DOUBLE, &stats_every, "Print the answer counts on stderr every S seconds",
       "S"},
      {"allow-remote", 0, 0, G_OPTION_ARG_NONE, &allow_remote, "Accept a listen address that is not loopback", NULL},
      {"clock", 0, 0, G_OPTION_ARG_STRING, &clock,
       "When the scenario's time 0 is (fault windows, the flight): first-request (default: lines up with the run "
       "that calls it) or start", "first-request|start"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("SCENARIO.ini - serve a scenario's providers over HTTP on loopback");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(
      ctx, "Every [provider.*] of a cloudless scenario is served under http://HOST:PORT/<provider> with its\n"
           "platform's paths and answers (real/README.md): lambda POST /2015-03-31/functions/F/invocations\n"
           "(and /url/F/), azure POST /api/F, cloudrun POST /F, openfaas POST /function/F, fission POST\n"
           "/fission-function/F; F is a scenario function, or F-BIN for compute bin BIN. Timing, limits,\n"
           "cold starts, [fault.*] windows and the [flight]'s link changes come from the simulator's own\n"
           "models run in wall-clock time, from the first request on (--clock). An " EMULATE_TIMEOUT_HEADER " request header sets a call's deadline.\n"
           "Prints \"listening on http://HOST:PORT\" once serving; on SIGINT or SIGTERM prints one line of\n"
           "answer counts per provider and exits 0. Exit codes: 0 ok, 1 failed, 2 bad usage or input.");
  char *perr = NULL;
  if (!cli_options_parse(ctx, entries, &argc, &argv, &perr)) {
    int rc = cli_usage_error("emulate", ctx, perr);
    g_free(perr);
    return rc;
  }
  int rc = CM_EXIT_USAGE;
  char *err = NULL;
  scenario *s = NULL;
  struct cl_config *cfg = NULL;
  if (argc != 2) {
    rc = cli_usage_error("emulate", ctx, argc < 2 ? "expected a scenario file" : "expected one scenario file");
    ctx = NULL;
    goto out;
  }
  if (clock && strcmp(clock, "first-request") != 0 && strcmp(clock, "start") != 0) {
    rc = cli_usage_error("emulate", ctx, "--clock: expected first-request or start");
    ctx = NULL;
    goto out;
  }
  if (stats_every < 0) {
    rc = cli_usage_error("emulate", ctx, "--stats-every: expected seconds >= 0");
    ctx = NULL;
    goto out;
  }
  s = cli_scenario_load(argv[1], (const char *const *)sets, &err);
  if (!s) {
    fprintf(stderr, "cloudmix emulate: %s\n", err);
    goto out;
  }
  if (strcmp(scenario_model(s), "cloudless") != 0) {
    fprintf(stderr, "cloudmix emulate: %s: [run] model is '%s'; expected cloudless (the emulator serves providers)\n",
            argv[1], scenario_model(s));
    goto out;
  }
  cfg = cl_config_new(s, &err);
  if (!cfg) {
    fprintf(stderr, "cloudmix emulate: %s\n", err);
    goto out;
  }
  struct emulate_config ec = {.providers = cfg->providers, .nproviders = cfg->nproviders,
                              .functions = cfg->functions, .nfunctions = cfg->nfunctions,
                              .faults = cfg->faults, .nfaults = cfg->nfaults,
                              .seed = seed >= 0 ? (uint64_t)seed : (uint64_t)scenario_int(s, "run", "seed"),
                              .listen = listen, .allow_remote = allow_remote,
                              .clock_at_first_request = !clock || strcmp(clock, "first-request") == 0};
  struct mobility_config mc = {0};
  if (cfg->nwaypoints) {
    cl_mobility_config(cfg, &mc);
    ec.flight = &mc;
  }
  struct loop l = {0};
  l.em = emulate_new(&ec, &err);
  if (ec.flight) cl_mobility_config_free(&mc);
  if (!l.em) {
    fprintf(stderr, "cloudmix emulate: %s\n", err);
    goto out;
  }
  printf("listening on %s\n", emulate_url(l.em));
  fflush(stdout);
  l.loop = g_main_loop_new(NULL, FALSE);
  guint ids[3] = {g_unix_signal_add(SIGINT, on_int, &l), g_unix_signal_add(SIGTERM, on_term, &l), 0};
  if (stats_every > 0) ids[2] = g_timeout_add((guint)(stats_every * 1000 + 0.5), on_stats, &l);
  g_main_loop_run(l.loop);
  for (int i = 0; i < 3; i++)
    if (ids[i]) g_source_remove(ids[i]);
  fprintf(stdout, "emulate: stopped by %s\n", l.why ? l.why : "the loop");
  emulate_print_stats(l.em, stdout);
  emulate_free(l.em);
  g_main_loop_unref(l.loop);
  rc = CM_EXIT_OK;
out:
  if (ctx) g_option_context_free(ctx);
  cl_config_free(cfg);
  scenario_free(s);
  g_free(err);
  g_free(listen);
  g_free(clock);
  g_strfreev(sets);
  return rc;
}
